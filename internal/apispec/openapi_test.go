package apispec

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
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
	Responses map[string]any `yaml:"responses"`
}

type parameter struct {
	Ref      string `yaml:"$ref"`
	Name     string `yaml:"name"`
	In       string `yaml:"in"`
	Required bool   `yaml:"required"`
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
			want := []string{"400", "401", "403", "500", "503"}
			if len(wantPath) > 0 {
				want = append(want, "404")
			}
			if op.RequestBody != nil {
				want = append(want, "413", "415", "422")
			}
			for _, status := range want {
				if _, ok := op.Responses[status]; !ok {
					t.Errorf("responses[%s] is missing", status)
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

// TestWriteOperationsTakeTheirHeaders checks the extension headers of API.md: If-Match on PUT and
// DELETE of a customer, Idempotency-Key on POST /v1/orders, and the PUT media types.
func TestWriteOperationsTakeTheirHeaders(t *testing.T) {
	doc := load(t)
	tests := []struct {
		method, path, header string
	}{
		{"put", "/v1/customers/{customerId}", "If-Match"},
		{"delete", "/v1/customers/{customerId}", "If-Match"},
		{"post", "/v1/orders", "Idempotency-Key"},
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
