"""Service settings: read once from the environment (prefix ``GDPR_API_``) and validated.

One deployment per region; every value that differs between regions or environments is
here, so that code never reads ``os.environ`` itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: JWT algorithms with a public verification key. Symmetric ones (HS*) and "none" are never
#: accepted: a verifier holding a shared secret could also mint tokens.
ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class DbAuthMode(StrEnum):
    PASSWORD = "password"  # a mode name, not a secret; local run and tests
    IAM = "iam"  # AWS: short-lived tokens from rds.generate_db_auth_token


class Peer(BaseModel):
    """Another jurisdiction's regional API, named in 403 bodies so clients can go there."""

    url: str
    id_block_start: int = Field(ge=0)
    id_block_end: int = Field(gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GDPR_API_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    jurisdiction: str = Field(pattern=r"^[a-z]{2,8}$")
    region: str = Field(description="AWS region this deployment runs in")
    primary_region: str = Field(description="region holding the writers of every shard")
    shard_map: str = Field(
        description="the shard map: inline JSON, 'file:<path>' or 'ssm:<parameter name>'"
    )

    db_auth_mode: DbAuthMode = DbAuthMode.IAM
    db_user: str = "app"
    db_password: SecretStr | None = None
    db_sslmode: str = "verify-full"
    db_sslrootcert: str | None = None
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    db_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_connect_timeout_s: int = Field(default=3, ge=2, description="libpq's minimum is 2")
    db_statement_timeout_ms: int = Field(default=5000, ge=1)
    db_lock_timeout_ms: int = Field(default=2000, ge=1)
    db_keepalives_idle_s: int = Field(default=30, ge=1)
    db_keepalives_interval_s: int = Field(default=10, ge=1)
    db_keepalives_count: int = Field(default=3, ge=1)
    db_probe_interval_s: float = Field(default=0.5, gt=0, description="while a shard is down")
    db_retry_after_s: int = Field(default=2, ge=1, description="Retry-After of a shard's 503")
    request_timeout_s: float = Field(
        default=8.0, gt=0, description="bound on a request whose database stops answering"
    )
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="larger bodies get 413")
    max_json_depth: int = Field(default=32, ge=2, description="deeper JSON bodies get 422")

    jwt_public_key: str | None = Field(default=None, description="PEM public key")
    jwt_jwks_url: str | None = None
    jwt_algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    jwt_issuer: str
    jwt_audience: str
    jwt_leeway_s: int = Field(default=30, ge=0, le=300)

    audit_bucket: str | None = None
    audit_kms_key_id: str | None = None
    central_queue_url: str | None = None
    central_queue_region: str | None = None
    pseudonym_key_secret_id: str | None = None
    aws_endpoint_url: str | None = Field(
        default=None, description="moto's server in the local run; unset in AWS"
    )

    peers: dict[str, Peer] = Field(default_factory=dict)
    log_level: str = "INFO"

    outbox_backoff_base_s: float = Field(default=2.0, ge=0)
    outbox_backoff_cap_s: float = Field(default=300.0, gt=0)
    outbox_poll_interval_s: float = Field(default=1.0, gt=0)
    outbox_lease_s: float = Field(
        default=60.0, gt=0, description="how long a worker holds a row it is delivering"
    )
    startup_backoff_cap_s: float = Field(
        default=30.0, gt=0, description="longest wait between start-up attempts of a worker"
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.jwt_public_key is None) == (self.jwt_jwks_url is None):
            raise ValueError("set exactly one of GDPR_API_JWT_PUBLIC_KEY and GDPR_API_JWT_JWKS_URL")
        weak = set(self.jwt_algorithms) - ASYMMETRIC_ALGORITHMS
        if weak or not self.jwt_algorithms:
            raise ValueError(
                f"GDPR_API_JWT_ALGORITHMS: {sorted(weak) or 'empty'} not allowed; use "
                f"asymmetric algorithms only ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
            )
        if self.request_timeout_s * 1000 <= self.db_statement_timeout_ms:
            raise ValueError(
                "GDPR_API_REQUEST_TIMEOUT_S must exceed GDPR_API_DB_STATEMENT_TIMEOUT_MS, so "
                "that the server's own timeout answers first"
            )
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("GDPR_API_DB_POOL_MIN must not exceed GDPR_API_DB_POOL_MAX")
        if self.jurisdiction in self.peers:
            raise ValueError("GDPR_API_PEERS must not list this deployment's own jurisdiction")
        return self
