package apispec

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// specPath is openapi.yaml at the repository root, relative to this package.
var specPath = filepath.Join("..", "..", "openapi.yaml")

// document is the part of an OpenAPI 3.0 document these tests read.
type document struct {
	OpenAPI    string              `yaml:"openapi"`
	Security   []map[string][]any  `yaml:"security"`
	Paths      map[string]pathItem `yaml:"paths"`
	Components struct {
		Parameters      map[string]parameter `yaml:"parameters"`
		Headers         map[string]header    `yaml:"headers"`
		Responses       map[string]response  `yaml:"responses"`
		Schemas         map[string]schema    `yaml:"schemas"`
		SecuritySchemes map[string]struct {
			Type   string `yaml:"type"`
			Scheme string `yaml:"scheme"`
		} `yaml:"securitySchemes"`
	} `yaml:"components"`
}

type pathItem struct {
	Parameters []parameter          `yaml:"parameters"`
	Operations map[string]operation `yaml:",inline"`
}

type operation struct {
	OperationID string      `yaml:"operationId"`
	Parameters  []parameter `yaml:"parameters"`
	RequestBody *struct {
		Required bool           `yaml:"required"`
		Content  map[string]any `yaml:"content"`
	} `yaml:"requestBody"`
	Responses map[string]response `yaml:"responses"`
}

// response is a response object, or a reference to one in #/components/responses.
type response struct {
	Ref     string            `yaml:"$ref"`
	Headers map[string]header `yaml:"headers"`
}

// header is a header object, or a reference to one in #/components/headers.
type header struct {
	Ref      string `yaml:"$ref"`
	Required bool   `yaml:"required"`
	Schema   schema `yaml:"schema"`
}

// schema is the part of a schema object these tests read.
type schema struct {
	Pattern   string `yaml:"pattern"`
	MinLength *int   `yaml:"minLength"`
	MaxLength *int   `yaml:"maxLength"`
}

type parameter struct {
	Ref      string `yaml:"$ref"`
	Name     string `yaml:"name"`
	In       string `yaml:"in"`
	Required bool   `yaml:"required"`
	Schema   schema `yaml:"schema"`
}

// httpMethods are the keys of an OpenAPI path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func load(t *testing.T) document {
	t.Helper()
	raw, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatalf("read spec: %v", err)
	}
	var doc document
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", specPath, err)
	}
	for p, item := range doc.Paths {
		for key := range item.Operations {
			if !slices.Contains(httpMethods, key) {
				t.Fatalf("path %s has unexpected key %q", p, key)
			}
		}
	}
	return doc
}

// resolve follows a #/components/parameters reference.
func (d document) resolve(t *testing.T, p parameter) parameter {
	t.Helper()
	if p.Ref == "" {
		return p
	}
	name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
	if !ok {
		t.Fatalf("parameter reference %q is not to #/components/parameters", p.Ref)
	}
	got, ok := d.Components.Parameters[name]
	if !ok {
		t.Fatalf("parameter reference %q resolves to nothing", p.Ref)
	}
	return got
}

// response follows a #/components/responses reference.
func (d document) response(t *testing.T, r response) response {
	t.Helper()
	if r.Ref == "" {
		return r
	}
	name, ok := strings.CutPrefix(r.Ref, "#/components/responses/")
	if !ok {
		t.Fatalf("response reference %q is not to #/components/responses", r.Ref)
	}
	got, ok := d.Components.Responses[name]
	if !ok {
		t.Fatalf("response reference %q resolves to nothing", r.Ref)
	}
	return got
}

// header returns the header called name of r (resolved), and whether r declares it.
func (d document) header(t *testing.T, r response, name string) (header, bool) {
	t.Helper()
	h, ok := d.response(t, r).Headers[name]
	if !ok || h.Ref == "" {
		return h, ok
	}
	ref, ok := strings.CutPrefix(h.Ref, "#/components/headers/")
	if !ok {
		t.Fatalf("header reference %q is not to #/components/headers", h.Ref)
	}
	got, ok := d.Components.Headers[ref]
	if !ok {
		t.Fatalf("header reference %q resolves to nothing", h.Ref)
	}
	return got, true
}

