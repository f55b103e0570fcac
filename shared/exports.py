"""The analytics endpoints' common parameters (``?from=&to=``, ``format=csv``) and their
CSV exports, for a spreadsheet: UTF-8 with a byte-order mark (so Excel reads Cyrillic and
Persian as such), CRLF line ends, and no cell a spreadsheet would run as a formula (text
beginning with = + - @ or a tab gets a leading apostrophe)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query
from starlette.responses import Response

from shared.periods import BadPeriod, Period

From = Annotated[date | None, Query(alias="from", description="First day (UTC), included")]
To = Annotated[date | None, Query(alias="to", description="Last day (UTC), included")]
Format = Annotated[Literal["json", "csv"], Query(
    description="csv: UTF-8 with a byte-order mark, money to the currency's minor unit")]


def period_of(start: date | None, end: date | None) -> Period:
    """The period asked for, or 422 saying what is wrong with it."""
    try:
        return Period.of(start, end)
    except BadPeriod as refused:
        raise HTTPException(422, str(refused)) from None


def suffix(start: date | None, end: date | None) -> str:
    """A CSV file name's period part: ``-from-2026-07-01-to-2026-09-30``."""
    return "".join(f"-{part}" for part in (start and f"from-{start}", end and f"to-{end}")
                   if part)

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a safe cell: numbers as they are, text defused, None empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        try:
            float(value)  # a negative amount is a number, not a formula
        except ValueError:
            return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def csv_response(filename: str, header: Sequence[str],
                 rows: Iterable[Sequence[Any]]) -> Response:
    """The rows as a CSV download named ``filename``."""
    return Response(csv_text(header, rows).encode("utf-8"),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
