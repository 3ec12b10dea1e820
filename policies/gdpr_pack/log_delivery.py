"""Who delivers access logs, and which buckets are access-log buckets.

One table for the program (components/access_logs.py writes the log bucket's policy from it)
and for the pack (the encryption rules' log-bucket exemption reads it).

Elastic Load Balancing writes ALB access logs as an account of its own in Regions opened
before August 2022, and as the ``logdelivery.elasticloadbalancing.amazonaws.com`` service
principal in Regions opened since
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
S3 server access logs are written by ``logging.s3.amazonaws.com``
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
Both deliveries support SSE-S3 only on the target bucket, never SSE-KMS.
"""

from __future__ import annotations

import json
from typing import Any

from .context import ResourceView, StackView
from .values import as_list, get, is_unknown, known

S3_LOG_SERVICE = "logging.s3.amazonaws.com"
ELB_LOG_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

#: The Elastic Load Balancing account of each commercial Region opened before August 2022,
#: from the page above ("Regions available before August 2022").
ELB_ACCOUNT_IDS: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
#: Regions opened since August 2022: the service principal. A Region in neither table is
#: refused rather than guessed.
ELB_SERVICE_PRINCIPAL_REGIONS = frozenset(
    {"eu-south-2", "eu-central-2", "il-central-1", "ca-west-1", "ap-south-2", "ap-southeast-4"}
)

S3_BUCKET = "aws:s3/bucket:Bucket"
BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
#: The only default encryption both log deliveries accept.
SSE_S3 = "AES256"


def elb_log_principal(region: str) -> dict[str, str]:
    """The bucket-policy ``Principal`` that delivers ALB access logs in ``region``."""
    if region in ELB_ACCOUNT_IDS:
        return {"AWS": f"arn:aws:iam::{ELB_ACCOUNT_IDS[region]}:root"}
    if region in ELB_SERVICE_PRINCIPAL_REGIONS:
        return {"Service": ELB_LOG_SERVICE}
    raise ValueError(
        f"no known Elastic Load Balancing log delivery for region {region!r}; add it to "
        "ELB_ACCOUNT_IDS or ELB_SERVICE_PRINCIPAL_REGIONS in policies/gdpr_pack/log_delivery.py"
    )


_DELIVERY_PRINCIPALS = frozenset(
    {
        f"Service:{S3_LOG_SERVICE}",
        f"Service:{ELB_LOG_SERVICE}",
        *(f"AWS:arn:aws:iam::{a}:root" for a in ELB_ACCOUNT_IDS.values()),
    }
)


def refers_to(res: ResourceView, prop: str, bucket: ResourceView) -> bool:
    """Does ``res``'s ``prop`` (dotted) name ``bucket``, by dependency or by name?"""
    value = get(res.props, *prop.split("."))
    top = prop.split(".", 1)[0]
    if bucket.urn in res.property_dependencies.get(top, []):
        return True
    name = bucket.props.get("bucket")
    return value is not None and not is_unknown(value) and value == name


def is_log_target(stack: StackView, bucket: ResourceView) -> bool:
    """``bucket`` receives S3 server access logs or load balancer access logs."""
    return any(
        refers_to(lg, "targetBucket", bucket) for lg in stack.of_type(*BUCKET_LOGGING)
    ) or any(refers_to(lb, "accessLogs.bucket", bucket) for lb in stack.of_type(*LOAD_BALANCERS))


def _principals(principal: Any) -> set[str]:
    if principal == "*" or not isinstance(principal, dict):
        return {"*"}
    return {f"{kind}:{v}" for kind, values in principal.items() for v in as_list(values)}


def _only_log_writes(policy: Any) -> bool:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    for statement in as_list(get(policy, "Statement")):
        if get(statement, "Effect") != "Allow":
            continue
        actions = set(as_list(get(statement, "Action")))
        if actions != {"s3:PutObject"}:
            return False
        if not _principals(get(statement, "Principal")) <= _DELIVERY_PRINCIPALS:
            return False
    return True


def is_access_log_bucket(stack: StackView, bucket: ResourceView) -> bool:
    """The narrow exemption from "SSE-KMS with a CMK": a log target whose bucket policies allow
    nothing but log delivery putting objects. AWS supports only SSE-S3 there; our own roles
    read it through IAM, so no other principal can be granted writes by the bucket itself."""
    if not is_log_target(stack, bucket):
        return False
    policies = [p for p in stack.of_type(BUCKET_POLICY) if refers_to(p, "bucket", bucket)]
    return bool(policies) and all(
        _only_log_writes(known(p.props.get("policy"), "policy")) for p in policies
    )
