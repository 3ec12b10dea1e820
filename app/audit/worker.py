"""The outbox worker: ``python -m app.audit.worker`` (its own process, one per region).

For each due outbox row it leases the row (``FOR UPDATE SKIP LOCKED``, then a committed
``next_attempt_at`` in the future, so workers never share a row), puts the audit PDF into
the region's bucket with SSE-KMS, commits what it wrote, then sends the pseudonymized
central event and commits that. Each side effect is recorded in its own committed step
before the next one starts.

- Never lost: a row leaves the queue only when both steps are recorded; a failure records
  the error class and a backed-off ``next_attempt_at``, and the row comes back later.
- Never written twice: the PUT is conditional (``If-None-Match: *``). When an earlier PUT
  succeeded but its answer or its record was lost (a crash, a dropped connection that
  botocore retried), S3 answers 412 and the object already there is recorded instead of
  writing a second version, which S3 would notify, and the shipper deliver, again.
- Never sent twice: a step already recorded is skipped on retry. The one window left, a
  crash after SQS accepted the message and before its record, is closed by the event's
  stable ``event_id``, also the FIFO deduplication ID, on which the central consumer
  deduplicates.
- Start-up retries: AWS or the shard map unreachable at start makes the worker wait with
  bounded backoff, not exit.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import random
import signal
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from botocore.exceptions import BotoCoreError, ClientError
from psycopg.rows import DictRow, dict_row

from app.audit.pdf import render_transaction_pdf
from app.aws import client
from app.db.connect import connection_kwargs
from app.db.shard_source import load_shard_map
from app.events import CentralEvent, check_allowed, pseudonymize
from app.settings import Settings
from app.shardmap import Shard, ShardMap

log = logging.getLogger("app.audit.worker")

_CLAIM = """
SELECT o.id, o.event_id, o.attempts, o.pdf_key, o.pdf_put_at, o.event_sent_at, o.pdf_etag,
       o.pdf_version_id,
       t.id AS transaction_id, t.user_id, t.amount_minor, t.currency, t.direction,
       t.created_at, u.pseudonym_key
FROM outbox o
JOIN transactions t ON t.id = o.transaction_id
JOIN users u ON u.id = t.user_id
WHERE o.done_at IS NULL AND o.next_attempt_at <= now()
ORDER BY o.next_attempt_at, o.id
LIMIT 1
FOR UPDATE OF o SKIP LOCKED
"""


def backoff(attempts: int, base_s: float, cap_s: float) -> float:
    """Exponential backoff with jitter: spreads retries after an outage."""
    delay: float = min(cap_s, base_s * 2 ** min(attempts, 30))
    return delay * random.uniform(0.5, 1.0)


def load_pseudonym_key(settings: Settings) -> bytes:
    """The jurisdiction's HMAC key from Secrets Manager (binary, or base64 text)."""
    if not settings.pseudonym_key_secret_id:
        raise RuntimeError("GDPR_API_PSEUDONYM_KEY_SECRET_ID is not set")
    secret = client("secretsmanager", settings).get_secret_value(
        SecretId=settings.pseudonym_key_secret_id
    )
    if "SecretBinary" in secret:
        return bytes(secret["SecretBinary"])
    return base64.b64decode(secret["SecretString"])


