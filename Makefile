# Justice Crisis Tracker. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PORT ?= 8000
# The config file; its folder is the project root (data/, notebooks/, book/, _build/). Another one: CONFIG=path.
CONFIG ?= tracker.yml
JT = $(PY) -m justice_tracker --config $(CONFIG)

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# scripts/install-packages.sh installs with uv (pinned with its hashes in requirements-bootstrap.txt), or pip where
# uv cannot be installed; either checks every hash. Bytecode is compiled at install (about 20 s with pip, a few
# with uv): with PYTHONDONTWRITEBYTECODE set (as on CI) every process that imports pandas would compile it again.
$(STAMP): requirements.txt requirements-bootstrap.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	scripts/install-packages.sh $(VENV) --require-hashes -r requirements.txt
	scripts/install-packages.sh $(VENV) --no-deps -e .
	@touch $@

# The test packages (pytest, Playwright, ...), pinned on top of the runtime ones: for `test` and `benchmark` only.
$(TEST_STAMP): $(STAMP) requirements-test.txt
	scripts/install-packages.sh $(VENV) --require-hashes -r requirements-test.txt
	@touch $@

venv: $(STAMP) ## Create .venv and install the pinned requirements

venv-test: $(TEST_STAMP) ## The same, plus the test packages

book: $(STAMP) ## Build the site from the committed data into _build/html
	$(JT) build

data: $(STAMP) ## Rebuild the processed tables whose inputs changed (FORCE=1: all of them; TABLE=id: one and what reads it)
	$(JT) data $(if $(FORCE),--force,) $(if $(TABLE),--table $(TABLE),)

update: $(STAMP) ## Fetch new MoJ releases from GOV.UK into data/raw (DRY_RUN=1 lists them only)
	$(JT) update $(if $(DRY_RUN),--dry-run,) $(if $(NO_PROGRESS),--no-progress,)

parse: $(STAMP) ## Print the tidy table of one raw file as CSV: make parse FILE=path
	@test -n "$(FILE)" || { echo "usage: make parse FILE=path/to/raw/file"; exit 2; }
	$(JT) parse "$(FILE)"

toc: $(STAMP) ## Regenerate _toc.yml from tracker.yml
	$(JT) toc

browser: ## Install Debian's chromium for the browser tests, if it is missing
	scripts/install-browser.sh

test: $(TEST_STAMP) book browser ## Build the site, then run the whole test suite on every core
	$(PY) -m pytest -n auto --dist loadgroup

test-fast: $(TEST_STAMP) ## The quick tier: no site build, no browser (about a minute)
	$(PY) -m pytest -n auto --dist loadgroup -m "not slow"

SERVE_DIR ?= _build/html
serve: ## Serve the working draft on http://127.0.0.1:$(PORT)/ (SERVE_DIR=_build/site for the editions)
	@test -f $(SERVE_DIR)/index.html || { echo "nothing built in $(SERVE_DIR) yet: run make book (or make site)"; exit 1; }
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(SERVE_DIR)

edition: $(STAMP) ## Freeze the data and build a new edition: make edition [ID=2026-12] [DATE=2026-12-02]
	$(JT) edition $(if $(ID),--id $(ID),) $(if $(DATE),--date $(DATE),)

site: $(STAMP) ## Build every edition missing from _build/site (checked against its manifest) and the site root
	$(JT) site

verify-edition: $(STAMP) ## Rebuild one edition from the repo and compare with its manifest: make verify-edition ID=
	@test -n "$(ID)" || { echo "usage: make verify-edition ID=2026-12"; exit 2; }
	$(JT) verify-edition "$(ID)"

publish-check: $(STAMP) ## Check _build/site: links, anchors, alt text, editions.json, feed, manifests
	$(JT) publish-check

benchmark: $(TEST_STAMP) book ## Benchmarks: ingest, ODS/XLSX readers, page weight, full and no-op builds (ratios in one run)
	$(PY) scripts/benchmark.py

lock: ## Re-resolve pyproject.toml's dependencies into requirements.txt and requirements-test.txt (with hashes)
	scripts/lock-requirements.sh

clean: ## Remove the build output and executed notebooks (keeps data and .venv)
	rm -rf _build book/*.ipynb book/chapters/*.ipynb book/prisons/*.ipynb _static/vendor _extra/charts _extra/data .pytest_cache

.PHONY: help venv book data update parse toc browser test test-fast serve edition site verify-edition publish-check \
	benchmark lock clean
