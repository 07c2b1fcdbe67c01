// Package apiclient is a Go client of the Customers API, generated from openapi.yaml by
// oapi-codegen (pinned as a tool in go.mod; the options are in oapi-codegen.yaml). It exists to
// prove that openapi.yaml is good enough for a generated client: cmd/local's tests drive the
// local server with it (sending null to remove a field, custom-field numbers past float64), and
// TestGeneratedClientIsCurrent fails when client.gen.go is not what openapi.yaml generates.
//
// After changing openapi.yaml: go generate ./internal/apiclient/
package apiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../openapi.yaml
