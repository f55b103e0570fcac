"""Erasing a customer from loyalty, and what loyalty keeps about one (subject access).

The account's money stays where revenue is counted: it moves to ``erased_accounts`` under
a random id, without the card number or the customer id, so profitability and referral
revenue stay right while nothing leads back to the person. The card, the purchase
ledger, the redemptions and the thank-yous are removed; tiers are recomputed without the
customer by the next tier job.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from services.loyalty.domain.account import anonymised
from services.loyalty.repository import LoyaltyRepository, account_document
from shared.audit import AuditTrail
from shared.contracts import CustomerErased, Event
from shared.database import Document
from shared.privacy import Erased, Erasures


async def on_erased(repo: LoyaltyRepository, erasures: Erasures,
                    event: CustomerErased) -> Sequence[Event]:
    """Erase a customer: their money kept anonymised, the rest removed, the erasure noted."""
    done = Erased()
    account = await repo.account(event.customer_id)
    if account is not None:
        if account.card_number and await repo.card_owner(account.card_number) == \
                event.customer_id:
            await repo.release_card(account.card_number)
            done.remove("cards", 1)
        await repo.keep_anonymised(anonymised(account, f"erased-{uuid.uuid4().hex}"))
        done.remove("accounts", await repo.delete_account(event.customer_id))
        done.anonymise("erased_accounts", 1)
    done.remove("purchases", await repo.delete_purchases_of(event.customer_id))
    done.remove("redemptions", await repo.delete_redemptions_of(event.customer_id))
    done.remove("thank_yous", await repo.delete_thank_yous_of(event.customer_id))
    await erasures.record(event.customer_id, event.requested_by, done, event.occurred_at)
    return []


async def holdings(repo: LoyaltyRepository, audit: AuditTrail,
                   customer_id: str) -> Mapping[str, list[Document]]:
    """What loyalty keeps about a customer, collection by collection (subject access)."""
    account = await repo.account(customer_id)
    return {
        "accounts": [account_document(account)] if account else [],
        "purchases": await repo.purchases_of(customer_id),
        "redemptions": await repo.redemptions_of(customer_id, limit=10_000),
        "thank_yous": await repo.thank_yous_of(customer_id),
        "history": await audit.entries(f"customer:{customer_id}", limit=500),
    }

