#!/usr/bin/env bash
# Builds AWS's Lambda Runtime Interface Emulator (aws-lambda-rie, the emulator inside AWS's
# Lambda base images) from the Go module proxy, at a pinned pseudo-version, into a per-machine
# cache outside the clone, and links it as .tools/aws-lambda-rie (git-ignored). Idempotent: when
# the cached binary exists this takes well under a second; a cold build (module downloads and
# compilation) took 1 to 5 minutes on 2 cores here, depending on what else was building.
# The module has no tagged releases on the proxy; `go list -m -versions` lists none and
# `go list -m github.com/aws/aws-lambda-runtime-interface-emulator@latest` gives the newest
# pseudo-version. Built with CGO_ENABLED=0: a static Go binary, so the LD_PRELOAD (libfaketime)
# meant for the function it spawns cannot load into the emulator itself.
# Prints the binary's path on its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
module=github.com/aws/aws-lambda-runtime-interface-emulator
version=v0.0.0-20261030222936-bef5c4ba774d
cache="${XDG_CACHE_HOME:-$HOME/.cache}/jwks-rotation/tools/aws-lambda-rie-$version"
bin="$cache/aws-lambda-rie"

link() {
  mkdir -p "$root/.tools"
  ln -sfn "$bin" "$root/.tools/aws-lambda-rie"
}

if [ -x "$bin" ]; then
  link
  echo "$root/.tools/aws-lambda-rie"
  exit 0
fi

command -v go >/dev/null || { echo "error: go is needed to build aws-lambda-rie (the Go toolchain is on this project's machines)" >&2; exit 1; }
echo "==> building aws-lambda-rie $version from the Go module proxy (go $(go env GOVERSION), niced; minutes on a cold cache)" >&2
mkdir -p "$cache"
tmp="$cache/bin.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath -buildvcs=false" \
    nice -n 10 go install "$module/cmd/aws-lambda-rie@$version" >&2; then
  echo "error: go install $module/cmd/aws-lambda-rie@$version failed (Go module proxy unreachable?)" >&2
  exit 1
fi
mv "$tmp/aws-lambda-rie" "$bin"
echo "    aws-lambda-rie built in $((SECONDS - t0))s into $cache" >&2
link
echo "$root/.tools/aws-lambda-rie"
