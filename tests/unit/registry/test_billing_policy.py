"""The payment policy published for billing: the stricter of risk and category, once per change."""

from typing import Any

from services.registry import handlers
from services.registry.api.schemas import CategoryPatch, CustomerPatch
from services.registry.domain.card_updates import payment_policy_change, record_published_policy
from services.registry.repository import RegistryRepository
from shared.contracts import CustomerScored, CustomerUpdated
from tests.unit.registry.conftest import OPERATOR, audit, registration
from tests.unit.registry.test_card_subscribers import external_registration


def scored(customer_id: str, policy: str = "irreversible_only", band: str = "high",
           score: int = 80) -> CustomerScored:
    return CustomerScored(customer_id=customer_id, score=score, band=band,  # type: ignore[arg-type]
                          payment_policy=policy, model_version="rules-1")  # type: ignore[arg-type]


def card(risk: str | None, published: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"customer_id": "c-1", "category": "ordinary", "versions": {},
                                "revision": 3,
                                "risk": None if risk is None else {"payment_policy": risk}}
    if published is not None:
        document["published_payment_policy"] = published
    return document


def test_an_unscored_ordinary_customer_has_nothing_to_publish() -> None:
    assert payment_policy_change(card(None), "any") is None
    assert payment_policy_change(card("any"), "any") is None


def test_the_stricter_of_risk_and_category_is_published_with_its_sources() -> None:
    change = payment_policy_change(card("irreversible_only"), "prepaid_only")
    assert change is not None
    assert change.policy == "prepaid_only"
    assert (change.sources.risk, change.sources.category) == ("irreversible_only", "prepaid_only")
    assert payment_policy_change(card("irreversible_only"), "any").policy == "irreversible_only"  # type: ignore[union-attr]


def test_a_policy_already_published_is_not_published_again_but_a_relaxed_one_is() -> None:
    assert payment_policy_change(card("prepaid_only", "prepaid_only"), "any") is None
    relaxed = payment_policy_change(card("any", "prepaid_only"), "any")
    assert relaxed is not None and relaxed.policy == "any"


def test_recording_the_published_policy_is_a_new_revision() -> None:
    after = record_published_policy(card("any"), "prepaid_only")
    assert after["published_payment_policy"] == "prepaid_only"
    assert after["revision"] == 4
    assert record_published_policy(after, "prepaid_only")["revision"] == 4


def only_policy(events: Any) -> list[tuple[Any, ...]]:
    return [(e.changed, e.payment_policy, e.payment_policy_sources.model_dump())
            for e in events if isinstance(e, CustomerUpdated)]


async def test_a_high_score_publishes_the_policy_once_even_when_redelivered(
    repo: RegistryRepository,
) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    event = scored(customer.customer_id)
    assert only_policy(await handlers.on_scored(repo, event)) == [
        (["payment_policy"], "irreversible_only",
         {"risk": "irreversible_only", "category": "any"})]
    assert await handlers.on_scored(repo, event) == []
    # a low score later: billing may take payments of any kind again
    later = scored(customer.customer_id, policy="any", band="low", score=5)
    assert only_policy(await handlers.on_scored(repo, later)) == [
        (["payment_policy"], "any", {"risk": "any", "category": "any"})]


async def test_a_low_score_of_an_ordinary_customer_publishes_nothing(
    repo: RegistryRepository,
) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    assert await handlers.on_scored(repo, scored(customer.customer_id, "any", "low", 5)) == []


async def test_a_move_to_a_prepayment_category_names_the_combined_policy(
    repo: RegistryRepository,
) -> None:
    customer = await handlers.register(repo, audit(repo), registration(), OPERATOR)
    await handlers.on_scored(repo, scored(customer.customer_id))
    _, event = await handlers.change_customer(
        repo, audit(repo), customer.customer_id, CustomerPatch(category="problematic"), OPERATOR)
    assert event is not None
    assert event.changed == ["category", "payment_policy"]
    assert event.payment_policy == "prepaid_only"
    assert event.payment_policy_sources is not None
    assert event.payment_policy_sources.model_dump() == {
        "risk": "irreversible_only", "category": "prepaid_only"}
    # a change that leaves the policy as it is says nothing about it
    _, renamed = await handlers.change_customer(
        repo, audit(repo), customer.customer_id, CustomerPatch(full_name="Anna Sidorova"),
        OPERATOR)
    assert renamed is not None and renamed.payment_policy is None
    assert "payment_policy" not in renamed.changed


async def test_a_score_that_overtook_an_outside_registration_is_published_with_it(
    repo: RegistryRepository,
) -> None:
    assert await handlers.on_scored(repo, scored("ext-1", "prepaid_only")) == []  # no category yet
    events = await handlers.on_registered(repo, external_registration())
    assert only_policy(events) == [
        (["payment_policy"], "prepaid_only", {"risk": "prepaid_only", "category": "any"})]


async def test_a_category_that_starts_requiring_prepayment_tells_billing_of_each_customer_once(
    repo: RegistryRepository,
) -> None:
    first = await handlers.register(repo, audit(repo), registration(category="vip"), OPERATOR)
    second = await handlers.register(
        repo, audit(repo), registration(category="vip", phone="+79001112233"), OPERATOR)
    await handlers.on_scored(repo, scored(first.customer_id))  # irreversible_only published
    await handlers.change_category(repo, "vip", CategoryPatch(prepayment_required=True))
    ids = await repo.card_ids_in_category("vip")
    assert ids == sorted([first.customer_id, second.customer_id])
    events = await handlers.category_policy_updates(repo, ids)
    assert sorted(only_policy(events), key=lambda e: e[2]["risk"]) == [
        (["payment_policy"], "prepaid_only", {"risk": "any", "category": "prepaid_only"}),
        (["payment_policy"], "prepaid_only",
         {"risk": "irreversible_only", "category": "prepaid_only"})]
    assert await handlers.category_policy_updates(repo, ids) == []  # a second sweep: nothing
    await handlers.change_category(repo, "vip", CategoryPatch(prepayment_required=False))
    relaxed = await handlers.category_policy_updates(repo, ids)
    assert sorted(e.payment_policy for e in relaxed) == ["any", "irreversible_only"]  # type: ignore[attr-defined]
