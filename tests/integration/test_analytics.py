"""The analytics endpoints from outside: a period's profitability equal to what was sold in
it, CSV for a spreadsheet, the same reports through registry for the analyst view, and the
refusals (operators, a backwards period, a report that does not exist)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.support.analytics import Business, seed
from tests.support.suite import Suite, isolated_prefix

pytestmark = pytest.mark.integration
DATABASES = ("memory", "mongodb")  # the running totals in MongoDB transactions too


@pytest.fixture(scope="module")
async def suite(tmp_path_factory: pytest.TempPathFactory,
                mongodb_url: str | None) -> AsyncIterator[Suite]:
    workdir = tmp_path_factory.mktemp("analytics")
    running = Suite(workdir, services=("registry", "loyalty", "notify"),
                    mongodb_url=mongodb_url, database_prefix=isolated_prefix(workdir),
                    env={"CRM_QUIET_HOURS": "off", "CRM_SURVEY_THROTTLE_DAYS": "0"})
    await running.start()
    yield running
    await running.stop()


@pytest.fixture(scope="module")
async def business(suite: Suite) -> Business:
    return await seed(suite, operator_name="Nina Belova")


def this_quarter() -> dict[str, str]:
    today = datetime.now(UTC).date()
    start = today.replace(month=today.month - (today.month - 1) % 3, day=1)
    return {"from": start.isoformat(), "to": today.isoformat()}


async def test_a_periods_profitability_is_what_was_sold_in_it(
        suite: Suite, business: Business) -> None:
    async with suite.client("loyalty", role="analyst") as loyalty:
        quarter = (await loyalty.get("/api/analytics/profitability",
                                     params={"by": "category", **this_quarter()})).json()
        lifetime = (await loyalty.get("/api/analytics/profitability",
                                      params={"by": "category"})).json()
        last_year = datetime.now(UTC).date() - timedelta(days=365)
        before = (await loyalty.get("/api/analytics/profitability", params={
            "by": "category", "to": (last_year - timedelta(days=60)).isoformat()})).json()
    revenue = {g["group"]: Decimal(g["revenue"]) for g in quarter["groups"]
               if Decimal(g["revenue"])}
    assert revenue == business.revenue_this_quarter
    assert quarter["period"] == this_quarter() and quarter["value_currency"] == "RUB"
    assert quarter["minor_units"] == 2
    assert Decimal(lifetime["total_revenue"]) == sum(
        business.revenue_this_quarter.values(), Decimal(0)) + Decimal("10000.00")
    assert Decimal(before["total_revenue"]) == 0
    assert sum(Decimal(g["share"]) for g in quarter["groups"]) == 1


async def test_the_reports_come_as_csv_for_a_spreadsheet(
        suite: Suite, business: Business) -> None:
    async with suite.client("loyalty", role="analyst") as loyalty:
        answer = await loyalty.get("/api/analytics/profitability",
                                   params={"by": "category", "format": "csv",
                                           **this_quarter()})
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="profitability-by-category-from-{this_quarter()["from"]}'
        f'-to-{this_quarter()["to"]}.csv"')
    lines = answer.content.decode("utf-8").split("\r\n")
    assert lines[0] == ("\ufeffcategory,revenue_RUB,customers,revenue_per_customer_RUB,"
                        "share_percent")
    vip = next(line for line in lines if line.startswith("vip,"))
    assert vip.split(",")[1] == "255000.00"  # to the kopeck, however many places inside


async def test_registry_serves_the_view_and_forwards_its_reports(
        suite: Suite, business: Business) -> None:
    async with suite.client("registry", role="analyst") as analyst:
        page = await analyst.get("/analytics")
        direct = await analyst.get("/api/analytics/profitability",
                                   params={"by": "source", **this_quarter()})
        csv = await analyst.get("/api/surveys/summary", params={"format": "csv"})
        summary = await analyst.get("/api/surveys/summary")
        backwards = await analyst.get("/api/analytics/lapsed",
                                      params={"from": "2026-05-02", "to": "2026-05-01"})
        unknown = await analyst.get("/api/analytics/everything")
    async with suite.client("registry", role="operator") as operator:
        refused = await operator.get("/api/analytics/profitability", params={"by": "source"})
    assert page.status_code == 200 and "analytics.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert direct.status_code == 200 and {g["group"] for g in direct.json()["groups"]} >= {
        "friend", "search"}
    assert csv.text.startswith("\ufeffemployee_id,employee,responses,average_rating")
    assert "Nina Belova" in csv.text
    [nina] = [row for row in summary.json()["employees"]
              if row["display_name"] == "Nina Belova"]
    assert nina["responses"] >= 1
    assert backwards.status_code == 422 and "before" in backwards.json()["detail"]
    assert (unknown.status_code, refused.status_code) == (422, 403)