// params returns the parameters of an operation, path-level ones included, resolved.
func (d document) params(t *testing.T, item pathItem, op operation) []parameter {
	t.Helper()
	var out []parameter
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		out = append(out, d.resolve(t, p))
	}
	return out
}

func hasParam(ps []parameter, in, name string) (parameter, bool) {
	for _, p := range ps {
		if p.In == in && p.Name == name {
			return p, true
		}
	}
	return parameter{}, false
}

func TestSpecVersionAndSecurity(t *testing.T) {
	doc := load(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	scheme, ok := doc.Components.SecuritySchemes["bearerAuth"]
	if !ok || scheme.Type != "http" || scheme.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearerAuth = %+v (present %v), want http bearer", scheme, ok)
	}
	if len(doc.Security) != 1 {
		t.Fatalf("global security = %v, want [bearerAuth]", doc.Security)
	}
	if _, ok := doc.Security[0]["bearerAuth"]; !ok {
		t.Errorf("global security = %v, want bearerAuth", doc.Security)
	}
}

// TestEveryRouteInSpec checks that each route of the table is an operation of openapi.yaml, with
// the required Tenant-ID header, its path parameters and the responses every route can give.
func TestEveryRouteInSpec(t *testing.T) {
	doc := load(t)
	wildcard := regexp.MustCompile(`\{([^}]+)\}`)
	for _, r := range httpapi.Routes {
		t.Run(r.Name, func(t *testing.T) {
			item, ok := doc.Paths[r.Pattern]
			if !ok {
				t.Fatalf("paths[%q] is missing", r.Pattern)
			}
			op, ok := item.Operations[strings.ToLower(r.Method)]
			if !ok {
				t.Fatalf("paths[%q] has no %s operation", r.Pattern, r.Method)
			}
			ps := doc.params(t, item, op)
			if p, ok := hasParam(ps, "header", "Tenant-ID"); !ok || !p.Required {
				t.Errorf("Tenant-ID header: present %v, required %v; want present and required", ok, p.Required)
			}
			var pathParams []string
			for _, p := range ps {
				if p.In == "path" {
					pathParams = append(pathParams, p.Name)
					if !p.Required {
						t.Errorf("path parameter %s is not required", p.Name)
					}
				}
			}
			var wantPath []string
			for _, m := range wildcard.FindAllStringSubmatch(r.Pattern, -1) {
				wantPath = append(wantPath, m[1])
			}
			slices.Sort(pathParams)
			slices.Sort(wantPath)
			if !slices.Equal(pathParams, wantPath) {
				t.Errorf("path parameters = %v, want %v", pathParams, wantPath)
			}
			// Any request with a body has its Content-Type and size checked, whatever the method;
			// a body or query failing the rules is 400 (VALIDATION_ERROR), never 422.
			want := []string{"400", "401", "403", "413", "415", "500", "503"}
			if len(wantPath) > 0 {
				want = append(want, "404")
			}
			for _, status := range want {
				if _, ok := op.Responses[status]; !ok {
					t.Errorf("responses[%s] is missing", status)
				}
			}
			for status, resp := range op.Responses {
				if h, ok := doc.header(t, resp, "X-Request-Id"); !ok || !h.Required {
					t.Errorf("responses[%s] X-Request-Id: declared %v, required %v; want both", status, ok, h.Required)
				}
			}
			var success []string
			for status := range op.Responses {
				if strings.HasPrefix(status, "2") {
					success = append(success, status)
				}
			}
			if len(success) != 1 {
				t.Errorf("success responses = %v, want exactly one", success)
			}
		})
	}
}

