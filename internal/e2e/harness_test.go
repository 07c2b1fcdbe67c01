package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// root is the repository root, relative to this package.
const root = "../.."

// lambdaTags are the build tags of the deployed functions (LAMBDA_TAGS in mk/lambda.mk): the
// tests run the binaries Lambda runs. TestLambdaTagsAreTheMakefiles holds the two together.
const lambdaTags = "lambda.norpc,nethttpomithttp2"

// rieBinary returns the path of the Runtime Interface Emulator, or "" when it is not installed.
func rieBinary() string {
	p := os.Getenv("AWS_LAMBDA_RIE")
	if p == "" {
		p = filepath.Join(root, ".tools", "bin", "aws-lambda-rie")
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return ""
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return abs
}

// buildFunctions builds the functions named (every one under functions/ when none is), for the
// host, as Lambda runs them (lambdaTags), into dir/<name>.
func buildFunctions(t testing.TB, dir string, names ...string) {
	t.Helper()
	pkgs := []string{"./functions/..."}
	if len(names) > 0 {
		pkgs = nil
		for _, n := range names {
			pkgs = append(pkgs, "./functions/"+n)
		}
	}
	cmd := exec.Command("go", append([]string{"build", "-tags", lambdaTags, "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// recorder remembers the DynamoDB actions a function performed, as "dynamodb:Op@resource" with
// resource samtemplate.TableArn or samtemplate.IndexArn: what IAM authorises, including the
// actions inside a transaction.
type recorder struct {
	mu      sync.Mutex
	actions map[string]bool
}

func (r *recorder) add(a string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.actions == nil {
		r.actions = map[string]bool{}
	}
	r.actions[a] = true
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for a := range r.actions {
		out = append(out, a)
	}
	return out
}

// record notes the actions of one DynamoDB request (JSON 1.0 protocol: the operation is in
// X-Amz-Target, the table and index in the body).
func (r *recorder) record(target string, body []byte) {
	_, op, ok := strings.Cut(target, ".")
	if !ok {
		r.add("unparsed request " + target)
		return
	}
	var in struct {
		IndexName     string
		TransactItems []map[string]json.RawMessage
	}
	_ = json.Unmarshal(body, &in)
	res := "Table"
	if in.IndexName != "" {
		res = "Table/index/" + in.IndexName
	}
	r.add("dynamodb:" + op + "@" + res)
	for _, item := range in.TransactItems {
		for kind := range item {
			switch kind {
			case "Put", "Update", "Delete":
				r.add("dynamodb:" + kind + "Item@Table")
			case "ConditionCheck":
				r.add("dynamodb:ConditionCheckItem@Table")
			}
		}
	}
}

// recordingProxy forwards to the DynamoDB emulator at target, recording every request in rec.
func recordingProxy(t *testing.T, target string, rec *recorder) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("DYNAMODB_ENDPOINT %q: %v", target, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.record(r.Header.Get("X-Amz-Target"), body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// syncBuffer is a bytes.Buffer safe for the writes of a child process and the reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// function is one function running under its own emulator.
type function struct {
	name   string
	url    string // invocation URL
	output *syncBuffer
	calls  *recorder
}

// startFunction runs binary under the emulator rie, bound to 127.0.0.1 (both its invoke API and
// the runtime API it gives the function), with env added to the test's environment. The process
// group is killed when the test ends, whatever happens.
func startFunction(t testing.TB, rie, name, binary string, env []string, calls *recorder) *function {
	t.Helper()
	invokePort, runtimePort := freePort(t), freePort(t)
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", invokePort),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", runtimePort),
		binary)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	// Its own process group, so the function's process, a child of the emulator, goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s under %s: %v", name, rie, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("output of %s under the emulator:\n%s", name, out.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", invokePort)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("%s: the emulator exited:\n%s", name, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the emulator is not listening on %s after 15s:\n%s", name, addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &function{
		name:   name,
		url:    "http://" + addr + "/2015-03-31/functions/function/invocations",
		output: out,
		calls:  calls,
	}
}

var invokeClient = &http.Client{Timeout: 60 * time.Second}

// post sends payload to the function through the emulator's invoke API and returns what the
// function answered.
func (f *function) post(t *testing.T, payload []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := invokeClient.Do(req)
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("invoke %s: read: %v", f.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: emulator status %d: %s", f.name, resp.StatusCode, body)
	}
	return body
}

// invoke sends event to the function, as API Gateway would, and returns its response.
func (f *function) invoke(t *testing.T, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	body := f.post(t, event)
	var out events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(body, &out); err != nil || out.StatusCode == 0 {
		t.Fatalf("invoke %s: not an HTTP API response (%v): %s", f.name, err, body)
	}
	return out
}

// event reads events/<name>.json with each old string replaced by its new one.
func event(t testing.TB, name string, replace ...string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "events", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(src)))
}

// withBody returns event with its body (and content-length) replaced.
func withBody(t *testing.T, event []byte, body string) []byte {
	t.Helper()
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatal(err)
	}
	e.Body = body
	e.Headers["content-length"] = fmt.Sprint(len(body))
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withRequest returns event as a request for method and path.
func withRequest(t *testing.T, event []byte, method, path string) []byte {
	t.Helper()
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatal(err)
	}
	e.RawPath, e.RequestContext.HTTP.Path, e.RequestContext.HTTP.Method = path, path, method
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decode unmarshals a response body into v.
func decode(t *testing.T, name string, r events.APIGatewayV2HTTPResponse, v any) {
	t.Helper()
	if r.IsBase64Encoded {
		t.Fatalf("%s: body is base64-encoded, want JSON text", name)
	}
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("%s: body %q: %v", name, r.Body, err)
	}
}

// header returns a response header whatever the case of its name in the response.
func header(r events.APIGatewayV2HTTPResponse, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// wantStatus fails the test unless r has status want and the headers every response carries.
func wantStatus(t *testing.T, name string, r events.APIGatewayV2HTTPResponse, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body %s", name, r.StatusCode, want, r.Body)
	}
	if ct := header(r, "Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", name, ct)
	}
	if header(r, "X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id header", name)
	}
}

// wantError fails the test unless r is the contract's error shape with status and code.
func wantError(t *testing.T, name string, r events.APIGatewayV2HTTPResponse, status int, code string) {
	t.Helper()
	wantStatus(t, name, r, status)
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	decode(t, name, r, &body)
	if body.Error == nil || body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("%s: body %s, want {\"error\": {\"code\": %q, \"message\": ...}}", name, r.Body, code)
	}
	sch, err := errorSchema()
	if err != nil {
		t.Fatalf("compile the error schema: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.Body))
	if err == nil {
		err = sch.Validate(inst)
	}
	if err != nil {
		t.Errorf("%s: body %s is not FlexPortal's error shape: %#v", name, r.Body, err)
	}
}

// errorSchema is FlexPortal's error body as internal/compat describes it, compiled once.
var errorSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return jsonschema.NewCompiler().Compile(filepath.Join(root, "internal", "compat", "testdata", "schemas", "error.json"))
})

// TestLambdaTagsAreTheMakefiles: the functions tested here are built as mk/lambda.mk builds them.
func TestLambdaTagsAreTheMakefiles(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join(root, "mk", "lambda.mk"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "\nLAMBDA_TAGS := " + lambdaTags + "\n"; !strings.Contains(string(mk), want) {
		t.Errorf("mk/lambda.mk has no line %q: the e2e tests would build other binaries than make does", strings.TrimSpace(want))
	}
}
