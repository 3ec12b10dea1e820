"""S3 event notifications as they arrive in an SQS message body.

Three shapes reach the audit queue:
- ``{"Records": [...]}`` with one or more ``ObjectCreated:*`` records: files to ship;
- ``{"Event": "s3:TestEvent", ...}``: sent by S3 when the notification is configured;
  nothing to ship, the message is simply acknowledged;
- anything else: a poison message, reported as a failure so that it ends in the DLQ.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


class MalformedNotificationError(ValueError):
    """The body is not an S3 notification we understand. The message holds no file data."""


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One created S3 object version."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None

    def idempotency_key(self, content_sha256: str) -> str:
        """sha256 of (bucket, key, content digest): one file, one key, whatever its version.

        Not the version ID: a retried PUT of the same file makes a second version, and S3
        notifies each; both must reach the institution as one delivery. A changed file
        under the same key is new content, so a new key. JSON-encoding the triple keeps it
        unambiguous whatever characters the object key holds.
        """
        canonical = json.dumps(
            [self.bucket, self.key, f"sha256:{content_sha256}"], ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def log_id(self) -> str:
        """A stable, non-identifying name of this object version for log lines."""
        identity = f"version:{self.version_id}" if self.version_id else f"etag:{self.etag}"
        canonical = json.dumps([self.bucket, self.key, identity], ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Notification:
    objects: tuple[ObjectRef, ...]
    is_test_event: bool = False


def parse_notification(body: str) -> Notification:
    """Parse an SQS body. Raises MalformedNotificationError, whose message has no body text."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        raise MalformedNotificationError("body is not JSON") from exc
    if not isinstance(document, dict):
        raise MalformedNotificationError("body is not a JSON object")
    if document.get("Event") == "s3:TestEvent":
        return Notification(objects=(), is_test_event=True)
    records = document.get("Records")
    if not isinstance(records, list) or not records:
        raise MalformedNotificationError("no Records list")
    objects: list[ObjectRef] = []
    for index, record in enumerate(records):
        ref = _object_of(record, index)
        if ref is not None:
            objects.append(ref)
    return Notification(objects=tuple(objects))


def _object_of(record: Any, index: int) -> ObjectRef | None:
    if not isinstance(record, dict):
        raise MalformedNotificationError(f"record {index} is not an object")
    if record.get("eventSource") != "aws:s3":
        raise MalformedNotificationError(f"record {index} is not from aws:s3")
    event_name = record.get("eventName")
    if not isinstance(event_name, str):
        raise MalformedNotificationError(f"record {index} has no eventName")
    if not event_name.startswith("ObjectCreated:"):
        return None  # e.g. a lifecycle expiry: nothing to ship, and nothing wrong either
    try:
        s3 = record["s3"]
        bucket = s3["bucket"]["name"]
        obj = s3["object"]
        key = obj["key"]
    except (KeyError, TypeError) as exc:
        raise MalformedNotificationError(f"record {index} lacks s3.bucket.name/object.key") from exc
    version_id = obj.get("versionId")
    etag = obj.get("eTag")
    if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
        raise MalformedNotificationError(f"record {index} has an empty bucket or key")
    if version_id is not None and not isinstance(version_id, str):
        raise MalformedNotificationError(f"record {index} has a non-string versionId")
    return ObjectRef(
        bucket=bucket,
        key=unquote_plus(key),  # S3 form-encodes keys in notifications ("a b" → "a+b")
        version_id=version_id or None,
        etag=etag if isinstance(etag, str) else None,
    )
