#!/usr/bin/env bash
# Installs and builds what `make test-interop` runs, each piece only when missing or stale, and
# says what it does. Every version is pinned: requirements.txt (==), node/package-lock.json,
# go/go.sum, java/pom.xml.
#   Python  joserfc (+ PyJWT) into .venv                  pip install -r requirements.txt
#   Node    jose, jsonwebtoken, jwks-rsa                  npm ci in node/
#   Go      keyfunc, golang-jwt, jwx, go-oidc             go build -> target/interop/bin/interop-go
#   Java    nimbus-jose-jwt, tink (Maven Central)         mvn dependency:copy-dependencies, javac
#   Rust    the provider binary and its openid_document example (debug; the OIDC document)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/interop"
venv="$root/.venv"
mkdir -p "$out/bin" "$out/java"

# Python: the pinned versions, or install them.
if ! "$venv/bin/python" - "$here/requirements.txt" <<'PY' 2>/dev/null
import re, sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", line).groups()
        if version(name) != want:
            sys.exit(1)
PY
then
  echo "==> interop: pip install -r tests/interop/requirements.txt into .venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

# Node: npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$here/node/node_modules/.package-lock.json" ] \
   || [ "$here/node/package-lock.json" -nt "$here/node/node_modules/.package-lock.json" ]; then
  echo "==> interop: npm ci (tests/interop/node: jose, jsonwebtoken, jwks-rsa)"
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Go: go build is incremental; modules come from the module proxy, checked against go.sum.
if [ ! -x "$out/bin/interop-go" ] || [ -n "$(find "$here/go" -newer "$out/bin/interop-go" -type f | head -1)" ]; then
  echo "==> interop: go build (tests/interop/go: keyfunc, golang-jwt, jwx, go-oidc)"
  (cd "$here/go" && go build -mod=readonly -trimpath -o "$out/bin/interop-go" .)
fi

# Java: the pinned jars from Maven Central, then javac.
if [ ! -f "$out/java/lib/.complete" ] || [ "$here/java/pom.xml" -nt "$out/java/lib/.complete" ]; then
  echo "==> interop: mvn dependency:copy-dependencies (tests/interop/java/pom.xml: nimbus-jose-jwt, tink)"
  rm -rf "$out/java/lib"
  if ! mvn -q -B -f "$here/java/pom.xml" dependency:copy-dependencies -DoutputDirectory="$out/java/lib" \
       > "$out/java/mvn.log" 2>&1; then
    cat "$out/java/mvn.log"
    exit 1
  fi
  touch "$out/java/lib/.complete"
fi
if [ ! -f "$out/java/classes/Verify.class" ] || [ "$here/java/Verify.java" -nt "$out/java/classes/Verify.class" ] \
   || [ "$out/java/lib/.complete" -nt "$out/java/classes/Verify.class" ]; then
  echo "==> interop: javac Verify.java"
  rm -rf "$out/java/classes"
  mkdir -p "$out/java/classes"
  javac -Xlint:all -Werror -cp "$out/java/lib/*" -d "$out/java/classes" "$here/java/Verify.java"
fi

# Rust: the provider binary and the example that prints its OpenID configuration document.
echo "==> interop: cargo build -p pulumi-resource-jwks-rotation --bin pulumi-resource-jwks-rotation --example openid_document"
(cd "$root" && cargo build --quiet -p pulumi-resource-jwks-rotation --bin pulumi-resource-jwks-rotation --example openid_document)
