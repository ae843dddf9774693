//go:build tools

// Package tools pins the YAML language host (see ../../scripts/pulumi-tools.sh). pulumi-yaml
// v1.25.0, the newest release the Go module proxy serves, builds against the pulumi modules it
// requires (v3.206.0), not against the CLI's v3.274.1; it speaks the same LanguageRuntime
// protocol.
package tools

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
