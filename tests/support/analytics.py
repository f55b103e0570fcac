"""A small business for the analytics tests: customers in several groups, referrals, this
quarter's purchases and last year's, a lapse, survey answers; all through the suite's own
APIs and topics, the way a call center and its tills would make them."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.contracts import topics
from tests.support.data import new_phone, unique
from tests.support.suite import Suite, eventually

#: (category, source, person type, purchases this quarter in RUB)
CUSTOMERS = (
    ("vip", "friend", "individual", ("90000.00", "45000.00")),
    ("vip", "search", "company", ("120000.00",)),
    ("ordinary", "friend", "individual", ("2500.00", "1200.00")),
    ("ordinary", "social", "individual", ("3100.00",)),
    ("ordinary", "search", "individual", ("800.00",)),
    ("employee", "friend", "individual", ("1500.00",)),
)


@dataclass
class Business:
    """What was made, for the tests to check the reports against."""

    operator_id: str = ""
    customers: list[str] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)
    revenue_this_quarter: dict[str, Decimal] = field(default_factory=dict)  # by category
    answers: int = 0


async def seed(suite: Suite, operator_name: str = "Anna Petrova") -> Business:
    """Register, sell, lapse, survey; returns once loyalty and notify have it all."""
    business = Business()
    login = unique("seller")
    business.operator_id = (await suite.create_person(login, operator_name))["operator_id"]
    token = await suite.sign_in(login)
    now = datetime.now(UTC)
    async with suite.client_with("registry", token) as operator:
        referrer: str | None = None
        for category, source, person_type, amounts in CUSTOMERS:
            body: dict[str, Any] = {
                "full_name": unique("Customer "), "phone": new_phone(), "country": "RU",
                "category": category, "source": source, "person_type": person_type,
                "language": "ru"}
            if referrer and source == "friend":
                body["referred_by"] = referrer
            registered = await operator.post("/api/customers", json=body)
            assert registered.status_code == 201, registered.text
            customer_id = registered.json()["customer_id"]
            referrer = referrer or customer_id
            business.customers.append(customer_id)
            for amount in amounts:
                sold = await operator.post("/api/purchases", json={
                    "customer_id": customer_id, "amount": amount, "currency": "RUB",
                    "payment_method": "card"})
                assert sold.status_code == 202, sold.text
                business.revenue_this_quarter[category] = (
                    business.revenue_this_quarter.get(category, Decimal(0)) + Decimal(amount))
    # Two customers who bought once, long ago, and never came back: they lapse.
    for n in range(2):
        customer_id = f"c-long-ago-{uuid.uuid4().hex[:8]}"
        await suite.produce(topics.CUSTOMER_REGISTERED, json.dumps({
            "event_id": str(uuid.uuid4()), "occurred_at": (now - timedelta(days=400)).isoformat(),
            "customer_id": customer_id, "full_name": "Old Customer", "phone": new_phone(),
            "country": "RU", "person_type": "individual", "category": "ordinary",
            "source": "social", "entered_by": "self", "language": "ru"}).encode(),
            customer_id.encode())
        await suite.produce(topics.PURCHASE_RECORDED, json.dumps({
            "event_id": str(uuid.uuid4()),
            "occurred_at": (now - timedelta(days=300 + 20 * n)).isoformat(),
            "purchase_id": f"p-{customer_id}", "customer_id": customer_id,
            "amount": "5000.00", "currency": "RUB", "discounted": False,
            "payment_method": "cash"}).encode(), customer_id.encode())
        business.lapsed.append(customer_id)

    expected = sum(business.revenue_this_quarter.values(), Decimal(0)) + Decimal("10000.00")
    async with suite.client("loyalty", role="admin") as loyalty:
        async def counted() -> bool:
            report = (await loyalty.get("/api/analytics/profitability",
                                        params={"by": "category"})).json()
            return Decimal(report["total_revenue"]) >= expected

        await eventually(counted, timeout_s=60, what="loyalty counting every purchase")
        for job in ("tiers", "lapse"):
            ran = await loyalty.post(f"/api/loyalty/jobs/{job}/run")
            assert ran.status_code == 200, ran.text
    business.answers = await answer_surveys(suite, set(business.customers + business.lapsed))
    return business


async def answer_surveys(suite: Suite, customers: set[str]) -> int:
    """Reply to every survey notify sends these customers (a rating or a reason: 1-5),
    until each has answered one."""
    answered: set[str] = set()
    async with suite.client("notify", role="admin") as notify:
        async def all_answered() -> bool:
            outbox = (await notify.get("/api/outbox", params={"limit": 500})).json()
            for message in outbox["messages"]:
                who = message["customer_id"]
                if who in customers and who not in answered and message["kind"] in (
                        "quality_survey", "winback_survey", "why_us_survey"):
                    rating = str(4 + len(answered) % 2)  # 4 or 5: also a valid reason
                    reply = await notify.post("/api/sms/inbound",
                                              json={"from": message["to"], "text": rating})
                    if reply.json().get("action") == "answered":
                        answered.add(who)
            return len(answered) >= len(customers)

        await eventually(all_answered, timeout_s=60, interval_s=1,
                         what="every customer answering a survey")
    return len(answered)
