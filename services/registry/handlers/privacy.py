"""Erasing a customer from registry, and what registry keeps about one (subject access).

Registry erases its own copy in the request's transaction, so the caller card and the
customer are not found as soon as the request is answered; the other services follow when
they consume ``crm.customer.erased.v1``. What stays: the category's customer count drops
by one, the customer's change history (field names, who and when, never values) gains an
"erased" entry, and the receipt in ``erasures`` (see ``shared.privacy``).
"""

from __future__ import annotations

from collections.abc import Mapping

from services.registry.domain.errors import CustomerNotFound
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.clock import utc_now
from shared.contracts import CustomerErased
from shared.database import Document
from shared.privacy import Erased, Erasures


async def erase(repo: RegistryRepository, erasures: Erasures, audit: AuditTrail,
                customer_id: str, by: Principal, reason: str | None = None,
                ) -> tuple[Erased, CustomerErased]:
    """Remove everything registry keeps about the customer; the event tells the others.

    A customer erased before is not found (``CustomerNotFound``): their receipt says when
    and by whom.
    """
    document = await repo.customer(customer_id)
    if document is None:
        raise CustomerNotFound()
    phone = document.get("phone")
    done = Erased()
    if phone:
        done.remove("phones", await repo.release_phone(phone, customer_id))
    if document.get("card_number"):
        done.remove("loyalty_cards",
                    await repo.release_card_of(document["card_number"], customer_id))
    done.remove("caller_cards", await repo.delete_card(customer_id))
    done.remove("customer_search", await repo.forget_search_keys(customer_id))
    done.remove("activity", await repo.delete_activity_of(customer_id))
    done.remove("notes", await repo.delete_notes_of(customer_id))
    done.remove("thank_yous", await repo.delete_thank_yous_of(customer_id))
    done.remove("calls", await repo.delete_calls_of(customer_id, phone))
    await repo.count_in_category(document["category"], -1)
    done.remove("customers", await repo.delete_customer(customer_id))
    now = utc_now()
    await audit.record(f"customer:{customer_id}", "erased", by, now, reason=reason)
    await erasures.record(customer_id, by.actor, done, now)
    event = CustomerErased(customer_id=customer_id, requested_by=by.actor, reason=reason,
                           occurred_at=now)
    return done, event


async def holdings(repo: RegistryRepository, audit: AuditTrail,
                   customer_id: str) -> Mapping[str, list[Document]]:
    """Everything registry keeps about the customer, collection by collection."""
    customer = await repo.customer(customer_id)
    card = await repo.card(customer_id)
    found: dict[str, list[Document]] = {
        "customers": [customer] if customer else [],
        "caller_cards": [card] if card else [],
        "activity": await repo.activity_of(customer_id, None),
        "notes": await repo.notes_of(customer_id),
        "thank_yous": await repo.thank_yous_of(customer_id),
        "calls": await repo.calls_of(customer_id),
        "history": await audit.entries(f"customer:{customer_id}", limit=500),
    }
    search = await repo.search_keys_of(customer_id)
    found["customer_search"] = [search] if search else []
    return found

