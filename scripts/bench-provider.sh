#!/usr/bin/env bash
# Provider benchmark: launch-to-port-line time and Construct time against the engine stand-in
# (provider/tests/harness), measured on the release binary. Prints a markdown table.
#   scripts/bench-provider.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
iterations="${1:-50}"
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet -p pulumi-resource-jwks-rotation --bin pulumi-resource-jwks-rotation --example bench
"$target_dir/release/examples/bench" "$target_dir/release/pulumi-resource-jwks-rotation" "$iterations"
