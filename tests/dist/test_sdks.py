"""The SDK packages: the `npm pack` tarball of @jwks-rotation/pulumi and the wheel and sdist of
pulumi_jwks_rotation carry the version and the plugin metadata (`server` is the
pluginDownloadURL), and load: Node.js requires the packed package (with the real @pulumi/pulumi
of .tools/node) and its defaults name the version and URL; Python imports the wheel (with the
real pulumi of .tools/venv) and reads the same from it."""

import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT

NODE_MODULES = ROOT / ".tools" / "node" / "node_modules"
NPM_FILE = "jwks-rotation-pulumi-{v}.tgz"
WHEEL_FILE = "pulumi_jwks_rotation-{v}-py3-none-any.whl"
SDIST_FILE = "pulumi_jwks_rotation-{v}.tar.gz"


def plugin_meta(version, url):
    return {"resource": True, "name": "jwks-rotation", "version": version, "server": url}


def artifact(artifacts, pattern, version):
    path = artifacts / pattern.format(v=version)
    assert path.is_file(), f"{path.name} is missing from {artifacts}"
    return path


def test_the_sdks_were_built_for_this_url(manifest, plugin_download_url):
    assert manifest["sdks"]["pluginDownloadURL"] == plugin_download_url


def test_only_this_versions_packages(artifacts, version):
    found = sorted(p.name for p in artifacts.iterdir()
                   if p.name.startswith(("jwks-rotation-pulumi-", "pulumi_jwks_rotation-")))
    assert found == sorted(f.format(v=version) for f in (NPM_FILE, WHEEL_FILE, SDIST_FILE))


@pytest.fixture(scope="module")
def npm_package(artifacts, version, tmp_path_factory):
    """The npm tarball unpacked as node_modules/@jwks-rotation/pulumi of a scratch folder."""
    base = tmp_path_factory.mktemp("npm")
    dest = base / "node_modules" / "@jwks-rotation" / "pulumi"
    with tarfile.open(artifact(artifacts, NPM_FILE, version), "r:gz") as tar:
        names = tar.getnames()
        assert all(n.startswith("package/") for n in names), names
        for m in tar.getmembers():
            if m.isfile():
                out = dest / m.name[len("package/"):]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(m).read())
    return base, dest


def test_npm_package_json(npm_package, version, plugin_download_url):
    _, pkg_dir = npm_package
    pkg = json.loads((pkg_dir / "package.json").read_text())
    assert pkg["name"] == "@jwks-rotation/pulumi" and pkg["version"] == version
    assert pkg["pulumi"] == plugin_meta(version, plugin_download_url)
    assert (pkg_dir / pkg["main"]).is_file() and pkg["main"].endswith(".js")
    assert (pkg_dir / pkg["types"]).is_file() and pkg["types"].endswith(".d.ts")
    assert {"@pulumi/pulumi", "@pulumi/aws"} <= set(pkg["dependencies"])
    assert (pkg_dir / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert (pkg_dir / "types" / "input.d.ts").is_file() and (pkg_dir / "jwksRotation.d.ts").is_file()
    assert not [p for p in pkg_dir.rglob("*.ts") if not p.name.endswith(".d.ts")], (
        "TypeScript sources in the package: it must ship the compiled bin/")


def test_npm_package_loads_with_its_defaults(npm_package, version, plugin_download_url):
    base, _ = npm_package
    script = (
        "const m = require('@jwks-rotation/pulumi');"
        "if (typeof m.JwksRotation !== 'function') throw new Error('no JwksRotation export');"
        "const u = require('@jwks-rotation/pulumi/utilities');"
        "console.log(JSON.stringify({version: u.getVersion(), defaults: u.resourceOptsDefaults()}));"
    )
    env = dict(os.environ, NODE_PATH=f"{base / 'node_modules'}{os.pathsep}{NODE_MODULES}")
    out = subprocess.run(["node", "-e", script], cwd=base, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got == {"version": version,
                   "defaults": {"version": version, "pluginDownloadURL": plugin_download_url}}


def test_wheel_contents(artifacts, version, plugin_download_url):
    with zipfile.ZipFile(artifact(artifacts, WHEEL_FILE, version)) as whl:
        names = whl.namelist()
        meta = json.loads(whl.read("pulumi_jwks_rotation/pulumi-plugin.json"))
        metadata = whl.read(f"pulumi_jwks_rotation-{version}.dist-info/METADATA").decode()
        assert f"pulumi_jwks_rotation-{version}.dist-info/licenses/LICENSE" in names
    assert meta == plugin_meta(version, plugin_download_url)
    assert f"\nVersion: {version}\n" in metadata and "\nName: pulumi_jwks_rotation\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata
    assert "pulumi_jwks_rotation/py.typed" in names


def test_sdist_contents(artifacts, version, plugin_download_url):
    top = f"pulumi_jwks_rotation-{version}"
    with tarfile.open(artifact(artifacts, SDIST_FILE, version), "r:gz") as tar:
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()
        meta = json.loads(tar.extractfile(f"{top}/pulumi_jwks_rotation/pulumi-plugin.json").read())
        names = tar.getnames()
    assert f"\nVersion: {version}\n" in pkg_info
    assert meta == plugin_meta(version, plugin_download_url)
    assert f"{top}/pyproject.toml" in names and f"{top}/LICENSE" in names


def test_wheel_imports_with_its_defaults(artifacts, version, plugin_download_url):
    wheel = artifact(artifacts, WHEEL_FILE, version)
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "import pulumi_jwks_rotation as p; from pulumi_jwks_rotation import _utilities as u;"
        "assert p.JwksRotation and p.__file__.startswith(sys.argv[1]), p.__file__;"
        "print(json.dumps([u.get_version(), u.get_plugin_download_url()]))"
    )
    py = ROOT / ".tools" / "venv" / "bin" / "python"
    out = subprocess.run([str(py if py.exists() else sys.executable), "-c", script, str(wheel)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [version, plugin_download_url]
