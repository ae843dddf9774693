#!/usr/bin/env bash
# Builds the rotation Lambda (`bootstrap`) with cargo-lambda (zig as linker, glibc target as
# cargo-lambda's default) and leaves deterministic zips:
#   dist/lambda/x86_64/bootstrap.zip   dist/lambda/arm64/bootstrap.zip
# Usage: scripts/build-lambda.sh [x86_64|arm64|all]   (default: x86_64)
# Deterministic: the zip holds one entry `bootstrap` with a fixed timestamp and mode 0755, so
# the same binary always gives the same bytes (cargo-lambda's own zip stamps the build time).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
arch="${1:-x86_64}"
case "$arch" in
  x86_64|arm64) arches=("$arch") ;;
  all) arches=(x86_64 arm64) ;;
  *) echo "usage: $0 [x86_64|arm64|all]" >&2; exit 2 ;;
esac

echo "==> tools"
scripts/ensure-tools.sh
# cargo-lambda (through cargo-zigbuild) finds zig as `zig` on PATH or as `python3 -m ziglang`;
# the venv's bin first on PATH gives it the venv's python3 with ziglang installed.
export PATH="$root/.venv/bin:$PATH"

rezip() {
  # rezip SRC_ZIP DEST_ZIP: re-pack the `bootstrap` entry with fixed metadata.
  "$root/.venv/bin/python" - "$1" "$2" <<'PY'
import sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as z:
    data = z.read("bootstrap")
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.create_system = 3  # unix, so external_attr carries the mode
info.external_attr = (0o100755 & 0xFFFF) << 16
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(dest, "w") as z:
    z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
PY
}

# A private output directory per run: cargo-lambda's default (target/lambda/bootstrap/) is shared
# by every build in this checkout, and a concurrent build would overwrite the zip being read.
mkdir -p "$root/target"
out="$(mktemp -d "$root/target/lambda-build.XXXXXX")"
trap 'rm -rf "$out"' EXIT

for a in "${arches[@]}"; do
  flags=(--release --output-format zip -p jwks-rotation-lambda --bin bootstrap --lambda-dir "$out/$a")
  if [ "$a" = arm64 ]; then
    flags+=(--arm64)
    if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
      echo "==> rustup target add aarch64-unknown-linux-gnu"
      rustup target add aarch64-unknown-linux-gnu
    fi
  fi
  echo "==> cargo lambda build ${flags[*]} (release builds take minutes)"
  start=$(date +%s)
  cargo lambda build "${flags[@]}"
  built="$out/$a/bootstrap/bootstrap.zip"
  [ -f "$built" ] || { echo "error: $built was not produced" >&2; exit 1; }
  mkdir -p "dist/lambda/$a"
  # Replaced only when the bytes differ: a rewritten zip (new mtime) makes provider/build.rs run
  # again and every later cargo build relink the provider, although nothing changed.
  rezip "$built" "$out/$a/bootstrap.rezipped.zip"
  if cmp -s "$out/$a/bootstrap.rezipped.zip" "dist/lambda/$a/bootstrap.zip"; then
    echo "==> dist/lambda/$a/bootstrap.zip unchanged"
  else
    mv "$out/$a/bootstrap.rezipped.zip" "dist/lambda/$a/bootstrap.zip"
  fi
  size=$(stat -c %s "dist/lambda/$a/bootstrap.zip")
  sum=$(sha256sum "dist/lambda/$a/bootstrap.zip" | cut -d' ' -f1)
  echo "==> dist/lambda/$a/bootstrap.zip  ${size} bytes  sha256 ${sum}  ($(( $(date +%s) - start ))s)"
done
