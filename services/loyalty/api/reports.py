"""The analytics reports (JSON, or CSV for a spreadsheet): profitability, gold, lapsed,
referrals. Their money is in the value currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import FastAPI, Query

from services.loyalty.api.context import Loyalty
from services.loyalty.api.schemas import Limit
from services.loyalty.domain import GroupBy
from services.loyalty.handlers import reports
from shared import exports
from shared.auth import Analyst
from shared.clock import utc_now
from shared.currencies import for_people, minor_units
from shared.exports import Format, From, To, period_of, suffix


def install(app: FastAPI, loyalty: Loyalty) -> None:
    repo, rules = loyalty.repo, loyalty.rules
    currency = rules.exchange.value_currency

    def money_of(report: dict[str, Any]) -> dict[str, Any]:
        """A report's money is in the value currency (decimal strings, exact), read by a
        person to its minor unit."""
        return {**report, "value_currency": currency, "minor_units": minor_units(currency)}

    def people(amount: str) -> str:
        """Money for a person to read: to the value currency's minor unit."""
        return str(for_people(Decimal(amount), currency))

    @app.get("/api/analytics/profitability", tags=["analytics"])
    async def profitability(by: GroupBy, principal: Analyst, start: From = None,
                            end: To = None, format: Format = "json") -> Any:
        """Revenue, customers, revenue per customer and share per group, for a period
        (days, UTC, both included; lifetime when open); CSV for a spreadsheet."""
        await loyalty.jobs.analytics(utc_now())  # the totals with what is pending folded in
        report = await reports.profitability_report(repo, by, period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"profitability-by-{by}{suffix(start, end)}.csv",
                [by, f"revenue_{currency}", "customers", f"revenue_per_customer_{currency}",
                 "share_percent"],
                [[g["group"], people(g["revenue"]), g["customers"],
                  people(g["revenue_per_customer"]), f"{Decimal(g['share']) * 100:.2f}"]
                 for g in report["groups"]])
        return money_of(report)

    @app.get("/api/analytics/gold", tags=["analytics"])
    async def gold(principal: Analyst, format: Format = "json", limit: Annotated[int, Query(
            ge=0, le=100_000, description="Gold customers listed, best first; 0: only the "
                                          "thresholds, the distribution and the count")] = 1000,
                   ) -> Any:
        """The gold (and silver) thresholds, the value distribution, the gold customers."""
        report = await reports.gold_report(repo, utc_now(), limit)
        if format == "csv":
            return exports.csv_response(
                "gold.csv", ["customer_id", f"value_12m_{currency}", "value_percentile",
                             "manual_tier_floor"],
                [[c["customer_id"], people(c["value_12m"]), c["value_percentile"],
                  c["manual_tier_floor"]] for c in report["customers"]])
        return money_of(report)

    @app.get("/api/analytics/lapsed", tags=["analytics"])
    async def lapsed(principal: Analyst, limit: Limit = 1000, start: From = None,
                     end: To = None, format: Format = "json") -> Any:
        """Lapsed customers (lapsed in the period when one is given) and per month."""
        report = await reports.lapsed_report(repo, rules, utc_now(), limit,
                                             period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"lapsed{suffix(start, end)}.csv",
                ["customer_id", "category", "lapsed_since", "last_purchase_at",
                 f"value_lifetime_{currency}"],
                [[c["customer_id"], c["category"], c["lapsed_since"], c["last_purchase_at"],
                  people(c["value_lifetime"])] for c in report["customers"]])
        return money_of(report)

    @app.get("/api/analytics/referrals", tags=["analytics"])
    async def referrals(principal: Analyst, limit: Limit = 100, start: From = None,
                        end: To = None, format: Format = "json") -> Any:
        """Referrers by the value their customers brought (in the months of a period)."""
        report = await reports.referrals_report(repo, limit, period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"referrals{suffix(start, end)}.csv",
                ["referrer_id", "referred_customers", "buying_customers", "credited",
                 f"revenue_{currency}"],
                [[r["referrer_id"], r["referred_customers"], r["buying_customers"],
                  r["credited"], people(r["revenue"])] for r in report["top"]])
        return money_of(report)
