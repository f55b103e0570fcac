"""Who may call what, as a matrix over every API endpoint of scoring, loyalty and notify
(registry's own matrix is in test_registry_api): 401 without a valid token, 403 for a
role that must not, and anything but 401/403 for a role that may."""

import pytest

from tests.support.suite import Suite

pytestmark = pytest.mark.integration
ROLES = ("operator", "analyst", "admin")
MATRIX = [  # service, method, path, roles allowed
    ("scoring", "GET", "/api/scores/c-unknown", {"operator", "analyst", "admin"}),
    ("scoring", "GET", "/api/scores/c-unknown/explain", {"operator", "analyst", "admin"}),
    ("loyalty", "GET", "/api/loyalty/cards/0000", {"operator", "analyst", "admin"}),
    ("loyalty", "POST", "/api/loyalty/cards/lookup", {"operator", "analyst", "admin"}),
    ("loyalty", "GET", "/api/loyalty/customers/c-unknown/history", {"analyst", "admin"}),
    ("loyalty", "GET", "/api/analytics/profitability?by=category", {"analyst", "admin"}),
    ("loyalty", "GET", "/api/analytics/gold", {"analyst", "admin"}),
    ("loyalty", "GET", "/api/analytics/lapsed", {"analyst", "admin"}),
    ("loyalty", "GET", "/api/analytics/referrals", {"analyst", "admin"}),
    ("loyalty", "PUT", "/api/loyalty/customers/c-unknown/tier-floor", {"admin"}),
    ("loyalty", "POST", "/api/loyalty/jobs/lapse/run", {"admin"}),
    ("notify", "GET", "/api/outbox", {"admin"}),
    ("notify", "GET", "/api/surveys/summary", {"analyst", "admin"}),
    ("notify", "POST", "/api/sms/inbound", {"admin"}),
    ("scoring", "GET", "/api/privacy/c-unknown", {"admin"}),
    ("loyalty", "GET", "/api/privacy/c-unknown", {"admin"}),
    ("notify", "GET", "/api/privacy/c-unknown", {"admin"}),
]
BODIES = {"PUT": {"tier": "gold"}, "POST": {"from": "+79001234567", "text": "5"},
          "/api/loyalty/cards/lookup": {"card_number": "0000"}}


@pytest.mark.parametrize(("service", "method", "path", "allowed"), MATRIX,
                         ids=[f"{m} {p}" for _, m, p, _ in MATRIX])
async def test_each_role_gets_exactly_what_it_may(
    suite: Suite, service: str, method: str, path: str, allowed: set[str],
) -> None:
    body = BODIES.get(path, BODIES.get(method))
    async with suite.client(service, role=None) as anonymous:
        response = await anonymous.request(method, path, json=body)
        assert response.status_code == 401
        response = await anonymous.request(method, path, json=body,
                                           headers={"Authorization": "Bearer wrong"})
        assert response.status_code == 401
    for role in ROLES:
        async with suite.client(service, role=role) as client:
            response = await client.request(method, path, json=body)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["detail"]  # says who may
