"""Offline policy analysis: run the policy pack as its own process and speak the analyzer
gRPC protocol to it, the way the Pulumi engine does during ``pulumi preview --policy-pack``.

What the engine does, and this module mirrors (pulumi/pulumi pkg/resource/plugin/
analyzer_plugin.go, analyzer_config.go; sdk/python/dist/pulumi-analyzer-policy-python):

1. start ``python -u -m pulumi.policy <engine-address> .`` in the pack directory (with the
   pack's ``venv`` interpreter when there is one) and env ``PULUMI_CONFIG`` (the stack's
   config as JSON), ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_DRY_RUN``; the pack prints
   its port on stdout;
2. ``GetAnalyzerInfo``; reconcile the ``--policy-pack-config`` file with the policies'
   schema defaults, the pack's initial config and ``"all"``; validate it against each
   policy's config schema; ``Configure`` with one ``PolicyConfig`` per policy;
3. ``ConfigureStack`` (stack, project, dry run, config);
4. ``Analyze`` once per resource with its inputs, options and provider;
5. ``AnalyzeStack`` once with every resource, its parent, dependencies and property
   dependencies;
6. shut the process down.

Resource records are the offline preview's (``tools/preview.py``): camelCase ``inputs`` in
the JSON form of the protobuf ``Struct`` the engine sends (unknowns as sentinel strings,
secrets as signature objects).
"""

from __future__ import annotations

import json
import os
import pathlib
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

__all__ = [
    "PolicyConfigError",
    "PolicyPackError",
    "PolicyPackProcess",
    "Violation",
    "analyze",
    "load_policy_config",
    "main",
    "mandatory",
    "reconcile_policy_config",
    "running_pack",
]

LEVEL_NAMES: Mapping[int, str] = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVEL_VALUES: Mapping[str, int] = {v: k for k, v in LEVEL_NAMES.items()}
#: The pack's one --policy-pack-config, relative to the pack directory: the same for every
#: stack, since each rule takes the jurisdiction from the stack's name.
PACK_CONFIG = pathlib.Path("config") / "pack.json"
_MAX_MESSAGE = 1024 * 1024 * 400  # the engine's and the SDK's limit
_STARTUP_TIMEOUT = 60.0


class PolicyPackError(RuntimeError):
    """The pack process did not start or did not answer."""


class PolicyConfigError(ValueError):
    """The policy config file does not match the pack's policies (as the engine reports)."""


@dataclass(frozen=True, order=True)
class Violation:
    policy: str
    urn: str
    message: str
    level: str

    def as_dict(self) -> dict[str, str]:
        return {
            "policy": self.policy,
            "urn": self.urn,
            "message": self.message,
            "level": self.level,
        }


# -- policy config: parse, reconcile, validate (engine: analyzer_config.go) ---------------


def load_policy_config(path: pathlib.Path | None) -> dict[str, dict[str, Any]]:
    """Parse a ``--policy-pack-config`` file into {policy: {enforcementLevel?, properties}}."""
    if path is None:
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object of policy names")
    result: dict[str, dict[str, Any]] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            entry: dict[str, Any] = {"enforcementLevel": _level(name, value), "properties": {}}
        elif isinstance(value, dict):
            props = dict(value)
            level = props.pop("enforcementLevel", None)
            entry = {"properties": props}
            if level is not None:
                entry["enforcementLevel"] = _level(name, level)
        else:
            raise PolicyConfigError(
                f"parsing {name!r}: {value!r} is not a valid value; must be a string or object"
            )
        if entry.get("enforcementLevel") is None and not entry["properties"]:
            continue  # the engine drops empty entries
        result[name] = entry
    return result


def _level(name: str, value: object) -> str:
    if not isinstance(value, str) or value not in LEVEL_VALUES:
        raise PolicyConfigError(
            f"parsing enforcement level for {name!r}: {value!r} is not a valid enforcement level"
        )
    return value


