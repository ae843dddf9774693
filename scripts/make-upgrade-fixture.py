#!/usr/bin/env python3
"""Regenerates tests/pulumi/fixtures/upgrade/: a stack state written by the previous release.

Not part of `make test`; run it by hand when the previous release changes:

    .tools/venv/bin/python scripts/make-upgrade-fixture.py [--keep-worktree]

after `make lambda pulumi-tools` (and `make tools`, for moto in .venv). What it does:

1. `git worktree add` of the release's commit outside the repository (default
   /tmp/jwks-<release>), with this checkout's dist/lambda/{x86_64,arm64}/bootstrap.zip copied in
   (its build.rs embeds them; see README.md of the fixture for what that means).
2. `cargo build --release -p pulumi-resource-jwks-rotation` there. The intermediate artifacts
   are shared with this checkout (build-dir = this checkout's target dir, so the dependencies are
   not rebuilt) while the final binary goes to the worktree's own target dir: the release binary
   never lands in target/release/, where `make build` takes the current one from.
3. `pulumi up` of tests/pulumi/fixtures/upgrade/Pulumi.yaml with that binary, exactly as the
   release's tests/pulumi/test_examples.py runs the examples: its own moto server
   (tests/support/moto_faithful.py of the release), its pulumi-aws stand-in, a file backend and a
   PULUMI_HOME in a temporary folder, no plugin downloads. The KMS key and the existing bucket
   the program refers to are created in moto first.
4. `pulumi stack export` into state-<release>.json, after checking that no private key material
   is in it (exported with --show-secrets for the check; the file keeps Pulumi's ciphertexts,
   if any, under the test passphrase `jwks-rotation-tests`), and provenance.json.
5. `git worktree remove` (unless --keep-worktree).
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

RELEASE = "0.1.0"
COMMIT = "4e77af1e9809c87629d0d00b9c25c109c61c26fa"
STACK = "upgrade"
PASSPHRASE = "jwks-rotation-tests"

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "pulumi" / "fixtures" / "upgrade"
TOOLS_BIN = ROOT / ".tools" / "pulumi" / "bin"
TEST_PYTHON = ROOT / ".tools" / "venv" / "bin" / "python"
MOTO_PYTHON = ROOT / ".venv" / "bin" / "python"
PLUGIN = "pulumi-resource-jwks-rotation"

# What must never be in a state: PEM private keys, and the private members of a JWK.
PRIVATE_MARKERS = [
    re.compile(r"PRIVATE KEY"),
    re.compile(r"privateKeyPem"),
    re.compile(r'\\?"(d|p|q|dp|dq|qi)\\?"\s*:'),
]


def step(msg):
    print(f"==> {msg}", flush=True)


def run(cmd, cwd=None, env=None, capture=False, timeout=3600):
    t0 = time.monotonic()
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    took = time.monotonic() - t0
    if p.returncode != 0:
        detail = f"\n{p.stdout}\n{p.stderr}" if capture else ""
        sys.exit(f"error: {' '.join(map(str, cmd))} failed ({p.returncode}, {took:.0f}s){detail}")
    return p


def need(path, hint):
    if not Path(path).exists():
        sys.exit(f"error: {path} is missing: {hint}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worktree(path):
    """The release's commit checked out at `path` (added when missing)."""
    if not path.exists():
        step(f"git worktree add {path} {COMMIT[:7]}")
        run(["git", "-C", ROOT, "worktree", "add", "--detach", path, COMMIT])
    head = run(["git", "-C", path, "rev-parse", "HEAD"], capture=True).stdout.strip()
    if head != COMMIT:
        sys.exit(f"error: {path} is at {head}, not {COMMIT}")
    for arch in ("x86_64", "arm64"):
        src = ROOT / "dist" / "lambda" / arch / "bootstrap.zip"
        dest = path / "dist" / "lambda" / arch / "bootstrap.zip"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
    return path


def build(wt):
    """The release's provider, built in release mode; returns the folder holding it."""
    env = dict(os.environ)
    shared = Path(env.get("CARGO_TARGET_DIR", ROOT / "target"))
    env["CARGO_BUILD_BUILD_DIR"] = str(shared)
    env["CARGO_TARGET_DIR"] = str(wt / "target")
    step(f"cargo build --release -p {PLUGIN} at {COMMIT[:7]} (build-dir {shared})")
    run(["cargo", "build", "--release", "--locked", "-p", PLUGIN], cwd=wt, env=env)
    binary = wt / "target" / "release" / PLUGIN
    need(binary, "the release build did not produce it")
    bindir = wt / "bin"
    bindir.mkdir(exist_ok=True)
    shutil.copy2(binary, bindir / PLUGIN)
    return bindir


