"""Load a realistic year into a running suite: customers, referrals, purchases, interactions.

    python -m scripts.demo [--customers 3000] [--seed 1]
                           [--registry-url http://127.0.0.1:8000]
                           [--loyalty-url http://127.0.0.1:8002]

A floor of operators with names in three languages is created first (with the admin
client token) and each signs in as themselves; customers are registered and calls logged
through registry's HTTP API by an operator who speaks the customer's language; a year of
purchases is published straight to Kafka (``crm.purchase.recorded.v1``, as a POS system
would) with those operators as employees; then the tier and lapse jobs run and the
analytics are printed. Seeded: the same seed gives the same story.

The operators' password is ``CRM_DEMO_PASSWORD`` (default below): sign in to the panel as
any of them to see the floor from their seat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import phonenumbers
from aiokafka import AIOKafkaProducer
from faker import Faker

from services.loyalty.domain import load_rules, to_value_currency
from shared.contracts import CustomerUpdated, Event, PurchaseRecorded
from shared.currencies import for_people

LOCALES = {"RU": ("ru_RU", "ru", "RUB", "+7916"), "IR": ("fa_IR", "fa", "IRR", "+98912"),
           "US": ("en_US", "en", "USD", "+1646")}
COUNTRY_WEIGHTS = {"RU": 6, "IR": 3, "US": 1}
#: Slugs from registry's list of sources (GET /api/sources), as the panel sends them.
SOURCES = {"friend": 3, "search": 4, "social": 4, "advertising": 2, "walk_in": 1, "partner": 1}
CATEGORIES = {"ordinary": 85, "vip": 5, "problematic": 4, "employee": 6}
BASKET = {"RUB": (2_500, 0.8), "USD": (40, 0.8), "IRR": (15_000_000, 0.8)}  # median, sigma
CATEGORY_BASKET = {"vip": 3.0, "employee": 0.7, "problematic": 0.8}
DEMO_PASSWORD = "a demo password for the floor"  # noqa: S105 (a development value)

#: The floor: login, display name, the name in other scripts, languages, extension.
STAFF = (
    ("demo.apetrova", "Anna Petrova", {"ru": "Анна Петрова"}, ["ru", "en"], "1101"),
    ("demo.isokolov", "Ivan Sokolov", {"ru": "Иван Соколов"}, ["ru"], "1102"),
    ("demo.rahmadi", "Reza Ahmadi", {"fa": "رضا احمدی"}, ["fa", "en"], "1103"),
    ("demo.mkarimi", "Maryam Karimi", {"fa": "مریم کریمی"}, ["fa"], "1104"),
    ("demo.jmiller", "Jane Miller", {}, ["en"], "1105"),
)


@dataclass
class Operator:
    login: str
    operator_id: str
    languages: list[str]
    token: str


@dataclass
class Customer:
    customer_id: str
    country: str
    category: str
    source: str
    person_type: str
    card_number: str
    referred_by: str | None = None
    language: str = "en"
    phone: str = ""


def tokens() -> dict[str, str]:
    return {role: os.environ.get(f"CRM_{role.upper()}_TOKEN", f"dev-{role}-token")
            for role in ("operator", "analyst", "admin")}


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def registration(n: int, rng: random.Random, fakers: dict[str, Faker],
                 referrers: list[Customer]) -> dict[str, Any]:
    country = weighted(rng, COUNTRY_WEIGHTS)
    locale, language, _, prefix = LOCALES[country]
    fake = fakers[locale]
    company = rng.random() < 0.07
    source = weighted(rng, SOURCES)
    referred_by = rng.choice(referrers).customer_id if source == "friend" and referrers else None
    name = fake.company() if company else fake.name()
    phone = f"{prefix}{n % 8_000_000 + 2_000_000:07d}"
    assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
    body = {"full_name": name[:200], "phone": phone, "country": country,
            "person_type": "company" if company else "individual",
            "category": weighted(rng, CATEGORIES), "source": source,
            "email": f"user{n}@{'corp-' if company else ''}{fake.free_email_domain()}",
            "card_number": f"77{n:010d}", "language": language}
    return body | ({"referred_by": referred_by} if referred_by else {})


def money(amount: str | None, currency: str) -> str:
    """An amount for a person: the currency's minor unit, digits grouped."""
    if amount is None:
        return "-"
    rounded = for_people(Decimal(amount), currency)
    return f"{rounded:,} {currency}"


