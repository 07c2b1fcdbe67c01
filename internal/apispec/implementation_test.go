package apispec

// The tests of this file hold openapi.yaml to the implementation, reading the implementation's
// side from the code rather than from a list written here: the query parameters from the route
// table (httpapi.Route.Query, which the handlers read), the response fields from the types the
// handlers write (httpapi.Route.Response, httpapi.ErrorResponse) by reflection, and the request
// body fields from the parsers themselves, asked through the HTTP API under Prefer:
// handling=strict about every name that appears in their source. A route, parameter or field
// added to the code without the spec fails them; the error codes have TestErrorCodesAreTheTable
// and TestErrorResponsesNarrowToTheirStatus, the routes TestEveryRouteInSpec.

import (
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

// operationOf returns the spec's operation of rt, failing the test when there is none.
func operationOf(t *testing.T, doc node, rt httpapi.Route) (op node, item node) {
	t.Helper()
	item, _ = doc["paths"].(node)[rt.Pattern].(node)
	op, _ = item[strings.ToLower(rt.Method)].(node)
	if op == nil {
		t.Fatalf("openapi.yaml has no %s %s (TestEveryRouteInSpec says more)", rt.Method, rt.Pattern)
	}
	return op, item
}

// deref follows $ref until it reaches a schema that is not a reference.
func deref(t *testing.T, doc, schema node) node {
	t.Helper()
	for schema != nil {
		ref, ok := schema["$ref"].(string)
		if !ok {
			return schema
		}
		schema = lookup(t, doc, ref)
	}
	return schema
}

// properties returns the properties a value of schema may have: its own and those of every
// schema of its allOf, references followed.
func properties(t *testing.T, doc, schema node) map[string]node {
	t.Helper()
	schema = deref(t, doc, schema)
	out := map[string]node{}
	if ps, ok := schema["properties"].(node); ok {
		for name, p := range ps {
			out[name] = p.(node)
		}
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			for name, p := range properties(t, doc, sub.(node)) {
				if _, dup := out[name]; !dup {
					out[name] = p
				}
			}
		}
	}
	return out
}

// arrayItems returns the items schema of an array schema (allOf followed), or nil.
func arrayItems(t *testing.T, doc, schema node) node {
	t.Helper()
	schema = deref(t, doc, schema)
	if it, ok := schema["items"].(node); ok {
		return it
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			if it := arrayItems(t, doc, sub.(node)); it != nil {
				return it
			}
		}
	}
	return nil
}

// jsonSchemaOf returns the application/json schema of a response or request body object.
func jsonSchemaOf(t *testing.T, doc, obj node) node {
	t.Helper()
	obj = deref(t, doc, obj)
	content, _ := obj["content"].(node)
	media, _ := content["application/json"].(node)
	schema, _ := media["schema"].(node)
	return schema
}

// TestQueryParametersAreTheRouteTable: each operation's query parameters in openapi.yaml are
// exactly the ones its route reads (httpapi.Route.Query).
func TestQueryParametersAreTheRouteTable(t *testing.T) {
	raw, typed := loadRaw(t), load(t)
	for _, rt := range httpapi.Routes {
		t.Run(rt.Name, func(t *testing.T) {
			operationOf(t, raw, rt)
			item := typed.Paths[rt.Pattern]
			var inSpec []string
			for _, p := range typed.params(t, item, item.Operations[strings.ToLower(rt.Method)]) {
				if p.In == "query" {
					inSpec = append(inSpec, p.Name)
				}
			}
			for _, name := range rt.Query {
				if !slices.Contains(inSpec, name) {
					t.Errorf("the route reads query parameter %q; openapi.yaml does not list it", name)
				}
			}
			for _, name := range inSpec {
				if !slices.Contains(rt.Query, name) {
					t.Errorf("openapi.yaml lists query parameter %q, which the route does not read", name)
				}
			}
		})
	}
}

var (
	jsonNumberType = reflect.TypeFor[json.Number]()
	marshalerType  = reflect.TypeFor[json.Marshaler]()
)

