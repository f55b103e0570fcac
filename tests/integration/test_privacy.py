"""Erasure on request and subject access, against the four running services: registry
forgets at once, the others when they consume crm.customer.erased.v1, revenue totals stay,
and nothing about the customer comes back afterwards."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.contracts import topics
from tests.support.data import new_phone, unique
from tests.support.suite import TOKENS, Suite, eventually, isolated_prefix, values

pytestmark = pytest.mark.integration
MONGODB_ON_REQUEST = True  # on a MongoDB server too with CRM_TEST_MONGODB=all

SERVICES = ("registry", "scoring", "loyalty", "notify")


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                mongodb_url: str | None) -> AsyncIterator[Suite]:
    workdir = tmp_path_factory.mktemp("privacy")
    running = Suite(workdir, env={"CRM_ERASURE_SCRUB_S": "1"},
                    mongodb_url=mongodb_url,
                    database_prefix=isolated_prefix(workdir))
    await running.start()
    yield running
    await running.stop()


async def held(suite: Suite, service: str, customer_id: str) -> dict[str, Any]:
    async with suite.client(service, role="admin") as admin:
        response = await admin.get(f"/api/privacy/{customer_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def customer_with_history(suite: Suite) -> dict[str, Any]:
    """A registered customer who bought, called and has a note; known to every service."""
    phone, card = new_phone(), unique("LC")
    async with suite.client("registry") as operator:
        created = await operator.post("/api/customers", json={
            "full_name": "Zinaida Erasova", "phone": phone, "email": "zina@example.ru",
            "country": "RU", "person_type": "individual", "category": "ordinary",
            "card_number": card, "ip": "5.255.255.77", "card_holder_name": "ZINAIDA ERASOVA",
            "source": "friend"})
        assert created.status_code == 201, created.text
        customer_id = created.json()["customer_id"]
        bought = await operator.post("/api/purchases", json={
            "customer_id": customer_id, "amount": "1500.00", "currency": "RUB",
            "discounted": False, "payment_method": "card"})
        assert bought.status_code == 202, bought.text
        called = await operator.post("/api/interactions", json={
            "customer_id": customer_id, "channel": "call", "outcome": "info", "questions": 2})
        assert called.status_code == 202, called.text
        noted = await operator.post(f"/api/customers/{customer_id}/notes",
                                    json={"text": "prefers evening calls"})
        assert noted.status_code == 201, noted.text

    async def everywhere() -> bool:
        answers = [await held(suite, service, customer_id) for service in SERVICES]
        data = {a["service"]: a["data"] for a in answers}
        return bool(data["scoring"].get("scores") and data["notify"].get("recipients")
                    and data["loyalty"].get("purchases")
                    and data["registry"].get("activity"))

    await eventually(everywhere, what="the customer known to every service")
    return {"customer_id": customer_id, "phone": phone, "card": card}


async def total_revenue(suite: Suite) -> str:
    async with suite.client("loyalty", role="analyst") as analyst:
        report = await analyst.get("/api/analytics/profitability", params={"by": "category"})
    assert report.status_code == 200, report.text
    return str(report.json()["total_revenue"])


async def test_subject_access_shows_what_each_service_keeps_to_admins_only(
    suite: Suite,
) -> None:
    customer = await customer_with_history(suite)
    customer_id = customer["customer_id"]
    registry = await held(suite, "registry", customer_id)
    assert registry["erasure"] is None
    assert registry["data"]["customers"][0]["phone"] == customer["phone"]
    assert registry["data"]["notes"][0]["text"] == "prefers evening calls"
    notify = await held(suite, "notify", customer_id)
    assert notify["data"]["recipients"][0]["phone"] == customer["phone"]
    for role in ("operator", "analyst"):
        for service in SERVICES:
            async with suite.client(service, role=role) as client:
                refused = await client.get(f"/api/privacy/{customer_id}")
            assert refused.status_code == 403, (service, role)


async def test_an_erased_customer_is_gone_everywhere_and_revenue_stays(suite: Suite) -> None:
    customer = await customer_with_history(suite)
    customer_id, phone = customer["customer_id"], customer["phone"]
    revenue = await eventually(lambda: total_revenue(suite), what="revenue")

    async with suite.client("registry", role="operator") as operator:
        refused = await operator.post(f"/api/customers/{customer_id}/erasure")
        assert refused.status_code == 403
    async with suite.client("registry", role="admin") as admin:
        erased = await admin.post(f"/api/customers/{customer_id}/erasure",
                                  json={"reason": "data subject's request"})
        assert erased.status_code == 202, erased.text
        receipt = erased.json()
        assert receipt["registry"]["removed"]["customers"] == 1
        assert receipt["registry"]["removed"]["phones"] == 1
        assert receipt["registry"]["removed"]["notes"] == 1
        # At once, in registry: the card, the customer and every read of them answer 404.
        for path in (f"/api/customers/{customer_id}", f"/api/callers/{phone}",
                     f"/api/customers/{customer_id}/activity"):
            assert (await admin.get(path)).status_code == 404, path
        found = await admin.get("/api/customers", params={"q": phone})
        assert found.status_code == 200 and found.json()["total"] == 0
        again = await admin.post(f"/api/customers/{customer_id}/erasure")
        assert again.status_code == 404

    records = await suite.read(topics.CUSTOMER_ERASED, until=lambda rs: any(
        v["customer_id"] == customer_id for v in values(rs)))
    published = [v for v in values(records) if v["customer_id"] == customer_id]
    assert len(published) == 1
    assert published[0]["requested_by"] == "client:admin"
    assert phone not in json.dumps(published[0])

    async def erased_everywhere() -> bool:
        answers = [await held(suite, service, customer_id) for service in SERVICES]
        return all(a["erasure"] is not None and not a["data"].get("customers")
                   and not a["data"].get("scores") and not a["data"].get("accounts")
                   and not a["data"].get("recipients") for a in answers)

    await eventually(erased_everywhere, what="every service's erasure receipt")
    loyalty = await held(suite, "loyalty", customer_id)
    assert loyalty["erasure"]["removed"]["accounts"] == 1
    assert loyalty["erasure"]["anonymised"]["erased_accounts"] == 1
    assert loyalty["data"] == {} or set(loyalty["data"]) <= {"history"}
    assert (await held(suite, "notify", customer_id))["erasure"]["removed"]["recipients"] == 1
    assert await total_revenue(suite) == revenue  # the money stays, anonymously

    # No service's API returns the erased phone or card number any more.
    async with suite.client("loyalty", role="admin") as loyalty_admin:
        assert (await loyalty_admin.get(f"/api/loyalty/cards/{customer['card']}")
                ).status_code == 404
    async with suite.client("scoring", role="admin") as scoring_admin:
        assert (await scoring_admin.get(f"/api/scores/{customer_id}")).status_code == 404
    async with suite.client("notify", role="admin") as notify_admin:
        outbox = await notify_admin.get("/api/outbox", params={"limit": 500})
        assert phone not in outbox.text
    for service in SERVICES:
        answer = json.dumps(await held(suite, service, customer_id))
        assert phone not in answer and customer["card"] not in answer, service

    async def files_rewritten() -> bool:
        answers = [await held(suite, service, customer_id) for service in SERVICES]
        return all(a["erasure"].get("scrubbed_at") for a in answers)

    await eventually(files_rewritten, what="every service's storage rewritten")


async def test_events_about_an_erased_customer_bring_nothing_back(suite: Suite) -> None:
    customer = await customer_with_history(suite)
    customer_id = customer["customer_id"]
    async with suite.client("registry", role="admin") as admin:
        assert (await admin.post(f"/api/customers/{customer_id}/erasure")).status_code == 202

    async def loyalty_erased() -> bool:
        return (await held(suite, "loyalty", customer_id))["erasure"] is not None

    await eventually(loyalty_erased, what="loyalty's receipt")
    # A purchase still in flight (or replayed from a dead-letter topic) arrives afterwards.
    late = {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
            "purchase_id": unique("p-late-"), "customer_id": customer_id, "amount": "99.00",
            "currency": "RUB", "discounted": False, "payment_method": "card"}
    await suite.produce(topics.PURCHASE_RECORDED, json.dumps(late).encode(),
                        key=customer_id.encode())

    async def dropped() -> bool:
        async with suite.client("loyalty", role="admin") as admin:
            metrics = (await admin.get("/metrics")).text
        return any(line.startswith("crm_events_consumed_total")
                   and topics.PURCHASE_RECORDED in line and 'result="erased"' in line
                   and not line.rstrip().endswith(" 0.0") for line in metrics.splitlines())

    await eventually(dropped, what="loyalty dropping the late purchase")
    for service in ("registry", "loyalty", "scoring"):
        data = (await held(suite, service, customer_id))["data"]
        assert not (data.get("accounts") or data.get("purchases") or data.get("caller_cards")
                    or data.get("activity") or data.get("behaviour")), (service, data)


async def test_the_crm_tool_erases_and_reports_per_service(suite: Suite) -> None:
    customer = await customer_with_history(suite)
    env = dict(os.environ, CRM_ADMIN_TOKEN=TOKENS["admin"],
               **{f"CRM_{s.upper()}_URL": suite.url(s) for s in SERVICES})

    async def crm(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "shared.cli", "privacy", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode or 0, out.decode(), err.decode()

    code, exported, _ = await crm("export", customer["customer_id"])
    assert code == 0
    export = json.loads(exported)
    assert export["services"]["registry"]["data"]["customers"][0]["phone"] == customer["phone"]
    code, out, err = await crm("erase", customer["customer_id"], "--reason", "request")
    assert code == 0, err
    lines = out.splitlines()
    for service in SERVICES:
        line = next(line for line in lines if line.strip().startswith(service))
        assert "erased" in line and "client:admin" in line, line
    assert "customers 1" in next(line for line in lines if "registry" in line)
    code, report, _ = await crm("report", customer["customer_id"])
    assert code == 0 and report.count(" erased ") == 4
