"""The plugin tarballs: the exact layout the Pulumi CLI installs (checked by installing each with
the real CLI, `pulumi plugin install --file`), the binary's format and architecture (`file`),
the Lambda zips embedded in every binary, the glibc a linux binary needs, and the linux-amd64
plugin run: it prints its port and answers GetPluginInfo and GetSchema with the version."""

import json
import os
import re
import signal
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from conftest import PLATFORMS, ROOT

BINARY = "pulumi-resource-jwks-rotation"
PULUMI = ROOT / ".tools" / "pulumi" / "bin" / "pulumi"

# `file -b` of the binary: format, architecture and, for ELF, the dynamic loader of glibc.
FORMATS = {
    "linux-amd64": r"^ELF 64-bit LSB (pie )?executable, x86-64, .*interpreter "
                   r"/lib64/ld-linux-x86-64\.so\.2",
    "linux-arm64": r"^ELF 64-bit LSB (pie )?executable, ARM aarch64, .*interpreter "
                   r"/lib/ld-linux-aarch64\.so\.1",
    "darwin-amd64": r"^Mach-O 64-bit x86_64 executable",
    "darwin-arm64": r"^Mach-O 64-bit arm64 executable",
    "windows-amd64": r"^PE32\+ executable \(console\) x86-64.*, for MS Windows",
}


def binary_name(platform):
    return BINARY + (".exe" if platform.startswith("windows") else "")


def tarball(artifacts, version, platform) -> Path:
    path = artifacts / f"{BINARY}-v{version}-{platform}.tar.gz"
    assert path.is_file(), f"{path.name} is missing from {artifacts}"
    return path


def read_members(path):
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: (m, tar.extractfile(m).read() if m.isfile() else None)
                for m in tar.getmembers()}


@pytest.fixture(scope="module")
def extracted(artifacts, version, tmp_path_factory):
    """platform -> path of its binary, written from the tarball with the tarball's mode."""
    out = {}
    base = tmp_path_factory.mktemp("plugins")
    for platform in PLATFORMS:
        members = read_members(tarball(artifacts, version, platform))
        name = binary_name(platform)
        assert name in members, f"{platform}: no {name} at the archive root"
        dest = base / platform / name
        dest.parent.mkdir()
        dest.write_bytes(members[name][1])
        dest.chmod(members[name][0].mode)
        out[platform] = dest
    return out


def test_exactly_the_five_tarballs_of_this_version(artifacts, version):
    found = sorted(p.name for p in artifacts.glob(f"{BINARY}-*.tar.gz"))
    assert found == sorted(f"{BINARY}-v{version}-{p}.tar.gz" for p in PLATFORMS)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_layout(artifacts, version, platform):
    members = read_members(tarball(artifacts, version, platform))
    name = binary_name(platform)
    assert sorted(members) == sorted([name, "LICENSE", "README.md"]), (
        f"{platform}: the archive must hold exactly the binary, LICENSE and README.md at its root")
    for member, _ in members.values():
        assert member.isfile(), f"{platform}: {member.name} is not a regular file"
    assert members[name][0].mode == 0o755, f"{platform}: {name} has mode {members[name][0].mode:o}"
    assert members["LICENSE"][1] == (ROOT / "LICENSE").read_bytes()
    assert members["README.md"][1] == (ROOT / "README.md").read_bytes()
    assert b"Apache License" in members["LICENSE"][1] and b"Version 2.0" in members["LICENSE"][1]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_binary_format(extracted, platform):
    described = subprocess.run(["file", "-b", str(extracted[platform])], capture_output=True,
                               text=True, check=True).stdout.strip()
    assert re.search(FORMATS[platform], described), f"{platform}: `file` says {described!r}"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_binary_embeds_both_lambda_zips(extracted, platform):
    data = extracted[platform].read_bytes()
    for arch in ("x86_64", "arm64"):
        zip_bytes = (ROOT / "dist" / "lambda" / arch / "bootstrap.zip").read_bytes()
        at = data.find(zip_bytes[:4096])
        assert at >= 0 and data[at:at + len(zip_bytes)] == zip_bytes, (
            f"{platform}: the binary does not hold dist/lambda/{arch}/bootstrap.zip as built")


