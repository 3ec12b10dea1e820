"""The GitHub workflows run as written: read them as GitHub does and check what they do.

The stack list is data: every per-stack job takes its matrix from a ``stacks`` job that runs
``python -m tools.stacks --github-outputs``. Here that output is computed the same way and
substituted for the ``fromJSON(needs.stacks.outputs.<key>)`` a job names, so each check sees
the stacks the job would run for.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import parse_config
from components.deployer import project_name
from policies.gdpr_pack.jurisdictions import JURISDICTIONS
from tests.infra.conftest import stack_file
from tools.preview import project_config
from tools.stacks import StackListError, github_matrices, main, stack_names

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
README = (ROOT / "README.md").read_text()
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
PULUMI_COMMAND = re.compile(r"\bpulumi (preview|up|refresh|config set|stack output)\b")
FROM_STACKS = re.compile(r"\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.(\w+)\) \}\}")
MATRICES = github_matrices()
STACKS = {entry["stack"]: entry["region"] for entry in MATRICES["all"]["include"]}
STACK_LABEL = "${{ matrix.stack }}"
ROLE_CHECK = 'test -n "$ROLE"'
ENVIRONMENT_ROLE = "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
JSON_ROLE = re.compile(r"\$\{\{ fromJSON\(vars\.([A-Z0-9_]+) \|\| '\{\}'\)\[matrix\.stack\] \}\}")


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


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(f"{action}@")]


def _pulumi_jobs(command: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [j for j in _jobs() if any(f"pulumi {command}" in run for run in _runs(j[2]))]


def _needs(doc: dict[str, Any], job_id: str) -> set[str]:
    needs = doc["jobs"][job_id].get("needs", [])
    direct = {needs} if isinstance(needs, str) else set(needs)
    return direct.union(*(_needs(doc, n) for n in direct)) if direct else set()


def _matrix_source(name: str, job_id: str) -> str:
    """Which of the stacks job's matrices the job runs over (``all``, ``hub``, ``producers``)."""
    doc = DOCS[name]
    matrix = doc["jobs"][job_id].get("strategy", {}).get("matrix")
    found = FROM_STACKS.fullmatch(str(matrix))
    assert found, f"{name} {job_id}: matrix {matrix!r} is not a stacks job's output"
    source, key = found.groups()
    assert source in _needs(doc, job_id), (name, job_id)
    producer = doc["jobs"][source]
    step = next(s for s in producer["steps"] if s.get("id") == "list")
    assert "python -m tools.stacks --github-outputs" in step["run"], (name, source)
    assert '>> "$GITHUB_OUTPUT"' in step["run"], (name, source)
    assert producer["outputs"][key] == f"${{{{ steps.list.outputs.{key} }}}}", (name, source)
    return key


def _stacks_of(name: str, job_id: str) -> list[str]:
    """The stacks a job runs for, as GitHub would expand its matrix today."""
    return [entry["stack"] for entry in MATRICES[_matrix_source(name, job_id)]["include"]]


def _render(value: str, stack: str) -> str:
    return value.replace(STACK_LABEL, stack).replace("${{ matrix.region }}", STACKS[stack])


