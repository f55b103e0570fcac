"""The loyalty domain: pure rules for points, value, tiers, referrals, lapse, profitability.

No I/O and no framework imports; everything that depends on time takes `now` (UTC).
"""

from .account import (
    BUCKET_MONTHS,
    Account,
    PurchaseLike,
    already_applied,
    apply_customer_update,
    apply_purchase,
    apply_registration,
    apply_segment,
    fold_old_months,
    month_key,
    trailing_12m_value,
    value_month,
    value_year,
)
from .lapse import LapseDecision, expected_interval_days, lapse_check, mark_lapsed
from .profitability import GroupBy, GroupProfit, ProfitabilityReport, profitability
from .referrals import (
    ReferralCredit,
    apply_referral_bonus,
    mark_referral_credited,
    referral_credit,
)
from .rules import (
    DEFAULT_RULES_PATH,
    CurrencyRule,
    EarningRules,
    RulesError,
    UnknownCurrency,
    load_rules,
    points_for,
    to_value_currency,
)
from .tiers import (
    Thresholds,
    TierChange,
    TierRecompute,
    population_values,
    reassess_tier,
    recompute_tiers,
    tier_for,
    tier_thresholds,
    value_percentile,
)

__all__ = [
    "BUCKET_MONTHS",
    "DEFAULT_RULES_PATH",
    "Account",
    "CurrencyRule",
    "EarningRules",
    "GroupBy",
    "GroupProfit",
    "LapseDecision",
    "ProfitabilityReport",
    "PurchaseLike",
    "ReferralCredit",
    "RulesError",
    "Thresholds",
    "TierChange",
    "TierRecompute",
    "UnknownCurrency",
    "already_applied",
    "apply_customer_update",
    "apply_purchase",
    "apply_referral_bonus",
    "apply_registration",
    "apply_segment",
    "expected_interval_days",
    "fold_old_months",
    "lapse_check",
    "load_rules",
    "mark_lapsed",
    "mark_referral_credited",
    "month_key",
    "points_for",
    "population_values",
    "profitability",
    "reassess_tier",
    "recompute_tiers",
    "referral_credit",
    "tier_for",
    "tier_thresholds",
    "to_value_currency",
    "trailing_12m_value",
    "value_month",
    "value_percentile",
    "value_year",
]
