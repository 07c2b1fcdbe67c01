package lambdafn

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gopkg.in/yaml.v3"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// root is the repository root, relative to this package.
const root = "../.."

// notFoundID is the logical id of the $default route's function.
const notFoundID = "NotFoundFunction"

// logicalID returns the logical id of route name's function: "update-customer" →
// "UpdateCustomerFunction".
func logicalID(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Function"
}

// node is a YAML node of template.yaml. CloudFormation's short forms (!Ref, !Sub, !GetAtt, !If)
// are YAML tags, which yaml.Node keeps in Tag instead of failing on them.
type node struct{ *yaml.Node }

// get returns the value of key in a mapping node, or a zero node.
func (n node) get(key string) node {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return node{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return node{n.Content[i+1]}
		}
	}
	return node{}
}

// path follows keys from n.
func (n node) path(keys ...string) node {
	for _, k := range keys {
		n = n.get(k)
	}
	return n
}

// str returns a scalar's value, or "".
func (n node) str() string {
	if n.Node == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// entries returns the keys and values of a mapping node in order.
func (n node) entries() (keys []string, values []node) {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
		values = append(values, node{n.Content[i+1]})
	}
	return keys, values
}

// items returns the elements of a sequence node.
func (n node) items() []node {
	if n.Node == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]node, len(n.Content))
	for i, c := range n.Content {
		out[i] = node{c}
	}
	return out
}

func parseTemplate(src []byte) (node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return node{}, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return node{}, fmt.Errorf("template is not one YAML document")
	}
	return node{doc.Content[0]}, nil
}

// checkRoutes returns every way in which the template's functions and HttpApi events differ from
// routes: a route without its function or event, a function or event without its route.
func checkRoutes(tmpl node, routes []httpapi.Route) []string {
	var problems []string
	resources := tmpl.get("Resources")
	if resources.Node == nil {
		return []string{"template has no Resources"}
	}
	byID := map[string]httpapi.Route{}
	for _, r := range routes {
		id := logicalID(r.Name)
		byID[id] = r
		fn := resources.get(id)
		if fn.Node == nil {
			problems = append(problems, fmt.Sprintf("route %s (%s %s): no resource %s", r.Name, r.Method, r.Pattern, id))
			continue
		}
		if got := fn.get("Type").str(); got != "AWS::Serverless::Function" {
			problems = append(problems, fmt.Sprintf("%s: Type %q, want AWS::Serverless::Function", id, got))
		}
		if got := fn.path("Metadata", "BuildMethod").str(); got != "makefile" {
			problems = append(problems, fmt.Sprintf("%s: Metadata.BuildMethod %q, want makefile", id, got))
		}
		_, events := fn.path("Properties", "Events").entries()
		var apiEvents []node
		for _, ev := range events {
			if ev.get("Type").str() == "HttpApi" {
				apiEvents = append(apiEvents, ev)
			}
		}
		if len(apiEvents) != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d HttpApi events, want 1 (%s %s)", id, len(apiEvents), r.Method, r.Pattern))
			continue
		}
		props := apiEvents[0].get("Properties")
		method, path := props.get("Method").str(), props.get("Path").str()
		if !strings.EqualFold(method, r.Method) || path != r.Pattern {
			problems = append(problems, fmt.Sprintf("%s: HttpApi event %s %s, want %s %s", id, method, path, r.Method, r.Pattern))
		}
		if api := props.get("ApiId"); api.Tag != "!Ref" || api.Value != "HttpApi" {
			problems = append(problems, fmt.Sprintf("%s: HttpApi event ApiId is not !Ref HttpApi", id))
		}
	}

	ids, values := resources.entries()
	for i, id := range ids {
		if values[i].get("Type").str() != "AWS::Serverless::Function" {
			continue
		}
		_, events := values[i].path("Properties", "Events").entries()
		if id == notFoundID {
			// The $default route: an HttpApi event with neither Method nor Path.
			if len(events) != 1 || events[0].get("Type").str() != "HttpApi" ||
				events[0].path("Properties", "Method").Node != nil || events[0].path("Properties", "Path").Node != nil {
				problems = append(problems, fmt.Sprintf("%s: want exactly one HttpApi event without Method and Path ($default)", id))
			}
			continue
		}
		if _, ok := byID[id]; !ok {
			problems = append(problems, fmt.Sprintf("function %s has no route in httpapi.Routes", id))
		}
	}
	return problems
}

// checkWiring returns every route whose folder, main or Make target does not serve it, and every
// folder under functions/ that is not a route.
func checkWiring(routes []httpapi.Route, functionsDir, makefile string) []string {
	var problems []string
	mk, err := os.ReadFile(makefile)
	if err != nil {
		return []string{err.Error()}
	}
	want := map[string]string{"not-found": "lambdafn.ServeNotFound()"}
	for _, r := range routes {
		want[r.Name] = fmt.Sprintf("lambdafn.Serve(%q)", r.Name)
	}
	for name, call := range want {
		id := notFoundID
		if name != "not-found" {
			id = logicalID(name)
		}
		src, err := os.ReadFile(filepath.Join(functionsDir, name, "main.go"))
		if err != nil {
			problems = append(problems, fmt.Sprintf("function %s: %v", name, err))
		} else if !strings.Contains(string(src), call) {
			problems = append(problems, fmt.Sprintf("functions/%s/main.go does not call %s", name, call))
		}
		if !strings.Contains(string(mk), id+":"+name) {
			problems = append(problems, fmt.Sprintf("%s: no %s:%s in LAMBDA_FUNCTIONS", makefile, id, name))
		}
	}
	dirs, err := os.ReadDir(functionsDir)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, d := range dirs {
		if _, ok := want[d.Name()]; d.IsDir() && !ok {
			problems = append(problems, fmt.Sprintf("functions/%s is not a route of httpapi.Routes", d.Name()))
		}
	}
	slices.Sort(problems)
	return problems
}

