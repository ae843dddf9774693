#!/usr/bin/env python3
"""The release settings, read from their one source, the workspace Cargo.toml.

    scripts/project_meta.py version               the workspace version (plugin, schema, SDKs)
    scripts/project_meta.py aws-version           the pulumi-aws version the children use
    scripts/project_meta.py plugin-download-url   the default pluginDownloadURL

Importable too: `version()`, `aws_version()`, `plugin_download_url()`.
"""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _workspace():
    with open(ROOT / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["workspace"]


def version():
    """The workspace version: every artifact of a release carries it."""
    return _workspace()["package"]["version"]


def aws_version():
    """The pulumi-aws version the children are registered for."""
    return _workspace()["metadata"]["release"]["pulumi-aws"]


def plugin_download_url():
    """The default pluginDownloadURL of the package (the repository's release downloads)."""
    return _workspace()["metadata"]["release"]["plugin-download-url"]


def main(argv):
    getters = {"version": version, "aws-version": aws_version,
               "plugin-download-url": plugin_download_url}
    if len(argv) != 2 or argv[1] not in getters:
        print(f"usage: {argv[0]} {{{'|'.join(getters)}}}", file=sys.stderr)
        return 2
    print(getters[argv[1]]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
