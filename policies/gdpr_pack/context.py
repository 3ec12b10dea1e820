"""What a rule sees: one resource (or the whole stack) as plain values, and the jurisdiction.

The jurisdiction is the stack's name in the resource's URN (one stack per row of the table in
:mod:`.jurisdictions`), unless a policy's config names one (``jurisdiction``: a stack named
otherwise); never the resource's own tags, which the program under review controls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .jurisdictions import JURISDICTION_REGIONS, allowed_regions, is_global_type
from .values import get, is_unknown, maybe_json, plain, stack_of

AWS_PROVIDER_TYPE = "pulumi:providers:aws"


class JurisdictionError(ValueError):
    """Neither the policy config nor the stack name names a known jurisdiction."""


@dataclass(frozen=True)
class Jurisdiction:
    name: str
    regions: frozenset[str]
    adequacy: bool

    def allows(self, region: str) -> bool:
        return region in self.regions

    def describe(self) -> str:
        return f"{self.name} ({', '.join(sorted(self.regions))})"


def jurisdiction_for(config: Mapping[str, Any], urn: str) -> Jurisdiction:
    name = config.get("jurisdiction") or stack_of(urn)
    if name not in JURISDICTION_REGIONS:
        raise JurisdictionError(
            f"cannot tell the jurisdiction: policy config has no 'jurisdiction' and the stack "
            f"name {stack_of(urn)!r} is not one of {sorted(JURISDICTION_REGIONS)}; name the "
            f"stack after its jurisdiction, or set 'jurisdiction' for this policy in the "
            f"--policy-pack-config file"
        )
    adequacy = bool(config.get("adequacy", False))
    return Jurisdiction(name, allowed_regions(name, adequacy=adequacy), adequacy)


@dataclass
class ResourceView:
    """A resource's inputs and provider as plain values."""

    type: str
    urn: str
    name: str
    props: dict[str, Any]
    provider_props: dict[str, Any] = field(default_factory=dict)
    provider_urn: str = ""
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_policy(cls, resource: Any) -> ResourceView:
        """Build from the SDK's ``ResourceValidationArgs`` or ``PolicyResource``."""
        provider = getattr(resource, "provider", None)
        parent = getattr(resource, "parent", None)
        return cls(
            type=resource.resource_type,
            urn=resource.urn,
            name=resource.name,
            props=plain(resource.props),
            provider_props=plain(provider.props) if provider is not None else {},
            provider_urn=provider.urn if provider is not None else "",
            parent=parent.urn if parent is not None and hasattr(parent, "urn") else None,
            dependencies=[d.urn for d in getattr(resource, "dependencies", []) or []],
            property_dependencies={
                k: [d.urn for d in v]
                for k, v in (getattr(resource, "property_dependencies", {}) or {}).items()
            },
        )

    @property
    def is_aws(self) -> bool:
        return self.type.startswith("aws:")

    @property
    def is_regional_aws(self) -> bool:
        return self.is_aws and not is_global_type(self.type)

    def effective_region(self) -> str | None:
        """Own ``region`` input, else the provider's ``region``; may be an unknown sentinel."""
        if self.type == AWS_PROVIDER_TYPE:
            own = self.props.get("region")
            return own if own not in ("", None) else None
        own = self.props.get("region")
        if own not in ("", None):
            return str(own)
        from_provider = self.provider_props.get("region")
        if from_provider not in ("", None):
            return str(from_provider)
        return None

    def tags(self) -> dict[str, Any] | str | None:
        """Resource tags merged over the provider's ``defaultTags``; the sentinel if unknown."""
        own = self.props.get("tags")
        if is_unknown(own):
            return str(own)
        default_tags = get(maybe_json(self.provider_props.get("defaultTags")) or {}, "tags")
        if is_unknown(default_tags):
            return str(default_tags)
        merged: dict[str, Any] = {}
        if isinstance(default_tags, Mapping):
            merged.update(default_tags)
        if isinstance(own, Mapping):
            merged.update(own)
        if own is None and not merged:
            return None
        return merged


@dataclass
class StackView:
    resources: list[ResourceView]

    def __post_init__(self) -> None:
        self.by_urn = {r.urn: r for r in self.resources}

    @classmethod
    def from_policy(cls, resources: Iterable[Any]) -> StackView:
        return cls([ResourceView.from_policy(r) for r in resources])

    def of_type(self, *types: str) -> list[ResourceView]:
        return [r for r in self.resources if r.type in types]

    def dependencies_of(self, resource: ResourceView, prop: str, *types: str) -> list[ResourceView]:
        """Resources of ``types`` that feed the input ``prop`` (engine property dependencies)."""
        urns = resource.property_dependencies.get(prop, [])
        found = [self.by_urn[u] for u in urns if u in self.by_urn]
        return [r for r in found if not types or r.type in types]

    def find_by_input(self, types: Iterable[str], prop: str, value: Any) -> list[ResourceView]:
        """Resources of ``types`` whose input ``prop`` equals the literal ``value``."""
        if value is None or is_unknown(value):
            return []
        wanted = set(types)
        return [r for r in self.resources if r.type in wanted and r.props.get(prop) == value]


# -- residency verdicts shared by the rule modules --------------------------------------


def where(region: object) -> str:
    return "unknown at preview" if is_unknown(region) else repr(region)


def region_problem(j: Jurisdiction, what: str, region: object) -> str | None:
    """Why ``region`` is not acceptable for ``what``, or None when it is."""
    if region is None:
        return (
            f"{what} has no region the pack can see (no own 'region' and no provider "
            f"'region'); residency fails closed"
        )
    if is_unknown(region):
        return f"{what}: region is unknown at preview; residency fails closed"
    if not j.allows(str(region)):
        return f"{what} is in {region!r}, outside jurisdiction {j.describe()}"
    return None
