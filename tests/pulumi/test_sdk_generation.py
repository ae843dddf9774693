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


def test_schema_and_go_module_carry_the_release_settings():
    """schema.json and sdk/go.mod carry Cargo.toml's version, pulumi-aws version and
    pluginDownloadURL (`make schema` stamps them; scripts/stamp-schema.py --check)."""
    p = subprocess.run(["python3", str(ROOT / "scripts" / "stamp-schema.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_generated_packages_depend_on_a_pulumi_aws_range(tmp_path):
    """The Node.js SDK depends on a caret range of pulumi-aws (not one exact version), the Python
    SDK lists pulumi-aws once, and its minimum pulumi has every API the generated code uses."""
    import json
    import re
    import sys
    import tomllib

    sys.path.insert(0, str(ROOT / "scripts"))
    import project_meta

    aws = project_meta.aws_version()
    pkg = json.loads((ROOT / "sdk" / "nodejs" / "package.json").read_text())
    assert pkg["dependencies"]["@pulumi/aws"] == f"^{aws}", pkg["dependencies"]
    assert pkg["version"] == project_meta.version()
    assert pkg["pulumi"]["server"] == project_meta.plugin_download_url(), pkg["pulumi"]
    with open(ROOT / "sdk" / "python" / "pyproject.toml", "rb") as f:
        py = tomllib.load(f)["project"]
    names = [re.split(r"[<>=!~; ]", d, maxsplit=1)[0].replace("_", "-").lower()
             for d in py["dependencies"]]
    assert names.count("pulumi-aws") == 1, py["dependencies"]
    assert py["version"] == project_meta.version()
    pulumi_req = next(d for d in py["dependencies"] if re.split(r"[<>=!~; ]", d)[0] == "pulumi")
    floor = re.search(r">=\s*([0-9.]+)", pulumi_req).group(1)
    # exists_resource (3.269.0) and type_token are used by the generated code
    assert tuple(map(int, floor.split("."))) >= (3, 269, 0), pulumi_req
    plugin = json.loads((ROOT / "sdk" / "python" / "pulumi_jwks_rotation" / "pulumi-plugin.json").read_text())
    assert plugin["server"] == project_meta.plugin_download_url(), plugin
