"""Fresh values for tests that share one running suite: nothing collides across tests."""

from __future__ import annotations

import uuid


def unique(prefix: str) -> str:
    """``prefix`` and six random hex digits (a login, an extension, a call id)."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def new_phone() -> str:
    """A fresh valid Russian mobile number in E.164."""
    return f"+7916{uuid.uuid4().int % 10**7:07d}"
