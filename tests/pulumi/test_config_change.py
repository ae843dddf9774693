"""A configuration change on a live deployment, end to end: `pulumi up` with ES256, rotations by
the shipped bootstrap with the environment the stack gave the function, then `pulumi up` with
RS256 and rotations under the new environment.

The real Pulumi CLI and provider plan and apply both updates (the pulumi-aws stand-in keeps the
Lambda function in the state, so the test reads the function's environment from `pulumi stack
export` and runs what Lambda would run with it: the bootstrap from
dist/lambda/x86_64/bootstrap.zip, the archive the provider embeds, under AWS's Runtime
Interface Emulator, its clock moved by libfaketime). Secrets Manager's part (RotateSecret and
the four steps) is played as in the demo; the secret and the bucket are the ones `pulumi up`
created in moto.

What must hold across the change (issue 8, "Configuration changes on a live deployment"): the
update replaces neither the secret nor the bucket; the first rotation after it promotes the
ES256 NEXT made before it and publishes an RS256 NEXT, so the JWKS holds both algorithms; the
RS256 key signs only after it was published for minActivationGracePeriod; a token signed with
the ES256 key before the switch still verifies after it (PyJWT, keys fetched from the JWKS the
bootstrap wrote).
"""

import json
import re
import sys
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from conftest import ROOT, copy_example

sys.path.insert(0, str(ROOT / "tests" / "support"))
from lambda_local import FakeClock, ensure_rie, extract_bootstrap  # noqa: E402
from runtime_api import Rie  # noqa: E402

ZIP = ROOT / "dist" / "lambda" / "x86_64" / "bootstrap.zip"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:config-change-rotation"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text):
    """A duration as the provider writes it into the function's environment (`7d`, `1h`)."""
    found = re.fullmatch(r"(\d+)([smhd])", text)
    assert found, f"unexpected duration {text!r}"
    return timedelta(seconds=int(found.group(1)) * UNITS[found.group(2)])


def plain(value):
    """A state value, with Pulumi's secret wrapper removed."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


def function_environment(p):
    """The environment variables the stack gave the rotation function."""
    state = json.loads(p.run("stack", "export", "--show-secrets").stdout)
    functions = [
        r for r in state["deployment"]["resources"] if r["type"] == "aws:lambda/function:Function"
    ]
    assert len(functions) == 1, [r["type"] for r in state["deployment"]["resources"]]
    env = plain(plain(functions[0]["inputs"]["environment"])["variables"])
    return {k: str(plain(v)) for k, v in env.items()}


class Function:
    """The rotation function as Lambda runs it after a deploy: one instance of the shipped
    bootstrap under aws-lambda-rie with the stack's environment and a moved clock."""

    def __init__(self, work, name, variables, aws_env, clock):
        bootstrap = extract_bootstrap(ZIP, work)
        env = {
            "PATH": "/usr/bin:/bin",
            "AWS_ENDPOINT_URL": aws_env["AWS_ENDPOINT_URL"],
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": aws_env["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": aws_env["AWS_SECRET_ACCESS_KEY"],
            "AWS_LAMBDA_FUNCTION_NAME": "config-change-rotation",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/config-change-rotation",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
            "RUST_LOG": "info",
            **variables,
            **clock.env(),
        }
        self.log = work / f"{name}.log"
        self.rie = Rie(ensure_rie(), [bootstrap], env, self.log)

    def invoke(self, event):
        """Invokes the function; fails the test with the function's error."""
        record = self.rie.invoke(event)
        if record["kind"] != "response":
            raise AssertionError(f"{event} failed: {record['body']} (log {self.log})")
        return json.loads(record["body"])

    def rotate(self, sm, secret_arn):
        """Plays Secrets Manager: RotateSecret, then the four steps; the createSecret answer."""
        token = str(uuid.uuid4())
        sm.rotate_secret(
            SecretId=secret_arn,
            ClientRequestToken=token,
            RotationLambdaARN=LAMBDA_ARN,
            RotationRules={"ScheduleExpression": "rate(30 days)"},
        )
        answers = [
            self.invoke({"Step": step, "SecretId": secret_arn, "ClientRequestToken": token})
            for step in ("createSecret", "setSecret", "testSecret", "finishSecret")
        ]
        return answers[0]

    def close(self):
        self.rie.close()


def signing_value(aws, secret_arn):
    return json.loads(
        aws.sm.get_secret_value(SecretId=secret_arn, VersionStage="AWSCURRENT")["SecretString"]
    )


