"""Parsing S3 notifications out of SQS bodies, and the idempotency key they lead to."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.lambdas.s3_notifications import (
    MalformedNotificationError,
    ObjectRef,
    parse_notification,
)


def s3_record(
    key: str = "2026/11/26/tx-1.pdf",
    event_name: str = "ObjectCreated:Put",
    version_id: str | None = "v1",
) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": key, "size": 10, "eTag": "abc"}
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": event_name,
        "s3": {"bucket": {"name": "audit-files"}, "object": obj},
    }


def test_created_object_is_parsed_with_its_version() -> None:
    parsed = parse_notification(json.dumps({"Records": [s3_record()]}))
    assert parsed.objects == (ObjectRef("audit-files", "2026/11/26/tx-1.pdf", "v1", "abc"),)
    assert not parsed.is_test_event


def test_keys_are_url_decoded_as_s3_encodes_them() -> None:
    parsed = parse_notification(json.dumps({"Records": [s3_record(key="a+dir%2Fx%2By.pdf")]}))
    assert parsed.objects[0].key == "a dir/x+y.pdf"


def test_s3_test_event_is_recognised() -> None:
    body = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "audit-files"}
    assert parse_notification(json.dumps(body)).is_test_event


def test_non_created_records_carry_nothing_to_ship() -> None:
    body = {"Records": [s3_record(event_name="LifecycleExpiration:Delete")]}
    assert parse_notification(json.dumps(body)).objects == ()


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        json.dumps({"Records": []}),
        json.dumps({"Records": "x"}),
        json.dumps({"Records": [{"eventSource": "aws:sqs"}]}),
        json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}),
        json.dumps({"Records": [s3_record(key="")]}),
        json.dumps({"Event": "s3:SomethingElse"}),
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(MalformedNotificationError):
        parse_notification(body)


def test_malformed_error_does_not_echo_the_body() -> None:
    secret = "alice@example.com"
    with pytest.raises(MalformedNotificationError) as info:
        parse_notification(json.dumps({"Records": [{"eventSource": secret}]}))
    assert secret not in str(info.value)


def test_idempotency_key_follows_the_content_not_the_version() -> None:
    digest, other = "a" * 64, "b" * 64
    ref = ObjectRef("audit-files", "tx-1.pdf", "v1", "abc")
    # a second version of the same bytes (a retried PUT) is the same delivery
    assert ref.idempotency_key(digest) == ObjectRef(
        "audit-files", "tx-1.pdf", "v2", "other-etag"
    ).idempotency_key(digest)
    assert len(ref.idempotency_key(digest)) == 64
    keys = {
        ref.idempotency_key(digest),
        ref.idempotency_key(other),  # changed content: a new file
        ObjectRef("audit-files2", "tx-1.pdf", "v1", "abc").idempotency_key(digest),
        ObjectRef("audit-files", "tx-2.pdf", "v1", "abc").idempotency_key(digest),
    }
    assert len(keys) == 4


def test_idempotency_key_cannot_be_forged_by_delimiters_in_the_key() -> None:
    a = ObjectRef("b", 'x", "sha256:' + "a" * 64, None, "e")
    b = ObjectRef("b", "x", None, "e")
    assert a.idempotency_key("a" * 64) != b.idempotency_key("a" * 64)