def test_there_are_workflows() -> None:
    assert {"tests.yml", "preview.yml", "deploy.yml", "drift.yml", "db-roles.yml"} <= set(DOCS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha_with_its_tag(path: Path) -> None:
    lines = [line.strip() for line in path.read_text().splitlines()]
    uses = [line for line in lines if line.startswith(("uses:", "- uses:"))]
    assert uses
    for line in uses:
        ref, _, comment = line.split("uses:", 1)[1].partition("#")
        assert SHA_PIN.match(ref.strip()), line
        assert re.match(r"\s*v\d+\.\d+\.\d+", comment), f"tag comment missing: {line}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_stack_or_region_is_written_into_a_workflow(path: Path) -> None:
    """A new jurisdiction is a table row and a stack file: no workflow names one."""
    text = path.read_text()
    for row in JURISDICTIONS.values():
        assert not re.search(rf"\b{re.escape(row.name)}\b", text, re.IGNORECASE), (
            f"{path.name} names the stack {row.name!r}; take it from the stacks job's matrix"
        )
        for region in row.regions | row.adequacy_regions:
            assert region not in text, f"{path.name} names {region}; use matrix.region"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_permissions_are_minimal(name: str) -> None:
    doc = DOCS[name]
    assert doc["permissions"] == {"contents": "read"}
    for job_id, job in doc["jobs"].items():
        if _uses(job, "aws-actions/configure-aws-credentials"):
            # The OIDC token only where a role is assumed.
            assert job["permissions"] == {"contents": "read", "id-token": "write"}, job_id
        else:
            assert job.get("permissions", {"contents": "read"}) == {"contents": "read"}, job_id


def test_every_role_is_per_stack_and_checked_before_it_is_assumed() -> None:
    assumed = 0
    for name, job_id, job in _jobs():
        logins = _uses(job, "aws-actions/configure-aws-credentials")
        if not logins:
            continue
        assumed += 1
        [login] = logins
        assert login["with"]["role-to-assume"] == "${{ env.ROLE }}", (name, job_id)
        assert login["with"]["aws-region"] in {"${{ matrix.region }}", "${{ env.REGION }}"}
        assert job["env"].get("REGION", "${{ matrix.region }}") == "${{ matrix.region }}"
        role = job["env"]["ROLE"]
        if role == ENVIRONMENT_ROLE:
            # An environment-level variable: only a job in the stack's environment sees it.
            assert job["environment"] == STACK_LABEL, (name, job_id)
        else:
            assert JSON_ROLE.fullmatch(role), (name, job_id, role)
        steps = job["steps"]
        check = next(i for i, s in enumerate(steps) if ROLE_CHECK in str(s.get("run", "")))
        assert check < steps.index(login), (name, job_id)
    assert assumed >= 5


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
    installs = 0
    for name, job_id, job in _jobs():
        for run in _runs(job):
            for line in run.splitlines():
                if "pip install" in line:
                    installs += 1
                    assert "-c constraints.txt" in line, (name, job_id, line)
    assert installs  # the stacks jobs install PyYAML


def test_makefile_installs_with_the_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line and "-r " in line]
    assert installs
    for line in installs:
        if "--target build/lambda-layer" in line:
            continue  # wheels for the Lambda runtime, pinned in app/lambdas/requirements.txt
        assert "-c constraints.txt" in line, line


def test_the_stacks_jobs_are_light_and_pinned() -> None:
    seen = 0
    for name, job_id, job in _jobs():
        if not any("tools.stacks" in r for r in _runs(job)):
            continue
        seen += 1
        [step] = [s for s in job["steps"] if s.get("id") == "list"]
        assert "python -m pip install --quiet -c constraints.txt PyYAML" in step["run"], name
        assert "id-token" not in job.get("permissions", {}), (name, job_id)
        assert not any(PULUMI_COMMAND.search(r) for r in _runs(job)), (name, job_id)
    assert seen == 4  # preview, deploy, drift, db-roles


def test_every_stack_job_runs_over_a_stacks_matrix() -> None:
    for name, job_id, job in _jobs():
        if STACK_LABEL in json.dumps(job):
            _matrix_source(name, job_id)


def test_the_light_stack_list_agrees_with_the_config_on_the_hub() -> None:
    hubs = {e["stack"] for e in MATRICES["hub"]["include"]}
    producers = {e["stack"] for e in MATRICES["producers"]["include"]}
    assert hubs | producers == set(stack_names())
    assert not hubs & producers
    for stack in stack_names():
        config = parse_config(stack, project_config(stack_file(stack)))
        assert (stack in hubs) is config.central.host, stack
        assert STACKS[stack] == config.regions.primary


def test_the_stack_list_prints_each_matrix_on_one_output_line() -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--github-outputs"]) == 0
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["all", "hub", "producers"]
    assert {k: json.loads(v) for k, v in (line.split("=", 1) for line in lines)} == MATRICES


