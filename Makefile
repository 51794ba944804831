# Quick start: `make demo` indexes samples/ and shows a search and the graph;
# `make test` runs the whole suite, `make test-fast` all but the slow tests (the contract
# and unit tests, under 2 minutes on 2 cores). They create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= enrich-data
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo serve test test-fast install dev clean bench check-install

# torch comes first, pinned: `pip install torch==2.13.0` takes the CPU build here;
# an unpinned torch (asked for by transformers) pulls several GB of CUDA packages.
# Never install torchvision (its CUDA build breaks `import transformers`).
TORCH ?= torch==2.13.0

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install $(TORCH)
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	touch $(VENV)/.installed $@

# Azurite (Microsoft's Azure Storage emulator) for the blob-source tests, from npm.
# Without npm those tests skip; CI sets ENRICH_REQUIRE_EMULATORS=1 and fails instead.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev $(if $(shell command -v npm),node_modules/.package-lock.json)

demo: install
	$(BIN)/enrich index samples/corpus --data $(DATA)
	$(BIN)/enrich search '"LeBron James"' --data $(DATA) --top 3 --facet people --facet organizations --facet keyphrases
	$(BIN)/enrich status --data $(DATA) --runs 1

# The web page and HTTP API over the demo index: http://127.0.0.1:8000/
serve: install
	@test -f $(DATA)/enrich.sqlite || $(MAKE) demo
	$(BIN)/enrich serve --data $(DATA)

test: dev
	$(BIN)/python -m pytest

# The fast lane: every test not marked slow (no subprocess runs of enrich, browser,
# blob emulators, Ray or image models).
test-fast: dev
	$(BIN)/python -m pytest -m "not slow"

# Build the sdist and wheel, install the wheel into a fresh venv, index and search
# the samples with it (CI runs this after the suite).
check-install: dev
	bash .ci/check-install

bench: dev
	$(BIN)/python -m bench.throughput

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache node_modules
