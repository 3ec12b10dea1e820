"""Pulumi mocks that behave like the engine where it matters for a preview.

- Stack transforms run before a resource is recorded, as the engine runs them.
- Every registration is recorded with the exact inputs the engine would hand a policy
  pack (the protobuf Struct, unknowns and secrets included), its parent, provider,
  dependencies and options, and its effective region.
- Resources get the computed attributes later inputs depend on (``arn``, ``id``,
  ``keyId``, endpoints, ...), so those inputs do not arrive unknown and vanish.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

PROJECT_DIR = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
UNKNOWN = rpc.UNKNOWN

ResourceRecord = dict[str, Any]

#: The AZ letters each region really offers (to accounts by default), so a preview refuses
#: an ``network.azCount`` the region cannot hold, as ``pulumi up`` would.
AZ_SUFFIXES: Mapping[str, str] = {
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    # Only two, and they are a and c.
    "us-west-1": "ac",
    "us-west-2": "abcd",
    # No c: ca-central-1 offers a, b and d.
    "ca-central-1": "abd",
    "ca-west-1": "abc",
}
DEFAULT_AZ_SUFFIXES = "abc"


#: rpc's signature key and the value that marks a resource reference.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


def downgrade_resource_refs(value: Any) -> Any:
    """Resource references as the engine hands them to analyzers: the ID, else the URN.

    The engine marshals a policy pack's props without keeping resources (a multi-language
    component such as eks:index:ManagedNodeGroup takes ``cluster`` and ``nodeRole`` as
    references), so the pack never sees the reference signature.
    """
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _RESOURCE_REF_SIG:
            return value.get("id") or value.get("urn")
        return {k: downgrade_resource_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [downgrade_resource_refs(v) for v in value]
    return value


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _service_of(type_token: str) -> str:
    module = type_token.split(":")[1].split("/")[0]
    return {"cloudwatch": "logs", "ec2transitgateway": "ec2", "lambda": "lambda"}.get(
        module, module
    )


def _computed_state(
    type_token: str, name: str, region: str | None, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Attributes the provider would compute, deterministic per resource name."""
    suffix = _short_hash(f"{type_token}:{name}")
    where = region or ""
    service = _service_of(type_token)
    state: dict[str, Any] = {
        "arn": f"arn:aws:{service}:{where}:{ACCOUNT_ID}:{name}-{suffix}",
        "id": f"{name}-{suffix}",
    }
    if "name" not in inputs and "namePrefix" not in inputs:
        state["name"] = f"{name}-{suffix}"
    extra = _EXTRA_STATE.get(type_token)
    if extra is not None:
        state.update(extra(name, suffix, where))
    if type_token == "aws:iam/role:Role" and isinstance(inputs.get("name"), str):
        state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{inputs['name']}"
    if type_token == "aws:ssm/parameter:Parameter" and isinstance(inputs.get("name"), str):
        # Parameter ARNs carry the parameter's path, not the Pulumi name.
        state["arn"] = f"arn:aws:ssm:{where}:{ACCOUNT_ID}:parameter/{inputs['name'].lstrip('/')}"
    if type_token == "aws:cloudwatch/logGroup:LogGroup" and isinstance(inputs.get("name"), str):
        # A named group's ARN names it: IAM policies scoped to the group must match.
        state["arn"] = f"arn:aws:logs:{where}:{ACCOUNT_ID}:log-group:{inputs['name']}"
    if type_token == "aws:ecr/repository:Repository":
        # Images are pulled by <registry>/<repository name>@digest.
        repo = inputs.get("name") if isinstance(inputs.get("name"), str) else name
        state["arn"] = f"arn:aws:ecr:{where}:{ACCOUNT_ID}:repository/{repo}"
        state["registryId"] = ACCOUNT_ID
        state["repositoryUrl"] = f"{ACCOUNT_ID}.dkr.ecr.{where}.amazonaws.com/{repo}"
    return state


