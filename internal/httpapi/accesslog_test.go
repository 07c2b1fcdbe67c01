package httpapi_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// logLine finds the access log line of the request with id rid in logs.
func logLine(t *testing.T, logs, rid string) map[string]any {
	t.Helper()
	for l := range strings.SplitSeq(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" && m["requestId"] == rid {
			return m
		}
	}
	t.Fatalf("no access log line for request %s in:\n%s", rid, logs)
	return nil
}

// TestAccessLog: every request has one access log line with its status and, for an error, its
// code — the routes' and the not-found fallback's alike (404 and 405 included), with the method
// and path of a request no route took, but never an email found in that path.
func TestAccessLog(t *testing.T) {
	tests := []struct {
		name   string
		r      req
		status int
		want   map[string]any
	}{
		{"a route's success", req{method: "GET", path: "/v1/customers"}, 200,
			map[string]any{"route": "list-customers", "tenantId": "t1", "code": nil}},
		{"a route's error", req{method: "GET", path: "/v1/customers/" + missingCustomer}, 404,
			map[string]any{"route": "get-customer", "code": "NOT_FOUND"}},
		{"a route's auth error", req{method: "GET", path: "/v1/customers", key: "-"}, 401,
			map[string]any{"route": "list-customers", "code": "AUTH_REQUIRED"}},
		{"unknown path", req{method: "GET", path: "/v1/customer?email=x@example.com"}, 404,
			map[string]any{"route": "not-found", "code": "NOT_FOUND", "method": "GET", "path": "/v1/customer"}},
		{"wrong method", req{method: "PATCH", path: "/v1/customers"}, 405,
			map[string]any{"route": "not-found", "code": "METHOD_NOT_ALLOWED", "method": "PATCH", "path": "/v1/customers"}},
		{"an email in the path", req{method: "GET", path: "/v1/people/ada@example.com/orders"}, 404,
			map[string]any{"route": "not-found", "code": "NOT_FOUND", "path": "/v1/people/{redacted}/orders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			got := e.do(tt.r)
			if got.Code != tt.status {
				t.Fatalf("%s %s = %d, want %d", tt.r.method, tt.r.path, got.Code, tt.status)
			}
			line := logLine(t, e.logs.String(), got.Header().Get("X-Request-Id"))
			if line["status"] != float64(tt.status) {
				t.Errorf("logged status %v, want %d", line["status"], tt.status)
			}
			for k, want := range tt.want {
				if line[k] != want {
					t.Errorf("logged %s = %v, want %v (line %v)", k, line[k], want, line)
				}
			}
			if strings.Contains(e.logs.String(), "example.com") {
				t.Errorf("the log holds an email or a query string:\n%s", e.logs.String())
			}
		})
	}
}

// TestNotFoundLogsToDefault: the $default Lambda function (NotFound) logs its requests too, to
// the default logger its main installs.
func TestNotFoundLogsToDefault(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	defer slog.SetDefault(old)

	w := httptest.NewRecorder()
	httpapi.NotFound().ServeHTTP(w, httptest.NewRequest("DELETE", "/v1/orders", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /v1/orders = %d, want 405", w.Code)
	}
	line := logLine(t, logs.String(), w.Header().Get("X-Request-Id"))
	if line["code"] != "METHOD_NOT_ALLOWED" || line["status"] != 405.0 || line["route"] != "not-found" {
		t.Errorf("logged %v, want route not-found, status 405, code METHOD_NOT_ALLOWED", line)
	}
}
