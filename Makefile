# The front door. `make test` runs every test; `make demo` shows a rotation on local stand-ins.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export MOTO_SERVER := $(VENV)/bin/moto_server

.PHONY: tools test lint fmt lambda build bench-provider demo test-demo pulumi-tools sdk test-pulumi

tools:
	@scripts/ensure-tools.sh

# The rotation Lambda zips (dist/lambda/{x86_64,arm64}/bootstrap.zip) that the provider embeds.
lambda:
	scripts/build-lambda.sh all

# The provider plugin, alone in bin/ (Pulumi finds it there via PATH or plugins.providers).
build: lambda
	cargo build --release -p pulumi-resource-jwks-rotation
	mkdir -p bin
	install -m 0755 "$${CARGO_TARGET_DIR:-target}/release/pulumi-resource-jwks-rotation" bin/

bench-provider: lambda
	scripts/bench-provider.sh

lint: lambda
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

# Months of rotation on local stand-ins: moto for AWS, the shipped bootstrap under a runtime API
# loop, its clock moved by libfaketime. Ends by itself; exit code 0 when everything verified.
demo: tools lambda
	@scripts/ensure-faketime.sh
	@$(VENV)/bin/python scripts/demo.py --quiet-cleanups

# The demo as an end-to-end test (same command, output kept short).
test-demo: tools lambda
	@scripts/ensure-faketime.sh
	@echo "==> end-to-end: make demo"
	@$(VENV)/bin/python scripts/demo.py --quiet-cleanups > target/demo.log 2>&1 || { cat target/demo.log; exit 1; }
	@tail -n 2 target/demo.log

test: tools lambda
	@echo "==> lint: cargo fmt --check, cargo clippy -D warnings"
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	@echo "==> cargo test --workspace"
	cargo test --workspace
	@$(MAKE) --no-print-directory test-demo
	@$(MAKE) --no-print-directory test-interop
	@$(MAKE) --no-print-directory test-pulumi

# The verifier compatibility matrix: the shipped bootstrap's JWKS and tokens for every algorithm,
# checked by jose, jsonwebtoken + jwks-rsa, PyJWT, joserfc, keyfunc + golang-jwt, jwx and
# nimbus-jose-jwt, and the provider's OpenID configuration by go-oidc (tests/interop/run.py).
# Writes target/interop/matrix.md; ends with `N passed, M failed, K skipped`.
.PHONY: test-interop
test-interop: tools lambda
	@scripts/ensure-faketime.sh
	@tests/interop/ensure.sh
	@echo "==> interop: verifier compatibility matrix and OIDC discovery (tests/interop)"
	@$(VENV)/bin/python tests/interop/run.py --go-bin target/interop/bin/interop-go \
		--java-dir target/interop/java \
		--provider "$${CARGO_TARGET_DIR:-target}/debug/pulumi-resource-jwks-rotation" \
		--openid-example "$${CARGO_TARGET_DIR:-target}/debug/examples/openid_document"

# The Pulumi CLI v3.274.1 and its language hosts, built from the Go module proxy (cached per
# machine under ~/.cache/jwks-rotation/tools, linked as .tools/pulumi), and the npm/PyPI packages
# of the Pulumi tests (.tools/venv, .tools/node).
pulumi-tools:
	@scripts/pulumi-tools.sh
	@scripts/pulumi-test-deps.sh

# Regenerates sdk/ from schema.json with `pulumi package gen-sdk`.
sdk: pulumi-tools
	scripts/gen-sdk.sh

# SDK drift, SDK unit tests and the examples with the real Pulumi CLI (tests/pulumi/README.md).
test-pulumi: tools build pulumi-tools
	@echo "==> pytest tests/pulumi (real Pulumi CLI, moto, pulumi-aws stand-in)"
	.tools/venv/bin/python -m pytest tests/pulumi -v -p no:cacheprovider --durations=0
