"""An operator's thank-you from the card, and notify's automatic ones, on the caller card."""

import pytest
from pydantic import ValidationError

from services.registry import handlers
from services.registry.api.schemas import ThankYouRequest
from services.registry.domain.card import analyst_card
from services.registry.domain.errors import Conflict, CustomerNotFound, Unprocessable
from services.registry.domain.thanks import (
    THANK_YOUS_ON_CARD,
    Repeat,
    apply_notification_sent,
    apply_thanked,
    repeat_of,
)
from services.registry.handlers.thanks import thank_customer
from services.registry.repository import RegistryRepository
from shared.contracts import CustomerThanked, NotificationSent
from tests.unit.registry.conftest import OPERATOR, audit, registration


def thanks(**fields: object) -> ThankYouRequest:
    return ThankYouRequest.model_validate({"reason": "complaint_resolved"} | fields)


def sent(customer_id: str, cause: str | None, kind: str = "thank_you", status: str = "sent",
         **fields: object) -> NotificationSent:
    return NotificationSent.model_validate({
        "notification_id": f"{kind}:{cause}", "customer_id": customer_id, "kind": kind,
        "status": status, "cause": cause} | fields)


async def registered(repo: RegistryRepository) -> str:
    return (await handlers.register(repo, audit(repo), registration(), OPERATOR)).customer_id


async def test_a_thank_you_is_on_the_card_with_reason_points_and_who(
        repo: RegistryRepository) -> None:
    customer_id = await registered(repo)
    event, new = await thank_customer(repo, customer_id, thanks(bonus_points=100, note="sorry"),
                                      OPERATOR, max_bonus=1000)
    assert new and event.operator_id == OPERATOR.actor and event.bonus_points == 100
    card = await handlers.look_up_caller(repo, "+79001234567", "RU")
    [line] = card.thank_yous
    assert (line.reason, line.bonus_points, line.by_name, line.automatic) == (
        "complaint_resolved", 100, "Anna Operator", False)


async def test_the_same_thank_you_id_again_is_the_same_thank_you(
        repo: RegistryRepository) -> None:
    customer_id = await registered(repo)
    first, _ = await thank_customer(repo, customer_id, thanks(thank_you_id="t-1"), OPERATOR, 10)
    again, new = await thank_customer(repo, customer_id, thanks(thank_you_id="t-1"), OPERATOR, 10)
    assert not new and again.event_id == first.event_id


async def test_a_thank_you_id_reused_for_other_points_is_a_conflict(
        repo: RegistryRepository) -> None:
    customer_id = await registered(repo)
    await thank_customer(repo, customer_id, thanks(thank_you_id="t-1"), OPERATOR, 10)
    with pytest.raises(Conflict):
        await thank_customer(repo, customer_id, thanks(thank_you_id="t-1", bonus_points=5),
                             OPERATOR, 10)


async def test_points_above_the_cap_are_refused(repo: RegistryRepository) -> None:
    customer_id = await registered(repo)
    with pytest.raises(Unprocessable, match="at most 1000"):
        await thank_customer(repo, customer_id, thanks(bonus_points=1001), OPERATOR, 1000)


async def test_an_unknown_customer_is_not_found(repo: RegistryRepository) -> None:
    with pytest.raises(CustomerNotFound):
        await thank_customer(repo, "c-nobody", thanks(), OPERATOR, 1000)


@pytest.mark.parametrize("fields", [{"reason": "bribe"}, {"bonus_points": -1},
                                    {"surprise": 1}, {"thank_you_id": "no spaces"}])
def test_a_reason_off_the_list_or_negative_points_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        thanks(**fields)


def test_automatic_thank_yous_are_listed_with_their_cause_once() -> None:
    card = apply_notification_sent(None, sent("c-1", "referral"))
    again = apply_notification_sent(card, sent("c-1", "referral"))
    assert again == card
    assert [(t["reason"], t["automatic"]) for t in card["thank_yous"]] == [("referral", True)]


@pytest.mark.parametrize("event", [
    sent("c-1", None, kind="quality_survey"),
    sent("c-1", "gold", status="suppressed"),
    sent("c-1", None),  # an older notify names no cause
])
def test_other_messages_and_unsent_thank_yous_are_not_listed(event: NotificationSent) -> None:
    assert apply_notification_sent(None, event).get("thank_yous", []) == []


def test_an_operators_thank_you_learns_what_became_of_its_sms() -> None:
    thanked = CustomerThanked(thank_you_id="t-1", customer_id="c-1", reason="other")
    card = apply_thanked(None, thanked, "Anna")
    card = apply_notification_sent(card, sent("c-1", "manual", status="suppressed",
                                              thank_you_id="t-1"))
    [line] = card["thank_yous"]
    assert (line["sms"], line["by_name"], line["automatic"]) == ("suppressed", "Anna", False)
    assert apply_thanked(card, thanked) == card  # redelivered: the name stays, nothing else


def test_the_card_keeps_the_newest_thank_yous() -> None:
    card = None
    for n in range(THANK_YOUS_ON_CARD + 2):
        card = apply_thanked(card, CustomerThanked(
            thank_you_id=f"t-{n}", customer_id="c-1", reason="other"))
    assert card is not None and len(card["thank_yous"]) == THANK_YOUS_ON_CARD
    assert card["thank_yous"][0]["thank_you_id"] == f"t-{THANK_YOUS_ON_CARD + 1}"


async def test_an_analyst_sees_thank_yous_without_the_note(repo: RegistryRepository) -> None:
    customer_id = await registered(repo)
    await thank_customer(repo, customer_id, thanks(note="call Anna at home"), OPERATOR, 10)
    view = analyst_card(await handlers.look_up_caller(repo, "+79001234567", "RU"))
    assert [t["reason"] for t in view["thank_yous"]] == ["complaint_resolved"]
    assert "note" not in view["thank_yous"][0]


def test_a_thank_you_id_used_again_is_a_repeat_only_for_the_same_thank_you() -> None:
    first = CustomerThanked(thank_you_id="ty-1", customer_id="c-1",
                            reason="complaint_resolved", bonus_points=10, operator_id="op-1")
    again = first.model_copy(update={"event_id": "e-other"})
    other = first.model_copy(update={"bonus_points": 20})
    assert repeat_of(None, first) is Repeat.NEW
    assert repeat_of(first, again) is Repeat.SAME
    assert repeat_of(first, other) is Repeat.CLASH
