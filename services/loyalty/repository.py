"""Loyalty's collections, each keyed by its natural id so the hot path never scans.

- ``accounts``: one document per customer (``_id`` = customer id), money as decimal strings.
- ``cards``: loyalty card number -> customer id.
- ``purchases``: the ledger of applied purchases (``_id`` = purchase id), written in the
  same transaction as the account, so a purchase id is applied once whatever its event id.
- ``redemptions``: points spent (``_id`` = the caller's redemption id, so one counts once),
  with the balance after; the card view lists a customer's last few.
- ``erased_accounts``: accounts of erased customers, anonymised (``_id`` a random
  ``erased-…`` id; no card, no link to the customer): the revenue reports keep counting
  them, nothing else reads them.
- ``meta``: the ``tiers`` document: thresholds and percentiles of the last recompute, its
  size independent of the population (25-32 KB; see ``tiers_document``); the ``analytics``
  document: when the running totals below were first built.
- ``analytics_pending``: what the reports have not taken in yet, written in the transaction
  that caused it: a purchase's value, day and groups (``p:`` + purchase id), a customer
  joining or moving between groups (``m:`` + a random id). No customer id: nothing here
  identifies anyone. The analytics job folds them into the totals and deletes them.
- ``revenue_days``: per grouping, group and UTC day, the revenue and number of purchases
  (``_id`` = ``by|group|day``); ``group_sizes``: customers per group now (``by|group``).
  Reports for any period read these, never the accounts.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.loyalty.domain import Account, Thresholds
from services.loyalty.domain.periods import (
    GROUP_BY,
    DayTotals,
    Period,
    SizeChanges,
    day_of,
    group_values,
)
from services.loyalty.domain.purchases import LedgerEntry
from services.loyalty.domain.tiers import Percentiles, TierStanding, ValueRanking
from shared.clock import utc_now
from shared.database import Database, Document

TIERS_ID = "tiers"
ANALYTICS_ID = "analytics"
#: How long a replica trusts its copy of the tiers document before reading it again:
#: another replica's job may have replaced it. Purchases read it this often, not each.
TIERS_FRESH_S = 5.0
_COMPUTED = {"average_basket", "average_interval_days"}
GOLD_FIELDS = ("value_by_month", "manual_tier_floor", "tier")
REFERRAL_FIELDS = ("referred_by", "purchase_count", "referral_credited", "value_lifetime",
                   "value_by_month")
_TIER_FIELDS = {"value_by_month": 1, "tier": 1, "manual_tier_floor": 1}


def account_document(account: Account) -> Document:
    """The account as a BSON-encodable document (no Decimal: money as decimal strings)."""
    document = account.model_dump(exclude=_COMPUTED)
    document["value_lifetime"] = str(account.value_lifetime)
    document["value_by_month"] = {k: str(v) for k, v in account.value_by_month.items()}
    return {"_id": account.customer_id, **document}


def groups_of(account: Account) -> dict[str, str]:
    """The groups the reports count a customer in (category, source, segment, type)."""
    return group_values({by: getattr(account, by, None) for by in GROUP_BY})


def account_from(document: Document) -> Account:
    return Account.model_validate(document)


def purchase_document(entry: LedgerEntry) -> Document:
    """A ledger entry as stored (``refunded`` is added by the refunds that name it)."""
    return {
        "_id": entry.purchase_id, "customer_id": entry.customer_id, "amount": str(entry.amount),
        "currency": entry.currency, "points": entry.points, "occurred_at": entry.occurred_at,
        "refund_of": entry.refund_of, "event_id": entry.event_id,
    }


def ledger_entry(document: Document) -> LedgerEntry:
    return LedgerEntry(
        purchase_id=document["_id"], customer_id=document["customer_id"],
        amount=Decimal(document["amount"]), currency=document["currency"],
        points=document["points"], occurred_at=document["occurred_at"],
        refund_of=document.get("refund_of"), event_id=document.get("event_id", ""),
        refunded=Decimal(document.get("refunded", "0")))


class TierState:
    """The thresholds of the last full recompute, the population's percentiles, and when."""

    def __init__(self, thresholds: Thresholds, percentiles: Percentiles | Iterable[Decimal],
                 computed_at: datetime | None = None) -> None:
        self.thresholds = thresholds
        if not isinstance(percentiles, Percentiles):  # every value, as benchmarks build it
            percentiles = ValueRanking(percentiles).rank(
                thresholds.gold_percent, thresholds.silver_percent)[1]
        self.percentiles = percentiles
        self.computed_at = computed_at


