"""The one place a refusal becomes an HTTP status: 4xx responses with ``{"detail": ...}``.

The kinds are the domain's (``services.registry.domain.errors``); only this module knows
their status codes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pymongo.errors import DuplicateKeyError

from services.registry.domain.errors import (
    Conflict,
    NotFound,
    Refused,
    UnknownCategory,
    Unprocessable,
)

STATUS: tuple[tuple[type[Refused], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (Unprocessable, 422),
)
"""A refusal's status: the first kind it is an instance of, else 400."""

UNKNOWN_CATEGORY_STATUS = 422


def install(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Refused)
        status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
        return JSONResponse({"detail": error.detail}, status_code=status)

    @app.exception_handler(DuplicateKeyError)
    async def raced(request: Request, error: Exception) -> JSONResponse:
        # Two requests claimed the same phone, card number or slug at once (only a real
        # MongoDB lets them overlap): the loser's transaction is rolled back.
        detail = {"message": "another request registered the same key at the same moment; "
                             "look it up and try again"}
        return JSONResponse({"detail": detail}, status_code=409)

    @app.exception_handler(UnknownCategory)
    async def unknown_category(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, UnknownCategory)
        detail = {"message": str(error), "field": "category", "valid": error.valid}
        return JSONResponse({"detail": detail}, status_code=UNKNOWN_CATEGORY_STATUS)
