"""Typed, validated stack config.

Everything a team sets in ``Pulumi.<stack>.yaml`` is parsed here, before any resource
is declared: one module per section (shapes and types by pydantic, the section's own
rules by a plain function), shared field types in :mod:`components.config.fields`, the
rules across sections in :mod:`components.config.stack`. Any defect becomes one
:class:`ConfigError` naming the key and the fix.
"""

from components.config.app import AppConfig
from components.config.audit import (
    AuditConfig,
    AuditLifecycleConfig,
    ObjectLockConfig,
    TransitionStorageClass,
)
from components.config.central import CentralConfig, CentralDatabaseConfig, check_single_hub
from components.config.compute import (
    ComputeConfig,
    ComputeMode,
    LambdaApiConfig,
    OutboxScheduleConfig,
    writer_connections,
)
from components.config.database import (
    MONITORING_INTERVALS,
    DatabaseConfig,
    MasterSecretRotation,
    ReaderAutoscaling,
)
from components.config.edge import EdgeConfig
from components.config.eks import EksConfig
from components.config.errors import NAMESPACE, ConfigError
from components.config.fields import (
    LOG_RETENTION_DAYS,
    Environment,
    LogRetentionDays,
    NonEmpty,
    PrivateCidr,
    RoleArn,
)
from components.config.network import ConnectivityMode, NatMode, NetworkConfig
from components.config.observability import ObservabilityConfig
from components.config.operations import (
    TRUSTED_ADVISOR_EXCEPTION,
    CrossAccountConfig,
    OperationsConfig,
    TrustedAdvisorConfig,
)
from components.config.protection import ProtectionConfig, ProtectionFloor
from components.config.regions import RegionsConfig
from components.config.release import DeployerConfig, MigrationConfig, ReleaseConfig
from components.config.shards import ShardRange, ShardsConfig
from components.config.stack import StackConfig, load_from_pulumi, parse_config
from components.config.tags import REQUIRED_TAG_KEYS, DataClassification, TagsConfig
from components.config.workers import LambdaWorkerConfig

__all__ = [
    "LOG_RETENTION_DAYS",
    "MONITORING_INTERVALS",
    "NAMESPACE",
    "REQUIRED_TAG_KEYS",
    "TRUSTED_ADVISOR_EXCEPTION",
    "AppConfig",
    "AuditConfig",
    "AuditLifecycleConfig",
    "CentralConfig",
    "CentralDatabaseConfig",
    "ComputeConfig",
    "ComputeMode",
    "ConfigError",
    "ConnectivityMode",
    "CrossAccountConfig",
    "DataClassification",
    "DatabaseConfig",
    "DeployerConfig",
    "EdgeConfig",
    "EksConfig",
    "Environment",
    "LambdaApiConfig",
    "LambdaWorkerConfig",
    "LogRetentionDays",
    "MasterSecretRotation",
    "MigrationConfig",
    "NatMode",
    "NetworkConfig",
    "NonEmpty",
    "ObjectLockConfig",
    "ObservabilityConfig",
    "OperationsConfig",
    "OutboxScheduleConfig",
    "PrivateCidr",
    "ProtectionConfig",
    "ProtectionFloor",
    "ReaderAutoscaling",
    "RegionsConfig",
    "ReleaseConfig",
    "RoleArn",
    "ShardRange",
    "ShardsConfig",
    "StackConfig",
    "TagsConfig",
    "TransitionStorageClass",
    "TrustedAdvisorConfig",
    "check_single_hub",
    "load_from_pulumi",
    "parse_config",
    "writer_connections",
]
