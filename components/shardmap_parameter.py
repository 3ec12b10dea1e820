"""The published shard map: the same document in an SSM parameter in every region.

An SSM parameter holds at most 8 KB (Advanced tier; 4 KB Standard), and a shard costs
about 1 KB of endpoints, so a layout beyond a handful of shards does not fit in one value.
The document is then split: the parameter at ``path`` keeps the header and the names of its
parts, each part (``path/part-NN``) a contiguous run of shards. :func:`assemble` puts them
back together; a reader that sees no ``parts`` key has the whole document already.

The number of parts must be known before any endpoint is (resources are never created
inside ``apply``), so it comes from a conservative size estimate, not from the real text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import DataClassification
from components.tagging import classification

#: The Advanced tier's limit; Intelligent-Tiering picks Standard when a value fits in 4 KB.
MAX_VALUE_BYTES = 8192
_HEADER_BYTES = 400
_SHARD_BYTES = 120
#: Writer, reader, secret ARN and keys of one region, with room for long names.
_REGION_BYTES = 520


def estimated_shard_bytes(region_count: int, name_length: int) -> int:
    """An upper bound on one shard's entry in the JSON document."""
    return _SHARD_BYTES + region_count * (_REGION_BYTES + 3 * name_length)


def part_count(shard_count: int, region_count: int, name_length: int) -> int:
    """0 when the whole document fits in one parameter, else the number of parts."""
    per_shard = estimated_shard_bytes(region_count, name_length)
    if _HEADER_BYTES + shard_count * per_shard <= MAX_VALUE_BYTES:
        return 0
    per_part = max(1, (MAX_VALUE_BYTES - _HEADER_BYTES) // per_shard)
    return math.ceil(shard_count / per_part)


def split_document(
    document: Mapping[str, Any], parts: int, part_names: Sequence[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(head, [part, ...])``: the header with ``parts`` names, and runs of shards."""
    if parts == 0:
        return dict(document), []
    if len(part_names) != parts:
        raise ValueError(f"{parts} parts need {parts} names, got {len(part_names)}")
    shards = list(document["shards"])
    per_part = math.ceil(len(shards) / parts)
    head = {k: v for k, v in document.items() if k != "shards"}
    head["parts"] = list(part_names)
    chunks = [{"shards": shards[i * per_part : (i + 1) * per_part]} for i in range(parts)]
    return head, chunks


def assemble(head: Mapping[str, Any], parts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The whole document from the header and its parts (by parameter name)."""
    names = head.get("parts")
    if names is None:
        return dict(head)
    missing = [n for n in names if n not in parts]
    if missing:
        raise KeyError(f"shard map parts missing: {missing}")
    document = {k: v for k, v in head.items() if k != "parts"}
    document["shards"] = [shard for name in names for shard in parts[name]["shards"]]
    return document


def _compact(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class ParameterRegion:
    region: str
    provider: aws.Provider


@dataclass
class ShardMapParameterArgs:
    #: e.g. ``/gdpr-platform/eu/shard-map``
    path: str
    #: The ``ShardMap.to_json()`` document with endpoints.
    document: pulumi.Input[str]
    shard_count: int
    regions: Sequence[ParameterRegion]
    #: Longest name that appears in endpoints (identifier prefix), for the size estimate.
    name_length: int


class ShardMapParameter(pulumi.ComponentResource):
    """The shard map in SSM Parameter Store, in every region of the jurisdiction."""

    parameters: dict[str, list[aws.ssm.Parameter]]

    def __init__(
        self,
        name: str,
        args: ShardMapParameterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gdpr-platform:database:ShardMapParameter", name, None, opts)
        parts = part_count(args.shard_count, len(args.regions), args.name_length)
        part_names = [f"{args.path}/part-{i:02d}" for i in range(parts)]
        split = pulumi.Output.from_input(args.document).apply(
            lambda text: split_document(json.loads(text), parts, part_names)
        )
        head = split.apply(lambda s: _compact(s[0]))
        bodies = [split.apply(lambda s, i=i: _compact(s[1][i])) for i in range(parts)]  # type: ignore[misc]
        self.parameters = {}
        for where in args.regions:
            child = pulumi.ResourceOptions(parent=self, provider=where.provider)
            values = [(args.path, head), *zip(part_names, bodies, strict=True)]
            self.parameters[where.region] = [
                aws.ssm.Parameter(
                    f"{name}-{where.region}" + (f"-part-{i - 1:02d}" if i else ""),
                    name=path,
                    # Endpoints and secret ARNs, no secret and no personal data: a String,
                    # readable without a KMS grant; reading it still needs ssm:GetParameter.
                    type="String",
                    tier="Intelligent-Tiering",
                    value=value,
                    description="Shard map: user-ID ranges and per-region Aurora endpoints",
                    tags=classification(DataClassification.INTERNAL.value),
                    opts=child,
                )
                for i, (path, value) in enumerate(values)
            ]
        self.register_outputs(
            {"names": [args.path, *part_names], "regions": [r.region for r in args.regions]}
        )
