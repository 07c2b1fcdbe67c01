package lambdafn

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestStoreFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"table and emulator", map[string]string{"TABLE_NAME": "t", "DYNAMODB_ENDPOINT": "http://127.0.0.1:1"}, ""},
		{"no paging secret needed", map[string]string{"TABLE_NAME": "t", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, ""},
		{"no table", map[string]string{"DYNAMODB_ENDPOINT": "http://127.0.0.1:1"}, "TABLE_NAME is required"},
		{"no credentials", map[string]string{"TABLE_NAME": "t", "AWS_REGION": "eu-west-1"}, "AWS_ACCESS_KEY_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := StoreFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("StoreFromEnv(%v) error = %v, want %q", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil || s == nil {
				t.Errorf("StoreFromEnv(%v) = %v, %v, want a store", tt.env, s, err)
			}
		})
	}
}

func TestAWSConfig(t *testing.T) {
	cfg, err := AWSConfig("http://127.0.0.1:1", func(string) string { return "" })
	if err != nil || cfg.Region != "us-east-1" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Errorf("AWSConfig(emulator) = %+v, %v, want us-east-1 at the emulator", cfg, err)
	}
	if _, err := AWSConfig("", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("AWSConfig without environment error = %v, want AWS_REGION named", err)
	}
}

// TestWithReserve: the handler's deadline is Reserve before the invocation's; without one (a test
// calling the handler) there is none.
func TestWithReserve(t *testing.T) {
	var got time.Time
	var has bool
	h := WithReserve(func(ctx context.Context, in int) (int, error) {
		got, has = ctx.Deadline()
		return in + 1, nil
	})
	deadline := time.Now().Add(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if out, err := h(ctx, 1); out != 2 || err != nil {
		t.Errorf("handler = %d, %v, want 2, nil", out, err)
	}
	if !has || !got.Equal(deadline.Add(-Reserve)) {
		t.Errorf("handler deadline = %v (%v), want %v", got, has, deadline.Add(-Reserve))
	}
	if _, _ = h(context.Background(), 1); has {
		t.Errorf("handler without an invocation deadline has deadline %v, want none", got)
	}
}
