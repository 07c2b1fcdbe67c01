package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/flexportal-compat/customers-api/internal/version"
)

// fetch sends method to url with the headers given as name, value pairs, and returns the
// response with its body read.
func fetch(t *testing.T, method, url string, header ...string) (*http.Response, string) {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	// No redirects followed: /docs answers one, and the test looks at it.
	client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestHealthz(t *testing.T) {
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "h.db"))
	for _, method := range []string{"GET", "HEAD"} {
		res, body := fetch(t, method, url+"/healthz") // no Authorization, no Tenant-ID
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s /healthz = %d %q, want 200 application/json", method, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if method == "HEAD" {
			continue
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("GET /healthz body %q: %v", body, err)
		}
		want := map[string]string{"status": "ok", "version": version.String(), "store": "embedded"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("GET /healthz %s = %q, want %q (body %s)", k, got[k], v, body)
			}
		}
	}
	// Only GET and HEAD: anything else is the API's, which serves no such path.
	if res, _ := fetch(t, "POST", url+"/healthz"); res.StatusCode != 404 {
		t.Errorf("POST /healthz = %d, want the API's 404", res.StatusCode)
	}
}

func TestOpenAPISpecIsServed(t *testing.T) {
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "s.db"))
	res, body := fetch(t, "GET", url+"/openapi.yaml")
	want, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/yaml" || body != string(want) {
		t.Errorf("GET /openapi.yaml = %d %q, %d bytes; want 200 application/yaml, openapi.yaml's %d bytes",
			res.StatusCode, res.Header.Get("Content-Type"), len(body), len(want))
	}
}

// TestSpecServer: the docs page rewrites requests to the server openapi.yaml names; that must be
// the one it names.
func TestSpecServer(t *testing.T) {
	b, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Servers []struct{ URL string } }
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) == 0 || doc.Servers[0].URL != specServer {
		t.Errorf("openapi.yaml servers = %v, want the first to be %s", doc.Servers, specServer)
	}
}

// attrURL finds the URLs a page loads or links to: src and href attributes and CSS url().
var attrURL = regexp.MustCompile(`(?:src|href)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)`)

