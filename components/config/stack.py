"""The whole stack config: every section parsed, then the rules across sections."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, ValidationError

from app.shardmap import ShardMap
from components.config.app import AppConfig, check_app
from components.config.audit import AuditConfig, check_audit
from components.config.central import CentralConfig, check_central
from components.config.compute import ComputeConfig, check_compute
from components.config.database import DatabaseConfig, check_database
from components.config.edge import EdgeConfig, check_edge
from components.config.eks import EksConfig, check_eks
from components.config.errors import NAMESPACE, ConfigError
from components.config.fields import Environment, Model
from components.config.network import NetworkConfig, check_cidrs
from components.config.observability import ObservabilityConfig, check_observability
from components.config.operations import OperationsConfig, settle_operations
from components.config.protection import ProtectionConfig, ProtectionFloor
from components.config.regions import RegionsConfig, check_regions
from components.config.release import (
    DeployerConfig,
    ReleaseConfig,
    check_deployer,
    check_release,
)
from components.config.shards import ShardsConfig, build_shard_map
from components.config.tags import TagsConfig
from components.placeholders import ExampleValueError, refuse_example_values
from policies.gdpr_pack.jurisdictions import JURISDICTION_REGIONS


class _Sections(Model):
    """Every section, in the order their defects are reported."""

    regions: RegionsConfig
    network: NetworkConfig
    shards: ShardsConfig
    database: DatabaseConfig
    eks: EksConfig
    tags: TagsConfig
    protection: ProtectionConfig
    central: CentralConfig
    audit: AuditConfig
    app: AppConfig
    edge: EdgeConfig
    observability: ObservabilityConfig
    release: ReleaseConfig = ReleaseConfig()
    deployer: DeployerConfig = DeployerConfig()
    operations: OperationsConfig
    compute: ComputeConfig


_TOP_LEVEL = ("jurisdiction", "environment", *_Sections.model_fields)
_REQUIRED = (
    "jurisdiction",
    "environment",
    "regions",
    "network",
    "shards",
    "database",
    "eks",
    "central",
    "audit",
)


class StackConfig(_Sections):
    """The whole stack config, validated. Build it with :func:`parse_config`."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    stack: str
    jurisdiction: str
    environment: Environment
    #: What components read: ``protection`` raised to production's floor.
    floor: ProtectionFloor
    shard_map: ShardMap

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def required_tags(self) -> dict[str, str]:
        """The five required tags with this stack's defaults."""
        return {
            "owner": self.tags.owner,
            "cost-center": self.tags.cost_center,
            "environment": self.environment.value,
            "jurisdiction": self.jurisdiction,
            "data-classification": self.tags.data_classification.value,
        }


def parse_config(stack: str, raw: Mapping[str, Any]) -> StackConfig:
    """Validate ``raw`` (keys without the ``gdpr-platform:`` namespace) into a StackConfig.

    Values may be already-decoded objects or JSON strings (as ``pulumi.Config`` stores
    structured values). Raises :class:`ConfigError` on the first defect.
    """
    unknown = sorted(set(raw) - set(_TOP_LEVEL))
    if unknown:
        raise ConfigError(
            unknown[0], f"unknown key; expected one of: {', '.join(sorted(_TOP_LEVEL))}"
        )
    for key in _REQUIRED:
        if raw.get(key) in (None, ""):
            raise ConfigError(key, f"required key is missing; set it in Pulumi.{stack}.yaml")
    raw = {**raw, "tags": raw.get("tags")}
    if raw["tags"] in (None, ""):
        raise ConfigError("tags", "required key is missing; set owner and cost-center")

    jurisdiction = str(raw["jurisdiction"])
    if jurisdiction not in JURISDICTION_REGIONS:
        raise ConfigError(
            "jurisdiction",
            f"{jurisdiction!r} is not a known jurisdiction; use one of "
            f"{', '.join(sorted(JURISDICTION_REGIONS))}",
        )
    try:
        environment = Environment(str(raw["environment"]))
    except ValueError:
        raise ConfigError(
            "environment",
            f"{raw['environment']!r} is not allowed; use one of "
            f"{', '.join(e.value for e in Environment)}",
        ) from None

    sections = _parse_sections(raw)
    regions = sections.regions
    check_regions(jurisdiction, regions)
    check_cidrs(regions, sections.network)
    check_eks(sections.eks)
    check_database(sections.database, regions)
    check_app(sections.app)
    check_edge(regions, sections.edge)
    shard_map = build_shard_map(jurisdiction, sections.shards)
    check_central(stack, sections.central)
    check_audit(sections.audit)
    check_observability(environment, sections.observability)
    check_release(sections.release)
    check_deployer(sections.deployer, regions)
    operations = settle_operations(
        environment, jurisdiction, regions.all, regions.allow_adequacy, sections.operations
    )
    check_compute(sections.compute, regions)

    return StackConfig(
        stack=stack,
        jurisdiction=jurisdiction,
        environment=environment,
        floor=ProtectionFloor.settle(sections.protection, environment),
        shard_map=shard_map,
        **{**dict(sections), "operations": operations},
    )


def _parse_sections(raw: Mapping[str, Any]) -> _Sections:
    values = {key: _decode(key, raw.get(key) or {}) for key in _Sections.model_fields}
    try:
        return _Sections.model_validate(values)
    except ValidationError as exc:
        raise _config_error(exc) from None


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(key, f"expected an object, got unparsable text: {exc}") from None
    return value


def _config_error(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    section, *path = first["loc"]
    key = str(section)
    for part in path:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key; check its spelling"
    elif first["type"] == "missing":
        message = "required key is missing"
    elif first["type"] == "value_error":
        pass  # our own validators name the value already
    elif "input" in first and first["type"] not in {"model_type", "dict_type"}:
        message = f"{message} (got {first['input']!r})"
    return ConfigError(key, message)


def load_from_pulumi(stack: str) -> StackConfig:
    """Read the stack config as the engine hands it to the program."""
    from pulumi.runtime import config as runtime_config

    # The SDK keeps the full config map here (set by the language host, or by set_mocks
    # callers); reading it whole lets a misspelt key fail instead of being ignored.
    every = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in every.items() if k.startswith(prefix)}
    config = parse_config(stack, raw)
    import pulumi

    check_no_example_values(
        config, raw, offline=_under_mocks(), organization=pulumi.get_organization()
    )
    return config


def check_no_example_values(
    config: StackConfig, raw: Mapping[str, Any], *, offline: bool, organization: str
) -> None:
    """A production stack deployed for real carries no example value (components/placeholders).

    The committed stack files are production templates: the offline preview and the tests
    (Pulumi mocks, which can create nothing) run them as they are.
    """
    if not config.is_production or offline:
        return
    try:
        refuse_example_values(raw, organization=organization)
    except ExampleValueError as exc:
        raise ConfigError(exc.example.key, exc.example.detail()) from None


def _under_mocks() -> bool:
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import get_monitor

    return isinstance(get_monitor(), MockMonitor)
