# The front door. `make test` runs every test; `make demo` shows a rotation on local stand-ins.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export MOTO_SERVER := $(VENV)/bin/moto_server

.PHONY: tools test lint fmt

tools:
	@scripts/ensure-tools.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

test: tools
	@echo "==> cargo test --workspace"
	cargo test --workspace
