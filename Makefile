# Justice Crisis Tracker. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

venv: $(STAMP) ## Create .venv and install the pinned requirements

book: $(STAMP) ## Build the site from the committed data into _build/html
	$(PY) -m justice_tracker build

data: $(STAMP) ## Rebuild data/processed from the raw files (data/raw or ../shared/data/raw)
	$(PY) -m justice_tracker data

update: $(STAMP) ## Fetch new MoJ releases from GOV.UK into data/raw (DRY_RUN=1 lists them only)
	$(PY) -m justice_tracker update $(if $(DRY_RUN),--dry-run,)

parse: $(STAMP) ## Print the tidy table of one raw file as CSV: make parse FILE=path
	@test -n "$(FILE)" || { echo "usage: make parse FILE=path/to/raw/file"; exit 2; }
	$(PY) -m justice_tracker parse "$(FILE)"

toc: $(STAMP) ## Regenerate _toc.yml from tracker.yml
	$(PY) -m justice_tracker toc

browser: ## Install Debian's chromium for the browser tests, if it is missing
	scripts/install-browser.sh

test: book browser ## Build the site, then run the whole test suite
	$(PY) -m pytest

SERVE_DIR ?= _build/html
serve: ## Serve the working draft on http://127.0.0.1:$(PORT)/ (SERVE_DIR=_build/site for the editions)
	@test -f $(SERVE_DIR)/index.html || { echo "nothing built in $(SERVE_DIR) yet: run make book (or make site)"; exit 1; }
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory $(SERVE_DIR)

edition: $(STAMP) ## Freeze the data and build a new edition: make edition [ID=2026-12] [DATE=2026-12-02]
	$(PY) -m justice_tracker edition $(if $(ID),--id $(ID),) $(if $(DATE),--date $(DATE),)

site: $(STAMP) ## Build every edition missing from _build/site (checked against its manifest) and the site root
	$(PY) -m justice_tracker site

verify-edition: $(STAMP) ## Rebuild one edition from the repo and compare with its manifest: make verify-edition ID=
	@test -n "$(ID)" || { echo "usage: make verify-edition ID=2026-12"; exit 2; }
	$(PY) -m justice_tracker verify-edition "$(ID)"

publish-check: $(STAMP) ## Check _build/site: links, anchors, alt text, editions.json, feed, manifests
	$(PY) -m justice_tracker publish-check

benchmark: book ## Benchmarks: ingest, ODS/XLSX readers, page weight, full and no-op builds (ratios in one run)
	$(PY) scripts/benchmark.py

lock: ## Re-resolve requirements.in and pin every package in requirements.txt
	scripts/lock-requirements.sh

clean: ## Remove the build output and executed notebooks (keeps data and .venv)
	rm -rf _build book/*.ipynb book/chapters/*.ipynb book/prisons/*.ipynb _static/vendor _extra/charts .pytest_cache

.PHONY: help venv book data update parse toc browser test serve edition site verify-edition publish-check \
	benchmark lock clean
