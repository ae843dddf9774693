#!/usr/bin/env python3
"""Stamps the release settings of Cargo.toml into schema.json (`make schema`).

The workspace Cargo.toml is the one source (scripts/project_meta.py reads it):
  - `version` of the schema      <- [workspace.package] version
  - `pluginDownloadURL`          <- [workspace.metadata.release] plugin-download-url
                                    (or --plugin-download-url URL, for a test build)
  - every `/aws/vX.Y.Z/schema.json` resource reference, the Node.js dependency
    `@pulumi/aws` (^X.Y.Z) and the Python requirement `pulumi-aws` (>=X.Y.Z,<X+1)
                                 <- [workspace.metadata.release] pulumi-aws
  - the pulumi-aws requirement of the Go SDK's module (sdk/go.mod), from the same setting
    (only when stamping schema.json in place)

    scripts/stamp-schema.py                         rewrites schema.json in place
    scripts/stamp-schema.py --out FILE [--plugin-download-url URL]
                                                    writes a stamped copy to FILE
    scripts/stamp-schema.py --check                 exits 1 when schema.json is not stamped

The provider test `schema::tests::schema_json_is_stamped` fails when schema.json and Cargo.toml
disagree; the SDKs are then regenerated from schema.json with `make sdk`.
"""

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import project_meta  # noqa: E402

AWS_REF = re.compile(r"^/aws/v[^/]+/schema\.json#")


def stamp(schema, version, aws_version, download_url):
    """Returns the schema with the release settings applied (the argument is not changed)."""
    out = json.loads(json.dumps(schema))
    major = int(aws_version.split(".")[0])
    stamped = {}
    for key, value in out.items():
        if key == "pluginDownloadURL":
            continue  # placed right after `version` below
        stamped[key] = value
        if key == "version":
            stamped[key] = version
            stamped["pluginDownloadURL"] = download_url
    stamped.pop("dependencies", None)
    stamped["language"]["nodejs"].setdefault("dependencies", {})["@pulumi/aws"] = f"^{aws_version}"
    stamped["language"]["python"].setdefault("requires", {})["pulumi-aws"] = f">={aws_version},<{major + 1}"

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str) and AWS_REF.match(v):
                    node[k] = AWS_REF.sub(f"/aws/v{aws_version}/schema.json#", v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(stamped)
    return stamped


GO_AWS = re.compile(r"(github\.com/pulumi/pulumi-aws/sdk/v)(\d+) v[0-9][^\s]*")


def stamp_go_mod(text, aws_version):
    """sdk/go.mod with the pulumi-aws requirement at aws_version."""
    major = aws_version.split(".")[0]
    if not GO_AWS.search(text):
        raise SystemExit("sdk/go.mod has no github.com/pulumi/pulumi-aws/sdk/vN requirement")
    return GO_AWS.sub(lambda m: f"{m.group(1)}{major} v{aws_version}", text)


def render(schema):
    """The file text, formatted as schema.json is committed."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", default=str(project_meta.ROOT / "schema.json"))
    parser.add_argument("--out", help="write the stamped schema here instead of in place")
    parser.add_argument("--plugin-download-url", default=project_meta.plugin_download_url())
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not re.match(r"^(https?|github|gitlab)://", args.plugin_download_url):
        parser.error(f"--plugin-download-url {args.plugin_download_url!r}: must be an "
                     "http(s)://, github:// or gitlab:// URL")
    path = Path(args.schema)
    text = path.read_text()
    result = render(stamp(json.loads(text), project_meta.version(), project_meta.aws_version(),
                          args.plugin_download_url))
    go_mod = project_meta.ROOT / "sdk" / "go.mod"
    go_text = go_mod.read_text()
    go_result = stamp_go_mod(go_text, project_meta.aws_version())
    if args.check:
        stale = [str(p) for p, a, b in ((path, result, text), (go_mod, go_result, go_text)) if a != b]
        if stale:
            print(f"{', '.join(stale)}: not stamped with Cargo.toml's release settings: run "
                  "`make schema`", file=sys.stderr)
            return 1
        return 0
    out = Path(args.out) if args.out else path
    out.write_text(result)
    if not args.out:
        go_mod.write_text(go_result)
    print(f"==> {out}: version {project_meta.version()}, pulumi-aws {project_meta.aws_version()}, "
          f"pluginDownloadURL {args.plugin_download_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
