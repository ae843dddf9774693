#!/usr/bin/env python3
"""`make test-arm64`: the shipped arm64 `bootstrap` under qemu-user and AWS's Lambda emulator.

Runs the binary of dist/lambda/arm64/bootstrap.zip (extracted into target/arm64/) with Debian's
qemu-aarch64-static (scripts/ensure-qemu.sh) as the runtime of AWS's Runtime Interface Emulator
(aws-lambda-rie, scripts/ensure-rie.sh), against moto server set up exactly as the demo does
(scripts/demo.py: the secret with the provider's placeholder, the bucket, the public-read
policy). It plays Secrets Manager and EventBridge through four phases:

  first rotation      createSecret / setSecret / testSecret / finishSecret: a key signs, a NEXT waits
  scheduled rotation  once the NEXT is older than minActivationGracePeriod: it signs, the old key retires
  cleanup             once the retired key's retention is over: it leaves the JWKS
  emergency rotation  revokeCurrent: a fresh key signs, the compromised one leaves at once

libfaketime cannot move the clock of an emulated arm64 process (its x86_64 LD_PRELOAD does not
load into it) and the bootstrap has no test clock, so the durations are short instead (seconds,
through the same environment variables the provider sets) and real time passes. After each phase
the JWKS is fetched over anonymous HTTP and a token signed with the AWSCURRENT private key (read
from moto inside this process, never printed) is verified with PyJWT; the signing and NEXT kids
must be published. Prints the cold start under emulation (not an assertion).

Usage: run.py [--zip PATH] [--work DIR]
Exit code 0 when every phase verified.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from demo import SECRET, Demo, say  # noqa: E402
from lambda_local import extract_bootstrap  # noqa: E402  (tests/support, on the path demo.py sets)

QEMU = "qemu-aarch64-static"
QEMU_LD_PREFIX = "/usr/aarch64-linux-gnu"
ELF_MACHINE_AARCH64 = 183

# The demo's configuration with durations short enough for real time (core/src/config.rs rules:
# rotationInterval a Secrets Manager schedule and longer than the grace, cleanupCheckInterval
# whole minutes, Cache-Control max-age within the grace).
GRACE_S = 6
TOKEN_TTL_S = 8
CLEANUP_GRACE_S = 2
SHORT_DURATIONS = {
    "JWKS_ROTATION_ROTATION_INTERVAL": "4h",
    "JWKS_ROTATION_MIN_ACTIVATION_GRACE_PERIOD": f"{GRACE_S}s",
    "JWKS_ROTATION_MAX_TOKEN_VALIDITY": f"{TOKEN_TTL_S}s",
    "JWKS_ROTATION_MIN_KEY_CLEANUP_GRACE_PERIOD": f"{CLEANUP_GRACE_S}s",
    "JWKS_ROTATION_CLEANUP_CHECK_INTERVAL": "1m",
    "JWKS_ROTATION_CACHE_CONTROL": "public, max-age=1",
}
# The registry keeps whole seconds: wait one more than a duration to be past it.
MARGIN_S = 1.5


class CheckFailed(Exception):
    """An invariant or an expected outcome did not hold."""


def check(condition: bool, what: str) -> None:
    """Raises CheckFailed with `what` unless `condition` holds."""
    if not condition:
        raise CheckFailed(what)


def elf_machine(path: Path) -> int:
    """The e_machine field of an ELF file (183 for aarch64)."""
    header = path.read_bytes()[:20]
    check(header[:4] == b"\x7fELF", f"{path} is not an ELF file")
    return int.from_bytes(header[18:20], "little")


def describe_binary(path: Path) -> str:
    """What `file` says of the binary (its architecture and linking), or its size without `file`."""
    if shutil.which("file"):
        described = subprocess.run(["file", "-b", str(path)], stdout=subprocess.PIPE, text=True, check=False)
        return described.stdout.strip().split(", BuildID")[0]
    return f"aarch64 ELF, {path.stat().st_size} bytes"


def emulated_command(bootstrap: Path) -> list[str]:
    """How to run the arm64 bootstrap here: through qemu-user on other machines, as is on arm64."""
    if platform.machine() in ("aarch64", "arm64"):
        return [str(bootstrap)]
    if shutil.which(QEMU) is None:
        raise SystemExit(f"{QEMU} is missing: run scripts/ensure-qemu.sh (make test-arm64 does)")
    return [QEMU, str(bootstrap)]


class Arm64Run(Demo):
    """The demo's moto, RIE and Secrets Manager play, with the arm64 bootstrap under qemu-user."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        super().__init__(args, work)
        self.invoke_seconds: list[float] = []

    def lambda_command(self, bootstrap: Path) -> list[str]:
        """qemu-user in front of the bootstrap (RIE spawns this command as the runtime)."""
        return emulated_command(bootstrap)

    def lambda_env(self) -> dict[str, str]:
        """The demo's environment, without libfaketime, with short durations, qemu's glibc prefix."""
        env = {k: v for k, v in super().lambda_env().items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        env.update(SHORT_DURATIONS)
        env["AWS_LAMBDA_FUNCTION_NAME"] = "arm64-jwks-rotation"
        env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = "120"
        env["QEMU_LD_PREFIX"] = QEMU_LD_PREFIX  # the aarch64 loader and glibc (libc6-arm64-cross)
        return env

    def invoke(self, event: dict) -> dict:
        """Invokes through RIE; keeps each round trip's duration."""
        started = time.monotonic()
        answer = super().invoke(event)
        self.invoke_seconds.append(time.monotonic() - started)
        return answer

    def tick(self) -> None:
        """Sets the demo's report clock to real time (nothing moves the bootstrap's clock here)."""
        self.clock.set(datetime.now(timezone.utc).replace(microsecond=0))

    def kid_at(self, stage: str) -> str | None:
        """The kid of the secret version holding `stage` (the value stays in this process)."""
        value = json.loads(self.sm.get_secret_value(SecretId=SECRET, VersionStage=stage)["SecretString"])
        return value.get("kid")

    def verify(self, phase: str) -> None:
        """The demo's check over HTTP (AWSCURRENT's token verifies), then the NEXT kid is published."""
        check(self.failures == 0, f"{phase}: an invocation failed; see {self.work / 'bootstrap.log'}")
        self.verify_over_http()
        published = self.last_kids
        signing, next_kid = self.kid_at("AWSCURRENT"), self.kid_at("NEXT")
        check(signing in published, f"{phase}: signing kid {signing} is not in the JWKS")
        check(next_kid in published, f"{phase}: NEXT kid {next_kid} is not in the JWKS")
        say(f"==> {phase}: verified (signing {signing}, NEXT {next_kid}, {len(published)} keys published)")

    def wait(self, seconds: float, why: str) -> None:
        """Lets real time pass (the durations are seconds long here)."""
        say(f"    ... waiting {seconds:.1f}s of real time: {why}")
        time.sleep(seconds)
        self.tick()

    def run(self) -> None:
        """The four phases, each verified."""
        self.create_pieces()
        say("    (no libfaketime here: it cannot load into an emulated arm64 process; the durations are seconds, time is real)")
        self.start_lambda(self.args.bootstrap)
        self.tick()
        self.rotate("first rotation")
        first_invoke, later = self.invoke_seconds[0], self.invoke_seconds[1:]
        check(self.last_signing is not None, "first rotation: no key signs")
        self.verify("first rotation")
        first_key, next_key = self.last_signing, self.kid_at("NEXT")

        self.wait(GRACE_S + MARGIN_S, f"NEXT older than minActivationGracePeriod ({GRACE_S}s)")
        self.rotate("scheduled")
        check(self.last_signing == next_key, f"scheduled rotation: {next_key} (NEXT) should sign, {self.last_signing} does")
        check(first_key in self.last_kids, "scheduled rotation: the retired key left the JWKS at once")
        self.verify("scheduled rotation")

        retention = TOKEN_TTL_S + CLEANUP_GRACE_S
        self.wait(retention + MARGIN_S, f"retired key past maxTokenValidity + minKeyCleanupGracePeriod ({retention}s)")
        self.report("cleanup", self.invoke({"action": "cleanup", "secretArn": self.secret_arn}))
        check(first_key not in self.last_kids, f"cleanup: retired key {first_key} is still published")
        self.verify("cleanup")

        compromised = self.last_signing
        self.emergency()
        check(self.last_signing != compromised, "emergency rotation: the compromised key still signs")
        check(compromised not in self.last_kids, f"emergency rotation: revoked kid {compromised} is still published")
        self.verify("emergency rotation")
        self.print_cold_start(first_invoke, later)

    def print_cold_start(self, first_invoke: float, later: list[float]) -> None:
        """The cold start under emulation, as RIE and as this process measured it (a curiosity)."""
        init_ms = self.api.init_duration_ms()
        warm = sorted(later)[len(later) // 2] if later else 0.0
        rie_part = f"init (exec to first /next, RIE's INIT REPORT) {init_ms:.0f} ms; " if init_ms is not None else ""
        say(
            f"==> cold start under {'qemu-user + ' if emulated_command(self.args.bootstrap)[0] == QEMU else ''}RIE: "
            f"{rie_part}first invocation (cold start + createSecret) {first_invoke * 1000:.0f} ms, "
            f"median warm invocation {warm * 1000:.0f} ms over {len(later)}"
        )


def main() -> int:
    """Extracts the shipped arm64 bootstrap, runs the four phases, stops everything it started."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(ROOT / "dist/lambda/arm64/bootstrap.zip"))
    parser.add_argument("--work", default=str(ROOT / "target/arm64"))
    parser.add_argument("--quiet-cleanups", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    args.bootstrap = extract_bootstrap(Path(args.zip), work)
    machine = elf_machine(args.bootstrap)
    if machine != ELF_MACHINE_AARCH64:
        raise SystemExit(f"{args.zip} holds a bootstrap for ELF machine {machine}, not aarch64 ({ELF_MACHINE_AARCH64})")
    say(f"==> {args.zip}: {describe_binary(args.bootstrap)}, extracted to {args.bootstrap}")
    run = Arm64Run(args, work)
    try:
        run.run()
    except CheckFailed as failure:
        say(f"==> test-arm64 FAILED: {failure}; logs in {work}")
        return 1
    finally:
        run.close()
    say("==> test-arm64 passed: a first and a scheduled rotation, a cleanup and an emergency rotation by the arm64 bootstrap under RIE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
