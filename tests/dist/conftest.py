"""Checks of the release artifacts that scripts/dist.py wrote into one folder.

    .tools/venv/bin/python -m pytest tests/dist --artifacts DIR [--plugin-download-url URL]

DIR is dist/release after `make dist`, target/dist-test after `make test-dist`. The expected
version and default pluginDownloadURL come from scripts/project_meta.py, not from the artifacts;
DIR/dist-manifest.json (written by dist.py) only says how each plugin was built (its target's
glibc pin) and which SDK URL was asked for, and the tests check the binaries agree with it.
Every artifact the folder should hold is required: a missing one fails, it is not skipped.
"""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import project_meta  # noqa: E402

PLATFORMS = ("linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64", "windows-amd64")


def pytest_addoption(parser):
    parser.addoption("--artifacts", default=str(ROOT / "dist" / "release"),
                     help="folder of the artifacts (dist/release or target/dist-test)")
    parser.addoption("--plugin-download-url", default=None,
                     help="the pluginDownloadURL the SDK packages must carry "
                          "(default: scripts/project_meta.py plugin-download-url)")


@pytest.fixture(scope="session")
def artifacts(request) -> Path:
    path = Path(request.config.getoption("--artifacts")).resolve()
    if not path.is_dir():
        raise AssertionError(f"--artifacts {path}: no such folder (run scripts/dist.py first)")
    return path


@pytest.fixture(scope="session")
def version() -> str:
    return project_meta.version()


@pytest.fixture(scope="session")
def manifest(artifacts) -> dict:
    path = artifacts / "dist-manifest.json"
    if not path.is_file():
        raise AssertionError(f"{path} is missing: scripts/dist.py writes it with the artifacts")
    data = json.loads(path.read_text())
    assert data["version"] == project_meta.version(), (
        f"{path}: artifacts of version {data['version']}, the workspace is "
        f"{project_meta.version()}: rebuild them")
    return data


@pytest.fixture(scope="session")
def plugin_download_url(request) -> str:
    return request.config.getoption("--plugin-download-url") or project_meta.plugin_download_url()