_EXTRA_STATE: dict[str, Callable[[str, str, str], dict[str, Any]]] = {
    "aws:kms/key:Key": lambda name, suffix, region: {
        "keyId": f"{suffix}-0000-4000-8000-{suffix}0000",
        "arn": f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{suffix}-0000-4000-8000-{suffix}0000",
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda name, suffix, region: {
        "arn": f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:{name}-{suffix}",
    },
    "aws:iam/role:Role": lambda name, suffix, region: {
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}-{suffix}",
        "name": f"{name}-{suffix}",
    },
    "aws:sqs/queue:Queue": lambda name, suffix, region: {
        "arn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}-{suffix}",
        "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}-{suffix}",
        "name": f"{name}-{suffix}",
    },
    "aws:lambda/function:Function": lambda name, suffix, region: {
        "arn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}-{suffix}",
        "invokeArn": (
            f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
            f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}-{suffix}/invocations"
        ),
        "qualifiedArn": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}-{suffix}:$LATEST",
    },
    # Lambda mode: CloudFront's origin is the HTTP API's host; the invoke permission is
    # scoped to its execution ARN.
    "aws:apigatewayv2/api:Api": lambda name, suffix, region: {
        "id": f"{suffix}a1",
        "apiEndpoint": f"https://{suffix}a1.execute-api.{region}.amazonaws.com",
        "executionArn": f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{suffix}a1",
        "arn": f"arn:aws:apigateway:{region}::/apis/{suffix}a1",
    },
    "aws:scheduler/schedule:Schedule": lambda name, suffix, region: {
        "arn": f"arn:aws:scheduler:{region}:{ACCOUNT_ID}:schedule/default/{name}-{suffix}",
    },
    # S3 ARNs name no region; the bucket's id is its name.
    "aws:s3/bucket:Bucket": lambda name, suffix, region: {
        "arn": f"arn:aws:s3:::{name}-{suffix}",
        "bucket": f"{name}-{suffix}",
        "id": f"{name}-{suffix}",
        "bucketRegionalDomainName": f"{name}-{suffix}.s3.{region}.amazonaws.com",
    },
    "aws:ec2/securityGroup:SecurityGroup": lambda name, suffix, region: {
        "id": f"sg-{suffix}{suffix[:1]}",
    },
    # Aurora: the shard map publishes these endpoints, so they must not arrive unknown.
    "aws:rds/globalCluster:GlobalCluster": lambda name, suffix, region: {
        "arn": f"arn:aws:rds::{ACCOUNT_ID}:global-cluster:{name}-{suffix}",
        "globalClusterResourceId": f"cluster-{suffix}global",
        "endpoint": f"{name}.global-{suffix}.global.rds.amazonaws.com",
    },
    "aws:rds/cluster:Cluster": lambda name, suffix, region: {
        "arn": f"arn:aws:rds:{region}:{ACCOUNT_ID}:cluster:{name}-{suffix}",
        "endpoint": f"{name}.cluster-{suffix}.{region}.rds.amazonaws.com",
        "readerEndpoint": f"{name}.cluster-ro-{suffix}.{region}.rds.amazonaws.com",
        "clusterResourceId": f"cluster-{suffix.upper()}",
        "hostedZoneId": "Z1RLNUO7B9Q6NB",
        # What manage_master_user_password yields: the secret AWS creates for the cluster.
        "masterUserSecrets": [
            {
                "secretArn": (
                    f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:rds!cluster-{suffix}"
                ),
                "kmsKeyId": "",
                "secretStatus": "active",
            }
        ],
    },
    "aws:rds/clusterInstance:ClusterInstance": lambda name, suffix, region: {
        "arn": f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{name}-{suffix}",
        "endpoint": f"{name}.{suffix}.{region}.rds.amazonaws.com",
        "dbiResourceId": f"db-{suffix.upper()}",
        "writer": False,
    },
    "aws:secretsmanager/secret:Secret": lambda name, suffix, region: {
        "arn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}-{suffix[:6]}",
    },
    "aws:ssm/parameter:Parameter": lambda name, suffix, region: {
        "arn": f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter/{name}",
        "version": 1,
    },
    "aws:ec2transitgateway/transitGateway:TransitGateway": lambda name, suffix, region: {
        "id": f"tgw-{suffix}",
        "associationDefaultRouteTableId": f"tgw-rtb-{suffix}a",
        "propagationDefaultRouteTableId": f"tgw-rtb-{suffix}a",
    },
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": lambda name, suffix, region: {
        "id": f"tgw-attach-{suffix}",
    },
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": lambda name, suffix, region: {
        "id": f"pcx-{suffix}",
    },
    # pulumi-eks components: under mocks their children never run, so the outputs the
    # program reads (kubeconfig, OIDC, security groups) are given here.
    "eks:index:Cluster": lambda name, suffix, region: _eks_cluster_state(name, suffix, region),
    # Its only output besides the placement group is "nodeGroup", a resource reference
    # (aws.eks.NodeGroup) the SDK would not accept as a dict; nothing reads it.
    "eks:index:ManagedNodeGroup": lambda name, suffix, region: {"placementGroupName": ""},
    "aws:ec2/launchTemplate:LaunchTemplate": lambda name, suffix, region: {
        "latestVersion": 1,
        "defaultVersion": 1,
    },
    "aws:lb/loadBalancer:LoadBalancer": lambda name, suffix, region: {
        "arn": (
            f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/app/"
            f"{name[:20]}/{suffix}"
        ),
        "arnSuffix": f"app/{name[:20]}/{suffix}",
        "dnsName": f"internal-{name[:20]}-{suffix}.{region}.elb.amazonaws.com",
        "zoneId": "Z00000000PREVIEW",
    },
    "aws:lb/targetGroup:TargetGroup": lambda name, suffix, region: {
        "arn": (
            f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}:targetgroup/{name[:20]}/{suffix}"
        ),
        "arnSuffix": f"targetgroup/{name[:20]}/{suffix}",
    },
    "aws:cloudfront/distribution:Distribution": lambda name, suffix, region: {
        "id": f"E{suffix.upper()}PREVIEW",
        "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/E{suffix.upper()}PREVIEW",
        "domainName": f"d{suffix}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
    },
    "aws:cloudfront/vpcOrigin:VpcOrigin": lambda name, suffix, region: {
        "id": f"vo_{suffix}",
        "arn": f"arn:aws:cloudfront::{ACCOUNT_ID}:vpcorigin/vo_{suffix}",
    },
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": lambda name, suffix, region: {
        "id": f"{suffix}-0000-4000-8000-rhp{suffix}",
    },
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": lambda name, suffix, region: {
        "id": f"{suffix}-0000-4000-8000-orp{suffix}",
    },
    "aws:sns/topic:Topic": lambda name, suffix, region: {
        "arn": f"arn:aws:sns:{region}:{ACCOUNT_ID}:{name}-{suffix}",
    },
}


