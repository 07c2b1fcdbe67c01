package lambdafn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewClient(t *testing.T) {
	lambdaEnv := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	badBundle := filepath.Join(t.TempDir(), "bundle.pem")
	if err := os.WriteFile(badBundle, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		endpoint   string
		env        map[string]string
		wantRegion string
		wantKey    string
		wantErr    string
	}{
		{"lambda", "", lambdaEnv, "eu-west-1", "AKID", ""},
		{"emulator without AWS settings", "http://127.0.0.1:1", nil, "us-east-1", "local", ""},
		{"emulator keeps given settings", "http://127.0.0.1:1", lambdaEnv, "eu-west-1", "AKID", ""},
		{"no region", "", map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "", "", "AWS_REGION"},
		{"no credentials", "", map[string]string{"AWS_REGION": "eu-west-1"}, "", "", "AWS_ACCESS_KEY_ID"},
		{"bad CA bundle", "", map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_CA_BUNDLE": badBundle}, "", "", "no PEM certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.endpoint, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("NewClient error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			o := c.Options()
			if o.Region != tt.wantRegion {
				t.Errorf("region = %q, want %q", o.Region, tt.wantRegion)
			}
			creds, err := o.Credentials.Retrieve(context.Background())
			if err != nil || creds.AccessKeyID != tt.wantKey {
				t.Errorf("credentials = %q, %v, want %q", creds.AccessKeyID, err, tt.wantKey)
			}
			if got := o.BaseEndpoint; (got == nil) != (tt.endpoint == "") || (got != nil && *got != tt.endpoint) {
				t.Errorf("BaseEndpoint = %v, want %q", got, tt.endpoint)
			}
		})
	}
}
