// Package archtest holds the test that keeps the package graph of docs/architecture.md true: each
// package imports only what its row below allows, and the domain reaches nothing of AWS.
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/flexportal-compat/customers-api/"

// allowed lists, for each package of the module, the module's packages it may import directly
// (docs/architecture.md draws the same arrows). The wiring (functions/*, cmd/*) may import any
// package; the e2e tests build binaries and import none.
var allowed = map[string][]string{
	"internal/fault":    {},
	"internal/cursor":   {},
	"internal/customer": {"internal/fault"},
	"internal/order":    {"internal/customer", "internal/fault"},
	"internal/rental":   {"internal/auth", "internal/customer", "internal/fault", "internal/order"},
	"internal/auth":     {"internal/fault"},

	"internal/telemetry": {},

	"internal/httpapi":                    {"internal/auth", "internal/cursor", "internal/customer", "internal/fault", "internal/order", "internal/telemetry"},
	"internal/store/dynamo":               {"internal/auth", "internal/customer", "internal/fault", "internal/order", "internal/rental"},
	"internal/store/dynamo/dynamosetup":   {"internal/store/dynamo"},
	"internal/store/dynamo/conflictmodel": {"internal/store/dynamo"},
	"internal/store/embedded":             {"internal/auth", "internal/customer", "internal/fault", "internal/order", "internal/rental"},
	"internal/store/storetest":            {"internal/auth", "internal/customer", "internal/fault", "internal/order", "internal/rental"},
	"internal/crmsync":                    {"internal/auth", "internal/customer", "internal/fault"},
	"internal/rentalevents":               {"internal/auth", "internal/customer", "internal/fault", "internal/rental"},
	"internal/changefeed":                 {"internal/customer", "internal/fault", "internal/order", "internal/store/dynamo"},

	"internal/lambdafn": {"internal/auth", "internal/cursor", "internal/customer", "internal/fault", "internal/httpapi", "internal/store/dynamo", "internal/telemetry"},

	"internal/version": {},
	".":                {}, // the module's root package: the embedded openapi.yaml

	"internal/apiclient":   {}, // generated from openapi.yaml; cmd/local's tests use it
	"internal/apispec":     {},
	"internal/samtemplate": {},
	"internal/scale":       {},
	"internal/compat":      {},
	"internal/e2e":         {},
	"internal/archtest":    {},
}

// domain is the part that decides: it imports nothing of AWS, not even through another package.
var domain = []string{"internal/fault", "internal/cursor", "internal/customer", "internal/order", "internal/auth", "internal/rental"}

// goList runs go list with format over the module's packages and returns one line per package.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to read the package graph: %v", err)
	}
	cmd := exec.Command(goTool, append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestImportsFollowTheArrows(t *testing.T) {
	seen := 0
	for _, line := range goList(t, "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		if fields[0]+"/" == module {
			pkg = "."
		}
		if strings.HasPrefix(pkg, "functions/") || strings.HasPrefix(pkg, "cmd/") || strings.Contains(pkg, "/testdata/") {
			continue
		}
		may, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the architecture: add its row to allowed and to docs/architecture.md", pkg)
			continue
		}
		seen++
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, module)
			if ours && !slices.Contains(may, dep) {
				t.Errorf("%s imports %s, against the arrows (it may import %v)", pkg, dep, may)
			}
		}
	}
	if seen < len(domain) {
		t.Fatalf("read %d packages, want the whole module", seen)
	}
}

func TestDomainReachesNoAWS(t *testing.T) {
	for _, pkg := range domain {
		for _, dep := range goList(t, "-deps", "./"+pkg) {
			if strings.HasPrefix(dep, "github.com/aws/") {
				t.Errorf("%s depends on %s: the domain must not reach AWS", pkg, dep)
			}
		}
	}
}
