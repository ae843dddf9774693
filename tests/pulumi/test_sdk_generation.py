"""sdk/ is what `pulumi package gen-sdk` (CLI v3.274.1) generates from schema.json today.

Regenerates the Node.js, Python and Go SDKs into a temporary folder with scripts/gen-sdk.sh and
fails on any added, missing or different file (build outputs such as node_modules/ and bin/
left aside). After changing schema.json, run `make sdk` and commit sdk/.
"""

import difflib
import subprocess
from pathlib import Path

from conftest import ROOT

LANGS = ["nodejs", "python", "go"]
IGNORED = {"node_modules", "bin", "__pycache__", ".mypy_cache", "build", "dist"}


def tree(base: Path):
    files = {}
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not (set(rel.parts) & IGNORED) and not rel.parts[0].endswith(".egg-info") \
                and not any(p.endswith(".egg-info") for p in rel.parts):
            files[str(rel)] = path.read_bytes()
    return files


def test_generated_sdks_match_schema(tmp_path, pulumi_env):
    p = subprocess.run([str(ROOT / "scripts" / "gen-sdk.sh"), str(tmp_path)],
                       capture_output=True, text=True, env=pulumi_env, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    problems = []
    for lang in LANGS:
        want = tree(tmp_path / lang)
        have = tree(ROOT / "sdk" / lang)
        assert want, f"gen-sdk produced nothing for {lang}"
        for name in sorted(set(want) | set(have)):
            if name not in have:
                problems.append(f"sdk/{lang}/{name}: missing (generated, not committed)")
            elif name not in want:
                problems.append(f"sdk/{lang}/{name}: committed but no longer generated")
            elif want[name] != have[name]:
                diff = difflib.unified_diff(
                    have[name].decode(errors="replace").splitlines(),
                    want[name].decode(errors="replace").splitlines(),
                    f"sdk/{lang}/{name} (committed)", "(generated)", lineterm="", n=1)
                problems.append("\n".join(list(diff)[:40]))
    assert not problems, "sdk/ differs from schema.json; run `make sdk`:\n" + "\n".join(problems)
