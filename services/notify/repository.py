"""Notify's collections. Every hot lookup is by exact ``_id``; only the small working sets
(``due``, ``pending``, ``summary``) and the outbox view are read by other filters.

- ``recipients``    _id customer_id: phone, language, time_zone, last_survey_at/_id
- ``phones``        _id E.164 number -> customer_id (inbound replies)
- ``consent``       _id customer_id: opted_out, changed_at (kept for good)
- ``notifications`` _id notification_id: request, status, send_at, reason, attempts
- ``due``           _id notification_id: send_at (only messages still to send), mirrored
                    in memory by ``DueIndex`` so finding due messages is never a scan;
                    claimed_by, claim_until while a replica's sender holds it (``claims``)
- ``pending``       _id customer_id: notification ids waiting for the registration
- ``open_surveys``  _id customer_id: the most recent unanswered survey
- ``answers``       _id survey_id: the answer
- ``summary``       running aggregates (per employee, per kind, per reason)
- ``sms_outbox``    _id notification_id: what the outbox gateway was handed
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.notify.domain import (
    AwaitRegistration,
    Decided,
    Delivered,
    GiveUp,
    NotificationRequest,
    OpenSurvey,
    Queue,
    RecipientState,
    Suppress,
    TryAgain,
)
from services.notify.gateways.sms import OutboundSms
from shared.database import Database, Document
from shared.periods import Period, day_of


class DueIndex:
    """An in-process mirror of ``due``: a heap of (send_at, id), superset of the collection.

    Entries are added when written (a rolled-back write leaves a stale entry, which the
    sender drops when the notification is not due after all) and leave only when taken by
    ``take``. ``reload`` merges the collection back in: at start-up, and periodically so
    entries written by another instance, or taken by a round that failed, come back.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, str]] = []
        self._send_at: dict[str, datetime] = {}

    def add(self, notification_id: str, send_at: datetime) -> None:
        if self._send_at.get(notification_id) != send_at:
            self._send_at[notification_id] = send_at
            heapq.heappush(self._heap, (send_at, notification_id))

    def take(self, now: datetime, limit: int) -> list[str]:
        taken: list[str] = []
        while self._heap and self._heap[0][0] <= now and len(taken) < limit:
            send_at, notification_id = heapq.heappop(self._heap)
            if self._send_at.get(notification_id) == send_at:  # else superseded
                del self._send_at[notification_id]
                taken.append(notification_id)
        return taken

    def __len__(self) -> int:
        return len(self._send_at)


