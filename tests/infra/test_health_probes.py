"""The probes and the load balancer's health check ask the app the right questions: the
liveness probe the process, the readiness probe and the target group "can this pod serve",
never the per-shard status (one shard down must not take every pod out)."""

from __future__ import annotations

from fastapi.routing import APIRoute

from app import health
from tests.infra.conftest import of_type
from tests.infra.test_workload import k8s
from tools.preview import PreviewResult

TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"


def _route(endpoint: object) -> str:
    (path,) = [
        r.path for r in health.router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint
    ]
    return path


def test_kubernetes_probes_use_liveness_and_readiness(stack: PreviewResult) -> None:
    for region in stack.config.regions.all:
        (container,) = k8s(stack, "Deployment", region)["inputs"]["spec"]["template"]["spec"][
            "containers"
        ]
        assert container["livenessProbe"]["httpGet"]["path"] == _route(health.health)
        assert container["startupProbe"]["httpGet"]["path"] == _route(health.health)
        assert container["readinessProbe"]["httpGet"]["path"] == _route(health.ready)


def test_the_target_group_checks_readiness_not_the_shards(stack: PreviewResult) -> None:
    groups = of_type(stack, TARGET_GROUP)
    assert groups
    for group in groups:
        check = group["inputs"]["healthCheck"]
        assert check["path"] == _route(health.ready)
        assert check["path"] != _route(health.shards)
