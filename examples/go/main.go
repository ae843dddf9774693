package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/jwks-rotation/jwks-rotation/sdk/go/jwksrotation"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		secretName := cfg.Get("secretName")
		if secretName == "" {
			secretName = "jwks-rotation-example-go"
		}
		team := cfg.Get("team")
		if team == "" {
			team = "identity"
		}
		signing, err := jwksrotation.NewJwksRotation(ctx, "signing", &jwksrotation.JwksRotationArgs{
			SecretName:               pulumi.String(secretName),
			KeySpec:                  &jwksrotation.KeySpecArgs{Algorithm: jwksrotation.AlgorithmES256},
			MaxTokenValidityDuration: pulumi.String("1h"),
			Tags:                     pulumi.StringMap{"team": pulumi.String(team)},
		})
		if err != nil {
			return err
		}
		ctx.Export("jwksUrl", signing.JwksUrl)
		ctx.Export("bucketName", signing.BucketName)
		ctx.Export("secretArn", signing.SecretArn)
		ctx.Export("secretName", signing.SecretName)
		ctx.Export("rotationFunctionName", signing.RotationFunctionName)
		ctx.Export("issuerPolicy", signing.IssuerPolicy)
		return nil
	})
}
