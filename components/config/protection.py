"""``protection``: the stack's flags, and the floor production puts under them."""

from __future__ import annotations

from components.config.fields import Environment, Model


class ProtectionConfig(Model):
    """The flags as written in the stack file; components read :class:`ProtectionFloor`."""

    deletion_protection: bool = True
    #: Pulumi ``protect`` on data-bearing resources, so `pulumi destroy` cannot drop them.
    protect_resources: bool = True
    skip_final_snapshot: bool = False


class ProtectionFloor(Model):
    """How hard it is to lose data, settled once: the flags, raised to production's floor.

    Every component that holds data reads this, never :class:`ProtectionConfig`: databases
    (deletion protection, final snapshots, ``protect``), buckets, keys, secrets and queues
    (``protect``), clusters and load balancers (deletion protection).
    """

    deletion_protection: bool
    skip_final_snapshot: bool
    protect: bool
    #: The CMKs stay in AWS if the stack drops them: final snapshots, backups and replicas
    #: made under a key are unreadable without it.
    retain_keys: bool

    @classmethod
    def settle(cls, protection: ProtectionConfig, environment: Environment) -> ProtectionFloor:
        production = environment is Environment.PRODUCTION
        return cls(
            deletion_protection=protection.deletion_protection or production,
            skip_final_snapshot=protection.skip_final_snapshot and not production,
            protect=protection.protect_resources or production,
            retain_keys=production,
        )
