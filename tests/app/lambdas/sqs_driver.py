"""What Lambda's SQS event source mapping does, done against a real (moto) queue.

Receive up to ``batch_size`` messages, hand them to the handler as a Lambda SQS event, delete
the ones not named in ``batchItemFailures``, and let the named ones become visible again
(visibility timeout set to 0: the wait SQS would do, without the wait). The queue's own
redrive policy then moves a message received ``maxReceiveCount`` times to the DLQ — moto
applies it on receive, as SQS does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient

from app.lambdas.sqs_batch import BatchResponse


class FakeContext:
    """A Lambda context with only the remaining-time clock (the handlers use nothing else)."""

    def __init__(self, timeout_s: float) -> None:
        self._end = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - time.monotonic()) * 1000))


Handler = Callable[[Mapping[str, Any], FakeContext], BatchResponse]


@dataclass(slots=True)
class DrainStats:
    invocations: int = 0
    received: int = 0
    deleted: int = 0
    reported_failures: int = 0
    handler_s: float = 0.0  # time inside the handler, the rest is the queue's
    deleted_bodies: list[str] = field(default_factory=list)


def drain(
    sqs: SQSClient,
    queue_url: str,
    handler: Handler,
    *,
    batch_size: int = 10,
    function_timeout_s: float = 30.0,
    max_polls: int = 200,
    empty_polls_to_stop: int = 2,
) -> DrainStats:
    """Run the handler until the queue gives nothing ``empty_polls_to_stop`` times in a row."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    queue_arn = arn["Attributes"]["QueueArn"]
    stats = DrainStats()
    empty = 0
    for _ in range(max_polls):
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            MessageSystemAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            empty += 1
            if empty >= empty_polls_to_stop:
                return stats
            continue
        empty = 0
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {str(k): v for k, v in m.get("Attributes", {}).items()},
                    "messageAttributes": {},
                    "md5OfBody": hashlib.md5(m["Body"].encode(), usedforsecurity=False).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_arn,
                    "awsRegion": queue_arn.split(":")[3],
                }
                for m in received
            ]
        }
        started = time.monotonic()
        response = handler(event, FakeContext(function_timeout_s))
        stats.handler_s += time.monotonic() - started
        stats.invocations += 1
        stats.received += len(received)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        known = {m["MessageId"] for m in received}
        assert failed <= known, f"handler named unknown message ids: {failed - known}"
        stats.reported_failures += len(failed)
        for m in received:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
                stats.deleted += 1
                stats.deleted_bodies.append(m["Body"])
    raise AssertionError(f"queue not drained after {max_polls} polls")


def receive_all(sqs: SQSClient, queue_url: str) -> list[str]:
    """Every message body now visible on a queue (e.g. the DLQ), removing them."""
    bodies: list[str] = []
    for _ in range(100):
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            return bodies
        for m in batch:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    raise AssertionError("queue never emptied")
