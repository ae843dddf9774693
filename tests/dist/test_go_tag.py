"""The Go SDK's release route: the module github.com/jwks-rotation/jwks-rotation/sdk lives in the
repository's sdk/ folder, so a tag `sdk/v<version>` releases it, and `go get
github.com/jwks-rotation/jwks-rotation/sdk@v<version>` resolves by that tag.

Proved with the real go command against a local git repository holding this checkout's sdk/
(what the tag would release): git's `url.<file URL>.insteadOf` (in a private global git
config) points the repository's GitHub URL at it, and GOPRIVATE makes go fetch it directly
with git. The module cache is a temporary one: only this small module is downloaded (the
version is resolved and the module fetched, its dependencies are not: GOPROXY=off proves it).
A control repository tagged `v<version>` alone must not resolve: the `sdk/` prefix is needed.
"""

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, project_meta

MODULE = "github.com/jwks-rotation/jwks-rotation/sdk"
REPO_URL = "https://github.com/jwks-rotation/jwks-rotation"


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=dist-test",
                    "-c", "user.email=dist-test@localhost", "-c", "commit.gpgsign=false",
                    "-c", "tag.gpgsign=false", *args],
                   check=True, capture_output=True, text=True)


def make_repo(path, tag):
    """A git repository with this checkout's sdk/ (go.mod and go/) committed and tagged."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "sdk").mkdir()
    shutil.copy(ROOT / "sdk" / "go.mod", path / "sdk" / "go.mod")
    if (ROOT / "sdk" / "go.sum").exists():
        shutil.copy(ROOT / "sdk" / "go.sum", path / "sdk" / "go.sum")
    shutil.copytree(ROOT / "sdk" / "go", path / "sdk" / "go")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "sdk")
    git(path, "tag", tag)
    return path


def go_env(tmp_path, repo):
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f'[url "file://{repo}"]\n\tinsteadOf = {REPO_URL}\n'
                         "[protocol \"file\"]\n\tallow = always\n")
    env = dict(os.environ)
    env.update({
        "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
        "GOPRIVATE": "github.com/jwks-rotation/*", "GOPROXY": "off", "GOWORK": "off",
        "GOFLAGS": "-modcacherw", "GOMODCACHE": str(tmp_path / "modcache"),
        "GOTOOLCHAIN": "local",
    })
    return env


def go(args, cwd, env):
    return subprocess.run(["go", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture
def workdir(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    return d


def test_go_get_resolves_the_sdk_tag(tmp_path, workdir, version):
    assert shutil.which("go"), "needs the go command"
    repo = make_repo(tmp_path / "repo", f"sdk/v{version}")
    env = go_env(tmp_path, repo)

    listed = go(["list", "-m", "-versions", "-json", MODULE], workdir, env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout).get("Versions") == [f"v{version}"]

    got = go(["mod", "download", "-json", f"{MODULE}@v{version}"], workdir, env)
    assert got.returncode == 0, got.stderr
    info = json.loads(got.stdout)
    assert info["Path"] == MODULE and info["Version"] == f"v{version}", info
    module_dir = info["Dir"]
    with open(os.path.join(module_dir, "go.mod")) as f:
        assert f.readline().strip() == f"module {MODULE}"
    with open(os.path.join(module_dir, "go", "jwksrotation", "pulumi-plugin.json")) as f:
        plugin = json.load(f)
    # The tag releases sdk/ as committed: it must carry the version and the default URL
    # (a `make dist PLUGIN_DOWNLOAD_URL=...` changes the npm and Python packages only).
    want = {"version": version, "server": project_meta.plugin_download_url()}
    assert {k: plugin.get(k) for k in want} == want, (
        f"sdk/go/jwksrotation/pulumi-plugin.json is {plugin}: run `make schema sdk` before tagging")


def test_a_tag_without_the_sdk_prefix_does_not_resolve(tmp_path, workdir, version):
    repo = make_repo(tmp_path / "repo", f"v{version}")
    got = go(["mod", "download", "-json", f"{MODULE}@v{version}"], workdir, go_env(tmp_path, repo))
    assert got.returncode != 0, "the module resolved without the sdk/ tag"
    assert f"unknown revision sdk/v{version}" in got.stdout + got.stderr, got.stdout + got.stderr
