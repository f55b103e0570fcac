"""Re-scoring on behaviour: chargebacks, refunds, forbidden payment methods, questions, and
profile changes move a stored decision, and a new score is published when the band moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from services.scoring.domain import BehaviourProfile, ScoringConfig, apply_purchase
from services.scoring.domain.explanation import explain
from services.scoring.domain.rescoring import (
    behaviour_facts,
    behaviour_reasons,
    forbidden_by,
    observe_payment,
)
from services.scoring.handlers.behaviour import on_customer_updated, on_interaction, on_purchase
from services.scoring.handlers.registration import on_registered
from services.scoring.repository import ScoringRepository
from shared.contracts import (
    CustomerRegistered,
    CustomerScored,
    CustomerSegmented,
    CustomerUpdated,
    Event,
    InteractionLogged,
    PurchaseRecorded,
)
from shared.database.memory import MemoryDatabase

_ids = count(1)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> ScoringRepository:
    return ScoringRepository(MemoryDatabase("test"))


def purchase(amount: str = "100.00", method: str = "cash", at: datetime = NOW,
             customer_id: str = "c-1") -> PurchaseRecorded:
    return PurchaseRecorded(purchase_id=f"p-{next(_ids)}", customer_id=customer_id,
                            amount=amount, currency="RUB", discounted=False,  # type: ignore[arg-type]
                            payment_method=method, occurred_at=at)


def call(questions: int, customer_id: str = "c-1") -> InteractionLogged:
    return InteractionLogged(interaction_id=f"i-{next(_ids)}", customer_id=customer_id,
                             channel="call", duration_s=120, questions=questions,
                             outcome="info")  # type: ignore[arg-type]


def scores(events: Any) -> list[CustomerScored]:
    return [e for e in events if isinstance(e, CustomerScored)]


# the rules, pure -------------------------------------------------------------------------

def test_a_policy_forbids_the_methods_it_names(config: ScoringConfig) -> None:
    rules = config.rescoring
    assert forbidden_by("irreversible_only", "Card", rules)
    assert forbidden_by("irreversible_only", "invoice", rules)
    assert not forbidden_by("irreversible_only", "bank_transfer", rules)
    assert forbidden_by("prepaid_only", "invoice", rules)
    assert not forbidden_by("prepaid_only", "card", rules)
    assert not forbidden_by("any", "card", rules)


def observed(profile: BehaviourProfile, event: PurchaseRecorded, config: ScoringConfig,
             policy: str = "any", registered_at: datetime | None = None) -> BehaviourProfile:
    return observe_payment(profile, apply_purchase(profile, event), event, policy,  # type: ignore[arg-type]
                           registered_at, config.rescoring)


def test_payments_leave_the_facts_re_scoring_reads(config: ScoringConfig) -> None:
    fresh = BehaviourProfile()
    quick = observed(fresh, purchase(method="card"), config, registered_at=NOW - timedelta(hours=2))
    assert quick.quick_reversible_first_purchase and quick.purchases == 1
    late = observed(fresh, purchase(method="card"), config, registered_at=NOW - timedelta(days=3))
    assert not late.quick_reversible_first_purchase
    by_cash = observed(fresh, purchase(method="cash"), config, registered_at=NOW)
    assert not by_cash.quick_reversible_first_purchase
    charged_back = observed(quick, purchase("-100.00", "chargeback"), config)
    assert (charged_back.chargebacks, charged_back.refunds) == (1, 1)
    refunded = observed(quick, purchase("-100.00", "card"), config)
    assert (refunded.chargebacks, refunded.refunds) == (0, 1)
    forbidden = observed(fresh, purchase(method="card"), config, policy="irreversible_only")
    assert forbidden.forbidden_payments == 1


def test_only_facts_that_fire_are_kept(config: ScoringConfig) -> None:
    rules = config.rescoring
    assert behaviour_facts(BehaviourProfile(purchases=9, refunds=2, questions=3), rules) == {}
    pattern = BehaviourProfile(purchases=4, refunds=3, questions_before_purchase=7)
    assert behaviour_facts(pattern, rules) == {
        "refunds": 3, "purchases": 4, "questions_before_purchase": 7}


def test_chargebacks_weigh_per_chargeback_up_to_two(config: ScoringConfig) -> None:
    assert behaviour_reasons({"chargebacks": 1}, config)[0][2] == 1
    code, detail, times = behaviour_reasons({"chargebacks": 5}, config)[0]
    assert (code, times) == ("chargeback", 2)
    assert detail == "5 payments reversed by chargeback since registering"


# the handlers ----------------------------------------------------------------------------

async def registered(repo: ScoringRepository, config: ScoringConfig,
                     registration: Callable[..., CustomerRegistered], **fields: Any
                     ) -> CustomerScored:
    events = await on_registered(
        repo, lambda: config, registration(occurred_at=NOW - timedelta(hours=1), **fields))
    return scores(events)[0]


async def test_chargebacks_re_score_an_honest_customer_high_with_the_reason(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    first = await registered(repo, config, registration)
    assert first.band == "low" and first.trigger == "registration"
    published: list[Event] = []
    for _ in range(2):
        bought = purchase("900.00", "card")
        published += await on_purchase(repo, lambda: config, bought)
        published += await on_purchase(
            repo, lambda: config, purchase("-900.00", "chargeback"))
    rescored = scores(published)
    assert [s.band for s in rescored][-1] == "high"
    assert rescored[-1].trigger == "behaviour"
    assert rescored[-1].reasons[0].code == "chargeback"
    assert rescored[-1].reasons[0].weight == 2 * config.weight("chargeback")
    assert rescored[-1].payment_policy == "irreversible_only"
    stored = await repo.score("c-1")
    assert stored is not None and stored["band"] == "high" and stored["rescored_by"] == "behaviour"
    # the stored decision replays: its signals hold the behaviour facts
    assert explain(stored, config)["same_decision"] is True


async def test_an_ordinary_customer_buying_changes_nothing_stored(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    await registered(repo, config, registration)
    for _ in range(3):
        assert scores(await on_purchase(repo, lambda: config, purchase())) == []
    stored = await repo.score("c-1")
    assert stored is not None and "rescored_at" not in stored


async def test_questions_before_buying_reassure_a_famous_name(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    first = await registered(repo, config, registration, full_name="Александр Пушкин",
                             email=None, card_holder_name=None)
    published: list[Event] = []
    for _ in range(3):
        published += await on_interaction(repo, lambda: config, call(questions=2))
    stored = await repo.score("c-1")
    assert stored is not None
    assert stored["score"] == first.score + config.weight("questions_before_buying")
    assert "questions_before_buying" in [r["code"] for r in stored["reasons"]]
    moved = scores(published)
    assert all(s.band != first.band for s in moved)  # published only if the band moved


async def test_a_card_payment_against_irreversible_only_is_a_reason(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    first = await registered(repo, config, registration, full_name="Alexander Pushkin",
                             ip="8.8.8.8")
    assert first.payment_policy == "irreversible_only"
    await on_interaction(repo, lambda: config, call(questions=0))  # a contact first
    await on_purchase(repo, lambda: config, purchase(method="card"))
    stored = await repo.score("c-1")
    assert stored is not None
    assert "forbidden_payment_method" in [r["code"] for r in stored["reasons"]]


async def test_a_purchase_of_a_customer_scoring_never_saw_is_only_counted(
    repo: ScoringRepository, config: ScoringConfig,
) -> None:
    events = await on_purchase(repo, lambda: config, purchase("-5.00", "chargeback"))
    assert scores(events) == [] and await repo.score("c-1") is None


async def test_a_change_to_a_company_with_a_corporate_email_is_scored_again(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    await registered(repo, config, registration, email="anna@gmail.com")
    update = CustomerUpdated(customer_id="c-1", person_type="company",
                             email="accounts@severlog.ru",
                             changed=["email", "person_type"])
    events = await on_customer_updated(repo, lambda: config, update)
    assert [e.segment for e in events if isinstance(e, CustomerSegmented)] == ["company"]
    stored = await repo.score("c-1")
    assert stored is not None and stored["company_recognised"] is True
    assert stored["signals"]["corporate_domain"] == "severlog.ru"
    assert "company_verified" in [r["code"] for r in stored["reasons"]]
    assert stored["rescored_by"] == "profile"


async def test_a_disposable_email_later_raises_the_score(
    repo: ScoringRepository, config: ScoringConfig,
    registration: Callable[..., CustomerRegistered],
) -> None:
    first = await registered(repo, config, registration)
    update = CustomerUpdated(customer_id="c-1", email="x@mailinator.com", changed=["email"])
    await on_customer_updated(repo, lambda: config, update)
    stored = await repo.score("c-1")
    assert stored is not None and stored["score"] > first.score
    assert "disposable_email" in [r["code"] for r in stored["reasons"]]