def tiers_document(state: TierState) -> Document:
    """The ``tiers`` document: thresholds, and the percentiles as two lists of at most
    1,002 entries (values as decimal strings, the count at or below each)."""
    thresholds, percentiles = state.thresholds, state.percentiles
    return {
        "_id": TIERS_ID, "gold_min": _money(thresholds.gold_min),
        "silver_min": _money(thresholds.silver_min), "population": thresholds.population,
        "gold_percent": thresholds.gold_percent, "silver_percent": thresholds.silver_percent,
        "percentile_values": [str(v) for v in percentiles.values],
        "percentile_at_or_below": list(percentiles.at_or_below),
        "computed_at": state.computed_at,
    }


def tier_state(document: Document) -> TierState:
    """The state a ``tiers`` document holds; one written before percentiles were kept
    (``sorted_values``: every value of the population) is summarised as it is read."""
    thresholds = Thresholds(
        gold_min=_decimal(document["gold_min"]), silver_min=_decimal(document["silver_min"]),
        population=document["population"], gold_percent=document["gold_percent"],
        silver_percent=document["silver_percent"])
    if "sorted_values" in document:
        return TierState(thresholds, (Decimal(v) for v in document["sorted_values"]),
                         document.get("computed_at"))
    percentiles = Percentiles(tuple(Decimal(v) for v in document["percentile_values"]),
                              tuple(document["percentile_at_or_below"]),
                              document["population"])
    return TierState(thresholds, percentiles, document.get("computed_at"))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class LoyaltyRepository:
    def __init__(self, db: Database, gold_percent: int = 20, silver_percent: int = 20, *,
                 tiers_fresh_s: float = TIERS_FRESH_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.accounts = db.collection("accounts")
        self.cards = db.collection("cards")
        self.purchases = db.collection("purchases")
        self.meta = db.collection("meta")
        self.redemptions = db.collection("redemptions")
        self.thank_yous = db.collection("thank_yous")
        self.erased_accounts = db.collection("erased_accounts")
        self.analytics_pending = db.collection("analytics_pending")
        self.revenue_days = db.collection("revenue_days")
        self.group_sizes = db.collection("group_sizes")
        self._empty = TierState(
            Thresholds(gold_min=None, silver_min=None, population=0,
                       gold_percent=gold_percent, silver_percent=silver_percent),
            Percentiles())
        # The tiers document changes only in the periodic job, maybe another replica's: the
        # purchase path keeps a copy and reads it again after ``tiers_fresh_s``.
        self._tiers: TierState | None = None
        self._tiers_read_at = 0.0
        self._tiers_fresh_s = tiers_fresh_s
        self._clock = clock

    # accounts ----------------------------------------------------------------------------
    async def account(self, customer_id: str) -> Account | None:
        document = await self.accounts.find_one({"_id": customer_id})
        return None if document is None else account_from(document)

    async def save(self, account: Account, before: Account | None = None) -> None:
        """Store the account; given the copy it was read as (whole, by ``account``, in this
        transaction), write only when it changed.

        The whole document, not a ``$set`` of the changed fields: a purchase changes the
        bulk of it anyway (the monthly values, the recent ids), and the stand-in answers a
        replace by ``_id`` from its map where an update goes through mongomock's copies
        (a third of a purchase's time at 100,000 accounts). So never save an account read
        through a projection (``all_accounts(fields=...)``): its missing fields would go.
        """
        if before is not None and account == before:
            return
        document = account_document(account)
        await self.accounts.replace_one({"_id": document["_id"]}, document,
                                        upsert=before is None)

    async def count_membership(self, was: Account | None, account: Account) -> None:
        """Note for the reports that a customer joined their groups (``was`` None) or
        moved between them; nothing when their groups are the same."""
        before = None if was is None else groups_of(was)
        after = groups_of(account)
        if before != after:
            await self.analytics_pending.insert_one({
                "_id": f"m:{uuid.uuid4().hex}", "before": before, "after": after,
                "at": utc_now()})

    async def pending_purchase(self, purchase_id: str, occurred_at: datetime,
                               account: Account, value: Decimal) -> None:
        """A purchase's revenue for the reports, on its day, in the customer's groups now."""
        await self.analytics_pending.insert_one({
            "_id": f"p:{purchase_id}", "day": day_of(occurred_at),
            "groups": groups_of(account), "value": str(value)})

    async def set_tier(self, customer_id: str, tier: str) -> None:
        await self.accounts.update_one({"_id": customer_id}, {"$set": {"tier": tier}})

    async def all_accounts(
        self, filter: dict[str, Any] | None = None, fields: Iterable[str] | None = None,
        include_erased: bool = False,
    ) -> AsyncIterator[Account]:
        """Every account (or those matching ``filter``): a scan, for jobs and analytics.

        ``fields`` limits what is read (the rest keeps the Account defaults): the stand-in
        copies every field it returns, so a report reads only what it needs.
        ``include_erased`` adds the anonymised accounts of erased customers, for revenue
        totals; jobs and reports about people leave it off.
        """
        projection = None if fields is None else dict.fromkeys(("customer_id", *fields), 1)
        sources = [self.accounts, *([self.erased_accounts] if include_erased else [])]
        for collection in sources:
            async for document in collection.find(filter or {}, projection):
                yield account_from(document)

    def gold_accounts(self) -> AsyncIterator[Account]:
        """The gold customers, with what the gold report reads of them."""
        return self.all_accounts({"tier": "gold"}, GOLD_FIELDS)

    async def count_gold(self) -> int:
        """How many customers are gold (counted, not read)."""
        return int(await self.accounts.count_documents({"tier": "gold"}))

    def lapsed_accounts(self) -> AsyncIterator[Account]:
        """The customers lapsed now (whom to win back)."""
        return self.all_accounts({"lapsed_since": {"$ne": None}, "lapsed": True})

    def referred_accounts(self) -> AsyncIterator[Account]:
        """Every referred customer, erased ones included (their revenue still counts), with
        what the referrals report reads of them."""
        return self.all_accounts({"referred_by": {"$ne": None}}, REFERRAL_FIELDS,
                                 include_erased=True)

    async def tier_standings(self, now: datetime) -> AsyncIterator[TierStanding]:
        """Every account's trailing-12-month value as of ``now``, tier and floor, one at a
        time as the scan reads them: for the periodic tier job, which holds no account. No
        Account is built: validating one took as long as reading its document."""
        async for document in self.accounts.find({}, _TIER_FIELDS):
            months = {k: Decimal(v) for k, v in document.get("value_by_month", {}).items()}
            yield TierStanding.of(document["_id"], months, now,
                                  document.get("tier", "standard"),
                                  document.get("manual_tier_floor"))

    async def delete_account(self, customer_id: str) -> int:
        return int((await self.accounts.delete_one({"_id": customer_id})).deleted_count)

    async def keep_anonymised(self, account: Account) -> None:
        document = account_document(account)
        await self.erased_accounts.insert_one(document)

    # cards -------------------------------------------------------------------------------
    async def card_owner(self, card_number: str) -> str | None:
        document = await self.cards.find_one({"_id": card_number})
        return None if document is None else str(document["customer_id"])

    async def assign_card(self, card_number: str, customer_id: str) -> None:
        await self.cards.replace_one(
            {"_id": card_number}, {"_id": card_number, "customer_id": customer_id}, upsert=True
        )

    async def release_card(self, card_number: str) -> None:
        await self.cards.delete_one({"_id": card_number})

    # purchase ledger ---------------------------------------------------------------------
    async def purchase(self, purchase_id: str) -> Document | None:
        return await self.purchases.find_one({"_id": purchase_id})

    async def ledger_entry(self, purchase_id: str) -> LedgerEntry | None:
        """The ledger entry of a purchase (a refund naming it reads it), or None."""
        document = await self.purchase(purchase_id)
        return None if document is None else ledger_entry(document)

    async def record_purchase(self, entry: LedgerEntry) -> None:
        await self.purchases.insert_one(purchase_document(entry))

    async def purchases_of(self, customer_id: str) -> list[Document]:
        return await self.purchases.find({"customer_id": str(customer_id)}).to_list()

    async def delete_purchases_of(self, customer_id: str) -> int:
        result = await self.purchases.delete_many({"customer_id": str(customer_id)})
        return int(result.deleted_count)

    async def create_indexes(self) -> None:
        # Erasure finds a customer's ledger rows (the stand-in scans; erasures are rare).
        await self.purchases.create_index("customer_id")
        # The card view lists a customer's last redemptions.
        await self.redemptions.create_index([("customer_id", 1), ("at", -1)])
        await self.redemptions.create_index("purchase_id")  # a refund finds what it reverses
        # The points-expiry job finds the accounts whose last earning is old enough.
        await self.accounts.create_index("last_earned_at")
        # The gold, lapsed and referral reports read their few customers, not everyone.
        await self.accounts.create_index("tier")
        await self.accounts.create_index("lapsed_since")
        await self.accounts.create_index("referred_by")
        # A report reads one grouping's days of a period.
        await self.revenue_days.create_index([("by", 1), ("day", 1)])
        await self.group_sizes.create_index("by")

    async def record_refund(self, purchase_id: str, refunded: str) -> None:
        await self.purchases.update_one({"_id": purchase_id}, {"$set": {"refunded": refunded}})

    # redemptions -------------------------------------------------------------------------
    async def redemption(self, redemption_id: str) -> Document | None:
        return await self.redemptions.find_one({"_id": redemption_id})

    async def record_redemption(self, redemption_id: str, customer_id: str, points: int,
                                points_balance: int, purchase_id: str | None,
                                at: datetime) -> Document:
        """Record a redemption with the balance after it; the record as stored."""
        document: Document = {
            "_id": redemption_id, "customer_id": customer_id, "points": points,
            "points_balance": points_balance, "purchase_id": purchase_id, "at": at}
        await self.redemptions.insert_one(document)
        return document

    async def debit_points(self, customer_id: str, points: int) -> bool:
        """Take ``points`` off the balance if it holds that many: one conditional update, so
        two redemptions at once can never take the balance below zero."""
        result = await self.accounts.update_one(
            {"_id": customer_id, "points_balance": {"$gte": points}},
            {"$inc": {"points_balance": -points}})
        return bool(result.matched_count)

    async def redemptions_paying_for(self, purchase_id: str) -> AsyncIterator[Document]:
        """The redemptions that paid for a purchase (a refund of it gives their points back)."""
        async for document in self.redemptions.find({"purchase_id": purchase_id}):
            yield document

    async def mark_reversed(self, redemption_id: str, refund_id: str) -> None:
        await self.redemptions.update_one({"_id": redemption_id},
                                          {"$set": {"reversed_by": refund_id}})

    async def redemptions_of(self, customer_id: str, limit: int = 5) -> list[Document]:
        """A customer's last ``limit`` redemptions, newest first."""
        cursor = self.redemptions.find({"customer_id": customer_id}).sort("at", -1).limit(limit)
        return list(await cursor.to_list())

    async def delete_redemptions_of(self, customer_id: str) -> int:
        result = await self.redemptions.delete_many({"customer_id": str(customer_id)})
        return int(result.deleted_count)

    # thank-yous (their bonus points, credited once per thank_you_id) ------------------
    async def thank_you(self, thank_you_id: str) -> Document | None:
        return await self.thank_yous.find_one({"_id": thank_you_id})

    async def record_thank_you(self, thank_you_id: str, customer_id: str, reason: str | None,
                               points: int, at: datetime) -> None:
        """A thank-you in its ledger (any age: a redelivery credits nothing)."""
        await self.thank_yous.insert_one({"_id": thank_you_id, "customer_id": customer_id,
                                          "reason": reason, "points": points, "at": at})

    async def thank_yous_of(self, customer_id: str) -> list[Document]:
        return list(await self.thank_yous.find({"customer_id": str(customer_id)}).to_list())

    async def delete_thank_yous_of(self, customer_id: str) -> int:
        result = await self.thank_yous.delete_many({"customer_id": str(customer_id)})
        return int(result.deleted_count)

    # the reports' running totals ------------------------------------------------------------
    async def analytics_state(self) -> Document | None:
        return await self.meta.find_one({"_id": ANALYTICS_ID})

    async def save_analytics_state(self, document: Document) -> None:
        await self.meta.replace_one({"_id": ANALYTICS_ID}, {**document, "_id": ANALYTICS_ID},
                                    upsert=True)

    async def pending(self, limit: int) -> list[Document]:
        return list(await self.analytics_pending.find({}).limit(limit).to_list())

    async def count_pending(self) -> int:
        return await self.analytics_pending.count_documents({})

    async def forget_pending(self, ids: list[str]) -> None:
        if ids:
            await self.analytics_pending.delete_many({"_id": {"$in": ids}})

    async def add_to_days(self, totals: DayTotals) -> None:
        """Add folded purchases to the running totals (read, add, replace: exact decimals)."""
        keys = sorted(totals.revenue)
        stored = {row["_id"]: row for row in
                  await self.revenue_days.find({"_id": {"$in": keys}}).to_list()}
        for key in keys:
            by, group, day = key.split("|", 2)
            row = stored.get(key) or {"revenue": "0", "purchases": 0}
            await self.revenue_days.replace_one({"_id": key}, {
                "_id": key, "by": by, "group": group, "day": day,
                "revenue": str(Decimal(row["revenue"]) + totals.revenue[key]),
                "purchases": int(row["purchases"]) + totals.purchases[key]}, upsert=True)

    async def add_to_sizes(self, changes: SizeChanges) -> None:
        for key, delta in sorted(changes.delta.items()):
            by, group = key.split("|", 1)
            await self.group_sizes.update_one(
                {"_id": key}, {"$inc": {"customers": delta}, "$set": {"by": by, "group": group}},
                upsert=True)

    async def replace_totals(self, days: DayTotals, sizes: dict[str, int]) -> None:
        """The totals built from scratch (the first run over an existing ledger)."""
        await self.revenue_days.delete_many({})
        await self.group_sizes.delete_many({})
        await self.add_to_days(days)
        await self.add_to_sizes(SizeChanges(sizes))

    async def days_of(self, by: str, period: Period) -> list[Document]:
        """The running totals of one grouping over a period's days."""
        filter: dict[str, Any] = {"by": by}
        if period.start is not None or period.end is not None:
            filter["day"] = {
                **({"$gte": period.start.isoformat()} if period.start else {}),
                **({"$lte": period.end.isoformat()} if period.end else {})}
        return list(await self.revenue_days.find(filter).to_list())

    async def sizes_of(self, by: str) -> dict[str, int]:
        rows = await self.group_sizes.find({"by": by}).to_list()
        return {row["group"]: int(row["customers"]) for row in rows}

    async def all_purchases(self) -> AsyncIterator[Document]:
        """The whole ledger: a scan, for building the totals the first time only."""
        async for document in self.purchases.find({}):
            yield document

    # tiers -------------------------------------------------------------------------------
    async def tiers(self) -> TierState:
        """The thresholds and percentiles of the last recompute, as stored at most
        ``tiers_fresh_s`` ago (then read again: another replica's job may have run)."""
        at = self._clock()
        if self._tiers is None or at - self._tiers_read_at >= self._tiers_fresh_s:
            document = await self.meta.find_one({"_id": TIERS_ID})
            self._tiers = self._empty if document is None else tier_state(document)
            self._tiers_read_at = at
        return self._tiers

    async def save_tiers(self, state: TierState) -> None:
        await self.meta.replace_one({"_id": TIERS_ID}, tiers_document(state), upsert=True)
        self._tiers = None  # reloaded on next use: a rolled-back save leaves no trace here
