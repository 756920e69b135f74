# Two entry points for a fresh clone on a machine with only Python 3.11+:
#   make plan   plan the dev stack offline (no cloud account, no Pulumi CLI)
#   make test   ruff, mypy and the whole pytest suite
# Both create the environment first when it is missing or stale.

PYTHON ?= python3
STACK ?= dev
VENV := .venv
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
# The wheel test builds with the same uv (tests/crossmesh_command/test_wheel.py).
export UV

export UV_PYTHON_DOWNLOADS := never
# The provider SDKs are large (pulumi_gcp.compute alone is ~10 MB of source): compiling them once at
# install time spares the standard loading (pulumi preview/up, one test) from parsing them again, even
# where bytecode writing is off. The crossmesh command keeps its own cache (offline/sdk_loading.py).
export UV_COMPILE_BYTECODE := 1

.PHONY: plan test lint typecheck unit env bench clean

plan: $(VENV)/.synced
	$(VENV)/bin/crossmesh plan --stack $(STACK)

test: lint typecheck unit

WORKFLOWS := $(wildcard .github/workflows/*.yml)

# The workflows pass both GitHub Actions linters: zizmor (security) and actionlint (correctness). The
# actionlint build on PyPI has wheels for Linux and Windows only; elsewhere zizmor runs alone.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/zizmor --offline --no-progress --quiet $(WORKFLOWS)
	@if [ -x $(VENV)/bin/actionlint ]; then echo "$(VENV)/bin/actionlint"; $(VENV)/bin/actionlint $(WORKFLOWS); \
	else echo "actionlint: no build for this platform; zizmor checked the workflows"; fi

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

unit: $(VENV)/.synced
	$(VENV)/bin/pytest

env: $(VENV)/.synced

# How the offline plan scales with services (10 to 500); writes bench/results.md.
bench: $(VENV)/.synced
	$(VENV)/bin/python bench/plan_scale.py --write

# uv comes from PyPI when the machine does not have it; the lock file pins everything else.
$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	touch $@

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .pytest_cache .ruff_cache
