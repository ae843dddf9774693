# The front door. `make test` runs every test; `make demo` shows a rotation on local stand-ins.
SHELL := /bin/bash
VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export MOTO_SERVER := $(VENV)/bin/moto_server

.PHONY: tools test lint fmt lambda lambda-x86_64 build bench-provider demo test-demo pulumi-tools schema sdk test-pulumi dist test-dist

tools:
	@scripts/ensure-tools.sh

# The rotation Lambda zips (dist/lambda/{x86_64,arm64}/bootstrap.zip) that the provider embeds.
lambda:
	scripts/build-lambda.sh all

# The x86_64 zip alone, the one the demo runs: a first `make demo` builds one zip, not two.
lambda-x86_64:
	scripts/build-lambda.sh x86_64

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

# Months of rotation on local stand-ins: moto for AWS, the shipped bootstrap under AWS's Lambda
# Runtime Interface Emulator, its clock moved by libfaketime. Ends by itself; exit code 0 when everything verified.
# Also draws target/demo/timeline.svg (scripts/timeline.py): one row per key.
demo: tools lambda-x86_64
	@scripts/ensure-faketime.sh
	@$(VENV)/bin/python scripts/demo.py --quiet-cleanups

# The demo as an end-to-end test (same command, output kept short), then a check that the
# timeline it drew exists and names every kid the run saw (target/demo/kids.txt).
test-demo: tools lambda-x86_64
	@scripts/ensure-faketime.sh
	@echo "==> end-to-end: make demo"
	@rm -f target/demo/timeline.svg target/demo/kids.txt
	@$(VENV)/bin/python scripts/demo.py --quiet-cleanups > target/demo.log 2>&1 || { cat target/demo.log; exit 1; }
	@tail -n 2 target/demo.log
	@$(VENV)/bin/python scripts/timeline.py check target/demo/timeline.svg target/demo/kids.txt

test: tools
	@scripts/prefetch.sh start
	@$(MAKE) --no-print-directory lambda
	@echo "==> lint: cargo fmt --check, cargo clippy -D warnings"
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	@echo "==> cargo test --workspace"
	cargo test --workspace
	@echo "==> interleaving test (core/tests/incidents.rs): schedules explored"
	@cat "$${CARGO_TARGET_DIR:-target}"/tmp/incidents-pairs-*.txt
	@scripts/prefetch.sh wait
	@$(MAKE) --no-print-directory test-demo
	@$(MAKE) --no-print-directory test-arm64
	@$(MAKE) --no-print-directory test-interop
	@$(MAKE) --no-print-directory test-pulumi
	@$(MAKE) --no-print-directory test-dist

# The shipped arm64 zip, run: qemu-user (Debian's qemu-user-static, libc6-arm64-cross) runs it as
# the runtime of AWS's Lambda Runtime Interface Emulator (aws-lambda-rie, built from the Go module
# proxy), against moto; a first and a scheduled rotation, a cleanup and an emergency rotation,
# each verified with PyJWT (tests/arm64/run.py). Prints the cold start under emulation.
.PHONY: test-arm64
test-arm64: tools lambda
	@scripts/ensure-qemu.sh
	@scripts/ensure-rie.sh >/dev/null
	@echo "==> arm64: dist/lambda/arm64/bootstrap.zip under qemu-user and aws-lambda-rie (tests/arm64)"
	@mkdir -p target
	@$(VENV)/bin/python tests/arm64/run.py > target/arm64.log 2>&1 || { cat target/arm64.log; exit 1; }
	@grep -E '^==> (first rotation|scheduled rotation|cleanup|emergency rotation|cold start|test-arm64)' target/arm64.log

# The verifier compatibility matrix: the shipped bootstrap's JWKS and tokens for every algorithm,
# checked by jose, jsonwebtoken + jwks-rsa, PyJWT, joserfc, keyfunc + golang-jwt, jwx and
# nimbus-jose-jwt, and the provider's OpenID configuration by go-oidc (tests/interop/run.py).
# Writes target/interop/matrix.md; ends with `N passed, M failed, K skipped`.
.PHONY: test-interop
test-interop: tools lambda
	@scripts/ensure-faketime.sh
	@scripts/ensure-rie.sh >/dev/null
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

# Stamps the release settings of Cargo.toml (workspace version, pulumi-aws version,
# plugin-download-url) into schema.json; `make sdk` then regenerates the SDKs from it.
schema:
	python3 scripts/stamp-schema.py

# Regenerates sdk/ from schema.json with `pulumi package gen-sdk`.
sdk: pulumi-tools
	scripts/gen-sdk.sh

# SDK drift, SDK unit tests and the examples with the real Pulumi CLI (tests/pulumi/README.md);
# a configuration change end to end (test_config_change.py: the shipped bootstrap under AWS's
# Lambda emulator, its clock moved by libfaketime).
test-pulumi: tools build pulumi-tools
	@scripts/ensure-faketime.sh
	@echo "==> pytest tests/pulumi (real Pulumi CLI, moto, pulumi-aws stand-in)"
	.tools/venv/bin/python -m pytest tests/pulumi -v -p no:cacheprovider --durations=0

# Release artifacts in dist/release/, each stamped with the workspace version (scripts/dist.py
# all; its top comment lists the files): the plugin tarballs for linux/darwin amd64 and arm64 and
# windows amd64 (cross-built with cargo-zigbuild, release profile, linux against glibc 2.17), the
# npm package, the wheel and the sdist, SHA256SUMS and RELEASE.md (the tags to push: v<version>,
# and sdk/v<version> that releases the Go SDK); then checks them (tests/dist).
# `make dist PLUGIN_DOWNLOAD_URL=https://...` overrides the packages' pluginDownloadURL.
PLUGIN_DOWNLOAD_URL ?=
DIST_URL_ARG = $(if $(PLUGIN_DOWNLOAD_URL),--plugin-download-url '$(PLUGIN_DOWNLOAD_URL)')
dist: tools lambda pulumi-tools
	python3 scripts/dist.py all --out dist/release $(DIST_URL_ARG)
	@echo "==> checking dist/release (tests/dist)"
	.tools/venv/bin/python -m pytest tests/dist -q -p no:cacheprovider --artifacts dist/release $(DIST_URL_ARG)

# The release artifacts as make test checks them, in target/dist-test/: the four cross-built
# plugins with the fast dist-test profile (Cargo.toml), bin/'s linux-amd64 plugin (make build),
# the SDK packages; then tests/dist (layout Pulumi installs, binary formats, the linux-amd64
# plugin run, package metadata, the Go SDK tag).
test-dist: tools build pulumi-tools
	@echo "==> dist: plugin tarballs and SDK packages into target/dist-test (tests/dist)"
	python3 scripts/dist.py plugins --profile dist-test --out target/dist-test \
		--linux-amd64-binary bin/pulumi-resource-jwks-rotation
	python3 scripts/dist.py sdks --out target/dist-test
	.tools/venv/bin/python -m pytest tests/dist -v -p no:cacheprovider --artifacts target/dist-test