// TestDocsPage: /docs/ is Swagger UI on /openapi.yaml, loading nothing from anywhere but this
// server (every asset is embedded in the binary), and /docs leads there.
func TestDocsPage(t *testing.T) {
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "d.db"))
	res, page := fetch(t, "GET", url+"/docs/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs/ = %d %q, want 200 text/html", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(page, `"/openapi.yaml"`) || !strings.Contains(page, "SwaggerUIBundle") {
		t.Errorf("GET /docs/ is not Swagger UI on /openapi.yaml:\n%s", page)
	}
	var refs []string
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		refs = append(refs, m[1]+m[2])
	}
	if len(refs) < 3 {
		t.Fatalf("GET /docs/ references %q, want the Swagger UI script and style at least", refs)
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("GET /docs/ references %q, want only paths on this server", ref)
			continue
		}
		if res, _ := fetch(t, "GET", url+ref); res.StatusCode != 200 {
			t.Errorf("GET %s (referenced by /docs/) = %d, want 200", ref, res.StatusCode)
		}
	}
	for _, cdn := range []string{"unpkg", "jsdelivr", "cdnjs", "googleapis"} {
		if strings.Contains(page, cdn) {
			t.Errorf("GET /docs/ mentions %s", cdn)
		}
	}
	if res, _ := fetch(t, "GET", url+"/docs"); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/docs/" {
		t.Errorf("GET /docs = %d Location %q, want 301 to /docs/", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestDocsPageDemoKey: the docs page fills in the published demo key, and no other key.
func TestDocsPageDemoKey(t *testing.T) {
	t.Run("demo", func(t *testing.T) {
		url, _ := start(t, "-data", filepath.Join(t.TempDir(), "k.db"))
		if _, page := fetch(t, "GET", url+"/docs/"); !strings.Contains(page, LocalDemoKey) {
			t.Errorf("GET /docs/ on a demo server does not fill in %s", LocalDemoKey)
		}
	})
	t.Run("own key", func(t *testing.T) {
		url, _ := start(t, "-data", filepath.Join(t.TempDir(), "k.db"), "-api-key", "acme=s3cret-key")
		if _, page := fetch(t, "GET", url+"/docs/"); strings.Contains(page, "s3cret-key") || strings.Contains(page, LocalDemoKey) {
			t.Errorf("GET /docs/ with -api-key holds a key")
		}
	})
}

// split reads a comma-separated header value.
func split(h string) []string {
	var out []string
	for v := range strings.SplitSeq(h, ",") {
		out = append(out, strings.ToLower(strings.TrimSpace(v)))
	}
	return out
}

func TestCORS(t *testing.T) {
	const origin = "http://localhost:5173"
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "c.db"), "-cors-origin", origin)
	auth := []string{"Authorization", "Bearer " + LocalDemoKey, "Tenant-ID", "demo"}

	t.Run("preflight", func(t *testing.T) {
		res, _ := fetch(t, "OPTIONS", url+"/v1/customers/cust_01JD0000000000000000000000", "Origin", origin,
			"Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "authorization, tenant-id, content-type, if-match")
		if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Fatalf("preflight = %d, Allow-Origin %q; want 204 and %s", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), origin)
		}
		methods := split(res.Header.Get("Access-Control-Allow-Methods"))
		for _, m := range []string{"get", "put", "post", "delete"} {
			if !slices.Contains(methods, m) {
				t.Errorf("Access-Control-Allow-Methods %v, want %s in it", methods, m)
			}
		}
		headers := split(res.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"authorization", "tenant-id", "content-type", "if-match", "idempotency-key", "prefer"} {
			if !slices.Contains(headers, h) {
				t.Errorf("Access-Control-Allow-Headers %v, want %s in it", headers, h)
			}
		}
		if res.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("Access-Control-Allow-Credentials %q, want none", res.Header.Get("Access-Control-Allow-Credentials"))
		}
	})
	t.Run("request", func(t *testing.T) {
		res, _ := fetch(t, "GET", url+"/v1/customers", append(auth, "Origin", origin)...)
		if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Fatalf("GET with Origin = %d, Allow-Origin %q; want 200 and %s", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), origin)
		}
		exposed := split(res.Header.Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"etag", "x-request-id", "idempotent-replayed", "preference-applied", "retry-after"} {
			if !slices.Contains(exposed, h) {
				t.Errorf("Access-Control-Expose-Headers %v, want %s in it", exposed, h)
			}
		}
		if !slices.Contains(split(res.Header.Get("Vary")), "origin") {
			t.Errorf("Vary %q, want Origin in it", res.Header.Get("Vary"))
		}
	})
	t.Run("another origin", func(t *testing.T) {
		res, _ := fetch(t, "OPTIONS", url+"/v1/customers", "Origin", "http://evil.example", "Access-Control-Request-Method", "GET")
		if res.StatusCode != 405 || res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight of another origin = %d, Allow-Origin %q; want the API's 405 and none", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
		res, _ = fetch(t, "GET", url+"/v1/customers", append(auth, "Origin", "http://evil.example")...)
		if res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET from another origin: Allow-Origin %q, want none", res.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

// TestNoCORSByDefault: without -cors-origin a preflight is an OPTIONS like any other (the API's
// 405) and no answer carries a CORS header.
func TestNoCORSByDefault(t *testing.T) {
	const origin = "http://localhost:5173"
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "n.db"))
	check := func(name string, res *http.Response) {
		t.Helper()
		for k := range res.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: header %s: %q, want no CORS header", name, k, res.Header.Get(k))
			}
		}
	}
	res, body := fetch(t, "OPTIONS", url+"/v1/customers", "Origin", origin, "Access-Control-Request-Method", "GET")
	if res.StatusCode != 405 || !strings.Contains(body, "METHOD_NOT_ALLOWED") {
		t.Errorf("preflight without -cors-origin = %d %s, want 405 METHOD_NOT_ALLOWED", res.StatusCode, body)
	}
	check("preflight", res)
	res, _ = fetch(t, "GET", url+"/v1/customers", "Origin", origin, "Authorization", "Bearer "+LocalDemoKey, "Tenant-ID", "demo")
	if res.StatusCode != 200 {
		t.Errorf("GET with Origin = %d, want 200", res.StatusCode)
	}
	check("GET", res)
}

