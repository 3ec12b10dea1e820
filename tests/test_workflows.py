"""The GitHub workflows run as written: read them as GitHub does and check what they do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.deployer import project_name

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
README = (ROOT / "README.md").read_text()
STACKS = {"eu": "eu-central-1", "us": "us-east-1"}
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
PULUMI_COMMAND = re.compile(r"\bpulumi (preview|up|refresh|config set)\b")


def _load(path: Path) -> dict[str, Any]:
    raw: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    return {("on" if key is True else str(key)): value for key, value in raw.items()}


FILES = sorted(WORKFLOWS.glob("*.yml"))
DOCS = {path.name: _load(path) for path in FILES}


def _jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, doc in DOCS.items():
        for job_id, job in doc["jobs"].items():
            yield name, job_id, job


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in job.get("steps", []) if "run" in step]


def _pulumi_jobs(command: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [j for j in _jobs() if any(f"pulumi {command}" in run for run in _runs(j[2]))]


def _stacks_of(job: dict[str, Any]) -> list[str]:
    """The stacks a job deploys: its matrix entries, or its STACK variable."""
    include = job.get("strategy", {}).get("matrix", {}).get("include")
    if include:
        return [entry["stack"] for entry in include]
    return [str(job["env"]["STACK"]).rsplit("/", 1)[1]]


def _needs(doc: dict[str, Any], job_id: str) -> set[str]:
    needs = doc["jobs"][job_id].get("needs", [])
    direct = {needs} if isinstance(needs, str) else set(needs)
    return direct.union(*(_needs(doc, n) for n in direct)) if direct else set()


def test_there_are_workflows() -> None:
    assert {"tests.yml", "preview.yml", "deploy.yml", "drift.yml"} <= set(DOCS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha_with_its_tag(path: Path) -> None:
    lines = [line.strip() for line in path.read_text().splitlines()]
    uses = [line for line in lines if line.startswith(("uses:", "- uses:"))]
    assert uses
    for line in uses:
        ref, _, comment = line.split("uses:", 1)[1].partition("#")
        assert SHA_PIN.match(ref.strip()), line
        assert re.match(r"\s*v\d+\.\d+\.\d+", comment), f"tag comment missing: {line}"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_permissions_are_minimal(name: str) -> None:
    doc = DOCS[name]
    assert doc["permissions"] == {"contents": "read"} or doc["permissions"] == {
        "contents": "read",
        "id-token": "write",
    }
    for job in doc["jobs"].values():
        for scope, level in job.get("permissions", {}).items():
            assert level == "read" or scope == "id-token", (name, scope, level)


def test_jobs_that_assume_aws_roles_get_an_oidc_token_and_nothing_else() -> None:
    for name, job_id, job in _jobs():
        uses = [str(step.get("uses", "")) for step in job.get("steps", [])]
        if not any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses):
            continue
        permissions = job.get("permissions") or DOCS[name]["permissions"]
        assert permissions == {"contents": "read", "id-token": "write"}, (name, job_id)


def test_every_pulumi_job_builds_the_layer_and_pinned_venvs_through_make() -> None:
    pulumi_jobs = [j for j in _jobs() if any(PULUMI_COMMAND.search(r) for r in _runs(j[2]))]
    assert pulumi_jobs
    for name, job_id, job in pulumi_jobs:
        runs = _runs(job)
        first_pulumi = next(i for i, r in enumerate(runs) if PULUMI_COMMAND.search(r))
        setup = " ".join(runs[:first_pulumi])
        assert "make lambda-layer" in setup, (name, job_id)
        if any("--policy-pack" in r for r in runs):
            assert "policy-venv" in setup, (name, job_id)


def test_no_install_escapes_the_constraints() -> None:
    for name, job_id, job in _jobs():
        for run in _runs(job):
            if "pip install" in run:
                assert "-c constraints.txt" in run, (name, job_id, run)


def test_makefile_installs_with_the_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line and "-r " in line]
    assert installs
    for line in installs:
        if "--target build/lambda-layer" in line:
            continue  # wheels for the Lambda runtime, pinned in app/lambdas/requirements.txt
        assert "-c constraints.txt" in line, line


def test_previews_run_per_stack_with_the_pack_and_its_config() -> None:
    seen = set()
    for _, _, job in _pulumi_jobs("preview"):
        for stack in _stacks_of(job):
            seen.add(stack)
        run = next(r for r in _runs(job) if "pulumi preview" in r)
        assert "--policy-pack policies" in run
        assert "--policy-pack-config policies/config/pack.json" in run
    assert seen == set(STACKS)


def test_updates_are_behind_the_environment_and_apply_the_pack() -> None:
    ups = _pulumi_jobs("up")
    assert sorted(s for _, _, job in ups for s in _stacks_of(job)) == sorted(STACKS)
    for _, job_id, job in ups:
        [stack] = _stacks_of(job)
        assert job["environment"] == stack, job_id
        assert job["concurrency"]["cancel-in-progress"] is False
        run = next(r for r in _runs(job) if "pulumi up" in r)
        assert "--policy-pack-config policies/config/pack.json" in run
        assert "--policy-pack policies" in run


def test_eu_is_deployed_before_us() -> None:
    [(name, _, _)] = {(n, "", "") for n, _, _ in _pulumi_jobs("up")}
    doc = DOCS[name]
    by_stack = {_stacks_of(job)[0]: job_id for _, job_id, job in _pulumi_jobs("up")}
    assert by_stack["eu"] in _needs(doc, by_stack["us"])
    assert by_stack["us"] not in _needs(doc, by_stack["eu"])


def test_each_update_rolls_out_the_digest_its_image_job_pushed() -> None:
    for name, job_id, job in _pulumi_jobs("up"):
        doc = DOCS[name]
        runs = _runs(job)
        set_digest = next(i for i, r in enumerate(runs) if "release.imageDigest" in r)
        assert "pulumi config set" in runs[set_digest]
        assert set_digest < next(i for i, r in enumerate(runs) if "pulumi up" in r)
        source = re.fullmatch(
            r"\$\{\{ needs\.([\w-]+)\.outputs\.digest \}\}", job["env"]["IMAGE_DIGEST"]
        )
        assert source, job_id
        image_job = doc["jobs"][source.group(1)]
        assert source.group(1) in _needs(doc, job_id)
        build = next(s for s in image_job["steps"] if s.get("id") == "build")
        assert build["uses"].startswith("docker/build-push-action@")
        assert build["with"]["file"] == "Dockerfile"
        assert build["with"]["push"] is True
        assert image_job["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
        [stack] = _stacks_of(job)
        login = next(s for s in image_job["steps"] if "configure-aws-credentials" in s["uses"])
        assert login["with"]["aws-region"] == STACKS[stack]


def test_drift_is_checked_on_a_schedule_per_stack_and_fails_on_drift() -> None:
    doc = DOCS["drift.yml"]
    assert doc["on"]["schedule"]
    refreshes = _pulumi_jobs("refresh")
    assert {s for _, _, job in refreshes for s in _stacks_of(job)} == set(STACKS)
    for _, _, job in refreshes:
        run = next(r for r in _runs(job) if "pulumi refresh" in r)
        assert "--preview-only" in run
        assert "--expect-no-changes" in run


def test_pulumi_jobs_run_on_the_stacks_runner_inside_its_vpc() -> None:
    for _, job_id, job in [*_pulumi_jobs("preview"), *_pulumi_jobs("up"), *_pulumi_jobs("refresh")]:
        label = str(job["runs-on"])
        stacks = _stacks_of(job)
        expected = {
            f"codebuild-{project_name(s)}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
            for s in stacks
        }
        rendered = {label.replace("${{ matrix.stack }}", s) for s in stacks}
        assert rendered == expected, job_id


def _used(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in FILES:
        text = path.read_text()
        found |= set(re.findall(pattern, text))
    return found


def test_every_secret_and_variable_is_documented_in_the_readme() -> None:
    secrets = _used(r"secrets\.([A-Z0-9_]+)")
    variables = _used(r"vars\.([A-Z0-9_]+)")
    # vars[matrix.role]: the names the matrices hand in.
    for _, _, job in _jobs():
        for entry in job.get("strategy", {}).get("matrix", {}).get("include", []):
            if "role" in entry:
                variables.add(entry["role"])
    assert secrets
    assert variables
    for name in sorted(secrets | variables):
        assert f"`{name}`" in README, f"{name} is used by a workflow but not documented"
