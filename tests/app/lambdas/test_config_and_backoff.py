"""Pure pieces: environment parsing, credentials, backoff bounds, the invocation deadline."""

from __future__ import annotations

import base64
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.lambdas.audit_shipper import ShipperConfig
from app.lambdas.central_consumer import ConsumerConfig, conninfo_from_secret
from app.lambdas.env_config import ConfigError
from app.lambdas.institution import RetryPolicy, authorization_header, content_digest
from app.lambdas.sqs_batch import Deadline, batch_response

SHIPPER_ENV = {
    "INSTITUTION_URL": "https://audit.example.org/files",
    "INSTITUTION_CREDENTIAL_SECRET_ARN": "arn:aws:secretsmanager:eu-central-1:1:secret:x",
}


def test_shipper_config_defaults() -> None:
    config = ShipperConfig.from_env(SHIPPER_ENV)
    assert config.policy == RetryPolicy()
    assert config.max_workers == 4


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({**SHIPPER_ENV, "INSTITUTION_URL": ""}, "INSTITUTION_URL"),
        ({**SHIPPER_ENV, "INSTITUTION_URL": "http://audit.example.org"}, "INSTITUTION_URL"),
        ({**SHIPPER_ENV, "INSTITUTION_CREDENTIAL_SECRET_ARN": ""}, "INSTITUTION_CREDENTIAL"),
        ({**SHIPPER_ENV, "AUDIT_MAX_ATTEMPTS": "0"}, "AUDIT_MAX_ATTEMPTS"),
        ({**SHIPPER_ENV, "AUDIT_READ_TIMEOUT_S": "soon"}, "AUDIT_READ_TIMEOUT_S"),
    ],
)
def test_shipper_config_errors_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        ShipperConfig.from_env(env)


def test_plain_http_only_to_loopback() -> None:
    config = ShipperConfig.from_env({**SHIPPER_ENV, "INSTITUTION_URL": "http://127.0.0.1:8080/x"})
    assert config.institution_url.startswith("http://127.0.0.1")


def test_consumer_config_needs_a_database() -> None:
    with pytest.raises(ConfigError, match="CENTRAL_DB_SECRET_ARN"):
        ConsumerConfig.from_env({})


def test_consumer_conninfo_from_rds_secret_forces_tls() -> None:
    config = ConsumerConfig.from_env(
        {"CENTRAL_DB_SECRET_ARN": "arn:x", "CENTRAL_DB_HOST": "central.cluster.local"}
    )
    secret = json.dumps({"username": "consumer", "password": "p w'd"})
    conninfo = conninfo_from_secret(config, secret)
    assert "sslmode=require" in conninfo
    assert "host=central.cluster.local" in conninfo
    assert "dbname=central" in conninfo


def test_consumer_verifies_the_server_when_given_a_ca_bundle() -> None:
    config = ConsumerConfig.from_env(
        {"CENTRAL_DB_SECRET_ARN": "arn:x", "CENTRAL_DB_SSLROOTCERT": "/var/task/rds-ca.pem"}
    )
    assert config.sslmode == "verify-full"


def test_authorization_header_shapes() -> None:
    assert authorization_header(json.dumps({"token": "t0k"})) == "Bearer t0k"
    assert authorization_header("t0k\n") == "Bearer t0k"
    basic = authorization_header(json.dumps({"username": "u", "password": "p"}))
    assert basic == "Basic " + base64.b64encode(b"u:p").decode()
    with pytest.raises(ValueError, match="token"):
        authorization_header(json.dumps({"user": "u"}))


def test_content_digest_is_rfc9530_sha256() -> None:
    assert content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=2**32))
def test_backoff_is_full_jitter_within_the_cap(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_delay_s=0.2, max_delay_s=5.0)
    delay = policy.backoff_s(attempt, random.Random(seed))
    assert 0.0 <= delay <= min(5.0, 0.2 * 2 ** (attempt - 1))


def test_deadline_counts_down_and_never_goes_negative() -> None:
    now = [100.0]
    deadline = Deadline(2.0, clock=lambda: now[0])
    assert deadline.remaining() == 2.0
    now[0] = 103.0
    assert deadline.remaining() == 0.0
    assert deadline.expired()


def test_batch_response_names_each_failure_once() -> None:
    assert batch_response(["a", "b", "a"]) == {
        "batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]
    }
