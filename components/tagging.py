"""Required tags on every taggable resource, put on in one place: a stack transform.

Each resource keeps the tags it sets itself (so a resource may declare its own
``data-classification``); the stack's defaults fill in the rest.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Mapping

import pulumi
from pulumi.runtime import rpc

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
#: What an EC2 launch template creates and can tag at launch.
LAUNCHED_KINDS: tuple[str, ...] = ("instance", "volume", "network-interface")


def classification(value: str) -> dict[str, str]:
    """Tags for a resource whose data classification differs from the stack's default."""
    return {"data-classification": value}


@functools.cache
def accepts_tags(type_token: str) -> bool:
    """Does the resource type take a ``tags`` input? Read from the installed SDK class."""
    try:
        package, module, _ = type_token.split(":")
    except ValueError:
        return False
    registered = rpc.get_resource_module(package, module, "")
    mod_info = getattr(registered, "mod_info", None)
    if not isinstance(mod_info, dict):
        return False
    class_name = mod_info.get("classes", {}).get(type_token)
    if class_name is None:
        return False
    cls = getattr(importlib.import_module(mod_info["fqn"]), class_name, None)
    init = getattr(cls, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def make_tags_transform(
    defaults: Mapping[str, str],
) -> pulumi.ResourceTransform:
    """A resource transform that merges ``defaults`` under each resource's own tags."""
    frozen = dict(defaults)

    def add_required_tags(
        args: pulumi.ResourceTransformArgs,
    ) -> pulumi.ResourceTransformResult | None:
        if not accepts_tags(args.type_):
            return None
        own = args.props.get("tags")
        if own is not None and not isinstance(own, Mapping):
            # Unknown until apply: leave it; the policy pack reports what is missing.
            return None
        tags = {**frozen, **(own or {})}
        props = {**args.props, "tags": tags}
        if args.type_ == LAUNCH_TEMPLATE and not props.get("tagSpecifications"):
            # A template's own tags stay on the template; what it launches needs them too.
            props["tagSpecifications"] = [
                {"resourceType": kind, "tags": tags} for kind in LAUNCHED_KINDS
            ]
        return pulumi.ResourceTransformResult(props=props, opts=args.opts)

    return add_required_tags


def register_required_tags(defaults: Mapping[str, str]) -> None:
    """Install the transform for every resource declared after this call."""
    pulumi.runtime.register_resource_transform(make_tags_transform(defaults))
