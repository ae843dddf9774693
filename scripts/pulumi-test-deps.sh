#!/usr/bin/env bash
# Installs the language packages the Pulumi tests use, into git-ignored project folders, when
# missing or when the pins below change:
#   .tools/venv   Python: pulumi (the real SDK), pulumi-aws, boto3, pytest; runs the pulumi-aws
#                 stand-in, the Python example and the Python SDK tests; build and setuptools
#                 build the wheel and sdist of scripts/dist.py (make dist, make test-dist)
#   .tools/node   npm: @pulumi/pulumi, @pulumi/aws, typescript, @types/node; the TypeScript
#                 example and the Node.js SDK tests run inside this folder
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py_pins=("pulumi==3.272.0" "pulumi-aws==7.51.1" "boto3==1.44.8" "pytest==9.2.0" "PyJWT[crypto]==2.10.1"
         "build==1.6.1" "setuptools==84.2.1")
node_pkg='{
  "name": "jwks-rotation-test-node",
  "private": true,
  "dependencies": {
    "@pulumi/pulumi": "3.270.0",
    "@pulumi/aws": "7.48.0",
    "typescript": "5.9.3",
    "@types/node": "20.19.43"
  }
}'
mkdir -p "$root/.tools"

venv="$root/.tools/venv"
stamp="$(printf '%s\n' "${py_pins[@]}" | sha256sum | cut -c1-16)"
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
  t0=$SECONDS
  echo "==> installing ${py_pins[*]} into .tools/venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${py_pins[@]}"
  echo "$stamp" >"$venv/.stamp"
  echo "    done in $((SECONDS - t0))s"
fi

node="$root/.tools/node"
stamp="$(printf '%s' "$node_pkg" | sha256sum | cut -c1-16)"
if [ "$(cat "$node/.stamp" 2>/dev/null)" != "$stamp" ]; then
  t0=$SECONDS
  echo "==> npm install @pulumi/pulumi, @pulumi/aws, typescript into .tools/node"
  mkdir -p "$node"
  printf '%s\n' "$node_pkg" >"$node/package.json"
  (cd "$node" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" >"$node/.stamp"
  echo "    done in $((SECONDS - t0))s"
fi
echo "==> Pulumi test packages ready (.tools/venv, .tools/node)"
