"""Lapse: a customer is lapsed when they stay away much longer than they usually do.

"Away" counts purchases and contacts (interactions): a customer lapses when they have not
bought for longer than lapse_multiple x their usual interval, and the reason says whether
they still get in touch (``no_purchase``: they call or write but do not buy) or not
(``no_contact``: neither bought nor got in touch in that time). A customer who never bought
but got in touch is measured from their first contact with the default interval; on the
event, ``last_purchase_at`` (required by the contract) then carries that first contact and
``never_bought`` is true.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .account import Account
from .rules import EarningRules

SECONDS_PER_DAY = 86_400

LapseReason = Literal["no_purchase", "no_contact"]


class LapseDecision(BaseModel):
    """A customer has just lapsed; the body of customer.lapsed."""

    model_config = ConfigDict(frozen=True)

    customer_id: str
    last_purchase_at: datetime  # for a never-buyer: the first contact (see the module)
    expected_interval_days: float
    days_since: float
    reason: LapseReason
    last_contact_at: datetime | None = None
    never_bought: bool = False


def expected_interval_days(account: Account, rules: EarningRules) -> float:
    """The customer's usual interval: their own average, or the default for one-time buyers.

    The own average is never taken below min_interval_days, so two purchases on the same day
    do not make a customer lapse a few hours later.
    """
    own = account.average_interval_days
    if own is None:
        return float(rules.default_interval_days)
    return max(own, float(rules.min_interval_days))


def lapse_check(account: Account, rules: EarningRules, now: datetime) -> LapseDecision | None:
    """A LapseDecision when the customer has just lapsed, else None.

    Lapsed: the days since the last purchase (for a customer who never bought, since their
    first contact) exceed lapse_multiple x the usual interval. The reason is ``no_purchase``
    when their last contact falls within that span, else ``no_contact``. A customer with
    neither a purchase nor a contact is never lapsed. Fires once per lapse: an account
    already flagged gives None until a new purchase clears the flag (apply_purchase does),
    after which a later lapse fires again.
    """
    since = account.last_purchase_at or account.first_contact_at
    if account.lapsed or since is None:
        return None
    expected = expected_interval_days(account, rules)
    allowed = float(rules.lapse_multiple) * expected
    days_since = _days(now, since)
    if days_since <= allowed:
        return None
    contact = account.last_contact_at
    in_touch = contact is not None and _days(now, contact) <= allowed
    return LapseDecision(
        customer_id=account.customer_id,
        last_purchase_at=since,
        expected_interval_days=round(expected, 4),
        days_since=round(days_since, 4),
        reason="no_purchase" if in_touch else "no_contact",
        last_contact_at=contact,
        never_bought=account.last_purchase_at is None,
    )


def _days(now: datetime, then: datetime) -> float:
    return (now - then).total_seconds() / SECONDS_PER_DAY


def mark_lapsed(account: Account, now: datetime) -> Account:
    """The account flagged as lapsed since `now` (after a LapseDecision was published)."""
    return account.model_copy(update={"lapsed": True, "lapsed_since": now})
