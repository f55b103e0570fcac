"""The recipient's clock: a time zone from the phone number, and the window we may text in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

# A mobile number of a country spanning several zones maps to all of them. We take the zone
# where most of that country's people live (Moscow for +7 9xx, New York for the US), and
# the first zone phonenumbers lists for a country not named here.
MOST_POPULOUS_ZONE: dict[str, str] = {
    "RU": "Europe/Moscow",
    "KZ": "Asia/Almaty",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "AU": "Australia/Sydney",
    "ID": "Asia/Jakarta",
    "CN": "Asia/Shanghai",
    "AR": "America/Argentina/Buenos_Aires",
}


@lru_cache(maxsize=65_536)
def zone_for_phone(phone: str) -> str:
    """The IANA time zone of an E.164 number; ``"UTC"`` when the number tells us nothing."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return "UTC"
    zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    if not zones:
        return "UTC"
    preferred = MOST_POPULOUS_ZONE.get(phonenumbers.region_code_for_number(number) or "")
    return preferred if preferred in zones else zones[0]


def zone_info(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class SendingWindow:
    """The local hours in which messages may be sent, ``start`` inclusive, ``end`` exclusive.

    ``start`` after ``end`` is a window across midnight (22:00-07:00 allows 23:30 and 06:59);
    ``start == end`` allows every hour.
    """

    start: time = time(9, 0)
    end: time = time(21, 0)

    @classmethod
    def parse(cls, text: str) -> SendingWindow:
        """Read a setting such as ``"09:00-21:00"`` or ``"22:00-07:00"``."""
        start, sep, end = text.partition("-")
        if not sep:
            raise ValueError(f"a sending window looks like 09:00-21:00, not {text!r}")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))

    def allows(self, local: time) -> bool:
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_send_time(self, moment: datetime, zone: tzinfo) -> datetime:
        """``moment`` itself when the window is open there, else the window's next opening.

        Both are aware datetimes in UTC; the window is read on the recipient's wall clock.
        """
        local = moment.astimezone(zone)
        if self.allows(local.time().replace(tzinfo=None)):
            return moment.astimezone(UTC)
        # Closed means we are between end and start, so the next opening is today's start
        # when start is still ahead on the clock, otherwise tomorrow's.
        day: date = local.date()
        if local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)
        opening = datetime.combine(day, self.start, tzinfo=zone)
        return opening.astimezone(UTC)
