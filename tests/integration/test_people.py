"""Every person signs in as themselves, against the running suite: an admin creates an
operator, the operator signs in, works with their own token, and their name travels with
what they did (events, history, the survey SMS). Tokens are checked by every service
itself: registry's own, and a company identity provider's (a key set made here)."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.contracts import topics
from shared.runtime.harness import ROOT
from shared.runtime.kafka import free_port
from tests.support.data import new_phone, unique
from tests.support.suite import PASSWORD, Suite, eventually, values

pytestmark = pytest.mark.integration

LOCK_AFTER = 4


class IdentityProvider:
    """A company's OpenID Connect provider: an RSA key and its JWKS served over HTTP."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps({"keys": [public | {"kid": "idp-1", "use": "sig", "alg": "RS256"}]})
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/realms/callcenter"

        class Jwks(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Jwks)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        return {"CRM_OIDC_ISSUER": self.issuer, "CRM_OIDC_AUDIENCE": "crm",
                "CRM_OIDC_JWKS_URL": self.issuer + "/certs",
                "CRM_OIDC_ROLE_CLAIM": "realm_access.roles"}

    def token(self, roles: list[str], **claims: Any) -> str:
        now = datetime.now(UTC)
        body = {"iss": self.issuer, "aud": "crm", "sub": f"kc-{uuid.uuid4().hex[:8]}",
                "name": "Reza Ahmadi", "iat": int(now.timestamp()),
                "exp": int((now + timedelta(minutes=5)).timestamp()),
                "realm_access": {"roles": roles}} | claims
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "idp-1"})


@pytest.fixture(scope="module")
def provider() -> Iterator[IdentityProvider]:
    running = IdentityProvider()
    yield running
    running.server.shutdown()


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                provider: IdentityProvider) -> AsyncIterator[Suite]:
    running = Suite(tmp_path_factory.mktemp("people"), env={
        "CRM_QUIET_HOURS": "off", "CRM_LOGIN_LOCK_AFTER": str(LOCK_AFTER),
        "CRM_CARD_LOOKUPS_PER_MINUTE": "60", **provider.env()})
    await running.start()
    yield running
    await running.stop()


