"""``audit``: the audit pipeline of every region: bucket, queue, shipper."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import Model, NonEmpty
from components.config.workers import LambdaWorkerConfig, check_worker


class ObjectLockConfig(Model):
    enabled: bool = False
    #: Default retention in COMPLIANCE mode: nobody, root included, can shorten it.
    retention_days: int = Field(default=3653, ge=1, le=36_500)


class TransitionStorageClass(StrEnum):
    STANDARD_IA = "STANDARD_IA"
    INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
    GLACIER_IR = "GLACIER_IR"
    GLACIER = "GLACIER"
    DEEP_ARCHIVE = "DEEP_ARCHIVE"


class AuditLifecycleConfig(Model):
    transition_days: int = Field(default=90, ge=30)
    transition_storage_class: TransitionStorageClass = TransitionStorageClass.GLACIER_IR
    #: Current versions expire (get a delete marker) after this many days.
    expiration_days: int = Field(default=3653, ge=1)
    noncurrent_expiration_days: int = Field(default=30, ge=1)
    abort_multipart_days: int = Field(default=7, ge=1)


class AuditConfig(Model):
    """The audit pipeline of every region: bucket, queue, shipper to the institution."""

    #: The auditing institution's HTTPS endpoint; its credential lives in Secrets Manager.
    institution_url: NonEmpty
    object_lock: ObjectLockConfig = ObjectLockConfig()
    lifecycle: AuditLifecycleConfig = AuditLifecycleConfig()
    shipper: LambdaWorkerConfig = LambdaWorkerConfig()


def check_audit(audit: AuditConfig) -> None:
    url = urlsplit(audit.institution_url)
    if url.scheme != "https":
        raise ConfigError(
            "audit.institutionUrl",
            f"{audit.institution_url!r} must use https://; audit files carry personal data",
        )
    if not url.hostname:
        raise ConfigError("audit.institutionUrl", f"{audit.institution_url!r} names no host")
    if url.username or url.password:
        raise ConfigError(
            "audit.institutionUrl",
            "remove the credential from the URL; it belongs in the institution secret in "
            "Secrets Manager",
        )
    life = audit.lifecycle
    if life.expiration_days <= life.transition_days:
        raise ConfigError(
            "audit.lifecycle.expirationDays",
            f"{life.expiration_days} must be greater than transitionDays ({life.transition_days})",
        )
    lock = audit.object_lock
    if lock.enabled and life.expiration_days < lock.retention_days:
        raise ConfigError(
            "audit.lifecycle.expirationDays",
            f"{life.expiration_days} is shorter than the object lock retention "
            f"({lock.retention_days} days); files cannot expire while locked",
        )
    check_worker("audit.shipper", audit.shipper)
