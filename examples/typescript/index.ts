import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as jwks from "@jwks-rotation/pulumi";

const config = new pulumi.Config();

const signing = new jwks.JwksRotation("signing", {
    secretName: config.get("secretName") ?? "jwks-rotation-example-typescript",
    keySpec: { algorithm: jwks.Algorithm.ES256 },
    maxTokenValidityDuration: "1h",
    tags: { team: config.get("team") ?? "identity" },
});

export const jwksUrl = signing.jwksUrl;
export const bucketName = signing.bucketName;
export const secretArn = signing.secretArn;
export const secretName = signing.secretName;
export const rotationFunctionName = signing.rotationFunctionName;
export const issuerPolicy = signing.issuerPolicy;
// The created aws resources come back as @pulumi/aws objects. The SDK refers to @pulumi/aws for
// types only, so the program loads it (this import), which lets Pulumi rebuild the references.
export const secretIsAwsSecret = signing.secret.apply((s) => aws.secretsmanager.Secret.isInstance(s));
export const secretResourceArn = signing.secret.arn;
