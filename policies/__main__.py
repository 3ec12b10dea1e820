"""Serve the policy pack (the engine starts this; it never returns)."""

# The engine runs this file with the pack directory as cwd and sys.path[0]: gdpr_pack is a
# top-level package here (and policies.gdpr_pack for the tests and the program).
from gdpr_pack.pack import DEFAULT_LEVEL, PACK_NAME, policies  # type: ignore[import-not-found]
from pulumi_policy import PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=DEFAULT_LEVEL,
    policies=policies(),
    description="GDPR residency, KMS encryption, tags and a security baseline for AWS.",
)
