#!/usr/bin/env bash
# Builds the test prerequisites that are not Rust in the background while `make test` compiles:
# the Pulumi CLI and language hosts (scripts/pulumi-tools.sh, Go, niced), the npm and PyPI
# packages of the Pulumi tests (scripts/pulumi-test-deps.sh) and AWS's Lambda emulator
# (scripts/ensure-rie.sh). On a fresh machine these are minutes of mostly single-threaded or
# network-bound work that would otherwise run after the Rust builds, one after another.
#   scripts/prefetch.sh start   starts them detached; output in target/prefetch.log
#   scripts/prefetch.sh wait    waits for them, prints their output, fails if one failed
# Each script is idempotent, so running the targets that need them afterwards costs nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/target/prefetch"
case "${1:-}" in
  start)
    mkdir -p "$dir"
    rm -f "$dir/rc" "$dir/log" "$dir/pid"
    echo "==> prefetch: Pulumi CLI, Pulumi test packages, Lambda emulator, in the background (target/prefetch/log)"
    setsid nohup bash -c '
      set -o pipefail
      { "$0/scripts/pulumi-tools.sh" && "$0/scripts/pulumi-test-deps.sh" && "$0/scripts/ensure-rie.sh"; } >"$1/log" 2>&1
      echo $? >"$1/rc"' "$root" "$dir" </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/pid"
    ;;
  wait)
    if [ ! -d "$dir" ]; then
      echo "prefetch: not started" >&2
      exit 1
    fi
    t0=$SECONDS
    pid="$(cat "$dir/pid" 2>/dev/null || true)"
    while [ ! -f "$dir/rc" ]; do
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && [ ! -f "$dir/rc" ]; then
        sed 's/^/    prefetch: /' "$dir/log" 2>/dev/null || true
        echo "prefetch: the background job (pid $pid) ended without a result" >&2
        exit 1
      fi
      sleep 2
    done
    [ $((SECONDS - t0)) -gt 1 ] && echo "==> prefetch: waited $((SECONDS - t0))s for it"
    sed 's/^/    prefetch: /' "$dir/log"
    rc="$(cat "$dir/rc")"
    [ "$rc" = 0 ] || { echo "prefetch failed (exit $rc)" >&2; exit "$rc"; }
    ;;
  *)
    echo "usage: $0 start|wait" >&2
    exit 2
    ;;
esac
