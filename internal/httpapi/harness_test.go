package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

// The API keys every env holds. Secrets name what they grant.
const (
	keyT1      = "secret-t1-all"  // tenant t1, every scope
	keyT2      = "secret-t2-all"  // tenant t2, every scope
	keyRevoked = "secret-revoked" // tenant t1, every scope, revoked
)

// Ids of the right form that name no record.
const (
	missingCustomer = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
	missingOrder    = "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"
)

// keyWithout is the secret of a key for t1 holding every scope but s; keyOnly holds only s.
func keyWithout(s auth.Scope) string { return "secret-t1-without-" + string(s) }
func keyOnly(s auth.Scope) string    { return "secret-t1-only-" + string(s) }

// env is the API on a fresh embedded store, driven through httptest.
type env struct {
	t     *testing.T
	store *embedded.Store
	h     http.Handler
	logs  *syncBuffer
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := embedded.Open(t.TempDir() + "/db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	put := func(id, secret string, tenants []string, scopes []auth.Scope, status string) {
		t.Helper()
		k := auth.Key{ID: id, Hash: auth.Hash(secret), Tenants: tenants, Scopes: scopes, Status: status}
		if err := s.PutAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	put("k1", keyT1, []string{"t1"}, auth.AllScopes, auth.StatusActive)
	put("k2", keyT2, []string{"t2"}, auth.AllScopes, auth.StatusActive)
	put("k3", keyRevoked, []string{"t1"}, auth.AllScopes, auth.StatusRevoked)
	for _, sc := range auth.AllScopes {
		var others []auth.Scope
		for _, o := range auth.AllScopes {
			if o != sc {
				others = append(others, o)
			}
		}
		put("without-"+string(sc), keyWithout(sc), []string{"t1"}, others, auth.StatusActive)
		put("only-"+string(sc), keyOnly(sc), []string{"t1"}, []auth.Scope{sc}, auth.StatusActive)
	}
	logs := &syncBuffer{}
	api := httpapi.New(s, httpapi.Options{
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		CursorKey: []byte("test cursor key, 32 bytes long.."),
	})
	return &env{t: t, store: s, h: api.Handler(), logs: logs}
}

// req describes one request. Zero fields are left out; key and tenant default to t1's.
type req struct {
	method, path, body string
	key, tenant        string // "-" leaves the header out
	contentType        string // default application/json when body is set; "-" leaves it out
	header             http.Header
}

// resp is a recorded response with its decoded body.
type resp struct {
	*httptest.ResponseRecorder
	body map[string]any
}

func (e *env) do(r req) resp {
	e.t.Helper()
	return serve(e.t, e.h, r)
}

func serve(t *testing.T, h http.Handler, r req) resp {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	switch r.key {
	case "":
		hr.Header.Set("Authorization", "Bearer "+keyT1)
	case "-":
	default:
		hr.Header.Set("Authorization", "Bearer "+r.key)
	}
	switch r.tenant {
	case "":
		hr.Header.Set("Tenant-ID", "t1")
	case "-":
	default:
		hr.Header.Set("Tenant-ID", r.tenant)
	}
	switch {
	case r.contentType == "-":
	case r.contentType != "":
		hr.Header.Set("Content-Type", r.contentType)
	case r.body != "":
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	out := resp{ResponseRecorder: w}
	if err := json.Unmarshal(w.Body.Bytes(), &out.body); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", r.method, r.path, w.Body.String(), err)
	}
	if w.Code < 300 {
		checkSuccessShape(t, hr, w.Body.Bytes())
	}
	return out
}

// successSchemas names, for each route, the file of internal/compat's schema of its success
// body: FlexPortal's response, as narrowed by docs/api.md.
var successSchemas = map[string]string{
	"GET /v1/customers":           "list-customers",
	"GET /v1/customers/{id}":      "get-customer",
	"PUT /v1/customers/{id}":      "update-customer",
	"DELETE /v1/customers/{id}":   "delete-customer",
	"POST /v1/orders":             "create-order",
	"GET /v1/orders":              "list-orders",
	"GET /v1/orders/{id}":         "get-order",
	"POST /v1/orders/{id}/cancel": "cancel-order",
	"PATCH /v1/orders/{id}/notes": "update-order-notes",
}

var (
	schemasMu sync.Mutex
	schemas   = map[string]*jsonschema.Schema{}
)

// checkSuccessShape fails t unless body, a success response to r, is what FlexPortal's schema of
// the route's response allows: every order and customer the API returns is checked, in every
// test.
func checkSuccessShape(t *testing.T, r *http.Request, body []byte) {
	t.Helper()
	segments := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segments) > 2 {
		segments[2] = "{id}"
	}
	name := successSchemas[r.Method+" /"+strings.Join(segments, "/")]
	if name == "" {
		return
	}
	schemasMu.Lock()
	sch, ok := schemas[name]
	if !ok {
		var err error
		if sch, err = jsonschema.NewCompiler().Compile("../compat/testdata/schemas/" + name + ".json"); err != nil {
			schemasMu.Unlock()
			t.Fatalf("compile the %s schema: %v", name, err)
		}
		schemas[name] = sch
	}
	schemasMu.Unlock()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: body %s: %v", r.Method, r.URL.Path, body, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s: body %s is not FlexPortal's %s response: %v", r.Method, r.URL.Path, body, name, err)
	}
}

