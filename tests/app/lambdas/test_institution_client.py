"""The institution client alone, against the loopback stand-in: what is retried, how often,
and with which credential. No AWS involved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.lambdas.institution import InstitutionClient, RetryPolicy
from app.lambdas.sqs_batch import Deadline
from devservices.postgres import free_port
from tests.app.lambdas.institution_stub import InstitutionStub

KEY = "ab" * 32
POLICY = RetryPolicy(max_attempts=4, base_delay_s=0.5, max_delay_s=2.0, read_timeout_s=0.5)


@pytest.fixture
def stub() -> Iterator[InstitutionStub]:
    with InstitutionStub("current") as server:
        yield server


class Recorder:
    """Records the backoff sleeps and credential refreshes instead of waiting."""

    def __init__(self, tokens: list[str]) -> None:
        self.sleeps: list[float] = []
        self.refreshes = 0
        self._tokens = tokens

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def authorization(self, refresh: bool) -> str:
        if refresh:
            self.refreshes += 1
            self._tokens.pop(0)
        return f"Bearer {self._tokens[0]}"


def client(url: str, recorder: Recorder, policy: RetryPolicy = POLICY) -> InstitutionClient:
    return InstitutionClient(url, recorder.authorization, policy, sleep=recorder.sleep)


def test_server_errors_are_retried_up_to_max_attempts_with_bounded_backoff(
    stub: InstitutionStub,
) -> None:
    stub.fail(KEY, 502)
    recorder = Recorder(["current"])

    outcome = client(stub.url, recorder).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(30)
    )

    assert not outcome.delivered
    assert outcome.attempts == POLICY.max_attempts
    assert outcome.reason == "gave up after http 502"
    assert len(recorder.sleeps) == POLICY.max_attempts - 1  # no sleep after the last one
    assert all(0 <= s <= POLICY.max_delay_s for s in recorder.sleeps)


def test_retry_after_is_honoured_up_to_the_cap(stub: InstitutionStub) -> None:
    stub.fail(KEY, 429, times=1, retry_after="1")
    recorder = Recorder(["current"])

    outcome = client(stub.url, recorder).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(30)
    )

    assert outcome.delivered
    assert recorder.sleeps[0] >= 1.0


def test_a_client_error_is_not_retried(stub: InstitutionStub) -> None:
    stub.fail(KEY, 422)
    recorder = Recorder(["current"])

    outcome = client(stub.url, recorder).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(30)
    )

    assert (outcome.delivered, outcome.attempts, outcome.status) == (False, 1, 422)
    assert recorder.sleeps == []


def test_a_401_rereads_the_credential_once(stub: InstitutionStub) -> None:
    recorder = Recorder(["stale", "current", "never-used"])

    outcome = client(stub.url, recorder).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(30)
    )

    assert outcome.delivered
    assert recorder.refreshes == 1
    assert recorder.sleeps == []  # a refreshed credential is tried at once


def test_a_wrong_credential_after_refresh_is_permanent(stub: InstitutionStub) -> None:
    recorder = Recorder(["stale", "still-wrong"])

    outcome = client(stub.url, recorder).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(30)
    )

    assert (outcome.delivered, outcome.status, recorder.refreshes) == (False, 401, 1)


def test_connection_refused_is_transient() -> None:
    recorder = Recorder(["current"])
    url = f"http://127.0.0.1:{free_port()}/audit-files"  # nothing listens

    outcome = client(url, recorder).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(30)
    )

    assert outcome.attempts == POLICY.max_attempts
    assert outcome.reason.startswith("gave up after connection error")


def test_no_attempt_starts_without_time_left(stub: InstitutionStub) -> None:
    outcome = client(stub.url, Recorder(["current"])).deliver(
        b"%PDF", idempotency_key=KEY, content_type="application/pdf", deadline=Deadline(0.1)
    )

    assert (outcome.delivered, outcome.attempts) == (False, 0)
    assert stub.attempts == []
