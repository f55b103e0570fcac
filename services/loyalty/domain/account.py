"""The loyalty account: one compact document per customer, and the purchases that change it.

Value is kept in monthly buckets keyed "YYYY-MM" (UTC calendar months, by the purchase's
own `occurred_at`), so this month, this year and the trailing twelve months are sums of
buckets and can be checked by recomputation. Buckets older than BUCKET_MONTHS are folded
away: the lifetime value is kept separately and nothing else looks that far back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Protocol, TypedDict

from pydantic import BaseModel, ConfigDict, Field, computed_field

from shared.contracts.events import CustomerRegistered, CustomerUpdated
from shared.contracts.types import PersonType, Segment, Tier

from .rules import PROFILE_FIELDS, EarningRules, points_for, to_value_currency

BUCKET_MONTHS = 25  # this month, the trailing twelve, and all of last calendar year
RECENT_IDS = 64  # ids of recently applied purchases and credits, for cheap redelivery checks
CENT = Decimal("0.01")
ZERO = Decimal(0)


class PurchaseLike(Protocol):
    """What the domain needs of a purchase; `PurchaseRecorded` satisfies it."""

    @property
    def purchase_id(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def discounted(self) -> bool: ...
    @property
    def occurred_at(self) -> datetime: ...


class Account(BaseModel):
    """A customer's loyalty account, the document the loyalty service keeps per customer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    customer_id: str
    card_number: str | None = None
    category: str = "ordinary"
    source: str | None = None
    segment: Segment | None = None
    person_type: PersonType | None = None
    referred_by: str | None = None
    points_balance: int = 0
    value_lifetime: Decimal = ZERO
    value_by_month: dict[str, Decimal] = Field(default_factory=dict)
    purchase_count: int = 0
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    tier: Tier = "standard"
    manual_tier_floor: Tier | None = None
    lapsed: bool = False
    lapsed_since: datetime | None = None
    # Contacts (crm.interaction.logged.v1): lapse counts them too (domain/lapse.py).
    first_contact_at: datetime | None = None
    last_contact_at: datetime | None = None
    referral_credited: bool = False
    # Names (never values) of the filled profile fields, for the profile bonus, and
    # whether it was credited: once per customer, whatever happens to the fields later.
    profile_fields: list[str] = Field(default_factory=list)
    profile_bonus_credited: bool = False
    # Points expiry (domain/expiry.py): the last purchase that earned points, and the
    # expiry moment a notice was last sent for (once per expiry period).
    last_earned_at: datetime | None = None
    expiry_notice_for: datetime | None = None
    recent_ids: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def average_basket(self) -> Decimal:
        """Net value per purchase (refunds included), to the cent."""
        if self.purchase_count == 0:
            return ZERO
        return (self.value_lifetime / self.purchase_count).quantize(CENT, ROUND_HALF_EVEN)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def average_interval_days(self) -> float | None:
        """Mean days between purchases; None until there are two."""
        first, last = self.first_purchase_at, self.last_purchase_at
        if self.purchase_count < 2 or first is None or last is None:
            return None
        span = (last - first).total_seconds() / 86_400
        return span / (self.purchase_count - 1)


