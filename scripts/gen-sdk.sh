#!/usr/bin/env bash
# Regenerates the SDKs from schema.json with the pinned Pulumi CLI (`pulumi package gen-sdk`):
#   scripts/gen-sdk.sh            rewrites sdk/nodejs, sdk/python, sdk/go
#   scripts/gen-sdk.sh OUT        writes them into OUT instead (the drift test compares)
#   scripts/gen-sdk.sh OUT SCHEMA LANG...   another schema and languages (tests: the Go SDK of
#                                 the partial aws schema of the pulumi-aws stand-in)
# The schema refers to pulumi-aws resources, so the generator loads the aws schema from the aws
# plugin: here the test stand-in (tests/pulumi/aws_standin), which serves the part of the
# pulumi-aws v7 schema that the referenced types need. gen-sdk asks the language host to
# generate (GeneratePackage); the hosts built here predate that RPC, so for this command
# pulumi-codegen-host (tools/pulumi/codegen-host: pulumi's own generators at the CLI's version)
# stands in as pulumi-language-<lang>. There is no sdk/dotnet (nor sdk/java): pkg/v3 v3.274.1
# has no .NET generator (pkg/codegen/dotnet moved to the pulumi-dotnet repository, whose Go
# modules the Go module proxy refuses here: 403), and no .NET SDK or compiler is on this
# machine, so the schema's `csharp` section (rootNamespace `Jwks`, namespace `Jwks.Rotation`
# for the package, so that the class `JwksRotation` is not also the name of its namespace) is
# generated and compiled nowhere here. Needs scripts/pulumi-tools.sh and
# scripts/pulumi-test-deps.sh to have run (make pulumi-tools does both).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/sdk}"
schema="${2:-$root/schema.json}"
langs=(nodejs python go)
[ $# -gt 2 ] && langs=("${@:3}")
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/codegen"
for lang in "${langs[@]}"; do
  ln -s "$root/.tools/pulumi/bin/pulumi-codegen-host" "$home/codegen/pulumi-language-$lang"
done
export PATH="$home/codegen:$root/.tools/pulumi/bin:$root/tests/pulumi/aws_standin/bin:$PATH"
export PULUMI_HOME="$home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export JWKS_TEST_PYTHON="$root/.tools/venv/bin/python"
mkdir -p "$out"
for lang in "${langs[@]}"; do
  rm -rf "${out:?}/$lang"
  pulumi package gen-sdk "$schema" --language "$lang" --out "$out" >/dev/null
done
echo "==> SDKs generated from $(basename "$schema") into $out (${langs[*]})"
