// examples/typescript/index.ts in plain JavaScript (no compiler to install): the program of
// test_install.py, run against the Node.js SDK installed from its npm pack tarball.
"use strict";
const pulumi = require("@pulumi/pulumi");
const aws = require("@pulumi/aws");
const jwks = require("@jwks-rotation/pulumi");

const config = new pulumi.Config();

const signing = new jwks.JwksRotation("signing", {
    secretName: config.require("secretName"),
    keySpec: { algorithm: jwks.Algorithm.ES256 },
    maxTokenValidityDuration: "1h",
    tags: { team: "identity" },
});

exports.jwksUrl = signing.jwksUrl;
exports.bucketName = signing.bucketName;
exports.secretArn = signing.secretArn;
exports.secretName = signing.secretName;
exports.rotationFunctionName = signing.rotationFunctionName;
// The created secret comes back as an @pulumi/aws object (the SDK refers to @pulumi/aws for
// types only; loading it here lets Pulumi rebuild the reference).
exports.secretIsAwsSecret = signing.secret.apply((s) => aws.secretsmanager.Secret.isInstance(s));
exports.secretResourceArn = signing.secret.arn;