@dataclass
class OutboxWorker:
    settings: Settings
    shard_map: ShardMap
    pseudonym_key: bytes
    s3: Any
    sqs: Any

    @classmethod
    def from_settings(cls, settings: Settings, shard_map: ShardMap) -> OutboxWorker:
        for name in ("audit_bucket", "audit_kms_key_id", "central_queue_url"):
            if not getattr(settings, name):
                raise RuntimeError(f"GDPR_API_{name.upper()} is not set")
        return cls(
            settings=settings,
            shard_map=shard_map,
            pseudonym_key=load_pseudonym_key(settings),
            s3=client("s3", settings),
            sqs=client("sqs", settings, settings.central_queue_region),
        )

    def connect(self, shard: Shard) -> psycopg.Connection[DictRow]:
        ep = shard.regions[self.settings.primary_region]
        kwargs = connection_kwargs(
            self.settings,
            host=ep.writer,
            port=ep.port,
            dbname=ep.database,
            read_only=False,
            application_name=f"gdpr-outbox-{self.settings.jurisdiction}-{shard.name}",
        )
        # autocommit: every unit of work is an explicit ``transaction()`` block, and the
        # connection never idles inside an open transaction between polls.
        return psycopg.connect(**kwargs(), row_factory=dict_row, autocommit=True)

    def pdf_key(self, shard: Shard, row: dict[str, Any]) -> str:
        day = row["created_at"].strftime("%Y/%m/%d")
        return f"audit/{self.settings.jurisdiction}/{shard.name}/{day}/{row['transaction_id']}.pdf"

    def event(self, row: dict[str, Any]) -> CentralEvent:
        user_key = row["pseudonym_key"]
        pseudonym = (
            None  # erased before delivery: nothing left to link, send the bare fact
            if user_key is None
            else pseudonymize(row["user_id"], self.pseudonym_key, user_key=bytes(user_key))
        )
        return CentralEvent(
            event_id=row["event_id"],
            jurisdiction=self.settings.jurisdiction,
            user_pseudonym=pseudonym,
            amount_minor=row["amount_minor"],
            currency=row["currency"],
            direction=row["direction"],
            occurred_at=row["created_at"],
        )

    def _put_pdf(self, shard: Shard, row: dict[str, Any]) -> tuple[str, str | None, str | None]:
        """Write the PDF unless the key holds one already; (key, ETag, version ID)."""
        key = self.pdf_key(shard, row)
        body = render_transaction_pdf(
            row, jurisdiction=self.settings.jurisdiction, shard=shard.name
        )
        try:
            put = self.s3.put_object(
                Bucket=self.settings.audit_bucket,
                Key=key,
                Body=body,
                ContentType="application/pdf",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.settings.audit_kms_key_id,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "PreconditionFailed":
                raise
            # An earlier PUT of this row succeeded (its answer or its record was lost):
            # record the key and write nothing. ETag and version stay unknown: the role
            # may put audit files, not read them.
            log.info("outbox row %d: PDF already stored, recorded as is", row["id"])
            return key, None, None
        return key, put["ETag"], put.get("VersionId")

    def message(self, row: dict[str, Any]) -> dict[str, Any]:
        """The ``SendMessage`` parameters for ``row``'s event, body exactly as it is sent."""
        event = self.event(row)
        body = event.model_dump_json()
        check_allowed(json.loads(body))
        params: dict[str, Any] = {
            "QueueUrl": self.settings.central_queue_url,
            "MessageBody": body,
        }
        if str(self.settings.central_queue_url).endswith(".fifo"):
            params["MessageGroupId"] = event.user_pseudonym or "erased"
            params["MessageDeduplicationId"] = str(event.event_id)
        return params

    def _send_event(self, row: dict[str, Any]) -> None:
        self.sqs.send_message(**self.message(row))

    def process_one(self, conn: psycopg.Connection[DictRow], shard: Shard) -> bool:
        """Deliver one due row of ``shard``; False when none is due (or all are taken)."""
        with conn.transaction():
            row = conn.execute(_CLAIM).fetchone()
            if row is None:
                return False
            # The lease: committed, so other workers skip the row while this one works on
            # it without holding a transaction open across AWS calls.
            conn.execute(
                "UPDATE outbox SET next_attempt_at = now() + %s WHERE id = %s",
                (timedelta(seconds=self.settings.outbox_lease_s), row["id"]),
            )
        try:
            if row["pdf_put_at"] is None:
                key, etag, version = self._put_pdf(shard, row)
                with conn.transaction():
                    conn.execute(
                        "UPDATE outbox SET pdf_key = %s, pdf_etag = %s, pdf_version_id = %s, "
                        "pdf_put_at = now() WHERE id = %s",
                        (key, etag, version, row["id"]),
                    )
            if row["event_sent_at"] is None:
                self._send_event(row)
                with conn.transaction():
                    conn.execute(
                        "UPDATE outbox SET event_sent_at = now() WHERE id = %s", (row["id"],)
                    )
            with conn.transaction():
                conn.execute(
                    "UPDATE outbox SET done_at = now(), attempts = attempts + 1, "
                    "last_error = NULL WHERE id = %s",
                    (row["id"],),
                )
        except psycopg.OperationalError:
            raise  # the shard itself: the row's lease runs out and it comes back
        except Exception as exc:
            # The steps that succeeded stay recorded; the row comes back after backoff.
            # Only the error class is kept: AWS messages can quote request data.
            delay = backoff(
                row["attempts"],
                self.settings.outbox_backoff_base_s,
                self.settings.outbox_backoff_cap_s,
            )
            error = getattr(exc, "response", {}).get("Error", {}).get("Code")
            with conn.transaction():
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = %s, "
                    "next_attempt_at = now() + %s WHERE id = %s",
                    (error or type(exc).__name__, timedelta(seconds=delay), row["id"]),
                )
            log.warning(
                "outbox row %d on %s failed (%s); retry in %.1fs",
                row["id"],
                shard.name,
                error or type(exc).__name__,
                delay,
            )
        return True

    def drain(
        self,
        shard: Shard,
        max_rows: int = 10_000,
        conn: psycopg.Connection[DictRow] | None = None,
    ) -> int:
        """Process due rows of ``shard`` until none is due; returns how many were handled."""
        if conn is None:
            with self.connect(shard) as own:
                return self.drain(shard, max_rows, own)
        handled = 0
        while handled < max_rows and self.process_one(conn, shard):
            handled += 1
        return handled

    def run(self, stop: threading.Event) -> None:
        """Round-robin over the shards until ``stop`` is set; sleeps when all are idle.

        One connection per shard is kept open and replaced when it breaks (a failover).
        """
        conns: dict[int, psycopg.Connection[DictRow]] = {}
        try:
            while not stop.is_set():
                busy = False
                for shard in self.shard_map.shards:
                    try:
                        conn = conns.get(shard.index)
                        if conn is None or conn.closed:
                            conn = conns[shard.index] = self.connect(shard)
                        # A bounded batch per shard, so that one busy shard cannot starve
                        # the others.
                        busy |= self.drain(shard, 100, conn) > 0
                    except psycopg.OperationalError as exc:
                        log.warning("shard %s unreachable (%s)", shard.name, type(exc).__name__)
                        broken = conns.pop(shard.index, None)
                        if broken is not None:
                            broken.close()
                if not busy:
                    stop.wait(self.settings.outbox_poll_interval_s)
        finally:
            for conn in conns.values():
                conn.close()


