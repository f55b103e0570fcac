"""What a change to a stored customer tells the other services: ``crm.customer.updated.v1``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.contracts.events import CustomerUpdated


def customer_updated(customer_id: str, changes: Mapping[str, Any],
                     changed_by: str | None = None) -> CustomerUpdated:
    """The event for ``changes`` (field -> new value): ``changed`` names every field in it."""
    return CustomerUpdated(customer_id=customer_id, changed=sorted(changes),
                           changed_by=changed_by, **changes)
