"""Plain-value helpers shared by every rule.

The policy SDK hands rules a proxy over the resource's inputs that raises as soon as an
unknown (computed-at-update) value is read. Rules here unwrap the proxy into plain dicts and
lists first, so that they can *see* an unknown and decide: a residency rule fails closed, the
others re-raise ``UnknownValueError`` and the SDK reports "can't run during preview".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

#: The sentinels the engine sends for values that are unknown during preview.
UNKNOWN_SENTINELS: frozenset[str] = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)


def is_unknown(value: object) -> bool:
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def contains_unknown(value: object) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


#: id(proxy) -> (proxy, its plain copy): every rule reads the same proxy of a resource (the
#: SDK's decoding is memoized, see sdk_speed.py), so it is copied once. Rules never mutate it.
_PLAIN: dict[int, tuple[Any, Any]] = {}
_PLAIN_MAX = 20_000


def plain(value: Any) -> Any:
    """Recursively copy the SDK's unknown-checking proxies into plain dicts and lists.

    Reading through the proxy raises on an unknown; its ``"__target"`` key (the same one the
    SDK's own serializer uses) gives the raw value with the sentinel intact.
    """
    if _is_proxy(value):
        hit = _PLAIN.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if len(_PLAIN) >= _PLAIN_MAX:
            _PLAIN.clear()
        copied = _plain(value)
        _PLAIN[id(value)] = (value, copied)
        return copied
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        target = value["__target"] if _is_proxy(value) else value
        return {str(k): plain(target[k]) for k in target}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        target = value["__target"] if _is_proxy(value) else value  # type: ignore[call-overload]
        return [plain(v) for v in target]
    return value


def _is_proxy(value: object) -> bool:
    return type(value).__name__ in {"_DictProxy", "_ListProxy", "_DictSecretsProxy"}


def get(props: Any, *path: str | int) -> Any:
    """Value at ``path`` (keys and list indexes), ``None`` when any step is absent.

    An unknown along the way is returned as the sentinel itself, so callers can tell
    "absent" from "not known yet".
    """
    current: Any = props
    for step in path:
        if is_unknown(current):
            return current
        if isinstance(step, int):
            if not isinstance(current, list) or step >= len(current):
                return None
            current = current[step]
        else:
            if not isinstance(current, Mapping):
                return None
            current = current.get(step)
    return current


def known(value: Any, *path: str | int) -> Any:
    """Return ``value``; raise the SDK's ``UnknownValueError`` when it is an unknown.

    For rules other than residency: the SDK turns the error into an advisory "can't run
    policy during preview", exactly as if the rule had read the proxy itself. Only the value
    itself is checked; unknowns deeper down matter only where a rule reads them.
    """
    if is_unknown(value):
        raise UnknownValueError(value, [str(p) for p in path])
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def truthy(value: Any, *path: str | int) -> bool:
    """Booleans may arrive as strings (provider inputs are JSON-encoded); unknown raises."""
    known(value, *path)
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def maybe_json(value: Any) -> Any:
    """Provider inputs other than strings reach the engine JSON-encoded; decode them."""
    if isinstance(value, str) and not is_unknown(value) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def arn_region(arn: Any) -> str | None:
    """The region field of an ARN (``arn:partition:service:region:account:resource``)."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    return parts[3] or None


def is_aws_managed_key(key: Any) -> bool:
    """True for an AWS-managed key alias (``alias/aws/...``), by name or by ARN."""
    return isinstance(key, str) and (key.startswith("alias/aws/") or ":alias/aws/" in key)


def stack_of(urn: str) -> str:
    """``urn:pulumi:<stack>::<project>::<type>::<name>`` -> ``<stack>``."""
    head = urn.split("::", 1)[0]
    return head.split(":", 2)[2] if head.count(":") >= 2 else ""
