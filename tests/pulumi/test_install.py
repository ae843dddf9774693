"""A user's install, with the real Pulumi CLI: nothing placed by hand.

A local HTTP server on loopback (install/release_server.py) serves a folder of release
artifacts, the download host of the release: the plugin tarball
`pulumi-resource-jwks-rotation-v<version>-linux-amd64.tar.gz` made by the release script from the
binary of `make build` (`scripts/dist.py plugins --platform linux-amd64 --linux-amd64-binary
bin/pulumi-resource-jwks-rotation`). The server listens first; then the release script builds the
SDK packages for its URL (`scripts/dist.py sdks --plugin-download-url http://127.0.0.1:<port>`:
the npm pack tarball, the wheel and the sdist), so their pluginDownloadURL is the server. Then,
for a JavaScript program and a Python program, each in a fresh project with a fresh PULUMI_HOME
and a fresh file backend (`pulumi login file://...`):

* the Node.js SDK is installed with `npm install <tgz>` into a fresh package.json project, the
  Python SDK with `pip install <whl>` into a fresh venv; their dependencies (@pulumi/pulumi,
  @pulumi/aws; pulumi, pulumi-aws) come from the npm registry and PyPI;
* the pulumi-aws stand-in (aws_standin/) is packed as a plugin tarball and installed with
  `pulumi plugin install resource aws <version> --file <tgz>` at exactly the version the
  component registers its children with (`scripts/project_meta.py aws-version`);
* `pulumi up --yes` runs with no `plugins.providers` in Pulumi.yaml, PULUMI_IGNORE_AMBIENT_PLUGINS
  and a PATH without bin/, the stand-in or anything else of the repository except the CLI and
  its language hosts (.tools/pulumi/bin): the CLI has to download the provider plugin. The
  server's access log must show the GET of the tarball and nothing else, the CLI must say it
  downloaded it, and the plugin must then sit in PULUMI_HOME/plugins/resource-jwks-rotation-
  v<version>/, byte-identical to bin/'s binary;
* the outputs (jwksUrl, bucketName, secretArn, ...; the secret coming back as an @pulumi/aws or
  pulumi_aws resource) and the secret and bucket in moto are checked; `pulumi refresh
  --expect-no-changes` finds nothing to change; `pulumi destroy --yes` deletes the bucket and
  schedules the secret's deletion; neither downloads anything again;
* (JavaScript only, a few seconds) the stand-in installed at another version is not taken: with
  it, `pulumi preview` fails asking for pulumi-aws <aws-version>.

Download route: the schema's pluginDownloadURL itself, plain http. The CLI accepts it
(sdk/go/common/workspace/plugins.go at v3.274.1: an http(s) URL becomes an httpSource, which
replaces ${NAME}, ${VERSION}, ${OS} and ${ARCH} in the URL, trims a trailing slash and appends
`/pulumi-resource-<name>-v<version>-<os>-<arch>.tar.gz`), so the test needs no
PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES for this package. It sets one for another purpose: the
plugins Pulumi would fetch from its own GitHub organisation (github://api.github.com/pulumi/...,
e.g. pulumi-aws at a version that is not installed) are sent to <server>/upstream/, where nothing
is served, so such a download fails at once with a 404 instead of reaching for the internet, and
the access log shows it.

Limitations:
* The real pulumi-aws plugin cannot be downloaded here, so the stand-in is installed from a local
  tarball, and the projects pin `@pulumi/aws@<aws-version>` / `pulumi-aws==<aws-version>` next to
  the SDK (the SDKs ask for a range, ^7.48.0 / >=7.48.0,<8; unpinned, npm and pip would take the
  newest 7.x, and the engine would need that version's plugin too). The stand-in runs with the
  Python of JWKS_TEST_PYTHON (.tools/venv: boto3, grpcio, pulumi).
* The JavaScript program is examples/typescript/index.ts as plain JavaScript (install/nodejs):
  no compiler to install. The Python program is examples/python/__main__.py.
* The pinned Python language host (v3.62.0) reads Pulumi.yaml's `virtualenv` option from a
  command line flag that the v3.274.1 engine no longer passes, so the venv is activated the way
  `source venv/bin/activate` does (VIRTUAL_ENV, PATH) instead.
* pip installs with --no-compile (no .pyc precompilation of pulumi_aws's thousands of modules:
  half a minute on two cores; Python compiles what it imports anyway). npm and pip caches are per
  machine, under ~/.cache/jwks-rotation/{npm,pip}.
* The plugin tarball is linux-amd64 only (bin/ from `make build`); the test fails elsewhere.
"""

import hashlib
import json
import os
import platform
import shutil
import sys
import tarfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, TEST_VENV, TOOLS_BIN, Pulumi, run_checked

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "install"))
sys.path.insert(0, str(ROOT / "scripts"))

import project_meta  # noqa: E402
from release_server import ReleaseServer  # noqa: E402