def month_key(moment: datetime) -> str:
    """The bucket a moment falls in: its UTC calendar month as "YYYY-MM"."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def months_back(now: datetime, count: int) -> list[str]:
    """Keys of the `count` calendar months ending with the month of `now`, newest first."""
    return list(_months_back(month_key(now), count))


@lru_cache(maxsize=64)
def _months_back(key: str, count: int) -> tuple[str, ...]:
    # Cached: the periodic tier job asks this for every account with the same `now`.
    year, month = int(key[:4]), int(key[5:])
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(keys)


def value_month(account: Account, now: datetime) -> Decimal:
    """Value of the calendar month containing `now`."""
    return account.value_by_month.get(month_key(now), ZERO)


def value_year(account: Account, now: datetime) -> Decimal:
    """Value of the calendar year containing `now`."""
    year = month_key(now)[:4]
    return sum((v for k, v in account.value_by_month.items() if k[:4] == year), ZERO)


def trailing_12m_value(account: Account, now: datetime) -> Decimal:
    """Value of the month containing `now` and the eleven calendar months before it."""
    return sum((account.value_by_month.get(k, ZERO) for k in months_back(now, 12)), ZERO)


class LoyaltyFigures(TypedDict):
    """The fields of crm.loyalty.updated.v1 for one account (event id and time not included)."""

    customer_id: str
    card_number: str | None
    points_delta: int
    points_balance: int
    value_month: Decimal
    value_year: Decimal
    value_lifetime: Decimal
    tier: Tier


def loyalty_figures(account: Account, points_delta: int, now: datetime) -> LoyaltyFigures:
    """The fields of crm.loyalty.updated.v1 for this account (event id and time not included)."""
    return {
        "customer_id": account.customer_id,
        "card_number": account.card_number,
        "points_delta": points_delta,
        "points_balance": account.points_balance,
        "value_month": value_month(account, now),
        "value_year": value_year(account, now),
        "value_lifetime": account.value_lifetime,
        "tier": account.tier,
    }


def fold_old_months(account: Account, now: datetime) -> Account:
    """Drop buckets older than BUCKET_MONTHS before `now`; lifetime value is unaffected."""
    oldest = months_back(now, BUCKET_MONTHS)[-1]
    kept = {k: v for k, v in account.value_by_month.items() if k >= oldest}
    if len(kept) == len(account.value_by_month):
        return account
    return account.model_copy(update={"value_by_month": kept})


def already_applied(account: Account, applied_id: str) -> bool:
    """Whether a purchase (or credit) id is among the account's recently applied ones.

    The window is bounded (RECENT_IDS); a repository that must reject duplicates of any age
    also keeps a ledger of purchase ids with a unique index.
    """
    return applied_id in account.recent_ids


def remember(account_ids: list[str], applied_id: str) -> list[str]:
    return [*account_ids, applied_id][-RECENT_IDS:]


def apply_purchase(
    account: Account, purchase: PurchaseLike, rules: EarningRules, now: datetime,
    rate_on: datetime | None = None,
) -> tuple[Account, int]:
    """The account after one purchase or refund, and the points it earned (or took back).

    Idempotent: a purchase id already applied returns the account unchanged and 0 points.
    Points use the tier and category the customer has before this purchase. A refund changes
    value and points only: it is not a visit, so it leaves the purchase count, the purchase
    times and the lapse flag alone; a purchase newer than the last one clears it.
    Value is converted at the rate in force on the purchase's own date, or on `rate_on`
    (a refund naming its purchase: that purchase's date, so it takes back what it added).
    Raises UnknownCurrency for a currency the suite cannot value.
    """
    if already_applied(account, purchase.purchase_id):
        return account, 0
    points = points_for(
        purchase.amount,
        purchase.currency,
        purchase.discounted,
        account.tier,
        account.category,
        rules,
        purchase.occurred_at,
    )
    value = to_value_currency(
        purchase.amount, purchase.currency, rules, rate_on or purchase.occurred_at)
    key = month_key(purchase.occurred_at)
    months = dict(account.value_by_month)
    months[key] = months.get(key, ZERO) + value
    update: dict[str, object] = {
        "points_balance": account.points_balance + points,
        "value_lifetime": account.value_lifetime + value,
        "value_by_month": months,
        "recent_ids": remember(account.recent_ids, purchase.purchase_id),
    }
    if points > 0:
        earned = account.last_earned_at
        update["last_earned_at"] = (
            purchase.occurred_at if earned is None else max(earned, purchase.occurred_at))
    if purchase.amount > 0:
        at = purchase.occurred_at
        first, last = account.first_purchase_at, account.last_purchase_at
        update |= {
            "purchase_count": account.purchase_count + 1,
            "first_purchase_at": at if first is None else min(first, at),
            "last_purchase_at": at if last is None else max(last, at),
        }
        # Only a purchase newer than the one the lapse was measured from ends it; a late
        # arrival of an older purchase does not mean the customer came back.
        if last is None or at > last:
            update |= {"lapsed": False, "lapsed_since": None}
    return fold_old_months(account.model_copy(update=update), now), points


def apply_registration(account: Account | None, registered: CustomerRegistered) -> Account:
    """Copy the profile fields loyalty needs; keeps any value a purchase recorded earlier.

    Purchases and registrations travel on different topics, so a purchase may arrive first
    and open a bare account that the registration then completes.
    """
    base = account or Account(customer_id=registered.customer_id)
    filled = {f for f in PROFILE_FIELDS if getattr(registered, f, None) is not None}
    return base.model_copy(
        update={
            "profile_fields": sorted(set(base.profile_fields) | filled),
            "card_number": registered.card_number or base.card_number,
            "category": registered.category,
            "source": registered.source,
            "person_type": registered.person_type,
            "referred_by": registered.referred_by,
        }
    )


def apply_customer_update(account: Account, updated: CustomerUpdated) -> Account:
    """Apply the changed profile fields of a customer.updated event (absent fields stay)."""
    fields = ("category", "person_type", "source", "card_number")
    changes: dict[str, object] = {
        f: getattr(updated, f) for f in fields if getattr(updated, f) is not None}
    filled = set(account.profile_fields)
    for name in PROFILE_FIELDS:
        value = getattr(updated, name, None)
        if value is not None:
            filled.add(name)
        elif name in updated.changed:
            filled.discard(name)  # changed to nothing: cleared
    if sorted(filled) != account.profile_fields:
        changes["profile_fields"] = sorted(filled)
    return account.model_copy(update=changes) if changes else account


def profile_bonus(account: Account, rules: EarningRules) -> Account | None:
    """The account credited with the profile bonus, when its profile has just become
    complete; None otherwise (no bonus configured, incomplete, or credited before: a field
    removed and filled again, or a redelivery, credits nothing)."""
    bonus = rules.profile_bonus
    if account.profile_bonus_credited or bonus.points <= 0 or not bonus.fields:
        return None
    if not set(bonus.fields) <= set(account.profile_fields):
        return None
    return account.model_copy(update={
        "points_balance": account.points_balance + bonus.points,
        "profile_bonus_credited": True})


def apply_contact(account: Account, at: datetime) -> Account:
    """Record an interaction with the customer at ``at`` (first and last contact).

    Idempotent and order-free (a min and a max), so a redelivered or late interaction
    changes nothing twice. A contact does not end a lapse: only a purchase does.
    """
    first, last = account.first_contact_at, account.last_contact_at
    update = {
        "first_contact_at": at if first is None else min(first, at),
        "last_contact_at": at if last is None else max(last, at),
    }
    if first == update["first_contact_at"] and last == update["last_contact_at"]:
        return account
    return account.model_copy(update=update)


def apply_segment(account: Account, segment: Segment) -> Account:
    """Record the behavioural segment (from customer.segmented) for profitability reports."""
    return account.model_copy(update={"segment": segment})


def anonymised(account: Account, anonymous_id: str) -> Account:
    """An erased customer's account as the revenue reports keep it: its money under
    ``anonymous_id``, nothing that leads back to the person."""
    return account.model_copy(update={
        "customer_id": anonymous_id, "card_number": None, "recent_ids": [],
        "manual_tier_floor": None, "lapsed": False, "lapsed_since": None})
