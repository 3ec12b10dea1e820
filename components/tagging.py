"""Required tags on every taggable resource, put on in one place: a stack transform.

Each resource keeps the tags it sets itself (so a resource may declare its own
``data-classification``); the stack's defaults fill in the rest.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from policies.gdpr_pack.taggable import is_taggable

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
#: What an EC2 launch template creates and can tag at launch.
LAUNCHED_KINDS: tuple[str, ...] = ("instance", "volume", "network-interface")


def classification(value: str) -> dict[str, str]:
    """Tags for a resource whose data classification differs from the stack's default."""
    return {"data-classification": value}


def make_tags_transform(
    defaults: Mapping[str, str],
) -> pulumi.ResourceTransform:
    """A resource transform that merges ``defaults`` under each resource's own tags."""
    frozen = dict(defaults)

    def add_required_tags(
        args: pulumi.ResourceTransformArgs,
    ) -> pulumi.ResourceTransformResult | None:
        if not is_taggable(args.type_):
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
