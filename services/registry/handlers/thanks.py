"""An operator's thank-you from the caller card: recorded, shown on the card at once, and
published as crm.customer.thanked.v1 (notify sends the SMS, loyalty credits the points)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.registry.domain import new_id
from services.registry.domain.errors import Conflict, CustomerNotFound, Unprocessable
from services.registry.domain.thanks import Repeat, apply_thanked, repeat_of
from services.registry.repository import RegistryRepository
from shared.auth import Principal
from shared.contracts import CustomerThanked

if TYPE_CHECKING:  # the command is the HTTP body; api imports these use cases at run time
    from services.registry.api.schemas import ThankYouRequest


async def thank_customer(repo: RegistryRepository, customer_id: str, request: ThankYouRequest,
                         by: Principal, max_bonus: int) -> tuple[CustomerThanked, bool]:
    """The thank-you's event, and whether it is new (to publish). The same thank_you_id
    again returns the first one; with another customer, reason, points or note: ``Conflict``."""
    if await repo.customer(customer_id) is None:
        raise CustomerNotFound()
    if request.bonus_points > max_bonus:
        raise Unprocessable(f"bonus_points: at most {max_bonus}", field="bonus_points")
    event = CustomerThanked(
        thank_you_id=request.thank_you_id or new_id("ty"), customer_id=customer_id,
        reason=request.reason, bonus_points=request.bonus_points, operator_id=by.actor,
        note=request.note or None)
    stored = await repo.thank_you(event.thank_you_id)
    earlier = CustomerThanked.model_validate(stored["event"]) if stored is not None else None
    repeat = repeat_of(earlier, event)
    if repeat is Repeat.CLASH:
        raise Conflict("this thank_you_id was used for another thank-you",
                       field="thank_you_id")
    if repeat is Repeat.SAME:
        assert earlier is not None
        return earlier, False
    await repo.add_thank_you({"_id": event.thank_you_id, "customer_id": customer_id,
                              "event": event.model_dump(mode="json")})
    await repo.save_card(apply_thanked(await repo.card(customer_id), event, by.actor_name))
    return event, True
