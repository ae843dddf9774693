#!/usr/bin/env python3
"""Builds the release artifacts of jwks-rotation, each stamped with the one workspace version
(`scripts/project_meta.py version`). Modes:

  scripts/dist.py all [--out DIR] [--plugin-download-url URL]
      What `make dist` runs: everything below with the release profile into DIR (default
      dist/release/; earlier artifacts of these names are removed first), then SHA256SUMS and
      RELEASE.md (the tags to push and what to upload). The linux plugins are linked against
      glibc 2.17 (cargo-zigbuild); release builds use their own target directory,
      target/dist-release. Refuses to run when CHANGELOG.md has no section for the version, or
      (default URL) when sdk/go is not what gen-sdk makes from the stamped schema: the tag
      sdk/v<version> releases sdk/ as committed.
  scripts/dist.py plugins [--out DIR] [--profile release|dist-test] [--platform P]...
                          [--linux-amd64-binary FILE]
      The plugin tarballs, DIR/pulumi-resource-jwks-rotation-v<version>-<os>-<arch>.tar.gz for
      P in linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 (default: all five):
      the binary (`.exe` on Windows) at the archive root, mode 0755, with LICENSE and README.md.
      Cross-built with cargo-zigbuild (zig from .venv); --linux-amd64-binary packs a binary
      already built for linux-amd64 (make test-dist: bin/ from `make build`) instead of building.
  scripts/dist.py sdks [--out DIR] [--plugin-download-url URL]
      The SDK packages, generated (scripts/gen-sdk.sh) from schema.json stamped with the version
      and URL (scripts/stamp-schema.py): DIR/jwks-rotation-pulumi-<version>.tgz (`npm pack` of
      @jwks-rotation/pulumi, compiled with TypeScript), DIR/pulumi_jwks_rotation-<version>-py3-
      none-any.whl and DIR/pulumi_jwks_rotation-<version>.tar.gz (`python -m build`, with the
      generator's deprecated `[project.license]` table written as the SPDX string).

--plugin-download-url defaults to `scripts/project_meta.py plugin-download-url`; the packages'
`pulumi` metadata (`server`) carries it, so the Pulumi CLI downloads the plugin from there.
Each mode also writes DIR/dist-manifest.json (what it built, from which target and profile),
which tests/dist reads beside the artifacts. Needs `make tools lambda` for the plugins and
`make pulumi-tools` for the SDKs (the Makefile's `dist` and `test-dist` targets run them first).
The Go SDK is not packed: it is the module at sdk/ (github.com/jwks-rotation/jwks-rotation/sdk),
released by pushing the tag sdk/v<version>; RELEASE.md says so.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import project_meta  # noqa: E402

ROOT = project_meta.ROOT
BINARY = "pulumi-resource-jwks-rotation"
CRATE = "pulumi-resource-jwks-rotation"
NPM_NAME = "@jwks-rotation/pulumi"
PY_NAME = "pulumi_jwks_rotation"
GO_MODULE = "github.com/jwks-rotation/jwks-rotation/sdk"
PROFILES = ("release", "dist-test")

# platform -> (cargo target given to cargo-zigbuild, its target directory name, binary suffix).
# The `.2.17` suffix asks zig to link against glibc 2.17 symbols, so the plugin runs on any
# glibc from 2.17 on (what Rust itself supports), not only on the build machine's.
PLATFORMS = {
    "linux-amd64": ("x86_64-unknown-linux-gnu.2.17", "x86_64-unknown-linux-gnu", ""),
    "linux-arm64": ("aarch64-unknown-linux-gnu.2.17", "aarch64-unknown-linux-gnu", ""),
    "darwin-amd64": ("x86_64-apple-darwin", "x86_64-apple-darwin", ""),
    "darwin-arm64": ("aarch64-apple-darwin", "aarch64-apple-darwin", ""),
    "windows-amd64": ("x86_64-pc-windows-gnu", "x86_64-pc-windows-gnu", ".exe"),
}
URL_SCHEMES = ("https://", "http://", "github://", "gitlab://")

VENV = ROOT / ".venv"
TOOLS = ROOT / ".tools"
TOOLS_PY = TOOLS / "venv" / "bin" / "python"
NODE = TOOLS / "node"


class DistError(Exception):
    """A refused input or a failed step; main() prints it and exits 1."""


def log(msg):
    print(msg, flush=True)


def run(cmd, cwd=None, env=None, capture=False):
    """Runs cmd, failing with its output when it fails; returns stdout when capture."""
    shown = " ".join(str(c) for c in cmd)
    try:
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, text=True,
                              stdout=subprocess.PIPE if capture else None,
                              stderr=subprocess.PIPE if capture else None)
    except FileNotFoundError as e:
        raise DistError(f"`{shown}` could not start: {e}") from e
    if done.returncode != 0:
        extra = f"\n{done.stdout}\n{done.stderr}" if capture else ""
        raise DistError(f"`{shown}` failed with exit code {done.returncode}{extra}")
    return done.stdout if capture else None


def source_date_epoch():
    """Timestamp for archive entries: SOURCE_DATE_EPOCH, else the HEAD commit's time."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        value = os.environ["SOURCE_DATE_EPOCH"]
        if not value.isdigit():
            raise DistError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds")
        return int(value)
    out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, text=True,
                         capture_output=True)
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else 0


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_url(url):
    """The pluginDownloadURL rule: a scheme Pulumi downloads plugins with, a host, no spaces."""
    rule = ("it must start with " + ", ".join(URL_SCHEMES)
            + " followed by a host, with no whitespace or quotes")
    ok = (url.startswith(URL_SCHEMES) and not re.search(r"[\s\"'<>\\]", url)
          and re.match(r"^[a-z]+://[^/]+", url))
    if not ok:
        raise DistError(f"--plugin-download-url {url!r} is refused: {rule}")
    return url


