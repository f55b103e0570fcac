"""on_registered against the in-memory database: velocity, storage, idempotency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scoring.domain import ScoringConfig
from services.scoring.domain.explanation import explain
from services.scoring.handlers.registration import on_registered
from services.scoring.repository import ScoringRepository
from shared.contracts import CustomerRegistered, CustomerScored, CustomerSegmented, Event
from shared.database.memory import MemoryDatabase

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Make = Callable[..., CustomerRegistered]


@pytest.fixture
def repo() -> ScoringRepository:
    return ScoringRepository(MemoryDatabase("test"))


@pytest.fixture
def register(repo: ScoringRepository, config: ScoringConfig, registration: Make) -> Any:
    """Score one registration (fields as in the `registration` fixture) at T0 + minutes."""

    async def run(customer_id: str, minutes: float = 0, **fields: Any) -> CustomerScored:
        event = registration(customer_id=customer_id,
                             occurred_at=T0 + timedelta(minutes=minutes), **fields)
        out = await on_registered(repo, lambda: config, event)
        return next(e for e in out if isinstance(e, CustomerScored))

    return run


def codes(scored: CustomerScored) -> list[str]:
    return [reason.code for reason in scored.reasons]


async def velocity(repo: ScoringRepository, customer_id: str) -> dict[str, int]:
    stored = await repo.score(customer_id)
    assert stored is not None
    return stored["signals"]["velocity"]


async def test_registrations_from_one_ip_are_counted_within_the_hour(register, repo) -> None:
    for i in range(4):
        await register(f"ip-{i}", minutes=10 * i, card_holder_name=f"Holder{i} Name{i}")
    assert [(await velocity(repo, f"ip-{i}"))["ip"] for i in range(4)] == [0, 1, 2, 3]


async def test_velocity_reason_fires_at_the_configured_limit(register) -> None:
    scored = [await register(f"ring-{i}", minutes=i, card_holder_name=f"Holder{i} Name{i}")
              for i in range(4)]
    assert "velocity_ip" not in codes(scored[2])
    assert "velocity_ip" in codes(scored[3])


async def test_registrations_older_than_the_window_are_not_counted(register, repo) -> None:
    for i in range(3):
        await register(f"old-{i}", minutes=i, card_holder_name=f"Holder{i} Name{i}")
    await register("later", minutes=61 + 2, card_holder_name="Later Holder")
    assert (await velocity(repo, "later"))["ip"] == 0


async def test_card_holder_velocity_uses_its_own_day_long_window(register, repo) -> None:
    await register("card-1", minutes=0, ip="77.88.8.8")
    await register("card-2", minutes=60 * 5, ip="87.250.250.242")
    await register("card-3", minutes=60 * 23, ip="213.180.204.62")
    counts = await velocity(repo, "card-3")
    assert counts["card_holder"] == 2
    assert counts["ip"] == 0


async def test_corporate_email_domains_are_counted_and_free_mail_is_not(register, repo) -> None:
    for i in range(3):
        await register(f"corp-{i}", minutes=i, email=f"u{i}@acme-trading.ru",
                       card_holder_name=f"Holder{i} Name{i}", ip=f"5.255.255.{i + 1}")
    await register("free", minutes=4, card_holder_name="Free Mail", ip="5.255.255.9")
    assert (await velocity(repo, "corp-2"))["email_domain"] == 2
    assert (await velocity(repo, "free"))["email_domain"] == 0


async def test_a_registration_that_arrives_late_counts_only_earlier_ones(register, repo) -> None:
    await register("first", minutes=0, card_holder_name="Aa Bb")
    await register("third", minutes=20, card_holder_name="Cc Dd")
    await register("second", minutes=10, card_holder_name="Ee Ff")
    assert (await velocity(repo, "second"))["ip"] == 1
    await register("fourth", minutes=30, card_holder_name="Gg Hh")
    assert (await velocity(repo, "fourth"))["ip"] == 3


async def test_a_redelivered_registration_is_not_counted_twice(
    repo, config, registration
) -> None:
    event = registration(customer_id="again", occurred_at=T0)
    first = await on_registered(repo, lambda: config, event)
    second = await on_registered(repo, lambda: config, event)
    assert [e.event_id for e in first] == [e.event_id for e in second]
    follower = registration(customer_id="follower", occurred_at=T0 + timedelta(minutes=1),
                            card_holder_name="Other Holder")
    await on_registered(repo, lambda: config, follower)
    assert (await velocity(repo, "again"))["ip"] == 0
    assert (await velocity(repo, "follower"))["ip"] == 1


async def test_the_scored_event_id_is_derived_from_the_registration(
    repo, config, registration
) -> None:
    event = registration(customer_id="derived", occurred_at=T0)
    out = await on_registered(repo, lambda: config, event)
    assert out[0].event_id == Event.derived_id(event.event_id, "scored")


async def test_the_decision_is_stored_with_its_signals_and_no_raw_contact_data(
    register, repo
) -> None:
    scored = await register("stored", full_name="Alexander Pushkin", ip="8.8.8.8")
    stored = await repo.score("stored")
    assert stored is not None
    assert stored["band"] == scored.band == "high"
    assert stored["payment_policy"] == "irreversible_only"
    assert stored["model_version"] == scored.model_version
    assert stored["reasons"][0]["code"] == "famous_name"
    assert stored["signals"]["ip_country"] == "US"
    flat = repr(stored["signals"])
    assert "8.8.8.8" not in flat and "+79123456789" not in flat and "yandex.ru" not in flat


async def test_velocity_documents_hold_no_raw_ip_or_name(register, repo) -> None:
    await register("private", ip="8.8.4.4", card_holder_name="Secret Holder")
    documents = await repo.velocity.find({}).to_list()
    assert documents
    assert "8.8.4.4" not in repr(documents) and "secret" not in repr(documents).lower()


async def test_explain_replays_the_stored_signals_to_the_same_decision(
    register, repo, config
) -> None:
    await register("explained", ip="8.8.8.8", card_holder_name="JOHN SMITH")
    stored = await repo.score("explained")
    explanation = explain(stored, config)
    assert explanation["same_decision"] is True
    assert explanation["replayed"]["score"] == stored["score"]


async def test_explain_shows_what_new_rules_would_decide(register, repo, config) -> None:
    await register("retuned", ip="8.8.8.8", card_holder_name="JOHN SMITH")
    stricter = config.model_copy(update={"model_version": "stricter", "base_score": 100})
    explanation = explain(await repo.score("retuned"), stricter)
    assert explanation["recorded"]["model_version"] == config.model_version
    assert explanation["replayed"]["model_version"] == "stricter"
    assert explanation["replayed"]["band"] == "high"


async def test_an_individual_recognised_as_a_company_is_segmented_as_one(
    repo, config, registration
) -> None:
    event = registration(customer_id="ooo-1", full_name="ООО «Северная Логистика»",
                         email="info@sev-logistika.ru", card_holder_name=None)
    out = await on_registered(repo, lambda: config, event)
    assert [e.segment for e in out if isinstance(e, CustomerSegmented)] == ["company"]
    person = registration(customer_id="anna-1", email="anna@sev-logistika.ru")
    out = await on_registered(repo, lambda: config, person)
    assert not [e for e in out if isinstance(e, CustomerSegmented)]
