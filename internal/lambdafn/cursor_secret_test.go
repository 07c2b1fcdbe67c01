package lambdafn

import (
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// TestTemplateCursorSecret checks that the template gives CURSOR_SECRET to the function of each
// route that pages, resolved from the generated secret, and to no other function: a secret goes
// only where it is used.
func TestTemplateCursorSecret(t *testing.T) {
	tmpl := readTemplate(t)
	if v := tmpl.Path("Globals", "Function", "Environment", "Variables", "CURSOR_SECRET"); v.Node != nil {
		t.Errorf("Globals give every function CURSOR_SECRET, want only the functions of routes that page")
	}
	for _, rt := range httpapi.Routes {
		id := logicalID(rt.Name)
		v := tmpl.Path("Resources", id, "Properties", "Environment", "Variables", "CURSOR_SECRET")
		switch {
		case rt.Pages && v.Node == nil:
			t.Errorf("%s: no CURSOR_SECRET, but route %s signs paging cursors", id, rt.Name)
		case rt.Pages && !strings.Contains(v.Str(), "resolve:secretsmanager:${CursorSecret}"):
			t.Errorf("%s: CURSOR_SECRET = %q, want it resolved from the CursorSecret secret", id, v.Str())
		case !rt.Pages && v.Node != nil:
			t.Errorf("%s: CURSOR_SECRET set, but route %s does not page", id, rt.Name)
		}
	}
	if v := tmpl.Path("Resources", notFoundID, "Properties", "Environment", "Variables", "CURSOR_SECRET"); v.Node != nil {
		t.Errorf("%s: CURSOR_SECRET set, want none", notFoundID)
	}
}
