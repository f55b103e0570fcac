"""A notify service in memory for the use-case tests: real repository on MemoryDatabase,
a settable clock, the outbox gateway (or any fake) and the published events in a list."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from services.notify import handlers
from services.notify.domain import Policy
from services.notify.gateways.sms import OutboundSms, OutboxGateway, SmsGateway
from services.notify.handlers import replies
from services.notify.jobs import Sender
from services.notify.repository import NotifyRepository
from shared.auth import PeopleDirectory
from shared.contracts import (
    CustomerRegistered,
    Event,
    NotificationSent,
    OperatorUpdated,
    PurchaseRecorded,
    SurveyAnswered,
)
from shared.database.memory import MemoryDatabase

E = TypeVar("E", bound=Event)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Notify:
    clock: Clock
    gateway: SmsGateway | None = None
    policy: Policy = field(default_factory=Policy)
    published: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.db = MemoryDatabase(f"test-{uuid.uuid4().hex[:8]}")
        self.repo = NotifyRepository(self.db)
        if self.gateway is None:
            self.gateway = OutboxGateway(store=self._store)
        self.people = PeopleDirectory(self.db, ttl_s=0)
        self.sender = Sender(self.db, self.repo, self.gateway, self.policy, self._publish,
                             self.clock, people=self.people)

    async def _store(self, message: OutboundSms) -> None:
        await self.repo.store_outbound(message, self.clock())

    async def _publish(self, events: Sequence[Event]) -> None:
        self.published.extend(events)

    async def consume(self, use_case: Callable[..., Awaitable[Sequence[Event]]],
                      event: Event) -> Sequence[Event]:
        """As the consume path does: the use case in a transaction, its events published."""
        async with self.db.transaction():
            derived = await use_case(self.repo, self.policy, event, self.clock())
        self.published.extend(derived)
        return derived

    async def register(self, customer_id: str, phone: str, language: str = "ru") -> None:
        await self.consume(handlers.on_registered, registered(customer_id, phone, language))

    async def employ(self, operator_id: str, display_name: str,
                     **display_names: str) -> None:
        """A person of the directory, as crm.operator.updated.v1 brings them to notify."""
        async with self.db.transaction():
            await self.people.mirror(OperatorUpdated(
                operator_id=operator_id, display_name=display_name, active=True,
                display_names=display_names, role="operator"))  # type: ignore[arg-type]

    async def reply(self, phone: str, text: str) -> str:
        async with self.db.transaction():
            result = await replies.on_inbound(self.repo, self.policy, phone, text, self.clock())
        self.published.extend(result.events)
        return result.action

    async def outbox(self, kind: str | None = "quality_survey") -> list[dict[str, Any]]:
        """What the gateway took, oldest first; of one kind (``None``: all)."""
        rows = reversed(await self.repo.recent_outbound(1000))
        return [row for row in rows if kind is None or row["kind"] == kind]

    def sent(self, kind: str | None = "quality_survey") -> list[NotificationSent]:
        """The published notification.sent events; of one kind (``None``: all)."""
        return [e for e in self.published if isinstance(e, NotificationSent)
                and (kind is None or e.kind == kind)]

    def answers(self) -> list[SurveyAnswered]:
        return [e for e in self.published if isinstance(e, SurveyAnswered)]


def registered(customer_id: str, phone: str, language: str = "ru") -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id, full_name="Olga Smirnova", phone=phone, country="RU",
        person_type="individual", category="ordinary", language=language,  # type: ignore[arg-type]
        entered_by="operator",
    )


def purchase(customer_id: str, purchase_id: str, at: datetime,
             employee_id: str = "e-ivan") -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=purchase_id, customer_id=customer_id, amount="1250.00",  # type: ignore[arg-type]
        currency="RUB", discounted=False, payment_method="card", employee_id=employee_id,
        occurred_at=at,
    )
