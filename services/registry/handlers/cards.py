"""The caller card: kept current from events, and looked up by any notation of a number.

Subscribers are thin: each passes its event to one ``domain.card_updates`` function. Those
functions ignore older and repeated events, so a redelivery writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from services.registry.domain import (
    CallerCard,
    InvalidPhone,
    apply_interaction,
    apply_lapsed,
    apply_loyalty_updated,
    apply_points_redeemed,
    apply_purchase,
    apply_scored,
    apply_segmented,
    apply_survey_answered,
    apply_tier_changed,
    caller_card,
    phone_lookup_readings,
)
from services.registry.domain.changes import customer_updated, payment_policy_updated
from services.registry.domain.errors import NotFound, Unprocessable
from services.registry.domain.thanks import apply_notification_sent, apply_thanked
from services.registry.handlers.billing import billing_policy
from services.registry.handlers.customers import store_registration
from services.registry.handlers.search import remember_activity
from services.registry.handlers.sources import NORMALISER, known_source
from services.registry.repository import RegistryRepository
from shared.auth import Principal
from shared.contracts import (
    CustomerLapsed,
    CustomerRegistered,
    CustomerScored,
    CustomerSegmented,
    CustomerThanked,
    Event,
    InteractionLogged,
    LoyaltyUpdated,
    NotificationSent,
    PointsRedeemed,
    PurchaseRecorded,
    SurveyAnswered,
    TierChanged,
)
from shared.contracts.types import Language
from shared.errors import Rejected

E = TypeVar("E", bound=Event)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_E164_NOISE = re.compile(r"[\s()\-.]")
CardUpdate = Callable[[Mapping[str, Any] | None, E], dict[str, Any]]

#: Every topic that changes a card, and the domain function that applies it.
#: (The score has its own subscriber, ``on_scored``: it may change the payment policy.)
CARD_UPDATES: tuple[tuple[type[Event], CardUpdate[Any]], ...] = (
    (CustomerSegmented, apply_segmented),
    (LoyaltyUpdated, apply_loyalty_updated),
    (TierChanged, apply_tier_changed),
    (CustomerLapsed, apply_lapsed),
    (SurveyAnswered, apply_survey_answered),
    (InteractionLogged, apply_interaction),
    (PurchaseRecorded, apply_purchase),
    (PointsRedeemed, apply_points_redeemed),
    (CustomerThanked, apply_thanked),
    (NotificationSent, apply_notification_sent),
)


async def update_card(repo: RegistryRepository, update: CardUpdate[E], event: E) -> Sequence[Event]:
    """Apply one event to its customer's card (a blank one if the customer is not known yet)."""
    customer_id = str(event.customer_id)  # type: ignore[attr-defined]
    before = await repo.card(customer_id)
    after = update(before, event)
    if before is None or after.get("revision") != before.get("revision"):
        await repo.save_card(after)
    await remember_activity(repo, event)
    return []


async def on_scored(repo: RegistryRepository, event: CustomerScored) -> Sequence[Event]:
    """The risk section of the card; and billing told when the payment policy changes."""
    before = await repo.card(event.customer_id)
    after, change = await billing_policy(repo, apply_scored(before, event))
    if before is None or after.get("revision") != before.get("revision"):
        await repo.save_card(after)
    await remember_activity(repo, event)
    return payment_policy_updated(event.customer_id, change)


async def on_registered(repo: RegistryRepository, event: CustomerRegistered) -> Sequence[Event]:
    """Take in a registration made elsewhere (self-service, another system).

    Our own registrations come back here too and are already stored: nothing to do.
    """
    if await repo.customer(event.customer_id) is not None:
        return []
    owner = await repo.customer_by_phone(event.phone)
    if owner is not None:
        raise Rejected("phone already registered to another customer")
    if event.card_number and await repo.loyalty_card_owner(event.card_number):
        raise Rejected("loyalty card number already belongs to another customer")
    source = await known_source(repo, event.source)
    mapped = source != event.source
    if mapped:  # stored and told as the slug, so loyalty's groups follow
        event = event.model_copy(update={"source": source})
    await store_registration(repo, event)
    # A score that overtook this registration had no category to combine with.
    card, change = await billing_policy(repo, await repo.card(event.customer_id) or {})
    if change is not None:
        await repo.save_card(card)
    told: list[Event] = [customer_updated(event.customer_id, {"source": source},
                                          changed_by=NORMALISER)] if mapped else []
    return [*told, *payment_policy_updated(event.customer_id, change)]


class SeveralCallers(Exception):
    """A number typed without a country code reads as the numbers of several customers.

    Not a refusal: the operator chooses (``caller_choices``), then looks the chosen number
    up in full. ``customer_ids`` come most likely reading first.
    """

    def __init__(self, customer_ids: Sequence[str]) -> None:
        super().__init__("this number may be any of several customers'; choose one")
        self.message = str(self)
        self.customer_ids = list(customer_ids)


async def look_up_caller(
    repo: RegistryRepository, phone: str, regions: Sequence[str] | str,
    language: Language = "en",
) -> CallerCard:
    """The card of the caller with this number, typed in any common notation.

    A number written in full international form (what telephony passes on) is tried as
    typed before any parsing: a registered key is a valid E.164 number, so the parse would
    only confirm it. Otherwise every reading in the call center's ``regions`` is looked up,
    and ``SeveralCallers`` is raised when they belong to different customers.
    """
    compact = _E164_NOISE.sub("", phone)
    customer_id = await repo.customer_by_phone(compact) if _E164.match(compact) else None
    if customer_id is None:
        owners = await registered_readings(repo, _readings(phone, regions))
        if len(owners) > 1:
            raise SeveralCallers(list(owners))
        customer_id = next(iter(owners), None)
    document = await repo.card(customer_id) if customer_id else None
    if document is None or "full_name" not in document:
        raise NotFound("no customer with this phone number")
    return caller_card(document, await repo.category(document["category"]), language)


def _readings(phone: str, regions: Sequence[str] | str) -> list[str]:
    """Every reading of a typed number; refused (``Unprocessable``) when it is no phone number
    at all."""
    try:
        readings = list(phone_lookup_readings(phone, regions))
    except InvalidPhone as error:
        raise Unprocessable(str(error), field="phone") from None
    if not readings:
        raise Unprocessable("not a valid phone number in any common notation", field="phone")
    return readings


async def registered_readings(repo: RegistryRepository, readings: Iterable[str]
                              ) -> dict[str, str]:
    """The customers registered with any of these E.164 readings: customer_id -> its
    number, most likely reading first. All are looked up (a reading or two per configured
    region): stopping at the first would pick for the operator."""
    owners: dict[str, str] = {}
    for e164 in readings:
        customer_id = await repo.customer_by_phone(e164)
        if customer_id is not None:
            owners.setdefault(customer_id, e164)
    return owners


async def caller_choices(repo: RegistryRepository, customer_ids: Sequence[str],
                         by: Principal | None = None) -> list[dict[str, Any]]:
    """What an operator chooses between: each customer's id, number (E.164), name and
    country. ``by`` an analyst: by id and country only, as every analyst read (``None``:
    the operator whose phone rings)."""
    documents = await repo.customers_by_id(list(customer_ids))
    personal = by is None or by.sees_personal_data
    return [{"customer_id": customer_id, "country": document.get("country"),
             **({"phone": document.get("phone"), "full_name": document.get("full_name")}
                if personal else {})}
            for customer_id, document in documents.items()]