// TestEverySpecOperationRouted checks the other direction: openapi.yaml describes nothing the
// route table does not serve.
func TestEverySpecOperationRouted(t *testing.T) {
	doc := load(t)
	routed := map[string]bool{}
	for _, r := range httpapi.Routes {
		routed[r.Method+" "+r.Pattern] = true
	}
	for path, item := range doc.Paths {
		for method := range item.Operations {
			key := strings.ToUpper(method) + " " + path
			if !routed[key] {
				t.Errorf("openapi.yaml has %s, which httpapi.Routes does not serve", key)
			}
		}
	}
}

// TestWriteOperationsTakeTheirHeaders checks the extension headers of docs/api.md: If-Match on PUT and
// DELETE of a customer, Idempotency-Key on POST /v1/orders, and the PUT media types.
func TestWriteOperationsTakeTheirHeaders(t *testing.T) {
	doc := load(t)
	tests := []struct {
		method, path, header string
	}{
		{"put", "/v1/customers/{customerId}", "If-Match"},
		{"delete", "/v1/customers/{customerId}", "If-Match"},
		{"post", "/v1/orders", "Idempotency-Key"},
		{"post", "/v1/orders/{orderId}/cancel", "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			item := doc.Paths[tt.path]
			op, ok := item.Operations[tt.method]
			if !ok {
				t.Fatalf("%s %s is missing", tt.method, tt.path)
			}
			p, ok := hasParam(doc.params(t, item, op), "header", tt.header)
			if !ok || p.Required {
				t.Errorf("%s header: present %v, required %v; want present and optional", tt.header, ok, p.Required)
			}
		})
	}
	put := doc.Paths["/v1/customers/{customerId}"].Operations["put"]
	if put.RequestBody == nil {
		t.Fatal("PUT /v1/customers/{customerId} has no requestBody")
	}
	var got []string
	for mt := range put.RequestBody.Content {
		got = append(got, mt)
	}
	slices.Sort(got)
	want := []string{"application/json", "application/merge-patch+json"}
	if !slices.Equal(got, want) {
		t.Errorf("PUT media types = %v, want %v", got, want)
	}
}

// TestResponseHeaders checks the headers httpapi sets on some responses: ETag on every customer
// response, Location on a created order, Idempotent-Replayed (optional) where a replay can
// happen, Retry-After on 503 and Allow on 405.
func TestResponseHeaders(t *testing.T) {
	doc := load(t)
	tests := []struct {
		method, path, status, header string
		required                     bool
	}{
		{"get", "/v1/customers/{customerId}", "200", "ETag", true},
		{"put", "/v1/customers/{customerId}", "200", "ETag", true},
		{"delete", "/v1/customers/{customerId}", "200", "ETag", true},
		{"post", "/v1/orders", "201", "Location", true},
		{"post", "/v1/orders", "201", "Idempotent-Replayed", false},
		{"post", "/v1/orders/{orderId}/cancel", "200", "Idempotent-Replayed", false},
		{"get", "/v1/customers", "503", "Retry-After", true},
		{"post", "/v1/orders", "503", "Retry-After", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.status+" "+tt.header, func(t *testing.T) {
			resp, ok := doc.Paths[tt.path].Operations[tt.method].Responses[tt.status]
			if !ok {
				t.Fatalf("no %s response", tt.status)
			}
			h, ok := doc.header(t, resp, tt.header)
			if !ok || h.Required != tt.required {
				t.Errorf("declared %v, required %v; want declared, required %v", ok, h.Required, tt.required)
			}
		})
	}
	if h, ok := doc.header(t, doc.Components.Responses["MethodNotAllowed"], "Allow"); !ok || !h.Required {
		t.Errorf("MethodNotAllowed Allow: declared %v, required %v; want both", ok, h.Required)
	}
}

