# Entry points. Each target sets up what it needs: a virtualenv with pinned packages and,
# for the tests, PostgreSQL's server binaries (the tests start their own server).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements*.txt policies/requirements.txt app/requirements*.txt app/lambdas/requirements.txt constraints.txt 2>/dev/null | sha256sum | cut -c1-12)

.PHONY: preview preview-json test lint typecheck pytest postgres bench clean lambda-layer local policy-venv
.PHONY: report chromium graphviz
# One stack per stack file (Pulumi.<stack>.yaml), each a row of the pack's jurisdiction table.
STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))
LAYER  := build/lambda-layer/.built-$(shell cat app/lambdas/requirements.txt 2>/dev/null | sha256sum | cut -c1-12)
API_LAYER := build/lambda-api-layer/.built-$(shell cat app/requirements-lambda.txt 2>/dev/null | sha256sum | cut -c1-12)

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	rm -f $(VENV)/.installed-* && touch $@

## The Lambda handlers' third-party packages, built for the Lambda runtime (python3.12,
## arm64) whatever this machine is; the program ships them as a layer per region.
lambda-layer: $(LAYER) $(API_LAYER)
$(LAYER): $(STAMP)
	rm -rf build/lambda-layer
	$(BIN)/python -m pip install --quiet --target build/lambda-layer/python \
		--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
		--implementation cp --python-version 3.12 --only-binary=:all: \
		-r app/lambdas/requirements.txt
	touch $@

## The policy pack's own virtualenv (PulumiPolicy.yaml) for `pulumi preview --policy-pack`,
## pinned like the program's; without it the CLI makes one from policies/requirements.txt.
policy-venv: policies/venv/.installed
policies/venv/.installed: policies/requirements.txt constraints.txt
	$(PYTHON) -m venv policies/venv
	policies/venv/bin/python -m pip install --quiet -r policies/requirements.txt -c constraints.txt

## Lambda mode (compute.mode: lambda): the API's and the outbox worker's packages.
$(API_LAYER): $(STAMP)
	rm -rf build/lambda-api-layer
	$(BIN)/python -m pip install --quiet --target build/lambda-api-layer/python \
		--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 \
		--implementation cp --python-version 3.12 --only-binary=:all: \
		-r app/requirements-lambda.txt
	touch $@

## The main job: offline preview of both stacks, policy pack included; fails on a
## mandatory violation or bad config.
preview: $(STAMP) $(LAYER) $(API_LAYER)
	@set -e; for stack in $(STACKS); do $(BIN)/python -m tools.preview --stack $$stack; done
	@echo "Residency report (HTML, JSON, diagram) per stack: make report -> build/report/<stack>/report.html"

## The residency report a DPO reads: build/report/<stack>/report.{html,json}, diagram.svg.
## Exits non-zero when any path personal data takes leaves the jurisdiction undeclared.
report: $(STAMP) $(LAYER) $(API_LAYER) graphviz
	@set -e; for stack in $(STACKS); do $(BIN)/python -m tools.residency_report --stack $$stack; done

preview-json: $(STAMP) $(LAYER) $(API_LAYER)
	@set -e; for stack in $(STACKS); do $(BIN)/python -m tools.preview --stack $$stack --json; done

## Lint, type-check, then every test (PostgreSQL and moto are started by the fixtures).
test: $(STAMP) $(LAYER) $(API_LAYER) postgres graphviz chromium lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .
	@if [ -f policies/__main__.py ]; then $(BIN)/mypy policies/__main__.py; fi

pytest: $(STAMP) $(LAYER) $(API_LAYER) postgres graphviz chromium
	$(BIN)/python -m pytest

postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		echo "installing PostgreSQL server binaries (Debian package 'postgresql')"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi

## The report's diagram is laid out by Graphviz's dot (Debian package 'graphviz').
graphviz:
	@if ! command -v dot >/dev/null; then \
		echo "installing Graphviz (Debian package 'graphviz')"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null; \
	fi

## The report's browser test draws the page in Debian's headless Chromium.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Chromium (Debian package 'chromium')"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; \
	fi

## The API locally: real PostgreSQL and moto on 127.0.0.1, eu and us APIs on two ports.
local: $(STAMP) postgres
	$(BIN)/python -m app.local

bench: $(STAMP) $(LAYER) postgres
	$(BIN)/python bench/preview_bench.py

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache .hypothesis
