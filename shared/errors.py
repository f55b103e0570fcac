"""Errors the consume path tells apart."""

from __future__ import annotations

from pymongo import errors as mongo_errors


class Rejected(Exception):
    """The event is valid JSON of the right shape but cannot be applied; dead-letter it.

    The message becomes the dead letter's reason: name the field and the rule, or a code,
    never a value from the event (a phone, a name, another customer's id).
    """


class Unavailable(Exception):
    """A dependency (database, broker) is away; waiting and retrying will help."""


def is_transient(error: BaseException) -> bool:
    """An outage, or a MongoDB transaction conflict that the server says to retry."""
    if isinstance(error, TRANSIENT):
        return True
    has_label = getattr(error, "has_error_label", None)
    return bool(has_label and has_label("TransientTransactionError"))


#: Failures that say nothing about the event itself: the consumer waits them out.
TRANSIENT: tuple[type[Exception], ...] = (
    Unavailable,
    mongo_errors.ConnectionFailure,
    mongo_errors.ServerSelectionTimeoutError,
    mongo_errors.NetworkTimeout,
    mongo_errors.WriteConcernError,
)
