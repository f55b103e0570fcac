"""Redemptions: the domain rule and the use case on the in-process database."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from services.loyalty import handlers
from services.loyalty.api.schemas import RedemptionRequest
from services.loyalty.domain import Account, EarningRules
from services.loyalty.domain.redemptions import RedemptionRefused, check_repeat, debit
from services.loyalty.handlers import redemptions
from services.loyalty.repository import LoyaltyRepository
from shared.contracts import LoyaltyUpdated, PointsRedeemed
from tests.unit.loyalty.wiring import NOW, bought, new_repo, registered


def ask(points: int, redemption_id: str = "r-1", customer_id: str = "c-1",
        **fields: str) -> RedemptionRequest:
    return RedemptionRequest(redemption_id=redemption_id, customer_id=customer_id,
                             points=points, **fields)


async def with_balance(balance: int, customer_id: str = "c-1") -> LoyaltyRepository:
    repo = new_repo()
    await repo.save(Account(customer_id=customer_id, card_number="card-1",
                            points_balance=balance))
    return repo


async def redeem(repo: LoyaltyRepository, request: RedemptionRequest
                 ) -> tuple[dict[str, object], list[object], bool]:
    async with repo.db.transaction():
        result, events, created = await redemptions.redeem(
            repo, request.redemption_id, request.customer_id, request.points,
            request.purchase_id, NOW)
    return result, list(events), created


def test_debit_takes_points_off_and_refuses_more_than_the_balance() -> None:
    account = Account(customer_id="c-1", points_balance=500)
    assert debit(account, 200).points_balance == 300
    assert debit(account, 500).points_balance == 0
    with pytest.raises(RedemptionRefused) as refused:
        debit(account, 501)
    assert refused.value.status == 409
    assert "the balance is 500" in refused.value.detail
    with pytest.raises(ValueError):
        debit(account, 0)


def test_a_repeat_must_ask_the_same() -> None:
    record = {"_id": "r-1", "customer_id": "c-1", "points": 200}
    check_repeat(record, "c-1", 200)
    for customer_id, points in (("c-1", 300), ("c-2", 200)):
        with pytest.raises(RedemptionRefused) as refused:
            check_repeat(record, customer_id, points)
        assert refused.value.status == 409


@pytest.mark.parametrize("points", [0, -5, 1.5, "200", True])
def test_points_must_be_a_whole_number_above_zero(points: object) -> None:
    with pytest.raises(ValidationError):
        RedemptionRequest.model_validate(
            {"redemption_id": "r-1", "customer_id": "c-1", "points": points})


async def test_a_redemption_debits_once_and_publishes_both_events() -> None:
    repo = await with_balance(500)

    result, events, created = await redeem(repo, ask(200, purchase_id="p-9"))

    assert created
    assert result == {"redemption_id": "r-1", "customer_id": "c-1", "points": 200,
                      "points_balance": 300, "purchase_id": "p-9"}
    redeemed, updated = events
    assert isinstance(redeemed, PointsRedeemed) and isinstance(updated, LoyaltyUpdated)
    assert (redeemed.points, redeemed.points_balance, redeemed.purchase_id) == (200, 300, "p-9")
    assert (updated.points_delta, updated.points_balance) == (-200, 300)

    again, repeat_events, created_again = await redeem(repo, ask(200, purchase_id="p-9"))
    assert (again, repeat_events, created_again) == (result, [], False)
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 300
    assert [r["_id"] for r in await repo.redemptions_of("c-1")] == ["r-1"]


async def test_a_reused_id_with_other_figures_is_refused_and_changes_nothing() -> None:
    repo = await with_balance(500)
    await redeem(repo, ask(200))
    for request in (ask(100), ask(200, customer_id="c-2")):
        with pytest.raises(RedemptionRefused) as refused:
            await redeem(repo, request)
        assert refused.value.status == 409
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 300


async def test_short_balance_and_unknown_customer() -> None:
    repo = await with_balance(500)
    with pytest.raises(RedemptionRefused) as short:
        await redeem(repo, ask(1000))
    assert short.value.status == 409 and "500" in short.value.detail
    with pytest.raises(RedemptionRefused) as unknown:
        await redeem(repo, ask(10, redemption_id="r-2", customer_id="c-404"))
    assert unknown.value.status == 404
    assert await repo.redemption("r-1") is None
    assert await repo.redemption("r-2") is None


async def test_concurrent_redemptions_never_go_below_zero() -> None:
    repo = await with_balance(500)

    async def attempt(redemption_id: str) -> int:
        try:
            await redeem(repo, ask(300, redemption_id=redemption_id))
        except RedemptionRefused as refused:
            return refused.status
        return 201

    answers = await asyncio.gather(attempt("r-a"), attempt("r-b"))

    assert sorted(answers) == [201, 409]
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 200


async def test_the_conditional_debit_refuses_a_balance_spent_meanwhile() -> None:
    repo = await with_balance(250)
    assert await repo.debit_points("c-1", 200)
    assert not await repo.debit_points("c-1", 100)
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 50


async def test_a_refund_of_the_purchase_a_redemption_paid_for_gives_the_points_back_once(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1", card_number="card-1"), NOW)
    await handlers.on_purchase(repo, rules, bought("c-1", "50000.00", "p-earn"), NOW)
    await handlers.on_purchase(repo, rules, bought("c-1", "10000.00", "p-paid"), NOW)
    await redeem(repo, ask(200, purchase_id="p-paid"))
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 400  # 500 + 100 - 200

    refund = bought("c-1", "-5000.00", "p-refund-1", refund_of="p-paid")
    events = await handlers.on_purchase(repo, rules, refund, NOW)

    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 400 - 50 + 200
    updated = [e for e in events if isinstance(e, LoyaltyUpdated)]
    assert [(e.points_delta, e.points_balance) for e in updated] == [(150, 550)]
    assert await handlers.on_purchase(repo, rules, refund, NOW) == []  # redelivered
    second = bought("c-1", "-5000.00", "p-refund-2", refund_of="p-paid")
    await handlers.on_purchase(repo, rules, second, NOW)  # the rest: its points only
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 550 - 50
    shown = [redemptions.view(r) for r in await repo.redemptions_of("c-1")]
    assert [(r["redemption_id"], r.get("reversed")) for r in shown] == [("r-1", True)]


async def test_a_refund_of_a_purchase_no_redemption_paid_for_gives_nothing_back(
    rules: EarningRules,
) -> None:
    repo = new_repo()
    await handlers.on_purchase(repo, rules, bought("c-1", "50000.00", "p-earn"), NOW)
    await handlers.on_purchase(repo, rules, bought("c-1", "10000.00", "p-other"), NOW)
    await redeem(repo, ask(200, purchase_id="p-paid-elsewhere"))
    await handlers.on_purchase(
        repo, rules, bought("c-1", "-10000.00", "p-refund", refund_of="p-other"), NOW)
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 600 - 200 - 100
