"""What a change to a stored customer is, and what it tells the other services
(``crm.customer.updated.v1``): one builder for every such update."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.registry.domain.card_updates import PaymentPolicyChange
from shared.contracts.events import CustomerUpdated


def customer_updated(customer_id: str, changes: Mapping[str, Any],
                     changed_by: str | None = None) -> CustomerUpdated:
    """The event for ``changes`` (field -> new value): ``changed`` names every field in it."""
    return CustomerUpdated(customer_id=customer_id, changed=sorted(changes),
                           changed_by=changed_by, **changes)


def payment_policy_updated(customer_id: str, change: PaymentPolicyChange | None
                           ) -> list[CustomerUpdated]:
    """The update telling billing a customer's new payment policy; none without a change."""
    if change is None:
        return []
    return [CustomerUpdated(customer_id=customer_id, changed=["payment_policy"],
                            payment_policy=change.policy, payment_policy_sources=change.sources)]


def changed_fields(stored: Mapping[str, Any], sent: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``sent`` whose value differs from the stored one (what really changes)."""
    return {name: value for name, value in sent.items() if stored.get(name) != value}
