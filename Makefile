# Two commands: `make serve` runs Podium on SQLite + a local folder; `make test` runs every test.
# Each creates .venv and installs what it needs on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

.PHONY: serve test lint typecheck check clean browsers lint-workflows

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.runtime

serve: $(VENV)/.runtime
	$(BIN)/podium server

test: $(VENV)/.dev lint-workflows
	$(BIN)/ruff check registry webhooks ci tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check registry webhooks ci tests benchmarks

typecheck: $(VENV)/.dev
	$(BIN)/mypy

# GitHub Actions files: actionlint (with shellcheck for run: scripts), GitHub's workflow schema, and
# zizmor's security audits, all offline. Any finding fails the build.
WORKFLOWS := .github/workflows/*.yml examples/gitops/.github/workflows/*.yml
lint-workflows: $(VENV)/.dev
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint $(WORKFLOWS)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions ci/action.yml
	$(BIN)/zizmor --offline --no-progress .github/workflows examples/gitops/.github/workflows ci/action.yml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
