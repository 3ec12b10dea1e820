"""One explicit AWS provider per region: no resource relies on an ambient default region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pulumi
import pulumi_aws as aws


def regional_providers(
    stack: str, regions: Iterable[str], *, allowed_account_ids: Iterable[str] = ()
) -> Mapping[str, aws.Provider]:
    """``{region: provider}``; the provider name carries the region so URNs say where."""
    accounts = list(allowed_account_ids) or None
    return {
        region: aws.Provider(
            f"aws-{region}",
            region=region,
            allowed_account_ids=accounts,
            opts=pulumi.ResourceOptions(),
        )
        for region in regions
    }
