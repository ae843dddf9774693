"""The pulumi-aws stand-in refuses what pulumi-aws 7 would, over its gRPC interface.

The plugin is started the way the engine starts it (engine address argument, port on stdout)
and asked to Check registrations: unknown input names, missing required inputs, unknown or
missing fields of nested objects, and deprecated-only tokens are refused with the property
named; valid inputs pass, with the auto-name filled in as pulumi-aws does.
"""

import subprocess

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from conftest import STANDIN_BIN, TEST_VENV


@pytest.fixture(scope="module")
def standin():
    proc = subprocess.Popen(
        [str(STANDIN_BIN / "pulumi-resource-aws"), "127.0.0.1:1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={"JWKS_TEST_PYTHON": str(TEST_VENV / "bin" / "python"), "PATH": "/usr/bin:/bin"},
    )
    port = int(proc.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
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
