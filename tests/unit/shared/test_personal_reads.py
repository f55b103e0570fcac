"""Reads of personal data are limited per person or machine client: 429 with Retry-After."""

import pytest
from fastapi import HTTPException

from shared.auth import PersonalReads, Principal, Role

ANNA = Principal(Role.OPERATOR, "op-anna", person=True)
BORIS = Principal(Role.OPERATOR, "op-boris", person=True)


def test_a_person_past_the_limit_gets_429_with_retry_after_and_a_message() -> None:
    reads = PersonalReads(per_minute=60, clock=lambda: 0.0)  # bursts of 10
    for _ in range(10):
        reads.check(ANNA)
    with pytest.raises(HTTPException) as refused:
        reads.check(ANNA)
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "1"}
    assert "60 per minute" in str(refused.value.detail)


def test_each_person_and_client_has_their_own_bucket() -> None:
    reads = PersonalReads(per_minute=6, clock=lambda: 0.0)  # bursts of 1
    reads.check(ANNA)
    reads.check(BORIS)
    reads.check(Principal.client(Role.OPERATOR))
    with pytest.raises(HTTPException):
        reads.check(ANNA)


def test_reads_come_back_with_time() -> None:
    now = [0.0]
    reads = PersonalReads(per_minute=6, clock=lambda: now[0])
    reads.check(ANNA)
    with pytest.raises(HTTPException) as refused:
        reads.check(ANNA)
    assert refused.value.headers == {"Retry-After": "10"}
    now[0] = 10.0
    reads.check(ANNA)