#: Error codes of AWS answers that say "not now" rather than "never".
_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "SlowDown",
        "RequestTimeout",
    }
)


def _transient(exc: Exception) -> bool:
    if isinstance(exc, BotoCoreError | psycopg.OperationalError):
        return True  # unreachable endpoint, timeout, connection reset
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _TRANSIENT_CODES or status >= 500
    return False


def start_worker(settings: Settings, stop: threading.Event) -> OutboxWorker | None:
    """The worker, once the shard map and AWS answer; None if ``stop`` is set first.

    A worker started while AWS (or its VPC endpoint) is not reachable yet waits with bounded
    exponential backoff instead of exiting into a crash loop. Configuration errors (a
    missing setting, access denied) still stop it at once.
    """
    attempt = 0
    while not stop.is_set():
        try:
            return OutboxWorker.from_settings(settings, load_shard_map(settings))
        except Exception as exc:
            if not _transient(exc):
                raise
            delay = backoff(attempt, 0.5, settings.startup_backoff_cap_s)
            attempt += 1
            log.warning(
                "start-up: AWS not reachable (%s); attempt %d, retry in %.1fs",
                type(exc).__name__,
                attempt,
                delay,
            )
            stop.wait(delay)
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Deliver audit PDFs and central events.")
    parser.add_argument("--once", action="store_true", help="drain every shard, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    settings = Settings()  # from the environment
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker = start_worker(settings, stop)
    if worker is None:
        return
    log.info("outbox worker started for %s", settings.jurisdiction)
    if args.once:
        for shard in worker.shard_map.shards:
            worker.drain(shard)
        return
    worker.run(stop)


if __name__ == "__main__":
    main()
