"""The API workload on each cluster: IRSA role, Kubernetes objects, their guards."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from app.shardmap import ShardMap
from components.workload import api_role_policy
from tests.infra.conftest import of_type, policy_doc
from tests.infra.iam_checks import as_list, least_privilege_problems
from tests.infra.records import one
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def k8s(stack: PreviewResult, kind: str, region: str, name: str = "api") -> ResourceRecord:
    """The object of ``kind`` named ``name`` the API workload of ``region`` declares."""
    found = [
        r
        for r in stack.resources
        if r["type"].startswith("kubernetes:")
        and r["type"].endswith(f":{kind}")
        and (r["parent"] or "").endswith(f"ApiWorkload::api-{region}")
        and r["inputs"]["metadata"].get("name") in {name, None}
    ]
    assert len(found) == 1, f"{kind} in {region}: {len(found)}"
    return found[0]


def test_every_api_object_uses_its_own_regions_cluster(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        objects = [
            r
            for r in stack.resources
            if r["type"].startswith("kubernetes:")
            and (r["parent"] or "").endswith(f"ApiWorkload::api-{region}")
        ]
        # ns, sa, config, deployment, svc, binding, hpa, pdb, netpol; worker and its netpol;
        # the migration netpol, and in the primary the release's migration Job
        assert len(objects) == (13 if region == stack.config.regions.primary else 12)
        providers = {r["provider"].rsplit("::", 2)[1] for r in objects}
        assert providers == {f"cluster-{region}-k8s"}


def test_service_account_is_bound_to_the_api_role(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        account = k8s(stack, "ServiceAccount", region)
        annotations = account["inputs"]["metadata"]["annotations"]
        role_arn = annotations["eks.amazonaws.com/role-arn"]
        assert role_arn == stack.outputs["apiRoleArns"][region]
        assert account["inputs"]["metadata"]["namespace"] == stack.config.app.namespace


def test_api_role_trusts_only_its_service_account_through_its_clusters_oidc(
    stack: PreviewResult,
) -> None:
    namespace = stack.config.app.namespace
    for region in stack.config.regions.all:
        trust = policy_doc(one(stack, ROLE, f"api-{region}-irsa"), "assumeRolePolicy")
        (statement,) = trust["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        provider = statement["Principal"]["Federated"]
        assert f"oidc.eks.{region}.amazonaws.com" in provider
        issuer = provider.split("oidc-provider/", 1)[1]
        assert statement["Condition"]["StringEquals"] == {
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:api",
            f"{issuer}:aud": "sts.amazonaws.com",
        }


def test_api_role_policy_is_least_privilege_in_the_jurisdiction(stack: PreviewResult) -> None:
    regions = set(stack.config.regions.all)
    for region in regions:
        doc = policy_doc(one(stack, ROLE_POLICY, f"api-{region}-irsa"))
        queue = [s for s in doc["Statement"] if s["Sid"] == "SendCentralEvents"]
        # The central queue may be the hub's, in another jurisdiction (pseudonymized
        # events only): its region is allowed for sqs:SendMessage on that queue alone.
        queue_regions = {r.split(":")[3] for s in queue for r in s["Resource"]}
        assert least_privilege_problems(doc, regions | queue_regions) == []
        for statement in doc["Statement"]:
            requested = set(statement["Condition"]["StringEquals"]["aws:RequestedRegion"])
            if statement["Sid"] == "SendCentralEvents":
                assert requested == regions | queue_regions
                assert statement["Action"] == ["sqs:SendMessage"]
            elif statement["Sid"] == "EncryptCentralEvents":
                # The queue's key, in the queue's region: nothing else gets that region.
                assert requested == regions | queue_regions
                assert statement["Resource"] == [stack.outputs["centralQueueKeyArn"]]
            else:
                assert requested == regions
        keys = next(s for s in doc["Statement"] if s["Sid"] == "UseOwnKeys")
        own = stack.outputs["kmsKeyArns"][region]
        assert set(keys["Resource"]) == {own["audit"], own["secrets"]}


FULL: dict[str, Any] = {
    "regions": ["eu-central-1", "eu-west-1"],
    "partition": "aws",
    "account_id": "111122223333",
    "db_user": "app",
    "shard_map_parameter_arns": [
        "arn:aws:ssm:eu-west-1:111122223333:parameter/gdpr-platform/eu/shard-map"
    ],
    "db_cluster_resource_ids": {
        "eu-central-1": ["cluster-WRITER0", "cluster-WRITER1"],
        "eu-west-1": ["cluster-READER0", "cluster-READER1"],
    },
    "secret_arns": ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:shard-00-AbCdEf"],
    "audit_bucket_arn": "arn:aws:s3:::gdpr-platform-eu-audit-eu-west-1",
    "central_queue_arn": "arn:aws:sqs:eu-central-1:111122223333:central.fifo",
    "kms_key_arns": ["arn:aws:kms:eu-west-1:111122223333:key/1234"],
}


def test_full_api_policy_names_every_resource_and_only_its_actions() -> None:
    doc = json.loads(api_role_policy(**FULL))
    assert least_privilege_problems(doc, set(FULL["regions"])) == []
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["ConnectToOwnShards"]["Resource"] == sorted(
        [
            "arn:aws:rds-db:eu-central-1:111122223333:dbuser:cluster-WRITER0/app",
            "arn:aws:rds-db:eu-central-1:111122223333:dbuser:cluster-WRITER1/app",
            "arn:aws:rds-db:eu-west-1:111122223333:dbuser:cluster-READER0/app",
            "arn:aws:rds-db:eu-west-1:111122223333:dbuser:cluster-READER1/app",
        ]
    )
    assert by_sid["ConnectToOwnShards"]["Action"] == ["rds-db:connect"]
    assert by_sid["ReadShardMap"]["Action"] == ["ssm:GetParameter"]
    assert by_sid["ReadShardSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert by_sid["WriteAuditFiles"] == {
        **by_sid["WriteAuditFiles"],
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::gdpr-platform-eu-audit-eu-west-1/*"],
    }
    assert by_sid["SendCentralEvents"]["Action"] == ["sqs:SendMessage"]
    assert by_sid["UseOwnKeys"]["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    for statement in doc["Statement"]:
        assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == FULL["regions"]


def test_a_central_queue_elsewhere_opens_only_its_own_region_for_send_message() -> None:
    hub = {**FULL, "central_queue_arn": "arn:aws:sqs:us-east-1:111122223333:central.fifo"}
    doc = json.loads(api_role_policy(**hub))
    for statement in doc["Statement"]:
        requested = statement["Condition"]["StringEquals"]["aws:RequestedRegion"]
        if statement["Sid"] == "SendCentralEvents":
            assert requested == ["eu-central-1", "eu-west-1", "us-east-1"]
        else:
            assert requested == FULL["regions"]
    # The least-privilege check does see the extra region.
    assert least_privilege_problems(doc, set(FULL["regions"])) != []


def test_empty_permission_lists_leave_their_statements_out() -> None:
    empty = {
        **FULL,
        "shard_map_parameter_arns": [],
        "db_cluster_resource_ids": {},
        "secret_arns": [],
        "audit_bucket_arn": None,
        "central_queue_arn": None,
    }
    doc = json.loads(api_role_policy(**empty))
    assert [s["Sid"] for s in doc["Statement"]] == ["UseOwnKeys"]
    with pytest.raises(ValueError, match="at least one statement"):
        api_role_policy(**{**empty, "kms_key_arns": []})


def test_config_map_carries_jurisdiction_region_and_shard_map(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        data = k8s(stack, "ConfigMap", region, "api-config")["inputs"]["data"]
        assert data["GDPR_API_JURISDICTION"] == stack.stack
        assert data["GDPR_API_REGION"] == region
        assert data["GDPR_API_PRIMARY_REGION"] == stack.config.regions.primary
        published = ShardMap.from_json(data["GDPR_API_SHARD_MAP"])
        assert [(s.start, s.end) for s in published.shards] == [
            (s.start, s.end) for s in stack.config.shard_map.shards
        ]


def test_deployment_runs_locked_down(stack: PreviewResult) -> None:
    app = stack.config.app
    for region in stack.config.regions.all:
        spec = k8s(stack, "Deployment", region)["inputs"]["spec"]
        pod = spec["template"]["spec"]
        assert pod["serviceAccountName"] == "api"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        (container,) = pod["containers"]
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["image"].endswith(f"@{stack.config.release.image_digest}")
        assert f".ecr.{region}." in container["image"]
        assert container["resources"] == {
            "requests": {"cpu": app.cpu_request, "memory": app.memory_request},
            "limits": {"cpu": app.cpu_limit, "memory": app.memory_limit},
        }
        assert container["livenessProbe"]["httpGet"]["path"] == app.liveness_path
        assert container["readinessProbe"]["httpGet"]["path"] == app.readiness_path
        assert spec["replicas"] == app.replicas


def test_namespace_enforces_the_restricted_pod_security_standard(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        labels = k8s(stack, "Namespace", region)["inputs"]["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_pods_are_reached_through_the_regions_internal_target_group(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        service = k8s(stack, "Service", region)["inputs"]["spec"]
        assert service["type"] == "ClusterIP"
        binding = k8s(stack, "TargetGroupBinding", region)
        spec = binding["inputs"]["spec"]
        target_group = one(stack, "aws:lb/targetGroup:TargetGroup", f"origin-{region}-api")
        assert target_group["region"] == region
        assert spec["targetGroupARN"].startswith(f"arn:aws:elasticloadbalancing:{region}:")
        assert spec["targetType"] == "ip"
        assert spec["serviceRef"] == {"name": "api", "port": stack.config.app.port}
        chart = one(stack, "kubernetes:helm.sh/v3:Release", f"lb-controller-{region}-chart")
        assert chart["urn"] in binding["dependencies"]


def test_scaling_and_disruption_budget(stack: PreviewResult) -> None:
    app = stack.config.app
    for region in stack.config.regions.all:
        hpa = k8s(stack, "HorizontalPodAutoscaler", region)["inputs"]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["minReplicas"] == app.min_replicas
        assert hpa["spec"]["maxReplicas"] == app.max_replicas
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["target"]["averageUtilization"] == app.target_cpu_percent
        pdb = k8s(stack, "PodDisruptionBudget", region)["inputs"]["spec"]
        assert pdb["maxUnavailable"] == 1


def test_network_policy_admits_the_vpc_and_allows_only_db_https_and_dns(
    stack: PreviewResult,
) -> None:
    vpc_cidrs = stack.config.network.vpc_cidrs
    for region in stack.config.regions.all:
        spec = k8s(stack, "NetworkPolicy", region)["inputs"]["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        (ingress,) = spec["ingress"]
        assert ingress["from"] == [{"ipBlock": {"cidr": vpc_cidrs[region]}}]
        assert ingress["ports"] == [{"protocol": "TCP", "port": stack.config.app.port}]
        ports = {(p["protocol"], p["port"]) for rule in spec["egress"] for p in rule["ports"]}
        assert ports == {("TCP", 5432), ("TCP", 443), ("UDP", 53), ("TCP", 53)}
        https = next(r for r in spec["egress"] if r["ports"][0]["port"] == 443)
        extra = {p["ipBlock"]["cidr"] for p in https["to"]} - {vpc_cidrs[region]}
        assert set(stack.config.app.https_egress_cidrs) <= extra
        metadata_service = ipaddress.ip_address("169.254.169.254")
        for rule in spec["egress"]:
            for peer in as_list(rule["to"]):
                cidr = peer.get("ipBlock", {}).get("cidr")
                if cidr is not None:
                    # Never the internet, never the node's metadata service (its role).
                    assert ipaddress.ip_network(cidr).prefixlen >= 8, cidr
                    assert metadata_service not in ipaddress.ip_network(cidr), cidr
        database = next(r for r in spec["egress"] if r["ports"][0]["port"] == 5432)
        assert {p["ipBlock"]["cidr"] for p in database["to"]} == set(vpc_cidrs.values())


def test_no_public_load_balancer_is_made_for_the_api(stack: PreviewResult) -> None:
    for service in of_type(stack, "kubernetes:core/v1:Service"):
        assert service["inputs"]["spec"]["type"] != "LoadBalancer"
    for balancer in of_type(stack, "aws:lb/loadBalancer:LoadBalancer"):
        assert balancer["inputs"]["internal"] is True


def test_outbox_worker_runs_locked_down_and_takes_no_traffic(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        worker = k8s(stack, "Deployment", region, "outbox-worker")["inputs"]["spec"]
        assert worker["replicas"] == stack.config.app.worker_replicas
        pod = worker["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == ["python", "-m", "app.audit.worker"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert pod["serviceAccountName"] == "api"
        labels = worker["template"]["metadata"]["labels"]
        # Not selected by the API's Service, HPA or NetworkPolicy.
        assert labels["app.kubernetes.io/name"] == "outbox-worker"
        policy = k8s(stack, "NetworkPolicy", region, "outbox-worker")["inputs"]["spec"]
        assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "outbox-worker"}
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        assert policy.get("ingress", []) == []
        https = next(r for r in policy["egress"] if r["ports"][0]["port"] == 443)
        (peer,) = https["to"]
        assert "169.254.0.0/16" in peer["ipBlock"]["except"]


def test_worker_and_api_share_the_settings(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        data = k8s(stack, "ConfigMap", region, "api-config")["inputs"]["data"]
        assert data["GDPR_API_JWT_JWKS_URL"] == stack.config.app.jwt_jwks_url
        for name in ("api", "outbox-worker"):
            container = k8s(stack, "Deployment", region, name)["inputs"]["spec"]["template"][
                "spec"
            ]["containers"][0]
            assert container["envFrom"] == [{"configMapRef": {"name": "api-config"}}]
