// Package apispec holds the tests that keep openapi.yaml (the machine-readable form of the HTTP
// contract, used by schemathesis and client generators) in step with the route table in
// internal/httpapi. It has no code of its own.
package apispec
