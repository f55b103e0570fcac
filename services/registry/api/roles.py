"""Who may do what (DESIGN): operators register, look up and log; analysts read; admins
manage categories and may do everything."""

from typing import Annotated, Any

from fastapi import Depends, Request

from shared.auth import Principal, Role, require


def _allowing(*roles: Role) -> Any:
    """shared.auth's check of the token and role, called on the event loop.

    ``require``'s dependency is a plain function, which FastAPI runs in its thread pool:
    a thread hop on every request (about a fifth of a caller-card look-up's time). The
    check does no I/O, so it is awaited here directly. (Better fixed in shared.auth.)
    """
    check = require(*roles).dependency

    async def principal(request: Request) -> Principal:
        return check(request)  # type: ignore[no-any-return]

    return Annotated[Principal, Depends(principal)]


Operator = _allowing(Role.OPERATOR, Role.ADMIN)
Reader = _allowing(Role.OPERATOR, Role.ANALYST, Role.ADMIN)
Admin = _allowing(Role.ADMIN)
