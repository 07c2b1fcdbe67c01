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
	list, _ := httpapi.RouteNamed("list-customers")
	get, _ := httpapi.RouteNamed("get-customer")
	tests := []struct {
		name    string
		route   httpapi.Route
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"minimal", list, map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret},
			Config{Table: "t", LogLevel: slog.LevelInfo, CursorSecret: []byte(secret)}, ""},
		{"all", list, map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret, "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000", "LOG_LEVEL": "debug"},
			Config{Table: "t", Endpoint: "http://127.0.0.1:8000", LogLevel: slog.LevelDebug, CursorSecret: []byte(secret)}, ""},
		{"no table", list, map[string]string{"CURSOR_SECRET": secret}, Config{}, "TABLE_NAME is required"},
		{"no secret", list, map[string]string{"TABLE_NAME": "t"}, Config{}, "CURSOR_SECRET must be"},
		{"short secret", list, map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "short"}, Config{}, "CURSOR_SECRET must be"},
		{"bad level", list, map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret, "LOG_LEVEL": "LOUD"}, Config{}, `LOG_LEVEL "LOUD"`},
		{"no secret, no paging", get, map[string]string{"TABLE_NAME": "t"}, Config{Table: "t", LogLevel: slog.LevelInfo}, ""},
		{"secret ignored, no paging", get, map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "short"}, Config{Table: "t", LogLevel: slog.LevelInfo}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(tt.route, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ConfigFromEnv(%s, %v) error = %v, want %q", tt.route.Name, tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Table != tt.want.Table || got.Endpoint != tt.want.Endpoint ||
				got.LogLevel != tt.want.LogLevel || !bytes.Equal(got.CursorSecret, tt.want.CursorSecret) {
				t.Errorf("ConfigFromEnv(%s, %v) = %+v, %v, want %+v", tt.route.Name, tt.env, got, err, tt.want)
			}
		})
	}
}

// TestEveryRouteStartsWithItsConfig builds each route's handler from a configuration read as
// Serve reads it: a paging route gets its key, and no route is refused for want of one.
func TestEveryRouteStartsWithItsConfig(t *testing.T) {
	env := map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": strings.Repeat("s", 32)}
	for _, rt := range httpapi.Routes {
		cfg, err := ConfigFromEnv(rt, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("ConfigFromEnv(%s) = %v", rt.Name, err)
		}
		if got := len(cfg.CursorSecret) > 0; got != rt.Pages {
			t.Errorf("ConfigFromEnv(%s) has a cursor secret: %v, want %v", rt.Name, got, rt.Pages)
		}
		opts := httpapi.Options{Logger: slog.New(slog.DiscardHandler), CursorKey: cfg.CursorSecret}
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