def stack_reference_outputs(stack_name: str) -> dict[str, Any]:
    """What the stack ``<org>/<project>/<stack>`` would export about its hub: the hub lives
    in that stack's primary region, read from its stack file; {} for an unknown stack."""
    path = PROJECT_DIR / f"Pulumi.{stack_name.rsplit('/', 1)[-1]}.yaml"
    if not path.exists():
        return {}
    config = yaml.safe_load(path.read_text())["config"]
    region = config["gdpr-platform:regions"]["primary"]
    queue = f"central-consumer-queue-{_short_hash(stack_name)}"
    key_id = _short_hash(f"{stack_name}:queues")
    return {
        "centralQueueArn": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue}",
        "centralQueueUrl": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{queue}",
        "centralQueueKeyArn": (
            f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}-0000-4000-8000-{key_id}0000"
        ),
        "centralDatabaseEndpoint": (
            f"gdpr-platform-central.cluster-c0ffee.{region}.rds.amazonaws.com"
        ),
    }


def _eks_cluster_state(name: str, suffix: str, region: str) -> dict[str, Any]:
    cluster = f"{name}-{suffix}"
    issuer = f"oidc.eks.{region}.amazonaws.com/id/{suffix.upper()}PREVIEW"
    endpoint = f"https://{suffix.upper()}.gr7.{region}.eks.amazonaws.com"
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubernetes",
                "cluster": {"server": endpoint, "certificate-authority-data": "UFJFVklFVw=="},
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster, "--output", "json"],
                    }
                },
            }
        ],
    }
    security_group = f"sg-{suffix}eks"
    return {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        # Not mocked: "eksCluster" is a resource reference (aws.eks.Cluster) in a real run,
        # and the SDK rejects a plain dict for it. Read the string outputs here instead.
        "oidcProviderArn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}",
        "oidcProviderUrl": f"https://{issuer}",
        "oidcIssuer": issuer,
        "clusterSecurityGroupId": security_group,
        "nodeSecurityGroupId": security_group,
    }


def register_computed_state(
    type_token: str, factory: Callable[[str, str, str], dict[str, Any]]
) -> None:
    """Let a component's tests teach the mocks what its resources compute."""
    _EXTRA_STATE[type_token] = factory


