"""Builds and installs the committed SDKs the way a consumer gets them, once per test session.

* Node.js: sdk/nodejs compiled with tsc (as its package.json's `build` script does) and placed as
  node_modules/@jwks-rotation/pulumi of .tools/node, next to the real @pulumi/pulumi and
  @pulumi/aws (scripts/pulumi-test-deps.sh); programs and tests run inside .tools/node/work.
* Python: sdk/python installed into .tools/venv with pip (real pulumi and pulumi-aws there).
* Go: sdk/go used through a replace directive. pulumi-aws's Go SDK v7 is not served by the Go
  module proxy, so a Go SDK generated (with the same gen-sdk) from the stand-in's partial aws
  schema takes its module path github.com/pulumi/pulumi-aws/sdk/v7, through a replace too.
"""

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, TEST_VENV, run_checked

sys.path.insert(0, str(ROOT / "scripts"))
import project_meta  # noqa: E402

NODE = ROOT / ".tools" / "node"
AWS_GO = ROOT / ".tools" / "aws-go-sdk"


@functools.lru_cache(maxsize=None)
def node_workspace() -> Path:
    if not (NODE / "node_modules" / "@pulumi" / "pulumi").exists():
        raise AssertionError("run scripts/pulumi-test-deps.sh (make pulumi-tools) first")
    build = NODE / "build" / "sdk-nodejs"
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(ROOT / "sdk" / "nodejs", build,
                    ignore=shutil.ignore_patterns("node_modules", "bin"))
    run_checked([str(NODE / "node_modules" / ".bin" / "tsc"), "-p", str(build)], cwd=build)
    for name in ("package.json", "README.md"):
        shutil.copy(build / name, build / "bin" / name)
    dest = NODE / "node_modules" / "@jwks-rotation" / "pulumi"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(build / "bin", dest)
    (NODE / "work").mkdir(exist_ok=True)
    return NODE


@functools.lru_cache(maxsize=None)
def python_sdk_installed() -> Path:
    work = ROOT / ".tools" / "build" / "sdk-python"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "sdk" / "python", work,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    run_checked([str(TEST_VENV / "bin" / "pip"), "install", "--quiet", "--no-deps",
                 "--force-reinstall", "--disable-pip-version-check", str(work)], cwd=ROOT)
    return TEST_VENV


@functools.lru_cache(maxsize=None)
def aws_go_sdk() -> Path:
    """Go SDK of the partial aws schema, as module github.com/pulumi/pulumi-aws/sdk/v7."""
    sys.path.insert(0, str(ROOT / "tests" / "pulumi" / "aws_standin"))
    import aws_schema

    AWS_GO.mkdir(parents=True, exist_ok=True)
    schema = AWS_GO / "schema.json"
    text = json.dumps(aws_schema.build(), indent=2)
    stamp = AWS_GO / "go" / ".schema"
    if not stamp.exists() or stamp.read_text() != text:
        schema.write_text(text)
        run_checked([str(ROOT / "scripts" / "gen-sdk.sh"), str(AWS_GO), str(schema), "go"], cwd=ROOT)
        (AWS_GO / "go.mod").write_text(
            "module github.com/pulumi/pulumi-aws/sdk/v7\n\ngo 1.24\n\n"
            "require github.com/pulumi/pulumi/sdk/v3 v3.274.1\n"
        )
        stamp.write_text(text)
    return AWS_GO


def go_module(work: Path, module: str, env=None) -> Path:
    """Writes work/go.mod using sdk/go and the aws Go SDK stand-in, and resolves it."""
    aws = aws_go_sdk()
    gomod = work / "go.mod"
    gomod.write_text(
        f"module {module}\n\ngo 1.24\n\n"
        "require (\n"
        f"\tgithub.com/jwks-rotation/jwks-rotation/sdk v{project_meta.version()}\n"
        f"\tgithub.com/pulumi/pulumi-aws/sdk/v7 v{project_meta.aws_version()}\n"
        "\tgithub.com/pulumi/pulumi/sdk/v3 v3.274.1\n"
        ")\n\n"
        f"replace github.com/jwks-rotation/jwks-rotation/sdk => {ROOT / 'sdk'}\n\n"
        f"replace github.com/pulumi/pulumi-aws/sdk/v7 => {aws}\n"
    )
    genv = dict(env or os.environ)
    genv.update({"GOWORK": "off", "GOFLAGS": "-mod=mod"})
    run_checked(["go", "mod", "tidy"], cwd=work, env=genv)
    return gomod


def go_program_module(work: Path) -> Path:
    return go_module(work, "jwks-rotation-example-go")
