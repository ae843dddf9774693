#!/usr/bin/env bash
# Builds the Pulumi CLI and its language hosts from the Go module proxy, at pinned versions, into
# a cache outside the clone, and links it as .tools/pulumi (git-ignored). Tests put
# .tools/pulumi/bin first on PATH.
#
#   pulumi                         github.com/pulumi/pulumi/pkg/v3/cmd/pulumi      v3.274.1  (tools/pulumi)
#   pulumi-language-yaml           github.com/pulumi/pulumi-yaml/cmd/...           v1.25.0   (tools/pulumi-yaml)
#   pulumi-language-nodejs/python/go   github.com/pulumi/pulumi/sdk/v3/...         v3.62.0   (tools/pulumi-hosts)
#   pulumi-language-python-exec    the script of sdk/v3 v3.274.1 (python/cmd)
#   pulumi-codegen-host            ours (tools/pulumi/codegen-host): GeneratePackage with pkg/v3
#                                  v3.274.1's generators, for `pulumi package gen-sdk` only
#
# The wrapper modules under tools/ only require pulumi's modules and repeat their non-local
# replace directives (`go install module@version` refuses modules with replaces). The cache key
# is the hash of the wrapper modules: a change there, or a new machine, rebuilds (several
# minutes, niced); otherwise this takes well under a second.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=3.274.1
cache="${XDG_CACHE_HOME:-$HOME/.cache}/jwks-rotation/tools/pulumi-v$version"
key="$(cd "$root/tools" && cat pulumi/go.{mod,sum} pulumi/tools.go pulumi/codegen-host/*.go pulumi-yaml/go.{mod,sum} \
  pulumi-yaml/tools.go pulumi-hosts/go.{mod,sum} pulumi-hosts/tools.go | sha256sum | cut -c1-16)"
bins=(pulumi pulumi-codegen-host pulumi-language-yaml pulumi-language-nodejs pulumi-language-python pulumi-language-go
  pulumi-language-python-exec)

ready() {
  [ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] || return 1
  for b in "${bins[@]}"; do [ -x "$cache/bin/$b" ] || return 1; done
}

link() {
  mkdir -p "$root/.tools"
  ln -sfn "$cache" "$root/.tools/pulumi"
}

if ready; then
  link
  echo "==> pulumi tools v$version ready (cached in $cache)"
  exit 0
fi

command -v go >/dev/null || { echo "error: go is needed to build the Pulumi CLI" >&2; exit 1; }
mkdir -p "$cache"
tmp="$cache/bin.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS="${GOFLAGS:-} -trimpath -buildvcs=false"

step() { # name, dir, version variable=value, packages...
  local name="$1" dir="$2" ver="$3"
  shift 3
  local t0=$SECONDS
  echo "==> building $name (go $(go env GOVERSION), niced; takes minutes on a cold cache)"
  (cd "$root/tools/$dir" && nice -n 10 go build -ldflags "-X $ver" -o "$tmp/" "$@")
  echo "    $name built in $((SECONDS - t0))s"
}

sdkver=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
step "pulumi CLI v$version" pulumi "$sdkver=v$version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
step "pulumi-codegen-host (pkg/v3 v$version generators)" pulumi "$sdkver=v$version" ./codegen-host
mv "$tmp/codegen-host" "$tmp/pulumi-codegen-host"
step "pulumi-language-yaml v1.25.0" pulumi-yaml "github.com/pulumi/pulumi-yaml/pkg/version.Version=v1.25.0" \
  github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
step "pulumi-language-nodejs/python/go (sdk v3.62.0)" pulumi-hosts "$sdkver=v3.62.0" \
  github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
sdkdir="$(cd "$root/tools/pulumi" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$tmp/"

rm -rf "$cache/bin"
mv "$tmp" "$cache/bin"
echo "$key" >"$cache/key"
trap - EXIT
link
echo "==> pulumi tools v$version built into $cache: $("$cache/bin/pulumi" version)"
