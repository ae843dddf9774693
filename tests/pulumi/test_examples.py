"""The examples, run with the real Pulumi CLI: preview, up, a second up that must change nothing,
an up after changing an input, and destroy; checking the stack outputs and what reached moto.

One test per language (yaml, typescript, python, go). Each copies examples/<lang> to a temporary
folder (plugins.providers pointing at this checkout's bin/), uses its own stack and secret name,
and runs the CLI with the file backend of conftest.py. The pulumi-aws stand-in creates the
secret, its first version, the bucket and the bucket policy in moto; the rest of the graph is
registered with the engine and kept in the state.
"""

import json
import os
import re
import shutil

import pytest

from conftest import ROOT, TEST_VENV, copy_example, run_checked
import sdkbuild

LANGS = ["yaml", "typescript", "python", "go"]


def prepare(lang, work, env):
    """Installs what the program needs; returns the environment for the CLI."""
    env = dict(env)
    if lang == "typescript":
        node = sdkbuild.node_workspace()
        # inside the node workspace, so the program resolves @pulumi/pulumi, @pulumi/aws and
        # @jwks-rotation/pulumi (the SDK built from sdk/nodejs) from its node_modules
        dest = node / "work" / work.name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(work, dest)
        work = dest
    elif lang == "python":
        sdkbuild.python_sdk_installed()
        project = work / "Pulumi.yaml"
        project.write_text(project.read_text().replace("virtualenv: venv", f"virtualenv: {TEST_VENV}"))
        env["PULUMI_PYTHON_CMD"] = str(TEST_VENV / "bin" / "python")
        env["PATH"] = f"{TEST_VENV / 'bin'}{os.pathsep}{env['PATH']}"
    elif lang == "go":
        gomod = sdkbuild.go_program_module(work)
        env["GOFLAGS"] = "-mod=mod"
        env["GOWORK"] = "off"
        assert gomod.exists()
    return work, env


@pytest.mark.parametrize("lang", LANGS)
def test_example_lifecycle(lang, tmp_path, pulumi_factory, pulumi_env, aws):
    work, env = prepare(lang, copy_example(lang, tmp_path / f"example-{lang}"), pulumi_env)
    secret_name = f"jwks-example-{lang}"
    p = pulumi_factory(work)
    p.env = env
    p.run("stack", "init", "test")
    p.run("config", "set", "--plaintext", "secretName", secret_name)

    # preview: the component and its children are planned, nothing reaches moto
    pre = p.run("preview", "--diff")
    assert "jwks-rotation:index:JwksRotation" in pre.stdout
    assert "aws:secretsmanager/secret:Secret" in pre.stdout
    assert "aws:lambda/function:Function" in pre.stdout
    with pytest.raises(aws.sm.exceptions.ResourceNotFoundException):
        aws.sm.describe_secret(SecretId=secret_name)

    # up: outputs and the resources in moto
    up = p.run("up", "--yes", "--skip-preview")
    assert re.search(r"\d+ created", up.stdout), up.stdout
    out = p.outputs()
    bucket = out["bucketName"]
    assert out["jwksUrl"] == f"https://{bucket}.s3.us-east-1.amazonaws.com/.well-known/jwks.json"
    print(f"{lang}: jwksUrl = {out['jwksUrl']}")
    assert out["secretName"] == secret_name
    desc = aws.sm.describe_secret(SecretId=secret_name)
    assert out["secretArn"] == desc["ARN"]
    assert {"Key": "team", "Value": "identity"} in desc.get("Tags", [])
    # the placeholder version the first rotation starts from, with the component's own label
    stages = [s for v in desc["VersionIdsToStages"].values() for s in v]
    assert "JWKS_ROTATION_INITIAL" in stages, desc["VersionIdsToStages"]
    assert out["rotationFunctionName"].startswith("signing-rotation")
    policy = json.loads(out["issuerPolicy"])
    assert policy["Statement"][0]["Resource"] == desc["ARN"]
    aws.s3.head_bucket(Bucket=bucket)
    bucket_policy = json.loads(aws.s3.get_bucket_policy(Bucket=bucket)["Policy"])
    public = [st for st in bucket_policy["Statement"]
              if st.get("Principal") in ("*", {"AWS": "*"}) and st.get("Effect") == "Allow"]
    assert public, bucket_policy
    resources = [r for st in public for r in
                 (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])]
    assert resources == [f"arn:aws:s3:::{bucket}/.well-known/jwks.json"], bucket_policy
    tags = aws.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {"Key": "team", "Value": "identity"} in tags
    if lang in ("typescript", "python"):
        # the created aws.secretsmanager.Secret came back as a typed resource object
        assert out["secretResourceArn"] == desc["ARN"]
    if lang == "typescript":
        assert out["secretIsAwsSecret"] is True

    # a second up changes nothing: same graph, byte-identical Lambda zip (same archive hash)
    p.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    pre2 = p.run("preview", "--expect-no-changes")
    assert "to create" not in pre2.stdout and "to update" not in pre2.stdout

    # an input change updates in place what depends on it, in moto too
    p.run("config", "set", "--plaintext", "team", "platform")
    up3 = p.run("up", "--yes", "--skip-preview")
    assert re.search(r"\d+ updated", up3.stdout), up3.stdout
    assert "replaced" not in up3.stdout.split("Resources:")[-1], up3.stdout
    desc = aws.sm.describe_secret(SecretId=secret_name)
    assert {"Key": "team", "Value": "platform"} in desc.get("Tags", [])
    tags = aws.s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {"Key": "team", "Value": "platform"} in tags
    assert p.outputs()["secretArn"] == out["secretArn"]

    # destroy: the bucket is gone (force-destroy), the secret is scheduled for deletion
    down = p.run("destroy", "--yes", "--skip-preview")
    assert re.search(r"\d+ deleted", down.stdout), down.stdout
    buckets = [b["Name"] for b in aws.s3.list_buckets().get("Buckets", [])]
    assert bucket not in buckets
    assert "DeletedDate" in aws.sm.describe_secret(SecretId=secret_name)
    p.run("stack", "rm", "--yes", "test")


def test_bad_input_is_refused_at_preview(tmp_path, pulumi_factory, aws):
    """A refused input fails `pulumi preview` with the provider's message, and nothing is created."""
    work = copy_example("yaml", tmp_path / "example-bad-input")
    project = work / "Pulumi.yaml"
    project.write_text(project.read_text().replace(
        "      maxTokenValidityDuration: 1h\n",
        "      maxTokenValidityDuration: 1h\n      rotationInterval: 7d\n",
    ))
    p = pulumi_factory(work)
    p.run("stack", "init", "bad")
    p.run("config", "set", "--plaintext", "secretName", "jwks-example-bad-input")
    pre = p.run("preview", check=False)
    print(pre.stdout[-600:])
    assert pre.returncode != 0
    text = pre.stdout + pre.stderr
    assert "rotationInterval" in text and "7d" in text and "minActivationGracePeriod" in text, text
    with pytest.raises(aws.sm.exceptions.ResourceNotFoundException):
        aws.sm.describe_secret(SecretId="jwks-example-bad-input")
    p.run("stack", "rm", "--yes", "bad")
