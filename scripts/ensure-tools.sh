#!/usr/bin/env bash
# Installs the project-local Python tools (moto server, cargo-lambda, ziglang, PyJWT, and
# matplotlib for the demo's timeline picture) into .venv when missing. Idempotent; prints what
# it does. Versions are pinned to the ones the project is tested with.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
want=("moto[server]==5.2.5" "cargo-lambda==1.9.2" "ziglang==0.17.1" "pyjwt[crypto]==2.10.1"
      "matplotlib==3.11.2")
if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating $venv"
  python3 -m venv "$venv"
fi
missing=0
[ -x "$venv/bin/moto_server" ] || missing=1
[ -x "$venv/bin/cargo-lambda" ] || missing=1
"$venv/bin/python" -c "import ziglang, jwt, cryptography, matplotlib" 2>/dev/null || missing=1
if [ "$missing" = 1 ]; then
  echo "==> installing ${want[*]} into .venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}"
fi
moto_version="$("$venv/bin/python" -c 'import moto; print(moto.__version__)')"
lambda_version="$("$venv/bin/cargo-lambda" lambda --version 2>/dev/null | head -1)"
mpl_version="$("$venv/bin/python" -c 'import matplotlib; print(matplotlib.__version__)')"
echo "==> tools ready: moto $moto_version, $lambda_version, matplotlib $mpl_version"