// TestIDPatterns checks the id patterns of openapi.yaml against the service's own rule
// (customer.ValidID, order.ValidID), and that the path parameters leave them out, so that
// fuzzers also send ids of other forms (404).
func TestIDPatterns(t *testing.T) {
	doc := load(t)
	now := time.Now()
	tests := []struct {
		name  string
		re    string
		valid func(string) bool
		ids   []string
	}{
		{"CustomerId", doc.Components.Schemas["CustomerId"].Pattern, customer.ValidID, []string{
			customer.NewID(now), "cust_" + customer.NewULID(now.Add(time.Hour)), "cust_7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
			"cust_8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "cust_01ARZ3NDEKTSV4RRFFQ69G5FAI", "cust_01arz3ndektsv4rrffq69g5fav",
			"cust_01ARZ3NDEKTSV4RRFFQ69G5FA", "ord_01ARZ3NDEKTSV4RRFFQ69G5FAV", "cust_", "",
		}},
		{"OrderId", doc.Components.Schemas["OrderId"].Pattern, order.ValidID, []string{
			order.NewID(now), "ord_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "ord_8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
			"ord_01ARZ3NDEKTSV4RRFFQ69G5FAVX", "ord_01ARZ3NDEKTSV4RRFFQ69G5FAL", "cust_01ARZ3NDEKTSV4RRFFQ69G5FAV",
		}},
		{"Location", strings.Replace(doc.Components.Headers["Location"].Schema.Pattern, "/v1/orders/", "", 1), order.ValidID, []string{
			order.NewID(now), "ord_8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "/v1/orders/" + order.NewID(now),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := regexp.Compile(tt.re)
			if err != nil {
				t.Fatalf("pattern %q: %v", tt.re, err)
			}
			for _, id := range tt.ids {
				if got, want := re.MatchString(id), tt.valid(id); got != want {
					t.Errorf("pattern %q matches %q: %v, want %v (the service's rule)", tt.re, id, got, want)
				}
			}
		})
	}
	for _, name := range []string{"CustomerID", "OrderID"} {
		if p := doc.Components.Parameters[name]; p.Schema.Pattern != "" {
			t.Errorf("parameter %s has pattern %q; want none, so that other ids are tried (404)", name, p.Schema.Pattern)
		}
	}
}

// TestStringPatterns checks the string patterns of openapi.yaml against the service's parsers
// on values whose treatment does not depend on the regular expression dialect (Go's \s is ASCII
// only, ECMA 262's and Python's are Unicode): a value the schema accepts must be accepted by the
// parser, and one the parser accepts untrimmed must match the pattern; so control characters and
// blank values are refused by both.
func TestStringPatterns(t *testing.T) {
	doc := load(t)
	values := []string{
		"Ada", " Ada ", "Ada Lovelace", "a\tb", "a\nb", "a\r\nb", "\tAda\n", "a\x00b", "a\x1bb",
		"a\x7fb", "a\u0085b", "a\u009fb", "a\u00a0b", "Zoë", "東京", "", " ", "\t\n", "a\vb", "a\fb",
		"123", "-", "1 ext. 2", "+31 6 1234 5678 ext. 12", "Ann\u202e", "\u2066x\u2069", "a\u202ab", "\u200fx",
		"O'Brien-2", "x\u0301",
	}
	required := func(v *fault.ValidationError, path string, raw any) (string, bool) {
		return customer.ParseString(v, path, raw, 1, customer.MaxAddressFieldLen)
	}
	contactName := func(v *fault.ValidationError, path string, raw any) (string, bool) {
		a, ok := customer.ParseAddress(v, path, map[string]any{"contactName": raw, "streetAddress": "s", "city": "c", "country": "x"}, customer.Lenient)
		return a.ContactName, ok
	}
	phone := func(v *fault.ValidationError, path string, raw any) (string, bool) {
		s, ok := customer.ParsePhone(v, path, raw)
		return s, ok && s != "" // blank is PhoneUpdate's, not a phone
	}
	tests := []struct {
		schema string
		parse  func(*fault.ValidationError, string, any) (string, bool)
	}{
		{"Name", customer.ParseName},
		{"ContactName", contactName},
		{"Text200", required},
		{"OptionalText200", customer.ParseCompany},
		{"Phone", phone},
		{"PhoneUpdate", customer.ParsePhone},
		{"Text1000", func(v *fault.ValidationError, path string, raw any) (string, bool) {
			return customer.ParseText(v, path, raw, 1, order.MaxReasonLen)
		}},
		{"Text5000", func(v *fault.ValidationError, path string, raw any) (string, bool) {
			return customer.ParseText(v, path, raw, 1, order.MaxNotesLen)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			sc, ok := doc.Components.Schemas[tt.schema]
			if !ok || sc.Pattern == "" {
				t.Fatalf("schema %s: present %v, pattern %q; want a pattern", tt.schema, ok, sc.Pattern)
			}
			re, err := regexp.Compile(sc.Pattern)
			if err != nil {
				t.Fatalf("pattern %q: %v", sc.Pattern, err)
			}
			for _, s := range values {
				var v fault.ValidationError
				_, parsed := tt.parse(&v, "f", s)
				got := re.MatchString(s)
				// Never more permissive than the parser; as permissive on values that need no
				// trimming (the schema cannot say that surrounding white space is trimmed).
				if got && !parsed || !got && parsed && s == strings.TrimSpace(s) {
					t.Errorf("pattern matches %q: %v, want %v (the parser: %v)", s, got, parsed, v.Fields)
				}
			}
		})
	}
}

