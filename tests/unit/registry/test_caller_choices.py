"""A number typed without a country code is read in the call center's regions only, and
when its readings are different customers' numbers the operator chooses: the look-up, the
ringing phone and search, against the stand-in database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.registry import handlers
from services.registry.domain.calls import CallEvent
from services.registry.domain.errors import NotFound, Unprocessable
from services.registry.handlers import search, telephony
from services.registry.handlers.cards import SeveralCallers, caller_choices
from services.registry.repository import RegistryRepository
from shared.auth import Principal, Role
from shared.contracts import InteractionLogged
from tests.unit.registry.conftest import OPERATOR, audit, registration

NEW_YORK, TEHRAN = "+12125550123", "+982125550123"
TYPED = "(212) 555-0123"
ANALYST = Principal(Role.ANALYST, "op-analyst1", person=True, display_name="Ann Analyst")
OTHER_OPERATOR = Principal(Role.OPERATOR, "op-other123", person=True, display_name="Reza")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


async def new_yorker_and_tehrani(repo: RegistryRepository) -> tuple[str, str]:
    new_yorker = await handlers.register(repo, audit(repo), registration(
        full_name="John Smith", phone=NEW_YORK, country="US"), OPERATOR)
    tehrani = await handlers.register(repo, audit(repo), registration(
        full_name="Reza Ahmadi", phone=TEHRAN, country="IR"), OPERATOR)
    return new_yorker.customer_id, tehrani.customer_id


# the look-up --------------------------------------------------------------------------------

async def test_a_number_that_is_two_customers_numbers_in_the_regions_is_not_picked(
        repo: RegistryRepository) -> None:
    new_yorker, tehrani = await new_yorker_and_tehrani(repo)
    with pytest.raises(SeveralCallers) as several:
        await handlers.look_up_caller(repo, TYPED, ("US", "IR"))
    assert several.value.customer_ids == [new_yorker, tehrani]
    assert "212" not in str(several.value)


async def test_with_the_regions_russia_and_the_us_it_is_the_new_yorker(
        repo: RegistryRepository) -> None:
    new_yorker, _ = await new_yorker_and_tehrani(repo)
    card = await handlers.look_up_caller(repo, "2125550123", ("RU", "US"))
    assert card.customer_id == new_yorker


async def test_with_iran_only_it_is_the_tehrani(repo: RegistryRepository) -> None:
    _, tehrani = await new_yorker_and_tehrani(repo)
    card = await handlers.look_up_caller(repo, "2125550123", ("IR",))
    assert card.customer_id == tehrani


async def test_outside_the_regions_the_other_country_is_not_tried(
        repo: RegistryRepository) -> None:
    await handlers.register(repo, audit(repo), registration(
        full_name="Reza Ahmadi", phone=TEHRAN, country="IR"), OPERATOR)
    with pytest.raises(NotFound):
        await handlers.look_up_caller(repo, "2125550123", ("US",))


async def test_one_registered_reading_among_several_is_the_card_without_a_choice(
        repo: RegistryRepository) -> None:
    tehrani = await handlers.register(repo, audit(repo), registration(
        full_name="Reza Ahmadi", phone=TEHRAN, country="IR"), OPERATOR)
    card = await handlers.look_up_caller(repo, TYPED, ("US", "IR"))
    assert card.customer_id == tehrani.customer_id


async def test_a_number_with_its_country_code_is_never_a_choice(
        repo: RegistryRepository) -> None:
    new_yorker, _ = await new_yorker_and_tehrani(repo)
    card = await handlers.look_up_caller(repo, "+1 212 555 0123", ("US", "IR"))
    assert card.customer_id == new_yorker


async def test_the_choices_name_each_customer_to_an_operator(
        repo: RegistryRepository) -> None:
    new_yorker, tehrani = await new_yorker_and_tehrani(repo)
    assert await caller_choices(repo, [new_yorker, tehrani], OPERATOR) == [
        {"customer_id": new_yorker, "phone": NEW_YORK, "full_name": "John Smith",
         "country": "US"},
        {"customer_id": tehrani, "phone": TEHRAN, "full_name": "Reza Ahmadi",
         "country": "IR"},
    ]


async def test_an_analyst_gets_the_choices_by_id_and_country_only(
        repo: RegistryRepository) -> None:
    new_yorker, tehrani = await new_yorker_and_tehrani(repo)
    assert await caller_choices(repo, [new_yorker, tehrani], ANALYST) == [
        {"customer_id": new_yorker, "country": "US"},
        {"customer_id": tehrani, "country": "IR"},
    ]


# search ---------------------------------------------------------------------------------------

async def test_search_lists_every_registered_reading_in_the_regions(
        repo: RegistryRepository) -> None:
    new_yorker, tehrani = await new_yorker_and_tehrani(repo)
    both = await search.search(repo, TYPED, ("US", "IR"), offset=0, limit=20)
    only_iran = await search.search(repo, TYPED, ("IR",), offset=0, limit=20)
    assert [(item["customer_id"], item["matched"]) for item in both["items"]] == [
        (new_yorker, "phone"), (tehrani, "phone")]
    assert [item["customer_id"] for item in only_iran["items"]] == [tehrani]


# the phone rings ----------------------------------------------------------------------------

def call_event(event: str, call_id: str = "call-1") -> CallEvent:
    return CallEvent.model_validate({"call_id": call_id, "event": event, "from": TYPED,
                                     "extension": "101"})


async def ring(repo: RegistryRepository, *events: str, call_id: str = "call-1",
               watched: bool = True) -> telephony.CallUpdate:
    if await repo.extension_owner("101") is None:
        await repo.claim_extension("101", OPERATOR.operator_id)
    update = telephony.CallUpdate(None, [])
    for step, event in enumerate(events):
        update = await telephony.on_call_event(
            repo, call_event(event, call_id), ("US", "IR"), NOW + timedelta(seconds=step),
            wrap_up_s=10, watched=lambda _: watched)
    return update


async def test_a_ringing_number_of_two_customers_is_nobodys_and_offers_both(
        repo: RegistryRepository) -> None:
    new_yorker, tehrani = await new_yorker_and_tehrani(repo)
    call = (await ring(repo, "ringing")).call
    assert call is not None
    assert (call.customer_id, call.phone, call.choices) == (None, None, (new_yorker, tehrani))


async def test_an_unchosen_call_of_two_customers_is_logged_against_neither(
        repo: RegistryRepository) -> None:
    await new_yorker_and_tehrani(repo)
    update = await ring(repo, "ringing", "answered", "ended", watched=False)
    assert update.call is not None and update.call.logged
    assert update.events == []


async def test_the_operators_pick_makes_the_call_that_customers(
        repo: RegistryRepository) -> None:
    _, tehrani = await new_yorker_and_tehrani(repo)
    await ring(repo, "ringing", "answered")
    chosen = await telephony.choose_caller(repo, "call-1", tehrani, OPERATOR)
    assert chosen.call is not None
    assert (chosen.call.customer_id, chosen.call.phone) == (tehrani, TEHRAN)
    ended = await ring(repo, "ended", watched=False)
    assert len(ended.events) == 1
    assert [event.customer_id for event in ended.events
            if isinstance(event, InteractionLogged)] == [tehrani]


async def test_only_a_customer_the_call_may_be_from_can_be_picked(
        repo: RegistryRepository) -> None:
    await new_yorker_and_tehrani(repo)
    stranger = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    await ring(repo, "ringing")
    with pytest.raises(Unprocessable):
        await telephony.choose_caller(repo, "call-1", stranger.customer_id, OPERATOR)


async def test_only_the_operator_the_call_rings_for_can_pick(
        repo: RegistryRepository) -> None:
    new_yorker, _ = await new_yorker_and_tehrani(repo)
    await ring(repo, "ringing")
    with pytest.raises(NotFound):
        await telephony.choose_caller(repo, "call-1", new_yorker, OTHER_OPERATOR)


async def test_erasing_one_of_the_customers_removes_the_call_that_offered_them(
        repo: RegistryRepository) -> None:
    _, tehrani = await new_yorker_and_tehrani(repo)
    await ring(repo, "ringing")
    assert await repo.delete_calls_of(tehrani, TEHRAN) == 1
    assert await repo.call("call-1") is None
