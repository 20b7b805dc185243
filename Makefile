# One route for every build: pip's editable install through maturin, one interpreter, one target dir
# outside the clone (so a fresh clone reuses compiled dependencies; a cold build still works).
PYTHON ?= python3
export CARGO_TARGET_DIR ?= $(HOME)/.cache/sectorflow/target
export PYO3_PYTHON ?= $(shell command -v $(PYTHON))

.PHONY: help install build-dev demo test test-rust test-asan test-python fuzz fuzz-tools lint format \
	bench compare

CACHE := $(HOME)/.cache/sectorflow
HOST := $(shell rustc -vV | sed -n 's/^host: //p')
FUZZ_TARGETS := rolling rank cross_section runners recurrences bars pivot
FUZZ_SECONDS ?= 300

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install:  ## install the Python dependencies and build the extension (release)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-build-isolation --no-deps -e .

build-dev: install  ## alias of install

demo: install  ## the main job: reports on the Ken French 49 industries and a generated market
	$(PYTHON) -m sectorflow demo

test: install test-rust test-asan test-python  ## every test: Rust, Rust under ASan, fuzz smoke, Python
	$(MAKE) fuzz FUZZ_SECONDS=10

test-rust:
	cargo test -p sectorflow-core --release

test-asan:  ## the core's tests under AddressSanitizer (nightly); checks every unsafe block's contract
	CARGO_TARGET_DIR=$(CACHE)/asan-target RUSTFLAGS=-Zsanitizer=address \
		cargo +nightly test -p sectorflow-core --release --lib --target $(HOST)

fuzz-tools:
	@command -v cargo-fuzz >/dev/null || CARGO_TARGET_DIR=$(CACHE)/tools cargo install cargo-fuzz --locked

fuzz: fuzz-tools  ## every cargo fuzz target (libFuzzer + ASan) for FUZZ_SECONDS each (default 300)
	@mkdir -p $(CACHE)
	@for t in $(FUZZ_TARGETS); do \
		log=$(CACHE)/fuzz-$$t.log; \
		printf 'fuzz %-14s ' $$t; \
		CARGO_TARGET_DIR=$(CACHE)/fuzz-target cargo +nightly fuzz run --fuzz-dir rust/fuzz $$t \
			-- -max_total_time=$(FUZZ_SECONDS) > $$log 2>&1 \
			&& grep -E '^Done' $$log || { tail -n 80 $$log; exit 1; }; \
	done

test-python:
	$(PYTHON) -m pytest

lint: install  ## formatting, clippy, ruff, mypy --strict and the stub checked by stubtest
	cargo fmt --all -- --check
	cargo fmt --manifest-path rust/fuzz/Cargo.toml -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m ruff format --check python tests benches
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest sectorflow._native

format:
	cargo fmt --all
	cargo fmt --manifest-path rust/fuzz/Cargo.toml
	$(PYTHON) -m ruff format python tests benches
	$(PYTHON) -m ruff check --fix python tests benches

bench: install  ## pytest-benchmark suites
	$(PYTHON) -m pytest benches --benchmark-enable --benchmark-only

compare: install  ## ratio table against pandas, polars, bottleneck, numbagg (README numbers)
	$(PYTHON) benches/compare.py