def reconcile_policy_config(
    info: analyzer_pb2.AnalyzerInfo, given: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Defaults from each policy's schema and level, then the pack's initial config, then
    ``"all"``, then the given per-policy config; validated against the schemas."""
    result: dict[str, dict[str, Any]] = {}
    schemas: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        properties = json_format.MessageToDict(policy.configSchema.properties)
        schemas[policy.name] = {
            "properties": properties,
            "required": list(policy.configSchema.required),
        }
        defaults = {
            k: v["default"] for k, v in properties.items() if isinstance(v, dict) and "default" in v
        }
        result[policy.name] = {
            "enforcementLevel": LEVEL_NAMES[policy.enforcementLevel],
            "properties": defaults,
        }
    for name, initial in info.initialConfig.items():
        if name in result:
            result[name]["enforcementLevel"] = LEVEL_NAMES[initial.enforcementLevel]
            result[name]["properties"].update(json_format.MessageToDict(initial.properties))
    all_level = given.get("all", {}).get("enforcementLevel")
    if all_level:
        for entry in result.values():
            entry["enforcementLevel"] = all_level
    for name, supplied in given.items():
        if name not in result:
            continue  # the engine ignores config for policies the pack does not have
        if supplied.get("enforcementLevel"):
            result[name]["enforcementLevel"] = supplied["enforcementLevel"]
        result[name]["properties"].update(supplied.get("properties", {}))
    if given:
        errors = [
            f"Policy {name!r}: {problem}"
            for name in sorted(result)
            for problem in _validate(result[name]["properties"], schemas[name])
        ]
        if errors:
            raise PolicyConfigError("; ".join(errors))
    return result


_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "integer": (int, float),
    "number": (int, float),
    "array": (list,),
    "object": (dict,),
}


def _validate(value: Any, schema: Mapping[str, Any], path: str = "") -> Iterator[str]:
    """The subset of JSON Schema the pack's config schemas use (type, enum, bounds, items,
    properties, additionalProperties, required)."""
    where = path or "(root)"
    expected = str(schema.get("type", ""))
    if expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (
            expected in ("integer", "number") and isinstance(value, bool)
        )
        if ok and expected == "integer" and isinstance(value, float) and not value.is_integer():
            ok = False
        if not ok:
            yield f"{where}: Invalid type. Expected: {expected}, given: {type(value).__name__}"
            return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(map(repr, schema["enum"]))
        yield f"{where}: {where} must be one of the following: {choices}"
    if "minimum" in schema and isinstance(value, int | float) and value < schema["minimum"]:
        yield f"{where}: Must be greater than or equal to {schema['minimum']}"
    if "maximum" in schema and isinstance(value, int | float) and value > schema["maximum"]:
        yield f"{where}: Must be less than or equal to {schema['maximum']}"
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from _validate(item, schema["items"], f"{path}.{i}" if path else str(i))
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                yield f"{key} is required"
        for key, item in value.items():
            sub = properties.get(key, schema.get("additionalProperties"))
            if isinstance(sub, dict):
                yield from _validate(item, sub, f"{path}.{key}" if path else key)


# -- resource records -> analyzer messages -----------------------------------------------


def _struct(values: Mapping[str, Any] | None) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    if values:
        json_format.ParseDict(dict(values), message)
    return message


def _provider_urn(ref: str | None) -> str | None:
    if not ref:
        return None
    urn, sep, _id = ref.rpartition("::")
    return urn if sep else ref


def _provider_message(
    record: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    urn = _provider_urn(record.get("provider"))
    if urn is None:
        return None
    provider = by_urn.get(urn)
    parts = urn.split("::")
    return analyzer_pb2.AnalyzerProviderResource(
        urn=urn,
        type=provider["type"] if provider else (parts[2] if len(parts) > 2 else ""),
        name=provider["name"] if provider else parts[-1],
        properties=_struct(provider.get("inputs") if provider else None),
    )


def _options(record: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = record.get("options") or {}
    dbr = opts.get("deleteBeforeReplace")
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(opts.get("protect", False)),
        ignoreChanges=list(opts.get("ignoreChanges") or []),
        deleteBeforeReplace=bool(dbr),
        deleteBeforeReplaceDefined=dbr is not None,
        additionalSecretOutputs=list(opts.get("additionalSecretOutputs") or []),
        aliases=list(opts.get("aliases") or []),
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=record.get("parent") or "",
    )


def analyze_request(
    record: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]
) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        urn=record["urn"],
        type=record["type"],
        name=record["name"],
        properties=_struct(record.get("inputs")),
        options=_options(record),
    )
    provider = _provider_message(record, by_urn)
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def stack_resource(
    record: Mapping[str, Any], by_urn: Mapping[str, Mapping[str, Any]]
) -> analyzer_pb2.AnalyzerResource:
    resource = analyzer_pb2.AnalyzerResource(
        urn=record["urn"],
        type=record["type"],
        name=record["name"],
        properties=_struct(record.get("inputs")),
        options=_options(record),
        parent=record.get("parent") or "",
        dependencies=list(record.get("dependencies") or []),
        propertyDependencies={
            prop: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            for prop, urns in (record.get("propertyDependencies") or {}).items()
            if urns  # the engine skips properties without dependencies
        },
    )
    provider = _provider_message(record, by_urn)
    if provider is not None:
        resource.provider.CopyFrom(provider)
    return resource


def _violations(response: analyzer_pb2.AnalyzeResponse, default_urn: str) -> Iterator[Violation]:
    for diag in response.diagnostics:
        yield Violation(
            policy=diag.policyName,
            urn=diag.urn or default_urn,
            message=diag.message,
            level=LEVEL_NAMES.get(diag.enforcementLevel, "advisory"),
        )


# -- the pack process --------------------------------------------------------------------


class PolicyPackProcess:
    """A running policy pack and a channel to it; reusable across many analyses."""

    def __init__(
        self,
        pack_dir: pathlib.Path,
        *,
        project: str,
        stack: str,
        stack_config: Mapping[str, str] | None = None,
        python: str | None = None,
        dry_run: bool = True,
    ) -> None:
        self.pack_dir = pack_dir.resolve()
        self.project = project
        self.stack = stack
        self.stack_config = dict(stack_config or {})
        self.dry_run = dry_run
        venv_python = self.pack_dir / "venv" / "bin" / "python"
        self.python = python or (str(venv_python) if venv_python.exists() else sys.executable)
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self.info: analyzer_pb2.AnalyzerInfo | None = None
        self.policy_config: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            raise PolicyPackError("the policy pack is not running")
        return self._stub

    def start(self) -> None:
        env = dict(os.environ)
        if self.stack_config:
            env["PULUMI_CONFIG"] = json.dumps(self.stack_config)
        env.update(
            PULUMI_PROJECT=self.project,
            PULUMI_STACK=self.stack,
            PULUMI_DRY_RUN="true" if self.dry_run else "false",
        )
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        # No engine to call back: the pack's Python host only parses the address.
        self._process = subprocess.Popen(
            [self.python, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", _MAX_MESSAGE),
                ("grpc.max_send_message_length", _MAX_MESSAGE),
            ],
        )
        try:
            grpc.channel_ready_future(self._channel).result(timeout=_STARTUP_TIMEOUT)
        except grpc.FutureTimeoutError as e:
            self.close()
            raise PolicyPackError(f"policy pack on port {port} did not accept a connection") from e
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self.info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def _read_port(self) -> int:
        assert self._process is not None
        assert self._process.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        stdout = self._process.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=_STARTUP_TIMEOUT)
        except queue.Empty:
            line = b""
        try:
            return int(line.strip())
        except ValueError:
            detail = self._stderr_text()
            self.close()
            raise PolicyPackError(
                f"policy pack in {self.pack_dir} did not print its port (got {line!r}):\n{detail}"
            ) from None

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        if self._process is not None and self._process.poll() is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def configure(self, policy_config: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Reconcile and send the policy config (engine: ReconcilePolicyPackConfig + Configure)."""
        assert self.info is not None
        self.policy_config = reconcile_policy_config(self.info, policy_config or {})
        request = analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=LEVEL_VALUES[entry["enforcementLevel"]],  # type: ignore[arg-type]
                    properties=_struct(entry["properties"]),
                )
                for name, entry in self.policy_config.items()
            }
        )
        self.stub.Configure(request)
        try:
            self.stub.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=self.stack,
                    project=self.project,
                    organization=os.environ.get("PULUMI_ORGANIZATION", "organization"),
                    dry_run=self.dry_run,
                    config=self.stack_config,
                )
            )
        except grpc.RpcError as e:  # older packs do not implement it; the engine carries on
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise

    def analyze(self, resources: Sequence[Mapping[str, Any]]) -> list[Violation]:
        """Analyze each resource, then the stack; violations deduplicated and sorted."""
        by_urn = {r["urn"]: r for r in resources}
        found: set[Violation] = set()
        for record in resources:
            response = self.stub.Analyze(analyze_request(record, by_urn))
            found.update(_violations(response, record["urn"]))
        stack = analyzer_pb2.AnalyzeStackRequest(
            resources=[stack_resource(r, by_urn) for r in resources]
        )
        found.update(_violations(self.stub.AnalyzeStack(stack), ""))
        return sorted(found)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