VERSION = project_meta.version()
AWS_VERSION = project_meta.aws_version()
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
PLATFORM = f"{platform.system().lower()}-{ARCH}"  # as the CLI names it: GOOS-GOARCH
PLUGIN_TGZ = f"pulumi-resource-jwks-rotation-v{VERSION}-{PLATFORM}.tar.gz"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "jwks-rotation"
# What the pulumi-aws stand-in reads (its modules, the input fixture of its version, and its
# version: Cargo.toml through scripts/project_meta.py), kept at their repository paths inside its
# plugin tarball, so that its relative paths resolve there as in the repository.
STANDIN_FILES = [
    *(p.relative_to(ROOT).as_posix() for p in sorted((HERE / "aws_standin").glob("*.py"))),
    f"tests/pulumi/fixtures/pulumi-aws-inputs-{AWS_VERSION}.json",
    "scripts/project_meta.py",
    "Cargo.toml",
]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def dist(*args):
    """scripts/dist.py, the release script (what `make dist` runs)."""
    return run_checked([sys.executable, str(ROOT / "scripts" / "dist.py"), *map(str, args)],
                       cwd=ROOT, timeout=1800)


class Release:
    def __init__(self, server, sdks, standin_tgz):
        self.server = server
        self.sdks = sdks
        self.standin_tgz = standin_tgz

    def sdk(self, pattern):
        found = sorted(self.sdks.glob(pattern))
        assert len(found) == 1, f"{pattern} in {self.sdks}: {[p.name for p in self.sdks.iterdir()]}"
        return found[0]


@pytest.fixture(scope="module")
def release(tmp_path_factory, provider_bin):
    """The release server, its plugin tarball, the SDK packages for its URL, the stand-in."""
    if PLATFORM != "linux-amd64":
        pytest.fail(f"the plugin tarball is packed from bin/ as linux-amd64; this is {PLATFORM}")
    base = tmp_path_factory.mktemp("release")
    downloads = base / "downloads"
    downloads.mkdir()
    server = ReleaseServer(downloads).start()  # the port first, then the SDKs for it
    try:
        t0 = time.monotonic()
        sdks = base / "sdks"
        dist("sdks", "--plugin-download-url", server.url, "--out", sdks)
        dist("plugins", "--platform", "linux-amd64", "--linux-amd64-binary", provider_bin,
             "--out", downloads)
        print(f"release artifacts built in {time.monotonic() - t0:.1f}s")
        assert (downloads / PLUGIN_TGZ).is_file(), sorted(p.name for p in downloads.iterdir())
        standin = base / f"pulumi-resource-aws-v{AWS_VERSION}-{PLATFORM}.tar.gz"
        with tarfile.open(standin, "w:gz") as tar:
            tar.add(HERE / "install" / "pulumi-resource-aws", arcname="pulumi-resource-aws")
            for rel in STANDIN_FILES:
                tar.add(ROOT / rel, arcname=rel)
        yield Release(server, sdks, standin)
    finally:
        server.stop()


def cli_env(home, aws_env, server):
    """A user's shell: the CLI and language hosts of .tools/pulumi/bin, nothing else of the repo."""
    root = os.path.realpath(ROOT)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep)
            if p and os.path.commonpath([root, os.path.realpath(p)]) != root]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PULUMI_", "AWS_", "JWKS_", "npm_"))
           and k not in ("VIRTUAL_ENV", "PYTHONPATH", "NODE_PATH")}
    env.update(aws_env)
    env.update({
        "PATH": os.pathsep.join([str(TOOLS_BIN), *path]),
        "PULUMI_HOME": str(home),
        "PULUMI_CONFIG_PASSPHRASE": "jwks-rotation-tests",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
        "PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES":
            f"^github://api\\.github\\.com/pulumi/={server.url}/upstream",
        # the stand-in's interpreter; see install/pulumi-resource-aws
        "JWKS_TEST_PYTHON": str(TEST_VENV / "bin" / "python"),
        "NO_COLOR": "1",
    })
    return env


def install_nodejs(release, work):
    """A fresh npm project: the SDK from its npm pack tarball, the rest from the registry.
    Returns the installed package's `pulumi` metadata and the shell to run the CLI in."""
    (work / "package.json").write_text(json.dumps(
        {"name": "jwks-install-nodejs", "private": True, "main": "index.js"}, indent=2) + "\n")
    shutil.copy(HERE / "install" / "nodejs" / "index.js", work / "index.js")
    (work / "Pulumi.yaml").write_text("name: jwks-install-nodejs\nruntime: nodejs\n")
    env = dict(os.environ, npm_config_cache=str(CACHE / "npm"), npm_config_update_notifier="false")
    run_checked(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                 str(release.sdk("*.tgz")), f"@pulumi/aws@{AWS_VERSION}"],
                cwd=work, env=env, timeout=1800)
    pkg = work / "node_modules" / "@jwks-rotation" / "pulumi" / "package.json"
    return json.loads(pkg.read_text())["pulumi"], lambda shell: shell


