"""What `make dist` (scripts/dist.py all) adds beside the artifacts: SHA256SUMS that match
them, and RELEASE.md naming the tags to push; and the changelog section of the version."""

import hashlib

import pytest

from conftest import ROOT


def test_changelog_has_a_section_for_this_version(version):
    text = (ROOT / "CHANGELOG.md").read_text()
    assert f"\n## [{version}] - " in text, f"CHANGELOG.md has no `## [{version}] - <date>` section"
    assert f"\n[{version}]: " in text, f"CHANGELOG.md has no link for [{version}]"


@pytest.fixture
def release(manifest):
    if "release" not in manifest:
        pytest.skip("not a `make dist` folder (no SHA256SUMS or RELEASE.md expected)")
    return manifest["release"]


def test_checksums_cover_every_artifact(artifacts, release):
    lines = (artifacts / "SHA256SUMS").read_text().splitlines()
    sums = dict(reversed(line.split("  ", 1)) for line in lines)
    assert sorted(sums) == sorted(release["files"])
    assert len(release["files"]) == 8, release["files"]  # 5 plugins, npm, wheel, sdist
    for name, digest in sums.items():
        assert hashlib.sha256((artifacts / name).read_bytes()).hexdigest() == digest, name


def test_checklist_names_the_tags(artifacts, release, version):
    text = (artifacts / "RELEASE.md").read_text()
    assert release["tags"] == [f"v{version}", f"sdk/v{version}"]
    assert f"git push origin v{version} sdk/v{version}" in text
    for name in release["files"]:
        assert name in text, f"RELEASE.md does not mention {name}"
