"""Serve the policy pack (the engine starts this; it never returns)."""

from gdpr_pack.pack import DEFAULT_LEVEL, PACK_NAME, policies
from pulumi_policy import PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=DEFAULT_LEVEL,
    policies=policies(),
    description="GDPR residency, KMS encryption, tags and a security baseline for AWS.",
)
