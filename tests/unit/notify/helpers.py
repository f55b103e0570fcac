"""Builders shared by notify's unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notify.domain import NotificationRequest, RecipientState
from shared.contracts.types import NotificationKind

MOSCOW = "+74951234567"  # Europe/Moscow, UTC+3
TEHRAN = "+989121234567"  # Asia/Tehran, UTC+3:30
NEW_YORK = "+12125551234"  # America/New_York, UTC-5 in winter, UTC-4 in summer


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def survey(
    occurred_at: datetime,
    notification_id: str = "quality_survey:p-1",
    kind: NotificationKind = "quality_survey",
) -> NotificationRequest:
    return NotificationRequest(
        notification_id=notification_id,
        customer_id="c-1",
        kind=kind,
        template="quality_survey" if kind == "quality_survey" else "thank_you_gold",
        occurred_at=occurred_at,
        context={"employee": "Anna"},
    )


def recipient(phone: str | None = MOSCOW, **changes: object) -> RecipientState:
    return RecipientState(phone=phone, language="ru", **changes)  # type: ignore[arg-type]
