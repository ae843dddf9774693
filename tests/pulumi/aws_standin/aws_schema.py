"""A partial pulumi-aws v7 package schema, built from the input fixture.

The real pulumi-aws schema is not available here (no plugin downloads, and no registry ships it).
Code generation (`pulumi package gen-sdk` for our schema, which refers to `aws:s3/bucket:Bucket`,
`aws:secretsmanager/secret:Secret` and `aws:lambda/function:Function`) and pulumi-yaml need the
aws schema only to name the referenced resources and their properties, so this module builds
one from `fixtures/pulumi-aws-inputs-<version>.json` (extracted from `@pulumi/aws` of that
version): every resource of the fixture with its inputs, required inputs and outputs, and the
language sections of the real package (`@pulumi/aws`, `pulumi_aws`,
`github.com/pulumi/pulumi-aws/sdk/v7/go/aws`).
Nested object types are `pulumi.json#/Any` (the fixture keeps their fields for validation only).

The version is not written here: it is the pulumi-aws version the component's children are
registered for, `[workspace.metadata.release] pulumi-aws` of the workspace Cargo.toml, read with
scripts/project_meta.py. The input fixture is the one extracted for that same version
(`fixtures/pulumi-aws-inputs-<version>.json`); when the version moves without a fixture for it,
loading fails and says so, rather than validating against another version's inputs.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import project_meta  # noqa: E402

VERSION = project_meta.aws_version()
FIXTURE = os.path.join(HERE, "..", "fixtures", f"pulumi-aws-inputs-{VERSION}.json")


def load_fixture(path=FIXTURE):
    if not os.path.exists(path):
        raise SystemExit(
            f"aws stand-in: no input fixture for pulumi-aws {VERSION} ({path}); the version comes "
            "from [workspace.metadata.release] pulumi-aws in Cargo.toml"
        )
    with open(path) as f:
        fx = json.load(f)
    if fx.get("version") != VERSION and path == FIXTURE:
        raise SystemExit(f"aws stand-in: {path} holds pulumi-aws {fx.get('version')}, not {VERSION}")
    return fx


def _prop(decl):
    """Schema property for a simplified TS input type of the fixture."""
    alts = [a.strip() for a in decl.split("|")]
    alts = [a for a in alts if not a.startswith("resource:")] or ["string"]
    if "Archive" in alts and "Asset" in alts:
        return {"$ref": "pulumi.json#/Asset"}
    a = alts[0].strip("()")
    if a.endswith("[]"):
        return {"type": "array", "items": _prop(a[:-2])}
    if a.startswith("map<") and a.endswith(">"):
        return {"type": "object", "additionalProperties": _prop(a[4:-1])}
    if a in ("string", "number", "boolean"):
        return {"type": a}
    if a == "Archive":
        return {"$ref": "pulumi.json#/Archive"}
    if a == "Asset":
        return {"$ref": "pulumi.json#/Asset"}
    if a.startswith("enum:"):
        return {"type": "string"}
    return {"$ref": "pulumi.json#/Any"}


def build(fixture=None):
    fx = fixture or load_fixture()
    resources = {}
    for token, res in fx["resources"].items():
        types = res.get("inputTypes", {})
        inputs = {name: _prop(types.get(name, "string")) for name in res["inputs"]}
        props = dict(inputs)
        for name in res.get("outputs", []):
            props[name] = {"type": "object", "additionalProperties": {"type": "string"}} \
                if name == "tagsAll" else {"type": "string"}
        resources[token] = {
            "description": f"{res.get('sdkClass', token)} (partial schema from the input fixture)",
            "inputProperties": inputs,
            "requiredInputs": list(res.get("required", [])),
            "properties": props,
            "required": [o for o in res.get("outputs", []) if o != "tagsAll"],
        }
    return {
        "name": "aws",
        "version": VERSION,
        "description": "Partial pulumi-aws schema for tests (resources of the input fixture).",
        "meta": {"moduleFormat": "(.*)(?:/[^/]*)"},
        "config": {},
        "provider": {"type": "object", "inputProperties": {"region": {"type": "string"}}},
        "resources": resources,
        "language": {
            "nodejs": {"packageName": "@pulumi/aws", "respectSchemaVersion": True},
            "python": {"packageName": "pulumi_aws", "respectSchemaVersion": True},
            "go": {
                "importBasePath": "github.com/pulumi/pulumi-aws/sdk/v7/go/aws",
                "generateResourceContainerTypes": True,
                "respectSchemaVersion": True,
            },
            "csharp": {"rootNamespace": "Pulumi", "namespaces": {"aws": "Aws"}},
        },
    }


if __name__ == "__main__":
    print(json.dumps(build(), indent=2))