async def test_an_operator_signs_in_and_their_name_travels_with_their_work(
        suite: Suite) -> None:
    login = unique("apetrova")
    person = await suite.create_person(login, "Anna Petrova", extension=unique("1"),
                                       display_names={"ru": "Анна Петрова"})
    operator_id = person["operator_id"]
    async with httpx.AsyncClient(base_url=suite.url("registry")) as anyone:
        signed = await anyone.post("/api/sessions",
                                   json={"login": login.upper(), "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    session = signed.json()
    assert session["operator"]["operator_id"] == operator_id
    assert datetime.fromisoformat(session["expires_at"]) > datetime.now(UTC)
    phone = new_phone()

    async with suite.client_with("registry", session["token"]) as anna:
        created = await anna.post("/api/customers", json={
            "full_name": "Olga Smirnova", "phone": phone, "country": "RU", "language": "ru"})
        assert created.status_code == 201, created.text
        customer_id = created.json()["customer_id"]
        changed = await anna.patch(f"/api/customers/{customer_id}", json={"category": "vip"})
        assert changed.status_code == 200, changed.text
        logged = await anna.post("/api/interactions", json={
            "customer_id": customer_id, "channel": "call", "outcome": "info"})
        assert logged.status_code == 202 and logged.json()["operator_id"] == operator_id
        history = (await anna.get(f"/api/customers/{customer_id}/history")).json()
        me = (await anna.get("/api/operators/me")).json()
    assert me["operator_id"] == operator_id and me["display_name"] == "Anna Petrova"

    assert [entry["action"] for entry in history["entries"]] == ["changed", "registered"]
    change = history["entries"][0]
    assert (change["by"], change["by_name"]) == (operator_id, "Anna Petrova")
    assert change["changes"] == [{"field": "category", "from": "ordinary", "to": "vip"}]

    registered = await suite.read(topics.CUSTOMER_REGISTERED, lambda records: any(
        v["customer_id"] == customer_id for v in values(records)))
    [registration] = [v for v in values(registered) if v["customer_id"] == customer_id]
    assert (registration["operator_id"], registration["entered_by"]) == (operator_id, "operator")
    updated = await suite.read(topics.CUSTOMER_UPDATED, lambda records: any(
        v["customer_id"] == customer_id for v in values(records)))
    [update] = [v for v in values(updated) if v["customer_id"] == customer_id]
    assert update["changed_by"] == operator_id and update["category"] == "vip"

    async with suite.client("notify", role="admin") as notify:
        async def survey() -> dict[str, Any] | None:
            rows = (await notify.get("/api/outbox", params={"limit": 200})).json()["messages"]
            return next((row for row in rows if row["to"] == phone
                         and row["kind"] == "quality_survey"), None)

        message = await eventually(survey, what="the quality survey after Anna's call")
        assert message["text"].startswith("Сотрудник Анна Петрова:")
        answered = await notify.post("/api/sms/inbound", json={"from": phone, "text": "5"})
        assert answered.json()["action"] == "answered"
        summary = (await notify.get("/api/surveys/summary")).json()
    [row] = [row for row in summary["employees"] if row["employee_id"] == operator_id]
    assert row["display_name"] == "Anna Petrova" and row["responses"] == 1


async def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(
        suite: Suite) -> None:
    login = unique("ivanov")
    await suite.create_person(login, "Ivan Ivanov")
    async with httpx.AsyncClient(base_url=suite.url("registry")) as anyone:
        wrong = await anyone.post("/api/sessions", json={"login": login, "password": "nope"})
        nobody = await anyone.post("/api/sessions",
                                   json={"login": unique("ghost"), "password": "nope"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json() == {"detail": "wrong login or password"}


async def test_repeated_failures_lock_a_login_known_or_not(suite: Suite) -> None:
    login = unique("locked")
    await suite.create_person(login, "Locked Out")
    async with httpx.AsyncClient(base_url=suite.url("registry"), timeout=30) as anyone:
        for name in (login, unique("ghost")):
            answers = [(await anyone.post("/api/sessions", json={
                "login": name, "password": "wrong guess"})).status_code
                for _ in range(LOCK_AFTER)]
            assert answers == [401] * LOCK_AFTER
            locked = await anyone.post("/api/sessions", json={"login": name,
                                                               "password": PASSWORD})
            assert locked.status_code == 429, locked.text
            assert "try again in" in locked.json()["detail"]
            assert int(locked.headers["Retry-After"]) > 0


async def test_a_duplicate_login_is_a_conflict(suite: Suite) -> None:
    login = unique("dup")
    await suite.create_person(login, "First Person")
    async with suite.client("registry", role="admin") as admin:
        again = await admin.post("/api/operators", json={
            "login": login, "display_name": "Second Person", "role": "operator",
            "password": PASSWORD})
    assert again.status_code == 409 and again.json()["detail"]["field"] == "login"


async def test_only_an_admin_manages_people(suite: Suite) -> None:
    login = unique("opr")
    await suite.create_person(login, "Plain Operator")
    token = await suite.sign_in(login)
    async with suite.client_with("registry", token) as operator:
        refused = await operator.post("/api/operators", json={
            "login": unique("x"), "display_name": "X", "role": "admin", "password": PASSWORD})
        listed = await operator.get("/api/operators")
    assert refused.status_code == listed.status_code == 403


async def test_a_person_signed_in_as_an_analyst_may_not_register(suite: Suite) -> None:
    login = unique("analyst")
    await suite.create_person(login, "Ana Lyst", role="analyst")
    token = await suite.sign_in(login)
    async with suite.client_with("registry", token) as analyst:
        refused = await analyst.post("/api/customers", json={
            "full_name": "X Y", "phone": new_phone(), "country": "RU"})
    assert refused.status_code == 403


async def test_a_disabled_person_is_refused_at_once_everywhere(suite: Suite) -> None:
    login = unique("leaver")
    person = await suite.create_person(login, "Soon Gone", role="analyst")
    token = await suite.sign_in(login)
    for service in ("registry", "scoring", "loyalty", "notify"):
        async with suite.client_with(service, token) as leaver:
            assert (await leaver.get("/api/operators/me" if service == "registry" else
                                     "/api/surveys/summary" if service == "notify" else
                                     "/api/scores/c-none" if service == "scoring" else
                                     "/api/analytics/referrals")).status_code in (200, 404)
    async with suite.client("registry", role="admin") as admin:
        disabled = await admin.patch(f"/api/operators/{person['operator_id']}",
                                     json={"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    async with suite.client_with("registry", token) as leaver:
        assert (await leaver.get("/api/operators/me")).status_code == 401
    async with suite.client_with("loyalty", token) as leaver:
        async def refused() -> bool:
            return (await leaver.get("/api/analytics/referrals")).status_code == 401

        await eventually(refused, timeout_s=10, what="loyalty refusing the disabled person")
    async with httpx.AsyncClient(base_url=suite.url("registry")) as anyone:
        again = await anyone.post("/api/sessions", json={"login": login, "password": PASSWORD})
    assert again.status_code == 401


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_forged_expired_and_unsigned_tokens_are_refused_by_every_service(
        suite: Suite) -> None:
    login = unique("honest")
    await suite.create_person(login, "Honest Person")
    token = await suite.sign_in(login)
    header, payload, signature = _segments(token)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = {
        "tampered": f"{header}.{_b64(claims | {'role': 'admin'})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "expired": f"{header}.{_b64(claims | {'exp': 1_700_000_000})}.{signature}",
        "other audience": f"{header}.{_b64(claims | {'aud': 'billing'})}.{signature}",
    }
    for service, path in (("scoring", "/api/scores/c-none"), ("registry", "/api/categories")):
        for what, bad in forged.items():
            async with suite.client_with(service, bad) as client:
                response = await client.get(path)
            assert response.status_code == 401, f"{what} at {service}: {response.text}"
        async with suite.client_with(service, token) as client:
            assert (await client.get(path)).status_code in (200, 404)


async def test_a_session_is_renewed_without_the_password(suite: Suite) -> None:
    login = unique("renew")
    await suite.create_person(login, "Renee Wall")
    token = await suite.sign_in(login)
    async with suite.client_with("registry", token) as person:
        renewed = await person.post("/api/sessions/renew")
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["token"]
    assert fresh != token
    async with suite.client_with("scoring", fresh) as person:
        assert (await person.get("/api/scores/c-none")).status_code == 404
    async with suite.client("registry", role="admin") as client:
        assert (await client.post("/api/sessions/renew")).status_code == 400


async def test_a_key_rotation_logs_nobody_out(suite: Suite) -> None:
    login = unique("rotor")
    await suite.create_person(login, "Rota Tion")
    before = await suite.sign_in(login)
    rotate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", "keys", "rotate", cwd=ROOT, env=suite.env(),
        stdout=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(rotate.communicate(), timeout=30)
    assert rotate.returncode == 0
    new_kid = output.decode().split()[3]
    after = await suite.sign_in(login)
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert jwt.get_unverified_header(before)["kid"] != new_kid
    for token in (before, after):
        async with suite.client_with("loyalty", token) as person:
            assert (await person.get("/api/loyalty/cards/none")).status_code == 404
    async with httpx.AsyncClient(base_url=suite.url("registry")) as anyone:
        published = (await anyone.get("/.well-known/jwks.json")).json()
    assert new_kid in {key["kid"] for key in published["keys"]}


async def test_a_company_identity_provider_token_works_in_every_service(
        suite: Suite, provider: IdentityProvider) -> None:
    token = provider.token(["offline_access", "operator"])
    async with suite.client_with("registry", token) as person:
        me = await person.get("/api/operators/me")
        created = await person.post("/api/customers", json={
            "full_name": "Sara Karimi", "phone": new_phone(), "country": "RU"})
    assert me.status_code == 200, me.text
    assert me.json()["operator_id"].startswith("oidc:")
    assert me.json()["source"] == "identity_provider"
    assert created.status_code == 201
    assert created.json()["operator_id"] == me.json()["operator_id"]
    async with suite.client_with("scoring", token) as person:
        assert (await person.get("/api/scores/c-none")).status_code == 404
    async with suite.client_with("loyalty", token) as person:
        assert (await person.get("/api/analytics/referrals")).status_code == 403  # operator
    no_role = provider.token(["offline_access"])
    async with suite.client_with("scoring", no_role) as person:
        assert (await person.get("/api/scores/c-none")).status_code == 403


async def test_card_lookups_are_limited_per_person(suite: Suite) -> None:
    first, second = unique("busy"), unique("calm")
    for login in (first, second):
        await suite.create_person(login, login.title())
    busy, calm = await asyncio.gather(suite.sign_in(first), suite.sign_in(second))
    async with suite.client_with("registry", busy) as person:
        statuses = [(await person.get("/api/callers/+79160000000")).status_code
                    for _ in range(12)]
    assert statuses[0] == 404 and statuses[-1] == 429
    async with suite.client_with("registry", calm) as person:
        assert (await person.get("/api/callers/+79160000000")).status_code == 404


async def test_tier_floors_and_job_runs_are_kept_with_who_made_them(suite: Suite) -> None:
    login = unique("boss")
    person = await suite.create_person(login, "Olga Boss", role="admin")
    token = await suite.sign_in(login)
    async with suite.client("registry") as registry:
        created = await registry.post("/api/customers", json={
            "full_name": "Timur Aliev", "phone": new_phone(), "country": "RU"})
    customer_id = created.json()["customer_id"]
    async with suite.client_with("loyalty", token) as olga:
        async def floor_set() -> bool:
            response = await olga.put(f"/api/loyalty/customers/{customer_id}/tier-floor",
                                      json={"tier": "gold"})
            return response.status_code == 200

        await eventually(floor_set, what="loyalty's account of the new customer")
        assert (await olga.post("/api/loyalty/jobs/lapse/run")).status_code == 200
        history = (await olga.get(f"/api/loyalty/customers/{customer_id}/history")).json()
        jobs = (await olga.get("/api/loyalty/jobs/history")).json()
    [entry] = history["entries"]
    assert (entry["action"], entry["by"], entry["by_name"]) == (
        "tier_floor_set", person["operator_id"], "Olga Boss")
    assert entry["changes"] == [{"field": "tier_floor", "from": None, "to": "gold"}]
    latest = jobs["entries"][0]
    assert (latest["action"], latest["by"]) == ("lapse_run", person["operator_id"])
    assert "lapsed" in latest["result"]
