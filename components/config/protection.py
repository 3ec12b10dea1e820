"""``protection``: deletion protection, ``protect`` and final snapshots on data."""

from __future__ import annotations

from components.config.fields import Model


class ProtectionConfig(Model):
    deletion_protection: bool = True
    #: Pulumi ``protect`` on data-bearing resources, so `pulumi destroy` cannot drop them.
    protect_resources: bool = True
    skip_final_snapshot: bool = False