def _project(tmp_path: Path, hosts: dict[str, object]) -> Path:
    for stack, host in hosts.items():
        document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        document["config"]["gdpr-platform:central"]["host"] = host
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


def test_the_hub_is_whichever_stack_file_hosts_it(tmp_path: Path) -> None:
    first, *others = stack_names()
    # `pulumi config set --path` may write the flag as a string.
    project = _project(tmp_path, {first: "false", **{o: o == others[0] for o in others}})
    matrices = github_matrices(project)
    assert [e["stack"] for e in matrices["hub"]["include"]] == [others[0]]
    assert first in [e["stack"] for e in matrices["producers"]["include"]]


@pytest.mark.parametrize("host", [True, False])
def test_anything_but_one_hub_is_refused_with_the_fix(tmp_path: Path, host: bool) -> None:
    project = _project(tmp_path, dict.fromkeys(stack_names(), host))
    with pytest.raises(StackListError, match=r"exactly one stack file may set it to true"):
        github_matrices(project)


def test_an_unreadable_hub_flag_names_the_key(tmp_path: Path) -> None:
    project = _project(tmp_path, dict.fromkeys(stack_names(), "yes"))
    with pytest.raises(StackListError, match=r"Pulumi\.\w+\.yaml: gdpr-platform:central\.host"):
        github_matrices(project)


def test_only_one_stack_or_a_clear_refusal() -> None:
    for stack in stack_names():
        matrices = github_matrices(only=stack)
        assert matrices["all"]["include"] == [{"stack": stack, "region": STACKS[stack]}]
    with pytest.raises(StackListError, match=r"'nowhere' is not a stack; use one of"):
        github_matrices(only="nowhere")


def test_previews_run_per_stack_with_the_pack_and_its_config() -> None:
    seen = set()
    for name, job_id, job in _pulumi_jobs("preview"):
        seen |= set(_stacks_of(name, job_id))
        run = next(r for r in _runs(job) if "pulumi preview" in r)
        assert "--policy-pack policies" in run
        assert "--policy-pack-config policies/config/pack.json" in run
    assert seen == set(STACKS)


def test_updates_are_behind_the_environment_and_apply_the_pack() -> None:
    ups = _pulumi_jobs("up")
    assert sorted(s for n, j, _ in ups for s in _stacks_of(n, j)) == sorted(STACKS)
    for _, job_id, job in ups:
        assert job["environment"] == STACK_LABEL, job_id
        assert job["concurrency"] == {"group": f"deploy-{STACK_LABEL}", "cancel-in-progress": False}
        run = next(r for r in _runs(job) if "pulumi up" in r)
        assert "--policy-pack-config policies/config/pack.json" in run
        assert "--policy-pack policies" in run


def test_the_hub_is_deployed_before_every_producer() -> None:
    ups = _pulumi_jobs("up")
    [name] = {n for n, _, _ in ups}
    doc = DOCS[name]
    by_source = {_matrix_source(n, j): j for n, j, _ in ups}
    assert set(by_source) == {"hub", "producers"}
    assert by_source["hub"] in _needs(doc, by_source["producers"])
    assert by_source["producers"] not in _needs(doc, by_source["hub"])
    # Only a missing producer matrix skips the producers' job, compared as the tool prints it.
    empty = json.dumps({"include": []}, separators=(",", ":"))
    guard = doc["jobs"][by_source["producers"]]["if"]
    assert guard == f"needs.stacks.outputs.producers != '{empty}'"
    assert MATRICES["producers"]["include"], "today there are producers: the guard lets them run"


