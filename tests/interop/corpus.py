#!/usr/bin/env python3
"""The interop corpus: the JWKS and tokens of the real `bootstrap`, one deployment per algorithm.

For every algorithm the product generates keys for (core/src/key_spec.rs: RS256/384/512,
PS256/384/512, ES256/384/512, EdDSA, and Ed25519: the same key as EdDSA under RFC 9864's fully
specified name) this starts the shipped `bootstrap` (from
dist/lambda/x86_64/bootstrap.zip) under AWS's Lambda emulator (aws-lambda-rie), against moto
server patched to behave like AWS (tests/support/moto_faithful.py), with its clock moved by
libfaketime, and plays Secrets Manager and EventBridge:

  day  0  first rotation     key1 signs, key2 is NEXT
  day 30  scheduled rotation key2 signs, key1 retired (AWSPREVIOUS), key3 is NEXT
  day 31  cleanup            nothing leaves (key1 is kept for 45d + 6h after its retirement)
  day 60  scheduled rotation key3 signs, key2 retired, key4 is NEXT
  day 76  cleanup            key1 leaves; the JWKS holds key2 (retired), key3 (signing), key4 (NEXT)

Then it signs tokens with the private keys read from Secrets Manager (`AWSCURRENT`, the retired
`AWSPREVIOUS`, `NEXT`; key1 was read while it was `AWSCURRENT`) and builds the negative cases.
Every verifier checks `exp` against the same fixed clock, `CLOCK` (day 76, 13:00 UTC, after
the cleanup), never the machine's: a library whose clock injection did not take would refuse
the valid tokens (their `iat`/`nbf` lie in the machine's future) or accept the expired one.

The cases, per algorithm (`expect` is what every verifier must do):

  current   AWSCURRENT key                                      accept
  retired   AWSPREVIOUS key, retired but still published        accept
  next      NEXT key: published 7 days before it signs, so a    accept
            verifier cannot tell it from a signing key (what
            keeps issuers from signing with it is issuerPolicy:
            GetSecretValue of AWSCURRENT only)
  expired   AWSCURRENT key, exp one hour before the clock       refuse
  tampered  the `current` token with one signature bit flipped  refuse
  unknownkid a fresh key of the same algorithm, kid never       refuse
            published
  removed   key1: a real key of this deployment, published      refuse
            once, removed by the day-76 cleanup
  none      `alg: none`, no signature, kid of AWSCURRENT        refuse

The JWKS stays served by moto (an anonymous GET of a public-read object, as S3 serves it) at
http://127.0.0.1:<port>/<bucket>/interop/jwks.json while the verifiers run. moto answers
unsigned GETs of any path ending in /.well-known/jwks.json itself (its Cognito routes), hence
`interop/jwks.json` rather than the product's default `bucketPath`.
"""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "scripts"))
from runtime_api import Rie  # noqa: E402
from lambda_local import FAKETIME_LIB, FakeClock, ensure_rie, extract_bootstrap  # noqa: E402
from demo import free_port, wait_for_port  # noqa: E402

# (algorithm, curve) for every algorithm of core/src/key_spec.rs `ALGORITHMS`.
ALGORITHMS = [
    ("RS256", None),
    ("RS384", None),
    ("RS512", None),
    ("PS256", None),
    ("PS384", None),
    ("PS512", None),
    ("ES256", "P-256"),
    ("ES384", "P-384"),
    ("ES512", "P-521"),
    ("EdDSA", "Ed25519"),
    # RFC 9864's fully specified name for the same Ed25519 key: the JWKS `alg` and the tokens'
    # header `alg` say `Ed25519`.
    ("Ed25519", "Ed25519"),
]
OBJECT_KEY = "interop/jwks.json"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:interop-jwks-rotation"
START = datetime(2027, 1, 1, 9, 0, tzinfo=timezone.utc)
# The verification clock: after the day-76 cleanup.
CLOCK = START + timedelta(days=76, hours=4)
RETIRED_IAT = START + timedelta(days=60) - timedelta(hours=1)
ISSUER = "https://issuer.interop.test"
AUDIENCE = "interop-client"
CASES = [
    ("current", "accept"),
    ("retired", "accept"),
    ("next", "accept"),
    ("expired", "refuse"),
    ("tampered", "refuse"),
    ("unknownkid", "refuse"),
    ("removed", "refuse"),
    ("none", "refuse"),
]

