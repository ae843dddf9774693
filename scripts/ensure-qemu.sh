#!/usr/bin/env bash
# Installs what runs the arm64 `bootstrap` on an x86_64 machine, when it is missing: Debian's
# qemu-user-static (the user-mode emulator qemu-aarch64-static) and libc6-arm64-cross (the
# aarch64 glibc and loader under /usr/aarch64-linux-gnu, which the glibc-linked bootstrap needs;
# qemu finds them through QEMU_LD_PREFIX or -L). Idempotent and quiet when both are present.
# Needs root, as on this project's machines.
set -euo pipefail
qemu=qemu-aarch64-static
loader=/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1
if [ "$(uname -m)" = aarch64 ]; then
  exit 0 # native arm64: nothing to emulate
fi
if command -v "$qemu" >/dev/null && [ -e "$loader" ]; then
  exit 0
fi
echo "==> installing qemu-user-static and libc6-arm64-cross (Debian packages) to run the arm64 bootstrap"
if [ "$(id -u)" != 0 ]; then
  echo "error: $qemu or $loader is missing and this is not root: run 'sudo apt-get install qemu-user-static libc6-arm64-cross'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq qemu-user-static libc6-arm64-cross; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "error: apt-get could not install qemu-user-static and libc6-arm64-cross (Debian's package mirror unreachable?)" >&2
  exit 1
fi
if ! command -v "$qemu" >/dev/null || [ ! -e "$loader" ]; then
  echo "error: after installing, $qemu or $loader is still missing" >&2
  exit 1
fi
echo "==> $("$qemu" --version | head -1)"
