package apiclient

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedClientIsCurrent regenerates the client from openapi.yaml, with the pinned
// oapi-codegen of go.mod's tool directive and the options of oapi-codegen.yaml, and fails unless
// the result is client.gen.go byte for byte: a change to the spec must come with `go generate
// ./internal/apiclient/`. It builds oapi-codegen the first time (tens of seconds).
func TestGeneratedClientIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs oapi-codegen")
	}
	config, err := os.ReadFile("oapi-codegen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The same options, writing elsewhere (oapi-codegen's -o does not override a config's output).
	dir := t.TempDir()
	out := filepath.Join(dir, "client.gen.go")
	const line = "\noutput: client.gen.go\n"
	if !bytes.Contains(config, []byte(line)) {
		t.Fatalf("oapi-codegen.yaml has no line %q", strings.TrimSpace(line))
	}
	tmpConfig := filepath.Join(dir, "oapi-codegen.yaml")
	if err := os.WriteFile(tmpConfig, bytes.Replace(config, []byte(line), []byte("\noutput: "+out+"\n"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	goCmd := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		goCmd = filepath.Join(root, "bin", "go")
	}
	cmd := exec.Command(goCmd, "tool", "oapi-codegen", "-config", tmpConfig, filepath.Join("..", "..", "openapi.yaml"))
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go tool oapi-codegen: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("client.gen.go is not what openapi.yaml generates: run go generate ./internal/apiclient/ and commit the result")
	}
}
