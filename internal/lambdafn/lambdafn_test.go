package lambdafn

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

func TestConfigFromEnv(t *testing.T) {
	secret := strings.Repeat("s", 64)
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"minimal", map[string]string{"TABLE_NAME": "t"},
			Config{Table: "t", LogLevel: slog.LevelInfo, MetricsNamespace: DefaultMetricsNamespace, Tracing: TracingOff}, ""},
		{"all", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret, "CURSOR_SECRET_ARN": "arn:s", "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
			"LOG_LEVEL": "debug", "AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_FUNCTION_VERSION": "7", "METRICS_NAMESPACE": "ns",
			"TRACING": "xray", "TENANT_ROLE_ARN": "arn:r"},
			Config{Table: "t", Endpoint: "http://127.0.0.1:8000", LogLevel: slog.LevelDebug, CursorSecret: secret, CursorSecretARN: "arn:s",
				Function: "f", Version: "7", MetricsNamespace: "ns", Tracing: TracingXRay, TenantRoleARN: "arn:r"}, ""},
		{"shortest secret", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret[:32]},
			Config{Table: "t", LogLevel: slog.LevelInfo, CursorSecret: secret[:32], MetricsNamespace: DefaultMetricsNamespace, Tracing: TracingOff}, ""},
		{"no table", map[string]string{"CURSOR_SECRET": secret}, Config{}, "TABLE_NAME is required"},
		{"short secret", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret[:31]}, Config{}, "CURSOR_SECRET: cursor: key 1 is 31 bytes"},
		{"bad level", map[string]string{"TABLE_NAME": "t", "LOG_LEVEL": "LOUD"}, Config{}, `LOG_LEVEL "LOUD"`},
		{"bad tracing", map[string]string{"TABLE_NAME": "t", "TRACING": "on"}, Config{}, `TRACING "on"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ConfigFromEnv(%v) error = %v, want %q", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ConfigFromEnv(%v) = %+v, %v, want %+v", tt.env, got, err, tt.want)
			}
		})
	}
}

// TestRouteConfig checks that the function of a route that pages cannot start without
// CURSOR_SECRET, and that no other function needs one.
func TestRouteConfig(t *testing.T) {
	tests := []struct {
		route   string
		env     map[string]string
		wantErr string
	}{
		{"list-customers", map[string]string{"TABLE_NAME": "t"}, "CURSOR_SECRET_ARN is required (route list-customers"},
		{"list-orders", map[string]string{"TABLE_NAME": "t"}, "CURSOR_SECRET_ARN is required (route list-orders"},
		{"list-orders", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:c"}, ""},
		{"list-orders", map[string]string{"CURSOR_SECRET": strings.Repeat("s", 32)}, "TABLE_NAME is required"},
		{"list-orders", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": strings.Repeat("s", 32)}, ""},
		{"get-customer", map[string]string{"TABLE_NAME": "t"}, ""},
		{"no-such-route", map[string]string{"TABLE_NAME": "t"}, `no route named "no-such-route"`},
	}
	for _, tt := range tests {
		_, err := routeConfig(tt.route, func(k string) string { return tt.env[k] })
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("routeConfig(%s, %v) = %v, want error %q", tt.route, tt.env, err, tt.wantErr)
		}
	}
}

// TestEveryRouteStartsWithItsConfig builds each route's handler from a configuration read as
// Serve reads it, from the environment the template gives the function: CURSOR_SECRET only where
// the route pages. No route is refused for want of a key.
func TestEveryRouteStartsWithItsConfig(t *testing.T) {
	for _, rt := range httpapi.Routes {
		env := map[string]string{"TABLE_NAME": "t"}
		if rt.Pages {
			env["CURSOR_SECRET"] = strings.Repeat("s", 32)
		}
		cfg, err := routeConfig(rt.Name, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("routeConfig(%s) = %v", rt.Name, err)
		}
		opts := httpapi.Options{Logger: slog.New(slog.DiscardHandler)}
		if rt.Pages {
			opts.Cursors, err = cursorCodec(cfg, slog.New(slog.DiscardHandler), nil)
			if err != nil {
				t.Fatalf("cursorCodec(%s) = %v", rt.Name, err)
			}
		}
		if _, err := New(rt.Name, nil, opts); err != nil {
			t.Errorf("New(%s) = %v", rt.Name, err)
		}
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(&buf, slog.LevelInfo))
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})

	log.InfoContext(ctx, "one")
	log.LogAttrs(ctx, slog.LevelInfo, "two", slog.String("requestId", "req-1"))
	log.InfoContext(context.Background(), "three")
	log.DebugContext(ctx, "dropped")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log lines = %q, want 3", lines)
	}
	wantIDs := []string{"req-1", "req-1", ""}
	for i, line := range lines {
		if strings.Count(line, `"requestId"`) > 1 {
			t.Errorf("line %d = %s, want requestId at most once", i, line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d = %s: %v", i, line, err)
		}
		if got, _ := rec["requestId"].(string); got != wantIDs[i] {
			t.Errorf("line %d requestId = %q, want %q", i, got, wantIDs[i])
		}
		if _, ok := rec["message"]; !ok {
			t.Errorf("line %d = %s, want a message field", i, line)
		}
		if _, ok := rec["timestamp"]; !ok {
			t.Errorf("line %d = %s, want a timestamp field", i, line)
		}
	}
}