def plugin_tarball_name(version, platform):
    return f"{BINARY}-v{version}-{platform}.tar.gz"


def npm_tarball_name(version):
    return f"{NPM_NAME.lstrip('@').replace('/', '-')}-{version}.tgz"


def wheel_name(version):
    return f"{PY_NAME}-{version}-py3-none-any.whl"


def sdist_name(version):
    return f"{PY_NAME}-{version}.tar.gz"


def clear(out, patterns):
    """Removes earlier artifacts of the given name patterns from out (other files stay)."""
    out.mkdir(parents=True, exist_ok=True)
    for pattern in patterns:
        for old in out.glob(pattern):
            if old.is_file():
                old.unlink()


def write_manifest(out, section, data, merge=False):
    """Writes one mode's record into out/dist-manifest.json (merge: into the section's record,
    so building some platforms keeps the entries of the others)."""
    path = out / "dist-manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    if manifest.get("version") != project_meta.version():
        manifest = {"version": project_meta.version()}
    manifest[section] = {**manifest.get(section, {}), **data} if merge else data
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------------
# plugins

def installed_rust_targets():
    out = run(["rustup", "target", "list", "--installed"], capture=True)
    return set(out.split())


def zigbuild_env():
    """cargo-zigbuild finds zig as `python3 -m ziglang` with .venv's python3 first on PATH."""
    if not (VENV / "bin" / "cargo-zigbuild").exists():
        raise DistError("cargo-zigbuild is not in .venv: run scripts/ensure-tools.sh (make tools)")
    env = dict(os.environ)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def cargo_target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def plugin_target_dir(profile):
    """Where cargo-zigbuild builds: release artifacts in a target directory of their own,
    because target/<triple>/release/ is also the Lambda's (cargo-lambda builds the zips there),
    and a build there with other linker settings makes the next `make lambda` rebuild and
    re-link (measured: 2 minutes for the x86_64 zip); dist-test in the shared target/."""
    return cargo_target_dir() / "dist-release" if profile == "release" else cargo_target_dir()


def build_plugins_for(platforms, profile, env):
    """One cargo zigbuild for every platform (one invocation shares the host's build scripts and
    proc-macros and keeps both cores busy across targets); returns platform -> binary path."""
    cmd = [VENV / "bin" / "cargo-zigbuild", "zigbuild", "--profile", profile, "-p", CRATE, "--locked",
           "--target-dir", plugin_target_dir(profile)]
    for platform in platforms:
        cmd += ["--target", PLATFORMS[platform][0]]
    log(f"==> cargo zigbuild --profile {profile} for {', '.join(platforms)}"
        + (" (release builds, fat LTO: many minutes)" if profile == "release"
           else " (a first build compiles every dependency per target: minutes)"))
    start = time.monotonic()
    run(cmd, cwd=ROOT, env=env)
    binaries = {}
    for platform in platforms:
        _, target_dir, suffix = PLATFORMS[platform]
        binary = plugin_target_dir(profile) / target_dir / profile / (BINARY + suffix)
        if not binary.is_file():
            raise DistError(f"{platform}: cargo-zigbuild reported success but {binary} is missing")
        binaries[platform] = binary
    log(f"    built {len(platforms)} plugin(s) in {time.monotonic() - start:.0f}s")
    return binaries


