# unga-brief: `make report` produces the briefing from the shipped data; `make test` runs the checks.
# Both set themselves up on a fresh machine (a local .venv from constraints.txt; Chromium from
# Debian's packages when run as root on Debian).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup system-deps report refresh test lint check-notebooks curate validate strip bench clean lab

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install the pinned stack (once; again when pyproject/constraints change)

system-deps: ## install Chromium and poppler-utils from Debian when root and missing (for PDF and its tests)
	@if command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and poppler-utils (Debian packages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null; \
	else echo "note: Chromium/poppler not installed and not root: PDF steps will say how to install them"; fi

report: setup system-deps ## produce report/briefing.html and report/briefing.pdf from the shipped data
	$(BIN)/unga-brief run

# By hand only: make turns every failure into exit 2. Schedulers call bin/regenerate, which
# does the same and keeps unga-brief's own exit code (2, 3, 4, 5, 6; docs/scheduling.md).
refresh: setup system-deps ## by hand: ingest/fetch what refresh.yml names, then run (cron: bin/regenerate)
	bin/regenerate

#: The report layer (issue "Off the default run": at least 85 % of it run by the tests).
REPORT_LAYER := */unga_brief/report/*.py

#: pytest workers (pytest-xdist): one per CPU core; TEST_WORKERS=0 runs the suite in one process.
#: worksteal: an idle worker takes tests queued on another (the tests' durations vary 1000-fold).
#: Not loadgroup: with pytest 9.2, xdist 3.8 cannot rename the grouped tests and ignores the groups.
TEST_WORKERS ?= auto

test: setup system-deps check-notebooks lint ## run every check: notebook hygiene, lint, pytest (on every core) with coverage per module
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal --cov=unga_brief --cov-report=term
	@echo "report layer:" && $(BIN)/coverage report --include='$(REPORT_LAYER)' --fail-under=85

lint: setup ## the pre-commit hooks on every file: nbstripout, ruff check, ruff format --check, no large files
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

check-notebooks: setup ## fail if a notebook under notebooks/ carries outputs or execution counts
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then $(BIN)/nbstripout --verify notebooks/*.ipynb \
	  || { echo "notebooks carry outputs: run 'make strip'"; exit 1; }; fi

strip: setup ## strip outputs from the notebooks (keeps metadata.kernelspec)
	$(BIN)/nbstripout notebooks/*.ipynb

curate: setup ## rebuild data/ from ../shared/data/sources (byte-identical when nothing changed)
	$(BIN)/unga-brief curate

validate: setup ## check data/ and print the coverage table
	$(BIN)/unga-brief validate

lab: setup ## JupyterLab on the project root; saving a notebook in notebooks/ strips outputs and resets its parameters cell
	$(BIN)/jupyter lab --config="$(CURDIR)/jupyter_server_config.py" --ServerApp.root_dir="$(CURDIR)"

bench: setup system-deps ## time `unga-brief run` cold / unchanged / after an ingest against plain nbconvert, then the whole-history measures
	$(BIN)/python bench/bench_run.py
	$(BIN)/python bench/bench_measures.py

clean: ## remove build outputs (keeps report/ and data/)
	rm -rf build .pytest_cache .ruff_cache
