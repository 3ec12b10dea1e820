"""Regenerate policies/gdpr_pack/coverage_types.py from the installed pulumi-aws SDK.

Every AWS resource type whose constructor takes an input that
(a) encrypts data at rest or names its KMS key, (b) places or copies data in another region
or sends it to an endpoint outside the resource, or (c) exposes the resource to the public,
with the inputs that put it there. ``policies/gdpr_pack/coverage.py`` maps each of them to
the rules that cover it or to a reasoned exclusion; a test fails on a type that is neither,
so a pulumi-aws upgrade that adds a data store shows up as a failing test:

    .venv/bin/python tools/gen_coverage_types.py

Only top-level inputs are read (names as the SDK spells them, snake_case); ``region`` itself
is every regional type's input and is the region rule's business, not a category here.
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import subprocess
import sys
from collections.abc import Mapping

import pulumi_aws

_INIT = re.compile(r"def _internal_init\((?P<params>.*?)\):", re.S)
_TOKEN = re.compile(r"super\(\w+, __self__\).__init__\(\s*'(?P<token>aws:[^']+)'")
_PARAM = re.compile(r"^\s*(\w+): pulumi\.Input", re.M)

#: category -> input names (full match) that put a type in it.
CATEGORIES: Mapping[str, re.Pattern[str]] = {
    "encryption": re.compile(
        r"kms_key|kms_key_(id|arn|identifier)|kms_master_key_id|kms_arn|aws_kms_key_arn"
        r"|\w+_kms_key_(id|arn)|kms_encrypted|kms_encryption_key|kms_configuration"
        r"|storage_encrypted|encrypted|encrypt_at_rest|at_rest_encryption_enabled"
        r"|encryption_at_rest_options|server_side_encryption\w*|sse_(specification|configuration)"
        r"|encryption_(configuration|configurations|configs|config|info|options|specification"
        r"|key|key_arn|type)|customer_encryption_key_(arn|id)|default_encryption_key"
        r"|volume_encryption_key|s3_sse_kms_key_id|data_catalog_encryption_settings"
    ),
    "cross-region": re.compile(
        r"replicas|replica_regions?|replication_configurations?|replication_config"
        r"|replication_info_list|replication_specification|replicate_source_db"
        r"|replication_source_identifier|replicate_to|global_cluster_identifier"
        r"|global_replication_group_id|global_table_arn|primary_key_arn|multi_region"
        r"|source_region|destination_region|peer_region|witness_region|consumer_region"
        r"|source_ami_region|bucket_region|snapshot_copy|copy_actions?"
        r"|destination|destinations|destination_arn|destination_config|destination_configuration"
        r"|s3_destination|http_endpoint_configuration|invocation_endpoint|log_destination"
        r"|delivery_destination_arn|destination_stream_arn|event_destination|kinesis_destination"
        r"|sns_destination|audit_destination_arn|destination_flow_configs"
    ),
    "public": re.compile(
        r"publicly_accessible|block_public_(acls|policy)|ignore_public_acls"
        r"|restrict_public_buckets|public_access_block_configuration|acl"
        r"|associate_public_ip_address|map_public_ip_on_launch|cidr_blocks|ipv6_cidr_blocks"
        r"|cidr_ipv4|cidr_ipv6|ingress|public_access_cidrs|endpoint_public_access"
        r"|public_connectivity|source_ip_config"
    ),
}

OUT = pathlib.Path(__file__).resolve().parents[1] / "policies" / "gdpr_pack" / "coverage_types.py"


def resource_inputs(sdk_root: pathlib.Path) -> dict[str, list[str]]:
    """Type token -> its constructor's input names, for every resource class of the SDK."""
    found: dict[str, list[str]] = {}
    for path in sorted(sdk_root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for init in _INIT.finditer(text):
            token = _TOKEN.search(text[init.end() :])
            if token:
                found[token.group("token")] = _PARAM.findall(init.group("params"))
    return found


def coverage_types(sdk_root: pathlib.Path) -> dict[str, dict[str, tuple[str, ...]]]:
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for token, params in sorted(resource_inputs(sdk_root).items()):
        cats = {
            cat: tuple(sorted(p for p in params if pattern.fullmatch(p)))
            for cat, pattern in CATEGORIES.items()
        }
        cats = {cat: inputs for cat, inputs in cats.items() if inputs}
        if cats:
            table[token] = cats
    return table


def render(version: str, table: Mapping[str, Mapping[str, tuple[str, ...]]]) -> str:
    lines = [
        '"""AWS resource types with an at-rest encryption, cross-region/outbound or public',
        f"exposure input, and those inputs (generated from pulumi-aws {version}).",
        "",
        "Do not edit: run ``tools/gen_coverage_types.py`` after upgrading pulumi-aws.",
        '"""',
        "",
        f'PULUMI_AWS_VERSION = "{version}"',
        "",
        "#: type -> category -> the type's inputs (snake_case, as the SDK names them) in it.",
        "COVERAGE_TYPES: dict[str, dict[str, tuple[str, ...]]] = {",
    ]
    for token, cats in table.items():
        lines.append(f'    "{token}": {{')
        for cat, inputs in cats.items():
            shown = ", ".join(f'"{i}"' for i in inputs)
            lines.append(f'        "{cat}": ({shown},),')
        lines.append("    },")
    lines += ["}", ""]
    return _formatted("\n".join(lines))


def _formatted(source: str) -> str:
    """The project's formatter's layout, so the committed file passes the format check."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(OUT), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def generated() -> str:
    """What the generator would write now, from the installed SDK."""
    version = importlib.metadata.version("pulumi-aws")
    return render(version, coverage_types(pathlib.Path(pulumi_aws.__file__).parent))


def main() -> None:
    text = generated()
    OUT.write_text(text, encoding="utf-8")
    print(f"{text.count(': {')} types -> {OUT}")


if __name__ == "__main__":
    main()