def pack_plugin(binary, platform, version, out, mtime):
    """Writes the plugin tarball: binary at the root (0755), LICENSE and README.md (0644)."""
    suffix = PLATFORMS[platform][2]
    dest = out / plugin_tarball_name(version, platform)
    entries = [(BINARY + suffix, binary, 0o755), ("LICENSE", ROOT / "LICENSE", 0o644),
               ("README.md", ROOT / "README.md", 0o644)]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, src, mode in entries:
            data = Path(src).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    with open(dest, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=mtime,
                                              compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return dest


def build_plugins(out, profile, platforms, linux_amd64_binary=None):
    version = project_meta.version()
    platforms = list(dict.fromkeys(platforms))
    if profile not in PROFILES:
        raise DistError(f"--profile {profile!r} is refused: it must be one of {', '.join(PROFILES)} "
                        "(the cargo profiles of Cargo.toml meant for these artifacts)")
    for p in platforms:
        if p not in PLATFORMS:
            raise DistError(f"--platform {p!r} is refused: it must be one of {', '.join(PLATFORMS)}")
    if linux_amd64_binary is not None:
        linux_amd64_binary = Path(linux_amd64_binary).resolve()
        if not linux_amd64_binary.is_file() or not os.access(linux_amd64_binary, os.X_OK):
            raise DistError(f"--linux-amd64-binary {str(linux_amd64_binary)!r} is refused: it must "
                            "be an executable file (run `make build` for bin/" + BINARY + ")")
    for zip_arch in ("x86_64", "arm64"):
        z = ROOT / "dist" / "lambda" / zip_arch / "bootstrap.zip"
        if not z.is_file():
            raise DistError(f"{z.relative_to(ROOT)} is missing: the plugin embeds it; run `make lambda`")
    for name in ("LICENSE", "README.md"):
        if not (ROOT / name).is_file():
            raise DistError(f"{name} is missing at the repository root: every plugin tarball carries it")
    to_build = [p for p in platforms if not (p == "linux-amd64" and linux_amd64_binary)]
    env = None
    if to_build:
        env = zigbuild_env()
        have = installed_rust_targets()
        missing = [PLATFORMS[p][1] for p in to_build if PLATFORMS[p][1] not in have]
        if missing:
            raise DistError("Rust targets not installed: " + ", ".join(missing)
                            + ": run scripts/ensure-tools.sh (make tools), which adds them")
    log(f"==> plugin tarballs v{version} ({', '.join(platforms)}), profile {profile}, into {out}")
    built = build_plugins_for(to_build, profile, env) if to_build else {}
    clear(out, [f"{BINARY}-v*-{p}.tar.gz" for p in platforms])
    mtime = source_date_epoch()
    record = {}
    for platform in platforms:
        if platform in built:
            binary, target, source = built[platform], PLATFORMS[platform][0], "cargo-zigbuild"
        else:
            binary, target, source = linux_amd64_binary, "x86_64-unknown-linux-gnu", "prebuilt"
            log(f"    linux-amd64: {linux_amd64_binary} (prebuilt with the host toolchain)")
        dest = pack_plugin(binary, platform, version, out, mtime)
        glibc = target.split(".", 1)[1] if platform.startswith("linux") and "." in target else None
        record[platform] = {"file": dest.name, "target": target, "source": source,
                            "profile": profile if source != "prebuilt" else "release",
                            "glibc": glibc, "sha256": sha256(dest)}
        log(f"    {dest.name}  {dest.stat().st_size} bytes  sha256 {record[platform]['sha256']}")
    write_manifest(out, "plugins", record, merge=True)
    return record


# --------------------------------------------------------------------------------------------
# SDK packages

def stamped_sdks(work, url, langs):
    """Stamps schema.json with the version and url into work/, generates the SDKs from it."""
    stamp = ROOT / "scripts" / "stamp-schema.py"
    if not stamp.is_file():
        raise DistError("scripts/stamp-schema.py is missing: it stamps the version and "
                        "pluginDownloadURL into the schema the SDKs are generated from")
    if not (TOOLS / "pulumi" / "bin" / "pulumi").exists():
        raise DistError(".tools/pulumi is missing: run `make pulumi-tools` (gen-sdk needs it)")
    schema = work / "schema.json"
    log(f"==> schema.json stamped with v{project_meta.version()} and pluginDownloadURL {url}")
    run([sys.executable, stamp, "--plugin-download-url", url, "--out", schema], cwd=ROOT)
    stamped = json.loads(schema.read_text())
    if stamped.get("version") != project_meta.version() or stamped.get("pluginDownloadURL") != url:
        raise DistError(f"scripts/stamp-schema.py wrote version {stamped.get('version')!r} and "
                        f"pluginDownloadURL {stamped.get('pluginDownloadURL')!r} into {schema}; "
                        f"expected {project_meta.version()!r} and {url!r}")
    gen = work / "gen"
    shutil.rmtree(gen, ignore_errors=True)
    run([ROOT / "scripts" / "gen-sdk.sh", gen, schema, *langs], cwd=ROOT)
    return gen


def expect_plugin_metadata(meta, where, version, url):
    """The `pulumi` metadata of a package: resource, name, version, server."""
    want = {"resource": True, "name": "jwks-rotation", "version": version, "server": url}
    got = {k: meta.get(k) for k in want}
    if got != want:
        raise DistError(f"{where}: plugin metadata {json.dumps(got)} differs from {json.dumps(want)}")


def build_npm(gen, work, out, version, url):
    """tsc-compiles a copy of the generated Node.js SDK and `npm pack`s its bin/ folder."""
    tsc = NODE / "node_modules" / ".bin" / "tsc"
    if not tsc.exists() or not (NODE / "node_modules" / "@pulumi" / "pulumi").is_dir():
        raise DistError(".tools/node has no typescript or @pulumi/pulumi: run `make pulumi-tools`")
    src = work / "nodejs"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(gen / "nodejs", src, ignore=shutil.ignore_patterns("node_modules", "bin"))
    # The compiler resolves @pulumi/pulumi, @pulumi/aws and @types/node from the test packages.
    (src / "node_modules").symlink_to(NODE / "node_modules", target_is_directory=True)
    pkg = json.loads((src / "package.json").read_text())
    pkg["version"] = version
    pkg.setdefault("pulumi", {})["version"] = version
    expect_plugin_metadata(pkg["pulumi"], "generated sdk/nodejs/package.json", version, url)
    log(f"==> npm: tsc -p {src.relative_to(ROOT) if src.is_relative_to(ROOT) else src}")
    run([tsc, "-p", src], cwd=src)
    bin_dir = src / "bin"
    # The package is bin/ (as Pulumi's own provider SDKs): entry points relative to it.
    pkg["main"], pkg["types"] = "index.js", "index.d.ts"
    for f in ("index.js", "index.d.ts"):
        if not (bin_dir / f).is_file():
            raise DistError(f"tsc did not produce {bin_dir / f}")
    (bin_dir / "package.json").write_text(json.dumps(pkg, indent=4) + "\n")
    shutil.copy(src / "README.md", bin_dir / "README.md")
    shutil.copy(ROOT / "LICENSE", bin_dir / "LICENSE")
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false",
               npm_config_audit="false")
    packed = run(["npm", "pack", "--json", "--ignore-scripts", "--pack-destination", out],
                 cwd=bin_dir, env=env, capture=True)
    name = json.loads(packed)[0]["filename"]
    if name != npm_tarball_name(version):
        raise DistError(f"npm pack wrote {name}, expected {npm_tarball_name(version)}")
    return out / name


