"""Every stack output, in one place, each with its description.

``stack_outputs`` is what ``__main__.py`` exports; README's output table is
``markdown_table()`` (``python -m components.outputs`` prints it; a test holds the README
to it). An output whose value is ``None`` in a stack is not exported there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.audit import AuditPipeline
    from components.central import CentralHub, CentralHubReference
    from components.compute_tier import ComputeTier
    from components.config import StackConfig
    from components.deployer import DeploymentRunner
    from components.operations import OperationsPane
    from components.program import DataTier, Region
    from components.registry import ImageRegistry


@dataclass(frozen=True)
class Built:
    """What the program declared, as the outputs read it."""

    cfg: StackConfig
    regions: Mapping[str, Region]
    data: DataTier
    central: CentralHub | CentralHubReference
    audits: Mapping[str, AuditPipeline]
    compute: ComputeTier
    registry: ImageRegistry | None
    runner: DeploymentRunner | None
    operations: OperationsPane | None = None


@dataclass(frozen=True)
class Output:
    name: str
    description: str
    value: Callable[[Built], Any]
    #: The compute mode (``eks`` / ``lambda``) whose stacks export it; None: every stack.
    compute_mode: str | None = None


def _hub_database(b: Built) -> Any:
    from components.central import CentralHub

    return b.central.database_endpoint if isinstance(b.central, CentralHub) else None


def _operations(read: Callable[[OperationsPane], Any]) -> Callable[[Built], Any]:
    return lambda b: read(b.operations) if b.operations is not None else None


def _per_region(b: Built, read: Callable[[Any], Any]) -> dict[str, Any] | None:
    """``{region: read(compute)}``; None (not exported) where this compute mode has none."""
    values = {n: read(c) for n, c in b.compute.regions.items()}
    return None if any(v is None for v in values.values()) else values


OUTPUTS: tuple[Output, ...] = (
    Output(
        "jurisdiction",
        "The stack's jurisdiction: a row of the pack's table, the stack's name.",
        lambda b: b.cfg.jurisdiction,
    ),
    Output(
        "primaryRegion",
        "The primary region: the shard writers' region.",
        lambda b: b.cfg.regions.primary,
    ),
    Output(
        "regions",
        "Every region of the stack, the primary first.",
        lambda b: list(b.cfg.regions.all),
    ),
    Output(
        "shardMap",
        "JSON: per shard its `[start, end)` user-ID range and per region writer/reader "
        "endpoint, port, database and secret ARN; the API routes by it.",
        lambda b: b.data.shard_map,
    ),
    Output(
        "shardMapParameter",
        "SSM name of the same document in every region (in parts above 8 KB).",
        lambda b: b.data.parameter_path,
    ),
    Output(
        "globalClusterIds",
        "{shard: Aurora global cluster identifier}, for runbooks (switchover, upgrades).",
        lambda b: {s.shard: s.global_cluster.id for s in b.data.shards},
    ),
    Output(
        "databaseSecurityGroupIds",
        "{region: security group of the shard databases}, for workloads that need a rule to it.",
        lambda b: {name: r.security_group.id for name, r in b.data.regions.items()},
    ),
    Output(
        "vpcIds", "{region: VPC ID}.", lambda b: {n: r.network.vpc.id for n, r in b.regions.items()}
    ),
    Output(
        "privateSubnetIds",
        "{region: private subnet IDs} (workloads, EKS nodes, Lambda functions).",
        lambda b: {n: r.network.private_subnet_ids for n, r in b.regions.items()},
    ),
    Output(
        "kmsKeyArns",
        "{region: {purpose: CMK ARN}} for database, secrets, logs, queues, audit, images, eks.",
        lambda b: {n: r.keys.arns.by_purpose() for n, r in b.regions.items()},
    ),
    Output(
        "eksClusterNames",
        "{region: EKS cluster name} (EKS mode).",
        lambda b: _per_region(b, lambda c: c.cluster and c.cluster.cluster_name),
        compute_mode="eks",
    ),
    Output(
        "apiRoleArns",
        "{region: IAM role of the API pods (IRSA) or, in Lambda mode, of its functions}.",
        lambda b: {n: c.api_role for n, c in b.compute.regions.items()},
    ),
    Output(
        "originLoadBalancerArns",
        "{region: internal ALB behind CloudFront} (EKS mode).",
        lambda b: _per_region(b, lambda c: c.origin and c.origin.load_balancer.arn),
        compute_mode="eks",
    ),
    Output(
        "apiFunctionArns",
        "{region: the API's Lambda function} (Lambda mode).",
        lambda b: _per_region(b, lambda c: c.function and c.function.function.arn),
        compute_mode="lambda",
    ),
    Output(
        "originApiEndpoints",
        "{region: HTTP API behind CloudFront} (Lambda mode; refuses requests not from it).",
        lambda b: _per_region(b, lambda c: c.function and c.function.http_api.api_endpoint),
        compute_mode="lambda",
    ),
    Output(
        "alarmTopicArns",
        "{region: SNS topic of the alarms}.",
        lambda b: _per_region(b, lambda c: c.monitoring.topic.arn),
    ),
    Output(
        "jurisdictionDashboardName",
        "The cross-region CloudWatch dashboard.",
        lambda b: b.compute.dashboard.dashboard.dashboard_name,
    ),
    Output(
        "cloudfrontDistributionId",
        "The jurisdiction's CloudFront distribution.",
        lambda b: b.compute.edge.distribution.id,
    ),
    Output(
        "cloudfrontDomainName",
        "Its domain name (the aliases point here).",
        lambda b: b.compute.edge.distribution.domain_name,
    ),
    Output(
        "imageRepositoryUrls",
        "{region: ECR repository URL}; the image job pushes to the primary's, ECR replicates.",
        lambda b: b.registry.repository_urls if b.registry else None,
        compute_mode="eks",
    ),
    Output(
        "deploymentRunnerProject",
        "The CodeBuild project whose in-VPC runners apply this stack "
        "(`runs-on: codebuild-<it>-...`); only with `deployer.enabled`.",
        lambda b: b.runner.project_name if b.runner else None,
    ),
    Output(
        "auditBucketNames",
        "{region: audit file bucket}.",
        lambda b: {n: a.bucket.bucket for n, a in b.audits.items()},
    ),
    Output(
        "centralQueueUrl",
        "The hub's queue (in a producer stack: the hosting stack's, a cross-border path for "
        "pseudonymized events only).",
        lambda b: b.central.queue_url,
    ),
    Output("centralQueueArn", "The hub's queue ARN.", lambda b: b.central.queue_arn),
    Output(
        "centralQueueKeyArn",
        "The CMK the hub's queue encrypts with (producers need it to send).",
        lambda b: b.central.queue_key_arn,
    ),
    Output(
        "centralDatabaseEndpoint",
        "The central database's writer endpoint (hosting stack only).",
        _hub_database,
    ),
    Output(
        "operationsBucketName",
        "The operations pane's bucket in the primary (Config history, SSM inventory); "
        "pane on only.",
        _operations(lambda o: o.bucket.bucket),
    ),
    Output(
        "configAggregatorName",
        "The AWS Config aggregator over the stack's regions (when the stack creates it).",
        _operations(lambda o: o.aggregator.name if o.aggregator else None),
    ),
    Output(
        "operationsDashboardName",
        "The dashboard of Config compliance and Security Hub findings per region.",
        _operations(lambda o: o.dashboard.dashboard.dashboard_name),
    ),
)


def stack_outputs(built: Built) -> dict[str, Any]:
    values = {o.name: o.value(built) for o in OUTPUTS}
    return {name: value for name, value in values.items() if value is not None}


def markdown_table() -> str:
    rows = [f"| `{o.name}` | {o.description} |" for o in OUTPUTS]
    return "\n".join(["| output | what |", "|---|---|", *rows])


if __name__ == "__main__":
    print(markdown_table())
