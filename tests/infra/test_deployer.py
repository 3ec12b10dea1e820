"""The in-VPC deployment runner: the only network path to the private EKS endpoints."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.cidr import carve_subnets
from components.config import ConfigError
from components.deployer import project_name
from tests.infra.conftest import by_name, of_type, policy_doc
from tools.preview import PreviewResult

PROJECT = "aws:codebuild/project:Project"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def test_runner_is_a_codebuild_project_in_the_primary_private_subnets(
    stack: PreviewResult,
) -> None:
    cfg = stack.config
    [project] = of_type(stack, PROJECT)
    inputs = project["inputs"]
    assert project["region"] == cfg.regions.primary
    assert inputs["name"] == project_name(cfg.stack) == stack.outputs["deploymentRunnerProject"]
    assert (
        inputs["source"]["location"] == f"https://github.com/{cfg.deployer.github_repository}.git"
    )
    assert inputs["source"]["auth"] == {
        "type": "CODECONNECTIONS",
        "resource": cfg.deployer.connection_arn,
    }
    vpc = inputs["vpcConfig"]
    assert vpc["vpcId"] == stack.outputs["vpcIds"][cfg.regions.primary]
    assert sorted(vpc["subnets"]) == sorted(stack.outputs["privateSubnetIds"][cfg.regions.primary])
    [webhook] = of_type(stack, "aws:codebuild/webhook:Webhook")
    [group] = webhook["inputs"]["filterGroups"]
    assert group["filters"] == [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]


def test_runner_reaches_every_regions_eks_endpoint_and_only_on_https(
    stack: PreviewResult,
) -> None:
    cfg = stack.config
    rules = [r for r in of_type(stack, INGRESS) if r["name"].startswith("deployer-to-eks-")]
    primary = [r for r in rules if r["region"] == cfg.regions.primary]
    assert len(primary) == 1
    assert primary[0]["inputs"]["referencedSecurityGroupId"]
    runner_cidrs = set(
        carve_subnets(cfg.network.vpc_cidrs[cfg.regions.primary], cfg.network.az_count).private
    )
    for region in cfg.regions.secondaries:
        cidrs = {r["inputs"]["cidrIpv4"] for r in rules if r["region"] == region}
        assert cidrs == runner_cidrs
    assert {(r["inputs"]["fromPort"], r["inputs"]["toPort"]) for r in rules} == {(443, 443)}
    egress = by_name(stack, "deployer-https-out")["inputs"]
    assert (egress["fromPort"], egress["toPort"], egress["ipProtocol"]) == (443, 443, "tcp")
    writers = by_name(stack, "deployer-to-writers")["inputs"]
    assert writers["cidrIpv4"] == cfg.network.vpc_cidrs[cfg.regions.primary]
    assert writers["fromPort"] == writers["toPort"] == cfg.database.port


def test_runner_role_writes_logs_and_attaches_to_its_subnets_only(stack: PreviewResult) -> None:
    doc = policy_doc(by_name(stack, "deployer-policy"))
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert not {a for a in actions if a.startswith(("iam:", "eks:", "sts:", "kms:"))}
    eni = next(s for s in doc["Statement"] if s["Sid"] == "NetworkInterfacesInOwnSubnets")
    assert eni["Condition"]["StringEquals"]["ec2:AuthorizedService"] == "codebuild.amazonaws.com"
    assert len(eni["Condition"]["ArnEquals"]["ec2:Subnet"]) == stack.config.network.az_count


def test_disabled_runner_declares_nothing(preview_with: Callable[..., PreviewResult]) -> None:
    result = preview_with("eu", **{"deployer.enabled": False})
    assert of_type(result, PROJECT) == []
    assert "deploymentRunnerProject" not in result.outputs  # None outputs are not exported


@pytest.mark.parametrize(
    ("key", "value", "named", "words"),
    [
        ("deployer.githubRepository", None, "deployer.githubRepository", "<owner>/<name>"),
        (
            "deployer.connectionArn",
            "arn:aws:codeconnections:eu-west-1:210987654321:connection/"
            "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09",
            "deployer.connectionArn",
            "primary region eu-central-1",
        ),
        ("deployer.computeType", "BUILD_GENERAL1_SMALL", "deployer.computeType", "one of"),
        ("deployer.colour", "blue", "deployer.colour", "unknown key"),
    ],
)
def test_bad_runner_config_names_the_key(
    preview_with: Callable[..., PreviewResult], key: str, value: object, named: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        preview_with("eu", **{key: value})
    assert str(caught.value).startswith(f"gdpr-platform:{named}: ")
    assert words in str(caught.value)
