//go:build tools

// Package tools pins the Node.js, Python and Go language hosts (see ../../scripts/pulumi-tools.sh).
//
// The Go module proxy serves pulumi's language hosts only from the releases in which they were
// still packages of github.com/pulumi/pulumi/sdk/v3 (up to v3.62.0 for all three); their later
// homes (sdk/nodejs/cmd/pulumi-language-nodejs/v3, ...) are separate modules that it does not
// serve. These hosts speak the same LanguageRuntime protocol; the engine falls back for the RPCs
// they predate (GetRequiredPackages, Handshake, ...).
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
	_ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
	_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
)