class NotifyRepository:
    def __init__(self, db: Database) -> None:
        self.due_index = DueIndex()
        self.recipients = db.collection("recipients")
        self.phones = db.collection("phones")
        self.consent = db.collection("consent")
        self.notifications = db.collection("notifications")
        self.due = db.collection("due")
        self.pending = db.collection("pending")
        self.open_surveys = db.collection("open_surveys")
        self.answers = db.collection("answers")
        self.summary = db.collection("summary")
        self.sms_outbox = db.collection("sms_outbox")

    # recipients and consent -------------------------------------------------------------
    async def recipient(self, customer_id: str) -> RecipientState | None:
        """What the rules need about a customer; ``None`` before the registration arrived."""
        row = await self.recipients.find_one({"_id": customer_id})
        if row is None:
            return None
        consent = await self.consent.find_one({"_id": customer_id})
        return _recipient_state(row, consent)

    async def recipients_of(self, customer_ids: Iterable[str]) -> dict[str, RecipientState]:
        """``recipient`` of many customers at once (two queries); the unknown ones left out."""
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return {}
        rows = await self.recipients.find({"_id": {"$in": ids}}).to_list()
        consents = {row["_id"]: row
                    for row in await self.consent.find({"_id": {"$in": ids}}).to_list()}
        return {row["_id"]: _recipient_state(row, consents.get(row["_id"])) for row in rows}

    async def save_recipient(self, customer_id: str, phone: str, language: str | None,
                             time_zone: str, at: datetime) -> None:
        await self.recipients.update_one(
            {"_id": customer_id},
            {"$set": {"phone": phone, "language": language, "time_zone": time_zone,
                      "registered_at": at}},
            upsert=True,
        )
        await self.phones.replace_one({"_id": phone}, {"_id": phone, "customer_id": customer_id},
                                      upsert=True)

    async def note_survey(self, customer_id: str, notification_id: str, at: datetime) -> None:
        """The survey the throttle counts from (sent or waiting to be sent)."""
        await self.recipients.update_one(
            {"_id": customer_id},
            {"$set": {"last_survey_at": at, "last_survey_id": notification_id}},
        )

    async def customer_by_phone(self, phone: str) -> str | None:
        row = await self.phones.find_one({"_id": phone})
        return None if row is None else str(row["customer_id"])

    async def set_consent(self, customer_id: str, opted_out: bool, at: datetime) -> None:
        await self.consent.replace_one(
            {"_id": customer_id},
            {"_id": customer_id, "opted_out": opted_out, "changed_at": at}, upsert=True,
        )

    # notifications and the due index ----------------------------------------------------
    async def notification(self, notification_id: str) -> Document | None:
        return await self.notifications.find_one({"_id": notification_id})

    async def notifications_by_id(self, notification_ids: list[str]) -> dict[str, Document]:
        """Many notifications in one query; the missing ones left out."""
        if not notification_ids:
            return {}
        rows = await self.notifications.find({"_id": {"$in": notification_ids}}).to_list()
        return {row["_id"]: row for row in rows}

    async def insert_notification(self, document: Document) -> None:
        await self.notifications.insert_one(document)

    async def update_notification(self, notification_id: str, changes: dict[str, Any]) -> None:
        await self.notifications.update_one({"_id": notification_id}, {"$set": changes})

    async def add_notification(self, document: Document, outcome: AwaitRegistration | Decided,
                               now: datetime) -> None:
        """A new notification with its first decision (one insert): pending for the
        registration, suppressed, or queued in ``due``."""
        _id, customer_id = document["_id"], document["customer_id"]
        match outcome:
            case AwaitRegistration():
                await self.notifications.insert_one(document)
                await self.add_pending(customer_id, _id, now)
            case Suppress():
                await self.notifications.insert_one(document | decided_fields(outcome, now))
            case Queue():
                await self.notifications.insert_one(document | decided_fields(outcome, now))
                await self.schedule(_id, outcome.send_at, new=True)
                if outcome.counts_for_throttle:
                    await self.note_survey(customer_id, _id, outcome.send_at)

    async def record_decision(self, document: Document, outcome: Decided, now: datetime) -> None:
        """A stored notification decided (again): suppressed and out of ``due``, or queued."""
        _id = document["_id"]
        await self.update_notification(_id, decided_fields(outcome, now))
        match outcome:
            case Suppress():
                await self.unschedule(_id)
            case Queue():
                await self.schedule(_id, outcome.send_at)
                if outcome.counts_for_throttle:
                    await self.note_survey(document["customer_id"], _id, outcome.send_at)

    async def record_attempt(self, document: Document, outcome: Delivered | TryAgain | GiveUp,
                             now: datetime) -> None:
        """What the gateway made of a message: sent (a survey opens), to try again (back in
        ``due``), or failed. Taking it out of ``due`` is the caller's, once per round."""
        _id, customer_id = document["_id"], document["customer_id"]
        match outcome:
            case Delivered():
                await self.update_notification(_id, {
                    "status": "sent", "sent_at": now, "reason": None,
                    "attempts": outcome.attempts,
                    "provider_message_id": outcome.provider_message_id})
                if outcome.counts_for_throttle:
                    await self.note_survey(customer_id, _id, now)
                if outcome.survey is not None:
                    await self.open_a_survey(customer_id, outcome.survey)
            case TryAgain():
                await self.update_notification(_id, {"attempts": outcome.attempts,
                                                     "reason": outcome.reason,
                                                     "send_at": outcome.at})
                await self.schedule(_id, outcome.at)
            case GiveUp():
                await self.update_notification(_id, {
                    "status": "failed", "attempts": outcome.attempts, "reason": outcome.reason,
                    "failed_at": now})

    async def schedule(self, notification_id: str, send_at: datetime, new: bool = False) -> None:
        document = {"_id": notification_id, "send_at": send_at}
        if new:  # a first decision: cheaper than an upsert
            await self.due.insert_one(document)
        else:
            await self.due.replace_one({"_id": notification_id}, document, upsert=True)
        self.due_index.add(notification_id, send_at)

    async def unschedule(self, notification_id: str) -> None:
        await self.due.delete_one({"_id": notification_id})

    async def unschedule_many(self, notification_ids: list[str]) -> None:
        if notification_ids:
            await self.due.delete_many({"_id": {"$in": notification_ids}})

    def take_due(self, now: datetime, limit: int) -> list[str]:
        """Ids due at ``now``, earliest first; each must be sent, rescheduled or dropped."""
        return self.due_index.take(now, limit)

    async def reload_due(self) -> int:
        """Merge the ``due`` collection into the index (a scan of what is still to send)."""
        rows = await self.due.find({}).to_list()
        for row in rows:
            self.due_index.add(str(row["_id"]), row["send_at"])
        return len(rows)

    # claims: which replica's sender sends a due message (services.notify.jobs.Claims) --
    # Outside transactions: each document's update is atomic on the server, and a claim
    # must be seen by the other replicas at once.
    async def claim_due(self, notification_ids: list[str], holder: str, now: datetime,
                        until: datetime) -> int:
        """Claim those of ``notification_ids`` that are due and free (never claimed, claim
        expired, or ``holder``'s already) until ``until``; how many ``holder`` now holds."""
        result = await self.due.update_many(
            {"_id": {"$in": notification_ids}, "send_at": {"$lte": now},
             "$or": [{"claim_until": None}, {"claim_until": {"$lte": now}},
                     {"claimed_by": holder}]},
            {"$set": {"claimed_by": holder, "claim_until": until}})
        return int(result.matched_count)

    async def due_documents(self, notification_ids: list[str]) -> dict[str, Document]:
        rows = await self.due.find({"_id": {"$in": notification_ids}}).to_list()
        return {row["_id"]: row for row in rows}

    async def extend_claims(self, notification_ids: list[str], holder: str,
                            until: datetime) -> None:
        await self.due.update_many({"_id": {"$in": notification_ids}, "claimed_by": holder},
                                   {"$set": {"claim_until": until}})

    async def release_claims(self, notification_ids: list[str], holder: str) -> None:
        await self.due.update_many({"_id": {"$in": notification_ids}, "claimed_by": holder},
                                   {"$unset": {"claimed_by": "", "claim_until": ""}})

    # requests waiting for a registration ------------------------------------------------
    async def add_pending(self, customer_id: str, notification_id: str, at: datetime) -> None:
        await self.pending.update_one(
            {"_id": customer_id},
            {"$addToSet": {"notification_ids": notification_id}, "$setOnInsert": {"since": at}},
            upsert=True,
        )

    async def take_pending(self, customer_id: str) -> list[str]:
        row = await self.pending.find_one({"_id": customer_id})
        if row is None:
            return []
        await self.pending.delete_one({"_id": customer_id})
        return list(row.get("notification_ids", []))

    async def pending_since_before(self, cutoff: datetime, limit: int = 500) -> list[str]:
        rows = await self.pending.find({"since": {"$lt": cutoff}}).limit(limit).to_list()
        return [str(row["_id"]) for row in rows]

    # surveys and answers ----------------------------------------------------------------
    async def open_survey(self, customer_id: str) -> OpenSurvey | None:
        row = await self.open_surveys.find_one({"_id": customer_id})
        if row is None:
            return None
        row.pop("_id")
        return OpenSurvey(**row)

    async def open_a_survey(self, customer_id: str, survey: OpenSurvey) -> None:
        # vars(), not asdict(): its fields are plain values, and asdict deep-copies each
        # (a tenth of the sender's time per message).
        await self.open_surveys.replace_one(
            {"_id": customer_id}, {"_id": customer_id, **vars(survey)}, upsert=True
        )

    async def mark_clarified(self, customer_id: str) -> None:
        await self.open_surveys.update_one({"_id": customer_id},
                                           {"$set": {"clarification_sent": True}})

    async def close_survey(self, customer_id: str) -> None:
        await self.open_surveys.delete_one({"_id": customer_id})

    async def save_answer(self, answer: Document) -> None:
        await self.answers.replace_one({"_id": answer["_id"]}, answer, upsert=True)

    # running aggregates -----------------------------------------------------------------
    # Kept per UTC day (``day``), so the summary answers for any period by reading the
    # period's days: a handful of documents a day, never the history of messages.
    async def count_surveys_sent(self, kind: str, count: int, at: datetime) -> None:
        day = day_of(at)
        await self.summary.update_one(
            {"_id": f"kind:{kind}:{day}"},
            {"$inc": {"sent": count}, "$set": {"section": "kind", "kind": kind, "day": day}},
            upsert=True,
        )

    async def count_answer(self, kind: str, employee_id: str | None, rating: int,
                           reason_code: str | None, at: datetime) -> None:
        day = day_of(at)
        await self.summary.update_one(
            {"_id": f"kind:{kind}:{day}"},
            {"$inc": {"answered": 1}, "$set": {"section": "kind", "kind": kind, "day": day}},
            upsert=True,
        )
        if kind == "quality_survey" and employee_id:
            await self.summary.update_one(
                {"_id": f"employee:{employee_id}:{day}"},
                {"$inc": {"responses": 1, "rating_sum": rating},
                 "$set": {"section": "employee", "employee_id": employee_id, "day": day}},
                upsert=True,
            )
        if reason_code:  # a fixed vocabulary (WINBACK_REASONS, WHY_US_REASONS): safe as keys
            await self.summary.update_one(
                {"_id": f"reasons:{kind}:{day}"},
                {"$inc": {f"counts.{reason_code}": 1},
                 "$set": {"section": "reasons", "kind": kind, "day": day}},
                upsert=True,
            )

    async def summary_rows(self, period: Period | None = None) -> list[Document]:
        """The aggregates of a period's days (both included), or all of them. Rows kept
        before they were kept by day have no ``day``: they count in the lifetime only."""
        if period is None or (period.start is None and period.end is None):
            return await self.summary.find({}).to_list()
        day = {**({"$gte": period.start.isoformat()} if period.start else {}),
               **({"$lte": period.end.isoformat()} if period.end else {})}
        return await self.summary.find({"day": day}).to_list()

    # the outbox gateway's store ---------------------------------------------------------
    async def store_outbound(self, message: OutboundSms, at: datetime) -> None:
        """Keep a message handed to the outbox gateway (outside any transaction)."""
        kind, _, _ = message.notification_id.partition(":")  # ids are "<kind>:<hash>"
        with contextlib.suppress(DuplicateKeyError):  # sent again after a crash before it
            await self.sms_outbox.insert_one(  # was marked: keep the first
                {"_id": message.notification_id, "to": message.to, "text": message.text,
                 "customer_id": await self.customer_by_phone(message.to), "kind": kind,
                 "stored_at": at},
            )

    # erasure ----------------------------------------------------------------------------
    async def erase_customer(self, customer_id: str) -> dict[str, int]:
        """Remove every message, answer and number of the customer; the running aggregates
        (``summary``) stay. Documents removed, per collection."""
        removed: dict[str, int] = {}

        async def count(collection: str, result: Any) -> None:
            if result.deleted_count:
                removed[collection] = removed.get(collection, 0) + int(result.deleted_count)

        recipient = await self.recipients.find_one({"_id": customer_id})
        phone = recipient.get("phone") if recipient else None
        if phone:
            await count("phones", await self.phones.delete_one(
                {"_id": phone, "customer_id": customer_id}))
            await count("sms_outbox", await self.sms_outbox.delete_many({"to": phone}))
        ids = [row["_id"] for row in
               await self.notifications.find({"customer_id": customer_id}, {"_id": 1}).to_list()]
        if ids:
            await self.due.delete_many({"_id": {"$in": ids}})  # the sender drops the rest
            await count("notifications", await self.notifications.delete_many(
                {"_id": {"$in": ids}}))
        for name in ("recipients", "consent", "pending", "open_surveys"):
            await count(name, await getattr(self, name).delete_one({"_id": customer_id}))
        await count("answers", await self.answers.delete_many({"customer_id": customer_id}))
        await count("sms_outbox", await self.sms_outbox.delete_many({"customer_id": customer_id}))
        return removed

    async def held_about(self, customer_id: str) -> dict[str, list[Document]]:
        """Everything kept about one customer (subject access)."""
        held: dict[str, list[Document]] = {}
        for name in ("recipients", "consent", "pending", "open_surveys"):
            row = await getattr(self, name).find_one({"_id": customer_id})
            held[name] = [row] if row else []
        for name in ("notifications", "answers", "sms_outbox"):
            held[name] = await getattr(self, name).find({"customer_id": customer_id}).to_list()
        return held

    async def create_indexes(self) -> None:
        # Erasure and subject access find a customer's messages (the stand-in scans).
        for name in ("notifications", "answers", "sms_outbox"):
            await getattr(self, name).create_index("customer_id")
        await self.summary.create_index("day")  # the summary of a period reads its days

    async def recent_outbound(self, limit: int) -> list[Document]:
        return await self.sms_outbox.find({}).sort("stored_at", -1).limit(limit).to_list()


