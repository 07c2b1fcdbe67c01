package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// initReport is the emulator's log line for a finished init phase.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// BenchmarkInit measures what docs/design.md's cold-start target is about: the init duration the
// Runtime Interface Emulator reports for a function, next to a hello-world Go function built the
// same way in the same run (target: within 1.5x). Each iteration is a fresh emulator and process,
// invoked once; the metrics are init-ms, the mean of the reported durations, and x-hello, that
// mean over hello's.
//
//	make rie && go test -run '^$' -bench Init -benchtime 10x ./internal/e2e/
func BenchmarkInit(b *testing.B) {
	rie := rieBinary()
	if rie == "" {
		b.Skip("the Lambda Runtime Interface Emulator is not installed: make rie")
	}
	// Both built as Lambda runs them (mk/lambda.mk's flags), for this machine.
	dir := b.TempDir()
	for _, pkg := range []string{"./functions/...", "./internal/e2e/testdata/hello"} {
		build := exec.Command("go", "build", "-tags", lambdaTags, "-trimpath", "-ldflags=-s -w", "-o", dir+string(filepath.Separator), pkg)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	// The functions' configuration; nothing is contacted during init. (No LOG_LEVEL: the emulator
	// reads it too, and would stop printing its INIT REPORT.)
	// Nor AWS_CA_BUNDLE, which Lambda does not set and which costs ~10 ms of certificate parsing
	// where a machine sets it.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") && !strings.HasPrefix(kv, "LOG_LEVEL=") {
			env = append(env, kv)
		}
	}
	// The list functions read their cursor keys (one GetSecretValue) from a stand-in for Secrets
	// Manager on loopback, in the background from their first invocation on: not in init.
	// CURSOR_SECRET is for functions that predate the secret; the secret wins where both are
	// set. TENANT_ROLE_ARN as in the template (no request at init).
	var secretReads atomic.Int64
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretReads.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = fmt.Fprintf(w, `{"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:c","Name":"c","SecretString":"{\"current\":\"1\",\"1\":\"%s\"}"}`,
			strings.Repeat("s", 64))
	}))
	b.Cleanup(sm.Close)
	env = append(env, "TABLE_NAME=customers-bench", "DYNAMODB_ENDPOINT=http://127.0.0.1:9",
		"CURSOR_SECRET="+strings.Repeat("s", 32), "CURSOR_SECRET_ARN=arn:aws:secretsmanager:us-east-1:000000000000:secret:c",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL, "TENANT_ROLE_ARN=arn:aws:iam::000000000000:role/bench/tenant/r",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench",
		"AWS_SECRET_ACCESS_KEY=bench", "EVENT_BUS_NAME=customers-bench",
		"DEAD_LETTER_QUEUE_URL=http://127.0.0.1:9/000000000000/crm-changes-dlq.fifo")
	var hello float64 // the floor: hello's mean init, measured first
	for _, name := range []string{"hello", "update-customer", "list-customers", "create-order", "crm-sync", "change-events"} {
		b.Run(name, func(b *testing.B) {
			var total float64
			for b.Loop() {
				total += initOnce(b, rie, filepath.Join(dir, name), env)
			}
			// Whether each read ended before its process was stopped is a race; that some did
			// shows the function was configured as deployed.
			if name == "list-customers" && secretReads.Load() == 0 {
				b.Fatalf("list-customers never read its secret in %d inits", b.N)
			}
			mean := total / float64(b.N)
			b.ReportMetric(mean, "init-ms")
			if name == "hello" {
				hello = mean
			} else if hello > 0 {
				b.ReportMetric(mean/hello, "x-hello")
			}
		})
	}
}

// initOnce starts binary under a fresh emulator on 127.0.0.1, invokes it once (init runs before
// the first invocation), stops it, and returns the init duration the emulator reported in ms.
func initOnce(b *testing.B, rie, binary string, env []string) float64 {
	b.Helper()
	port := freePort(b)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", freePort(b)), binary)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr, cmd.Env = out, out, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", binary, err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		// Any event will do: init is over before the handler sees it.
		resp, err := http.Post(url, "application/json", bytes.NewReader([]byte(`{}`)))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: no answer from the emulator: %v\n%s", binary, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		if m := initReport.FindStringSubmatch(out.String()); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				b.Fatalf("%s: %q: %v", binary, m[0], err)
			}
			return ms
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: no INIT REPORT from the emulator:\n%s", binary, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
