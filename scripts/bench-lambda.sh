#!/usr/bin/env bash
# Benchmarks the real rotation Lambda (`bootstrap` from the release zip) against the patched
# moto under a Lambda Runtime API emulator, and prints a markdown table with each figure beside
# its SPEC target; the table is also written to docs/BENCHMARKS.md.
# Usage: scripts/bench-lambda.sh [--no-write]
# Builds dist/lambda/<host arch>/bootstrap.zip first when it is missing (minutes).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
write=1
[ "${1:-}" = "--no-write" ] && write=0

scripts/ensure-tools.sh >/dev/null
export PATH="$root/.venv/bin:$PATH"
case "$(uname -m)" in
  x86_64) arch=x86_64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "unsupported host $(uname -m)" >&2; exit 1 ;;
esac
zip="dist/lambda/$arch/bootstrap.zip"
if [ ! -f "$zip" ]; then
  echo "==> $zip missing: building it" >&2
  scripts/build-lambda.sh "$arch" >&2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/.venv/bin/python" -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$zip" "$work"
chmod +x "$work/bootstrap"

echo "==> key generation timings (examples/keygen_bench, release, built like the Lambda)" >&2
flags=(--release -p jwks-rotation-lambda --example keygen_bench)
[ "$arch" = arm64 ] && flags+=(--arm64)
cargo lambda build "${flags[@]}" >&2
triple=x86_64-unknown-linux-gnu
[ "$arch" = arm64 ] && triple=aarch64-unknown-linux-gnu
keygen_bin="$(ls -t "target/$triple/release/examples/keygen_bench" target/lambda/keygen_bench/bootstrap 2>/dev/null | head -1 || true)"
keygen_json=""
if [ -n "$keygen_bin" ] && [ -x "$keygen_bin" ]; then
  keygen_json="$("$keygen_bin")"
else
  echo "warning: keygen_bench binary not found; skipping key generation timings" >&2
fi

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "==> running bootstrap against moto (about 20 s; load average $load_before)" >&2
zips=()
for a in x86_64 arm64; do zips+=(--zip "$a=dist/lambda/$a/bootstrap.zip"); done
table="$("$root/.venv/bin/python" tests/support/bench_lambda.py --bootstrap "$work/bootstrap" \
  "${zips[@]}" ${keygen_json:+--keygen "$keygen_json"})"
echo "$table"
if [ "$write" = 1 ]; then
  # Keep the other sections (the provider's, written by scripts/bench-provider.sh's user).
  others="$(sed -n '/^## Provider/,$p' docs/BENCHMARKS.md 2>/dev/null || true)"
  {
    echo "# Benchmarks"
    echo
    echo "## Rotation Lambda"
    echo
    echo "Produced by \`scripts/bench-lambda.sh\` on $(date -u +%Y-%m-%d) ($(uname -m), $(nproc) cores): the release"
    echo "\`bootstrap\` from \`$zip\` run as a process under a Lambda Runtime API emulator"
    echo "(\`tests/support/runtime_api.py\`) against moto (\`tests/support/moto_faithful.py\`) on loopback."
    echo "API calls are counted by the Lambda's own SDK interceptor (every HTTP attempt). Targets are"
    echo "from SPEC.md \"Performance targets\"; the construct's figures were measured the same way."
    echo "Load average when the run began: $load_before (times grow with load; counts do not)."
    echo
    echo "$table"
    echo
    echo "Notes:"
    echo "- The first rotation's createSecret is the slowest first event: it generates the first key and"
    echo "  makes 5 calls, one of which is the S3 GET of the not-yet-existing JWKS, which moto answers"
    echo "  (404) in about 30 ms (seen with \`RUST_LOG=debug\`). A cleanup as first event measures the"
    echo "  process itself: launch, configuration, two SDK clients, one S3 call."
    echo "- Warm times include moto's own latency (3 to 5 ms per call; moto closes every connection)."
    echo "- API calls are exact counts, the same on every run; times vary with machine load."
    echo "- Rotations here promote NEXT every time (minActivationGracePeriod 2s, real clock), the most"
    echo "  expensive kind: finishSecret puts a fresh NEXT. A deferred (early) rotation makes fewer calls."
    if [ -n "$others" ]; then
      echo
      echo "$others"
    fi
  } > docs/BENCHMARKS.md.tmp
  mv docs/BENCHMARKS.md.tmp docs/BENCHMARKS.md
  echo "==> wrote docs/BENCHMARKS.md" >&2
fi
