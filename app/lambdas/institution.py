"""POSTing one audit file to the institution, retried with backoff inside a time budget.

HTTP client: urllib3. It is already in every Python Lambda (botocore depends on it), so the
package adds no new code to trust; it gives separate connect/read timeouts and a
thread-safe connection pool kept warm across invocations; and with ``retries=False`` it never
retries behind our back, so this module alone decides what is retried and for how long.

What the institution sees: every attempt carries the same ``Idempotency-Key``, so however
often we retry (our backoff, an SQS redrive, a duplicate S3 notification) it records the file
once. A 2xx answer means "recorded" (a repeated key is answered with the first answer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Final

import urllib3

from app.lambdas.sqs_batch import Deadline

# 408/425/429 and 5xx are the institution saying "not now"; 409 is a concurrent request with
# the same idempotency key still in flight (Stripe-style APIs): the answer will come, retry.
_TRANSIENT_STATUSES: Final = frozenset({408, 409, 425, 429})
_MIN_ATTEMPT_S: Final = 0.25  # below this an attempt cannot finish: give the message back


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base·2^(attempt-1))] (AWS Architecture Blog)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    delivered: bool
    attempts: int
    status: int | None
    reason: str


def authorization_header(secret_string: str) -> str:
    """The Authorization header from the institution's secret.

    Accepted secret shapes: ``{"token": "..."}`` (Bearer), ``{"username": ..., "password": ...}``
    (Basic), or the bare token as the whole string (Bearer).
    """
    try:
        value = json.loads(secret_string)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        if isinstance(value.get("token"), str) and value["token"]:
            return f"Bearer {value['token']}"
        username, password = value.get("username"), value.get("password")
        if isinstance(username, str) and isinstance(password, str) and username:
            raw = f"{username}:{password}".encode()
            return f"Basic {base64.b64encode(raw).decode('ascii')}"
        raise ValueError("institution secret needs 'token' or 'username' and 'password'")
    token = secret_string.strip()
    if not token:
        raise ValueError("institution secret is empty")
    return f"Bearer {token}"


def content_digest(body: bytes) -> str:
    """RFC 9530 Content-Digest, so the institution can check the file arrived intact."""
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    return f"sha-256=:{digest}:"


class InstitutionClient:
    def __init__(
        self,
        url: str,
        authorization: Callable[[bool], str],
        policy: RetryPolicy,
        http: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """``authorization(refresh)`` returns the Authorization header; refresh after a 401."""
        self.url = url
        self.policy = policy
        self._authorization = authorization
        self._http = http or urllib3.PoolManager(maxsize=16, retries=False)
        self._sleep = sleep
        self._rng = rng or random.Random()  # jitter, not secrecy

    def deliver(
        self, body: bytes, *, idempotency_key: str, content_type: str, deadline: Deadline
    ) -> DeliveryOutcome:
        policy = self.policy
        refreshed_credential = False  # a 401 re-reads the secret once, not on every retry
        refresh_now = False
        digest = content_digest(body)
        status: int | None = None
        reason = "not attempted"
        attempt = 0
        while attempt < policy.max_attempts:
            remaining = deadline.remaining()
            if remaining < _MIN_ATTEMPT_S:
                return DeliveryOutcome(False, attempt, status, f"out of time after {reason}")
            attempt += 1
            headers = {
                "Authorization": self._authorization(refresh_now),
                "Idempotency-Key": idempotency_key,
                "Content-Type": content_type,
                "Content-Digest": digest,
                "User-Agent": "gdpr-platform-audit-shipper/1",
            }
            refresh_now = False
            timeout = urllib3.Timeout(
                connect=min(policy.connect_timeout_s, remaining),
                read=min(policy.read_timeout_s, remaining),
                total=min(policy.connect_timeout_s + policy.read_timeout_s, remaining),
            )
            retry_after: float | None = None
            try:
                response = self._http.request(
                    "POST",
                    self.url,
                    body=body,
                    headers=headers,
                    timeout=timeout,
                    retries=False,
                    redirect=False,  # a redirect is a misconfigured URL, not a place to post
                )
            except urllib3.exceptions.NewConnectionError:  # first: it subclasses the timeout
                status, reason = None, "connection error (refused or unreachable)"
            except urllib3.exceptions.TimeoutError:
                status, reason = None, "timeout"
            except urllib3.exceptions.HTTPError as exc:
                status, reason = None, f"connection error ({type(exc).__name__})"
            else:
                status = response.status
                if 200 <= status < 300:
                    return DeliveryOutcome(True, attempt, status, "delivered")
                if status == 401 and not refreshed_credential:
                    refreshed_credential = refresh_now = True  # maybe rotated: re-read it now
                    reason = "http 401"
                    continue
                if status not in _TRANSIENT_STATUSES and status < 500:
                    return DeliveryOutcome(False, attempt, status, f"http {status} (permanent)")
                reason = f"http {status}"
                retry_after = _retry_after_s(response.headers.get("Retry-After"))
            if attempt >= policy.max_attempts:
                break
            delay = policy.backoff_s(attempt, self._rng)
            if retry_after is not None:
                delay = max(delay, min(retry_after, policy.max_delay_s))
            if deadline.remaining() - delay < _MIN_ATTEMPT_S:
                return DeliveryOutcome(False, attempt, status, f"out of time after {reason}")
            self._sleep(delay)
        return DeliveryOutcome(False, attempt, status, f"gave up after {reason}")


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
