import pulumi
import pulumi_jwks_rotation as jwks

config = pulumi.Config()

signing = jwks.JwksRotation(
    "signing",
    secret_name=config.get("secretName") or "jwks-rotation-example-python",
    key_spec=jwks.KeySpecArgs(algorithm=jwks.Algorithm.ES256),
    max_token_validity_duration="1h",
    tags={"team": config.get("team") or "identity"},
)

pulumi.export("jwksUrl", signing.jwks_url)
pulumi.export("bucketName", signing.bucket_name)
pulumi.export("secretArn", signing.secret_arn)
pulumi.export("secretName", signing.secret_name)
pulumi.export("rotationFunctionName", signing.rotation_function_name)
pulumi.export("issuerPolicy", signing.issuer_policy)
# The created aws resources come back as typed pulumi_aws objects.
pulumi.export("secretResourceArn", signing.secret.arn)
