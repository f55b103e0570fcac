"""Numbers typed without a country code, in a call center that serves the US and Iran
(CRM_PHONE_REGIONS=US,IR): where the digits are a New Yorker's and a Tehrani's number the
operator chooses, over HTTP and on the ringing phone; and the body forms of the caller
look-up and search, which keep numbers out of URLs."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.contracts import topics
from tests.support.data import unique
from tests.support.suite import TOKENS, EventStream, Suite, values

pytestmark = pytest.mark.integration

STREAM = "/api/operators/me/stream"


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("choices"), services=("registry",),
                    env={"CRM_PHONE_REGIONS": "US,IR", "CRM_CALL_WRAP_UP_S": "0"})
    await running.start()
    yield running
    await running.stop()


def national() -> tuple[str, str, str]:
    """Ten digits that are a New York number and a Tehran one: (typed, +1..., +98...)."""
    digits = f"2125{random.randrange(10**6):06d}"
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"+1{digits}", f"+98{digits}"


async def register(suite: Suite, full_name: str, phone: str, country: str) -> str:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers", json={
            "full_name": full_name, "phone": phone, "country": country})
    assert response.status_code == 201, response.text
    return str(response.json()["customer_id"])


async def two_customers(suite: Suite) -> tuple[str, str, str]:
    """A New Yorker and a Tehrani whose numbers are the same ten digits: (typed, ny, teh)."""
    typed, new_york, tehran = national()
    new_yorker = await register(suite, "John Smith", new_york, "US")
    tehrani = await register(suite, "Reza Ahmadi", tehran, "IR")
    return typed, new_yorker, tehrani


# the caller look-up -------------------------------------------------------------------------

async def test_the_body_form_finds_the_card_as_the_path_form_does(suite: Suite) -> None:
    typed, new_york, _ = national()
    customer_id = await register(suite, "John Smith", new_york, "US")
    async with suite.client("registry") as client:
        in_body = await client.post("/api/callers/lookup", json={"phone": typed})
        in_path = await client.get(f"/api/callers/{new_york}")
    assert in_body.status_code == 200, in_body.text
    assert in_body.json() == in_path.json()
    assert in_body.json()["customer_id"] == customer_id


async def test_digits_that_are_two_customers_numbers_answer_300_with_the_choices(
        suite: Suite) -> None:
    typed, new_yorker, tehrani = await two_customers(suite)
    async with suite.client("registry") as client:
        in_body = await client.post("/api/callers/lookup", json={"phone": typed})
        in_path = await client.get(f"/api/callers/{typed}")
    assert in_body.status_code == in_path.status_code == 300, in_body.text
    answer = in_body.json()
    assert answer["detail"] and "212" not in answer["detail"]
    assert answer["choices"] == [
        {"customer_id": new_yorker, "country": "US", "phone": "+1" + digits_of(typed),
         "full_name": "John Smith"},
        {"customer_id": tehrani, "country": "IR", "phone": "+98" + digits_of(typed),
         "full_name": "Reza Ahmadi"},
    ]
    assert in_path.json() == answer


async def test_the_chosen_number_opens_that_customers_card(suite: Suite) -> None:
    typed, _, tehrani = await two_customers(suite)
    async with suite.client("registry") as client:
        choices = (await client.post("/api/callers/lookup", json={"phone": typed})).json()
        [chosen] = [c for c in choices["choices"] if c["customer_id"] == tehrani]
        card = await client.post("/api/callers/lookup", json={"phone": chosen["phone"]})
    assert card.status_code == 200 and card.json()["customer_id"] == tehrani


async def test_an_analyst_gets_the_choices_without_names_or_numbers(suite: Suite) -> None:
    typed, new_yorker, tehrani = await two_customers(suite)
    async with suite.client("registry", role="analyst") as client:
        answer = await client.post("/api/callers/lookup", json={"phone": typed})
    assert answer.status_code == 300
    assert answer.json()["choices"] == [{"customer_id": new_yorker, "country": "US"},
                                        {"customer_id": tehrani, "country": "IR"}]


async def test_one_registered_reading_is_the_card_and_a_plus_number_is_never_a_choice(
        suite: Suite) -> None:
    typed, new_york, tehran = national()
    tehrani = await register(suite, "Reza Ahmadi", tehran, "IR")
    async with suite.client("registry") as client:
        only_one = await client.post("/api/callers/lookup", json={"phone": typed})
        new_yorker = await register(suite, "John Smith", new_york, "US")
        with_plus = await client.post("/api/callers/lookup", json={"phone": "+1 " + typed})
    assert only_one.status_code == 200 and only_one.json()["customer_id"] == tehrani
    assert with_plus.status_code == 200 and with_plus.json()["customer_id"] == new_yorker


@pytest.mark.parametrize("body", [{}, {"phone": ""}, {"phone": "12"}, {"phone": "9" * 65},
                                  {"phone": "+79160000000", "extra": 1}, {"phone": 79160000000}])
async def test_a_bad_look_up_body_gets_422(suite: Suite, body: dict[str, Any]) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/callers/lookup", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_an_unknown_number_in_the_body_is_404(suite: Suite) -> None:
    typed, _, _ = national()
    async with suite.client("registry") as client:
        response = await client.post("/api/callers/lookup", json={"phone": typed})
    assert response.status_code == 404


def digits_of(typed: str) -> str:
    return "".join(ch for ch in typed if ch.isdigit())


# search -----------------------------------------------------------------------------------------

async def test_search_in_the_body_answers_as_search_in_the_query_string(suite: Suite) -> None:
    typed, new_yorker, tehrani = await two_customers(suite)
    async with suite.client("registry") as client:
        in_body = await client.post("/api/customers/search", json={"q": typed, "limit": 5})
        in_query = await client.get("/api/customers", params={"q": typed, "limit": 5})
    assert in_body.status_code == 200, in_body.text
    assert in_body.json() == in_query.json()
    assert [item["customer_id"] for item in in_body.json()["items"]] == [new_yorker, tehrani]


@pytest.mark.parametrize("body", [{}, {"q": ""}, {"q": "a" * 201}, {"q": "anna", "limit": 0},
                                  {"q": "anna", "limit": 101}, {"q": "anna", "offset": -1},
                                  {"q": "anna", "sort": "name"}])
async def test_a_bad_search_body_gets_422(suite: Suite, body: dict[str, Any]) -> None:
    async with suite.client("registry") as client:
        response = await client.post("/api/customers/search", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


async def test_the_body_forms_share_the_limits_of_the_path_and_query_forms(
        suite: Suite) -> None:
    # 600 a minute, bursts of 100 per person: with a bucket each, both forms together
    # would let 200 of these through; with one, 100 and what refills meanwhile (10 a s).
    login = unique("limits")
    await suite.create_person(login, "Lena Limits")
    token = await suite.sign_in(login)
    async with suite.client_with("registry", token) as client:
        started = time.monotonic()
        looked_up = await asyncio.gather(
            *(client.post("/api/callers/lookup", json={"phone": national()[0]})
              for _ in range(120)),
            *(client.get(f"/api/callers/{national()[1]}") for _ in range(120)))
        searched = await asyncio.gather(
            *(client.post("/api/customers/search", json={"q": "nobody"}) for _ in range(120)),
            *(client.get("/api/customers", params={"q": "nobody"}) for _ in range(120)))
        refilled = 10 * (time.monotonic() - started)
    for answers in (looked_up, searched):
        through = sum(r.status_code != 429 for r in answers)
        assert through <= 100 + refilled + 1, (through, refilled)
        limited = next(r for r in answers if r.status_code == 429)
        assert int(limited.headers["retry-after"]) >= 1
    assert any(r.status_code == 429 for r in looked_up[:120])  # the body form is limited...
    assert any(r.status_code == 429 for r in looked_up[120:])  # ...and so is the path form
    assert any(r.status_code == 429 for r in searched[:120])
    assert any(r.status_code == 429 for r in searched[120:])


# the phone rings --------------------------------------------------------------------------------

async def pbx(suite: Suite, body: dict[str, Any]) -> httpx.Response:
    async with suite.client_with("registry", TOKENS["telephony"]) as client:
        response = await client.post("/api/telephony/events", json=body)
    assert response.status_code == 202, response.text
    return response


async def operator_with_extension(suite: Suite) -> tuple[str, str, str]:
    """(operator_id, token, extension) of a new operator."""
    login, extension = unique("desk"), unique("5")
    person = await suite.create_person(login, "Dana Desk", extension=extension)
    return person["operator_id"], await suite.sign_in(login), extension


async def test_a_ring_from_two_customers_number_offers_both_and_the_pick_gets_the_call(
        suite: Suite) -> None:
    typed, new_yorker, tehrani = await two_customers(suite)
    operator_id, token, extension = await operator_with_extension(suite)
    call_id = unique("call-")
    async with EventStream(suite.url("registry"), STREAM, token) as screen:
        await screen.next("ready")
        await pbx(suite, {"call_id": call_id, "event": "ringing", "from": typed,
                          "extension": extension})
        popped = await screen.next("call")
        assert (popped["card"], popped["phone"], popped["customer_id"]) == (None, None, None)
        assert [(c["customer_id"], c["full_name"], c["country"]) for c in popped["choices"]] == [
            (new_yorker, "John Smith", "US"), (tehrani, "Reza Ahmadi", "IR")]

        await pbx(suite, {"call_id": call_id, "event": "answered", "from": typed})
        await screen.next("call")
        async with suite.client_with("registry", token) as client:
            chosen = await client.post(f"/api/telephony/calls/{call_id}/caller",
                                       json={"customer_id": tehrani})
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["customer_id"] == tehrani
        shown = await screen.next("call")
        assert shown["card"]["customer_id"] == tehrani and shown["choices"] == []
        assert shown["phone"] == "+98" + digits_of(typed)

    ended = await pbx(suite, {"call_id": call_id, "event": "ended", "from": typed,
                              "duration_s": 40})
    interaction_id = ended.json()["interaction_id"]
    assert interaction_id, ended.text
    logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: any(
        v["interaction_id"] == interaction_id for v in values(records)))
    [event] = [v for v in values(logged) if v["interaction_id"] == interaction_id]
    assert (event["customer_id"], event["operator_id"]) == (tehrani, operator_id)


async def test_a_ring_nobody_chose_for_is_logged_against_neither_customer(
        suite: Suite) -> None:
    typed, _, _ = await two_customers(suite)
    _, _, extension = await operator_with_extension(suite)
    call_id = unique("call-")
    for kind in ("ringing", "answered"):
        await pbx(suite, {"call_id": call_id, "event": kind, "from": typed,
                          "extension": extension})
    ended = await pbx(suite, {"call_id": call_id, "event": "ended", "from": typed,
                              "duration_s": 40})
    assert ended.json()["logged"] is True and ended.json()["interaction_id"] is None


async def test_only_a_customer_the_call_may_be_from_can_be_picked_by_its_operator(
        suite: Suite) -> None:
    typed, new_yorker, _ = await two_customers(suite)
    _, token, extension = await operator_with_extension(suite)
    _, other_token, _ = await operator_with_extension(suite)
    stranger = await register(suite, "Olga Smirnova", "+79161234567", "RU")
    call_id = unique("call-")
    await pbx(suite, {"call_id": call_id, "event": "ringing", "from": typed,
                      "extension": extension})
    async with suite.client_with("registry", token) as client:
        not_a_choice = await client.post(f"/api/telephony/calls/{call_id}/caller",
                                         json={"customer_id": stranger})
    async with suite.client_with("registry", other_token) as client:
        not_theirs = await client.post(f"/api/telephony/calls/{call_id}/caller",
                                       json={"customer_id": new_yorker})
    assert not_a_choice.status_code == 422, not_a_choice.text
    assert not_theirs.status_code == 404, not_theirs.text
