package lambdafn

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/samtemplate"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// root is the repository root, relative to this package.
const root = "../.."

// notFoundID is the logical id of the $default route's function.
const notFoundID = "NotFoundFunction"

// eventFunction is a function that no HTTP route serves: a queue or stream consumer.
type eventFunction struct {
	name      string // folder under functions/; logicalID(name) in template.yaml
	eventType string // the Type of its one event in template.yaml
}

// eventFunctions are every event-driven function. Each must be in template.yaml with exactly one
// event, of its type, and in mk/lambda.mk, and its main must call lambdafn.ServeEvents; a
// function in the template that is neither a route nor listed here is an error.
var eventFunctions = []eventFunction{
	{"crm-sync", "SQS"},
	{"change-events", "DynamoDB"},
	{"rental-events", "SQS"},
}

// logicalID returns the logical id of route name's function: "update-customer" →
// "UpdateCustomerFunction".
func logicalID(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Function"
}

// checkRoutes returns every way in which the template's functions and their events differ from
// routes and eventFns: a route without its function or HttpApi event, an event function without
// its function or with other events than one of its type, a function that is neither.
func checkRoutes(tmpl samtemplate.Node, routes []httpapi.Route, eventFns []eventFunction) []string {
	var problems []string
	resources := tmpl.Get("Resources")
	if resources.Node == nil {
		return []string{"template has no Resources"}
	}
	byID := map[string]httpapi.Route{}
	for _, r := range routes {
		id := logicalID(r.Name)
		byID[id] = r
		fn := resources.Get(id)
		if fn.Node == nil {
			problems = append(problems, fmt.Sprintf("route %s (%s %s): no resource %s", r.Name, r.Method, r.Pattern, id))
			continue
		}
		if got := fn.Get("Type").Str(); got != "AWS::Serverless::Function" {
			problems = append(problems, fmt.Sprintf("%s: Type %q, want AWS::Serverless::Function", id, got))
		}
		if got := fn.Path("Metadata", "BuildMethod").Str(); got != "makefile" {
			problems = append(problems, fmt.Sprintf("%s: Metadata.BuildMethod %q, want makefile", id, got))
		}
		_, events := fn.Path("Properties", "Events").Entries()
		var apiEvents []samtemplate.Node
		for _, ev := range events {
			if ev.Get("Type").Str() == "HttpApi" {
				apiEvents = append(apiEvents, ev)
			}
		}
		if len(apiEvents) != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d HttpApi events, want 1 (%s %s)", id, len(apiEvents), r.Method, r.Pattern))
			continue
		}
		props := apiEvents[0].Get("Properties")
		method, path := props.Get("Method").Str(), props.Get("Path").Str()
		if !strings.EqualFold(method, r.Method) || path != r.Pattern {
			problems = append(problems, fmt.Sprintf("%s: HttpApi event %s %s, want %s %s", id, method, path, r.Method, r.Pattern))
		}
		if api := props.Get("ApiId"); api.Tag != "!Ref" || api.Value != "HttpApi" {
			problems = append(problems, fmt.Sprintf("%s: HttpApi event ApiId is not !Ref HttpApi", id))
		}
	}

	ids, values := resources.Entries()
	for i, id := range ids {
		if values[i].Get("Type").Str() != "AWS::Serverless::Function" {
			continue
		}
		_, events := values[i].Path("Properties", "Events").Entries()
		if id == notFoundID {
			// The $default route: an HttpApi event with neither Method nor Path.
			if len(events) != 1 || events[0].Get("Type").Str() != "HttpApi" ||
				events[0].Path("Properties", "Method").Node != nil || events[0].Path("Properties", "Path").Node != nil {
				problems = append(problems, fmt.Sprintf("%s: want exactly one HttpApi event without Method and Path ($default)", id))
			}
			continue
		}
		if _, ok := byID[id]; ok {
			continue
		}
		k := slices.IndexFunc(eventFns, func(f eventFunction) bool { return logicalID(f.name) == id })
		if k < 0 {
			problems = append(problems, fmt.Sprintf("function %s has no route in httpapi.Routes and is not an event function", id))
			continue
		}
		if len(events) != 1 || events[0].Get("Type").Str() != eventFns[k].eventType {
			var types []string
			for _, ev := range events {
				types = append(types, ev.Get("Type").Str())
			}
			problems = append(problems, fmt.Sprintf("%s: events of types %v, want exactly one %s event", id, types, eventFns[k].eventType))
		}
		if got := values[i].Path("Metadata", "BuildMethod").Str(); got != "makefile" {
			problems = append(problems, fmt.Sprintf("%s: Metadata.BuildMethod %q, want makefile", id, got))
		}
	}
	for _, f := range eventFns {
		id := logicalID(f.name)
		if resources.Get(id).Get("Type").Str() != "AWS::Serverless::Function" {
			problems = append(problems, fmt.Sprintf("event function %s: no AWS::Serverless::Function %s", f.name, id))
		}
	}
	return problems
}

