package lambdafn

import (
	"slices"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// TestTemplateTracing checks that tracing is a parameter, off by default: the functions get
// TRACING=xray and X-Ray active tracing only when it is on, and then every HTTP function (the
// routes and $default) the right to send spans to the X-Ray OTLP endpoint, and nothing more.
func TestTemplateTracing(t *testing.T) {
	tmpl := readTemplate(t)
	if p := tmpl.Path("Parameters", "Tracing"); p.Get("Default").Str() != "false" {
		t.Errorf("Parameters.Tracing.Default = %q, want \"false\": tracing is off unless asked for", p.Get("Default").Str())
	}
	ifItems := func(path ...string) []string {
		n := tmpl.Path(path...)
		if n.Tag != "!If" {
			return nil
		}
		var out []string
		for _, it := range n.Items() {
			out = append(out, it.Str())
		}
		return out
	}
	if got := ifItems("Globals", "Function", "Environment", "Variables", "TRACING"); !slices.Equal(got, []string{"TracingOn", TracingXRay, TracingOff}) {
		t.Errorf("Globals TRACING = !If %v, want !If [TracingOn, %s, %s]", got, TracingXRay, TracingOff)
	}
	if got := ifItems("Globals", "Function", "Tracing"); !slices.Equal(got, []string{"TracingOn", "Active", "PassThrough"}) {
		t.Errorf("Globals Tracing = !If %v, want !If [TracingOn, Active, PassThrough]", got)
	}
	if v := tmpl.Path("Globals", "Function", "Environment", "Variables", "METRICS_NAMESPACE").Expr(); v == "" {
		t.Errorf("Globals give no METRICS_NAMESPACE, want the stack's namespace")
	}

	pol := tmpl.Path("Resources", "TracingPolicy")
	if pol.Get("Condition").Str() != "TracingOn" {
		t.Errorf("TracingPolicy Condition = %q, want TracingOn", pol.Get("Condition").Str())
	}
	var roles, want, actions []string
	for _, r := range pol.Path("Properties", "Roles").Items() {
		roles = append(roles, r.Expr())
	}
	want = append(want, "!Ref "+notFoundID+"Role")
	for _, rt := range httpapi.Routes {
		want = append(want, "!Ref "+logicalID(rt.Name)+"Role")
	}
	slices.Sort(roles)
	slices.Sort(want)
	if !slices.Equal(roles, want) {
		t.Errorf("TracingPolicy Roles = %v, want the roles of the HTTP functions %v", roles, want)
	}
	for _, st := range pol.Path("Properties", "PolicyDocument", "Statement").Items() {
		for _, a := range st.Get("Action").Items() {
			actions = append(actions, a.Str())
		}
	}
	if !slices.Equal(actions, []string{"xray:PutSpans", "xray:PutSpansForIndexing"}) {
		t.Errorf("TracingPolicy allows %v, want xray:PutSpans and xray:PutSpansForIndexing only", actions)
	}
}
