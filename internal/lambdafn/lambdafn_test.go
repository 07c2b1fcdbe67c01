package lambdafn

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestConfigFromEnv(t *testing.T) {
	secret := strings.Repeat("s", 64)
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"minimal", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret},
			Config{Table: "t", LogLevel: slog.LevelInfo, CursorSecret: []byte(secret)}, ""},
		{"all", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret, "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000", "LOG_LEVEL": "debug"},
			Config{Table: "t", Endpoint: "http://127.0.0.1:8000", LogLevel: slog.LevelDebug, CursorSecret: []byte(secret)}, ""},
		{"no table", map[string]string{"CURSOR_SECRET": secret}, Config{}, "TABLE_NAME is required"},
		{"no secret", map[string]string{"TABLE_NAME": "t"}, Config{}, "CURSOR_SECRET must be"},
		{"short secret", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": "short"}, Config{}, "CURSOR_SECRET must be"},
		{"bad level", map[string]string{"TABLE_NAME": "t", "CURSOR_SECRET": secret, "LOG_LEVEL": "LOUD"}, Config{}, `LOG_LEVEL "LOUD"`},
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
			if err != nil || got.Table != tt.want.Table || got.Endpoint != tt.want.Endpoint ||
				got.LogLevel != tt.want.LogLevel || !bytes.Equal(got.CursorSecret, tt.want.CursorSecret) {
				t.Errorf("ConfigFromEnv(%v) = %+v, %v, want %+v", tt.env, got, err, tt.want)
			}
		})
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