def install_python(release, work):
    """A fresh venv: the SDK from its wheel, the rest from PyPI. Returns the installed package's
    pulumi-plugin.json and the shell to run the CLI in (the venv activated)."""
    shutil.copy(ROOT / "examples" / "python" / "__main__.py", work / "__main__.py")
    (work / "Pulumi.yaml").write_text("name: jwks-install-python\nruntime: python\n")
    venv = work / "venv"
    run_checked([sys.executable, "-m", "venv", str(venv)], cwd=work)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run_checked([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                 "--no-compile", "--cache-dir", str(CACHE / "pip"),
                 str(release.sdk("*.whl")), f"pulumi-aws=={AWS_VERSION}"],
                cwd=work, env=env, timeout=1800)
    meta = next(venv.glob("lib/python*/site-packages/pulumi_jwks_rotation/pulumi-plugin.json"))

    def activated(shell):  # what `source venv/bin/activate` changes
        return dict(shell, VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{shell['PATH']}")

    return json.loads(meta.read_text()), activated


@pytest.mark.parametrize("lang", ["nodejs", "python"])
def test_install_as_a_user(lang, release, tmp_path, aws_env, aws, provider_bin):
    server = release.server
    work = tmp_path / f"program-{lang}"
    work.mkdir()
    t0 = time.monotonic()
    plugin_meta, activate = (install_nodejs if lang == "nodejs" else install_python)(release, work)
    print(f"{lang}: SDK and its dependencies installed in {time.monotonic() - t0:.1f}s")
    # the installed SDK names the release server as the home of its plugin
    assert plugin_meta.get("server") == server.url, plugin_meta
    assert plugin_meta.get("version") == VERSION, plugin_meta

    home = tmp_path / "pulumi-home"
    backend = tmp_path / "backend"
    backend.mkdir()
    cli = Pulumi(work, activate(cli_env(home, aws_env, server)), "dev").run
    cli("login", f"file://{backend}")
    cli("plugin", "install", "resource", "aws", AWS_VERSION, "--file", str(release.standin_tgz))
    plugins = home / "plugins"
    installed = plugins / f"resource-jwks-rotation-v{VERSION}"
    assert not installed.exists()
    secret_name = f"jwks-install-{lang}"
    cli("stack", "init", "dev")
    cli("config", "set", "--plaintext", "secretName", secret_name)

    # up: the CLI downloads the plugin from the pluginDownloadURL, and only that
    server.clear()
    up = cli("up", "--yes")
    log = server.log()
    print(f"{lang}: the release server saw {log}")
    assert ("GET", f"/{PLUGIN_TGZ}", 200) in log, (log, up.stdout, up.stderr)
    assert {(path, status) for _, path, status in log} == {(f"/{PLUGIN_TGZ}", 200)}, log
    assert f"Downloading plugin jwks-rotation-{VERSION}: done" in up.stdout + up.stderr, up.stdout
    binary = installed / "pulumi-resource-jwks-rotation"
    assert binary.is_file(), sorted(p.name for p in plugins.iterdir())
    assert sha256(binary) == sha256(provider_bin)

    # the stack: its outputs and what reached moto
    out = json.loads(cli("stack", "output", "--json", "--show-secrets").stdout)
    bucket = out["bucketName"]
    assert out["jwksUrl"] == f"https://{bucket}.s3.us-east-1.amazonaws.com/.well-known/jwks.json"
    assert out["secretName"] == secret_name
    assert out["rotationFunctionName"].startswith("signing-rotation")
    desc = aws.sm.describe_secret(SecretId=secret_name)
    assert "DeletedDate" not in desc
    # the created secret came back as a typed @pulumi/aws / pulumi_aws resource
    assert out["secretArn"] == desc["ARN"] == out["secretResourceArn"]
    if lang == "nodejs":
        assert out["secretIsAwsSecret"] is True
    aws.s3.head_bucket(Bucket=bucket)

    # refresh finds nothing to change; destroy removes the stack; no more downloads
    server.clear()
    cli("refresh", "--yes", "--expect-no-changes")
    cli("destroy", "--yes")
    assert server.log() == [], "the installed plugin is used: nothing is downloaded again"
    assert bucket not in [b["Name"] for b in aws.s3.list_buckets().get("Buckets", [])]
    assert "DeletedDate" in aws.sm.describe_secret(SecretId=secret_name)

    if lang == "nodejs":
        # the stand-in at another version does not stand in for <aws-version>: the engine wants
        # exactly that version, and tries to download it (to <server>/upstream/, a 404)
        other = f"{AWS_VERSION.split('.')[0]}.0.0"
        cli("plugin", "rm", "resource", "aws", AWS_VERSION, "--yes")
        cli("plugin", "install", "resource", "aws", other, "--file", str(release.standin_tgz))
        server.clear()
        pre = cli("preview", check=False)
        wanted = f"/upstream/pulumi-resource-aws-v{AWS_VERSION}-{PLATFORM}.tar.gz"
        assert pre.returncode != 0, pre.stdout
        assert ("GET", wanted, 404) in server.log(), (server.log(), pre.stdout, pre.stderr)
        assert f"v{AWS_VERSION}" in pre.stdout + pre.stderr, pre.stdout
    print(f"{lang}: installs, up, refresh, destroy in {time.monotonic() - t0:.1f}s")
