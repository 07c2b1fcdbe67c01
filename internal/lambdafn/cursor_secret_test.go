package lambdafn

import (
	"slices"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// secretRef is the cursor secret as the template names it in environments and policies.
const secretRef = "!Ref CursorSecret"

// TestTemplateCursorSecret checks that the template gives CURSOR_SECRET_ARN, the generated
// secret, to the function of each route that pages, with the right to read that secret alone,
// and neither to any other function: a secret goes only where it is used. No function gets the
// keys themselves (CURSOR_SECRET) in its configuration.
func TestTemplateCursorSecret(t *testing.T) {
	tmpl := readTemplate(t)
	for _, name := range []string{"CURSOR_SECRET", "CURSOR_SECRET_ARN"} {
		if v := tmpl.Path("Globals", "Function", "Environment", "Variables", name); v.Node != nil {
			t.Errorf("Globals give every function %s, want only the functions of routes that page", name)
		}
	}
	for _, rt := range httpapi.Routes {
		id := logicalID(rt.Name)
		vars := tmpl.Path("Resources", id, "Properties", "Environment", "Variables")
		if v := vars.Get("CURSOR_SECRET"); v.Node != nil {
			t.Errorf("%s: CURSOR_SECRET in the environment, want the keys only in the secret", id)
		}
		v := vars.Get("CURSOR_SECRET_ARN")
		readers := tmpl.Allowed(id)[secretRef]
		switch {
		case rt.Pages && v.Expr() != secretRef:
			t.Errorf("%s: CURSOR_SECRET_ARN = %q, want %s (route %s signs paging cursors)", id, v.Expr(), secretRef, rt.Name)
		case rt.Pages && !slices.Equal(readers, []string{"secretsmanager:GetSecretValue"}):
			t.Errorf("%s: allowed %v on the cursor secret, want exactly secretsmanager:GetSecretValue", id, readers)
		case !rt.Pages && v.Node != nil:
			t.Errorf("%s: CURSOR_SECRET_ARN set, but route %s does not page", id, rt.Name)
		case !rt.Pages && len(readers) > 0:
			t.Errorf("%s: allowed %v on the cursor secret, but route %s does not page", id, readers, rt.Name)
		}
	}
	if v := tmpl.Path("Resources", notFoundID, "Properties", "Environment", "Variables", "CURSOR_SECRET_ARN"); v.Node != nil {
		t.Errorf("%s: CURSOR_SECRET_ARN set, want none", notFoundID)
	}
	gen := tmpl.Path("Resources", "CursorSecret", "Properties", "GenerateSecretString")
	// What Secrets Manager generates: the template's object with the generated key added.
	generated := strings.TrimSuffix(gen.Get("SecretStringTemplate").Str(), "}") +
		`, "` + gen.Get("GenerateStringKey").Str() + `": "` + strings.Repeat("x", 64) + `"}`
	if keys, err := parseCursorKeys(generated); err != nil || keys.Current != 1 || len(keys.ByID) != 1 {
		t.Errorf("CursorSecret generates %s: %+v, %v, want a key ring of key 1, current", generated, keys, err)
	}
}