// node is a YAML value of openapi.yaml read generically, for the schema walks below.
type node = map[string]any

func loadRaw(t *testing.T) node {
	t.Helper()
	raw, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatalf("read spec: %v", err)
	}
	var doc node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", specPath, err)
	}
	return doc
}

// lookup follows a local reference (#/components/...) in doc.
func lookup(t *testing.T, doc node, ref string) node {
	t.Helper()
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(node)
		if !ok {
			t.Fatalf("reference %s: %s is not an object", ref, part)
		}
		cur = m[part]
	}
	m, ok := cur.(node)
	if !ok {
		t.Fatalf("reference %s resolves to nothing", ref)
	}
	return m
}

// alternatives returns the bodies an error response's schema allows, each as the list of the
// schemas it must match at once (allOf flattened, oneOf/anyOf split, references followed).
func alternatives(t *testing.T, doc, schema node) [][]node {
	t.Helper()
	if ref, ok := schema["$ref"].(string); ok {
		return alternatives(t, doc, lookup(t, doc, ref))
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if list, ok := schema[key].([]any); ok {
			var out [][]node
			for _, sub := range list {
				out = append(out, alternatives(t, doc, sub.(node))...)
			}
			return out
		}
	}
	out := [][]node{{schema}}
	if list, ok := schema["allOf"].([]any); ok {
		for _, sub := range list {
			var next [][]node
			for _, prefix := range out {
				for _, alt := range alternatives(t, doc, sub.(node)) {
					next = append(next, append(slices.Clone(prefix), alt...))
				}
			}
			out = next
		}
	}
	return out
}

// errorCodes returns the codes a body matching every schema of alt may carry (the intersection
// of their error.code enums, each resolved), and whether that body must have details.
func errorCodes(t *testing.T, doc node, alt []node) (codes []string, details bool) {
	t.Helper()
	var sets [][]string
	for _, sc := range alt {
		props, _ := sc["properties"].(node)
		errObj, _ := props["error"].(node)
		if errObj == nil {
			continue
		}
		if req, ok := errObj["required"].([]any); ok && slices.Contains(req, any("details")) {
			details = true
		}
		errProps, _ := errObj["properties"].(node)
		code, _ := errProps["code"].(node)
		if code == nil {
			continue
		}
		if ref, ok := code["$ref"].(string); ok {
			code = lookup(t, doc, ref)
		}
		var set []string
		for _, c := range code["enum"].([]any) {
			set = append(set, c.(string))
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		t.Fatalf("an error body allows any code: %v", alt)
	}
	codes = sets[0]
	for _, set := range sets[1:] {
		codes = slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return !slices.Contains(set, c) })
	}
	return codes, details
}

