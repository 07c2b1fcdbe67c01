package compat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

// The tenants (FlexPortal's business units) and API keys every server holds. Secrets name what
// they grant.
const (
	tenant      = "bu-eu-1"
	otherTenant = "bu-us-1"

	keyAll     = "fp-test-all"     // tenant, every scope
	keyOther   = "fp-test-other"   // otherTenant only, every scope
	keyRevoked = "fp-test-revoked" // tenant, every scope, revoked
)

// keyWithout is the secret of a key for tenant holding every scope but s.
func keyWithout(s auth.Scope) string { return "fp-test-without-" + string(s) }

// scopes are docs/api.md's four scopes, spelled here rather than taken from package auth so that
// a renamed scope fails this suite.
var scopes = []auth.Scope{"customers:read", "customers:write", "orders:read", "orders:write"}

// operation is one endpoint of FlexPortal's Customers and Orders pages: its path template, the
// scope docs/api.md asks of it, and the file of testdata/schemas that describes its success body.
type operation struct {
	method, path string
	scope        auth.Scope
	schema       string
	status       int // FlexPortal's success status
}

func (op operation) String() string { return op.method + " " + op.path }

// operations lists the nine operations, from FlexPortal's API reference.
var operations = []operation{
	{"GET", "/v1/customers", "customers:read", "list-customers", 200},
	{"GET", "/v1/customers/{customerId}", "customers:read", "get-customer", 200},
	{"PUT", "/v1/customers/{customerId}", "customers:write", "update-customer", 200},
	{"DELETE", "/v1/customers/{customerId}", "customers:write", "delete-customer", 200},
	{"POST", "/v1/orders", "orders:write", "create-order", 201},
	{"GET", "/v1/orders", "orders:read", "list-orders", 200},
	{"GET", "/v1/orders/{orderId}", "orders:read", "get-order", 200},
	{"POST", "/v1/orders/{orderId}/cancel", "orders:write", "cancel-order", 200},
	{"PATCH", "/v1/orders/{orderId}/notes", "orders:write", "update-order-notes", 200},
}

// operationOf returns the operation of method and a path template.
func operationOf(method, path string) (operation, bool) {
	for _, op := range operations {
		if op.method == method && op.path == path {
			return op, true
		}
	}
	return operation{}, false
}

// schemas are testdata/schemas/*.json compiled, by file stem; "error" is the error body's.
var schemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	files, err := filepath.Glob("testdata/schemas/*.json")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // emails and RFC 3339 times are checked, not only annotated
	out := map[string]*jsonschema.Schema{}
	for _, f := range files {
		sch, err := c.Compile(f)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = sch
	}
	return out, nil
})

// validate fails t unless body is valid against the schema called name.
func validate(t tb, name string, body []byte) {
	t.Helper()
	all, err := schemas()
	if err != nil {
		t.Fatal(err)
	}
	sch, ok := all[name]
	if !ok {
		t.Fatalf("no schema testdata/schemas/%s.json", name)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("body %s is not JSON: %v", body, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("body %s is not FlexPortal's %s response:\n%v", body, name, err)
	}
}

// tb is what the helpers ask of a test: testing.TB's part that seeding (in TestMain, without a
// test) provides too.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// server is the HTTP API on an embedded store file, served on 127.0.0.1.
type server struct {
	url  string
	file string
	// store is the store served, for what no request of FlexPortal's pages can do: FlexPortal's
	// subscription service's events (docs/api.md, Rental state).
	store *embedded.Store
}

// cursorKey signs the list cursors of every server, so that a store copy pages like its original.
var cursorKey = []byte("compat suite cursor key, 32 byte")

// serve opens the store file and serves the API on it until t ends.
func serve(t tb, file string) *server {
	t.Helper()
	s, err := embedded.Open(file)
	if err != nil {
		t.Fatalf("open the embedded store %s: %v", file, err)
	}
	api := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.DiscardHandler), CursorKey: cursorKey})
	ts := httptest.NewServer(api.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close the store: %v", err)
		}
	})
	return &server{url: ts.URL, file: file, store: s}
}

// installKeys puts the API keys above in the store file (closed when it returns).
func installKeys(file string) error {
	s, err := embedded.Open(file)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	ctx := context.Background()
	put := func(id, secret string, tenants []string, sc []auth.Scope, status string) error {
		return s.PutAPIKey(ctx, auth.Key{ID: id, Hash: auth.Hash(secret), Tenants: tenants, Scopes: sc, Status: status})
	}
	if err := put("all", keyAll, []string{tenant}, scopes, auth.StatusActive); err != nil {
		return err
	}
	if err := put("other", keyOther, []string{otherTenant}, scopes, auth.StatusActive); err != nil {
		return err
	}
	if err := put("revoked", keyRevoked, []string{tenant}, scopes, auth.StatusRevoked); err != nil {
		return err
	}
	for _, sc := range scopes {
		var others []auth.Scope
		for _, o := range scopes {
			if o != sc {
				others = append(others, o)
			}
		}
		if err := put("without-"+string(sc), keyWithout(sc), []string{tenant}, others, auth.StatusActive); err != nil {
			return err
		}
	}
	return nil
}

// request is one HTTP request. Zero fields are left out; headers set Authorization and Tenant-ID
// when it names them, and otherwise the request carries keyAll and tenant.
type request struct {
	method, path string
	query        url.Values
	header       http.Header
	body         []byte
}

// response is a received answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends r to srv and returns its answer; a transport failure ends the test.
func (srv *server) do(t tb, r request) response {
	t.Helper()
	u := srv.url + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, u, body)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, u, err)
	}
	hr.Header.Set("Authorization", "Bearer "+keyAll)
	hr.Header.Set("Tenant-ID", tenant)
	for k, v := range r.header {
		if len(v) == 0 { // a header the request leaves out
			hr.Header.Del(k)
			continue
		}
		hr.Header[http.CanonicalHeaderKey(k)] = v
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, u, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read the body: %v", r.method, u, err)
	}
	out := response{status: res.StatusCode, header: res.Header, body: b}
	// Every success answer, to an example or to a request of the suite's own (seeding, reading
	// back), is held to FlexPortal's schema of its operation.
	if op, ok := matchOperation(r.method, r.path); ok && out.status < 300 {
		validate(t, op.schema, b)
	}
	return out
}

// matchOperation returns the operation a request of method on path (ids filled in) is.
func matchOperation(method, path string) (operation, bool) {
	segs := strings.Split(path, "/")
	for _, op := range operations {
		tmpl := strings.Split(op.path, "/")
		if op.method != method || len(tmpl) != len(segs) {
			continue
		}
		match := true
		for i := range tmpl {
			if !strings.HasPrefix(tmpl[i], "{") && tmpl[i] != segs[i] {
				match = false
			}
		}
		if match {
			return op, true
		}
	}
	return operation{}, false
}

// object decodes a JSON object body, failing t when it is not one.
func (r response) object(t tb) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// must fails t unless r has the status; it returns the decoded body.
func (r response) must(t tb, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	return r.object(t)
}

// field walks a decoded body along path ("order", "customer", "customerId").
func field(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// str is field, as a string ("" when it is not one).
func str(v any, path ...string) string {
	s, _ := field(v, path...).(string)
	return s
}

// jsonBody marshals v, for request bodies built in the tests.
func jsonBody(t tb, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// copyFile copies the store file src to dst.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}
