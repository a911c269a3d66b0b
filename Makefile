# The two commands (see README): `make book` and `make test`.
# PROFILE selects params/<PROFILE>.yaml (smoke | cpu | paper); FORCE=1 recomputes cached cells.
SHELL := /bin/bash
PROFILE ?= cpu
# Chapters in the book (each needs its profile's checkpoints; the cpu ones are committed).
# audit and scoreboard read the others' results, so they come last.
CHAPTERS ?= zoo pgd stress_strain boxplots cam imagenet bnn_mnist transferability pixel_noise audit scoreboard
# Chapters that `make test` executes with the smoke profile under nbval.
TEST_NOTEBOOKS ?= pgd zoo stress_strain boxplots cam imagenet bnn_mnist transferability pixel_noise audit scoreboard
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONUNBUFFERED := 1

.PHONY: help venv book book-offline book-check chapters html test test-unit test-slow lint format reproduce models bench clean check-profile

help:
	@echo "make book      build the HTML book in _build/html (PROFILE=$(PROFILE))"
	@echo "make test      run the tests and the smoke-profile notebooks under nbval (fails without data)"
	@echo "make test-unit run the unit tests only (no chapter; no dataset needed)"
	@echo "make reproduce PROFILE=cpu FORCE=1   retrain the profile's models and recompute every result"
	@echo "make models    train (or verify) the profile's zoo checkpoints"
	@echo "make bench     run benchmarks/ (PGD throughput of the library against plain PyTorch)"

# --- environment: created on first use, refreshed when pyproject.toml changes
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip setuptools wheel
	$(PY) -m pip install -e '.[dev,ray]'
	touch $(STAMP)

venv: $(STAMP)

check-profile: venv
	@$(PY) -m compression_robustness check-profile $(PROFILE) >/dev/null

# --- the book
chapters: check-profile
	@mkdir -p book/chapters book/_generated
	$(PY) -m compression_robustness profiles-table --out book/_generated/profiles.md
	@set -e; for c in $(CHAPTERS); do \
	  echo "== chapter $$c (profile $(PROFILE))"; \
	  $(PY) -m compression_robustness chapter-params $(PROFILE) $$c --out build/params/$(PROFILE)/$$c.yaml; \
	  CRS_FORCE=$(FORCE) $(VENV)/bin/papermill notebooks/$$c.ipynb book/chapters/$$c.ipynb \
	    -f build/params/$(PROFILE)/$$c.yaml -k python3 --no-progress-bar --log-level ERROR; \
	  $(PY) -m compression_robustness fold-parameters book/chapters/$$c.ipynb; \
	done
	# after the chapters, so that it counts what they computed
	$(PY) -m compression_robustness compute-table --profile $(PROFILE) --out book/_generated/compute.md

html: venv
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going

book: chapters html
	@echo "book: $(CURDIR)/_build/html/index.html"

models: check-profile
	$(PY) -m compression_robustness train-zoo --profile $(PROFILE) $(if $(FORCE),--force,)

reproduce: check-profile
	$(MAKE) models PROFILE=$(PROFILE) FORCE=$(FORCE)
	$(MAKE) book PROFILE=$(PROFILE) FORCE=$(FORCE)

# --- tests: unit tests plus nbval on the chapters executed with the smoke profile.
# Without the datasets no chapter can run: `make test` then says so and FAILS (after the
# unit tests); `make test-unit` is the fast path that runs no chapter on purpose.
test: venv
	$(PY) -m ruff check lib tests benchmarks
	$(PY) -m ruff format --check lib tests benchmarks
	$(PY) -m compression_robustness verify
	@rm -rf build/nbval; mkdir -p build/nbval
	@set -e; nbs=""; \
	if $(PY) -m compression_robustness has-data cifar10; then \
	  for c in $(TEST_NOTEBOOKS); do \
	    $(PY) -m compression_robustness chapter-params smoke $$c --out build/params/smoke/$$c.yaml; \
	    $(VENV)/bin/papermill notebooks/$$c.ipynb build/nbval/$$c.ipynb -f build/params/smoke/$$c.yaml \
	      -k python3 --no-progress-bar --log-level ERROR; \
	    nbs="$$nbs build/nbval/$$c.ipynb"; \
	  done; \
	fi; \
	$(PY) -m pytest -m "not slow" tests $$nbs --nbval-lax --sanitize-with tests/nbval_sanitize.cfg; \
	if [ -z "$$nbs" ]; then \
	  echo "FAILED: nbval SKIPPED, no chapter ran: CIFAR-10 is not available here (no data/ cache, no mirror, offline). Provide the data (see README, Data) or run 'make test-unit'." >&2; \
	  exit 1; \
	fi; \
	echo "nbval: $$(echo $$nbs | wc -w) chapters ran"

test-unit: venv
	$(PY) -m ruff check lib tests benchmarks
	$(PY) -m ruff format --check lib tests benchmarks
	$(PY) -m compression_robustness verify
	$(PY) -m pytest -m "not slow" tests

book-offline: venv
	bash tools/book_offline.sh

# every page of the offline build in headless Chromium (needs Debian's chromium; .ci/run
# installs it): broken images or links, literal {glue, raw NaN, tracebacks, over-wide figures
book-check: venv
	CRS_REQUIRE_BROWSER=1 CRS_BOOK_HTML=$(CURDIR)/build/offline/repo/_build/html $(PY) -m pytest -m slow tests/test_book_browser.py -q

test-slow: venv
	$(PY) -m pytest -m slow tests

lint: venv
	$(PY) -m ruff check lib tests benchmarks

format: venv
	$(PY) -m ruff format lib tests benchmarks
	$(PY) -m ruff check --fix lib tests benchmarks

bench: venv
	$(PY) benchmarks/pgd_throughput.py

clean:
	rm -rf _build book/chapters book/_generated build
