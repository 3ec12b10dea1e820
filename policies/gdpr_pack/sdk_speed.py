"""Let the policy SDK decode each resource once per request instead of once per policy.

pulumi-policy 1.21's analyzer converts a resource's protobuf properties to a dict, decodes
them and wraps them in an unknown-checking proxy for *every* policy, before the policy can
say the type does not concern it; AnalyzeStack does it for every resource per stack policy.
With a rule per data store that is O(rules x resources) decoding and dominated the pack's
time. The three steps are pure functions of their input, so they are memoized here on the
input's identity (the request's messages live as long as the request; the memo holds them,
so an id is never reused while cached). Rules never mutate what they read.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pulumi_policy.policy as sdk

#: Entries kept before the memo starts over (a stack request holds a few per resource).
MAX_ENTRIES = 20_000


class Memo:
    """Memoize ``function(value, *args)`` on ``(id(value), args)``, holding ``value``."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.cache: dict[tuple[int, tuple[Any, ...]], tuple[Any, Any]] = {}

    def __call__(self, value: Any, *args: Any) -> Any:
        key = (id(value), args)
        hit = self.cache.get(key)
        if hit is not None and hit[0] is value:
            return hit[1]
        if len(self.cache) >= MAX_ENTRIES:
            self.cache.clear()
        result = self.function(value, *args)
        self.cache[key] = (value, result)
        return result


class _JsonFormat:
    """``google.protobuf.json_format`` with a memoized ``MessageToDict``."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self.MessageToDict = Memo(module.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _per_request(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A servicer method of one request argument, memoized on the request."""
    memo = Memo(lambda request, servicer: method(servicer, request))

    def wrapper(servicer: Any, request: Any) -> Any:
        return memo(request, servicer)

    return wrapper


def install() -> None:
    """Memoize the SDK's per-policy decoding (idempotent)."""
    module: Any = sdk  # the SDK's private module globals, typed loosely on purpose
    if isinstance(module.json_format, _JsonFormat):
        return
    module.json_format = _JsonFormat(module.json_format)
    module.deserialize_properties = Memo(module.deserialize_properties)
    module.unknown_checking_proxy = Memo(module.unknown_checking_proxy)
    # Options and provider are read-only views of the request, the same for every policy.
    servicer: Any = module._PolicyAnalyzerServicer
    servicer._get_resource_options = _per_request(servicer._get_resource_options)
    servicer._get_provider_resource = _per_request(servicer._get_provider_resource)
