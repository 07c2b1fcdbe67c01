// Package compat holds the FlexPortal compatibility suite: the requests FlexPortal's own
// documentation shows its clients sending (testdata/examples), each sent to the HTTP API on the
// embedded store, and each answer checked against our JSON Schema of FlexPortal's response for
// that operation (testdata/schemas), written from FlexPortal's OpenAPI file. It also makes every
// error code of FlexPortal's codes table that an endpoint can produce happen, and checks its
// status, code and shape. testdata/README.md says where each file comes from. The package has no
// code of its own.
package compat