// errorSchema is FlexPortal's error body as internal/compat describes it, compiled once.
var errorSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return jsonschema.NewCompiler().Compile("../compat/testdata/schemas/error.json")
})

// checkErrorShape fails t unless body is FlexPortal's error shape (internal/compat's schema).
func checkErrorShape(t *testing.T, body []byte) {
	t.Helper()
	sch, err := errorSchema()
	if err != nil {
		t.Fatalf("compile the error schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("error body %s is not FlexPortal's error shape: %#v", body, err)
	}
}

// expect checks the status and, for errors, the error code and FlexPortal's error shape; every
// response must also carry the headers every response carries.
func (r resp) expect(t *testing.T, status int, code string) {
	t.Helper()
	if r.Code >= 400 {
		checkErrorShape(t, r.Body.Bytes())
	}
	if r.Code != status {
		t.Errorf("status = %d, want %d (body %s)", r.Code, status, r.Body.String())
	}
	if got := r.errorCode(); got != code {
		t.Errorf("error code = %q, want %q (body %s)", got, code, r.Body.String())
	}
	if got := r.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if r.Header().Get("X-Request-Id") == "" {
		t.Errorf("X-Request-Id missing")
	}
}

func (r resp) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (r resp) errorMessage() string {
	e, _ := r.body["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// detail is one entry of a VALIDATION_ERROR's details.
type detail struct{ Path, Message, Code string }

// details returns the details of an error body (none when it has none).
func (r resp) details(t *testing.T) []detail {
	t.Helper()
	var body struct {
		Error struct{ Details []detail }
	}
	if err := json.Unmarshal(r.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %s: %v", r.Body, err)
	}
	return body.Error.Details
}

func (r resp) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// skus numbers the items of orderBody.
var skus atomic.Int64

// orderBody is a valid POST /v1/orders body for a customer with this email. Each call orders
// another sku (SKU-1, SKU-2, ...), so that two of its bodies are two orders, never one order and
// its natural-idempotency replay.
func orderBody(email string) string {
	return fmt.Sprintf(`{"customer":{"email":%q,"firstName":"Ada","lastName":"Lovelace"},`+
		`"billingAddress":{"contactName":"Ada Lovelace","streetAddress":"1 Main St","city":"London","country":"GB"},`+
		`"items":[{"sku":"SKU-%d","quantity":1,"contractLength":12}]}`, email, skus.Add(1))
}

// order creates an order (and its customer, if new) in tenant and returns orderId, customerId.
func (e *env) order(key, tenant, email string) (string, string) {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/orders", key: key, tenant: tenant, body: orderBody(email)})
	r.expect(e.t, http.StatusCreated, "")
	return r.str("orderId"), r.str("order", "customer", "customerId")
}

// customer creates a customer in t1 (through an order, then cancelled so that it may be
// deleted) and returns its id.
func (e *env) customer(email string) string {
	e.t.Helper()
	oid, cid := e.order(keyT1, "t1", email)
	e.do(req{method: "POST", path: "/v1/orders/" + oid + "/cancel"}).expect(e.t, http.StatusOK, "")
	return cid
}