// checkWiring returns every route or event function whose folder, main or Make target does not
// serve it, and every folder under functions/ that is neither.
func checkWiring(routes []httpapi.Route, eventFns []eventFunction, functionsDir, makefile string) []string {
	var problems []string
	mk, err := os.ReadFile(makefile)
	if err != nil {
		return []string{err.Error()}
	}
	want := map[string]string{"not-found": "lambdafn.ServeNotFound()"}
	for _, r := range routes {
		want[r.Name] = fmt.Sprintf("lambdafn.Serve(%q)", r.Name)
	}
	for _, f := range eventFns {
		want[f.name] = fmt.Sprintf("lambdafn.ServeEvents(%q", f.name)
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
			problems = append(problems, fmt.Sprintf("functions/%s is not a route of httpapi.Routes nor an event function", d.Name()))
		}
	}
	slices.Sort(problems)
	return problems
}

func readTemplate(t *testing.T) samtemplate.Node {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := samtemplate.Parse(src)
	if err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	return tmpl
}

func TestTemplateMatchesRoutes(t *testing.T) {
	tmpl := readTemplate(t)
	for _, p := range checkRoutes(tmpl, httpapi.Routes, eventFunctions) {
		t.Error(p)
	}
	for _, p := range checkWiring(httpapi.Routes, eventFunctions, filepath.Join(root, "functions"), filepath.Join(root, "mk", "lambda.mk")) {
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
	extraEvents := append(slices.Clone(eventFunctions), eventFunction{"crm-export", "Schedule"})
	tests := []struct {
		name     string
		edit     func(string) string
		routes   []httpapi.Route
		eventFns []eventFunction
		want     string
	}{
		{"route without function", nil, extra, eventFunctions, "no resource MergeCustomersFunction"},
		{"function without route", nil, httpapi.Routes[1:], eventFunctions, "function ListCustomersFunction has no route"},
		{"wrong method", func(s string) string {
			return strings.Replace(s, "Method: PUT", "Method: PATCH", 1)
		}, httpapi.Routes, eventFunctions, "HttpApi event PATCH /v1/customers/{customerId}, want PUT"},
		{"wrong path", func(s string) string {
			return strings.Replace(s, "Path: /v1/orders/{orderId}/cancel", "Path: /v1/orders/{id}/cancel", 1)
		}, httpapi.Routes, eventFunctions, "want POST /v1/orders/{orderId}/cancel"},
		{"event function without function", nil, httpapi.Routes, extraEvents, "event function crm-export: no AWS::Serverless::Function CrmExportFunction"},
		{"undeclared event function", nil, httpapi.Routes, eventFunctions[:1], "function ChangeEventsFunction has no route in httpapi.Routes and is not an event function"},
		{"event of another type", func(s string) string {
			return strings.Replace(s, "Type: DynamoDB", "Type: Kinesis", 1)
		}, httpapi.Routes, eventFunctions, "ChangeEventsFunction: events of types [Kinesis], want exactly one DynamoDB event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := string(src)
			if tt.edit != nil {
				s = tt.edit(s)
			}
			tmpl, err := samtemplate.Parse([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			got := checkRoutes(tmpl, tt.routes, tt.eventFns)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("checkRoutes = %q, want a problem containing %q", got, tt.want)
			}
		})
	}
}

// TestTemplateTable checks that the template's table is the one the store creates
// (dynamosetup.TableDefinition), with the settings only a deployment has.
func TestTemplateTable(t *testing.T) {
	table := readTemplate(t).Path("Resources", "Table", "Properties")
	def := dynamosetup.TableDefinition("t")

	var gotAttrs, wantAttrs []string
	for _, a := range table.Get("AttributeDefinitions").Items() {
		gotAttrs = append(gotAttrs, a.Get("AttributeName").Str()+":"+a.Get("AttributeType").Str())
	}
	for _, a := range def.AttributeDefinitions {
		wantAttrs = append(wantAttrs, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	slices.Sort(gotAttrs)
	slices.Sort(wantAttrs)
	if !slices.Equal(gotAttrs, wantAttrs) {
		t.Errorf("AttributeDefinitions = %v, want %v", gotAttrs, wantAttrs)
	}

	keys := func(n samtemplate.Node) []string {
		var out []string
		for _, k := range n.Items() {
			out = append(out, k.Get("AttributeName").Str()+":"+k.Get("KeyType").Str())
		}
		return out
	}
	var wantKeys []string
	for _, k := range def.KeySchema {
		wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	if got := keys(table.Get("KeySchema")); !slices.Equal(got, wantKeys) {
		t.Errorf("KeySchema = %v, want %v", got, wantKeys)
	}

	gsis := table.Get("GlobalSecondaryIndexes").Items()
	if len(gsis) != len(def.GlobalSecondaryIndexes) {
		t.Fatalf("%d GlobalSecondaryIndexes, want %d", len(gsis), len(def.GlobalSecondaryIndexes))
	}
	for i, want := range def.GlobalSecondaryIndexes {
		got := gsis[i]
		if name := got.Get("IndexName").Str(); name != aws.ToString(want.IndexName) {
			t.Errorf("GSI %d IndexName = %q, want %q", i, name, aws.ToString(want.IndexName))
		}
		var wantKeys []string
		for _, k := range want.KeySchema {
			wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		if got := keys(got.Get("KeySchema")); !slices.Equal(got, wantKeys) {
			t.Errorf("GSI %d KeySchema = %v, want %v", i, got, wantKeys)
		}
		if p := got.Path("Projection", "ProjectionType").Str(); p != string(want.Projection.ProjectionType) {
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
		if got := table.Path(s.path...).Str(); got != s.want {
			t.Errorf("Table %s = %q, want %q", strings.Join(s.path, "."), got, s.want)
		}
	}
}

// TestTemplatePolicies checks the shape of each function's permissions: only the table and its
// indexes, the key lookup (GetItem) for every route, nothing for not-found. Which actions each
// route really needs is checked by the end-to-end test, which records every request.
func TestTemplatePolicies(t *testing.T) {
	tmpl := readTemplate(t)
	def := dynamosetup.TableDefinition("t")
	for _, r := range httpapi.Routes {
		id := logicalID(r.Name)
		allowed := tmpl.Allowed(id)
		if !slices.Contains(allowed[samtemplate.TableArn], "dynamodb:GetItem") {
			t.Errorf("%s: actions on the table = %v, want dynamodb:GetItem among them (API key lookup)", id, allowed[samtemplate.TableArn])
		}
		for res, actions := range allowed {
			if res == secretRef && r.Pages || res == tenantRoleRef {
				continue // TestTemplateCursorSecret, TestTemplateTenantIsolation
			}
			if res != samtemplate.TableArn && !slices.ContainsFunc(def.GlobalSecondaryIndexes, func(ix types.GlobalSecondaryIndex) bool {
				return res == samtemplate.IndexArnOf(aws.ToString(ix.IndexName))
			}) {
				t.Errorf("%s: allows %v on %s, want only the table and its indexes", id, actions, res)
			}
			for _, a := range actions {
				if !strings.HasPrefix(a, "dynamodb:") || strings.Contains(a, "*") {
					t.Errorf("%s: allows %q, want named dynamodb actions only", id, a)
				}
			}
		}
	}
	if got := tmpl.Allowed(notFoundID); len(got) != 0 {
		t.Errorf("%s: allows %v, want nothing", notFoundID, got)
	}
}
