"""Example values that must never reach a production stack.

The committed stack files are templates: they carry AWS's documentation account, the
``example`` domains, the documentation address ranges and Pulumi's placeholder
organization so that the offline preview runs from a clone. A production stack deployed
with one of them would half work (an admin role in nobody's account, pods that cannot
fetch signing keys, alarms mailed to nobody). :func:`find_example_values` names every such
value; :func:`refuse_example_values` turns the first into one line: the key, and what to put
there.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

#: AWS's documentation account IDs (docs.aws.amazon.com examples).
EXAMPLE_ACCOUNTS = ("123456789012", "111122223333", "444455556666", "777788889999")
#: RFC 2606 / 6761 names reserved for examples and tests.
EXAMPLE_DOMAIN_LABELS = ("example",)
EXAMPLE_TLDS = ("example", "test", "invalid", "localhost")
#: RFC 5737 / 3849 documentation ranges: never routable, so nothing real lives there.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
#: The organization name of Pulumi's self-managed backends; on Pulumi Cloud it is a
#: placeholder for the real organization.
SELF_MANAGED_ORGANIZATION = "organization"

_ACCOUNT = re.compile(r"(?<!\d)(" + "|".join(EXAMPLE_ACCOUNTS) + r")(?!\d)")
_PLACEHOLDER_DIGEST = re.compile(r"sha256:([0-9a-f])\1{63}")
_EXAMPLE_WORD = re.compile(r"(?<![A-Za-z0-9])example(?![A-Za-z0-9])", re.IGNORECASE)
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\.?")

#: What a production stack needs at a key (dotted, list indexes dropped).
FIXES: Mapping[str, str] = {
    "eks.adminRoleArn": "the ARN of the IAM role of your cluster administrators, in this "
    "stack's account",
    "central.producerRoleArns": "the apiRoleArns output of each producing stack (its "
    "account's role gdpr-platform-<stack>-api-<region>)",
    "central.hostStack": "<your Pulumi organization>/gdpr-platform/<hub stack>",
    "edge.viewerCertificateArn": "the ARN of your issued ACM certificate for the aliases, "
    "in us-east-1 of this stack's account",
    "edge.originCertificateArns": "the ARN of your issued ACM certificate in that region",
    "edge.aliases": "the API's real domain name(s), on your certificates",
    "app.image": "nothing: remove it and let the image job set release.imageDigest",
    "app.jwtIssuer": "your identity provider's issuer URL for this jurisdiction",
    "app.jwtJwksUrl": "your identity provider's JWKS URL",
    "app.httpsEgressCidrs": "the published address ranges of your identity provider's JWKS host",
    "audit.institutionUrl": "the auditing institution's HTTPS endpoint",
    "observability.alarmEmails": "your on-call address(es)",
    "tags.owner": "the owning team's real address or ID",
    "release.imageDigest": "the digest the image job pushed (it sets it with pulumi config set)",
    "deployer.connectionArn": "the ARN of your approved CodeConnections GitHub connection",
    "deployer.githubRepository": "<owner>/<name> of your repository",
}
DEFAULT_FIX = "the real value for your account and organization"


@dataclass(frozen=True)
class ExampleValue:
    """One example value: where it is, what it is, why it is an example."""

    key: str
    value: str
    reason: str

    @property
    def fix(self) -> str:
        return FIXES.get(re.sub(r"\[\d+\]", "", self.key), DEFAULT_FIX)

    def detail(self) -> str:
        return f"{self.value!r} is an example value ({self.reason}); production needs {self.fix}"

    def message(self) -> str:
        """One line: the key, the value, why it is an example, what to put there."""
        return f"gdpr-platform:{self.key}: {self.detail()}"


def find_example_values(
    raw: Mapping[str, Any], *, organization: str | None = None
) -> list[ExampleValue]:
    """Every example value in ``raw`` (stack config without the namespace), in key order.

    ``organization`` is the backend's organization: ``central.hostStack`` may only name
    ``organization/...`` where that is the real one (a self-managed backend).
    """
    found: list[ExampleValue] = []
    for key, value in _leaves(raw):
        reason = _example_reason(value)
        if reason is None and key == "central.hostStack":
            reason = _placeholder_organization(value, organization)
        if reason is not None:
            found.append(ExampleValue(key, value, reason))
    return found


def refuse_example_values(raw: Mapping[str, Any], *, organization: str | None = None) -> None:
    """Raise ``ValueError`` with the first example value's one-line message."""
    found = find_example_values(raw, organization=organization)
    if found:
        raise ExampleValueError(found[0])


class ExampleValueError(ValueError):
    def __init__(self, example: ExampleValue) -> None:
        self.example = example
        super().__init__(example.message())


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str) and value[:1] in "{[":
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)  # structured values arrive as JSON text from the engine
    if isinstance(value, Mapping):
        for name in sorted(value):
            yield from _leaves(value[name], f"{key}.{name}" if key else str(name))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{key}[{i}]")
    elif isinstance(value, str):
        yield key, value


def _example_reason(value: str) -> str | None:
    if _PLACEHOLDER_DIGEST.fullmatch(value):
        return "placeholder digest"
    account = _ACCOUNT.search(value)
    if account:
        return f"AWS documentation account {account.group(1)}"
    network = _documentation_network(value)
    if network is not None:
        return f"documentation address range {network}"
    host = _host_of(value)
    if host is not None:
        labels = host.lower().rstrip(".").split(".")
        if labels[-1] in EXAMPLE_TLDS or any(lbl in EXAMPLE_DOMAIN_LABELS for lbl in labels):
            return f"reserved example domain {host}"
    if _EXAMPLE_WORD.search(value):
        return "names an example"
    return None


def _documentation_network(value: str) -> str | None:
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    for doc in DOCUMENTATION_NETWORKS:
        if net.version == doc.version and net.overlaps(doc):
            return str(doc)
    return None


def _host_of(value: str) -> str | None:
    text = value.strip()
    if "://" in text:
        return urlsplit(text).hostname
    if "@" in text:
        return text.rsplit("@", 1)[1] or None
    return text if _DOMAIN.fullmatch(text) else None


def _placeholder_organization(value: str, organization: str | None) -> str | None:
    org = value.split("/", 1)[0]
    if org == SELF_MANAGED_ORGANIZATION and organization != SELF_MANAGED_ORGANIZATION:
        return (
            "Pulumi's placeholder organization, valid only on a self-managed backend; this "
            f"backend's organization is {organization!r}"
        )
    return None
