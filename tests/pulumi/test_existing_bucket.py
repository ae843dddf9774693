"""An existing bucket, from each SDK language (yaml, typescript, python, go), with the real CLI.

The input `bucket` names a bucket the component must publish into without creating one. The
output that references a bucket the component created is `createdBucket`, a name no input has:
when it was called `bucket` too, the provider left it out for an existing bucket and the Node.js
and Python SDKs filled it from the input of the same name, so `signing.bucket` was a string
typed as an aws.s3.Bucket. Each program exports whether `createdBucket` is absent, the
`bucketName` it got, and uses the schema's enums (the algorithm as a typed constant).

Checked: the stack creates no bucket (the list of buckets in moto is unchanged), `bucketName`
is the existing bucket, `createdBucket` is absent in every language, and `destroy` leaves the
existing bucket in place.
"""

import pytest

from conftest import copy_example
from test_examples import prepare

PROGRAMS = {
    "typescript": ("index.ts", """\
import * as pulumi from "@pulumi/pulumi";
import * as jwks from "@jwks-rotation/pulumi";

const config = new pulumi.Config();
const signing = new jwks.JwksRotation("signing", {
    secretName: config.require("secretName"),
    keySpec: { algorithm: jwks.Algorithm.ES256 },
    maxTokenValidityDuration: "1h",
    bucket: config.require("existingBucket"),
    bucketPath: "keys/jwks.json",
});
export const bucketName = signing.bucketName;
export const jwksUrl = signing.jwksUrl;
export const createdBucketAbsent = signing.createdBucket.apply((b) => b === undefined || b === null);
"""),
    "python": ("__main__.py", """\
import pulumi
import pulumi_jwks_rotation as jwks

config = pulumi.Config()
signing = jwks.JwksRotation(
    "signing",
    secret_name=config.require("secretName"),
    key_spec=jwks.KeySpecArgs(algorithm=jwks.Algorithm.ES256),
    max_token_validity_duration="1h",
    bucket=config.require("existingBucket"),
    bucket_path="keys/jwks.json",
)
pulumi.export("bucketName", signing.bucket_name)
pulumi.export("jwksUrl", signing.jwks_url)
pulumi.export("createdBucketAbsent", signing.created_bucket.apply(lambda b: b is None))
"""),
    "go": ("main.go", """\
package main

import (
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/jwks-rotation/jwks-rotation/sdk/go/jwksrotation"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		signing, err := jwksrotation.NewJwksRotation(ctx, "signing", &jwksrotation.JwksRotationArgs{
			SecretName:               pulumi.String(cfg.Require("secretName")),
			KeySpec:                  &jwksrotation.KeySpecArgs{Algorithm: jwksrotation.AlgorithmES256},
			MaxTokenValidityDuration: pulumi.String("1h"),
			Bucket:                   pulumi.String(cfg.Require("existingBucket")),
			BucketPath:               pulumi.String("keys/jwks.json"),
		})
		if err != nil {
			return err
		}
		ctx.Export("bucketName", signing.BucketName)
		ctx.Export("jwksUrl", signing.JwksUrl)
		ctx.Export("createdBucketAbsent", signing.CreatedBucket.ApplyT(func(b *s3.Bucket) bool {
			return b == nil
		}))
		return nil
	})
}
"""),
}

YAML_RESOURCES = """\
resources:
  signing:
    type: jwks-rotation:index:JwksRotation
    properties:
      secretName: ${secretName}
      keySpec:
        algorithm: ES256
      maxTokenValidityDuration: 1h
      bucket: ${existingBucket}
      bucketPath: keys/jwks.json
outputs:
  bucketName: ${signing.bucketName}
  jwksUrl: ${signing.jwksUrl}
  createdBucket: ${signing.createdBucket}
"""


def write_program(lang, work):
    if lang == "yaml":
        project = work / "Pulumi.yaml"
        head = project.read_text().split("resources:\n")[0]
        head = head.replace("config:\n", "config:\n  existingBucket:\n    type: string\n", 1)
        project.write_text(head + YAML_RESOURCES)
        return
    name, text = PROGRAMS[lang]
    (work / name).write_text(text)


@pytest.mark.parametrize("lang", ["yaml", "typescript", "python", "go"])
def test_existing_bucket(lang, tmp_path, pulumi_factory, pulumi_env, aws):
    existing = f"jwks-existing-{lang}"
    aws.s3.create_bucket(Bucket=existing)
    work = copy_example(lang, tmp_path / f"existing-{lang}")
    write_program(lang, work)
    work, env = prepare(lang, work, pulumi_env)
    p = pulumi_factory(work, stack="existing")
    p.env = env
    p.run("stack", "init", "existing")
    secret_name = f"jwks-existing-bucket-{lang}"
    p.run("config", "set", "--plaintext", "secretName", secret_name)
    p.run("config", "set", "--plaintext", "existingBucket", existing)

    before = sorted(b["Name"] for b in aws.s3.list_buckets().get("Buckets", []))
    p.run("up", "--yes", "--skip-preview")
    after = sorted(b["Name"] for b in aws.s3.list_buckets().get("Buckets", []))
    assert after == before, f"no bucket is created: {before} -> {after}"

    out = p.outputs()
    assert out["bucketName"] == existing, out
    assert out["jwksUrl"] == f"https://{existing}.s3.amazonaws.com/keys/jwks.json", out
    if lang == "yaml":
        assert out.get("createdBucket") is None, out
    else:
        assert out["createdBucketAbsent"] is True, out

    p.run("destroy", "--yes", "--skip-preview")
    aws.s3.head_bucket(Bucket=existing)  # still there: it was never the stack's
    p.run("stack", "rm", "--yes", "existing")
