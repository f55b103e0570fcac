"""Use cases of operators: register a caller, change a customer, log what happened.

Each runs inside the caller's transaction and returns the events to put in the outbox.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.registry.domain import (
    apply_customer_updated,
    apply_interaction,
    apply_purchase,
    card_from_registration,
    new_id,
    require_category,
)
from services.registry.domain.changes import changed_fields, customer_updated
from services.registry.domain.errors import (
    CardNumberTaken,
    CustomerNotFound,
    PhoneTaken,
    UnknownCustomer,
    Unprocessable,
)
from services.registry.domain.purchases import sale_employee
from services.registry.handlers.billing import billing_policy
from services.registry.handlers.search import index_customer, remember_activity
from services.registry.handlers.sources import source_slug
from services.registry.repository import RegistryRepository
from shared.audit import AuditTrail, field_changes
from shared.auth import Principal
from shared.contracts import (
    CustomerRegistered,
    CustomerUpdated,
    InteractionLogged,
    PurchaseRecorded,
)
from shared.database import Document
from shared.refunds import RefundRefused, check_refund

if TYPE_CHECKING:  # the commands are the HTTP bodies; api imports these use cases at run time
    from services.registry.api.schemas import (
        CustomerPatch,
        InteractionRequest,
        PurchaseRequest,
        RegistrationRequest,
    )

#: Published for scoring (does the card holder match the name?) and never kept here: a
#: document written before this rule may still hold it, so reads leave it out too.
NOT_KEPT = frozenset({"card_holder_name"})
#: What an analyst sees of a customer: how they came and how they are classified, by id
#: only; never who they are or how to reach them (name, phone, email, IP, card numbers).
ANALYST_FIELDS = ("customer_id", "category", "person_type", "source", "country", "language",
                  "registered_at", "entered_by", "operator_id", "referred_by")


async def check_category(repo: RegistryRepository, slug: str) -> None:
    """Raise ``UnknownCategory`` listing the valid slugs unless ``slug`` exists."""
    if await repo.category(slug) is None:
        require_category(slug, await repo.all_categories())


def customer_view(document: Document, by: Principal) -> dict[str, Any]:
    """A stored customer as ``by`` may see it: the whole record to operators and admins,
    the analysts' projection (``ANALYST_FIELDS``) to anyone else."""
    view = {key: value for key, value in document.items()
            if key != "_id" and key not in NOT_KEPT}
    view["customer_id"] = document["_id"]
    registered = view.get("registered_at")
    if isinstance(registered, datetime):
        view["registered_at"] = registered.isoformat()
    if not by.sees_personal_data:
        return {key: view.get(key) for key in ANALYST_FIELDS}
    return view


def customer_document(event: CustomerRegistered) -> Document:
    """The stored customer of a registration (keyed by customer_id when written)."""
    document = event.model_dump(mode="json",
                                exclude={"event_id", "occurred_at", "customer_id", *NOT_KEPT})
    return {**document, "registered_at": event.occurred_at}


async def store_registration(repo: RegistryRepository, event: CustomerRegistered) -> None:
    """Write a registration: the customer, its unique keys, category count and card."""
    await repo.add_customer(event.customer_id, customer_document(event))
    await repo.claim_phone(event.phone, event.customer_id)
    if event.card_number:
        await repo.claim_loyalty_card(event.card_number, event.customer_id)
    await repo.count_in_category(event.category, +1)
    await repo.save_card(card_from_registration(event, await repo.card(event.customer_id)))
    await index_customer(repo, event.customer_id, event.full_name, event.email)


async def register(
    repo: RegistryRepository, audit: AuditTrail, request: RegistrationRequest, by: Principal
) -> CustomerRegistered:
    """Register a new caller typed in by an operator (or sent by a machine client).

    The whole registration is checked before any uniqueness: a conflict that could answer an
    otherwise invalid body would tell anyone with a list of numbers whose they are.
    """
    await check_category(repo, request.category)
    if request.source is not None:
        request = request.model_copy(update={"source": await source_slug(repo, request.source)})
    if request.referred_by and await repo.customer(request.referred_by) is None:
        raise UnknownCustomer("referred_by")
    owner = await repo.customer_by_phone(request.phone)
    if owner is not None:
        # Operators and admins may look the owner up anyway (rate-limited); nobody else.
        raise PhoneTaken(owner if by.sees_personal_data else None)
    if request.card_number and await repo.loyalty_card_owner(request.card_number):
        raise CardNumberTaken()
    event = request.to_event(new_id("c"), entered_by="operator", operator_id=by.operator_id)
    await store_registration(repo, event)
    await audit.record(f"customer:{event.customer_id}", "registered", by, event.occurred_at)
    return event