async def gather_limited(jobs: Iterable[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.fakers = {locale: Faker(locale) for locale, *_ in LOCALES.values()}
        for index, fake in enumerate(self.fakers.values()):
            fake.seed_instance(args.seed * 10 + index)
        self.tokens = tokens()
        self.password = os.environ.get("CRM_DEMO_PASSWORD", DEMO_PASSWORD)
        self.staff: list[Operator] = []
        self.customers: list[Customer] = []
        self.minimal_registry = False
        self.updates: list[Event] = []

    def client(self, url: str, role: str) -> httpx.AsyncClient:
        """A machine client with the role's token."""
        return httpx.AsyncClient(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {self.tokens[role]}"})

    def as_person(self, operator: Operator) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.args.registry_url, timeout=30,
                                 headers={"Authorization": f"Bearer {operator.token}"})

    async def hire_staff(self) -> None:
        """Create the floor's operators (once) and sign each of them in."""
        async with self.client(self.args.registry_url, "admin") as admin, \
                httpx.AsyncClient(base_url=self.args.registry_url, timeout=30) as anyone:
            known = {row["login"]: row for row in
                     (await admin.get("/api/operators")).raise_for_status().json()}
            for login, name, names, languages, extension in STAFF:
                if login not in known:
                    created = await admin.post("/api/operators", json={
                        "login": login, "display_name": name, "display_names": names,
                        "role": "operator", "password": self.password,
                        "languages": languages, "extension": extension})
                    created.raise_for_status()
                    known[login] = created.json()
                session = await anyone.post("/api/sessions",
                                            json={"login": login, "password": self.password})
                if session.status_code != 200:
                    sys.exit(f"{login} cannot sign in ({session.status_code}): was the demo "
                             "run before with another CRM_DEMO_PASSWORD?")
                self.staff.append(Operator(login, known[login]["operator_id"], languages,
                                           session.json()["token"]))
        print(f"{len(self.staff)} operators signed in: "
              + ", ".join(operator.login for operator in self.staff)
              + " (password: CRM_DEMO_PASSWORD, or the demo default)", flush=True)

    def operator_for(self, language: str) -> Operator:
        """Someone on the floor who speaks the customer's language."""
        speakers = [op for op in self.staff if language in op.languages] or self.staff
        return self.rng.choice(speakers)

    async def register_all(self) -> None:
        total, started = self.args.customers, time.perf_counter()
        offset = self.args.seed * 100_000  # another seed registers other phone numbers
        first_wave = int(total * 0.6)  # referrers must exist before the friends they bring
        clients = {op.login: self.as_person(op) for op in self.staff}
        try:
            for wave in (range(first_wave), range(first_wave, total)):
                referrers = list(self.customers)
                bodies = [registration(offset + n, self.rng, self.fakers, referrers)
                          for n in wave]
                desks = [clients[self.operator_for(body["language"]).login] for body in bodies]
                results = await gather_limited(
                    [lambda b=b, d=d: self.register(d, b) for b, d in zip(bodies, desks,
                                                                          strict=True)],
                    limit=16)
                self.customers.extend(c for c in results if c is not None)
                print(f"registered {len(self.customers)}/{total} customers "
                      f"({time.perf_counter() - started:.0f}s)", flush=True)
        finally:
            for client in clients.values():
                await client.aclose()

    async def register(self, registry: httpx.AsyncClient, body: dict[str, Any]) -> Customer | None:
        response = await registry.post("/api/customers", json=body)
        if response.status_code == 422 and "extra" in response.text:
            # A registry that takes only the brief fields: register with those and send
            # loyalty the card and source as a customer update instead.
            self.minimal_registry = True
            brief = {k: body[k] for k in ("full_name", "phone", "country", "person_type",
                                          "category")}
            response = await registry.post("/api/customers", json=brief)
            body = body | {"referred_by": None}
        if response.status_code == 409:
            return None  # registered by an earlier run with the same seed
        response.raise_for_status()
        customer = Customer(response.json()["customer_id"], body["country"], body["category"],
                            body["source"], body["person_type"], body["card_number"],
                            body.get("referred_by"), body["language"], body["phone"])
        if self.minimal_registry:
            self.updates.append(CustomerUpdated(
                customer_id=customer.customer_id, card_number=customer.card_number,
                source=customer.source, changed=["card_number", "source"]))
        return customer

    def year_of_purchases(self, now: datetime) -> list[PurchaseRecorded]:
        rng, purchases = self.rng, []
        for customer in self.customers:
            if rng.random() < 0.12:
                continue  # registered, never bought (time-wasters and the curious)
            currency = LOCALES[customer.country][2]
            median, sigma = BASKET[currency]
            median *= CATEGORY_BASKET.get(customer.category, 1.0)
            if customer.person_type == "company":
                median *= 5
            per_year = min(60.0, rng.lognormvariate(1.6, 0.9))  # habits: 1 to ~60 visits
            promo_lover = rng.random() < 0.2
            start = now - timedelta(days=rng.uniform(0, 365))
            stop = now if rng.random() > 0.15 else start + (now - start) * rng.random()
            at = start
            while at < stop:
                amount = Decimal(str(round(rng.lognormvariate(0, sigma) * median, 2)))
                amount = max(amount, Decimal("1.00"))
                purchase = PurchaseRecorded(
                    purchase_id=f"demo-{uuid.uuid4().hex[:16]}",
                    customer_id=customer.customer_id, amount=amount, currency=currency,
                    discounted=rng.random() < (0.85 if promo_lover else 0.1),
                    payment_method=rng.choice(("card", "card", "cash", "bank_transfer")),
                    channel=rng.choice(("call", "shop", "web")),
                    employee_id=self.operator_for(customer.language).operator_id,
                    occurred_at=at)
                purchases.append(purchase)
                if rng.random() < 0.02:
                    purchases.append(PurchaseRecorded(
                        purchase_id=f"demo-refund-{uuid.uuid4().hex[:12]}",
                        customer_id=customer.customer_id, amount=-amount, currency=currency,
                        discounted=purchase.discounted, payment_method=purchase.payment_method,
                        refund_of=purchase.purchase_id, occurred_at=at + timedelta(days=3)))
                at += timedelta(days=rng.expovariate(per_year / 365))
        return sorted((p for p in purchases if p.occurred_at <= now),
                      key=lambda p: p.occurred_at)

    async def publish(self, events: list[Event]) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.args.kafka, linger_ms=10,
                                    max_batch_size=512 * 1024)
        await producer.start()
        try:
            started = time.perf_counter()
            for n, event in enumerate(events, 1):
                await producer.send(event.topic, event.to_bytes(), key=event.key())
                if n % 5000 == 0 or n == len(events):
                    await producer.flush()
                    print(f"published {n}/{len(events)} {events[-1].topic} events "
                          f"({time.perf_counter() - started:.0f}s)", flush=True)
        finally:
            await producer.stop()

    async def interactions(self, count: int) -> None:
        """Calls and chats, each logged by the operator who took it (in the caller's language)."""
        rng = self.rng
        outcomes = ("purchase", "no_purchase", "info", "complaint", "trial")
        calls = []
        for _ in range(count):
            customer = rng.choice(self.customers)
            calls.append((self.operator_for(customer.language).login, {
                "customer_id": customer.customer_id,
                "channel": rng.choice(("call", "call", "chat", "email")),
                "duration_s": rng.randint(20, 900), "questions": rng.randint(0, 12),
                "outcome": rng.choice(outcomes)}))
        clients = {op.login: self.as_person(op) for op in self.staff}
        def log(login: str, body: dict[str, Any]) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: clients[login].post("/api/interactions", json=body)

        try:
            results = await gather_limited([log(login, body) for login, body in calls],
                                           limit=16)
        finally:
            for client in clients.values():
                await client.aclose()
        accepted = sum(1 for r in results if r.status_code < 300)
        print(f"logged {accepted}/{count} interactions, each by the operator who took it")

    async def wait_for_loyalty(self, purchases: list[PurchaseRecorded]) -> None:
        """Until loyalty's total revenue equals the value of everything published."""
        rules = load_rules()
        # A refund naming its purchase is valued at that purchase's date, as loyalty does.
        dated = {p.purchase_id: p.occurred_at for p in purchases}
        expected = sum((to_value_currency(p.amount, p.currency, rules,
                                          dated.get(p.refund_of or "", p.occurred_at))
                        for p in purchases),
                       Decimal(0))
        async with self.client(self.args.loyalty_url, "analyst") as loyalty:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                report = (await loyalty.get("/api/analytics/profitability",
                                            params={"by": "category"})).json()
                total = Decimal(report["total_revenue"])
                print(f"loyalty has applied {total / expected:.0%} of the year's value "
                      f"({total:,.0f} of {expected:,.0f} RUB)", flush=True)
                if total == expected:
                    return
                await asyncio.sleep(3)
        print("loyalty has not caught up after 180 s; reporting what it has")

    async def answer_surveys(self) -> None:
        """Customers answer some of the surveys notify has sent so far (as the SMS
        provider's webhook would bring the replies): each employee has a typical rating, a
        lapsed customer says why they left, a new one why they chose us. Surveys due at night
        in a customer's time zone are still waiting for the morning: run the demo again
        later for more."""
        rng = random.Random(self.args.seed)
        skill = {login: rng.uniform(3.2, 4.8) for login, *_ in STAFF}
        async with self.client(self.args.notify_url, "admin") as notify:
            outbox = (await notify.get("/api/outbox", params={"limit": 500})).json()
            answered = 0
            for message in outbox.get("messages", []):
                kind = message.get("kind")
                if kind not in ("quality_survey", "winback_survey", "why_us_survey") \
                        or rng.random() > 0.6:
                    continue
                if kind == "quality_survey":
                    typical = skill[rng.choice(list(skill))]
                    text = str(min(5, max(1, round(rng.gauss(typical, 0.8)))))
                else:
                    text = str(rng.choices(range(1, 6), weights=(4, 3, 2, 3, 1))[0])
                reply = await notify.post("/api/sms/inbound",
                                          json={"from": message["to"], "text": text})
                answered += reply.status_code == 200 and reply.json().get("action") == "answered"
        print(f"customers answered {answered} surveys")
        if not answered:
            print("  (none sent yet: surveys due during the customers' night wait for their "
                  "morning; for a demo at night start the suite with CRM_QUIET_HOURS=off)")

    async def report(self) -> None:
        async with self.client(self.args.loyalty_url, "admin") as loyalty:
            loyalty.timeout = httpx.Timeout(300)
            for job in ("tiers", "lapse"):
                ran = (await loyalty.post(f"/api/loyalty/jobs/{job}/run")).json()
                print(f"{job} job: {ran}")
            gold = (await loyalty.get("/api/analytics/gold", params={"limit": 5})).json()
            currency = gold.get("value_currency", "RUB")
            print(f"\ngold: top {gold['gold_percent']}% = {gold['count']:,} of "
                  f"{gold['population']:,} buying customers; threshold "
                  f"{money(gold['gold_threshold'], currency)} trailing 12 months (silver from "
                  f"{money(gold['silver_threshold'], currency)})")
            for by in ("category", "source", "person_type"):
                table = (await loyalty.get("/api/analytics/profitability",
                                           params={"by": by})).json()
                print(f"\nprofitability by {by} (total "
                      f"{money(table['total_revenue'], currency)})")
                print(f"  {'group':<14}{'revenue':>22}{'customers':>11}{'per customer':>18}"
                      f"{'share':>8}")
                for g in table["groups"]:
                    print(f"  {g['group']:<14}{money(g['revenue'], currency):>22}"
                          f"{g['customers']:>11,}{money(g['revenue_per_customer'], currency):>18}"
                          f"{float(g['share']):>8.1%}")
            referrals = (await loyalty.get("/api/analytics/referrals",
                                           params={"limit": 5})).json()
            print(f"\ntop referrers ({referrals['referrers']:,} referrers brought "
                  f"{money(referrals['total_revenue'], currency)})")
            for r in referrals["top"]:
                print(f"  {r['referrer_id']:<20} brought {r['referred_customers']} "
                      f"({r['buying_customers']} buying), revenue "
                      f"{money(r['revenue'], currency)}")
            lapsed = (await loyalty.get("/api/analytics/lapsed", params={"limit": 3})).json()
            print(f"\nlapsed customers: {lapsed['count']}")

    async def run(self) -> None:
        started = time.perf_counter()
        await self.hire_staff()
        await self.register_all()
        if not self.customers:
            print(f"every customer of seed {self.args.seed} is registered already (an earlier "
                  "run): run again with another --seed to add more")
            return
        if self.minimal_registry:
            print("registry takes only the brief registration fields: card numbers and sources "
                  "sent to loyalty as customer updates; referrals not recorded")
            await self.publish(self.updates)
        purchases = self.year_of_purchases(datetime.now(UTC))
        await self.publish(list(purchases))
        await self.interactions(min(5000, len(self.customers)))
        await self.wait_for_loyalty(purchases)
        await self.answer_surveys()
        await self.report()
        self.show_the_phone_line()
        print(f"\nthe analyst view: {self.args.registry_url}/analytics (sign in as an analyst "
              "or admin)")
        print(f"\ndemo finished in {time.perf_counter() - started:.0f}s")

    def show_the_phone_line(self) -> None:
        """How to see the card pop: a PBX's ring for Anna's extension, by hand."""
        login, _, _, _, extension = STAFF[0]
        caller = self.customers[0].phone
        print(f"\nthe phone line: sign in to the panel as {login} and ring extension "
              f"{extension} from a demo customer's number (the card pops before the answer):\n"
              f"  curl -s -X POST {self.args.registry_url}/api/telephony/events "
              "-H \"Authorization: Bearer $CRM_TELEPHONY_TOKEN\" "
              "-H 'Content-Type: application/json' "
              f"-d '{{\"call_id\": \"demo-1\", \"event\": \"ringing\", "
              f"\"from\": \"{caller}\", \"extension\": \"{extension}\"}}'\n"
              "  (then the same with \"answered\" and \"ended\"; CRM_TELEPHONY_TOKEN is "
              "dev-telephony-token under make run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--registry-url", default="http://127.0.0.1:8000")
    parser.add_argument("--loyalty-url", default="http://127.0.0.1:8002")
    parser.add_argument("--notify-url", default="http://127.0.0.1:8003")
    parser.add_argument("--kafka", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS",
                                                          "127.0.0.1:9092"))
    args = parser.parse_args()
    try:
        asyncio.run(Demo(args).run())
    except httpx.ConnectError as error:
        sys.exit(f"cannot reach the suite ({error}); start it with `make run` first")


if __name__ == "__main__":
    main()