# The rotation configuration as the provider writes it into the function's environment
# (core/src/config.rs `RotationConfig::to_env`), the demo's schedule.
BASE_CONFIG = {
    "JWKS_ROTATION_OBJECT_KEY": OBJECT_KEY,
    "JWKS_ROTATION_KID_STRATEGY": "random",
    "JWKS_ROTATION_MAX_TOKEN_VALIDITY": "45d",
    "JWKS_ROTATION_ROTATION_INTERVAL": "30d",
    "JWKS_ROTATION_MIN_ACTIVATION_GRACE_PERIOD": "7d",
    "JWKS_ROTATION_CLEANUP_CHECK_INTERVAL": "24h",
    "JWKS_ROTATION_MIN_KEY_CLEANUP_GRACE_PERIOD": "6h",
    "JWKS_ROTATION_CACHE_CONTROL": "public, max-age=300",
    "JWKS_ROTATION_METRICS_NAMESPACE": "JwksRotationInterop",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Moto:
    """moto server, patched to behave like AWS, on a loopback port."""

    def __init__(self, work: Path) -> None:
        import boto3  # installed with moto

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/support/moto_faithful.py"), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=open(work / "moto.log", "w"),
        )
        wait_for_port(self.port, self.proc, "moto server")
        session = boto3.session.Session(
            aws_access_key_id="interop", aws_secret_access_key="interop", region_name="us-east-1"
        )
        self.sm = session.client("secretsmanager", endpoint_url=self.endpoint)
        self.s3 = session.client("s3", endpoint_url=self.endpoint)

    def close(self) -> None:
        stop(self.proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Deployment:
    """One JwksRotation deployment: its secret, bucket and rotation function."""

    def __init__(self, moto: Moto, alg: str, curve: str | None, bootstrap: Path, clock: FakeClock, work: Path):
        self.moto, self.alg, self.curve = moto, alg, curve
        self.secret = f"interop-{alg.lower()}"
        self.bucket = f"interop-{alg.lower()}"
        self.keys: dict[str, dict] = {}  # kid -> secret value (privateKeyPem, alg, ...)
        self.history: list[str] = []
        sm, s3 = moto.sm, moto.s3
        self.secret_arn = sm.create_secret(Name=self.secret, Description="jwks-rotation interop")["ARN"]
        # The provider's placeholder version, as in the demo.
        sm.put_secret_value(
            SecretId=self.secret,
            SecretString='{"jwksRotation":"awaiting-first-rotation"}',
            VersionStages=["JWKS_ROTATION_INITIAL"],
        )
        s3.create_bucket(Bucket=self.bucket)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadJwks",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{self.bucket}/{OBJECT_KEY}",
                }
            ],
        }
        s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(policy))
        config = {
            **BASE_CONFIG,
            "JWKS_ROTATION_SECRET_ID": self.secret,
            "JWKS_ROTATION_BUCKET": self.bucket,
            "JWKS_ROTATION_KEY_ALGORITHM": alg,
        }
        if curve:
            config["JWKS_ROTATION_KEY_CURVE"] = curve
        env = {
            "PATH": "/usr/bin:/bin",
            "AWS_ENDPOINT_URL": moto.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "interop",
            "AWS_SECRET_ACCESS_KEY": "interop",
            "RUST_LOG": "info",
            "AWS_LAMBDA_FUNCTION_NAME": f"interop-{alg.lower()}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/interop-{alg.lower()}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            **config,
            **clock.env(),
        }
        self.log_path = work / f"bootstrap-{alg}.log"
        # One function instance under AWS's Lambda emulator, which spawns the bootstrap at the
        # first invocation with this environment (libfaketime included).
        self.api = Rie(ensure_rie(), [bootstrap], env, self.log_path)

    @property
    def jwks_url(self) -> str:
        return f"{self.moto.endpoint}/{self.bucket}/{OBJECT_KEY}"

    def invoke(self, event: dict) -> dict:
        result = self.api.invoke(event)
        body = json.loads(result.get("body") or "null")
        if result.get("kind") != "response":
            raise RuntimeError(f"{self.alg}: {event} failed: {body}; see {self.log_path}")
        return body

    def value(self, stage: str) -> dict:
        raw = self.moto.sm.get_secret_value(SecretId=self.secret, VersionStage=stage)["SecretString"]
        return json.loads(raw)

    def remember(self) -> None:
        """Keeps the private keys of AWSCURRENT and NEXT, read from Secrets Manager."""
        for stage in ("AWSCURRENT", "NEXT"):
            value = self.value(stage)
            if value["kid"] not in self.keys:
                self.keys[value["kid"]] = value
                self.history.append(value["kid"])

    def rotate(self) -> None:
        token = str(uuid.uuid4())
        self.moto.sm.rotate_secret(
            SecretId=self.secret,
            ClientRequestToken=token,
            RotationLambdaARN=LAMBDA_ARN,
            RotationRules={"ScheduleExpression": "rate(30 days)"},
        )
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            self.invoke({"Step": step, "SecretId": self.secret_arn, "ClientRequestToken": token})
        self.remember()

    def cleanup(self) -> dict:
        return self.invoke({"action": "cleanup", "secretArn": self.secret_arn})

    def fetch_jwks(self) -> tuple[bytes, dict]:
        with urllib.request.urlopen(self.jwks_url, timeout=10) as response:
            return response.read(), {
                "Content-Type": response.headers.get("Content-Type"),
                "Cache-Control": response.headers.get("Cache-Control"),
            }

    def close(self) -> None:
        self.api.close()


