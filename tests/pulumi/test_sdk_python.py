"""Unit tests of the generated Python SDK with the real `pulumi` package and its mocks.

The SDK is installed from sdk/python into .tools/venv (sdkbuild.python_sdk_installed). Checks
that the keyword arguments reach the registration under their wire names, with the schema's
defaults and nothing else, that outputs come back as typed Outputs, and that a missing required
input fails in the constructor.
"""

import pulumi
import pytest

import sdkbuild

TYPE = "jwks-rotation:index:JwksRotation"
OUTPUTS = {
    "jwksUrl": "https://signing-bucket.s3.us-east-1.amazonaws.com/.well-known/jwks.json",
    "bucketName": "signing-bucket",
    "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:issuer-AbCdEf",
    "rotationFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:signing-rotation",
    "rotationFunctionName": "signing-rotation",
    "issuerPolicy": '{"Version":"2012-10-17","Statement":[]}',
    "bucketPolicyStatements": "[]",
}


class Mocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.registered = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append(args)
        state = dict(args.inputs)
        if args.typ == TYPE:
            state = {**OUTPUTS, "secretName": args.inputs["secretName"]}
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture(scope="module")
def jwks():
    sdkbuild.python_sdk_installed()
    import pulumi_jwks_rotation

    return pulumi_jwks_rotation


@pytest.fixture
def mocks():
    m = Mocks()
    pulumi.runtime.set_mocks(m, project="project", stack="stack", preview=False)
    return m


def test_inputs_reach_the_registration_with_defaults(jwks, mocks):
    r = jwks.JwksRotation(
        "signing",
        secret_name="issuer",
        key_spec=jwks.KeySpecArgs(algorithm=jwks.Algorithm.ES256),
        max_token_validity_duration="1h",
        rotation_interval="30d",
        tags={"team": "identity"},
        alarm=jwks.AlarmArgs(sns_topic_arns=["arn:aws:sns:us-east-1:123456789012:pager"]),
    )

    def check(_):
        reg = next(a for a in mocks.registered if a.typ == TYPE and a.name == "signing")
        assert reg.inputs == {
            "secretName": "issuer",
            "keySpec": {"algorithm": "ES256"},
            "maxTokenValidityDuration": "1h",
            "rotationInterval": "30d",
            "tags": {"team": "identity"},
            "alarm": {
                "snsTopicArns": ["arn:aws:sns:us-east-1:123456789012:pager"],
                "evaluationPeriods": 1,
                "periodSeconds": 300,
            },
            "bucketPath": ".well-known/jwks.json",
            "cacheControl": "public, max-age=300",
            "cleanupCheckInterval": "24h",
            "kidStrategy": "random",
            "lambdaArchitecture": "x86_64",
            "logRetentionInDays": 30,
            "minActivationGracePeriod": "7d",
            "minKeyCleanupGracePeriod": "6h",
        }

    pulumi.runtime.test(lambda: r.urn.apply(check))()


def test_dict_inputs_and_typed_outputs(jwks, mocks):
    r = jwks.JwksRotation(
        "typed",
        secret_name="typed-secret",
        key_spec={"algorithm": "RS256", "modulus_length": 3072},
        max_token_validity_duration="2h",
    )
    assert isinstance(r.jwks_url, pulumi.Output)

    def check(values):
        url, arn, name, fn, policy = values
        assert url == OUTPUTS["jwksUrl"]
        assert arn == OUTPUTS["secretArn"]
        assert name == "typed-secret"
        assert fn == "signing-rotation"
        assert policy.startswith('{"Version"')
        reg = next(a for a in mocks.registered if a.typ == TYPE and a.name == "typed")
        assert reg.inputs["keySpec"] == {"algorithm": "RS256", "modulusLength": 3072}

    pulumi.runtime.test(lambda: pulumi.Output.all(
        r.jwks_url, r.secret_arn, r.secret_name, r.rotation_function_name, r.issuer_policy
    ).apply(check))()


def test_missing_required_input_fails(jwks, mocks):
    with pytest.raises(TypeError, match="secret_name"):
        jwks.JwksRotation("broken", key_spec=jwks.KeySpecArgs(algorithm="ES256"),
                          max_token_validity_duration="1h")


def test_enums_are_typed_constants(jwks):
    """The schema's enums are str enums whose values are what the provider accepts."""
    assert jwks.Algorithm.ED25519 == "Ed25519"
    assert jwks.Curve.P521 == "P-521"
    assert jwks.KidStrategy.THUMBPRINT == "thumbprint"
    assert jwks.LambdaArchitecture.ARM64 == "arm64"
    assert jwks.PriceClass.ALL == "PriceClass_All"
    assert sorted(a.value for a in jwks.Algorithm) == sorted(
        ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
         "EdDSA", "Ed25519"])