def test_each_update_rolls_out_the_digest_its_stacks_image_job_pushed() -> None:
    for name, job_id, job in _pulumi_jobs("up"):
        doc = DOCS[name]
        steps = job["steps"]
        [download] = _uses(job, "actions/download-artifact")
        set_digest = next(s for s in steps if "release.imageDigest" in str(s.get("run", "")))
        up = next(s for s in steps if "pulumi up" in str(s.get("run", "")))
        assert steps.index(download) < steps.index(set_digest) < steps.index(up)
        digest_file = f"{download['with']['path']}/digest"
        assert set_digest["run"] == (
            f'pulumi config set --stack "$STACK" --path release.imageDigest "$(cat {digest_file})"'
        )
        needed = _needs(doc, job_id)
        [image_id] = [j for j in needed if _uses(doc["jobs"][j], "docker/build-push-action")]
        image_job = doc["jobs"][image_id]
        build = next(s for s in image_job["steps"] if s.get("id") == "build")
        assert build["with"]["file"] == "Dockerfile"
        assert build["with"]["push"] is True
        [upload] = _uses(image_job, "actions/upload-artifact")
        written = next(s for s in image_job["steps"] if "image-digest/digest" in str(s.get("run")))
        assert written["env"]["DIGEST"] == "${{ steps.build.outputs.digest }}"
        assert upload["with"]["path"] == "image-digest/digest"
        [login] = _uses(image_job, "aws-actions/configure-aws-credentials")
        built_for = set(_stacks_of(name, image_id))
        for stack in _stacks_of(name, job_id):
            # The update reads the artifact its own stack's build wrote, in its own region.
            assert stack in built_for
            assert _render(download["with"]["name"], stack) == _render(
                upload["with"]["name"], stack
            )
            assert stack in _render(upload["with"]["name"], stack)
            assert _render(login["with"]["aws-region"], stack) == STACKS[stack]


def test_drift_is_checked_on_a_schedule_per_stack_and_fails_on_drift() -> None:
    doc = DOCS["drift.yml"]
    assert doc["on"]["schedule"]
    refreshes = _pulumi_jobs("refresh")
    assert {s for n, j, _ in refreshes for s in _stacks_of(n, j)} == set(STACKS)
    for _, _, job in refreshes:
        run = next(r for r in _runs(job) if "pulumi refresh" in r)
        assert "--preview-only" in run
        assert "--expect-no-changes" in run


def test_db_roles_run_per_stack_or_for_the_one_asked() -> None:
    doc = DOCS["db-roles.yml"]
    assert doc["on"]["workflow_dispatch"]["inputs"]["stack"]["type"] == "string"
    [(name, job_id, job)] = _pulumi_jobs("stack output")
    assert _stacks_of(name, job_id) == list(STACKS)
    list_step = next(s for s in doc["jobs"]["stacks"]["steps"] if s.get("id") == "list")
    assert list_step["env"]["ONLY"] == "${{ inputs.stack }}"  # never pasted into the script
    assert '${ONLY:+--only "$ONLY"}' in list_step["run"]
    assert job["environment"] == STACK_LABEL


def test_pulumi_jobs_run_on_the_stacks_runner_inside_its_vpc() -> None:
    jobs = [
        *_pulumi_jobs("preview"),
        *_pulumi_jobs("up"),
        *_pulumi_jobs("refresh"),
        *_pulumi_jobs("stack output"),
    ]
    for name, job_id, job in jobs:
        label = str(job["runs-on"])
        for stack in _stacks_of(name, job_id):
            expected = (
                f"codebuild-{project_name(stack)}-${{{{ github.run_id }}}}-"
                "${{ github.run_attempt }}"
            )
            assert _render(label, stack) == expected, job_id


def _used(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in FILES:
        found |= set(re.findall(pattern, path.read_text()))
    return found


def test_every_secret_and_variable_is_documented_in_the_readme() -> None:
    secrets = _used(r"secrets\.([A-Z0-9_]+)")
    variables = _used(r"vars\.([A-Z0-9_]+)")
    assert secrets
    assert {"AWS_DEPLOY_ROLE_ARN", "AWS_IMAGE_ROLE_ARNS", "AWS_PREVIEW_ROLE_ARNS"} <= variables
    for name in sorted(secrets | variables):
        assert f"`{name}`" in README, f"{name} is used by a workflow but not documented"
