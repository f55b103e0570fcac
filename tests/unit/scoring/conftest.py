from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.scoring.domain import ScoringConfig, load_config
from shared.contracts import CustomerRegistered

RU_IP = "5.255.255.5"  # Yandex, Moscow
US_IP = "8.8.8.8"


@pytest.fixture(scope="session")
def config() -> ScoringConfig:
    return load_config()


@pytest.fixture
def registration() -> Callable[..., CustomerRegistered]:
    """A complete, consistent self-service registration from Russia; override any field."""

    def make(**overrides: Any) -> CustomerRegistered:
        fields: dict[str, Any] = {
            "customer_id": "c-1",
            "full_name": "Анна Петрова",
            "phone": "+79123456789",
            "email": "anna.petrova@yandex.ru",
            "country": "RU",
            "ip": RU_IP,
            "card_holder_name": "ANNA PETROVA",
            "person_type": "individual",
            "category": "ordinary",
            "source": "friend",
            "language": "ru",
            "entered_by": "self",
        }
        return CustomerRegistered(**(fields | overrides))

    return make
