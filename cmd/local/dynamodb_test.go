//go:build dynamodb

package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunOnDynamoDB: the build with -tags dynamodb serves the API on a DynamoDB table it creates
// (make test-go runs it on moto), and says so in /healthz.
func TestRunOnDynamoDB(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT is not set: run scripts/with-moto.sh go test -tags dynamodb ./cmd/local/")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	table := "cmd-local-" + hex.EncodeToString(b)
	url, lines := start(t, "-data", filepath.Join(t.TempDir(), "d.db"), "-dynamodb-endpoint", endpoint,
		"-table", table, "-create-table", "-api-key", "acme=s3cret")
	if out := strings.Join(lines, "\n"); !strings.Contains(out, "Connecting to DynamoDB at "+endpoint) {
		t.Errorf("printed %q, want the DynamoDB endpoint named", out)
	}
	if status, body := get(t, url+"/v1/customers", "s3cret", "acme"); status != 200 || body["count"] != 0.0 {
		t.Errorf("GET /v1/customers = %d %v, want 200 and an empty list", status, body)
	}
	if _, body := fetch(t, "GET", url+"/healthz"); !strings.Contains(body, `"store":"dynamodb"`) {
		t.Errorf("GET /healthz = %s, want store dynamodb", body)
	}
}