async def customer(repo: RegistryRepository, customer_id: str, by: Principal) -> dict[str, Any]:
    """The customer as ``by`` may see them (see ``customer_view``); ``CustomerNotFound``
    when unknown."""
    document = await repo.customer(customer_id)
    if document is None:
        raise CustomerNotFound()
    return customer_view(document, by)


async def change_customer(
    repo: RegistryRepository, audit: AuditTrail, customer_id: str, patch: CustomerPatch,
    by: Principal,
) -> tuple[dict[str, Any], CustomerUpdated | None]:
    """Apply an operator's changes; the event names only fields whose value changed and who
    changed them, and the customer's history keeps the change."""
    document = await repo.customer(customer_id)
    if document is None:
        raise CustomerNotFound()
    sent = patch.changes()
    if "source" in sent:
        sent["source"] = await source_slug(repo, sent["source"])
    changes = changed_fields(document, sent)
    if not changes:
        return customer_view(document, by), None
    if "category" in changes:
        await check_category(repo, changes["category"])
        await repo.count_in_category(document["category"], -1)
        await repo.count_in_category(changes["category"], +1)
    if "card_number" in changes:
        await _move_loyalty_card(repo, customer_id, document.get("card_number"),
                                 changes["card_number"])
    await repo.update_customer(customer_id, changes)
    if {"full_name", "email"} & changes.keys():
        after = {**document, **changes}
        await index_customer(repo, customer_id, after["full_name"], after.get("email"))
    event = customer_updated(customer_id, changes, changed_by=by.actor)
    card, policy = await billing_policy(repo, apply_customer_updated(await repo.card(customer_id),
                                                                    event))
    if policy is not None:  # a new category changed the payment policy: billing is told too
        event = event.model_copy(update={
            "changed": sorted([*changes, "payment_policy"]), "payment_policy": policy.policy,
            "payment_policy_sources": policy.sources})
    await repo.save_card(card)
    await audit.record(f"customer:{customer_id}", "changed", by, event.occurred_at,
                       field_changes(document, changes, changes))
    return customer_view({**document, **changes}, by), event


async def _move_loyalty_card(
    repo: RegistryRepository, customer_id: str, old: str | None, new: str | None
) -> None:
    if new is not None:
        owner = await repo.loyalty_card_owner(new)
        if owner is None:
            await repo.claim_loyalty_card(new, customer_id)
        elif owner != customer_id:
            raise CardNumberTaken()
    if old is not None:
        await repo.release_loyalty_card(old)


async def _require_customer(repo: RegistryRepository, customer_id: str) -> None:
    if await repo.customer(customer_id) is None:
        raise UnknownCustomer("customer_id")


async def log_interaction(
    repo: RegistryRepository, request: InteractionRequest, by: Principal
) -> InteractionLogged:
    """An operator's call or chat: on the card at once, and published for the others."""
    await _require_customer(repo, request.customer_id)
    event = request.to_event(new_id("i"), operator_id=by.operator_id)
    await repo.save_card(apply_interaction(await repo.card(event.customer_id), event))
    await remember_activity(repo, event)
    return event


async def _require_refundable(repo: RegistryRepository, request: PurchaseRequest) -> None:
    """A refund naming a purchase must fit what is left of it (shared.refunds' rule)."""
    assert request.refund_of is not None
    original = await repo.purchase_activity(request.refund_of)
    if original is None:
        raise Unprocessable("refund_of: no purchase with this id", field="refund_of")
    refunds = [row for row in await repo.activity_of(request.customer_id, "purchase")
               if row.get("refund_of") == request.refund_of]
    try:
        check_refund(request.customer_id, request.currency, request.amount,
                     original["customer_id"], original["currency"], Decimal(original["amount"]),
                     sum((-Decimal(row["amount"]) for row in refunds), Decimal(0)))
    except RefundRefused as error:
        raise Unprocessable(f"refund_of: {error}", field="refund_of") from None


async def record_purchase(
    repo: RegistryRepository, request: PurchaseRequest, by: Principal
) -> PurchaseRecorded:
    """A sale (or refund): on the card at once, and published. A person records their own
    sales (``employee_id`` is them); a machine client (a till) names the employee."""
    await _require_customer(repo, request.customer_id)
    employee_id = sale_employee(request.employee_id, by.person, by.operator_id)
    if employee_id != request.employee_id:
        request = request.model_copy(update={"employee_id": employee_id})
    if request.refund_of is not None:
        await _require_refundable(repo, request)
    event = request.to_event(new_id("p"))
    await repo.save_card(apply_purchase(await repo.card(event.customer_id), event))
    await remember_activity(repo, event)
    return event
