# One route for every build: pip's editable install through maturin, one interpreter, one target dir
# outside the clone (so a fresh clone reuses compiled dependencies; a cold build still works).
PYTHON ?= python3
export CARGO_TARGET_DIR ?= $(HOME)/.cache/sectorflow/target
export PYO3_PYTHON ?= $(shell command -v $(PYTHON))

.PHONY: help install build-dev demo test test-rust test-python lint format bench compare

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install:  ## install the Python dependencies and build the extension (release)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e .

build-dev: install  ## alias of install

demo: install  ## the main job: reports on the Ken French 49 industries and a generated market
	$(PYTHON) -m sectorflow demo

test: install test-rust test-python  ## every test, Rust and Python

test-rust:
	cargo test -p sectorflow-core --release

test-python:
	$(PYTHON) -m pytest

lint:  ## formatting, clippy and ruff
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m ruff format --check python tests benches

format:
	cargo fmt --all
	$(PYTHON) -m ruff format python tests benches
	$(PYTHON) -m ruff check --fix python tests benches

bench: install  ## pytest-benchmark suites
	$(PYTHON) -m pytest benches --benchmark-enable --benchmark-only

compare: install  ## ratio table against pandas, polars, bottleneck, numbagg (README numbers)
	$(PYTHON) benches/compare.py
