#!/usr/bin/env bash
# RSA key generation time per modulus length, measured with the Lambda's own code
# (lambda/examples/rsa_keygen_bench.rs -> keygen::generate, josekit on the vendored OpenSSL),
# built exactly like the Lambda (cargo lambda build --release, same target and flags).
# Prints a markdown table (median, p99, max per size); the figures size the function
# (provider/src/graph/function.rs, docs/BENCHMARKS.md "RSA key generation and function sizing").
#   scripts/bench-rsa-keygen.sh [BITS:SAMPLES ...]     default 2048:200 3072:100 4096:60
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/ensure-tools.sh >/dev/null
export PATH="$root/.venv/bin:$PATH"
case "$(uname -m)" in
  x86_64) arch=x86_64; triple=x86_64-unknown-linux-gnu ;;
  aarch64|arm64) arch=arm64; triple=aarch64-unknown-linux-gnu ;;
  *) echo "unsupported host $(uname -m)" >&2; exit 1 ;;
esac
flags=(--release -p jwks-rotation-lambda --example rsa_keygen_bench)
[ "$arch" = arm64 ] && flags+=(--arm64)
cargo lambda build "${flags[@]}" >&2
bin="$(ls -t "target/$triple/release/examples/rsa_keygen_bench" target/lambda/rsa_keygen_bench/bootstrap 2>/dev/null | head -1 || true)"
[ -x "$bin" ] || { echo "rsa_keygen_bench binary not found" >&2; exit 1; }
echo "==> $bin on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "| modulus | samples | wall median | wall p99 | wall max | CPU median | CPU p99 | CPU max |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
"$bin" "$@" | while read -r line; do
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("| {bits} | {samples} | {median_ms:.0f} ms | {p99_ms:.0f} ms | {max_ms:.0f} ms | {cpu_median_ms:.0f} ms | {cpu_p99_ms:.0f} ms | {cpu_max_ms:.0f} ms |".format(**r))' "$line"
done
echo "==> load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
