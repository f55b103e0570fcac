"""The registry's pure rules: phone numbers, values, categories and the caller card.

No I/O and no framework imports beyond pydantic; the service's handlers and app wire these
to Kafka, MongoDB and HTTP.
"""

from services.registry.domain.card import CallerCard, caller_card
from services.registry.domain.card_updates import (
    MAX_LAST_INTERACTIONS,
    MAX_LAST_PURCHASES,
    apply_customer_updated,
    apply_interaction,
    apply_lapsed,
    apply_loyalty_updated,
    apply_points_redeemed,
    apply_purchase,
    apply_scored,
    apply_segmented,
    apply_survey_answered,
    apply_tier_changed,
    blank_card,
    card_from_registration,
)
from services.registry.domain.categories import (
    DEFAULT_CATEGORIES,
    Category,
    CategoryTitles,
    require_category,
)
from services.registry.domain.errors import DomainError, InvalidPhone, UnknownCategory
from services.registry.domain.policy import (
    PAYMENT_POLICY_TEXT,
    payment_policy_text,
    stricter_policy,
)
from services.registry.domain.values import new_id
from shared.phones import (
    normalize_lookup_phone,
    normalize_phone,
    phone_lookup_candidates,
    phone_lookup_readings,
)

__all__ = [
    "DEFAULT_CATEGORIES",
    "MAX_LAST_INTERACTIONS",
    "MAX_LAST_PURCHASES",
    "PAYMENT_POLICY_TEXT",
    "CallerCard",
    "Category",
    "CategoryTitles",
    "DomainError",
    "InvalidPhone",
    "UnknownCategory",
    "apply_customer_updated",
    "apply_interaction",
    "apply_lapsed",
    "apply_loyalty_updated",
    "apply_points_redeemed",
    "apply_purchase",
    "apply_scored",
    "apply_segmented",
    "apply_survey_answered",
    "apply_tier_changed",
    "blank_card",
    "caller_card",
    "card_from_registration",
    "new_id",
    "normalize_lookup_phone",
    "normalize_phone",
    "payment_policy_text",
    "phone_lookup_candidates",
    "phone_lookup_readings",
    "require_category",
    "stricter_policy",
]
