"""Erasure receipts and the scrub that leaves no removed document in the stand-in's files."""

from __future__ import annotations

from pathlib import Path

from shared.contracts import CustomerErased, OperatorUpdated, ReferralCredited
from shared.database.memory import MemoryDatabase
from shared.privacy import Erased, Erasures, scrub_after_erasures, subject_of

PHONE = "+79160000042"


def stored_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())


async def test_a_scrub_removes_an_erased_customers_documents_from_the_files(
    tmp_path: Path,
) -> None:
    db = MemoryDatabase("t", data_dir=tmp_path, fsync=False)
    customers = db.collection("customers")
    async with db.transaction():
        await customers.insert_one({"_id": "c-1", "phone": PHONE})
        await customers.insert_one({"_id": "c-2", "phone": "+79160000043"})
    async with db.transaction():
        await customers.delete_one({"_id": "c-1"})
        done = Erased()
        done.remove("customers", 1)
        await Erasures(db).record("c-1", "op-1", done)
    await db.durable()
    assert PHONE.encode() in stored_bytes(tmp_path)  # the journal still has the after-image

    assert await scrub_after_erasures(db) == 1
    assert PHONE.encode() not in stored_bytes(tmp_path)
    receipt = await Erasures(db).receipt("c-1")
    assert receipt is not None and receipt["scrubbed_at"] is not None
    assert await scrub_after_erasures(db) == 0  # nothing new: no rewrite
    await db.close()

    again = MemoryDatabase("t", data_dir=tmp_path, fsync=False)  # what survives a restart
    assert await again.collection("customers").find_one({"_id": "c-1"}) is None
    assert (await again.collection("customers").find_one({"_id": "c-2"}) or {})["phone"]
    assert await Erasures(again).erased_among(["c-1", "c-2"]) == {"c-1"}
    await again.close()


async def test_a_second_erasure_adds_its_counts_and_keeps_the_first_request() -> None:
    erasures = Erasures(MemoryDatabase("t"))
    first, second = Erased(), Erased()
    first.remove("accounts", 1)
    second.remove("purchases", 2)
    second.anonymise("erased_accounts", 0)  # nothing done is not listed
    await erasures.record("c-1", "op-1", first)
    await erasures.record("c-1", "op-2", second)
    receipt = await erasures.receipt("c-1")
    assert receipt is not None
    assert receipt["requested_by"] == "op-1"
    assert receipt["removed"] == {"accounts": 1, "purchases": 2}
    assert "anonymised" not in receipt


def test_the_subject_of_an_event_is_the_customer_it_is_about() -> None:
    erased = CustomerErased(customer_id="c-1", requested_by="op-1")
    assert subject_of(erased) == "c-1"
    referral = ReferralCredited(referrer_id="c-0", referred_id="c-1", bonus_points=5)
    assert subject_of(referral) == "c-0"  # the one thanked
    person = OperatorUpdated(operator_id="op-1", display_name="Anna", active=True)
    assert subject_of(person) is None
