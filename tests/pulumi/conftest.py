"""Shared fixtures for the tests that run the real Pulumi CLI.

Everything runs against things started here: moto (tests/support/moto_faithful.py) on a loopback
port, a local file backend in a temporary folder, and a temporary PULUMI_HOME, so nothing is
downloaded and nothing outside the temporary folders is written. The Pulumi CLI and its language
hosts come from .tools/pulumi/bin (scripts/pulumi-tools.sh), the provider from bin/ (make build),
and the pulumi-aws stand-in from tests/pulumi/aws_standin/bin.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "pulumi" / "bin"
STANDIN_BIN = ROOT / "tests" / "pulumi" / "aws_standin" / "bin"
PROVIDER_BIN = ROOT / "bin"
TEST_VENV = ROOT / ".tools" / "venv"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto():
    """moto server, patched to behave like AWS, for the whole session."""
    port = free_port()
    py = os.environ.get("MOTO_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"moto-pulumi-{port}.log", "w")
    proc = subprocess.Popen(
        [py, str(ROOT / "tests" / "support" / "moto_faithful.py"), str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto did not start (see {log.name})")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def aws_env(moto):
    return {
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.fixture(scope="session")
def aws(aws_env):
    """boto3 clients on moto, to check what reached it."""
    kw = dict(
        endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )

    class Clients:
        sm = boto3.client("secretsmanager", **kw)
        s3 = boto3.client("s3", **kw)

    return Clients


@pytest.fixture(scope="session")
def pulumi_env(tmp_path_factory, aws_env):
    """Environment for the CLI: tools first on PATH, file backend, no downloads."""
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail(f"{TOOLS_BIN / 'pulumi'} is missing: run `make pulumi-tools`")
    home = tmp_path_factory.mktemp("pulumi-home")
    backend = tmp_path_factory.mktemp("pulumi-backend")
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "AWS_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(aws_env)
    env.update({
        "PATH": os.pathsep.join([str(TOOLS_BIN), str(STANDIN_BIN), env.get("PATH", "")]),
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "jwks-rotation-tests",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "JWKS_TEST_PYTHON": str(TEST_VENV / "bin" / "python"),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
        "NO_COLOR": "1",
    })
    return env


class Pulumi:
    """Runs the real CLI in one program folder."""

    def __init__(self, cwd, env, stack):
        self.cwd = Path(cwd)
        self.env = env
        self.stack = stack

    def run(self, *args, check=True, timeout=900):
        cmd = [str(TOOLS_BIN / "pulumi"), *args, "--non-interactive"]
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=self.cwd, env=self.env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL,
                           timeout=timeout)
        took = time.monotonic() - t0
        print(f"$ pulumi {' '.join(args)}  ({took:.1f}s, exit {p.returncode})")
        if check and p.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
            )
        return p

    def outputs(self):
        p = self.run("stack", "output", "--json", "--show-secrets", "--stack", self.stack)
        return json.loads(p.stdout)


@pytest.fixture(scope="session")
def provider_bin():
    path = PROVIDER_BIN / "pulumi-resource-jwks-rotation"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make build`")
    return path


@pytest.fixture
def pulumi_factory(pulumi_env, provider_bin):
    def make(cwd, stack="test"):
        return Pulumi(cwd, pulumi_env, stack)
    return make


def copy_example(name, dest):
    """The example folder, copied with plugins.providers pointing at this checkout's bin/."""
    src = ROOT / "examples" / name
    shutil.copytree(
        src, dest,
        ignore=shutil.ignore_patterns("node_modules", "venv", "bin", "Pulumi.*.yaml", "__pycache__"),
    )
    project = dest / "Pulumi.yaml"
    text = project.read_text().replace("path: ../../bin", f"path: {PROVIDER_BIN}")
    project.write_text(text)
    return dest


def run_checked(cmd, cwd, env=None, timeout=900):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    print(f"$ {' '.join(map(str, cmd))}  ({time.monotonic() - t0:.1f}s, exit {p.returncode})")
    if p.returncode != 0:
        raise AssertionError(f"{cmd} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


sys.path.insert(0, str(Path(__file__).parent))
