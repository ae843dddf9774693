//go:build tools

// Package tools pins the Pulumi CLI and the YAML language host (see ../../scripts/pulumi-tools.sh).
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
