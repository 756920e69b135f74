# Two entry points for a fresh clone on a machine with only Python 3.11+:
#   make plan   plan the dev stack offline (no cloud account, no Pulumi CLI)
#   make test   ruff, the workflow linters, mypy and the whole pytest suite (at once)
#   make audit  Checkov beside the policy pack on every stack, and the anchor probes (installs Checkov)
# Both create the environment first when it is missing or stale.

PYTHON ?= python3
STACK ?= dev
VENV := .venv
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
# The wheel test builds with the same uv (tests/crossmesh_command/test_wheel.py).
export UV

export UV_PYTHON_DOWNLOADS := never
# Bytecode is written, to .pycache/: every process of a test run (the pytest workers, the commands the
# tests start, mypy's plugins) imports the same few thousand modules, and with PYTHONDONTWRITEBYTECODE
# set, as some CI images and containers set it to keep source trees clean, each compiled them again:
# a fifth of a warm `make test`'s CPU time. The tree stays clean all the same.
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(CURDIR)/.pycache
# No bytecode compiled at install time: it compiled all 8,900 SDK files, half of a fresh `make plan`,
# though the crossmesh command loads a few hundred and keeps its own cache of them
# (offline/sdk_loading.py); `pulumi preview`/`up` and the one test that loads the SDKs the standard way
# compile only the modules they import, once.

.PHONY: plan test lint typecheck unit env bench bench-diff clean audit

plan: $(VENV)/.synced
	$(VENV)/bin/crossmesh plan --stack $(STACK)

# The three run at once: pytest keeps both cores busy for most of the run, and mypy and the linters, one
# process each, would otherwise leave a core idle while they run first (ten seconds of a cold run).
test:
	@$(MAKE) --no-print-directory --jobs=3 --output-sync=line lint typecheck unit

WORKFLOWS := $(wildcard .github/workflows/*.yml)

# The workflows pass both GitHub Actions linters: zizmor (security) and actionlint (correctness). The
# actionlint build on PyPI has wheels for Linux and Windows only; elsewhere zizmor runs alone.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/zizmor --offline --no-progress --quiet $(WORKFLOWS)
	@if [ -x $(VENV)/bin/actionlint ]; then echo "$(VENV)/bin/actionlint"; $(VENV)/bin/actionlint $(WORKFLOWS); \
	else echo "actionlint: no build for this platform; zizmor checked the workflows"; fi

# mypy checks the code against stubs that import only the SDK modules it uses (scripts/sdk_stubs.py).
typecheck: $(VENV)/.synced
	$(VENV)/bin/python -m scripts.sdk_stubs
	$(VENV)/bin/mypy

unit: $(VENV)/.synced
	$(VENV)/bin/pytest

env: $(VENV)/.synced

# Checkov lives in its own dependency group, so `make test` and `make plan` never wait for it. Each
# stack is audited, then the probes hold every cited check to the verdict the pack's rule reaches.
audit: $(VENV)/.synced
	$(UV) sync --locked --group audit --python $(PYTHON)
	for file in Pulumi.*.yaml; do \
		stack=$${file#Pulumi.}; stack=$${stack%.yaml}; \
		$(VENV)/bin/crossmesh audit --stack $$stack || exit $$?; \
	done
	$(VENV)/bin/pytest -m checkov tests/offline/test_audit.py

# How the offline plan scales with services (10 to 500), and a cold CI run (a fresh clone, empty
# package caches): both write to bench/results/, which git ignores; the README quotes figures by hand.
bench: $(VENV)/.synced
	$(VENV)/bin/python bench/plan_scale.py --write
	$(VENV)/bin/python bench/cold_ci.py --write

# How long crossmesh diff takes on prod and on two 500-service plans; writes bench/results/ too.
bench-diff: $(VENV)/.synced
	$(VENV)/bin/python bench/diff_scale.py --write

# uv comes from PyPI when the machine does not have it; the lock file pins everything else.
$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	touch $@

clean:
	rm -rf $(VENV) $(TOOLS) .pycache .mypy_cache .pytest_cache .ruff_cache