def set_pyproject_version(text, version):
    """Replaces the `version` of the [project] table (the generator's layout: indented keys)."""
    pattern = re.compile(r'^(\s*version\s*=\s*)"[^"]*"', re.M)
    start = text.index("[project]")
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end
    section, n = pattern.subn(rf'\g<1>"{version}"', text[start:end], count=1)
    if n != 1:
        raise DistError("the generated pyproject.toml has no `version` in [project]")
    return text[:start] + section + text[end:]


def spdx_license(text):
    """The generator's `[project.license] text = "X"` table (deprecated by setuptools, to be
    refused from 2027-02-18) as the SPDX string `license = "X"`, which needs setuptools 77."""
    import tomllib
    text, n = re.subn(r'^[ \t]*\[project\.license\][ \t]*\n[ \t]*text[ \t]*=[ \t]*("[^"]*")[ \t]*\n',
                      r'  license = \1\n', text, count=1, flags=re.M)
    text = re.sub(r'"setuptools>=[0-9.]+"', '"setuptools>=77.0"', text)
    data = tomllib.loads(text)
    if n != 1 or not isinstance(data["project"].get("license"), str) \
            or "setuptools>=77.0" not in data["build-system"]["requires"]:
        raise DistError("the generated pyproject.toml changed layout: expected a [project.license] "
                        "table right after the [project] keys and setuptools in build-system")
    return text


