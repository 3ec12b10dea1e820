"""Field types shared by several sections: one validator each."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Model(BaseModel):
    """Base of every section: frozen, no unknown keys, camelCase keys in the stack file."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
    )


class Environment(StrEnum):
    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"


#: Retention values CloudWatch Logs accepts (days).
# fmt: off
LOG_RETENTION_DAYS: frozenset[int] = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
})
# fmt: on


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"CloudWatch Logs accepts only {sorted(LOG_RETENTION_DAYS)} days, got {value}"
        )
    return value


#: Days a CloudWatch log group keeps events; only the values CloudWatch accepts.
LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]

_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    return value


#: An IAM role ARN in any partition.
RoleArn = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_role_arn)]


def _private_cidr(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid CIDR: {exc}") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise ValueError(f"{value!r} must be an IPv4 CIDR")
    if not net.is_private:
        raise ValueError(f"{value!r} is not a private (RFC 1918) range")
    return value


#: A private (RFC 1918) IPv4 network, without host bits.
PrivateCidr = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_private_cidr)
]
