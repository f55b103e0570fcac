"""Behavioural types from interactions and purchases, against the in-memory database."""

from __future__ import annotations

from itertools import count

import pytest

from services.scoring.handlers.behaviour import on_interaction, on_purchase
from services.scoring.handlers.registration import on_registered
from services.scoring.repository import ScoringRepository
from shared.contracts import (
    CustomerSegmented,
    Event,
    InteractionLogged,
    PurchaseRecorded,
)
from shared.database.memory import MemoryDatabase

_ids = count(1)


@pytest.fixture
def repo() -> ScoringRepository:
    return ScoringRepository(MemoryDatabase("test"))


def interaction(customer_id: str = "c-1", questions: int = 4, duration_s: int = 600,
                outcome: str = "no_purchase") -> InteractionLogged:
    return InteractionLogged(
        interaction_id=f"i-{next(_ids)}", customer_id=customer_id, channel="call",
        duration_s=duration_s, questions=questions, outcome=outcome,
    )  # type: ignore[arg-type]


def purchase(customer_id: str = "c-1", discounted: bool = False) -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=f"p-{next(_ids)}", customer_id=customer_id, amount="100.00",
        currency="RUB", discounted=discounted, payment_method="card",
    )  # type: ignore[arg-type]


def segments(events) -> list[str]:
    return [e.segment for e in events if isinstance(e, CustomerSegmented)]


async def test_many_questions_and_no_purchase_make_a_time_waster_once(repo, config) -> None:
    published = []
    for _ in range(5):
        published += await on_interaction(repo, lambda: config, interaction())
    assert segments(published) == ["time_waster"]
    evidence = published[0].evidence
    assert evidence["purchases"] == 0 and evidence["questions"] >= 6


async def test_a_quiet_customer_stays_regular_and_nothing_is_published(repo, config) -> None:
    out = await on_interaction(repo, lambda: config, interaction(questions=0))
    assert out == []


async def test_a_purchase_after_wasting_time_changes_the_segment_again(repo, config) -> None:
    for _ in range(3):
        await on_interaction(repo, lambda: config, interaction())
    out = await on_purchase(repo, lambda: config, purchase())
    assert segments(out) == ["regular"]


async def test_bargain_hunter_is_published_with_a_derived_event_id(repo, config) -> None:
    published = []
    for _ in range(3):
        event = purchase(discounted=True)
        out = await on_purchase(repo, lambda: config, event)
        published += [(event, e) for e in out]
    [(source, segmented)] = published
    assert segmented.segment == "bargain_hunter"
    assert segmented.event_id == Event.derived_id(source.event_id, "segmented")


async def test_a_company_registration_publishes_the_company_segment(
    repo, config, registration
) -> None:
    out = await on_registered(
        repo, lambda: config, registration(customer_id="co-1", person_type="company"))
    assert segments(out) == ["company"]


async def test_an_interaction_before_the_registration_keeps_the_person_type_later(
    repo, config, registration
) -> None:
    await on_interaction(repo, lambda: config, interaction("early", questions=0))
    await on_registered(
        repo, lambda: config, registration(customer_id="early", person_type="company"))
    stored = await repo.behaviour_profile("early")
    assert stored is not None
    assert stored["profile"]["person_type"] == "company"
    assert stored["profile"]["interactions"] == 1
    out = await on_interaction(repo, lambda: config, interaction("early"))
    assert out == []  # still a company: no change, nothing published


async def test_an_individual_registration_publishes_no_segment(repo, config, registration) -> None:
    out = await on_registered(repo, lambda: config, registration(customer_id="ind"))
    assert segments(out) == []
