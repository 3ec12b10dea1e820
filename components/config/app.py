"""``app``: the API workload on each region's cluster."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, StringConstraints

from components.config.errors import ConfigError
from components.config.fields import Model, NonEmpty

_K8sQuantity = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi)?$")]
_Path = Annotated[str, StringConstraints(pattern=r"^/")]


class AppConfig(Model):
    """The API workload on each region's cluster."""

    #: Outside production, an image from elsewhere while ``release.imageDigest`` is unset:
    #: pinned by digest (``repo@sha256:...``) or an explicit tag other than ``latest``.
    image: NonEmpty | None = None
    namespace: NonEmpty = "api"
    replicas: int = Field(default=3, ge=2)
    min_replicas: int = Field(default=2, ge=2)
    max_replicas: int = Field(default=10, ge=2)
    target_cpu_percent: int = Field(default=70, ge=10, le=95)
    port: int = Field(default=8080, ge=1024, le=65535)
    cpu_request: _K8sQuantity = "250m"
    cpu_limit: _K8sQuantity = "1"
    memory_request: _K8sQuantity = "512Mi"
    memory_limit: _K8sQuantity = "1Gi"
    #: The API's own probe paths (app/health.py): liveness and readiness.
    liveness_path: _Path = "/v1/health"
    readiness_path: _Path = "/v1/ready"
    #: PostgreSQL user the API logs in as with an IAM token (rds-db:connect).
    db_user: NonEmpty = "app"
    jwt_issuer: NonEmpty
    jwt_audience: NonEmpty
    #: Where the API fetches the issuer's signing keys (else it needs a configured PEM key).
    jwt_jwks_url: Annotated[str, StringConstraints(pattern=r"^https://")] | None = None
    #: HTTPS destinations outside the VPC the API pods may call (the JWKS host's ranges);
    #: AWS APIs go through VPC endpoints and need none.
    https_egress_cidrs: tuple[NonEmpty, ...] = ()
    #: Outbox workers (app/audit/worker.py) per region.
    worker_replicas: int = Field(default=2, ge=1)
    #: Helm chart version of the AWS Load Balancer Controller (TargetGroupBinding only).
    lb_controller_chart_version: NonEmpty = "1.13.0"


def check_app(app: AppConfig) -> None:
    image = app.image
    if image is not None and "@sha256:" not in image:
        name, _, tag = image.rpartition(":")
        if not name or "/" in tag or tag in {"", "latest"}:
            raise ConfigError(
                "app.image",
                f"{image!r} is not pinned; use repo@sha256:<digest> or an explicit tag, "
                "never latest",
            )
    for i, cidr in enumerate(app.https_egress_cidrs):
        key = f"app.httpsEgressCidrs[{i}]"
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise ConfigError(key, f"{cidr!r}: {exc}") from None
        if net.prefixlen < 8:
            raise ConfigError(key, f"{cidr!r} is too wide; name the service's own ranges")
    if not app.min_replicas <= app.replicas <= app.max_replicas:
        raise ConfigError(
            "app.replicas",
            f"need minReplicas <= replicas <= maxReplicas, got {app.min_replicas} <= "
            f"{app.replicas} <= {app.max_replicas}",
        )
