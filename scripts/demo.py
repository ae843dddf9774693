#!/usr/bin/env python3
"""`make demo`: months of key rotation, in a minute, on local stand-ins for AWS.

What runs is real: moto server stands in for Secrets Manager and S3 (patched where it differs
from AWS, tests/support/moto_faithful.py), the shipped `bootstrap` binary (extracted from
dist/lambda/x86_64/bootstrap.zip) runs as the one function instance of AWS's own Lambda
emulator (aws-lambda-rie, built by scripts/ensure-rie.sh; tests/support/runtime_api.py `Rie`),
and its clock is moved from outside the process with Debian's libfaketime. This script plays Secrets Manager (RotateSecret and the four steps) and
EventBridge (the daily cleanup), plays the operator once for a revocation of a retired key and
once for an emergency rotation, prints one line per event, and at the end fetches the JWKS
over anonymous HTTP and verifies a token signed with the AWSCURRENT key using PyJWT. It also
draws target/demo/timeline.svg (scripts/timeline.py), one row per key, from the key registry
object read after every event (not public, but it holds public keys and dates only; no private
key is printed or drawn), with the kids seen in the run in target/demo/kids.txt.

Usage: demo.py [--days N] [--zip PATH] [--quiet-cleanups]
Exit code 0 when every event succeeded, the final token verified and the timeline names every kid.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))
from lambda_local import FAKETIME_LIB, FakeClock, ensure_rie, extract_bootstrap  # noqa: E402
from runtime_api import Rie  # noqa: E402
from timeline import History, missing_kids, render  # noqa: E402  (scripts/timeline.py)

SECRET = "demo-jwks-signing-key"
BUCKET = "demo-jwks-bucket"
# moto answers unsigned GETs of paths ending in /.well-known/jwks.json itself (its Cognito
# routes), so the demo publishes under another key; real deployments default to that path.
OBJECT_KEY = "demo/jwks.json"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:demo-jwks-rotation"
START = datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc)
# The private key registry object (public keys and their dates only), read for the timeline.
REGISTRY_KEY = f".jwks-rotation/{OBJECT_KEY}.registry.json"
TIMELINE = ROOT / "target" / "demo" / "timeline.svg"

# The rotation configuration, as the provider writes it into the function's environment
# (core/src/config.rs, `RotationConfig::to_env`). The Lambda refuses to start if these drift.
CONFIG = {
    "JWKS_ROTATION_SECRET_ID": SECRET,
    "JWKS_ROTATION_BUCKET": BUCKET,
    "JWKS_ROTATION_OBJECT_KEY": OBJECT_KEY,
    "JWKS_ROTATION_KEY_ALGORITHM": "ES256",
    "JWKS_ROTATION_KEY_CURVE": "P-256",
    "JWKS_ROTATION_KID_STRATEGY": "random",
    "JWKS_ROTATION_MAX_TOKEN_VALIDITY": "45d",
    "JWKS_ROTATION_ROTATION_INTERVAL": "30d",
    "JWKS_ROTATION_MIN_ACTIVATION_GRACE_PERIOD": "7d",
    "JWKS_ROTATION_CLEANUP_CHECK_INTERVAL": "24h",
    "JWKS_ROTATION_MIN_KEY_CLEANUP_GRACE_PERIOD": "6h",
    "JWKS_ROTATION_CACHE_CONTROL": "public, max-age=300",
    "JWKS_ROTATION_METRICS_NAMESPACE": "JwksRotationDemo",
}


def say(line: str = "") -> None:
    print(line, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on port {port} within {timeout:.0f}s")


class Demo:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        import boto3  # installed with moto

        self.args = args
        self.work = work
        self.procs: list[subprocess.Popen] = []
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        say(f"==> starting moto server (stand-in for Secrets Manager and S3) on {self.endpoint}")
        moto = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/support/moto_faithful.py"), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=open(work / "moto.log", "w"),
        )
        self.procs.append(moto)
        wait_for_port(self.port, moto, "moto server")
        session = boto3.session.Session(
            aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1"
        )
        self.sm = session.client("secretsmanager", endpoint_url=self.endpoint)
        self.s3 = session.client("s3", endpoint_url=self.endpoint)
        self.clock = FakeClock(work, START)
        self.api: Rie | None = None  # AWS's Lambda emulator, started by start_lambda
        self.rotations = 0
        self.failures = 0
        self.last_kids: list[str] = []
        self.last_signing: str | None = None
        self.kids_seen: list[str] = []  # every kid the JWKS answers or AWSCURRENT showed
        self.history = History(
            START, START, timedelta(days=45),
            "make demo: ES256, rotation every 30d, NEXT published 7d before signing, tokens live 45d",
        )

    def create_pieces(self) -> None:
        say("==> creating the pieces the component declares: secret with its placeholder, bucket, public-read policy on the JWKS object")
        secret = self.sm.create_secret(Name=SECRET, Description="jwks-rotation demo")
        self.secret_arn = secret["ARN"]
        # The provider's placeholder version: AWSCURRENT (first version) plus a custom label.
        self.sm.put_secret_value(
            SecretId=SECRET,
            SecretString='{"jwksRotation":"awaiting-first-rotation"}',
            VersionStages=["JWKS_ROTATION_INITIAL"],
        )
        self.s3.create_bucket(Bucket=BUCKET)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadJwks",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/{OBJECT_KEY}",
                }
            ],
        }
        self.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))

    def lambda_env(self) -> dict[str, str]:
        """The bootstrap's environment: what Lambda sets, the rotation CONFIG, the moved clock."""
        return {
            "PATH": "/usr/bin:/bin",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "RUST_LOG": "info",
            # What the Lambda service sets for a custom runtime (RIE adds AWS_LAMBDA_RUNTIME_API).
            "AWS_LAMBDA_FUNCTION_NAME": "demo-jwks-rotation",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/demo-jwks-rotation",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            **CONFIG,
            **self.clock.env(),
        }

    def lambda_command(self, bootstrap: Path) -> list[str]:
        """The runtime RIE spawns: the bootstrap itself (tests/arm64 puts qemu-user in front)."""
        return [str(bootstrap)]

    def start_lambda(self, bootstrap: Path) -> None:
        """Starts RIE, which spawns the bootstrap at the first invocation with lambda_env().

        RIE hands its whole environment to the runtime, so LD_PRELOAD and FAKETIME_* reach the
        bootstrap; RIE itself is a static Go binary (no loader, and Go reads the clock through
        the vDSO, not libc): its clock, its invoke deadlines and timeouts stay real.
        """
        rie, env = ensure_rie(), self.lambda_env()
        clock = ", clock moved by libfaketime" if "LD_PRELOAD" in env else ""
        say(f"==> starting the real bootstrap ({bootstrap}) under AWS's Lambda emulator ({rie}){clock}")
        self.api = Rie(rie, self.lambda_command(bootstrap), env, self.work / "bootstrap.log")
        self.procs.append(self.api.proc)
        self.bootstrap = self.api.proc

    def invoke(self, event: dict) -> dict:
        if self.bootstrap.poll() is not None:
            raise SystemExit(f"bootstrap exited with code {self.bootstrap.returncode}; see {self.work / 'bootstrap.log'}")
        result = self.api.invoke(event)
        body = json.loads(result.get("body") or "null")
        if result.get("kind") != "response":
            self.failures += 1
            if isinstance(body, dict):
                return {"error": f"{body.get('errorType')}: {body.get('errorMessage')}"}
            return {"error": str(body)}
        return body

    def signing_kid(self) -> str | None:
        value = json.loads(self.sm.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")["SecretString"])
        return value.get("kid")

    def report(self, what: str, answer: dict) -> None:
        signing = self.signing_kid()
        kids = answer.get("kids", self.last_kids)
        changes = []
        if signing != self.last_signing:
            changes.append(f"signing key {short(self.last_signing)} -> {short(signing)}")
        added = [k for k in kids if k not in self.last_kids]
        removed = [k for k in self.last_kids if k not in kids]
        if added:
            changes.append("published " + ", ".join(map(short, added)))
        if removed:
            changes.append("removed " + ", ".join(map(short, removed)))
        if "deferReason" in answer:
            changes.append(f"deferred ({answer['deferReason']}): signing key kept")
        if "error" in answer:
            changes.append("FAILED " + answer["error"])
        outcome = answer.get("outcome", "error")
        say(
            f"{self.clock.now:%Y-%m-%d %H:%M}  {what:<27} {outcome:<16} signing={short(signing):<8} "
            f"jwks=[{' '.join(map(short, kids))}]  {'; '.join(changes) or 'no change'}"
        )
        self.last_signing, self.last_kids = signing, list(kids)
        self.observe(kids, signing)

    def observe(self, kids: list[str], signing: str | None) -> None:
        """Notes the kids seen and feeds the registry, as it is now, to the timeline."""
        for kid in [*kids, signing]:
            if kid is not None and kid not in self.kids_seen:
                self.kids_seen.append(kid)
        try:
            body = self.s3.get_object(Bucket=BUCKET, Key=REGISTRY_KEY)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return
        self.history.observe(json.loads(body), self.clock.now)

    def rotate(self, why: str) -> None:
        """Plays Secrets Manager: RotateSecret, then the four steps in order."""
        token = str(uuid.uuid4())
        self.sm.rotate_secret(
            SecretId=SECRET,
            ClientRequestToken=token,
            RotationLambdaARN=LAMBDA_ARN,
            RotationRules={"ScheduleExpression": "rate(30 days)"},
        )
        self.rotations += 1
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            answer = self.invoke({"Step": step, "SecretId": self.secret_arn, "ClientRequestToken": token})
            self.report(f"{why}:{step}", answer)

    def cleanup(self, quiet: bool) -> bool:
        before = list(self.last_kids)
        answer = self.invoke({"action": "cleanup", "secretArn": self.secret_arn})
        changed = answer.get("kids", before) != before or "error" in answer
        if changed or not quiet:
            self.report("cleanup", answer)
        else:
            self.observe(before, self.last_signing)
        return changed

    def run(self) -> None:
        self.create_pieces()
        self.start_lambda(extract_bootstrap(Path(self.args.zip), self.work))
        say()
        say(f"==> {self.args.days} days from {START:%Y-%m-%d}: ES256, rotation every 30d, keys published 7d before they sign,")
        say("    tokens live up to 45d (longer than the rotation interval), cleanup daily, 6h cleanup grace")
        say(f"    {'time (UTC)':<16}  {'event':<27} {'outcome':<16} {'signing':<16} published kids (signing, next, retired)")
        self.rotate("first deploy")
        next_rotation = START + timedelta(days=30)
        quiet_days = 0
        for day in range(1, self.args.days + 1):
            now = START + timedelta(days=day)
            self.clock.set(now)
            if now >= next_rotation:
                self.rotate("scheduled")
                next_rotation = now + timedelta(days=30)
            if day == 33:
                self.rotate("manual rotate")  # too early: the new NEXT is 3 days old
            if day == self.args.days - 40:
                self.revoke_retired()
            if day == self.args.days - 10:
                self.emergency()
            self.clock.set(now + timedelta(hours=3))
            if self.cleanup(self.args.quiet_cleanups):
                quiet_days = 0
            else:
                quiet_days += 1
            if self.args.quiet_cleanups and day % 30 == 0 and quiet_days:
                say(f"{self.clock.now:%Y-%m-%d %H:%M}  ... {quiet_days} daily cleanups in a row found nothing to remove")
                quiet_days = 0
        self.verify_over_http()
        self.write_timeline()

    def revoke_retired(self) -> None:
        """Plays the operator: revokes the latest retired key (say its tokens leaked)."""
        retired = [s for s in self.history.keys.values() if s.retired_at and not s.removed_at]
        if not retired:
            say(f"{self.clock.now:%Y-%m-%d %H:%M}  (no retired key to revoke)")
            return
        kid = max(retired, key=lambda s: s.retired_at).kid
        answer = self.invoke({"action": "revoke", "secretArn": self.secret_arn, "kid": kid})
        self.report(f"revoke {short(kid)} (retired)", answer)
        if kid in self.last_kids:
            self.failures += 1
            say(f"    !! revoked kid {kid} is still published")

    def write_timeline(self) -> None:
        """Draws the timeline (scripts/timeline.py) and checks that it names every kid seen."""
        render(self.history, TIMELINE)
        TIMELINE.with_name("timeline.json").write_text(self.history.to_json() + "\n")
        TIMELINE.with_name("kids.txt").write_text("".join(f"{kid}\n" for kid in self.kids_seen))
        say()
        say(f"==> timeline of the {len(self.kids_seen)} keys: {TIMELINE.relative_to(ROOT)} (open it in a browser)")
        missing = missing_kids(TIMELINE, self.kids_seen)
        if missing:
            self.failures += 1
            say(f"    !! the timeline does not name {' '.join(missing)}")

    def emergency(self) -> None:
        compromised = self.last_signing
        request = str(uuid.uuid4())
        answer = self.invoke(
            {"action": "emergencyRotate", "secretArn": self.secret_arn, "requestId": request, "revokeCurrent": True}
        )
        self.report("emergencyRotate", answer)
        self.history.note_emergency(self.clock.now, self.last_signing)
        if compromised in self.last_kids:
            self.failures += 1
            say(f"    !! revoked kid {compromised} is still published")

    def verify_over_http(self) -> None:
        import jwt  # PyJWT
        from cryptography.hazmat.primitives import serialization

        url = f"{self.endpoint}/{BUCKET}/{OBJECT_KEY}"
        say()
        say(f"==> anonymous GET {url}")
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            content_type = response.headers.get("Content-Type")
            cache_control = response.headers.get("Cache-Control")
        jwks = json.loads(body)
        say(f"    Content-Type: {content_type}; Cache-Control: {cache_control}")
        say("    " + json.dumps(jwks, indent=2).replace("\n", "\n    "))
        value = json.loads(self.sm.get_secret_value(SecretId=SECRET, VersionStage="AWSCURRENT")["SecretString"])
        private_key = serialization.load_pem_private_key(value["privateKeyPem"].encode(), password=None)
        now = int(time.time())  # PyJWT checks iat and exp against the real clock
        token = jwt.encode(
            {"sub": "demo-user", "iat": now, "exp": now + 3600, "iss": "https://issuer.example"},
            private_key,
            algorithm=value["alg"],
            headers={"kid": value["kid"]},
        )
        kid = jwt.get_unverified_header(token)["kid"]
        match = [k for k in jwks["keys"] if k["kid"] == kid]
        if len(match) != 1:
            raise SystemExit(f"the signing kid {kid} is not published exactly once")
        public_key = jwt.PyJWK(match[0]).key
        claims = jwt.decode(
            token, public_key, algorithms=[match[0]["alg"]], issuer="https://issuer.example"
        )
        say(f"==> token signed with AWSCURRENT (kid {kid}) verified against the published JWKS: sub={claims['sub']}")
        private = [m for k in jwks["keys"] for m in ("d", "p", "q", "dp", "dq", "qi", "oth", "k") if m in k]
        if private:
            raise SystemExit(f"private members published: {private}")

    def close(self) -> None:
        if self.api is not None:
            self.api.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def short(kid: str | None) -> str:
    return "-" if kid is None else kid[:6]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--zip", default=str(ROOT / "dist/lambda/x86_64/bootstrap.zip"))
    parser.add_argument("--quiet-cleanups", action="store_true", help="print only cleanups that changed the JWKS")
    args = parser.parse_args()
    if not Path(FAKETIME_LIB).exists():
        raise SystemExit(f"{FAKETIME_LIB} is missing: install Debian's libfaketime (make demo does)")
    with tempfile.TemporaryDirectory(prefix="jwks-demo-") as tmp:
        demo = Demo(args, Path(tmp))
        try:
            demo.run()
        finally:
            demo.close()
        say()
        if demo.failures:
            say(f"==> demo FAILED: {demo.failures} event(s) failed; bootstrap log: see above")
            return 1
        say(f"==> demo done: {demo.rotations} rotations and {args.days} cleanups over {args.days} days, every event succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