def build_python(gen, work, out, version, url):
    """`python -m build` (sdist, then a wheel from it) of a copy of the generated Python SDK."""
    if not TOOLS_PY.exists():
        raise DistError(".tools/venv is missing: run `make pulumi-tools`")
    probe = subprocess.run([TOOLS_PY, "-c", "import build, setuptools"], capture_output=True)
    if probe.returncode != 0:
        raise DistError(".tools/venv has no `build`/`setuptools`: run scripts/pulumi-test-deps.sh")
    src = work / "python"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(gen / "python", src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    pyproject = src / "pyproject.toml"
    pyproject.write_text(spdx_license(set_pyproject_version(pyproject.read_text(), version)))
    plugin_json = src / PY_NAME / "pulumi-plugin.json"
    meta = json.loads(plugin_json.read_text())
    meta["version"] = version
    expect_plugin_metadata(meta, f"generated {PY_NAME}/pulumi-plugin.json", version, url)
    plugin_json.write_text(json.dumps(meta, indent=2) + "\n")
    # pyproject's readme is README.md beside it; the generator leaves it in the package.
    shutil.copy(src / PY_NAME / "README.md", src / "README.md")
    shutil.copy(ROOT / "LICENSE", src / "LICENSE")
    log(f"==> python: python -m build --no-isolation (setuptools of .tools/venv)")
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(source_date_epoch()))
    run([TOOLS_PY, "-m", "build", "--no-isolation", "--outdir", out, src], cwd=src, env=env,
        capture=True)
    made = [out / wheel_name(version), out / sdist_name(version)]
    for f in made:
        if not f.is_file():
            raise DistError(f"python -m build did not produce {f.name} in {out}")
    return made


def build_sdks(out, url, work, go_check=False):
    """The npm, wheel and sdist packages into out; work is a private scratch folder."""
    version = project_meta.version()
    check_url(url)
    out.mkdir(parents=True, exist_ok=True)
    clear(out, [f"{npm_tarball_name('*')}", f"{PY_NAME}-*.whl", f"{PY_NAME}-*.tar.gz"])
    langs = ["nodejs", "python"] + (["go"] if go_check else [])
    gen = stamped_sdks(work, url, langs)
    files = [build_npm(gen, work, out, version, url)] + build_python(gen, work, out, version, url)
    record = {"pluginDownloadURL": url,
              "files": {f.name: sha256(f) for f in files}}
    for f in files:
        log(f"    {f.name}  {f.stat().st_size} bytes  sha256 {record['files'][f.name]}")
    write_manifest(out, "sdks", record)
    return gen, files


def scratch():
    """A private scratch folder under target/dist (concurrent runs do not share one)."""
    base = cargo_target_dir() / "dist"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="work.", dir=base))


# --------------------------------------------------------------------------------------------
# all

def go_sdk_matches(gen):
    """True when sdk/go is exactly what gen-sdk made from the stamped schema (gen/go)."""
    a, b = gen / "go", ROOT / "sdk" / "go"
    diff = subprocess.run(["diff", "-r", "-q", a, b], capture_output=True, text=True)
    return diff.returncode == 0, diff.stdout.strip()


def release_notes(out, version, url, files, go_ok):
    tag, go_tag = f"v{version}", f"sdk/v{version}"
    plugins = [f for f in files if f.startswith(BINARY)]
    lines = [
        f"# jwks-rotation {tag}: release checklist",
        "",
        f"Built by `make dist` from commit {git_head()}; pluginDownloadURL `{url}`.",
        "",
        f"1. Push the tags: `git tag {tag} && git tag {go_tag} && git push origin {tag} {go_tag}`.",
        f"   `{go_tag}` releases the Go SDK: `go get {GO_MODULE}@{tag}` resolves by it.",
        f"2. GitHub release `{tag}`: upload the plugin tarballs (the Pulumi CLI downloads "
        f"`{BINARY}-{tag}-<os>-<arch>.tar.gz` from the release tagged `{tag}`), and SHA256SUMS:",
        *[f"   - {f}" for f in plugins],
        f"3. npm: `npm publish {npm_tarball_name(version)} --access public`.",
        f"4. PyPI: `twine upload {wheel_name(version)} {sdist_name(version)}`.",
        "5. CHANGELOG.md: set the date of the release's heading.",
        "",
        "Checksums: SHA256SUMS.",
    ]
    if not go_ok:
        lines += ["", f"WARNING: sdk/go differs from the SDK generated with pluginDownloadURL {url}; "
                  f"the tag {go_tag} would release sdk/ as committed."]
    (out / "RELEASE.md").write_text("\n".join(lines) + "\n")


