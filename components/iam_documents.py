"""IAM policy documents the compute tier hands to roles, as pure functions.

Kept apart from the components so that tests can read the same rules the program uses:
every permission statement is limited to the jurisdiction's regions, and web-identity
trust is pinned to one service account of one cluster.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

STS_AUDIENCE = "sts.amazonaws.com"


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    regions: Sequence[str],
) -> dict[str, Any]:
    """An Allow statement that only works in ``regions`` (aws:RequestedRegion)."""
    if not resources:
        raise ValueError(f"statement {sid} has no resources; leave it out instead")
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": sorted(resources),
        "Condition": {"StringEquals": {"aws:RequestedRegion": sorted(regions)}},
    }


def policy(statements: Sequence[dict[str, Any]]) -> str:
    if not statements:
        raise ValueError("a policy needs at least one statement")
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def irsa_trust_policy(
    oidc_provider_arn: str, oidc_provider_url: str, namespace: str, service_account: str
) -> str:
    """Trust for one Kubernetes service account through the cluster's OIDC provider."""
    issuer = oidc_provider_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": (
                                f"system:serviceaccount:{namespace}:{service_account}"
                            ),
                            f"{issuer}:aud": STS_AUDIENCE,
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def service_trust_policy(service: str, source_account: str | None = None) -> str:
    """Trust for an AWS service principal.

    With ``source_account`` the service may assume the role only on behalf of this account
    (confused-deputy guard); EC2 instance profiles and Lambda pass no source account.
    """
    trust: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [trust]}, sort_keys=True)


def region_of_arn(arn: str) -> str:
    """``arn:aws:sqs:eu-central-1:123:q`` -> ``eu-central-1``."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[3]:
        raise ValueError(f"{arn!r} is not a regional ARN")
    return parts[3]
