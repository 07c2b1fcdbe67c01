package lambdafn

import (
	"strings"
	"testing"
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
