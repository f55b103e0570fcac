"""A thank-you's bonus points: credited once per thank_you_id, whatever the redelivery."""

from __future__ import annotations

from services.loyalty import handlers
from services.loyalty.domain import EarningRules
from services.loyalty.handlers.privacy import on_erased
from shared.contracts import CustomerErased, CustomerThanked, LoyaltyUpdated
from shared.privacy import Erasures
from tests.unit.loyalty.wiring import NOW, new_repo, registered


def thanked(points: int, thank_you_id: str = "ty-1") -> CustomerThanked:
    return CustomerThanked(thank_you_id=thank_you_id, customer_id="c-1", reason="referral",
                           bonus_points=points, operator_id="op-1")


async def test_a_thank_you_credits_its_points_and_announces_the_balance(
        rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1"), NOW)
    [updated] = await handlers.on_thanked(repo, thanked(150), NOW)
    assert isinstance(updated, LoyaltyUpdated)
    assert (updated.points_delta, updated.points_balance) == (150, 150)


async def test_the_same_thank_you_id_is_credited_once(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1"), NOW)
    await handlers.on_thanked(repo, thanked(150), NOW)
    assert await handlers.on_thanked(repo, thanked(150), NOW) == []  # a new event id
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 150


async def test_a_thank_you_without_points_changes_no_balance(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1"), NOW)
    assert await handlers.on_thanked(repo, thanked(0), NOW) == []
    account = await repo.account("c-1")
    assert account is not None and account.points_balance == 0


async def test_erasure_removes_the_thank_yous(rules: EarningRules) -> None:
    repo = new_repo()
    await handlers.on_registered(repo, rules, registered("c-1"), NOW)
    await handlers.on_thanked(repo, thanked(10), NOW)
    await on_erased(repo, Erasures(repo.db), CustomerErased(customer_id="c-1",
                                                            requested_by="op-1"))
    assert await repo.thank_yous_of("c-1") == []
