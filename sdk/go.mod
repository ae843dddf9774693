module github.com/jwks-rotation/jwks-rotation/sdk

go 1.24

require (
	github.com/pulumi/pulumi-aws/sdk/v7 v7.48.0
	github.com/pulumi/pulumi/sdk/v3 v3.274.1
)
