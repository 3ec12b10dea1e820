"""Stack config for releasing: the image, its migrations, and where deployments run from.

``gdpr-platform:release`` says which build runs (a digest the image job sets with
``pulumi config set``) and how its migration Job may run; ``gdpr-platform:deployer`` the
in-VPC GitHub Actions runner that can reach the private EKS endpoints. Both are parsed here,
before any resource, into frozen objects; a defect is a :class:`ReleaseConfigError` that
``components.config`` reports as its one-line ``ConfigError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

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


class ReleaseConfigError(Exception):
    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class MigrationConfig(_Model):
    #: The Job fails (and so does the update, before the API rolls) after this long.
    active_deadline_seconds: int = Field(default=900, ge=60, le=7200)
    #: Retries of a failed migration pod; migrations are transactional per shard.
    backoff_limit: int = Field(default=1, ge=0, le=5)


class ReleaseConfig(_Model):
    """Which build the stack runs."""

    #: ECR repository name, the same in every region of the jurisdiction.
    image_repository: str = "gdpr-platform/api"
    #: ``sha256:<64 hex>`` of the pushed image; the image job sets it. Unset: the stack has
    #: no release yet, so the API, the worker and the migration Job are not declared.
    image_digest: str | None = None
    migration: MigrationConfig = MigrationConfig()

    def image_in(self, repository_url: str) -> str:
        """``<repository url>@sha256:...``: what the Deployments and the Job run."""
        if self.image_digest is None:
            raise ValueError("no release: release.imageDigest is not set")
        return f"{repository_url}@{self.image_digest}"


class DeployerConfig(_Model):
    """A CodeBuild-hosted GitHub Actions runner in the primary region's private subnets."""

    enabled: bool = False
    #: ``<owner>/<name>`` whose workflow jobs the runner takes.
    github_repository: str | None = None
    #: An approved AWS CodeConnections connection to GitHub, in the primary region.
    connection_arn: str | None = None
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    #: Runner build logs (the update's output), days.
    log_retention_days: int = Field(default=90, ge=1)


_M = TypeVar("_M", bound=_Model)


def parse_release_sections(
    raw: Mapping[str, Any], *, primary_region: str
) -> tuple[ReleaseConfig, DeployerConfig]:
    """``release`` and ``deployer`` of ``raw`` (config without the namespace)."""
    release = _model("release", raw.get("release"), ReleaseConfig)
    deployer = _model("deployer", raw.get("deployer"), DeployerConfig)
    if not REPOSITORY.match(release.image_repository):
        raise ReleaseConfigError(
            "release.imageRepository",
            f"{release.image_repository!r} is not an ECR repository name (lowercase "
            "segments separated by '/', e.g. gdpr-platform/api)",
        )
    if release.image_digest is not None and not DIGEST.match(release.image_digest):
        raise ReleaseConfigError(
            "release.imageDigest",
            f"{release.image_digest!r} is not an image digest; set the sha256:<64 hex> the "
            "image job printed (pulumi config set --path release.imageDigest sha256:...)",
        )
    if deployer.enabled:
        if deployer.github_repository is None or not GITHUB_REPOSITORY.match(
            deployer.github_repository
        ):
            raise ReleaseConfigError(
                "deployer.githubRepository",
                "required with enabled: true: the repository as <owner>/<name>",
            )
        match = CONNECTION_ARN.match(deployer.connection_arn or "")
        if match is None:
            raise ReleaseConfigError(
                "deployer.connectionArn",
                "required with enabled: true: the ARN of an approved CodeConnections "
                "connection to GitHub (aws codeconnections create-connection)",
            )
        if match["region"] != primary_region:
            raise ReleaseConfigError(
                "deployer.connectionArn",
                f"the connection is in {match['region']}; create it in the primary region "
                f"{primary_region}, where the runner is",
            )
        if deployer.compute_type not in COMPUTE_TYPES:
            raise ReleaseConfigError(
                "deployer.computeType",
                f"{deployer.compute_type!r}: use one of {', '.join(COMPUTE_TYPES)}",
            )
    return release, deployer


def _model(key: str, value: Any, model: type[_M]) -> _M:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ReleaseConfigError(key, "expected a map of settings") from None
    try:
        return model.model_validate(value or {})
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(p) for p in error["loc"])
        raise ReleaseConfigError(f"{key}.{path}" if path else key, error["msg"]) from None