def sign(value: dict, claims: dict, kid: str | None = None) -> str:
    if value["alg"] == "Ed25519":
        return sign_ed25519(value, claims, kid)
    import jwt  # PyJWT, the issuer side, as the README's issuer example

    return jwt.encode(claims, value["privateKeyPem"], algorithm=value["alg"], headers={"kid": kid or value["kid"]})


def sign_ed25519(value: dict, claims: dict, kid: str | None = None) -> str:
    """A JWS with header `alg: Ed25519` (RFC 9864), signed by hand: PyJWT knows only `EdDSA`.
    The signature is the same Ed25519 signature over `header.payload`; only the name differs."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(value["privateKeyPem"].encode(), password=None)
    header = {"alg": "Ed25519", "typ": "JWT", "kid": kid or value["kid"]}
    signing_input = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode()))}"


def fresh_key_pem(alg: str) -> str:
    """A private key of the algorithm's family that no deployment ever published."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if alg.startswith(("RS", "PS")):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg in ("EdDSA", "Ed25519"):
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
        key = ec.generate_private_key(curve)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def claims(iat: datetime, exp: datetime, **extra) -> dict:
    return {
        "iss": ISSUER,
        "sub": "interop-user",
        "aud": AUDIENCE,
        "iat": int(iat.timestamp()),
        "nbf": int(iat.timestamp()),
        "exp": int(exp.timestamp()),
        "jti": str(uuid.uuid4()),
        **extra,
    }


def tampered(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[len(raw) // 3] ^= 0x01
    return f"{head}.{payload}.{b64url(bytes(raw))}"


def alg_none(kid: str, body: dict) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(body).encode())}."


def build_cases(d: Deployment, jwks: dict) -> list[dict]:
    """The tokens of one deployment (see the module docstring)."""
    current, previous, nxt = d.value("AWSCURRENT"), d.value("AWSPREVIOUS"), d.value("NEXT")
    published = [k["kid"] for k in jwks["keys"]]
    key1, key2, key3, key4 = d.history
    problems = []
    if (previous["kid"], current["kid"], nxt["kid"]) != (key2, key3, key4):
        problems.append(f"labels: AWSPREVIOUS {previous['kid']}, AWSCURRENT {current['kid']}, NEXT {nxt['kid']}; expected {key2}, {key3}, {key4}")
    if sorted(published) != sorted([key2, key3, key4]):
        problems.append(f"published kids {published}, expected {[key2, key3, key4]} (key1 {key1} removed)")
    private = [m for k in jwks["keys"] for m in ("d", "p", "q", "dp", "dq", "qi", "oth", "k") if m in k]
    if private:
        problems.append(f"private members published: {private}")
    if problems:
        raise RuntimeError(f"{d.alg}: the JWKS is not what the schedule makes: " + "; ".join(problems))
    valid = claims(CLOCK - timedelta(minutes=5), CLOCK + timedelta(hours=1))
    current_token = sign(current, valid)
    unknown = {"privateKeyPem": fresh_key_pem(d.alg), "alg": d.alg, "kid": "interop-unknown-" + uuid.uuid4().hex[:12]}
    tokens = {
        "current": (current_token, current["kid"]),
        # Issued an hour before the day-60 rotation retired its key, for the longest lifetime.
        "retired": (sign(previous, claims(RETIRED_IAT, RETIRED_IAT + timedelta(days=45))), previous["kid"]),
        "next": (sign(nxt, valid), nxt["kid"]),
        "expired": (sign(current, claims(CLOCK - timedelta(hours=2), CLOCK - timedelta(hours=1))), current["kid"]),
        "tampered": (tampered(current_token), current["kid"]),
        "unknownkid": (sign(unknown, valid), unknown["kid"]),
        "removed": (sign(d.keys[key1], valid), key1),
        "none": (alg_none(current["kid"], valid), current["kid"]),
    }
    cases = []
    for name, expect in CASES:
        token, kid = tokens[name]
        cases.append(
            {
                "id": f"{d.alg}/{name}",
                "alg": d.alg,
                "case": name,
                "kid": kid,
                "expect": expect,
                "jwks_url": d.jwks_url,
                "token": token,
            }
        )
    return cases


