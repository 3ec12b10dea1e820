"""The SQS side of a Lambda invocation: records in, ``batchItemFailures`` out.

Lambda's SQS event source mapping deletes every message of a batch that the handler does
not name in ``batchItemFailures`` (with ``ReportBatchItemFailures`` on). So the one rule here
is: a message is a success only when we say so; anything else is named as a failure and
SQS makes it visible again, then moves it to the DLQ after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict


class LambdaContext(Protocol):
    """The part of the Lambda context object the handlers use."""

    def get_remaining_time_in_millis(self) -> int: ...


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    batchItemFailures: list[BatchItemFailure]


@dataclass(frozen=True, slots=True)
class SqsRecord:
    """One SQS message as the event source mapping hands it to the function."""

    message_id: str
    body: str
    receive_count: int

    @classmethod
    def from_event_record(cls, record: Mapping[str, Any]) -> SqsRecord:
        attributes = record.get("attributes") or {}
        return cls(
            message_id=str(record["messageId"]),
            body=str(record.get("body", "")),
            receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
        )


def records_of(event: Mapping[str, Any]) -> list[SqsRecord]:
    """The SQS records of a Lambda event; raises KeyError on an event that is not SQS."""
    return [SqsRecord.from_event_record(r) for r in event["Records"]]


def batch_response(failed_message_ids: Iterable[str]) -> BatchResponse:
    """The handler's return value; message ids in a stable order, each once."""
    unique = dict.fromkeys(failed_message_ids)
    return {"batchItemFailures": [{"itemIdentifier": m} for m in unique]}


class Deadline:
    """Wall-clock budget of one invocation, minus a margin to answer before Lambda kills us.

    Everything that waits (HTTP timeouts, backoff sleeps) asks ``remaining()`` first, so that
    the function always returns its ``batchItemFailures`` instead of timing out: a timed-out
    invocation fails the whole batch, including messages already delivered.
    """

    def __init__(self, budget_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end: float = clock() + budget_s

    @classmethod
    def from_context(cls, context: LambdaContext | None, margin_s: float) -> Deadline:
        if context is None:  # a local call without a Lambda context: a generous budget
            return cls(900.0 - margin_s)
        return cls(context.get_remaining_time_in_millis() / 1000.0 - margin_s)

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0.0