// TestRequestsAreLogged: every request is in the log with its status, and an error answer with
// its code — the 404 and 405 no route takes included — and the local paths too.
func TestRequestsAreLogged(t *testing.T) {
	url, _, logs := startLogged(t, "-data", filepath.Join(t.TempDir(), "l.db"), "-log-level", "info")
	tests := []struct {
		method, path string
		status       int
		want         string // in the log line, beside the status
	}{
		{"GET", "/v1/nothing-here", 404, `"route":"not-found","method":"GET","path":"/v1/nothing-here","status":404,"code":"NOT_FOUND"`},
		{"DELETE", "/v1/orders", 405, `"route":"not-found","method":"DELETE","path":"/v1/orders","status":405,"code":"METHOD_NOT_ALLOWED"`},
		{"GET", "/v1/customers", 401, `"route":"list-customers","tenantId":"","status":401,"code":"AUTH_REQUIRED"`},
		{"GET", "/healthz", 200, `"route":"healthz","method":"GET","path":"/healthz","status":200`},
	}
	for _, tt := range tests {
		res, _ := fetch(t, tt.method, url+tt.path)
		if res.StatusCode != tt.status {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
		}
		if !strings.Contains(logs.String(), tt.want) {
			t.Errorf("%s %s: no log line with %s in:\n%s", tt.method, tt.path, tt.want, logs.String())
		}
	}
}

// TestRunPrintsProgress: what the server does while it starts is on stdout before the address.
func TestRunPrintsProgress(t *testing.T) {
	_, lines := start(t, "-data", filepath.Join(t.TempDir(), "p.db"))
	out := strings.Join(lines, "\n")
	steps := []string{"Customers API " + version.String(), "Opening the embedded store", "Installing the demo API key", "listening on"}
	at := 0
	for _, step := range steps {
		i := strings.Index(out[at:], step)
		if i < 0 {
			t.Fatalf("printed %q; want %q, in this order", out, steps)
		}
		at += i
	}
}

func TestVersionFlag(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"-version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := "cmd/local " + version.String() + "\n"; out.String() != want {
		t.Errorf("-version printed %q, want %q", out.String(), want)
	}
}

// TestDefaultBuildLeavesOutTheAWSSDK: a first `go run ./cmd/local` compiles nothing of the AWS
// SDK (most of the module's build time); -tags dynamodb brings it in for -dynamodb-endpoint.
func TestDefaultBuildLeavesOutTheAWSSDK(t *testing.T) {
	deps := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command("go", append(append([]string{"list"}, args...), "-deps", ".")...).Output()
		if err != nil {
			t.Fatalf("go list %v -deps .: %v", args, err)
		}
		return strings.Fields(string(out))
	}
	for _, dep := range deps() {
		if strings.Contains(dep, "aws-sdk-go") || strings.Contains(dep, "smithy-go") {
			t.Errorf("the default build of cmd/local depends on %s", dep)
		}
	}
	if !slices.Contains(deps("-tags", "dynamodb"), "github.com/aws/aws-sdk-go-v2/service/dynamodb") {
		t.Errorf("cmd/local built with -tags dynamodb does not link the DynamoDB client")
	}
}

// TestDynamoDBFlagWithoutTheTag: the default build says how to get DynamoDB.
func TestDynamoDBFlagWithoutTheTag(t *testing.T) {
	if withDynamoDB {
		t.Skip("this build has -tags dynamodb")
	}
	err := run(t.Context(), []string{"-data", filepath.Join(t.TempDir(), "x.db"), "-dynamodb-endpoint", "http://127.0.0.1:1", "-table", "t"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "go run -tags dynamodb ./cmd/local") {
		t.Errorf("run -dynamodb-endpoint without the tag = %v, want an error naming -tags dynamodb", err)
	}
}
