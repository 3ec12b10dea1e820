"""EKS under mocks: the inputs given to eks:index:Cluster and eks:index:ManagedNodeGroup.

Mocks do not expand pulumi-eks's children, so what the cluster would be is read from the
inputs the program hands to the two multi-language components.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cluster import CONTROL_PLANE_LOG_TYPES, kubeconfig_with_region
from components.compute_tier import cluster_name
from components.keys import PURPOSES, key_policy
from tests.infra.conftest import by_name, of_type, policy_doc, set_key, stack_file
from tests.infra.iam_checks import least_privilege_problems
from tests.infra.records import one
from tools.mocks import ResourceRecord
from tools.preview import PreviewResult, collect

EKS_CLUSTER = "eks:index:Cluster"
NODE_GROUP = "eks:index:ManagedNodeGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def clusters(stack: PreviewResult) -> dict[str, ResourceRecord]:
    found = of_type(stack, EKS_CLUSTER)
    by_region = {r["region"]: r for r in found}
    assert len(by_region) == len(found), "two clusters in one region"
    return by_region


def test_one_cluster_per_region_with_the_regions_provider(stack: PreviewResult) -> None:
    found = clusters(stack)
    assert set(found) == set(stack.config.regions.all)
    for region, record in found.items():
        assert record["inputs"]["name"] == cluster_name(stack.stack, region)
        assert record["inputs"]["version"] == stack.config.eks.version
        # Required by pulumi-eks with an explicit AWS provider.
        assert "providerCredentialOpts" in record["inputs"]


def test_endpoint_is_private_by_default(stack: PreviewResult) -> None:
    assert stack.config.eks.public_access_cidrs == ()
    for record in clusters(stack).values():
        inputs = record["inputs"]
        assert inputs["endpointPrivateAccess"] is True
        assert inputs["endpointPublicAccess"] is False
        assert "publicAccessCidrs" not in inputs


def test_secrets_are_encrypted_with_the_eks_key_of_the_same_region(stack: PreviewResult) -> None:
    for region, record in clusters(stack).items():
        key_arn = record["inputs"]["encryptionConfigKeyArn"]
        assert key_arn == stack.outputs["kmsKeyArns"][region]["eks"]
        assert key_arn.split(":")[3] == region


def test_every_control_plane_log_type_goes_to_a_precreated_encrypted_group(
    stack: PreviewResult,
) -> None:
    for region, record in clusters(stack).items():
        inputs = record["inputs"]
        assert inputs["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES)
        group = by_name(stack, f"logs-{region}-eks-control-plane")
        assert group["inputs"]["name"] == f"/aws/eks/{inputs['name']}/cluster"
        assert group["inputs"]["kmsKeyId"] == stack.outputs["kmsKeyArns"][region]["logs"]
        # Created first, or EKS makes its own unencrypted group with no retention.
        assert group["urn"] in record["dependencies"]


def test_api_authentication_oidc_and_no_default_node_group(stack: PreviewResult) -> None:
    admin = stack.config.eks.admin_role_arn
    assert admin is not None
    for record in clusters(stack).values():
        inputs = record["inputs"]
        assert inputs["authenticationMode"] == "API"
        assert inputs["createOidcProvider"] is True
        assert inputs["skipDefaultNodeGroup"] is True
        entries = inputs["accessEntries"]
        assert [e["principalArn"] for e in entries.values()] == [admin]
        (policy,) = next(iter(entries.values()))["accessPolicies"].values()
        assert policy["accessScope"] == {"type": "cluster"}
        assert inputs["vpcCniOptions"]["enableNetworkPolicy"] is True


@pytest.fixture(scope="module")
def opened_eu() -> PreviewResult:
    """eu with the endpoint opened to one office range and no admin role."""
    config = set_key(stack_file("eu"), "eks.publicAccessCidrs", ["203.0.113.0/24"])
    return collect("eu", set_key(config, "eks.adminRoleArn", None))


def test_public_access_cidrs_open_the_endpoint_to_those_only(opened_eu: PreviewResult) -> None:
    for record in clusters(opened_eu).values():
        inputs = record["inputs"]
        assert inputs["endpointPublicAccess"] is True
        assert inputs["publicAccessCidrs"] == ["203.0.113.0/24"]
        assert inputs["endpointPrivateAccess"] is True


def test_no_admin_role_means_no_access_entry(opened_eu: PreviewResult) -> None:
    for record in clusters(opened_eu).values():
        assert "accessEntries" not in record["inputs"]


def test_nodes_run_in_private_subnets_only(stack: PreviewResult) -> None:
    groups = {r["region"]: r for r in of_type(stack, NODE_GROUP)}
    assert set(groups) == set(stack.config.regions.all)
    for region, group in groups.items():
        private = stack.outputs["privateSubnetIds"][region]
        assert group["inputs"]["subnetIds"] == private
        assert clusters(stack)[region]["inputs"]["privateSubnetIds"] == private
        assert "publicSubnetIds" not in clusters(stack)[region]["inputs"]
        assert clusters(stack)[region]["inputs"]["nodeAssociatePublicIpAddress"] is False
        assert group["inputs"]["cluster"] == clusters(stack)[region]["urn"]


def test_node_group_sizes_and_instance_types_come_from_config(stack: PreviewResult) -> None:
    eks = stack.config.eks
    for group in of_type(stack, NODE_GROUP):
        assert group["inputs"]["scalingConfig"] == {
            "minSize": eks.min_size,
            "desiredSize": eks.desired_size,
            "maxSize": eks.max_size,
        }
        assert group["inputs"]["instanceTypes"] == list(eks.instance_types)
        role = one(stack, "aws:iam/role:Role", f"cluster-{group['region']}-node")
        assert group["inputs"]["nodeRole"].startswith(role["name"])  # the role's ID


def test_launch_template_encrypts_root_volumes_and_requires_imdsv2(stack: PreviewResult) -> None:
    for group in of_type(stack, NODE_GROUP):
        region = group["region"]
        template = by_name(stack, f"cluster-{region}-node-template")
        assert template["type"] == "aws:ec2/launchTemplate:LaunchTemplate"
        assert group["inputs"]["launchTemplate"]["id"].startswith(template["name"])
        (mapping,) = template["inputs"]["blockDeviceMappings"]
        ebs = mapping["ebs"]
        assert ebs["encrypted"] == "true"
        assert ebs["volumeType"] == "gp3"
        assert ebs["volumeSize"] == stack.config.eks.disk_size_gib
        assert ebs["kmsKeyId"] == stack.outputs["kmsKeyArns"][region]["eks"]
        metadata = template["inputs"]["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] <= 2


def test_eks_components_carry_the_required_tags(stack: PreviewResult) -> None:
    for record in of_type(stack, EKS_CLUSTER) + of_type(stack, NODE_GROUP):
        assert record["inputs"]["tags"]["jurisdiction"] == stack.stack


def test_kubernetes_provider_asks_for_tokens_in_its_clusters_region(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        provider = by_name(stack, f"cluster-{region}-k8s")
        config = json.loads(provider["inputs"]["kubeconfig"])
        (user,) = config["users"]
        args = user["user"]["exec"]["args"]
        assert args[args.index("--region") + 1] == region


def test_kubeconfig_with_region_adds_the_flag_once() -> None:
    raw: dict[str, Any] = {
        "users": [{"name": "u", "user": {"exec": {"args": ["eks", "get-token"]}}}]
    }
    once = kubeconfig_with_region(raw, "eu-west-1")
    twice = kubeconfig_with_region(once, "eu-west-1")
    assert json.loads(twice)["users"][0]["user"]["exec"]["args"] == [
        "--region",
        "eu-west-1",
        "eks",
        "get-token",
    ]
    assert raw["users"][0]["user"]["exec"]["args"] == ["eks", "get-token"]  # not mutated


def test_lb_controller_may_only_register_into_its_own_target_group(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        doc = policy_doc(one(stack, ROLE_POLICY, f"lb-controller-{region}-irsa"))
        assert least_privilege_problems(doc, {region}) == []
        (register,) = [s for s in doc["Statement"] if "RegisterTargets" in str(s["Action"])]
        assert len(register["Resource"]) == 1
        assert f":{region}:" in register["Resource"][0]
        assert ":targetgroup/origin-" in register["Resource"][0]


def test_eks_key_lets_auto_scaling_create_encrypted_node_volumes() -> None:
    doc = key_policy(
        PURPOSES["eks"], region="eu-west-1", account_id="111122223333", partition="aws"
    )
    role = (
        "arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/"
        "AWSServiceRoleForAutoScaling"
    )
    mine = [s for s in doc["Statement"] if s["Principal"] == {"AWS": role}]
    assert {s["Sid"] for s in mine} == {
        "ServiceLinkedRoleAWSServiceRoleForAutoScaling",
        "ServiceLinkedRoleAWSServiceRoleForAutoScalingGrants",
    }
    grants = next(s for s in mine if s["Action"] == "kms:CreateGrant")
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert all(
        s["Condition"]["StringEquals"] == {"kms:CallerAccount": "111122223333"} for s in mine
    )
    # Other keys are not opened to it.
    other = key_policy(PURPOSES["database"], region="eu-west-1", account_id="1", partition="aws")
    assert "AutoScaling" not in json.dumps(other)