// compareType reports, at where, every JSON field of typ (as encoding/json writes it) that
// schema lacks, and every property of schema that typ cannot write, recursing into objects and
// arrays. Maps (customFields) hold free keys and are not compared inside.
func compareType(t *testing.T, doc node, where string, typ reflect.Type, schema node) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if schema == nil {
		t.Errorf("%s: openapi.yaml has no schema for it", where)
		return
	}
	if typ == jsonNumberType {
		return
	}
	if typ.Implements(marshalerType) || reflect.PointerTo(typ).Implements(marshalerType) {
		t.Errorf("%s: %s marshals itself; this test cannot read its fields", where, typ)
		return
	}
	switch typ.Kind() {
	case reflect.Struct:
		props := properties(t, doc, schema)
		fields := jsonFields(typ)
		for _, f := range fields {
			sub, ok := props[f.name]
			if !ok {
				t.Errorf("%s.%s (%s): the implementation writes it; openapi.yaml does not describe it", where, f.name, f.typ)
				continue
			}
			compareType(t, doc, where+"."+f.name, f.typ, sub)
		}
		for name := range props {
			if !slices.ContainsFunc(fields, func(f jsonField) bool { return f.name == name }) {
				t.Errorf("%s.%s: openapi.yaml describes it; the implementation's %s has no such field", where, name, typ)
			}
		}
	case reflect.Slice, reflect.Array:
		compareType(t, doc, where+".0", typ.Elem(), arrayItems(t, doc, schema))
	}
}

type jsonField struct {
	name      string
	typ       reflect.Type
	omitEmpty bool
}

// jsonFields returns the fields encoding/json writes for the struct type typ, embedded structs
// flattened.
func jsonFields(typ reflect.Type) []jsonField {
	var out []jsonField
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		out = append(out, jsonField{tag, f.Type, slices.Contains(strings.Split(opts, ","), "omitempty")})
	}
	return out
}

// successSchema returns the schema of op's one 2xx response.
func successSchema(t *testing.T, doc, op node) node {
	t.Helper()
	for status, resp := range op["responses"].(node) {
		if strings.HasPrefix(status, "2") {
			return jsonSchemaOf(t, doc, resp.(node))
		}
	}
	t.Fatal("the operation has no 2xx response")
	return nil
}

// TestResponseFieldsInSpec: every field of every success body type (httpapi.Route.Response) and
// of the error body type (httpapi.ErrorResponse) is a property of its schema in openapi.yaml, at
// every depth, and the other way round.
func TestResponseFieldsInSpec(t *testing.T) {
	doc := loadRaw(t)
	for _, rt := range httpapi.Routes {
		t.Run(rt.Name, func(t *testing.T) {
			if rt.Response == nil {
				t.Fatal("the route declares no Response type")
			}
			op, _ := operationOf(t, doc, rt)
			compareType(t, doc, "body", reflect.TypeOf(rt.Response), successSchema(t, doc, op))
		})
	}
	t.Run("error", func(t *testing.T) {
		compareType(t, doc, "body", reflect.TypeOf(httpapi.ErrorResponse), lookup(t, doc, "#/components/schemas/Error"))
	})
}

// api is the HTTP API on a fresh embedded store, with one key of every scope for tenant t1.
type api struct {
	t *testing.T
	h http.Handler
}

const apiKey = "secret-apispec"

func newAPI(t *testing.T) *api {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	k := auth.Key{ID: "key_apispec", Hash: auth.Hash(apiKey), Tenants: []string{"t1"}, Scopes: auth.AllScopes, Status: "active"}
	if err := s.PutAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &api{t: t, h: httpapi.New(s, httpapi.Options{Logger: log}).Handler()}
}

