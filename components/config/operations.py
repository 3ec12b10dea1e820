"""``operations``: one pane over every region of the jurisdiction.

AWS Config, Systems Manager inventory sync, Resource Explorer, Security Hub, optionally
Trusted Advisor events and CloudWatch cross-account observability. On by default in
production. Several of these are account-wide singletons (one Config recorder per region,
one Resource Explorer aggregator index and one Security Hub finding aggregator per
account): the ``create*`` switches let a stack use what an account already has (e.g. a
Control Tower recorder) instead of fighting it.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from components.config.errors import ConfigError
from components.config.fields import Environment, Model
from policies.gdpr_pack.jurisdictions import allowed_regions

# The one name under which a stack whose jurisdiction lacks us-east-1 may take Trusted
# Advisor's events there; the pack recognizes the same name.
from policies.gdpr_pack.operations import (
    TRUSTED_ADVISOR_EXCEPTION as TRUSTED_ADVISOR_EXCEPTION,
)
from policies.gdpr_pack.operations import TRUSTED_ADVISOR_REGION

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SINK_ARN = re.compile(r"^arn:aws(-[a-z]+)*:oam:([a-z0-9-]+):\d{12}:sink/[\w-]+$")


def _account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"{value!r} is not a 12-digit AWS account ID")
    return value


def _sink_arn(value: str) -> str:
    if not _SINK_ARN.match(value):
        raise ValueError(
            f"{value!r} is not an OAM sink ARN (arn:aws:oam:<region>:<account>:sink/<id>)"
        )
    return value


AccountId = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_account_id)]
SinkArn = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_sink_arn)]


def sink_region(arn: str) -> str:
    return arn.split(":")[3]


class TrustedAdvisorConfig(Model):
    #: Send Trusted Advisor check-status events (us-east-1 only; Business support) to the
    #: alarm topic.
    enabled: bool = False
    #: Required where the jurisdiction lacks us-east-1: exactly TRUSTED_ADVISOR_EXCEPTION.
    exception: str | None = None


class CrossAccountConfig(Model):
    #: This stack's account is the monitoring account: a sink in every region.
    create_sinks: bool = False
    #: Source accounts allowed to link to those sinks.
    source_account_ids: tuple[AccountId, ...] = ()
    #: {region: sink ARN of the monitoring account}: link this account to it, per region.
    sink_arns: dict[str, SinkArn] = Field(default_factory=dict)
    #: What the links share.
    resource_types: tuple[str, ...] = (
        "AWS::CloudWatch::Metric",
        "AWS::Logs::LogGroup",
        "AWS::XRay::Trace",
    )


class OperationsConfig(Model):
    #: None: on in production, off elsewhere (settled by :func:`settle_operations`).
    enabled: bool | None = None
    #: Account-wide singletons: false where the account already has them.
    create_config_recorders: bool = True
    create_config_aggregator: bool = True
    create_resource_explorer: bool = True
    create_security_hub: bool = True
    #: Days the pane's bucket keeps Config history and inventory snapshots.
    bucket_retention_days: int = 2557
    trusted_advisor: TrustedAdvisorConfig = TrustedAdvisorConfig()
    cross_account: CrossAccountConfig = CrossAccountConfig()

    @property
    def on(self) -> bool:
        return bool(self.enabled)


def settle_operations(
    environment: Environment,
    jurisdiction: str,
    regions: tuple[str, ...],
    adequacy: bool,
    operations: OperationsConfig,
) -> OperationsConfig:
    """Check the section and fix the default of ``enabled`` by environment."""
    enabled = (
        operations.enabled
        if operations.enabled is not None
        else environment is Environment.PRODUCTION
    )
    allowed = allowed_regions(jurisdiction, adequacy=adequacy)
    if operations.bucket_retention_days < 365:
        raise ConfigError(
            "operations.bucketRetentionDays",
            f"{operations.bucket_retention_days} is under a year; keep at least 365 days of "
            "configuration history",
        )
    ta = operations.trusted_advisor
    if ta.exception is not None and ta.exception != TRUSTED_ADVISOR_EXCEPTION:
        raise ConfigError(
            "operations.trustedAdvisor.exception",
            f"{ta.exception!r} is not a known exception; the only one is "
            f"{TRUSTED_ADVISOR_EXCEPTION!r}",
        )
    if ta.enabled and TRUSTED_ADVISOR_REGION not in allowed and ta.exception is None:
        raise ConfigError(
            "operations.trustedAdvisor.exception",
            f"Trusted Advisor events exist only in {TRUSTED_ADVISOR_REGION}, outside "
            f"jurisdiction {jurisdiction!r}; set it to {TRUSTED_ADVISOR_EXCEPTION!r} to accept "
            "that rule there (account metadata, no personal data), or disable trustedAdvisor",
        )
    xa = operations.cross_account
    for region, arn in xa.sink_arns.items():
        key = f"operations.crossAccount.sinkArns.{region}"
        if region not in regions:
            raise ConfigError(
                key, f"{region!r} is not a region of this stack ({', '.join(regions)})"
            )
        if sink_region(arn) != region:
            raise ConfigError(
                key, f"the sink is in {sink_region(arn)!r}; a link needs a sink in its own region"
            )
    if xa.source_account_ids and not xa.create_sinks:
        raise ConfigError(
            "operations.crossAccount.sourceAccountIds",
            "source accounts need sinks; set createSinks: true or remove them",
        )
    if xa.create_sinks and not xa.source_account_ids:
        raise ConfigError(
            "operations.crossAccount.sourceAccountIds",
            "a sink with no source account links nothing; list the accounts that may link",
        )
    return operations.model_copy(update={"enabled": enabled})