// tableCodes maps each code of fault's table to its status.
func tableCodes() map[string]int {
	out := map[string]int{}
	for _, k := range fault.Kinds() {
		out[k.Code()] = k.Status()
	}
	return out
}

// TestErrorCodesAreTheTable: the spec's code enum is exactly the codes of fault's one table.
func TestErrorCodesAreTheTable(t *testing.T) {
	doc := loadRaw(t)
	var got []string
	for _, c := range lookup(t, doc, "#/components/schemas/ErrorCode")["enum"].([]any) {
		got = append(got, c.(string))
	}
	var want []string
	for c := range tableCodes() {
		want = append(want, c)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ErrorCode enum = %v, want fault's table's codes %v", got, want)
	}
	codes := lookup(t, doc, "#/components/schemas/FieldError")["properties"].(node)["code"].(node)["enum"].([]any)
	var issues []string
	for _, c := range codes {
		issues = append(issues, c.(string))
	}
	var wantIssues []string
	for _, c := range fault.IssueCodes {
		wantIssues = append(wantIssues, string(c))
	}
	if !slices.Equal(issues, wantIssues) {
		t.Errorf("FieldError code enum = %v, want %v", issues, wantIssues)
	}
}

// TestErrorResponsesNarrowToTheirStatus: every error response of every operation allows only
// codes that fault's table gives its status, details exactly with VALIDATION_ERROR, and the
// operations that read a body or a query answer VALIDATION_ERROR at 400.
func TestErrorResponsesNarrowToTheirStatus(t *testing.T) {
	doc := loadRaw(t)
	table := tableCodes()
	seen := map[string]bool{}
	check := func(where, status string, resp node) {
		if ref, ok := resp["$ref"].(string); ok {
			resp = lookup(t, doc, ref)
		}
		content, _ := resp["content"].(node)
		media, _ := content["application/json"].(node)
		schema, _ := media["schema"].(node)
		if schema == nil {
			t.Errorf("%s %s: no application/json schema", where, status)
			return
		}
		for _, alt := range alternatives(t, doc, schema) {
			codes, details := errorCodes(t, doc, alt)
			if len(codes) == 0 {
				t.Errorf("%s %s: an alternative allows no code", where, status)
			}
			for _, c := range codes {
				seen[c] = true
				got, ok := table[c]
				if status == "" {
					// A shared response: used under one status, whichever it is.
					status = strconv.Itoa(got)
				}
				if !ok || strconv.Itoa(got) != status {
					t.Errorf("%s %s allows %s, which fault's table answers with %d", where, status, c, got)
				}
				if details != (c == "VALIDATION_ERROR") {
					t.Errorf("%s %s: %s with details required %v, want %v", where, status, c, details, c == "VALIDATION_ERROR")
				}
			}
		}
	}
	for path, item := range doc["paths"].(node) {
		for method, op := range item.(node) {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			var at400 []string
			for status, resp := range op.(node)["responses"].(node) {
				if status >= "400" {
					check(where, status, resp.(node))
				}
				if status == "400" {
					r := resp.(node)
					if ref, ok := r["$ref"].(string); ok {
						r = lookup(t, doc, ref)
					}
					for _, alt := range alternatives(t, doc, r["content"].(node)["application/json"].(node)["schema"].(node)) {
						codes, _ := errorCodes(t, doc, alt)
						at400 = append(at400, codes...)
					}
				}
			}
			_, hasBody := op.(node)["requestBody"]
			if reads := hasBody || method == "get" && !strings.Contains(path, "{"); reads != slices.Contains(at400, "VALIDATION_ERROR") {
				t.Errorf("%s: 400 allows %v; VALIDATION_ERROR wanted exactly when it reads a body or a query (%v)", where, at400, reads)
			}
		}
	}
	for name, resp := range doc["components"].(node)["responses"].(node) {
		check("components/responses/"+name, "", resp.(node))
	}
	for c := range table {
		if !seen[c] {
			t.Errorf("no error response of the spec allows %s", c)
		}
	}
}
