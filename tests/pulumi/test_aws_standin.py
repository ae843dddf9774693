"""The pulumi-aws stand-in answers like pulumi-aws 7 would, over its gRPC interface.

The plugin is started the way the engine starts it (engine address argument, port on stdout).

* Check: unknown input names, missing required inputs, unknown or missing fields of nested
  objects, and deprecated-only tokens are refused with the property named; valid inputs pass,
  with the auto-name filled in as pulumi-aws does.
* Its version (GetPluginInfo, GetSchema) is the one of Cargo.toml's
  `[workspace.metadata.release] pulumi-aws`, not a literal of its own.
* DiffConfig: a version-only change of the provider configuration is an in-place update, never
  a replacement (as pulumi-terraform-bridge answers for pulumi-aws 7).
* Read, against moto: an object the stand-in created reads back with the id and properties
  Create returned; changed out of band, it reads back changed (in its inputs too); deleted out
  of band (or a secret scheduled for deletion), it reads back with an empty id. A type kept only
  in the state reads back exactly as given.
"""

import json
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from conftest import ROOT, STANDIN_BIN, TEST_VENV

sys.path.insert(0, str(ROOT / "scripts"))
import project_meta  # noqa: E402


def start(env):
    proc = subprocess.Popen(
        [str(STANDIN_BIN / "pulumi-resource-aws"), "127.0.0.1:1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={"JWKS_TEST_PYTHON": str(TEST_VENV / "bin" / "python"), "PATH": "/usr/bin:/bin", **env},
    )
    port = int(proc.stdout.readline())
    return proc, grpc.insecure_channel(f"127.0.0.1:{port}")


@pytest.fixture(scope="module")
def standin():
    proc, channel = start({})
    yield provider_pb2_grpc.ResourceProviderStub(channel)
    channel.close()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def standin_aws(aws_env):
    """The stand-in with moto as its AWS endpoint."""
    proc, channel = start(aws_env)
    yield provider_pb2_grpc.ResourceProviderStub(channel)
    channel.close()
    proc.terminate()
    proc.wait(timeout=10)


def check(stub, token, name, inputs):
    news = struct_pb2.Struct()
    news.update(inputs)
    urn = f"urn:pulumi:s::p::{token}::{name}"
    resp = stub.Check(provider_pb2.CheckRequest(urn=urn, name=name, type=token, news=news,
                                                randomSeed=b"seed"))
    return resp


def failures(resp):
    return sorted((f.property, f.reason) for f in resp.failures)


def test_valid_inputs_pass_and_get_an_autoname(standin):
    resp = check(standin, "aws:iam/role:Role", "signing-rotation-role",
                 {"assumeRolePolicy": "{}", "tags": {"team": "identity"}})
    assert failures(resp) == []
    name = dict(resp.inputs)["name"]
    assert name.startswith("signing-rotation-role-") and len(name) == len("signing-rotation-role-") + 7


def test_unknown_input_name_is_refused(standin):
    resp = check(standin, "aws:s3/bucket:Bucket", "b", {"forceDestroy": True, "bucketName": "x"})
    assert failures(resp) == [("bucketName", "aws:s3/bucket:Bucket has no input `bucketName`")]


def test_missing_required_input_is_refused(standin):
    resp = check(standin, "aws:lambda/function:Function", "f", {"runtime": "provided.al2023"})
    assert ("role", "Missing required property 'role'") in failures(resp)


def test_nested_fields_are_checked(standin):
    resp = check(standin, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "o",
                 {"bucket": "b", "rule": {"objectOwnership": "BucketOwnerEnforced", "owner": "me"}})
    assert len(resp.failures) == 1
    assert resp.failures[0].property == "rule" and "unknown field `owner`" in resp.failures[0].reason


def test_unknown_token_is_refused(standin):
    resp = check(standin, "aws:s3/bucketAcl:BucketAclX", "a", {})
    assert "not a resource type of pulumi-aws" in resp.failures[0].reason


def struct(d):
    st = struct_pb2.Struct()
    st.update(d)
    return st


def plain(st):
    return json_format.MessageToDict(st)


def test_version_is_the_one_of_cargo_toml(standin):
    version = project_meta.aws_version()
    assert standin.GetPluginInfo(empty_pb2.Empty()).version == version
    schema = json.loads(standin.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    assert schema["version"] == version


PROVIDER_URN = "urn:pulumi:s::p::pulumi:providers:aws::default_7_48_0"


def diff_config(stub, olds, news):
    return stub.DiffConfig(provider_pb2.DiffRequest(
        urn=PROVIDER_URN, name="default_7_48_0", type="pulumi:providers:aws",
        olds=struct(olds), old_inputs=struct(olds), news=struct(news),
    ))


def test_diff_config_version_change_updates_in_place(standin):
    """A default provider moved from 7.0.0 to the current version: an update, no replacement
    (the engine would replace every resource of the provider on a replacement)."""
    resp = diff_config(standin, {"version": "7.0.0", "region": "us-east-1"},
                       {"version": project_meta.aws_version(), "region": "us-east-1"})
    assert resp.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(resp.diffs) == ["version"]
    assert list(resp.replaces) == []
    assert resp.detailedDiff["version"].kind == provider_pb2.PropertyDiff.UPDATE


def test_diff_config_region_change_does_not_replace_in_v7(standin):
    resp = diff_config(standin, {"version": "7.48.0", "region": "us-east-1"},
                       {"version": "7.48.0", "region": "eu-west-1"})
    assert resp.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(resp.diffs) == ["region"] and list(resp.replaces) == []


def test_diff_config_no_change(standin):
    resp = diff_config(standin, {"version": "7.48.0"}, {"version": "7.48.0"})
    assert resp.changes != provider_pb2.DiffResponse.DIFF_SOME
    assert list(resp.diffs) == [] and list(resp.replaces) == []


def urn(token, name):
    return f"urn:pulumi:s::p::{token}::{name}"


def create(stub, token, name, inputs):
    checked = stub.Check(provider_pb2.CheckRequest(
        urn=urn(token, name), name=name, type=token, news=struct(inputs), randomSeed=b"seed"))
    assert not checked.failures, checked.failures
    resp = stub.Create(provider_pb2.CreateRequest(
        urn=urn(token, name), name=name, type=token, properties=checked.inputs))
    return resp.id, plain(resp.properties), plain(checked.inputs)


def read(stub, token, name, rid, props, inputs):
    return stub.Read(provider_pb2.ReadRequest(
        id=rid, urn=urn(token, name), name=name, type=token,
        properties=struct(props), inputs=struct(inputs)))


BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def test_read_bucket_and_policy(standin_aws, aws):
    bid, bprops, binputs = create(standin_aws, BUCKET, "read-bucket",
                                  {"bucket": "standin-read-bucket", "tags": {"team": "identity"}})
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bid}/.well-known/jwks.json"}]}
    pid, pprops, pinputs = create(standin_aws, BUCKET_POLICY, "read-policy",
                                  {"bucket": bid, "policy": json.dumps(policy)})

    # unchanged in moto: the same id and properties as Create returned, and the same inputs
    r = read(standin_aws, BUCKET, "read-bucket", bid, bprops, binputs)
    assert (r.id, plain(r.properties), plain(r.inputs)) == (bid, bprops, binputs)
    r = read(standin_aws, BUCKET_POLICY, "read-policy", pid, pprops, pinputs)
    assert (r.id, plain(r.properties), plain(r.inputs)) == (pid, pprops, pinputs)

    # changed out of band: the tags are read from moto, into the inputs too
    aws.s3.put_bucket_tagging(Bucket=bid, Tagging={"TagSet": [{"Key": "team", "Value": "oob"}]})
    r = read(standin_aws, BUCKET, "read-bucket", bid, bprops, binputs)
    assert r.id == bid
    assert plain(r.properties)["tags"] == {"team": "oob"} == plain(r.properties)["tagsAll"]
    assert plain(r.inputs)["tags"] == {"team": "oob"}
    # a policy changed out of band reads back as moto has it
    changed = dict(policy, Statement=[dict(policy["Statement"][0], Action="s3:*")])
    aws.s3.put_bucket_policy(Bucket=bid, Policy=json.dumps(changed))
    r = read(standin_aws, BUCKET_POLICY, "read-policy", pid, pprops, pinputs)
    assert json.loads(plain(r.properties)["policy"]) == changed
    assert json.loads(plain(r.inputs)["policy"]) == changed

    # deleted out of band: an empty id
    aws.s3.delete_bucket_policy(Bucket=bid)
    assert read(standin_aws, BUCKET_POLICY, "read-policy", pid, pprops, pinputs).id == ""
    aws.s3.delete_bucket(Bucket=bid)
    assert read(standin_aws, BUCKET, "read-bucket", bid, bprops, binputs).id == ""


def test_read_secret_and_version(standin_aws, aws):
    sid, sprops, sinputs = create(standin_aws, SECRET, "read-secret",
                                  {"name": "standin-read-secret", "tags": {"team": "identity"}})
    vid, vprops, vinputs = create(standin_aws, SECRET_VERSION, "read-version",
                                  {"secretId": sid, "secretString": "{}",
                                   "versionStages": ["JWKS_ROTATION_INITIAL"]})

    r = read(standin_aws, SECRET, "read-secret", sid, sprops, sinputs)
    assert (r.id, plain(r.properties), plain(r.inputs)) == (sid, sprops, sinputs)
    r = read(standin_aws, SECRET_VERSION, "read-version", vid, vprops, vinputs)
    assert (r.id, plain(r.properties)) == (vid, vprops)
    # the first version of a secret also gets AWSCURRENT from AWS; pulumi-aws reads the labels
    # into the inputs too (the component ignores changes to versionStages)
    assert vprops["versionStages"] == ["JWKS_ROTATION_INITIAL", "AWSCURRENT"]
    assert plain(r.inputs) == {**vinputs, "versionStages": vprops["versionStages"]}

    # a label moved out of band is read back
    version_id = vid.split("|")[1]
    aws.sm.update_secret_version_stage(SecretId=sid, VersionStage="NEXT", MoveToVersionId=version_id)
    r = read(standin_aws, SECRET_VERSION, "read-version", vid, vprops, vinputs)
    assert sorted(plain(r.properties)["versionStages"]) == sorted(vprops["versionStages"] + ["NEXT"])

    # scheduled for deletion: both are gone, as pulumi-aws reports them
    aws.sm.delete_secret(SecretId=sid, RecoveryWindowInDays=7)
    assert read(standin_aws, SECRET, "read-secret", sid, sprops, sinputs).id == ""
    assert read(standin_aws, SECRET_VERSION, "read-version", vid, vprops, vinputs).id == ""
    # and a secret that does not exist at all
    missing = sid.replace("standin-read-secret", "standin-no-such-secret")
    assert read(standin_aws, SECRET, "read-secret", missing, sprops, sinputs).id == ""


def test_read_of_a_state_only_type_returns_the_state(standin_aws):
    token = "aws:lambda/function:Function"
    props = {"name": "f", "arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
             "role": "arn:aws:iam::123456789012:role/r", "tagsAll": {}}
    inputs = {"name": "f", "role": "arn:aws:iam::123456789012:role/r"}
    r = read(standin_aws, token, "f", "f", props, inputs)
    assert (r.id, plain(r.properties), plain(r.inputs)) == ("f", props, inputs)
