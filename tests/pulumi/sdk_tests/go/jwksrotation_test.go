// Unit tests of the generated Go SDK with the real Go Pulumi SDK and its mocks: the arguments of
// NewJwksRotation reach the registration (with the schema's defaults and nothing else), the
// outputs come back typed, and missing required arguments are refused. Run by
// tests/pulumi/test_sdks.py in a temporary module that uses sdk/ through a replace directive.
package sdktest

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/jwks-rotation/jwks-rotation/sdk/go/jwksrotation"
)

const typeToken = "jwks-rotation:index:JwksRotation"

const jwksURL = "https://signing-bucket.s3.us-east-1.amazonaws.com/.well-known/jwks.json"

type mocks struct {
	mu   sync.Mutex
	regs []pulumi.MockResourceArgs
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.regs = append(m.regs, args)
	m.mu.Unlock()
	if args.TypeToken != typeToken {
		return args.Name + "-id", args.Inputs, nil
	}
	return args.Name + "-id", resource.PropertyMap{
		"jwksUrl":              resource.NewStringProperty(jwksURL),
		"bucketName":           resource.NewStringProperty("signing-bucket"),
		"secretArn":            resource.NewStringProperty("arn:aws:secretsmanager:us-east-1:123456789012:secret:issuer-AbCdEf"),
		"secretName":           args.Inputs["secretName"],
		"rotationFunctionArn":  resource.NewStringProperty("arn:aws:lambda:us-east-1:123456789012:function:signing-rotation"),
		"rotationFunctionName": resource.NewStringProperty("signing-rotation"),
		"issuerPolicy":         resource.NewStringProperty(`{"Version":"2012-10-17","Statement":[]}`),
	}, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func (m *mocks) find(name string) *pulumi.MockResourceArgs {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.regs {
		if m.regs[i].TypeToken == typeToken && m.regs[i].Name == name {
			return &m.regs[i]
		}
	}
	return nil
}

func TestInputsReachTheRegistrationWithDefaults(t *testing.T) {
	m := &mocks{}
	var got []interface{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		r, err := jwksrotation.NewJwksRotation(ctx, "signing", &jwksrotation.JwksRotationArgs{
			SecretName:               pulumi.String("issuer"),
			KeySpec:                  &jwksrotation.KeySpecArgs{Algorithm: jwksrotation.AlgorithmES256},
			MaxTokenValidityDuration: pulumi.String("1h"),
			RotationInterval:         pulumi.String("30d"),
			Tags:                     pulumi.StringMap{"team": pulumi.String("identity")},
		})
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		wg.Add(1)
		pulumi.All(r.JwksUrl, r.SecretName, r.RotationFunctionName).ApplyT(func(all []interface{}) error {
			got = all
			wg.Done()
			return nil
		})
		wg.Wait()
		return nil
	}, pulumi.WithMocks("project", "stack", m))
	if err != nil {
		t.Fatal(err)
	}
	if want := []interface{}{jwksURL, "issuer", "signing-rotation"}; !reflect.DeepEqual(got, want) {
		t.Errorf("outputs = %v, want %v", got, want)
	}
	reg := m.find("signing")
	if reg == nil {
		t.Fatal("JwksRotation was not registered")
	}
	want := map[string]interface{}{
		"secretName":               "issuer",
		"keySpec":                  map[string]interface{}{"algorithm": "ES256"},
		"maxTokenValidityDuration": "1h",
		"rotationInterval":         "30d",
		"tags":                     map[string]interface{}{"team": "identity"},
		"bucketPath":               ".well-known/jwks.json",
		"cacheControl":             "public, max-age=300",
		"cleanupCheckInterval":     "24h",
		"kidStrategy":              "random",
		"lambdaArchitecture":       "x86_64",
		"logRetentionInDays":       float64(30),
		"minActivationGracePeriod": "7d",
		"minKeyCleanupGracePeriod": "6h",
	}
	if inputs := reg.Inputs.Mappable(); !reflect.DeepEqual(inputs, want) {
		t.Errorf("registered inputs\n got %v\nwant %v", inputs, want)
	}
}

func TestMissingRequiredArgumentsAreRefused(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := jwksrotation.NewJwksRotation(ctx, "broken", &jwksrotation.JwksRotationArgs{
			KeySpec:                  &jwksrotation.KeySpecArgs{Algorithm: jwksrotation.AlgorithmES256},
			MaxTokenValidityDuration: pulumi.String("1h"),
		})
		return err
	}, pulumi.WithMocks("project", "stack", &mocks{}))
	if err == nil || !strings.Contains(err.Error(), "SecretName") {
		t.Fatalf("err = %v, want the missing SecretName", err)
	}
}

// The schema's enums are typed constants whose values are what the provider accepts.
func TestEnumsAreTypedConstants(t *testing.T) {
	checks := map[string]string{
		string(jwksrotation.AlgorithmRS256):           "RS256",
		string(jwksrotation.AlgorithmEd25519):         "Ed25519",
		string(jwksrotation.AlgorithmEdDSA):           "EdDSA",
		string(jwksrotation.CurveP521):               "P-521",
		string(jwksrotation.KidStrategyThumbprint):   "thumbprint",
		string(jwksrotation.LambdaArchitectureArm64): "arm64",
		string(jwksrotation.PriceClassAll):           "PriceClass_All",
	}
	for got, want := range checks {
		if got != want {
			t.Errorf("enum constant %q, want %q", got, want)
		}
	}
	var _ jwksrotation.AlgorithmInput = jwksrotation.AlgorithmPS256
	var _ jwksrotation.PriceClassPtrInput = jwksrotation.PriceClassClass100
}
