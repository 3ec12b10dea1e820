"""The outbox worker against AWS faults (issue 10, defects 5 and 11): moto behind a fault
proxy that loses an answer or refuses connections."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from app.audit.worker import OutboxWorker
from app.auth.dev import DevSigner
from app.local import DEV_AWS_ENV, provision
from app.main import create_app
from devservices import FaultProxy, MotoServer, PostgresServer
from tests.app.api_support import Api
from tests.app.faults_support import settings_env

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxy(aws: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(int(aws.endpoint.rsplit(":", 1)[1])) as p:
        yield p


def _row(api: Api, tx_id: str) -> dict[str, Any]:
    dsn = api.dsn_for(api.local.shard_map.signup_shard.start)
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT pdf_key, pdf_etag, pdf_version_id, done_at, attempts FROM outbox "
            "WHERE transaction_id = %s",
            (tx_id,),
        ).fetchone()
    assert row is not None
    return row


def _versioned_bucket(aws: MotoServer, region: str) -> str:
    name = f"audit-faults-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", region_name=region, endpoint_url=aws.endpoint)
    where: dict[str, Any] = {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **where)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def test_a_put_whose_answer_was_lost_writes_one_version(
    eu: Api, aws: MotoServer, proxy: FaultProxy
) -> None:
    """botocore retries a PUT whose answer never came: S3 must not get a second version,
    since S3 notifies each version and the institution would get the file twice."""
    region = eu.local.settings.region
    bucket = _versioned_bucket(aws, region)
    settings = eu.local.settings.model_copy(
        update={"audit_bucket": bucket, "aws_endpoint_url": proxy.endpoint}
    )
    worker = OutboxWorker.from_settings(settings, eu.local.shard_map)
    user = eu.create_user()
    tx = eu.add_transaction(user["id"])
    worker.drain(eu.local.shard_map.signup_shard)  # earlier rows out of the way
    tx = eu.add_transaction(user["id"])

    proxy.drop_next_response()  # the next answer from S3 (the PUT's) is lost
    worker.drain(eu.local.shard_map.signup_shard)

    assert proxy.dropped_responses == 1
    row = _row(eu, tx["id"])
    assert row["done_at"] is not None
    s3 = boto3.client("s3", region_name=region, endpoint_url=aws.endpoint)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=row["pdf_key"])["Versions"]
    assert len(versions) == 1, "the retried PUT wrote a second version"
    assert versions[0]["Key"] == row["pdf_key"]


def test_a_row_whose_put_was_not_recorded_is_not_written_again(eu: Api, aws: MotoServer) -> None:
    """A crash between the PUT and its record: the retry finds the object and records it."""
    region = eu.local.settings.region
    bucket = _versioned_bucket(aws, region)
    settings = eu.local.settings.model_copy(update={"audit_bucket": bucket})
    worker = OutboxWorker.from_settings(settings, eu.local.shard_map)
    user = eu.create_user()
    tx = eu.add_transaction(user["id"])
    worker.drain(eu.local.shard_map.signup_shard)
    first = _row(eu, tx["id"])
    # As if the worker died after the PUT and before its record, and the lease ran out.
    with psycopg.connect(eu.dsn_for(user["id"])) as conn:
        conn.execute(
            "UPDATE outbox SET pdf_put_at = NULL, event_sent_at = NULL, done_at = NULL, "
            "pdf_etag = NULL, pdf_version_id = NULL, next_attempt_at = now() "
            "WHERE transaction_id = %s",
            (tx["id"],),
        )

    worker.drain(eu.local.shard_map.signup_shard)

    again = _row(eu, tx["id"])
    assert again["done_at"] is not None
    s3 = boto3.client("s3", region_name=region, endpoint_url=aws.endpoint)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=first["pdf_key"])["Versions"]
    assert len(versions) == 1, "the retry wrote a second version"
    assert first["pdf_version_id"] == versions[0]["VersionId"]  # recorded by the first PUT
    assert first["pdf_etag"] == versions[0]["ETag"]
    assert again["pdf_key"] == first["pdf_key"]


# -- 11: a worker started while AWS is unreachable waits -----------------------------------


@pytest.fixture(scope="module")
def own_platform(aws: MotoServer, signer: DevSigner) -> Iterator[Api]:
    """A jurisdiction of its own, so the child worker touches no other test's rows."""
    with PostgresServer() as pg:
        local = provision(pg, aws.endpoint, signer, jurisdictions=("eu",))["eu"]
        with TestClient(create_app(local.settings, local.shard_map)) as client:
            yield Api(client, signer, local)


def test_a_worker_started_while_aws_is_unreachable_waits_and_then_delivers(
    own_platform: Api, proxy: FaultProxy
) -> None:
    proxy.refuse()  # AWS (its VPC endpoint) not reachable yet
    settings = own_platform.local.settings.model_copy(
        update={"aws_endpoint_url": proxy.endpoint, "startup_backoff_cap_s": 0.5}
    )
    env = {**os.environ, **DEV_AWS_ENV, **settings_env(settings)}
    child = subprocess.Popen(
        [sys.executable, "-m", "app.audit.worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(4)  # well past botocore's own retries
        assert child.poll() is None, f"the worker exited: {child.communicate()[0][-2000:]}"
        proxy.accept()
        user = own_platform.create_user()
        tx = own_platform.add_transaction(user["id"])
        deadline = time.monotonic() + 20
        while _row(own_platform, tx["id"])["done_at"] is None:
            assert time.monotonic() < deadline, "the worker did not deliver after AWS came back"
            assert child.poll() is None
            time.sleep(0.1)
    finally:
        child.terminate()
        output = child.communicate(timeout=10)[0]
    assert "start-up: AWS not reachable" in output
