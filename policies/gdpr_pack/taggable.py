"""Which resource types take a ``tags`` map: the one answer for the pack and the program.

Kept free of the policy SDK so the Pulumi program's tag transform can import it, just as
it imports the jurisdiction table; the transform and the tag rules then agree by
construction.
"""

from __future__ import annotations

from .taggable_types import TAGGABLE_TYPES

#: Components whose inputs carry tags for their children.
TAGGABLE_COMPONENTS = frozenset({"eks:index:Cluster", "eks:index:ManagedNodeGroup"})


def is_taggable(type_token: str) -> bool:
    return type_token in TAGGABLE_TYPES or type_token in TAGGABLE_COMPONENTS
