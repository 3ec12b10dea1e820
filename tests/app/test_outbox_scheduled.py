"""The outbox worker in Lambda mode: one bounded, scheduled drain per invocation, with the
long-running worker's guarantees (each row delivered once, nothing lost between runs)."""

from __future__ import annotations

import dataclasses
import json
import socket
import uuid
from typing import Any

import boto3
import psycopg
import pytest

from app.audit import scheduled
from app.audit.worker import OutboxWorker
from app.local import CENTRAL_REGION
from devservices import MotoServer
from tests.app.api_support import Api

pytestmark = pytest.mark.services


@pytest.fixture
def worker(eu: Api, aws: MotoServer) -> OutboxWorker:
    suffix = uuid.uuid4().hex[:8]
    region = eu.local.settings.region
    s3 = boto3.client("s3", region_name=region, endpoint_url=aws.endpoint)
    where: dict[str, Any] = {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=f"sched-{suffix}", **where)
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws.endpoint)
    # A standard queue: a FIFO queue's deduplication would hide a double send.
    queue = sqs.create_queue(QueueName=f"sched-{suffix}")["QueueUrl"]
    settings = eu.local.settings.model_copy(
        update={"audit_bucket": f"sched-{suffix}", "central_queue_url": queue}
    )
    return OutboxWorker.from_settings(settings, eu.local.shard_map)


def _event_ids(aws: MotoServer, queue: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=CENTRAL_REGION, endpoint_url=aws.endpoint)
    out: list[str] = []
    while got := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        out += [json.loads(m["Body"])["event_id"] for m in got]
        for m in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    return out


def _pending(eu: Api, tx_ids: list[str]) -> int:
    with psycopg.connect(eu.dsn_for(eu.local.shard_map.signup_shard.start)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox "
            "WHERE done_at IS NULL AND transaction_id = ANY(%s::uuid[])",
            (tx_ids,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _clear_backlog(worker: OutboxWorker, aws: MotoServer) -> None:
    """Rows other tests left due are not this test's to count."""
    scheduled.drain_once(worker, 100_000)
    _event_ids(aws, str(worker.settings.central_queue_url))


def test_runs_are_bounded_and_together_deliver_each_row_once(
    eu: Api, aws: MotoServer, worker: OutboxWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_backlog(worker, aws)
    user = eu.create_user()
    tx_ids = [eu.add_transaction(user["id"], amount_minor=100 + i)["id"] for i in range(7)]
    monkeypatch.setattr(scheduled, "_worker", worker)  # the environment's worker, built once

    first = scheduled.handler({"max_rows": 3}, None)
    assert sum(first["handled"].values()) == 3
    assert _pending(eu, tx_ids) == 4
    second = scheduled.handler({"max_rows": 100}, None)
    assert sum(second["handled"].values()) == 4
    assert _pending(eu, tx_ids) == 0
    assert sum(scheduled.handler({"max_rows": 100}, None)["handled"].values()) == 0

    sent = _event_ids(aws, str(worker.settings.central_queue_url))
    assert len(sent) == 7
    assert len(set(sent)) == 7


def test_a_run_short_of_time_starts_nothing(eu: Api, aws: MotoServer, worker: OutboxWorker) -> None:
    _clear_backlog(worker, aws)
    user = eu.create_user()
    tx_ids = [eu.add_transaction(user["id"])["id"]]
    handled = scheduled.drain_once(worker, 100, lambda: scheduled.TIME_MARGIN_MS - 1)
    assert sum(handled.values()) == 0
    assert _pending(eu, tx_ids) == 1
    scheduled.drain_once(worker, 100, lambda: 60_000)
    assert _pending(eu, tx_ids) == 0


def test_an_unreachable_shard_delays_only_its_own_rows(
    eu: Api, aws: MotoServer, worker: OutboxWorker
) -> None:
    _clear_backlog(worker, aws)
    user = eu.create_user()
    tx_ids = [eu.add_transaction(user["id"])["id"] for _ in range(2)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens once the socket closes
    shard_map = eu.local.shard_map
    down = next(s.index for s in shard_map.shards if s.index != shard_map.signup_shard.index)
    broken = shard_map.with_endpoints(
        [
            {
                region: dataclasses.replace(ep, port=closed_port) if s.index == down else ep
                for region, ep in s.regions.items()
            }
            for s in shard_map.shards
        ]
    )
    handled = scheduled.drain_once(dataclasses.replace(worker, shard_map=broken), 100)
    assert handled[shard_map.shards[down].name] == -1
    assert handled[shard_map.signup_shard.name] == 2
    assert _pending(eu, tx_ids) == 0
