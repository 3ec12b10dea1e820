"""The environment the infrastructure gives each Lambda is what its handler reads."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import pulumi
import pytest

from app.lambdas.audit_shipper import ShipperConfig
from app.lambdas.central_consumer import ConsumerConfig
from components.workers import lambda_code, lambda_dependencies
from tests.infra.conftest import of_type
from tools.preview import PreviewResult

CONFIGS: dict[str, Callable[[Mapping[str, str]], object]] = {
    "app.lambdas.audit_shipper.handler": ShipperConfig.from_env,
    "app.lambdas.central_consumer.handler": ConsumerConfig.from_env,
}


def _functions(result: PreviewResult) -> list[dict[str, object]]:
    return [f["inputs"] for f in of_type(result, "aws:lambda/function:Function")]


@pytest.mark.parametrize("stack_name", ["eu", "us"])
def test_every_function_handler_exists_and_its_env_parses(
    stack_name: str, eu: PreviewResult, us: PreviewResult
) -> None:
    result = eu if stack_name == "eu" else us
    functions = _functions(result)
    assert functions
    for inputs in functions:
        handler = str(inputs["handler"])
        module_name, _, attribute = handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module_name), attribute))
        env = inputs["environment"]["variables"]  # type: ignore[index]
        config = CONFIGS[handler](env)
        assert config is not None


def test_hub_consumer_runs_only_where_the_hub_is(eu: PreviewResult, us: PreviewResult) -> None:
    handlers = {str(f["handler"]) for f in _functions(us)}
    assert "app.lambdas.central_consumer.handler" not in handlers
    assert "app.lambdas.central_consumer.handler" in {str(f["handler"]) for f in _functions(eu)}


def test_function_code_holds_the_handlers_and_their_schema_only() -> None:
    names = set(lambda_code().assets)
    assert "app/__init__.py" in names
    assert "app/lambdas/central_consumer.py" in names
    assert "app/lambdas/central_schema.sql" in names
    assert all(n == "app/__init__.py" or n.startswith("app/lambdas/") for n in names)
    assert not any("__pycache__" in n for n in names)


def test_missing_dependency_build_stops_the_program_with_the_fix() -> None:
    from components import workers

    missing = workers.PROJECT_DIR / "build" / "no-such-layer"
    with pytest.raises(pulumi.RunError, match="run `make lambda-layer`"):
        lambda_dependencies(missing)


def test_every_function_uses_its_own_regions_dependency_layer(eu: PreviewResult) -> None:
    layers = {r["urn"]: r for r in of_type(eu, "aws:lambda/layerVersion:LayerVersion")}
    assert {r["region"] for r in layers.values()} == {"eu-central-1", "eu-west-1"}
    for function in of_type(eu, "aws:lambda/function:Function"):
        (layer_urn,) = function["propertyDependencies"]["layers"]
        assert layers[layer_urn]["region"] == function["region"]
        assert (
            layers[layer_urn]["inputs"]["compatibleArchitectures"]
            == function["inputs"]["architectures"]
        )