@dataclass
class PlatformMocks(pulumi.runtime.Mocks):
    """Answers invokes and resource registrations; the monitor records the rest."""

    provider_regions: dict[str, str] = field(default_factory=dict)
    #: Region of the registration under way, as the monitor worked it out (it also sees
    #: the providers map multi-language components get, which MockResourceArgs lacks).
    current_region: str | None = None

    def region_of_provider(self, provider_ref: str | None) -> str | None:
        if not provider_ref:
            return None
        return self.provider_regions.get(provider_ref.rsplit("::", 1)[0])

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", inputs
        if args.typ == "pulumi:pulumi:StackReference":
            stack_name = str(inputs.get("name") or args.resource_id or args.name)
            return stack_name, {
                "name": stack_name,
                "outputs": stack_reference_outputs(stack_name),
                "secretOutputNames": [],
            }
        own_region = inputs.get("region")
        region = (
            own_region
            if isinstance(own_region, str)
            else self.region_of_provider(args.provider) or self.current_region
        )
        state = _computed_state(args.typ, args.name, region, inputs)
        return state.pop("id"), {**inputs, **state}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        region = self.region_of_provider(args.provider) or "unknown-region"
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preview",
                "id": ACCOUNT_ID,
                "userId": "AIDAPREVIEW",
            }, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = AZ_SUFFIXES.get(region, DEFAULT_AZ_SUFFIXES)
            return {
                "names": [f"{region}{c}" for c in letters],
                "zoneIds": [f"{region[:3]}{region[-1]}-az{i + 1}" for i in range(len(letters))],
                "id": region,
            }, []
        if args.token == "aws:acm/getCertificate:getCertificate":
            domain = str(args.args.get("domain") or "")
            arn = f"arn:aws:acm:{region}:{ACCOUNT_ID}:certificate/{_short_hash(domain + region)}"
            return {"arn": arn, "domain": domain, "id": arn, "status": "ISSUED"}, []
        if args.token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            list_name = str(args.args.get("name") or "")
            digest = _short_hash(list_name)
            # Documentation ranges (RFC 5737): real lists hold AWS's public ranges.
            return {
                "id": f"pl-{digest}",
                "name": list_name,
                "addressFamily": "IPv4",
                "arn": f"arn:aws:ec2:{region}:aws:prefix-list/pl-{digest}",
                "entries": [
                    {"cidr": "192.0.2.0/24", "description": ""},
                    {"cidr": "198.51.100.0/24", "description": ""},
                ],
                "maxEntries": 2,
                "ownerId": "AWS",
                "tags": {},
                "version": 1,
                "filters": [],
            }, []
        return {}, []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that runs stack transforms and records what the engine would see."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.platform_mocks = mocks
        self.records: list[ResourceRecord] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine makes them: the full parent type chain, minus the root stack."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != "pulumi:pulumi:Stack":
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        self._apply_stack_transforms(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = downgrade_resource_refs(
            json_format.MessageToDict(request.object, preserving_proto_field_name=True)
        )
        if request.type.startswith("pulumi:providers:"):
            region = inputs.get("region")
            if isinstance(region, str):
                self.platform_mocks.provider_regions[urn] = region
        own_region = inputs.get("region")
        # Components carry their providers as a map; children inherit from it.
        provider_ref = request.provider or request.providers.get("aws")
        region = (
            own_region
            if isinstance(own_region, str) and own_region != UNKNOWN
            else self.platform_mocks.region_of_provider(provider_ref)
        )
        self.platform_mocks.current_region = region
        self.records.append(
            {
                "urn": urn,
                "type": request.type,
                "name": request.name,
                "custom": bool(request.custom),
                "parent": request.parent or None,
                "provider": request.provider or None,
                "region": region,
                "inputs": inputs,
                "dependencies": list(request.dependencies),
                "propertyDependencies": {
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                "options": {
                    "protect": bool(request.protect),
                    "retainOnDelete": bool(request.retainOnDelete),
                    "ignoreChanges": list(request.ignoreChanges),
                    "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                    "additionalSecretOutputs": list(request.additionalSecretOutputs),
                },
            }
        )
        return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:
        """Reads (a ``StackReference`` is one) are recorded too, marked ``read``.

        They create nothing: a read names an existing resource, here another stack.
        """
        self.records.append(
            {
                "urn": self.make_urn(request.parent, request.type, request.name),
                "type": request.type,
                "name": request.name,
                "custom": True,
                "read": True,
                "parent": request.parent or None,
                "provider": request.provider or None,
                "region": None,
                "inputs": json_format.MessageToDict(
                    request.properties, preserving_proto_field_name=True
                ),
                "dependencies": list(request.dependencies),
                "propertyDependencies": {},
                "options": {
                    "protect": False,
                    "retainOnDelete": False,
                    "ignoreChanges": [],
                    "deleteBeforeReplace": False,
                    "additionalSecretOutputs": [],
                },
            }
        )
        return super().ReadResource(request)

    def _apply_stack_transforms(self, request: Any) -> None:
        if not self._stack_transforms:
            return
        props = rpc.deserialize_properties(request.object, keep_unknowns=True)
        changed = False
        for transform in self._stack_transforms:
            result = transform(
                pulumi.ResourceTransformArgs(
                    custom=bool(request.custom),
                    type_=request.type,
                    name=request.name,
                    props=props,
                    opts=pulumi.ResourceOptions(),
                )
            )
            if inspect.isawaitable(result):
                result = _sync_await(result)
            if result is not None:
                props = result.props
                changed = True
        if changed:
            request.object.CopyFrom(_sync_await(rpc.serialize_properties(props, {})))


def install(project: str, stack: str, *, preview: bool = True) -> RecordingMonitor:
    """Point the Pulumi runtime at recording mocks; returns the monitor to read records from."""
    mocks = PlatformMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    return monitor