def git_head():
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                         capture_output=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, text=True,
                           capture_output=True).stdout.strip()
    return (out.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty else "")


def build_all(out, url):
    version = project_meta.version()
    check_url(url)
    changelog = (ROOT / "CHANGELOG.md").read_text() if (ROOT / "CHANGELOG.md").exists() else ""
    if f"## [{version}]" not in changelog:
        raise DistError(f"CHANGELOG.md has no `## [{version}]` section for the version being released")
    # Only files of the names dist.py writes are removed: DIR may hold anything else.
    clear(out, [f"{BINARY}-v*-*.tar.gz", npm_tarball_name("*"), f"{PY_NAME}-*.whl",
                f"{PY_NAME}-*.tar.gz", "SHA256SUMS", "RELEASE.md", "dist-manifest.json"])
    start = time.monotonic()
    work = scratch()
    try:
        gen, _ = build_sdks(out, url, work, go_check=True)
        go_ok, diff = go_sdk_matches(gen)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not go_ok:
        msg = (f"sdk/go is not what gen-sdk makes from schema.json stamped with v{version} and {url}:\n"
               f"{diff}\nThe Go SDK is released from sdk/ by the tag sdk/v{version}")
        if url == project_meta.plugin_download_url():
            raise DistError(msg + ": run `make schema sdk` and commit sdk/ first")
        log("WARNING: " + msg + f", so Go programs get pluginDownloadURL "
            f"{project_meta.plugin_download_url()} from it, not {url}")
    build_plugins(out, "release", list(PLATFORMS))
    files = sorted([plugin_tarball_name(version, p) for p in PLATFORMS]
                   + [npm_tarball_name(version), wheel_name(version), sdist_name(version)])
    (out / "SHA256SUMS").write_text("".join(f"{sha256(out / f)}  {f}\n" for f in files))
    release_notes(out, version, url, files, go_ok)
    write_manifest(out, "release", {"files": files, "tags": [f"v{version}", f"sdk/v{version}"]})
    log(f"==> {out} v{version} in {time.monotonic() - start:.0f}s: "
        + ", ".join(files) + ", SHA256SUMS, RELEASE.md")
    log(f"==> to release: push the tags v{version} and sdk/v{version} (RELEASE.md)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    out_help = "folder of the artifacts (default: dist/release)"
    url_help = f"pluginDownloadURL of the packages (default: {project_meta.plugin_download_url()})"
    p_all = sub.add_parser("all", help="every release artifact (make dist)")
    p_all.add_argument("--out", default=str(ROOT / "dist" / "release"), help=out_help)
    p_all.add_argument("--plugin-download-url", default=project_meta.plugin_download_url(),
                       help=url_help)
    p_plugins = sub.add_parser("plugins", help="the plugin tarballs")
    p_plugins.add_argument("--out", default=str(ROOT / "dist" / "release"), help=out_help)
    p_plugins.add_argument("--profile", default="release",
                           help=f"cargo profile, one of {', '.join(PROFILES)} (default: release)")
    p_plugins.add_argument("--platform", action="append", dest="platforms", metavar="PLATFORM",
                           help=f"one of {', '.join(PLATFORMS)}; repeatable (default: all)")
    p_plugins.add_argument("--linux-amd64-binary", metavar="FILE",
                           help="pack this linux-amd64 plugin instead of building one")
    p_sdks = sub.add_parser("sdks", help="the npm, wheel and sdist packages")
    p_sdks.add_argument("--out", default=str(ROOT / "dist" / "release"), help=out_help)
    p_sdks.add_argument("--plugin-download-url", default=project_meta.plugin_download_url(),
                        help=url_help)
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    try:
        if args.mode == "all":
            build_all(out, args.plugin_download_url)
        elif args.mode == "plugins":
            build_plugins(out, args.profile, args.platforms or list(PLATFORMS),
                          args.linux_amd64_binary)
        else:
            work = scratch()
            try:
                _, files = build_sdks(out, check_url(args.plugin_download_url), work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            log("==> SDK packages: " + ", ".join(str(f) for f in files))
    except DistError as e:
        print(f"dist.py {args.mode}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
