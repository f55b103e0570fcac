"""Points expiry from outside: the job run on demand expires old balances and gives notice
of the ones about to expire, notify texts the notice, and a second run does nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from services.loyalty.domain import DEFAULT_RULES_PATH
from shared.contracts import topics
from tests.support.suite import Suite, eventually, values

pytestmark = pytest.mark.integration


def rules_with_expiry(workdir: Path) -> Path:
    """The shipped earning rules with points expiring after a year, a notice 14 days before."""
    rules = yaml.safe_load(Path(DEFAULT_RULES_PATH).read_text(encoding="utf-8"))
    rules["points_expiry"] = {"after_days": 365, "notice_days": 14}
    path = workdir / "loyalty-rules.yaml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    workdir = tmp_path_factory.mktemp("expiry")
    path = rules_with_expiry(workdir)
    running = Suite(workdir, services=["loyalty", "notify"],
                    env={"CRM_LOYALTY_RULES": str(path), "CRM_QUIET_HOURS": "off"})
    await running.start()
    yield running
    await running.stop()


def event(**fields: object) -> bytes:
    return json.dumps({"event_id": str(uuid.uuid4()),
                       "occurred_at": datetime.now(UTC).isoformat(), **fields}).encode()


async def test_old_points_expire_and_nearly_old_ones_get_a_notice_once(suite: Suite) -> None:
    tag = uuid.uuid4().hex[:6]
    soon, gone = f"soon-{tag}", f"gone-{tag}"
    now = datetime.now(UTC)
    for n, (customer_id, days_ago) in enumerate(((soon, 355), (gone, 370))):
        await suite.produce(topics.CUSTOMER_REGISTERED, event(
            customer_id=customer_id, full_name="Olga Petrova", phone=f"+7926555{n:04d}",
            country="RU", person_type="individual", category="ordinary", entered_by="self",
            card_number=f"card-{customer_id}"), customer_id.encode())
        await suite.produce(topics.PURCHASE_RECORDED, json.dumps({
            "event_id": str(uuid.uuid4()),
            "occurred_at": (now - timedelta(days=days_ago)).isoformat(),
            "purchase_id": f"p-{customer_id}", "customer_id": customer_id,
            "amount": "30000.00", "currency": "RUB", "discounted": False,
            "payment_method": "cash"}).encode(), customer_id.encode())
    async with suite.client("loyalty", role="admin") as admin:
        async def both_counted() -> bool:
            cards = [(await admin.get(f"/api/loyalty/cards/card-{c}")).json() for c in (soon, gone)]
            return all(card.get("points_balance") == 300 for card in cards)

        await eventually(both_counted, what="both purchases counted")
        first = (await admin.post("/api/loyalty/jobs/expiry/run")).json()
        second = (await admin.post("/api/loyalty/jobs/expiry/run")).json()
        expired_card = (await admin.get(f"/api/loyalty/cards/card-{gone}")).json()
        kept_card = (await admin.get(f"/api/loyalty/cards/card-{soon}")).json()
        history = (await admin.get("/api/loyalty/jobs/history")).json()
    assert (first["expired"], first["notices"]) == (1, 1)
    assert (second["expired"], second["notices"]) == (0, 0)
    assert (expired_card["points_balance"], kept_card["points_balance"]) == (0, 300)
    assert [e.get("job") for e in history["entries"][:2]] == ["expiry", "expiry"]

    expired = await suite.read(topics.POINTS_EXPIRED, until=lambda rs: any(
        v["customer_id"] == gone for v in values(rs)))
    assert [(v["customer_id"], v["points"], v["points_balance"]) for v in values(expired)
            if v["customer_id"] in (soon, gone)] == [(gone, 300, 0)]
    sent = await suite.read(topics.NOTIFICATION_SENT, timeout_s=30, until=lambda rs: any(
        v["customer_id"] == soon and v["kind"] == "points_expiry" for v in values(rs)))
    notices = [v for v in values(sent) if v["kind"] == "points_expiry"]
    assert [(v["customer_id"], v["status"]) for v in notices] == [(soon, "sent")]
