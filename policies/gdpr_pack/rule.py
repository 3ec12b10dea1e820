"""One rule = a name, a one-line description, a level, a severity, tunable config, a check.

Checks are plain functions over :class:`ResourceView` / :class:`StackView` that yield what is
wrong; :meth:`Rule.policy` wraps them into the SDK's policy objects. Tests call the checks
directly (fast) and also through the analyzer protocol (real).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .context import JurisdictionError, ResourceView, StackView
from .jurisdictions import JURISDICTIONS

ResourceCheck = Callable[[ResourceView, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[StackView, Mapping[str, Any]], Iterable[tuple[str, str]]]

#: Config every jurisdiction-aware rule accepts.
JURISDICTION_CONFIG: Mapping[str, Mapping[str, Any]] = {
    "jurisdiction": {
        "type": "string",
        "enum": list(JURISDICTIONS),
        "description": "Jurisdiction of the stack; defaults to the stack name.",
    },
    "adequacy": {
        "type": "boolean",
        "default": False,
        "description": "Also admit regions of countries with an adequacy decision.",
    },
}

#: Classifications that may cross a border (design: only these may be a cross-border payload).
CROSS_BORDER_CONFIG: Mapping[str, Mapping[str, Any]] = {
    "crossBorderClassifications": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["pseudonymized", "aggregate", "public"],
        "description": "data-classification tag values allowed to leave the jurisdiction.",
    },
}


#: The GDPR article each group of rules serves (shown with the policy in Pulumi Cloud).
GDPR_REFERENCES: Mapping[str, str] = {
    "residency": "Art. 44-49 (transfers to third countries)",
    "encryption": "Art. 32(1)(a) (encryption of personal data)",
    "tags": "Art. 30 (records of processing)",
    "baseline": "Art. 32 (security of processing)",
    "operations": "Art. 44-49 and 32(1)(a) (aggregated operational data: residency, encryption)",
}


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    group: str
    severity: Severity
    enforcement_level: EnforcementLevel
    fix: str
    url: str
    types: frozenset[str] = frozenset()
    applies: Callable[[str], bool] | None = None
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    checkov: tuple[str, ...] = ()
    security_hub: tuple[str, ...] = ()

    def applies_to(self, type_token: str) -> bool:
        if self.applies is not None:
            return self.applies(type_token)
        return type_token in self.types

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def message(self, problem: str) -> str:
        return f"{problem}\nFix: {self.fix}\nSee {self.url}"

    # -- direct evaluation (tests, tools) -------------------------------------------------

    def check_resource(self, view: ResourceView, config: Mapping[str, Any]) -> list[str]:
        if self.resource_check is None or not self.applies_to(view.type):
            return []
        merged = {**self.defaults(), **config}
        try:
            return [self.message(p) for p in self.resource_check(view, merged)]
        except JurisdictionError as e:
            return [self.message(str(e))]

    def check_stack(self, stack: StackView, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        return list(self._stack_problems(stack, config))

    def _stack_problems(
        self, stack: StackView, config: Mapping[str, Any]
    ) -> Iterator[tuple[str, str]]:
        """Lazily, so that problems found before an unknown still get reported."""
        if self.stack_check is None:
            return
        merged = {**self.defaults(), **config}
        try:
            for urn, problem in self.stack_check(stack, merged):
                yield urn, self.message(problem)
        except JurisdictionError as e:
            yield "", self.message(str(e))

    # -- the SDK policy ------------------------------------------------------------------

    def policy(self) -> Policy:
        schema = PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()})
        common: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement_level,
            "config_schema": schema if self.config else None,
            "severity": self.severity,
            "remediation_steps": self.fix,
            "url": self.url,
            "tags": [self.group],
            "framework": PolicyComplianceFramework(
                name="GDPR", version="2016/679", reference=GDPR_REFERENCES[self.group]
            ),
        }
        if self.stack_check is not None:
            return StackValidationPolicy(validate=self._validate_stack, **common)
        return ResourceValidationPolicy(validate=self._validate_resource, **common)

    def _validate_resource(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not self.applies_to(args.resource_type):
            return
        view = ResourceView.from_policy(args)
        for message in self.check_resource(view, args.get_config() or {}):
            report(message, None)

    def _validate_stack(self, args: StackValidationArgs, report: ReportViolation) -> None:
        stack = StackView.from_policy(args.resources)
        for urn, message in self._stack_problems(stack, args.get_config() or {}):
            report(message, urn or None)


def each(
    resources: Iterable[ResourceView], check: Callable[[ResourceView], Iterable[tuple[str, str]]]
) -> Iterator[tuple[str, str]]:
    """Run a stack rule's ``check`` per resource so that one resource's unknown value does not
    hide the others' problems; the first unknown is raised at the end (SDK: advisory)."""
    pending: UnknownValueError | None = None
    for resource in resources:
        try:
            found = list(check(resource))
        except UnknownValueError as e:
            pending = pending or e
            continue
        yield from found
    if pending is not None:
        raise pending
