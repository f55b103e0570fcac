"""An operator's thanks (crm.customer.thanked.v1): its bonus points, credited once."""

from __future__ import annotations

from datetime import datetime

from services.loyalty.domain import Account
from services.loyalty.domain.thanks import credit_thank_you
from services.loyalty.handlers.events import loyalty_updated
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import CustomerThanked, Event


async def on_thanked(repo: LoyaltyRepository, event: CustomerThanked,
                     now: datetime) -> list[Event]:
    """Credit a thank-you's bonus points once per thank_you_id: the ledger (any age) and
    the account's recent ids (the same transaction) both say whether it was applied."""
    if await repo.thank_you(event.thank_you_id) is not None:
        return []
    before = await repo.account(event.customer_id)
    account = credit_thank_you(before or Account(customer_id=event.customer_id),
                               event.thank_you_id, event.bonus_points)
    await repo.record_thank_you(event.thank_you_id, event.customer_id, event.reason,
                                event.bonus_points, event.occurred_at)
    if account is None or not event.bonus_points:
        return []
    if before is None:
        await repo.count_membership(None, account)
    await repo.save(account, before)
    return [loyalty_updated(Event.derived_id(event.event_id, "loyalty-updated"), account,
                            event.bonus_points, now)]
