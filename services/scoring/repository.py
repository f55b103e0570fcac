"""Scoring's collections, each read and written by exact ``_id`` only.

- ``scores``: the latest decision per customer (``_id`` = customer id), with its signals.
- ``velocity``: one document per velocity key (``_id`` = ``kind:digest``) listing recent
  registrations; the key's value is stored only as a digest (an IP or a name is personal).
  The list is one string, ``"<customer_id>@<epoch_s> ..."`` (see ``domain.velocity``): the
  stand-in copies and journals every array element on each write, which made a busy key's
  list the most expensive part of scoring (see benchmarks/scoring.py).
- ``behaviour``: one profile per customer (``_id`` = customer id) and its last segment.
- ``outcomes``: what really happened (fraud or legitimate) per customer (``_id`` = customer
  id), with the decision in force then; the evaluation pages through them by ``_id``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime

from services.scoring.domain import BehaviourProfile, ScoreDecision
from services.scoring.domain.behaviour import DEFAULT_SEGMENT, ProfileUpdate
from services.scoring.domain.decision import Trigger, decision_fields
from services.scoring.domain.outcomes import RecordedOutcome
from services.scoring.domain.redecision import Redecision
from services.scoring.domain.velocity import decode_entries, encode_entries
from shared.contracts import CustomerRegistered, InteractionLogged, PurchaseRecorded
from shared.contracts.types import Segment
from shared.database import Database, Document


def velocity_id(kind: str, value: str) -> str:
    digest = hashlib.blake2b(value.encode(), digest_size=16).hexdigest()
    return f"{kind}:{digest}"


def score_document(event: CustomerRegistered, decision: ScoreDecision, velocity_ids: list[str],
                   scored_at: datetime) -> Document:
    """A registration's decision as ``scores`` keeps it, with the velocity lists it entered
    (their ids, digests), so that an erasure finds them without a scan."""
    return {
        "_id": event.customer_id,
        "customer_id": event.customer_id,
        **decision_fields(decision),
        "signals": decision.signals,
        "registered_at": event.occurred_at,
        "scored_at": scored_at,
        "registration_event_id": str(event.event_id),
        "velocity_ids": velocity_ids,
    }


def rescored_document(stored: Document, redecision: Redecision, rescored_at: datetime,
                      trigger: Trigger) -> Document:
    """A stored decision replaced by its re-decision, saying when and why."""
    return {**stored, **decision_fields(redecision.decision), "signals": redecision.signals,
            "rescored_at": rescored_at, "rescored_by": trigger}


def outcome_document(recorded: RecordedOutcome) -> Document:
    return {
        "_id": recorded.customer_id, "customer_id": recorded.customer_id,
        "outcome": recorded.outcome, "note": recorded.note,
        "recorded_by": recorded.recorded_by, "recorded_at": recorded.recorded_at,
        "score": recorded.score, "band": recorded.band,
        "model_version": recorded.model_version, "codes": recorded.codes,
    }


# What a unit of the consume path reads at once on MongoDB before its handlers run: the
# behaviour profiles and, after registration, the scores of its events' customers.
def profiles_read(events: Sequence[CustomerRegistered | InteractionLogged | PurchaseRecorded]
                  ) -> dict[str, list[str]]:
    return {"behaviour": [event.customer_id for event in events]}


def profiles_and_scores_read(events: Sequence[InteractionLogged | PurchaseRecorded]
                             ) -> dict[str, list[str]]:
    customers = [event.customer_id for event in events]
    return {"behaviour": customers, "scores": customers}


class ScoringRepository:
    def __init__(self, db: Database) -> None:
        self.scores = db.collection("scores")
        self.velocity = db.collection("velocity")
        self.behaviour = db.collection("behaviour")
        self.outcomes = db.collection("outcomes")

    async def save_score(self, document: Document) -> None:
        await self.scores.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def score(self, customer_id: str) -> Document | None:
        return await self.scores.find_one({"_id": customer_id})

    async def velocity_lists(self, keys: Mapping[str, str]) -> dict[str, str]:
        """The velocity list of each key (kind -> value) in its stored form, by kind."""
        lists = {}
        for kind, value in keys.items():
            document = await self.velocity.find_one({"_id": velocity_id(kind, value)})
            lists[kind] = str(document["entries"]) if document else ""
        return lists

    async def save_velocity_lists(self, keys: Mapping[str, str], lists: Mapping[str, str]
                                  ) -> list[str]:
        """Keep each key's list (by kind, see ``velocity_lists``); the lists' ids."""
        ids = []
        for kind, encoded in lists.items():
            list_id = velocity_id(kind, keys[kind])
            document = {"_id": list_id, "kind": kind, "entries": encoded}
            await self.velocity.replace_one({"_id": list_id}, document, upsert=True)
            ids.append(list_id)
        return ids

    async def forget_in_velocity(self, customer_id: str, ids: list[str]) -> int:
        """Take the customer out of the velocity lists ``ids``; how many lists changed."""
        changed = 0
        for _id in ids:
            document = await self.velocity.find_one({"_id": str(_id)})
            if document is None:
                continue
            entries = decode_entries(document["entries"])
            kept = [entry for entry in entries if entry[0] != customer_id]
            if len(kept) != len(entries):
                await self.velocity.update_one(
                    {"_id": _id}, {"$set": {"entries": encode_entries(kept)}})
                changed += 1
        return changed

    async def delete_score(self, customer_id: str) -> int:
        return int((await self.scores.delete_one({"_id": customer_id})).deleted_count)

    async def delete_behaviour(self, customer_id: str) -> int:
        return int((await self.behaviour.delete_one({"_id": customer_id})).deleted_count)

    async def behaviour_profile(self, customer_id: str) -> Document | None:
        return await self.behaviour.find_one({"_id": customer_id})

    async def profile_and_segment(self, customer_id: str) -> tuple[BehaviourProfile, Segment]:
        """The customer's behaviour profile and last segment (a new customer's: empty and
        the default segment)."""
        stored = await self.behaviour_profile(customer_id)
        if stored is None:
            return BehaviourProfile(), DEFAULT_SEGMENT
        return BehaviourProfile.model_validate(stored["profile"]), stored["segment"]

    async def save_profile(self, customer_id: str, update: ProfileUpdate) -> None:
        await self.behaviour.replace_one({"_id": customer_id}, {
            "_id": customer_id, "profile": update.profile.model_dump(),
            "segment": update.segment, "evidence": update.evidence,
        }, upsert=True)

    async def outcome(self, customer_id: str) -> Document | None:
        return await self.outcomes.find_one({"_id": customer_id})

    async def save_outcome(self, document: Document) -> None:
        await self.outcomes.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def outcomes_after(self, after: str | None, limit: int) -> list[Document]:
        """Recorded outcomes in ``_id`` order, the page after ``after`` (the primary index)."""
        query = {"_id": {"$gt": after}} if after else {}
        return list(await self.outcomes.find(query).sort("_id", 1).limit(limit).to_list())

    async def delete_outcome(self, customer_id: str) -> int:
        return int((await self.outcomes.delete_one({"_id": customer_id})).deleted_count)
