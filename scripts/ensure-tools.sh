#!/usr/bin/env bash
# Installs the project-local Python tools (moto server, cargo-lambda, ziglang, PyJWT,
# matplotlib for the demo's timeline picture, and cargo-zigbuild for the cross-built plugins of
# `make dist`) into .venv when missing, and the Rust targets of the plugin tarballs and the arm64
# Lambda. Idempotent; prints what it does. Versions are pinned to the ones the project is tested
# with.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
want=("moto[server]==5.2.5" "cargo-lambda==1.9.2" "ziglang==0.17.1" "pyjwt[crypto]==2.10.1"
      "matplotlib==3.11.2" "cargo-zigbuild==0.24.1")
# The targets scripts/dist.py cross-builds the plugin for (zig links them), besides the host's.
rust_targets=(aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu)
if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating $venv"
  python3 -m venv "$venv"
fi
missing=0
[ -x "$venv/bin/moto_server" ] || missing=1
[ -x "$venv/bin/cargo-lambda" ] || missing=1
[ -x "$venv/bin/cargo-zigbuild" ] || missing=1
"$venv/bin/python" -c "import ziglang, jwt, cryptography, matplotlib" 2>/dev/null || missing=1
if [ "$missing" = 1 ]; then
  echo "==> installing ${want[*]} into .venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}"
fi
installed_targets="$(rustup target list --installed)"
for t in "${rust_targets[@]}"; do
  if ! grep -qx "$t" <<<"$installed_targets"; then
    echo "==> rustup target add $t"
    rustup target add "$t"
  fi
done
moto_version="$("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
lambda_version="$("$venv/bin/cargo-lambda" lambda --version 2>/dev/null | head -1)"
mpl_version="$("$venv/bin/python" -c 'import matplotlib; print(matplotlib.__version__)')"
zigbuild_version="$("$venv/bin/cargo-zigbuild" --version 2>/dev/null | head -1)"
echo "==> tools ready: moto $moto_version, $lambda_version, matplotlib $mpl_version, $zigbuild_version"