def required_glibc(path):
    """The highest GLIBC_x.y symbol version the ELF binary needs (readelf --version-info)."""
    out = subprocess.run(["readelf", "--version-info", "--wide", str(path)], capture_output=True,
                         text=True, check=True).stdout
    versions = {tuple(int(x) for x in v.split(".")) for v in re.findall(r"Name: GLIBC_([0-9.]+)", out)}
    assert versions, f"{path}: no GLIBC_ version needs (not a dynamically linked glibc binary?)"
    return max(versions)


def host_glibc():
    return tuple(int(x) for x in os.confstr("CS_GNU_LIBC_VERSION").split()[1].split(".")[:2])


@pytest.mark.parametrize("platform", ["linux-amd64", "linux-arm64"])
def test_linux_glibc_floor(extracted, manifest, platform):
    """A plugin linked against glibc 2.17 (the `.2.17` target) needs nothing newer; a prebuilt
    one (make test-dist's bin/) at least runs on this machine's glibc."""
    pin = manifest["plugins"][platform]["glibc"]
    limit = tuple(int(x) for x in pin.split(".")) if pin else host_glibc()
    need = required_glibc(extracted[platform])
    assert need <= limit, (f"{platform}: needs GLIBC_{'.'.join(map(str, need))}, more than "
                           f"{'.'.join(map(str, limit))} ({'pinned' if pin else 'this machine'})")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pulumi_cli_installs_it(artifacts, version, platform, tmp_path):
    """The real CLI installs the tarball as the plugin jwks-rotation v<version>."""
    home = tmp_path / "pulumi-home"
    env = dict(os.environ, PULUMI_HOME=str(home), PULUMI_SKIP_UPDATE_CHECK="true")
    subprocess.run([str(PULUMI), "plugin", "install", "resource", "jwks-rotation", version,
                    "--file", str(tarball(artifacts, version, platform))],
                   env=env, check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    installed = home / "plugins" / f"resource-jwks-rotation-v{version}" / binary_name(platform)
    assert installed.is_file() and os.access(installed, os.X_OK), f"{installed} not installed"
    listed = json.loads(subprocess.run([str(PULUMI), "plugin", "ls", "--json"], env=env,
                                       check=True, capture_output=True, text=True,
                                       stdin=subprocess.DEVNULL).stdout)
    assert [(p["name"], p["kind"], p["version"]) for p in listed] == [
        ("jwks-rotation", "resource", version)]


def test_linux_amd64_plugin_serves_its_version(extracted, version):
    """Started (without an engine address, as for attach) the plugin prints its port; over gRPC
    it reports the version (GetPluginInfo) and serves a schema of that version; SIGINT, what
    the engine sends, stops it with exit code 0."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    proc = subprocess.Popen([str(extracted["linux-amd64"])], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=20)
        if not (line and line[0].strip().isdigit()):
            proc.kill()
            raise AssertionError(f"the plugin printed {line!r} instead of its port; "
                                 f"stderr: {proc.communicate()[1]}")
        port = int(line[0])
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=20)
            assert info.version == version
            schema = json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=20).schema)
            assert schema["name"] == "jwks-rotation"
            assert schema.get("version") == version, (
                f"the embedded schema.json says version {schema.get('version')!r}: "
                "run `make schema` (scripts/stamp-schema.py) and rebuild")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_manifest_names_each_tarball_and_checksum(artifacts, manifest, version):
    import hashlib
    for platform in PLATFORMS:
        entry = manifest["plugins"][platform]
        path = tarball(artifacts, version, platform)
        assert entry["file"] == path.name
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