func readTemplate(t *testing.T) node {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := parseTemplate(src)
	if err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	return tmpl
}

func TestTemplateMatchesRoutes(t *testing.T) {
	tmpl := readTemplate(t)
	for _, p := range checkRoutes(tmpl, httpapi.Routes) {
		t.Error(p)
	}
	for _, p := range checkWiring(httpapi.Routes, filepath.Join(root, "functions"), filepath.Join(root, "mk", "lambda.mk")) {
		t.Error(p)
	}
}

// TestCheckRoutesFindsDrift makes sure the check above can fail: each edit of the real template
// or route table must be reported.
func TestCheckRoutesFindsDrift(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	extra := append(slices.Clone(httpapi.Routes), httpapi.Route{Name: "merge-customers", Method: "POST", Pattern: "/v1/customers/merge"})
	tests := []struct {
		name   string
		edit   func(string) string
		routes []httpapi.Route
		want   string
	}{
		{"route without function", nil, extra, "no resource MergeCustomersFunction"},
		{"function without route", nil, httpapi.Routes[1:], "function ListCustomersFunction has no route"},
		{"wrong method", func(s string) string {
			return strings.Replace(s, "Method: PUT", "Method: PATCH", 1)
		}, httpapi.Routes, "HttpApi event PATCH /v1/customers/{customerId}, want PUT"},
		{"wrong path", func(s string) string {
			return strings.Replace(s, "Path: /v1/orders/{orderId}/cancel", "Path: /v1/orders/{id}/cancel", 1)
		}, httpapi.Routes, "want POST /v1/orders/{orderId}/cancel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := string(src)
			if tt.edit != nil {
				s = tt.edit(s)
			}
			tmpl, err := parseTemplate([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			got := checkRoutes(tmpl, tt.routes)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("checkRoutes = %q, want a problem containing %q", got, tt.want)
			}
		})
	}
}

// TestTemplateTable checks that the template's table is the one the store creates
// (dynamo.TableDefinition), with the settings only a deployment has.
func TestTemplateTable(t *testing.T) {
	table := readTemplate(t).path("Resources", "Table", "Properties")
	def := dynamo.TableDefinition("t")

	var gotAttrs, wantAttrs []string
	for _, a := range table.get("AttributeDefinitions").items() {
		gotAttrs = append(gotAttrs, a.get("AttributeName").str()+":"+a.get("AttributeType").str())
	}
	for _, a := range def.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	slices.Sort(gotAttrs)
	slices.Sort(wantAttrs)
	if !slices.Equal(gotAttrs, wantAttrs) {
		t.Errorf("AttributeDefinitions = %v, want %v", gotAttrs, wantAttrs)
	}

	keys := func(n node) []string {
		var out []string
		for _, k := range n.items() {
			out = append(out, k.get("AttributeName").str()+":"+k.get("KeyType").str())
		}
		return out
	}
	var wantKeys []string
	for _, k := range def.KeySchema {
		wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	if got := keys(table.get("KeySchema")); !slices.Equal(got, wantKeys) {
		t.Errorf("KeySchema = %v, want %v", got, wantKeys)
	}

	gsis := table.get("GlobalSecondaryIndexes").items()
	if len(gsis) != len(def.GlobalSecondaryIndexes) {
		t.Fatalf("%d GlobalSecondaryIndexes, want %d", len(gsis), len(def.GlobalSecondaryIndexes))
	}
	for i, want := range def.GlobalSecondaryIndexes {
		got := gsis[i]
		if name := got.get("IndexName").str(); name != aws.ToString(want.IndexName) {
			t.Errorf("GSI %d IndexName = %q, want %q", i, name, aws.ToString(want.IndexName))
		}
		var wantKeys []string
		for _, k := range want.KeySchema {
			wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		if got := keys(got.get("KeySchema")); !slices.Equal(got, wantKeys) {
			t.Errorf("GSI %d KeySchema = %v, want %v", i, got, wantKeys)
		}
		if p := got.path("Projection", "ProjectionType").str(); p != string(want.Projection.ProjectionType) {
			t.Errorf("GSI %d ProjectionType = %q, want %q", i, p, want.Projection.ProjectionType)
		}
	}

	scalars := []struct {
		path []string
		want string
	}{
		{[]string{"BillingMode"}, string(def.BillingMode)},
		{[]string{"StreamSpecification", "StreamViewType"}, string(def.StreamSpecification.StreamViewType)},
		{[]string{"TimeToLiveSpecification", "AttributeName"}, dynamo.AttrExpires},
		{[]string{"TimeToLiveSpecification", "Enabled"}, "true"},
		{[]string{"PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"}, "true"},
	}
	for _, s := range scalars {
		if got := table.path(s.path...).str(); got != s.want {
			t.Errorf("Table %s = %q, want %q", strings.Join(s.path, "."), got, s.want)
		}
	}
}