def _recipient_state(row: Document, consent: Document | None) -> RecipientState:
    return RecipientState(
        phone=row.get("phone"), language=row.get("language"),
        opted_out=bool(consent and consent.get("opted_out")),
        last_survey_at=row.get("last_survey_at"), last_survey_id=row.get("last_survey_id"),
        time_zone=row.get("time_zone"),
    )


def request_document(request: NotificationRequest, status: str, now: datetime) -> Document:
    """A notification as stored, before any decision (``status``: ``pending`` until then)."""
    return {
        "_id": request.notification_id, "customer_id": request.customer_id,
        "kind": request.kind, "template": request.template, "context": dict(request.context),
        "employee_id": request.employee_id, "occurred_at": request.occurred_at,
        "created_at": now, "status": status, "send_at": None, "reason": None, "attempts": 0,
        **({"cause": request.cause} if request.cause else {}),
        **({"thank_you_id": request.thank_you_id} if request.thank_you_id else {}),
    }


def request_from(document: Document) -> NotificationRequest:
    """The request a stored notification was made for."""
    return NotificationRequest(
        notification_id=document["_id"], customer_id=document["customer_id"],
        kind=document["kind"], template=document["template"],
        occurred_at=document["occurred_at"], context=document.get("context") or {},
        employee_id=document.get("employee_id"),
        cause=document.get("cause"), thank_you_id=document.get("thank_you_id"),
        clarifies=document.get("clarifies"),
    )


def decided_fields(outcome: Decided, now: datetime) -> dict[str, Any]:
    """The fields a decision sets on a notification."""
    match outcome:
        case Suppress():
            return {"status": "suppressed", "reason": outcome.reason, "decided_at": now}
        case Queue():
            return {"status": outcome.status, "send_at": outcome.send_at,
                    "time_zone": outcome.time_zone, "decided_at": now}
