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


def test_idempotency_key_is_stable_and_version_specific() -> None:
    ref = ObjectRef("audit-files", "tx-1.pdf", "v1", "abc")
    same = ObjectRef("audit-files", "tx-1.pdf", "v1", "other-etag")
    assert ref.idempotency_key() == same.idempotency_key()
    assert len(ref.idempotency_key()) == 64
    keys = {
        ref.idempotency_key(),
        ObjectRef("audit-files", "tx-1.pdf", "v2", "abc").idempotency_key(),
        ObjectRef("audit-files2", "tx-1.pdf", "v1", "abc").idempotency_key(),
        ObjectRef("audit-files", "tx-2.pdf", "v1", "abc").idempotency_key(),
    }
    assert len(keys) == 4


def test_idempotency_key_cannot_be_forged_by_delimiters_in_the_key() -> None:
    a = ObjectRef("b", 'x", "version:v1', None, "e")
    b = ObjectRef("b", "x", "v1", "e")
    assert a.idempotency_key() != b.idempotency_key()


def test_version_read_from_s3_stands_in_for_a_missing_one() -> None:
    without = ObjectRef("audit-files", "tx-1.pdf", None, "abc")
    with_version = ObjectRef("audit-files", "tx-1.pdf", "v1", "abc")
    assert without.idempotency_key("v1") == with_version.idempotency_key()
