module jwks-rotation-example-go

go 1.24

require (
	github.com/jwks-rotation/jwks-rotation/sdk v0.1.0
	github.com/pulumi/pulumi/sdk/v3 v3.274.1
)

// The Go SDK of this checkout (sdk/go.mod). It needs github.com/pulumi/pulumi-aws/sdk/v7; run
// `go mod tidy` once to resolve it and fill go.sum.
replace github.com/jwks-rotation/jwks-rotation/sdk => ../../sdk