// do sends one request (a JSON body unless body is "") and returns the status and body.
func (a *api) do(method, path, body string, header ...string) (int, []byte) {
	a.t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer "+apiKey)
	r.Header.Set("Tenant-ID", "t1")
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// anOrder creates an order with every optional part and returns its id and its customer's.
func (a *api) anOrder() (orderID, customerID string) {
	a.t.Helper()
	status, body := a.do("POST", "/v1/orders", `{
		"customer": {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace", "company": "AE", "phone": "+44 1"},
		"billingAddress": {"contactName": "Ada", "streetAddress": "1 St", "city": "London", "country": "GB", "postalCode": "N1"},
		"shippingAddress": {"contactName": "Ada", "streetAddress": "2 St", "city": "London", "country": "GB"},
		"items": [{"sku": "LAPTOP-14", "quantity": 1}],
		"customFields": {"seats": 5}, "notes": "by the door"}`)
	if status != http.StatusCreated {
		a.t.Fatalf("create order: %d %s", status, body)
	}
	var created struct {
		OrderID string `json:"orderId"`
		Order   struct {
			Customer struct {
				CustomerID string `json:"customerId"`
			} `json:"customer"`
		} `json:"order"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		a.t.Fatal(err)
	}
	return created.OrderID, created.Order.Customer.CustomerID
}

// TestResponseTypesAreWhatIsWritten: a successful request of every route answers a body that
// decodes into the route's declared Response type with no field left over and holds every field
// of it that is never omitted, so that TestResponseFieldsInSpec compares the type the handler
// really writes.
func TestResponseTypesAreWhatIsWritten(t *testing.T) {
	a := newAPI(t)
	orderID, customerID := a.anOrder()
	// In an order that lets each succeed: the order is cancelled before its customer is
	// deactivated (a pending order refuses it), and the customer erased last.
	requests := []struct{ route, path, body string }{
		{"create-order", "/v1/orders", `{"customer": {"email": "bo@example.com", "firstName": "Bo", "lastName": "B"},
			"billingAddress": {"contactName": "Bo", "streetAddress": "1 St", "city": "Oslo", "country": "NO"},
			"items": [{"sku": "PHONE-1", "quantity": 2}]}`},
		{"get-order", "/v1/orders/" + orderID, ""},
		{"list-orders", "/v1/orders?customerId=" + customerID, ""},
		{"update-order-notes", "/v1/orders/" + orderID + "/notes", `{"notes": "call first"}`},
		{"get-customer", "/v1/customers/" + customerID, ""},
		{"list-customers", "/v1/customers", ""},
		{"update-customer", "/v1/customers/" + customerID, `{"customFields": {"plan": "gold"}}`},
		{"cancel-order", "/v1/orders/" + orderID + "/cancel", `{"reason": "changed my mind"}`},
		{"export-customer", "/v1/customers/" + customerID + "/export", ""},
		{"delete-customer", "/v1/customers/" + customerID, ""},
		{"erase-customer", "/v1/customers/" + customerID + "/erase", ""},
	}
	for _, rt := range httpapi.Routes {
		if !slices.ContainsFunc(requests, func(r struct{ route, path, body string }) bool { return r.route == rt.Name }) {
			t.Errorf("route %s has no request here: add one that succeeds", rt.Name)
		}
	}
	for _, req := range requests {
		rt, ok := httpapi.RouteNamed(req.route)
		if !ok {
			t.Fatalf("no route %s", req.route)
		}
		status, body := a.do(rt.Method, req.path, req.body)
		if status/100 != 2 {
			t.Fatalf("%s %s: %d %s, want success", rt.Method, req.path, status, body)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(reflect.New(reflect.TypeOf(rt.Response)).Interface()); err != nil {
			t.Errorf("%s: the body does not decode into %T, the route's Response: %v\n%s", rt.Name, rt.Response, err, body)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(body, &keys); err != nil {
			t.Fatalf("%s: the body is not an object: %v", rt.Name, err)
		}
		for _, f := range jsonFields(reflect.TypeOf(rt.Response)) {
			if _, ok := keys[f.name]; !ok && !f.omitEmpty {
				t.Errorf("%s: the body lacks %s, which %T always has: is it the route's Response?\n%s", rt.Name, f.name, rt.Response, body)
			}
		}
	}
}

// sourceNames returns every string literal of the non-test Go files of the packages that parse
// request bodies that could be a JSON key (a letter, then letters and digits): the keys a
// parser knows are among them, whatever the shape of its code.
func sourceNames(t *testing.T) []string {
	t.Helper()
	word := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range []string{"../customer", "../order", "../httpapi"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && word.MatchString(s) {
						seen[s] = true
					}
				}
				return true
			})
		}
	}
	names := make([]string, 0, len(seen))
	for s := range seen {
		names = append(names, s)
	}
	slices.Sort(names)
	return names
}

// container is an object of a request body that the spec describes by its properties: where it
// stands (its steps from the body; "0" is an array's first element) and its schema.
type container struct {
	steps  []string
	schema node
}

func (c container) path() string { return strings.Join(c.steps, ".") }

// containers returns schema's object and those nested in it, through properties and array items;
// objects of free keys (customFields: no properties) are left out.
func containers(t *testing.T, doc node, steps []string, schema node) []container {
	t.Helper()
	props := properties(t, doc, schema)
	if len(props) == 0 {
		return nil
	}
	out := []container{{steps, schema}}
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		sub := props[name]
		at := append(slices.Clone(steps), name)
		if items := arrayItems(t, doc, sub); items != nil {
			out = append(out, containers(t, doc, append(at, "0"), items)...)
			continue
		}
		out = append(out, containers(t, doc, at, sub)...)
	}
	return out
}

// prerequisites are what a body needs beside an object for the parser to read that object at
// all: the details of an order are read only with their order type (a rule of the spec's
// OrderCreate).
var prerequisites = map[string]map[string]any{
	"extensionDetails": {"orderType": "extension"},
	"upgradeDetails":   {"orderType": "upgrade"},
}

// sentinel is a key no parser knows: under handling=strict it must be refused wherever it is put,
// or the probe did not reach the object it means.
const sentinel = "zzNoSuchField"

// TestRequestFieldsInSpec asks each parser, through the HTTP API under Prefer: handling=strict,
// about every name of its source (and every name the spec gives) at every object of the request
// bodies the spec describes: a key it does not refuse as unrecognized_keys is one it reads, and
// must be a property of that object in openapi.yaml; a property of the spec must be a key it reads.
func TestRequestFieldsInSpec(t *testing.T) {
	doc := loadRaw(t)
	a := newAPI(t)
	orderID, customerID := a.anOrder()
	ids := map[string]string{"customerId": customerID, "orderId": orderID}
	names := sourceNames(t)
	probed := 0
	for _, rt := range httpapi.Routes {
		op, _ := operationOf(t, doc, rt)
		rb, ok := op["requestBody"].(node)
		if !ok {
			continue
		}
		path := regexp.MustCompile(`\{([^}]+)\}`).ReplaceAllStringFunc(rt.Pattern, func(w string) string {
			return ids[strings.Trim(w, "{}")]
		})
		for _, c := range containers(t, doc, nil, jsonSchemaOf(t, doc, rb)) {
			t.Run(rt.Name+"/"+c.path(), func(t *testing.T) {
				probed++
				props := properties(t, doc, c.schema)
				candidates := slices.Clone(names)
				for name := range props {
					candidates = append(candidates, name)
				}
				inner := map[string]any{sentinel: 1}
				for _, name := range candidates {
					inner[name] = 1
				}
				body := map[string]any{}
				if len(c.steps) > 0 {
					for k, v := range prerequisites[c.steps[0]] {
						body[k] = v
					}
				}
				var value any = inner
				for i := len(c.steps) - 1; i >= 0; i-- {
					if c.steps[i] == "0" {
						value = []any{value}
						continue
					}
					if i == 0 {
						body[c.steps[i]] = value
					} else {
						value = map[string]any{c.steps[i]: value}
					}
				}
				if len(c.steps) == 0 {
					body = inner
				}
				b, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				status, resp := a.do(rt.Method, path, string(b), "Prefer", "handling=strict")
				var e struct {
					Error struct {
						Details []struct{ Path, Code string }
					}
				}
				if err := json.Unmarshal(resp, &e); status != http.StatusBadRequest || err != nil {
					t.Fatalf("%s %s: %d %s, want 400 VALIDATION_ERROR", rt.Method, path, status, resp)
				}
				refused := map[string]bool{}
				for _, d := range e.Error.Details {
					if d.Code == "unrecognized_keys" {
						refused[d.Path] = true
					}
				}
				at := func(name string) string { return strings.Join(append(slices.Clone(c.steps), name), ".") }
				if !refused[at(sentinel)] {
					t.Fatalf("%s was not refused at %s: the probe did not reach the object (%d %s)", sentinel, at(sentinel), status, resp)
				}
				for _, name := range candidates {
					_, inSpec := props[name]
					switch known := !refused[at(name)]; {
					case known && !inSpec:
						t.Errorf("body field %s: the parser reads it; openapi.yaml does not describe it", at(name))
					case !known && inSpec:
						t.Errorf("body field %s: openapi.yaml describes it; the parser refuses it as unknown", at(name))
					}
				}
			})
		}
	}
	if probed < 4 {
		t.Fatalf("probed %d objects; want every request body of the spec", probed)
	}
}
