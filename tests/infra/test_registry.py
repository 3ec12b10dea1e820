"""The image registry: a CMK-encrypted, immutable, scanned repository per region, replicated
only inside the jurisdiction; the Deployments and the migration Job run images by digest."""

from __future__ import annotations

import pytest

from components.registry import replication_destinations
from components.workload import release_name
from policies.gdpr_pack.jurisdictions import allowed_regions
from tests.infra.conftest import arn_of, by_name, of_type
from tools.preview import PreviewResult

REPOSITORY = "aws:ecr/repository:Repository"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
KMS_KEY = "aws:kms/key:Key"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
ROLE = "aws:iam/role:Role"


def test_one_repository_per_region_on_that_regions_images_key(stack: PreviewResult) -> None:
    repos = of_type(stack, REPOSITORY)
    assert sorted(r["region"] for r in repos) == sorted(stack.config.regions.all)
    for repo in repos:
        inputs = repo["inputs"]
        region = repo["region"]
        assert inputs["name"] == stack.config.release.image_repository
        assert inputs["imageTagMutability"] == "IMMUTABLE"
        assert inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert inputs["forceDelete"] is False
        [encryption] = inputs["encryptionConfigurations"]
        assert encryption["encryptionType"] == "KMS"
        key = by_name(stack, f"keys-{region}-images", KMS_KEY)
        assert encryption["kmsKey"] == arn_of(key)
        assert key["region"] == region


def test_replication_goes_from_the_primary_to_the_other_regions_only(
    stack: PreviewResult,
) -> None:
    [replication] = of_type(stack, REPLICATION)
    cfg = stack.config
    assert replication["region"] == cfg.regions.primary
    [rule] = replication["inputs"]["replicationConfiguration"]["rules"]
    regions = sorted(d["region"] for d in rule["destinations"])
    assert regions == sorted(cfg.regions.secondaries)
    assert set(regions) <= allowed_regions(cfg.jurisdiction)
    assert rule["repositoryFilters"] == [
        {"filter": cfg.release.image_repository, "filterType": "PREFIX_MATCH"}
    ]
    # Every destination exists (CMK, immutable) before replication could create it itself.
    destinations = {
        r["urn"] for r in of_type(stack, REPOSITORY) if r["region"] in cfg.regions.secondaries
    }
    assert destinations <= set(replication["dependencies"])


def test_repositories_replication_creates_get_the_destinations_cmk(stack: PreviewResult) -> None:
    cfg = stack.config
    templates = of_type(stack, TEMPLATE)
    assert sorted(t["region"] for t in templates) == sorted(cfg.regions.secondaries)
    [replication] = of_type(stack, REPLICATION)
    for template in templates:
        inputs = template["inputs"]
        assert inputs["prefix"] == cfg.release.image_repository
        assert inputs["appliedFors"] == ["REPLICATION"]
        assert inputs["imageTagMutability"] == "IMMUTABLE"
        [encryption] = inputs["encryptionConfigurations"]
        key = by_name(stack, f"keys-{template['region']}-images", KMS_KEY)
        assert encryption == {"encryptionType": "KMS", "kmsKey": arn_of(key)}
        # ECR applies a template's KMS key only through a role of the template's own.
        role = by_name(stack, "registry-template-role", ROLE)
        assert inputs["customRoleArn"] == arn_of(role)
        assert template["urn"] in replication["dependencies"]


def test_replication_abroad_is_refused_by_the_program() -> None:
    eu = allowed_regions("eu")
    assert replication_destinations("eu-central-1", ["eu-central-1", "eu-west-1"], eu) == [
        "eu-west-1"
    ]
    with pytest.raises(ValueError, match=r"us-east-1.*leave the jurisdiction"):
        replication_destinations("eu-central-1", ["eu-central-1", "us-east-1"], eu)
    with pytest.raises(ValueError, match="eu-west-2"):
        replication_destinations("eu-central-1", ["eu-central-1", "eu-west-2"], eu)


def _containers(record: dict[str, object]) -> list[dict[str, object]]:
    spec = record["inputs"]["spec"]  # type: ignore[index]
    return spec["template"]["spec"]["containers"]  # type: ignore[no-any-return]


def test_every_pod_runs_its_regions_repository_by_digest(stack: PreviewResult) -> None:
    digest = stack.config.release.image_digest
    assert digest is not None
    k8s = [
        r
        for r in stack.resources
        if r["type"] in ("kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job")
    ]
    assert k8s
    for record in k8s:
        region = record["name"].split("-", 1)[1].rsplit("-", 1)[0]
        for container in _containers(record):
            image = str(container["image"])
            assert image.endswith(f".dkr.ecr.{region}.amazonaws.com/gdpr-platform/api@{digest}")


def test_migrations_run_once_per_release_before_any_region_rolls_out(
    stack: PreviewResult,
) -> None:
    cfg = stack.config
    [job] = of_type(stack, "kubernetes:batch/v1:Job")
    assert job["name"] == f"api-{cfg.regions.primary}-migrate"
    image = str(_containers(job)[0]["image"])
    assert job["inputs"]["metadata"]["name"] == release_name(image)
    spec = job["inputs"]["spec"]
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "api"  # the API's IRSA role, nothing more
    assert pod["restartPolicy"] == "Never"
    assert _containers(job)[0]["args"] == ["python", "-m", "app.db.migrate"]
    assert spec["backoffLimit"] == cfg.release.migration.backoff_limit
    assert spec["activeDeadlineSeconds"] == cfg.release.migration.active_deadline_seconds
    assert "ttlSecondsAfterFinished" not in spec  # a vanished Job would read as drift
    netpol = next(
        r
        for r in of_type(stack, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r["name"] == f"api-{cfg.regions.primary}-migrate-netpol"
    )
    assert netpol["urn"] in job["dependencies"]
    egress_ports = {p["port"] for rule in netpol["inputs"]["spec"]["egress"] for p in rule["ports"]}
    assert egress_ports == {cfg.database.port, 443, 53}
    assert netpol["inputs"]["spec"]["ingress"] == []
    for deployment in of_type(stack, "kubernetes:apps/v1:Deployment"):
        assert job["urn"] in deployment["dependencies"], deployment["name"]


def test_release_names_follow_the_digest() -> None:
    a = release_name("r.example/api@sha256:" + "ab" * 32)
    b = release_name("r.example/api@sha256:" + "cd" * 32)
    assert a == "migrate-" + "ab" * 6
    assert a != b
    assert release_name("r.example/api:1.2.3").startswith("migrate-")


def test_no_release_yet_declares_no_pods(preview_with: object) -> None:
    result = preview_with("eu", **{"release.imageDigest": None})  # type: ignore[operator]
    kinds = {r["type"] for r in result.resources}
    assert "kubernetes:apps/v1:Deployment" not in kinds
    assert "kubernetes:batch/v1:Job" not in kinds
    assert REPOSITORY in kinds  # the registry comes first, so the image can be pushed


def test_digest_must_be_a_sha256(preview_with: object) -> None:
    from components.config import ConfigError

    with pytest.raises(ConfigError, match=r"^gdpr-platform:release\.imageDigest: 'latest'"):
        preview_with("eu", **{"release.imageDigest": "latest"})  # type: ignore[operator]
