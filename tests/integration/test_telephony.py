"""The phone rings and the card is on the operator's screen: the PBX's webhook, the
operator's event stream, the call logged on hang-up, against the running suite. Also what
an operator reaches for during a call: search, notes and the full history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from shared.contracts import topics
from tests.support.data import new_phone, unique
from tests.support.suite import TOKENS, EventStream, Suite, values

pytestmark = pytest.mark.integration

STREAM = "/api/operators/me/stream"


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("telephony"), services=("registry",),
                    env={"CRM_CARD_LOOKUPS_PER_MINUTE": "600", "CRM_CALL_WRAP_UP_S": "2"})
    await running.start()
    yield running
    await running.stop()


def russian_notation(e164: str) -> str:
    """``+79161234567`` as an operator or a PBX might give it: ``8 (916) 123-45-67``."""
    digits = e164[2:]
    return f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


async def person(suite: Suite, name: str, extension: str | None = None) -> tuple[str, str]:
    """A new operator (with ``extension``) signed in: (operator_id, token)."""
    login = unique(name.split()[0].lower())
    fields: dict[str, Any] = {"extension": extension} if extension else {}
    created = await suite.create_person(login, name, **fields)
    return created["operator_id"], await suite.sign_in(login)


async def pbx(suite: Suite, body: dict[str, Any], token: str | None = TOKENS["telephony"]
              ) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=suite.url("registry"), headers=headers) as client:
        return await client.post("/api/telephony/events", json=body)


async def register(suite: Suite, token: str, **fields: Any) -> dict[str, Any]:
    async with suite.client_with("registry", token) as client:
        response = await client.post("/api/customers", json={"country": "RU", **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def stream(suite: Suite, token: str, **params: str) -> EventStream:
    return EventStream(suite.url("registry"), STREAM, token, params)


async def test_a_ring_pops_the_card_on_every_screen_of_that_operator_and_no_one_elses(
        suite: Suite) -> None:
    extension, other_extension = unique("1"), unique("2")
    anna_id, anna = await person(suite, "Anna Petrova", extension)
    _, reza = await person(suite, "Reza Ahmadi", other_extension)
    phone = new_phone()
    customer = await register(suite, anna, full_name="Ольга Смирнова", phone=phone)
    call_id = unique("call-")

    # Two tabs of Anna's (one with the token in the header, one as EventSource sends it),
    # and Reza's screen.
    async with stream(suite, anna) as tab, \
            EventStream(suite.url("registry"), STREAM, params={"access_token": anna,
                                                               "lang": "ru"}) as second_tab, \
            stream(suite, reza) as other:
        assert (await tab.next("ready"))["extension"] == extension
        await second_tab.next("ready")
        await other.next("ready")
        rang = await pbx(suite, {"call_id": call_id, "event": "ringing",
                                 "from": russian_notation(phone), "extension": extension})
        assert rang.status_code == 202, rang.text
        assert rang.json()["screens"] == 2

        popped = await tab.next("call")
        assert (popped["call_id"], popped["state"], popped["phone"]) == (call_id, "ringing", phone)
        assert popped["card"]["customer_id"] == customer["customer_id"]
        assert popped["card"]["full_name"] == "Ольга Смирнова"
        assert (await second_tab.next("call"))["card"]["customer_id"] == customer["customer_id"]
        assert await other.quiet("call", 1.0), "a ring for Anna reached Reza's screen"

        again = await pbx(suite, {"call_id": call_id, "event": "ringing", "from": phone,
                                  "extension": extension})
        assert again.json()["changed"] is False  # a repeated event is a no-op
        answered = await pbx(suite, {"call_id": call_id, "event": "answered", "from": phone})
        assert answered.json()["state"] == "answered"
        assert (await tab.next("call"))["state"] == "answered"

        ended = await pbx(suite, {"call_id": call_id, "event": "ended", "from": phone,
                                  "duration_s": 95})
        assert ended.status_code == 202, ended.text
        assert ended.json()["logged"] is False  # after-call work: Anna gives the outcome
        closing = await tab.next("call")
        assert closing["state"] == "ended" and closing["duration_s"] == 95
        assert closing["wrap_up_until"] and not closing["logged"]
        async with suite.client_with("registry", anna) as client:
            chosen = await client.post(f"/api/telephony/calls/{call_id}/outcome",
                                       json={"outcome": "complaint"})
            again_chosen = await client.post(f"/api/telephony/calls/{call_id}/outcome",
                                             json={"outcome": "purchase"})
        assert chosen.status_code == 200 and chosen.json()["logged"] is True, chosen.text
        assert again_chosen.status_code == 409  # logged once; a new interaction adds to it
        assert (await tab.next("call"))["logged"] is True
        assert await other.quiet("call", 0.3)

    interaction_id = chosen.json()["interaction_id"]
    logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: any(
        v["interaction_id"] == interaction_id for v in values(records)))
    [event] = [v for v in values(logged) if v["interaction_id"] == interaction_id]
    assert event["customer_id"] == customer["customer_id"]
    assert (event["channel"], event["duration_s"], event["operator_id"]) == ("call", 95, anna_id)
    assert event["outcome"] == "complaint"

    # A repeated hang-up logs nothing more.
    repeat = await pbx(suite, {"call_id": call_id, "event": "ended", "from": phone,
                               "duration_s": 95})
    assert repeat.json()["changed"] is False
    again_logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: False, 1)
    assert sum(v.get("interaction_id") == interaction_id for v in values(again_logged)) == 1


async def test_after_call_work_that_runs_out_logs_the_call_as_info_and_no_screen_means_at_once(
        suite: Suite) -> None:
    extension = unique("8")
    operator_id, token = await person(suite, "Leila Nazari", extension)
    customer = await register(suite, token, full_name="Roman Zuev", phone=new_phone())
    watched, unwatched = unique("call-"), unique("call-")
    async with stream(suite, token) as screen:
        await screen.next("ready")
        for kind in ("ringing", "answered", "ended"):
            await pbx(suite, {"call_id": watched, "event": kind, "from": customer["phone"],
                              "extension": extension})
        ended = await screen.next("call")
        while ended["state"] != "ended":
            ended = await screen.next("call")
        assert not ended["logged"]
        timed_out = await screen.next("call", timeout_s=10)
    assert timed_out["logged"] is True and timed_out["outcome"] == "info"

    for kind in ("ringing", "answered"):
        await pbx(suite, {"call_id": unwatched, "event": kind, "from": customer["phone"],
                          "extension": extension})
    at_once = await pbx(suite, {"call_id": unwatched, "event": "ended",
                                "from": customer["phone"], "duration_s": 30})
    assert at_once.json()["logged"] is True and at_once.json()["interaction_id"]

    ids = {timed_out["interaction_id"], at_once.json()["interaction_id"]}
    logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: ids <= {
        v["interaction_id"] for v in values(records)})
    mine = [v for v in values(logged) if v["interaction_id"] in ids]
    assert sorted(v["outcome"] for v in mine) == ["info", "info"]
    assert {v["operator_id"] for v in mine} == {operator_id}


async def test_an_unknown_number_pops_the_registration_and_the_call_is_logged_for_the_new_customer(
        suite: Suite) -> None:
    extension = unique("3")
    operator_id, token = await person(suite, "Maria Karimi", extension)
    phone, call_id = new_phone(), unique("call-")
    async with stream(suite, token, lang="fa") as screen:
        await screen.next("ready")
        await pbx(suite, {"call_id": call_id, "event": "ringing", "from": phone,
                          "extension": extension})
        popped = await screen.next("call")
    assert popped["card"] is None and popped["phone"] == phone

    await pbx(suite, {"call_id": call_id, "event": "answered", "from": phone})
    async with suite.client_with("registry", token) as client:
        chosen = await client.post(f"/api/telephony/calls/{call_id}/outcome",
                                   json={"outcome": "purchase"})
    assert chosen.status_code == 200, chosen.text
    customer = await register(suite, token, full_name="Sara Mohammadi", phone=phone)
    ended = await pbx(suite, {"call_id": call_id, "event": "ended", "from": phone})
    interaction_id = ended.json()["interaction_id"]
    assert interaction_id, ended.text

    logged = await suite.read(topics.INTERACTION_LOGGED, lambda records: any(
        v["interaction_id"] == interaction_id for v in values(records)))
    [event] = [v for v in values(logged) if v["interaction_id"] == interaction_id]
    assert (event["customer_id"], event["operator_id"], event["outcome"]) == (
        customer["customer_id"], operator_id, "purchase")
    async with suite.client_with("registry", token) as client:
        late = await client.post(f"/api/telephony/calls/{call_id}/outcome",
                                 json={"outcome": "complaint"})
        activity = (await client.get(
            f"/api/customers/{customer['customer_id']}/activity")).json()
    assert late.status_code == 409
    assert [item["interaction_id"] for item in activity["items"]] == [interaction_id]


async def test_a_screen_that_connects_while_the_phone_rings_gets_the_call(suite: Suite) -> None:
    extension = unique("4")
    _, token = await person(suite, "Ivan Sokolov", extension)
    call_id = unique("call-")
    await pbx(suite, {"call_id": call_id, "event": "ringing", "from": new_phone(),
                      "extension": extension})
    async with stream(suite, token) as reconnected:
        await reconnected.next("ready")
        replayed = await reconnected.next("call")
    assert (replayed["call_id"], replayed["state"]) == (call_id, "ringing")


async def test_call_events_refuse_what_is_wrong_and_never_pop_elsewhere(suite: Suite) -> None:
    extension = unique("5")
    await person(suite, "Olga Nikitina", extension)  # her screen is not open
    _, bystander = await person(suite, "Petr Orlov", unique("6"))
    phone = new_phone()
    ring = {"call_id": unique("call-"), "event": "ringing", "from": phone, "extension": extension}

    assert (await pbx(suite, ring, token="wrong-token")).status_code == 401
    assert (await pbx(suite, ring, token=None)).status_code == 401
    assert (await pbx(suite, ring, token=TOKENS["operator"])).status_code == 403
    assert (await pbx(suite, ring, token=TOKENS["admin"])).status_code == 202  # by hand
    for bad in ({**ring, "extension": None}, {**ring, "event": "transferred"},
                {**ring, "call_id": "$where"}, {**ring, "from": ""},
                {**ring, "duration_s": -3}, {"event": "ringing"}):
        response = await pbx(suite, bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"]

    async with stream(suite, bystander) as screen:
        await screen.next("ready")
        free = await pbx(suite, {**ring, "call_id": unique("call-"), "extension": "9999999"})
        assert free.status_code == 202 and free.json()["screens"] == 0
        hidden = await pbx(suite, {**ring, "call_id": unique("call-"), "from": "anonymous"})
        assert hidden.status_code == 202 and hidden.json()["screens"] == 0  # Olga's not open
        first_ended = await pbx(suite, {"call_id": unique("call-"), "event": "ended",
                                        "from": phone, "extension": extension})
        assert first_ended.status_code == 202
        assert first_ended.json()["interaction_id"] is None  # unanswered, unknown caller
        assert await screen.quiet("call", 0.5)

    async with suite.client_with("registry", bystander) as other:
        stolen = await other.post(f"/api/telephony/calls/{ring['call_id']}/outcome",
                                  json={"outcome": "complaint"})
    assert stolen.status_code == 404

    for token_given, status in ((None, 401), ("not-a-token", 401), (TOKENS["operator"], 403)):
        async with EventStream(suite.url("registry"), STREAM, token_given) as refused:
            assert refused.status == status, refused.error


async def test_search_finds_customers_by_any_part_of_what_the_operator_knows(
        suite: Suite) -> None:
    _, token = await person(suite, "Elena Volkova")
    marker = uuid.uuid4().hex[:5]
    email = f"k.{marker}@example.org"
    first = await register(suite, token, full_name="Ксения Бородина", phone=new_phone(),
                           email=email)
    second = await register(suite, token, full_name="Ксения Бородулина", phone=new_phone())
    persian = await register(suite, token, full_name="محمد رضایی", phone=new_phone())
    card_number = f"77{uuid.uuid4().int % 10**8:08d}"
    carded = await register(suite, token, full_name="Oleg Tarasov", phone=new_phone(),
                            card_number=card_number)

    async with suite.client_with("registry", token) as client:
        async def found(q: str, **params: Any) -> dict[str, Any]:
            response = await client.get("/api/customers", params={"q": q, **params})
            assert response.status_code == 200, response.text
            return dict(response.json())

        def ids(result: dict[str, Any]) -> list[str]:
            return [item["customer_id"] for item in result["items"]]

        by_part = await found("Бород")
        assert {first["customer_id"], second["customer_id"]} <= set(ids(by_part))
        assert ids(await found("Бородин"))[0] == first["customer_id"]
        assert first["customer_id"] in ids(await found("ksenia borodina"))  # transliterated
        assert persian["customer_id"] in ids(await found("Mohammad Rezaei"))
        assert ids(await found(email.upper())) == [first["customer_id"]]
        assert ids(await found(card_number)) == [carded["customer_id"]]
        assert ids(await found(russian_notation(carded["phone"]))) == [carded["customer_id"]]
        assert ids(await found(carded["customer_id"])) == [carded["customer_id"]]

        paged = await found("Бород", limit=1)
        assert len(paged["items"]) == 1 and paged["more"] is True
        rest = await found("Бород", limit=1, offset=1)
        assert ids(rest) != ids(paged)

        assert (await client.get("/api/customers", params={"q": "  "})).status_code == 422
        assert (await client.get("/api/customers", params={"q": "x" * 201})).status_code == 422
        assert (await found("$where"))["items"] == []
    async with suite.client("registry", role="analyst") as analyst:
        assert (await analyst.get("/api/customers", params={"q": "Бород"})).status_code == 403


async def test_notes_and_the_whole_history_of_a_customer(suite: Suite) -> None:
    operator_id, token = await person(suite, "Nina Belova")
    customer = await register(suite, token, full_name="Pavel Gromov", phone=new_phone())
    customer_id = customer["customer_id"]
    async with suite.client_with("registry", token) as client:
        for number in range(7):
            logged = await client.post("/api/interactions", json={
                "customer_id": customer_id, "channel": "call", "outcome": "info",
                "questions": number})
            assert logged.status_code == 202
        for text in ("Prefers calls after 6 pm", "Asked about the spring catalogue",
                     "Call back on Monday", "Wants the invoice by email"):
            note = await client.post(f"/api/customers/{customer_id}/notes", json={"text": text})
            assert note.status_code == 201, note.text
        assert note.json()["by"] == operator_id and note.json()["by_name"] == "Nina Belova"
        card = (await client.get(f"/api/callers/{customer['phone']}")).json()
        notes = (await client.get(f"/api/customers/{customer_id}/notes",
                                  params={"limit": 2, "offset": 2})).json()
        history = (await client.get(f"/api/customers/{customer_id}/activity",
                                    params={"limit": 5})).json()
        older = (await client.get(f"/api/customers/{customer_id}/activity",
                                  params={"limit": 5, "offset": 5})).json()
        too_long = await client.post(f"/api/customers/{customer_id}/notes",
                                     json={"text": "x" * 2001})
        nobody = await client.post("/api/customers/c-0/notes", json={"text": "hello"})

    assert [n["text"] for n in card["notes"]] == [
        "Wants the invoice by email", "Call back on Monday", "Asked about the spring catalogue"]
    assert len(card["last_interactions"]) == 5
    assert notes["total"] == 4 and [n["text"] for n in notes["items"]] == [
        "Asked about the spring catalogue", "Prefers calls after 6 pm"]
    assert history["total"] == 7 and history["more"] is True
    assert [item["questions"] for item in history["items"] + older["items"]] == [
        6, 5, 4, 3, 2, 1, 0]
    assert too_long.status_code == 422 and nobody.status_code == 404


async def test_disabling_a_person_ends_their_screens_at_once(suite: Suite) -> None:
    operator_id, token = await person(suite, "Timur Galiev", unique("7"))
    async with stream(suite, token) as screen:
        await screen.next("ready")
        async with suite.client("registry", role="admin") as admin:
            disabled = await admin.patch(f"/api/operators/{operator_id}",
                                         json={"active": False})
        assert disabled.status_code == 200, disabled.text
        await screen.next("closed")
    async with stream(suite, token) as again:
        assert again.status == 401
