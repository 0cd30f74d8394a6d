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

# Debian's headless Chromium and its driver for tests/browser, installed once when missing (the
# machines run as root). Outside CI a failed install only warns: the browser tests then skip.
browsers:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  echo "Installing chromium and chromium-driver for the browser tests..."; \
	  if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	       chromium chromium-driver; } >.browsers-install.log 2>&1; then rm -f .browsers-install.log; \
	  else cat .browsers-install.log; \
	    if [ -n "$$CI" ]; then exit 1; else echo "warning: no Chromium; browser tests will skip"; fi; fi; \
	fi

test: $(VENV)/.dev browsers lint-workflows
	$(BIN)/ruff check registry webhooks ci tests benchmarks
	$(BIN)/ruff format --check registry webhooks ci tests benchmarks
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
