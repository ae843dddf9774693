// Unit tests of the generated Node.js SDK with the real @pulumi/pulumi and its mocks: the
// inputs of `new JwksRotation(...)` reach the registration (with the schema's defaults filled
// in and nothing else), the outputs come back as typed Outputs, and a missing required input
// fails in the constructor. Run by tests/pulumi/test_sdks.py with `node --test` inside
// .tools/node, where @jwks-rotation/pulumi is the SDK built from sdk/nodejs.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const pulumi = require("@pulumi/pulumi");

const TYPE = "jwks-rotation:index:JwksRotation";
const registered = [];
const OUTPUTS = {
    jwksUrl: "https://signing-bucket.s3.us-east-1.amazonaws.com/.well-known/jwks.json",
    bucketName: "signing-bucket",
    secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:issuer-AbCdEf",
    rotationFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:signing-rotation",
    rotationFunctionName: "signing-rotation",
    issuerPolicy: '{"Version":"2012-10-17","Statement":[]}',
    bucketPolicyStatements: "[]",
};

pulumi.runtime.setMocks(
    {
        newResource(args) {
            registered.push(args);
            const state = args.type === TYPE
                ? { ...OUTPUTS, secretName: args.inputs.secretName }
                : args.inputs;
            return { id: `${args.name}-id`, state };
        },
        call(args) {
            return args.inputs;
        },
    },
    "project",
    "stack",
    false,
);

const jwks = require("@jwks-rotation/pulumi");

function value(output) {
    return new Promise((resolve) => output.apply(resolve));
}

test("inputs reach the registration, with the schema defaults", async () => {
    const r = new jwks.JwksRotation("signing", {
        secretName: "issuer",
        keySpec: { algorithm: jwks.Algorithm.ES256 },
        maxTokenValidityDuration: "1h",
        rotationInterval: "30d",
        tags: { team: "identity" },
        alarm: { snsTopicArns: ["arn:aws:sns:us-east-1:123456789012:pager"] },
    });
    await value(r.urn);
    const reg = registered.find((a) => a.type === TYPE && a.name === "signing");
    assert.ok(reg, "JwksRotation was registered");
    assert.deepEqual(reg.inputs, {
        secretName: "issuer",
        keySpec: { algorithm: "ES256" },
        maxTokenValidityDuration: "1h",
        rotationInterval: "30d",
        tags: { team: "identity" },
        alarm: {
            snsTopicArns: ["arn:aws:sns:us-east-1:123456789012:pager"],
            evaluationPeriods: 1,
            periodSeconds: 300,
        },
        bucketPath: ".well-known/jwks.json",
        cacheControl: "public, max-age=300",
        cleanupCheckInterval: "24h",
        kidStrategy: "random",
        lambdaArchitecture: "x86_64",
        logRetentionInDays: 30,
        minActivationGracePeriod: "7d",
        minKeyCleanupGracePeriod: "6h",
    });
    // the key spec carries no RSA modulus for an EC algorithm (the provider refuses one)
    assert.equal("modulusLength" in reg.inputs.keySpec, false);
});

test("outputs come back typed", async () => {
    const r = new jwks.JwksRotation("typed", {
        secretName: "typed-secret",
        keySpec: { algorithm: "RS256", modulusLength: 3072 },
        maxTokenValidityDuration: "2h",
    });
    assert.ok(jwks.JwksRotation.isInstance(r));
    assert.ok(pulumi.Output.isInstance(r.jwksUrl));
    assert.equal(await value(r.jwksUrl), OUTPUTS.jwksUrl);
    assert.equal(await value(r.secretArn), OUTPUTS.secretArn);
    assert.equal(await value(r.secretName), "typed-secret");
    assert.equal(await value(r.rotationFunctionName), "signing-rotation");
    assert.deepEqual(JSON.parse(await value(r.issuerPolicy)).Version, "2012-10-17");
    const reg = registered.find((a) => a.type === TYPE && a.name === "typed");
    assert.deepEqual(reg.inputs.keySpec, { algorithm: "RS256", modulusLength: 3072 });
});

test("a missing required input fails in the constructor", () => {
    assert.throws(
        () => new jwks.JwksRotation("broken", { keySpec: { algorithm: "ES256" }, maxTokenValidityDuration: "1h" }),
        /Missing required property 'secretName'/,
    );
});

test("the schema's enums are exported as typed constants", () => {
    assert.equal(jwks.Algorithm.RS256, "RS256");
    assert.equal(jwks.Algorithm.Ed25519, "Ed25519");
    assert.equal(jwks.Curve.P521, "P-521");
    assert.equal(jwks.KidStrategy.Thumbprint, "thumbprint");
    assert.equal(jwks.LambdaArchitecture.Arm64, "arm64");
    assert.equal(jwks.PriceClass.All, "PriceClass_All");
    assert.deepEqual(Object.values(jwks.Algorithm).sort(), [
        "ES256", "ES384", "ES512", "Ed25519", "EdDSA", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512",
    ]);
});