def jwks(aws, bucket, key):
    """The published JWKS, read from the bucket (moto answers unsigned GETs of
    `.well-known/jwks.json` itself, so the test reads it with the SDK)."""
    return json.loads(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def verify(token, document, now):
    """PyJWT as a relying party: the key chosen by kid from the JWKS, the signature checked,
    `exp` compared with `now` (the moved clock, which PyJWT cannot be given; `iat` likewise)."""
    kid = jwt.get_unverified_header(token)["kid"]
    keys = {k["kid"]: k for k in document["keys"]}
    assert kid in keys, f"kid {kid} is not in the JWKS {sorted(keys)}"
    alg = keys[kid]["alg"]
    claims = jwt.decode(token, jwt.PyJWK.from_dict(keys[kid]), algorithms=[alg],
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["exp"] > now.timestamp(), f"token expired at {claims['exp']}, now {now}"
    return claims


def sign(value, now, lifetime):
    return jwt.encode(
        {"sub": "config-change", "iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp())},
        value["privateKeyPem"],
        algorithm=value["alg"],
        headers={"kid": value["kid"]},
    )


def test_moving_a_live_deployment_from_es256_to_rs256(tmp_path, pulumi_factory, aws, aws_env):
    if not ZIP.exists():
        pytest.fail(f"{ZIP} is missing: run `make lambda`")
    work = copy_example("yaml", tmp_path / "config-change")
    project = work / "Pulumi.yaml"
    text = project.read_text()
    text = text.replace("        algorithm: ES256\n", "        algorithm: ${algorithm}\n")
    # moto answers requests for paths ending in /.well-known/jwks.json itself (its Cognito
    # routes), also the SDK's: publish under another key, as the demo does
    text = text.replace("      maxTokenValidityDuration: 1h\n",
                        "      maxTokenValidityDuration: 1h\n      bucketPath: keys/jwks.json\n")
    text = text.replace("config:\n", "config:\n  algorithm:\n    type: string\n    default: ES256\n", 1)
    project.write_text(text)
    p = pulumi_factory(work)
    p.run("stack", "init", "test")
    p.run("config", "set", "--plaintext", "secretName", "jwks-config-change")

    p.run("up", "--yes", "--skip-preview")
    out = p.outputs()
    secret_arn, bucket = out["secretArn"], out["bucketName"]
    before = function_environment(p)
    assert before["JWKS_ROTATION_KEY_ALGORITHM"] == "ES256", before
    key = before["JWKS_ROTATION_OBJECT_KEY"]
    assert key == "keys/jwks.json", before
    interval = duration(before["JWKS_ROTATION_ROTATION_INTERVAL"])
    grace = duration(before["JWKS_ROTATION_MIN_ACTIVATION_GRACE_PERIOD"])
    lifetime = duration(before["JWKS_ROTATION_MAX_TOKEN_VALIDITY"])
    print(f"interval {interval}, grace {grace}, token lifetime {lifetime}")

    start = datetime.now(timezone.utc).replace(microsecond=0)
    clock = FakeClock(tmp_path, start)
    fn = Function(tmp_path, "es256", before, aws_env, clock)
    try:
        fn.rotate(aws.sm, secret_arn)  # the first key
        clock.set(start + interval)
        assert fn.rotate(aws.sm, secret_arn)["outcome"].startswith("Staged")
    finally:
        fn.close()
    es256 = signing_value(aws, secret_arn)
    assert es256["alg"] == "ES256"
    doc = jwks(aws, bucket, key)
    assert {k["alg"] for k in doc["keys"]} == {"ES256"}, doc

    # the change: a new keySpec, applied by pulumi up; the secret and the bucket stay
    p.run("config", "set", "--plaintext", "algorithm", "RS256")
    up = p.run("up", "--yes", "--skip-preview")
    summary = up.stdout.split("Resources:")[-1]
    assert re.search(r"\d+ updated", summary), up.stdout
    assert "replaced" not in summary and "deleted" not in summary, up.stdout
    out2 = p.outputs()
    assert (out2["secretArn"], out2["bucketName"]) == (secret_arn, bucket)
    after = function_environment(p)
    assert after["JWKS_ROTATION_KEY_ALGORITHM"] == "RS256", after
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed <= {"JWKS_ROTATION_KEY_ALGORITHM", "JWKS_ROTATION_KEY_CURVE",
                       "JWKS_ROTATION_KEY_MODULUS_LENGTH"}, changed

    fn = Function(tmp_path, "rs256", after, aws_env, clock)
    try:
        # first rotation after the change: the ES256 NEXT (published under the old settings for
        # the full grace) signs; the first RS256 key is published as NEXT
        clock.set(start + 2 * interval)
        # an issuer's token signed a minute before the rotation, with the longest lifetime
        old_token = sign(es256, clock.now - timedelta(minutes=1), lifetime)
        assert fn.rotate(aws.sm, secret_arn)["outcome"] == "StagedPromoted"
        signing = signing_value(aws, secret_arn)
        assert signing["alg"] == "ES256" and signing["kid"] != es256["kid"]
        doc = jwks(aws, bucket, key)
        algs = {k["kid"]: k["alg"] for k in doc["keys"]}
        assert set(algs.values()) == {"ES256", "RS256"}, algs
        rs256_kid = next(k for k, a in algs.items() if a == "RS256")
        rs256_published = clock.now
        assert verify(old_token, doc, clock.now)["sub"] == "config-change"

        # a rotation before the RS256 key was published for the grace keeps ES256 signing
        clock.set(rs256_published + grace - timedelta(hours=1))
        assert fn.rotate(aws.sm, secret_arn)["outcome"] == "Deferred"
        assert signing_value(aws, secret_arn)["alg"] == "ES256"

        # the next scheduled rotation makes the RS256 key sign, a grace after it was published
        clock.set(start + 3 * interval)
        assert fn.rotate(aws.sm, secret_arn)["outcome"] == "StagedPromoted"
        rs256 = signing_value(aws, secret_arn)
        assert (rs256["alg"], rs256["kid"]) == ("RS256", rs256_kid)
        assert clock.now - rs256_published >= grace
        doc = jwks(aws, bucket, key)
        assert {k["alg"] for k in doc["keys"]} == {"ES256", "RS256"}, doc
        # the ES256 key that signed until now stays published for its tokens' lifetime
        fresh_es256 = sign(signing, clock.now - timedelta(minutes=1), lifetime)
        assert verify(fresh_es256, doc, clock.now)["sub"] == "config-change"
        assert verify(sign(rs256, clock.now, lifetime), doc, clock.now)["sub"] == "config-change"
        status = fn.invoke({"action": "status", "secretArn": secret_arn})
        print(json.dumps(status, indent=1)[:2000])
        serious = [x for x in status["status"]["problems"] if x["severity"] != "info"]
        assert serious == [], serious
    finally:
        fn.close()
    p.run("destroy", "--yes", "--skip-preview")
    p.run("stack", "rm", "--yes", "test")