@contextmanager
def running_pack(
    pack_dir: pathlib.Path,
    *,
    project: str,
    stack: str,
    stack_config: Mapping[str, str] | None = None,
) -> Iterator[PolicyPackProcess]:
    process = PolicyPackProcess(pack_dir, project=project, stack=stack, stack_config=stack_config)
    with process:
        yield process


def analyze(
    resources: list[dict[str, Any]],
    *,
    project: str,
    stack: str,
    pack_dir: pathlib.Path,
    policy_config: pathlib.Path | None,
    stack_config: Mapping[str, str] | None = None,
) -> list[dict[str, str]]:
    """Run the pack over ``resources`` as the engine would; violations as dicts
    ``{"policy", "urn", "message", "level"}``, deduplicated."""
    given = load_policy_config(policy_config)
    with running_pack(pack_dir, project=project, stack=stack, stack_config=stack_config) as pack:
        pack.configure(given)
        return [v.as_dict() for v in pack.analyze(resources)]


def mandatory(violations: Iterable[Mapping[str, str]]) -> list[Mapping[str, str]]:
    return [v for v in violations if v["level"] == "mandatory"]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.policy_client --stack eu records.json`` (or ``-`` for stdin): the
    records as a list, or the offline preview's ``--json`` document; prints the violations
    and exits 1 on a mandatory one."""
    import argparse

    root = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(prog="python -m tools.policy_client", description=main.__doc__)
    parser.add_argument("records", help="JSON file with the resource records, '-' for stdin")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--project", default="gdpr-platform")
    parser.add_argument("--pack-dir", type=pathlib.Path, default=root / "policies")
    parser.add_argument(
        "--policy-config",
        type=pathlib.Path,
        help=f"--policy-pack-config file (default: <pack-dir>/{PACK_CONFIG} if present)",
    )
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.records == "-" else pathlib.Path(args.records).read_text()
    document = json.loads(text)
    resources = document["resources"] if isinstance(document, dict) else document
    config = args.policy_config
    if config is None:
        default = args.pack_dir / PACK_CONFIG
        config = default if default.exists() else None
    try:
        found = analyze(
            resources,
            project=args.project,
            stack=args.stack,
            pack_dir=args.pack_dir,
            policy_config=config,
        )
    except (PolicyConfigError, PolicyPackError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for v in found:
        print(f"[{v['level']}] {v['policy']}: {v['urn']}")
        print("    " + v["message"].replace("\n", "\n    "))
    print(f"{len(found)} violation(s), {len(mandatory(found))} mandatory")
    return 1 if mandatory(found) else 0


if __name__ == "__main__":
    sys.exit(main())
