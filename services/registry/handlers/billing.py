"""The payment policy a billing system applies: published when it changes.

Billing reads ``crm.customer.updated.v1``: registry combines the risk's policy (scoring)
with the category's own rule and publishes the stricter one, with what it came from,
whenever a score or a category change makes it differ from the one published last.
"""

from __future__ import annotations

from typing import Any

from services.registry.domain.card_updates import (
    PaymentPolicyChange,
    payment_policy_change,
    record_published_policy,
)
from services.registry.domain.changes import payment_policy_updated
from services.registry.repository import RegistryRepository
from shared.contracts import Event


async def billing_policy(repo: RegistryRepository, card: dict[str, Any]
                         ) -> tuple[dict[str, Any], PaymentPolicyChange | None]:
    """The card and the payment policy to publish for billing, when it changed (the
    stricter of the card's risk policy and its category's rule; see ``payment_policy_change``).
    A card whose registration has not arrived yet has no category: nothing to publish."""
    if "category" not in card:
        return card, None
    category = await repo.category(card["category"])
    change = payment_policy_change(card, category.own_payment_policy if category else "any")
    if change is None:
        return card, None
    return record_published_policy(card, change.policy), change


async def category_policy_updates(repo: RegistryRepository, customer_ids: list[str]
                                  ) -> list[Event]:
    """After a category's own rule changed: the policy updates of these of its customers
    whose combined policy changed (each card remembers what was published, so running it
    again publishes nothing twice)."""
    events: list[Event] = []
    for customer_id in customer_ids:
        card = await repo.card(customer_id)
        if card is None:
            continue
        after, change = await billing_policy(repo, card)
        if change is not None:
            await repo.save_card(after)
            events.extend(payment_policy_updated(customer_id, change))
    return events
