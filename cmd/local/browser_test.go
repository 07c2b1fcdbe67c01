//go:build unix

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// chromium returns the headless browser of the browser tests: $CHROMIUM, or chromium on the PATH.
// Without one the tests skip, unless BROWSER_CHECK=required (make browser-check, which installs
// it first): then they fail.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		if os.Getenv("BROWSER_CHECK") == "required" {
			t.Fatal("BROWSER_CHECK=required, but no chromium found (set CHROMIUM or put chromium on the PATH)")
		}
		t.Skip("no Chromium here: `make browser-check` installs it (Debian's chromium, with apt-get) and runs this test")
	}
	return path
}

// dumpDOM loads url in headless Chromium and returns the DOM once the page has settled. Every
// address but 127.0.0.1 fails to resolve, so the page works only if it needs nothing else: as on
// a machine with no network.
func dumpDOM(t *testing.T, browser, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-background-networking", "--disable-extensions", "--disable-sync",
		"--user-data-dir="+t.TempDir(),
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		// Virtual time runs the page's timers and waits for its fetches before the DOM is dumped.
		"--virtual-time-budget=30000",
		"--dump-dom", url)
	// Chromium's helper processes go with it: the whole group is killed when the test is done.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Fatalf("%s --dump-dom %s: %v\n%s", browser, url, err, stderr.String())
	}
	return string(out)
}

// TestBrowserDocsPage: Swagger UI on /docs/ renders every operation of openapi.yaml, offline.
func TestBrowserDocsPage(t *testing.T) {
	browser := chromium(t)
	b, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type operation struct {
		OperationID string   `yaml:"operationId"`
		Tags        []string `yaml:"tags"`
	}
	var doc struct {
		Paths map[string]map[string]yaml.Node
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "b.db"))
	dom := dumpDOM(t, browser, url+"/docs/")
	ops := 0
	for path, methods := range doc.Paths {
		for method, node := range methods {
			var op operation
			if node.Kind != yaml.MappingNode || node.Decode(&op) != nil || op.OperationID == "" || len(op.Tags) == 0 {
				continue // the path's parameters, not an operation
			}
			ops++
			// Swagger UI's deep-link id of an operation block.
			if id := fmt.Sprintf(`id="operations-%s-%s"`, op.Tags[0], op.OperationID); !strings.Contains(dom, id) {
				t.Errorf("the docs page shows no %s %s (%s)", strings.ToUpper(method), path, id)
			}
		}
	}
	if ops < 5 {
		t.Fatalf("read %d operations from openapi.yaml, want them all", ops)
	}
	// Swagger UI's Authorize button is "locked" once a key is set: the demo key, filled in.
	if !strings.Contains(dom, "authorize locked") {
		t.Errorf("the docs page of a demo server is not authorised with the demo key")
	}
	if t.Failed() {
		t.Logf("the page's DOM:\n%s", dom)
	}
}

// corsPage calls the API at api from another origin, as a browser app would: a list (a GET
// with the API's headers, so a preflight) and an order (a POST with a JSON body and an
// Idempotency-Key), and writes what it got into #result.
const corsPage = `<!doctype html>
<html><body><pre id="result">pending</pre>
<script>
const api = %q;
const auth = {"Authorization": "Bearer local-demo-key", "Tenant-ID": "demo"};
const order = {customer: {email: "cors@example.com", firstName: "Cora", lastName: "Origin"},
  billingAddress: {contactName: "Cora Origin", streetAddress: "1 Main St", city: "London", country: "GB"},
  items: [{sku: "LAPTOP-14", quantity: 1, contractLength: 12}]};
const show = (s) => { document.getElementById("result").textContent = s; };
(async () => {
  try {
    const list = await fetch(api + "/v1/customers?limit=1", {headers: auth});
    const body = await list.json();
    const made = await fetch(api + "/v1/orders", {method: "POST",
      headers: {...auth, "Content-Type": "application/json", "Idempotency-Key": "cors-page-1"}, body: JSON.stringify(order)});
    show("list=" + list.status + " count=" + body.count + " requestId=" + (list.headers.get("X-Request-Id") || "hidden") +
      " order=" + made.status + (made.ok ? "" : " " + await made.text()));
  } catch (e) {
    show("failed: " + e);
  }
})();
</script></body></html>`

// TestBrowserCORS: a page of another origin calls the API when -cors-origin names that origin,
// and cannot without it.
func TestBrowserCORS(t *testing.T) {
	browser := chromium(t)
	var apiURL atomic.Value // of the server under test; the page server reads it
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, corsPage, apiURL.Load())
	}))
	defer pages.Close() // 127.0.0.1, another port: another origin
	result := regexp.MustCompile(`<pre id="result">([^<]*)</pre>`)
	tests := []struct {
		name string
		args []string
		want *regexp.Regexp
	}{
		{"with -cors-origin", []string{"-cors-origin", pages.URL}, regexp.MustCompile(`^list=200 count=0 requestId=[0-9a-f]{32} order=201$`)},
		{"without", nil, regexp.MustCompile(`^failed: TypeError`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := start(t, append([]string{"-data", filepath.Join(t.TempDir(), "c.db")}, tt.args...)...)
			apiURL.Store(url)
			dom := dumpDOM(t, browser, pages.URL)
			m := result.FindStringSubmatch(dom)
			if m == nil || !tt.want.MatchString(m[1]) {
				t.Errorf("the page of %s calling %s wrote %q, want %s\n%s", pages.URL, url, m, tt.want, dom)
			}
		})
	}
}