class Moto:
    """The release's moto server (tests/support/moto_faithful.py) on a loopback port."""

    def __init__(self, wt, logdir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(logdir / "moto.log", "w")
        self.proc = subprocess.Popen(
            [MOTO_PYTHON, wt / "tests" / "support" / "moto_faithful.py", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"error: moto did not start (see {self.log.name})")
                time.sleep(0.2)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def pulumi_env(wt, tmp, moto_url):
    """The environment of the release's tests/pulumi/conftest.py (pulumi_env)."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "AWS_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    standin = wt / "tests" / "pulumi" / "aws_standin" / "bin"
    env.update({
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PATH": os.pathsep.join([str(TOOLS_BIN), str(standin), env.get("PATH", "")]),
        "PULUMI_HOME": str(tmp / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "JWKS_TEST_PYTHON": str(TEST_PYTHON),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
        "NO_COLOR": "1",
    })
    (tmp / "home").mkdir()
    (tmp / "backend").mkdir()
    return env


def aws_setup(moto_url):
    """What the program refers to and does not create: a KMS key and an existing bucket."""
    import boto3

    kw = dict(endpoint_url=moto_url, region_name="us-east-1",
              aws_access_key_id="testing", aws_secret_access_key="testing")
    key = boto3.client("kms", **kw).create_key(Description="jwks-rotation upgrade fixture")
    bucket = "jwks-upgrade-existing-bucket"
    boto3.client("s3", **kw).create_bucket(Bucket=bucket)
    return key["KeyMetadata"]["Arn"], bucket


def private_material(text):
    return [m.pattern for m in PRIVATE_MARKERS if m.search(text)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worktree", type=Path, default=Path(f"/tmp/jwks-{RELEASE}"))
    ap.add_argument("--keep-worktree", action="store_true")
    args = ap.parse_args()

    for arch in ("x86_64", "arm64"):
        need(ROOT / "dist" / "lambda" / arch / "bootstrap.zip", "run `make lambda`")
    need(TOOLS_BIN / "pulumi", "run `make pulumi-tools`")
    need(TEST_PYTHON, "run `make pulumi-tools`")
    need(MOTO_PYTHON, "run `make tools`")

    wt = worktree(args.worktree.resolve())
    bindir = build(wt)

    with tempfile.TemporaryDirectory(prefix="jwks-upgrade-fixture-") as tmpname:
        tmp = Path(tmpname)
        moto = Moto(wt, tmp)
        try:
            env = pulumi_env(wt, tmp, moto.url)
            kms_arn, existing_bucket = aws_setup(moto.url)
            work = tmp / "program"
            work.mkdir()
            program = (FIXTURE / "Pulumi.yaml").read_text()
            assert "path: ../../../../bin" in program
            (work / "Pulumi.yaml").write_text(
                program.replace("path: ../../../../bin", f"path: {bindir}"))

            def pulumi(*a, capture=True):
                return run([TOOLS_BIN / "pulumi", *a, "--non-interactive"], cwd=work, env=env,
                           capture=capture)

            cli_version = pulumi("version").stdout.strip()
            schema = json.loads(pulumi("package", "get-schema", bindir / PLUGIN).stdout)
            if schema.get("version") != RELEASE:
                sys.exit(f"error: the built provider says version {schema.get('version')}")
            step(f"pulumi up (CLI {cli_version}, provider {schema['version']}, moto {moto.url})")
            pulumi("stack", "init", STACK)
            pulumi("config", "set", "kmsKeyArn", kms_arn)
            pulumi("config", "set", "existingBucket", existing_bucket)
            pulumi("up", "--yes", "--skip-preview", capture=False)
            pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")

            state = pulumi("stack", "export").stdout
            shown = pulumi("stack", "export", "--show-secrets").stdout
            found = private_material(shown)
            if found:
                sys.exit(f"error: the state holds private key material ({found})")
            deployment = json.loads(state)
            resources = deployment["deployment"]["resources"]
            providers = sorted(r["urn"].split("::")[-1] + " " + r["type"]
                               for r in resources if r["type"].startswith("pulumi:providers:"))
            want = ["default_0_1_0 pulumi:providers:jwks-rotation",
                    "default_7_0_0 pulumi:providers:aws"]
            if providers != want:
                sys.exit(f"error: the state's provider resources are {providers}, not {want}")
            standin = run([env["JWKS_TEST_PYTHON"], "-c",
                           "import sys; sys.path.insert(0, sys.argv[1]); import aws_schema; "
                           "print(aws_schema.VERSION)",
                           wt / "tests" / "pulumi" / "aws_standin"], capture=True).stdout.strip()
        finally:
            moto.close()

    (FIXTURE / f"state-{RELEASE}.json").write_text(state if state.endswith("\n") else state + "\n")
    types = {}
    for r in resources:
        types[r["type"]] = types.get(r["type"], 0) + 1
    provenance = {
        "release": RELEASE,
        "commit": COMMIT,
        "providerVersion": schema["version"],
        "pulumiCli": cli_version,
        "awsStandin": {"reports": standin,
                       "from": f"tests/pulumi/aws_standin at {COMMIT[:7]}"},
        "providerResources": providers,
        "config": {"kmsKeyArn": kms_arn, "existingBucket": existing_bucket},
        "lambdaZips": "dist/lambda of the checkout that ran the script, not built at "
                      f"{COMMIT[:7]} (see README.md)",
        "stack": STACK,
        "project": "jwks-rotation-upgrade",
        "program": "Pulumi.yaml",
        "passphrase": PASSPHRASE,
        "resources": dict(sorted(types.items())),
        "made": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": "scripts/make-upgrade-fixture.py",
        "privateKeyMaterial": "none (checked on `pulumi stack export --show-secrets`)",
    }
    (FIXTURE / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    step(f"wrote {FIXTURE / f'state-{RELEASE}.json'} ({len(resources)} resources) "
         f"and provenance.json")

    if not args.keep_worktree:
        step(f"git worktree remove {wt}")
        run(["git", "-C", ROOT, "worktree", "remove", "--force", wt])


if __name__ == "__main__":
    main()
