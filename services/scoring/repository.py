"""Scoring's collections: the latest score per customer, keyed by customer id."""

from __future__ import annotations

from shared.database import Database, Document


class ScoringRepository:
    def __init__(self, db: Database) -> None:
        self.scores = db.collection("scores")

    async def save_score(self, document: Document) -> None:
        await self.scores.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def score(self, customer_id: str) -> Document | None:
        return await self.scores.find_one({"_id": customer_id})