def oidc_cases(d: Deployment, issuer: str) -> list[dict]:
    """ID tokens for OIDC discovery (go-oidc): signed by AWSCURRENT with `iss` = the issuer."""
    current = d.value("AWSCURRENT")
    good = dict(iss=issuer, aud=AUDIENCE)
    window = (CLOCK - timedelta(minutes=5), CLOCK + timedelta(hours=1))
    specs = [
        ("idtoken", "accept", claims(*window, **good)),
        ("wrongissuer", "refuse", claims(*window, iss="https://attacker.example", aud=AUDIENCE)),
        ("wrongaudience", "refuse", claims(*window, iss=issuer, aud="another-client")),
        ("expired", "refuse", claims(CLOCK - timedelta(hours=2), CLOCK - timedelta(hours=1), **good)),
    ]
    return [
        {"id": f"{d.alg}/oidc-{name}", "alg": d.alg, "case": name, "expect": expect, "token": sign(current, body)}
        for name, expect, body in specs
    ]


class Corpus:
    """Generates the corpus and keeps moto serving the JWKS until close()."""

    def __init__(self, work: Path, out: Path, zip_path: Path, log=print) -> None:
        if not Path(FAKETIME_LIB).exists():
            raise SystemExit(f"{FAKETIME_LIB} is missing: scripts/ensure-faketime.sh installs it")
        self.work, self.out, self.log = work, out, log
        self.deployments: list[Deployment] = []
        self.bootstrap = extract_bootstrap(zip_path, work)
        self.clock = FakeClock(work, START)
        self.moto = Moto(work)

    def phase(self, what: str, when: datetime, action) -> None:
        self.clock.set(when)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(action, self.deployments))
        self.log(f"    {when:%Y-%m-%d %H:%M}  {what:<20} {len(self.deployments)} deployments  {time.monotonic() - started:.1f}s")

    def generate(self) -> dict:
        for alg, curve in ALGORITHMS:
            self.deployments.append(Deployment(self.moto, alg, curve, self.bootstrap, self.clock, self.work))
        self.log(f"==> corpus: the real bootstrap ({self.bootstrap.name} from the x86_64 zip), {len(ALGORITHMS)} algorithms, moto at {self.moto.endpoint}")
        self.phase("first rotation", START, Deployment.rotate)
        self.phase("scheduled rotation", START + timedelta(days=30), Deployment.rotate)
        self.phase("cleanup", START + timedelta(days=31, hours=3), Deployment.cleanup)
        self.phase("scheduled rotation", START + timedelta(days=60), Deployment.rotate)
        self.phase("cleanup", START + timedelta(days=76, hours=3), Deployment.cleanup)
        corpus = {"clock": int(CLOCK.timestamp()), "clock_iso": CLOCK.isoformat(), "audience": AUDIENCE, "cases": [], "deployments": {}}
        jwks_dir = self.out / "jwks"
        jwks_dir.mkdir(parents=True, exist_ok=True)
        for d in self.deployments:
            body, headers = d.fetch_jwks()
            jwks = json.loads(body)
            (jwks_dir / f"{d.alg}.json").write_bytes(body)
            corpus["cases"].extend(build_cases(d, jwks))
            corpus["deployments"][d.alg] = {
                "jwks_url": d.jwks_url,
                "jwks_file": str(jwks_dir / f"{d.alg}.json"),
                "headers": headers,
                "kids": {"retired": d.history[1], "current": d.history[2], "next": d.history[3], "removed": d.history[0]},
                "jwk_algs": sorted({k.get("alg", "") for k in jwks["keys"]}),
            }
        return corpus

    def add_oidc(self, corpus: dict, issuer: str) -> None:
        corpus["oidc_cases"] = [c for d in self.deployments for c in oidc_cases(d, issuer)]

    def close(self) -> None:
        for d in self.deployments:
            d.close()
        self.moto.close()
