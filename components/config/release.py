"""``release`` and ``deployer``: which build runs, its migrations, where deployments run from.

``release`` says which build runs (a digest the image job sets with ``pulumi config set``)
and how its migration Job may run; ``deployer`` the in-VPC GitHub Actions runner that can
reach the private EKS endpoints.
"""

from __future__ import annotations

import re

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import LogRetentionDays, Model, NonEmpty
from components.config.regions import RegionsConfig

#: An OCI content digest as ECR reports it after a push.
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
#: ECR repository names: lowercase path segments.
REPOSITORY = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
CONNECTION_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):(?P<region>[a-z0-9-]+):"
    r"\d{12}:connection/[0-9a-f-]{36}$"
)
#: CodeBuild compute types fit to run ``pulumi up`` of a whole stack.
COMPUTE_TYPES = ("BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE")


class MigrationConfig(Model):
    #: The Job fails (and so does the update, before the API rolls) after this long.
    active_deadline_seconds: int = Field(default=900, ge=60, le=7200)
    #: Retries of a failed migration pod; migrations are transactional per shard.
    backoff_limit: int = Field(default=1, ge=0, le=5)


class ReleaseConfig(Model):
    """Which build the stack runs."""

    #: ECR repository name, the same in every region of the jurisdiction.
    image_repository: NonEmpty = "gdpr-platform/api"
    #: ``sha256:<64 hex>`` of the pushed image; the image job sets it. Unset: the stack has
    #: no release yet, so the API, the worker and the migration Job are not declared.
    image_digest: str | None = None
    migration: MigrationConfig = MigrationConfig()

    def image_in(self, repository_url: str) -> str:
        """``<repository url>@sha256:...``: what the Deployments and the Job run."""
        if self.image_digest is None:
            raise ValueError("no release: release.imageDigest is not set")
        return f"{repository_url}@{self.image_digest}"


class DeployerConfig(Model):
    """A CodeBuild-hosted GitHub Actions runner in the primary region's private subnets."""

    enabled: bool = False
    #: ``<owner>/<name>`` whose workflow jobs the runner takes.
    github_repository: str | None = None
    #: An approved AWS CodeConnections connection to GitHub, in the primary region.
    connection_arn: str | None = None
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    #: Runner build logs (the update's output), days.
    log_retention_days: LogRetentionDays = 90


def check_release(release: ReleaseConfig) -> None:
    if not REPOSITORY.match(release.image_repository):
        raise ConfigError(
            "release.imageRepository",
            f"{release.image_repository!r} is not an ECR repository name (lowercase "
            "segments separated by '/', e.g. gdpr-platform/api)",
        )
    if release.image_digest is not None and not DIGEST.match(release.image_digest):
        raise ConfigError(
            "release.imageDigest",
            f"{release.image_digest!r} is not an image digest; set the sha256:<64 hex> the "
            "image job printed (pulumi config set --path release.imageDigest sha256:...)",
        )


def check_deployer(deployer: DeployerConfig, regions: RegionsConfig) -> None:
    if not deployer.enabled:
        return
    if deployer.github_repository is None or not GITHUB_REPOSITORY.match(
        deployer.github_repository
    ):
        raise ConfigError(
            "deployer.githubRepository",
            "required with enabled: true: the repository as <owner>/<name>",
        )
    match = CONNECTION_ARN.match(deployer.connection_arn or "")
    if match is None:
        raise ConfigError(
            "deployer.connectionArn",
            "required with enabled: true: the ARN of an approved CodeConnections "
            "connection to GitHub (aws codeconnections create-connection)",
        )
    if match["region"] != regions.primary:
        raise ConfigError(
            "deployer.connectionArn",
            f"the connection is in {match['region']}; create it in the primary region "
            f"{regions.primary}, where the runner is",
        )
    if deployer.compute_type not in COMPUTE_TYPES:
        raise ConfigError(
            "deployer.computeType",
            f"{deployer.compute_type!r}: use one of {', '.join(COMPUTE_TYPES)}",
        )
