// Package customersapi holds what belongs to the repository as a whole rather than to one
// package: the OpenAPI document, embedded so that cmd/local serves exactly the file a client
// generator or schemathesis reads. go:embed cannot reach a parent directory, so the embedding
// lives here, beside openapi.yaml.
package customersapi

import _ "embed"

// OpenAPI is openapi.yaml as committed: the contract for tools (docs/api.md is the one for people).
//
//go:embed openapi.yaml
var OpenAPI []byte
