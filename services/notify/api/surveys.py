"""Survey routes: the analysts' summary of ratings, response rates and reasons."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from services.notify.handlers import replies
from services.notify.repository import NotifyRepository
from shared import exports
from shared.auth import PeopleDirectory, Principal, Role, require
from shared.exports import Format, From, To, period_of, suffix

SUMMARY_READERS = require(Role.ANALYST, Role.ADMIN)


def install(app: FastAPI, repo: NotifyRepository, people: PeopleDirectory) -> None:
    @app.get("/api/surveys/summary", tags=["surveys"])
    async def summary(principal: Principal = SUMMARY_READERS, start: From = None,
                      end: To = None, format: Format = "json") -> Any:
        """Ratings per employee (with their names), response rates per kind, win-back
        reasons, why-us answers: for a period (days, UTC, both included) or all time; CSV
        (one row per employee) for a spreadsheet."""
        summary = await replies.summary_for(repo, people, period_of(start, end))
        if format == "csv":
            return exports.csv_response(
                f"survey-ratings{suffix(start, end)}.csv",
                ["employee_id", "employee", "responses", "average_rating"],
                [[row["employee_id"], row["display_name"], row["responses"],
                  row["average_rating"]] for row in summary["employees"]])
        return summary
