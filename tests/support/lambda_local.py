"""Running the shipped `bootstrap` locally, as Lambda would: the zip extracted, AWS's Lambda
emulator (aws-lambda-rie, built by scripts/ensure-rie.sh), and a clock moved from outside the
process with Debian's libfaketime. Shared by the demo (scripts/demo.py), the arm64 test
(tests/arm64) and the Pulumi configuration-change test (tests/pulumi/test_config_change.py).
"""

from __future__ import annotations

import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


class FakeClock:
    """The Lambda's clock: libfaketime re-reads this file on every time call."""

    def __init__(self, directory: Path, start: datetime) -> None:
        self.path = directory / "faketime"
        self.now = start
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(self.now.strftime("@%Y-%m-%d %H:%M:%S") + "\n")
        tmp.replace(self.path)

    def set(self, when: datetime) -> None:
        self.now = when
        self._write()

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": FAKETIME_LIB,
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            # tokio's timers and the SDK's retry timers use the monotonic clock: leave it real.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "UTC",
        }


def ensure_rie() -> str:
    """The path of aws-lambda-rie, built by scripts/ensure-rie.sh when missing (minutes, once per machine)."""
    built = subprocess.run([str(ROOT / "scripts/ensure-rie.sh")], stdout=subprocess.PIPE, text=True)
    if built.returncode != 0:
        raise SystemExit("scripts/ensure-rie.sh could not build aws-lambda-rie (see above)")
    return built.stdout.strip().splitlines()[-1]


def extract_bootstrap(zip_path: Path, work: Path) -> Path:
    if not zip_path.exists():
        raise SystemExit(f"{zip_path} is missing: run `make lambda` first")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extract("bootstrap", work)
    target = work / "bootstrap"
    target.chmod(0o755)
    return target
