package lambdafn

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/tracing/smithyoteltracing"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/telemetry"
)

// wireDynamo is DynamoDB's JSON protocol over HTTP, just enough for the store's key lookup,
// order creation and update path (and a Query that finds nothing): items kept as the JSON the client sent, GetItem and
// BatchGetItem answered from them, UpdateItem answered with the stored item as its ALL_NEW image. It can throttle the next
// requests of an operation, which the SDK then retries.
type wireDynamo struct {
	mu       sync.Mutex
	items    map[string]json.RawMessage
	throttle map[string]int
}

func newWireDynamo() *wireDynamo {
	return &wireDynamo{items: map[string]json.RawMessage{}, throttle: map[string]int{}}
}

// wireKey is the primary key of an item or key in DynamoDB JSON.
func wireKey(raw json.RawMessage) string {
	var k map[string]struct{ S string }
	_ = json.Unmarshal(raw, &k)
	return k[dynamo.AttrPK].S + "\x00" + k[dynamo.AttrSK].S
}

func (d *wireDynamo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	defer d.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if d.throttle[op] > 0 {
		d.throttle[op]--
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`)
		return
	}
	var in struct {
		Item, Key     json.RawMessage
		TransactItems []struct {
			Put *struct{ Item json.RawMessage }
		}
		RequestItems map[string]struct{ Keys []json.RawMessage }
	}
	_ = json.Unmarshal(body, &in)
	out := map[string]json.RawMessage{}
	switch op {
	case "PutItem":
		d.items[wireKey(in.Item)] = in.Item
	case "TransactWriteItems":
		for _, it := range in.TransactItems {
			if it.Put != nil {
				d.items[wireKey(it.Put.Item)] = it.Put.Item
			}
		}
	case "GetItem":
		if item, ok := d.items[wireKey(in.Key)]; ok {
			out["Item"] = item
		}
	case "BatchGetItem":
		responses := map[string][]json.RawMessage{}
		for table, req := range in.RequestItems {
			responses[table] = []json.RawMessage{}
			for _, k := range req.Keys {
				if item, ok := d.items[wireKey(k)]; ok {
					responses[table] = append(responses[table], item)
				}
			}
		}
		out["Responses"], _ = json.Marshal(responses)
	case "UpdateItem":
		item, ok := d.items[wireKey(in.Key)]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)
			return
		}
		out["Attributes"] = item
	case "Query":
		out["Items"], out["Count"] = json.RawMessage("[]"), json.RawMessage("0") // lists are not under test here
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (d *wireDynamo) throttleNext(op string, n int) {
	d.mu.Lock()
	d.throttle[op] = n
	d.mu.Unlock()
}

// noBackoff retries at once, so a throttled request costs the test no time.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// The trace header Lambda gives an invocation whose trace X-Ray sampled: the function's segment
// is the parent of its spans.
const (
	lambdaTraceID    = "1-5759e988-bd862e3fe1be46a994272793"
	lambdaParentSpan = "53995c3f42cd8ad8"
	invocationTrace  = "Root=" + lambdaTraceID + ";Parent=" + lambdaParentSpan + ";Sampled=1"
	testNamespace    = "CustomersAPI/test"
)

// logLines returns the JSON lines of buf with message msg.
func logLines(t *testing.T, buf *bytes.Buffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %s: %v", line, err)
		}
		if rec["message"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// emfDirective is one directive of an EMF block as the test reads it back.
type emfDirective struct {
	Namespace  string
	Dimensions [][]string
	Metrics    []struct{ Name, Unit string }
}

func emfOf(t *testing.T, line map[string]any) (int64, []emfDirective) {
	t.Helper()
	raw, err := json.Marshal(line["_aws"])
	if err != nil {
		t.Fatal(err)
	}
	var block struct {
		Timestamp         int64
		CloudWatchMetrics []emfDirective
	}
	if err := json.Unmarshal(raw, &block); err != nil || line["_aws"] == nil {
		t.Fatalf("request line %v: no EMF block (%v)", line, err)
	}
	return block.Timestamp, block.CloudWatchMetrics
}

func metricNames(d emfDirective) []string {
	var names []string
	for _, m := range d.Metrics {
		names = append(names, m.Name+":"+m.Unit)
	}
	return names
}

// TestRequestTelemetry runs requests through the update-customer function as Serve wires it —
// the HTTP API adapter, httpapi, the store, a real DynamoDB client (against wireDynamo, which
// throttles one request) — with tracing on, and checks what the request leaves behind: its
// log line is an EMF document in the function's namespace with the route's metrics (one request,
// its latency, two DynamoDB requests of which one retried once), an error's line adds the
// errors by code; the spans are the server span, a child of Lambda's segment, and one client
// span per DynamoDB operation under it.
func TestRequestTelemetry(t *testing.T) {
	wire := newWireDynamo()
	srv := httptest.NewServer(wire)
	defer srv.Close()
	exp := tracetest.NewInMemoryExporter()
	tracing := telemetry.NewTracing(exp, "update-customer")
	env := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
	client, err := newDynamoClient(srv.URL, func(k string) string { return env[k] }, smithyoteltracing.Adapt(tracing.Provider),
		func(o *dynamodb.Options) {
			o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.Backoff = noBackoff{} })
		})
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(client, "customers")

	// The key and a customer, made before the function under test starts.
	ctx := invocationContext()
	if err := store.PutAPIKey(ctx, auth.Key{ID: "key_telemetry", Hash: auth.Hash(placeholderKey), Tenants: []string{placeholderTenant},
		Scopes: auth.AllScopes, Status: auth.StatusActive, CreatedAt: "2026-11-26T21:30:00.000Z"}); err != nil {
		t.Fatal(err)
	}
	create, err := New("create-order", store, httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	created, err := create(ctx, readEvent(t, "create-order"))
	if err != nil || created.StatusCode != http.StatusCreated {
		t.Fatalf("create-order = %d %s, %v", created.StatusCode, created.Body, err)
	}
	var body struct {
		Order struct {
			Customer struct{ CustomerID string } `json:"customer"`
		} `json:"order"`
	}
	_ = json.Unmarshal([]byte(created.Body), &body)

	var logs bytes.Buffer
	log := functionLoggerTo(&logs, Config{LogLevel: slog.LevelInfo, Function: "customers-update", Version: "7"})
	obs := observability{namespace: testNamespace, tracing: tracing, name: "update-customer", coldStart: &telemetry.ColdStart{}}
	h, err := newHandler("update-customer", store, httpapi.Options{Logger: log}, obs)
	if err != nil {
		t.Fatal(err)
	}
	_ = tracing.Flush(ctx) // the spans of making the fixture
	exp.Reset()
	wire.throttleNext("UpdateItem", 1)

	//lint:ignore SA1029 the key aws-lambda-go uses for the invocation's trace header
	ictx := context.WithValue(ctx, "x-amzn-trace-id", invocationTrace)
	ev := readEvent(t, "update-customer", placeholderCustomer, body.Order.Customer.CustomerID)
	start := time.Now()
	resp, err := h(ictx, ev)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("update-customer = %d %s, %v, want 200", resp.StatusCode, resp.Body, err)
	}

	lines := logLines(t, &logs, "request")
	if len(lines) != 1 {
		t.Fatalf("request lines = %v, want 1", lines)
	}
	line := lines[0]
	want := map[string]any{
		"route": "update-customer", "tenantId": placeholderTenant, "status": 200.0, "coldStart": true,
		"functionName": "customers-update", "functionVersion": "7", "traceId": lambdaTraceID,
		"Requests": 1.0, "ClientErrors": 0.0, "ServerErrors": 0.0,
		"DynamoDBRequests": 2.0, "DynamoDBRetries": 1.0, "IdempotentReplays": 0.0,
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("request line %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["code"]; ok {
		t.Errorf("request line code = %v on a 200, want none", line["code"])
	}
	if ms, _ := line["durationMs"].(float64); ms <= 0 || ms != line["Latency"] {
		t.Errorf("request line durationMs = %v, Latency = %v, want the same positive milliseconds", line["durationMs"], line["Latency"])
	}
	ts, directives := emfOf(t, line)
	if ts < start.UnixMilli() || ts > time.Now().UnixMilli() {
		t.Errorf("EMF Timestamp = %d, want the request's time in ms (%d)", ts, start.UnixMilli())
	}
	wantMetrics := []string{"Requests:Count", "Latency:Milliseconds", "ClientErrors:Count", "ServerErrors:Count",
		"DynamoDBRequests:Count", "DynamoDBRetries:Count", "IdempotentReplays:Count"}
	if len(directives) != 1 || directives[0].Namespace != testNamespace ||
		!slices.EqualFunc(directives[0].Dimensions, [][]string{{"route"}}, slices.Equal) ||
		!slices.Equal(metricNames(directives[0]), wantMetrics) {
		t.Errorf("EMF directives = %+v, want one in %s by [route] of %v", directives, testNamespace, wantMetrics)
	}

	spans := exp.GetSpans()
	var server *tracetest.SpanStub
	var ops []string
	for i := range spans {
		if spans[i].SpanKind == trace.SpanKindServer {
			server = &spans[i]
		}
	}
	if server == nil {
		t.Fatalf("spans %v, want a server span", spanNames(spans))
	}
	if server.Name != "update-customer" || server.SpanContext.TraceID().String() != strings.ReplaceAll(lambdaTraceID[2:], "-", "") ||
		server.Parent.SpanID().String() != lambdaParentSpan || !server.Parent.IsRemote() {
		t.Errorf("server span %q in trace %s, parent %s, want update-customer in %s under Lambda's segment %s",
			server.Name, server.SpanContext.TraceID(), server.Parent.SpanID(), lambdaTraceID, lambdaParentSpan)
	}
	attrs := map[string]string{}
	for _, kv := range server.Attributes {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	if attrs["http.request.method"] != "PUT" || attrs["http.response.status_code"] != "200" || attrs["tenant.id"] != placeholderTenant {
		t.Errorf("server span attributes %v, want method PUT, status 200, tenant.id %s", attrs, placeholderTenant)
	}
	for _, s := range spans {
		if s.SpanKind != trace.SpanKindClient {
			continue
		}
		ops = append(ops, s.Name)
		if s.Parent.SpanID() != server.SpanContext.SpanID() || s.SpanContext.TraceID() != server.SpanContext.TraceID() {
			t.Errorf("span %s: parent %s, want the server span %s", s.Name, s.Parent.SpanID(), server.SpanContext.SpanID())
		}
	}
	if !slices.Equal(ops, []string{"DynamoDB.GetItem", "DynamoDB.UpdateItem"}) {
		t.Errorf("client spans %v, want DynamoDB.GetItem (the key) then DynamoDB.UpdateItem", ops)
	}

	// A refused body: the line adds the error and its code, as a metric by code; the key is cached
	// now, and no DynamoDB request is made.
	logs.Reset()
	resp, err = h(ictx, readEvent(t, "update-customer", placeholderCustomer, body.Order.Customer.CustomerID, `\"firstName\":\"Ada\"`, `\"firstName\":5`))
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("update-customer with a number for firstName = %d %s, %v, want 400", resp.StatusCode, resp.Body, err)
	}
	line = logLines(t, &logs, "request")[0]
	for k, v := range map[string]any{"status": 400.0, "code": "VALIDATION_ERROR", "coldStart": false,
		"ClientErrors": 1.0, "ServerErrors": 0.0, "Errors": 1.0, "DynamoDBRequests": 0.0} {
		if line[k] != v {
			t.Errorf("refused request line %s = %v, want %v", k, line[k], v)
		}
	}
	if _, directives := emfOf(t, line); len(directives) != 2 ||
		!slices.EqualFunc(directives[1].Dimensions, [][]string{{"route", "code"}}, slices.Equal) ||
		!slices.Equal(metricNames(directives[1]), []string{"Errors:Count"}) {
		t.Errorf("refused request EMF directives = %+v, want the route's and Errors by [route code]", directives)
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestXRayExport checks the export Serve sets up for TRACING=xray: the spans of an invocation go
// to the OTLP endpoint (X-Ray's, here a stand-in named by OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
// SigV4-signed for the service xray with the function's credentials, before the answer.
func TestXRayExport(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	env := map[string]string{"TABLE_NAME": "t", "TRACING": "xray", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": srv.URL + "/v1/traces"}
	getenv := func(k string) string { return env[k] }
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := observabilityFromConfig("get-customer", cfg, slog.New(slog.DiscardHandler), getenv)
	if err != nil || !obs.tracing.Recording() || obs.sdkTracer() == nil {
		t.Fatalf("observabilityFromConfig(TRACING=xray) = %+v, %v, want recording tracing", obs, err)
	}
	obs.coldStart = &telemetry.ColdStart{}
	h := adapt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }), obs)
	//lint:ignore SA1029 the key aws-lambda-go uses for the invocation's trace header
	ctx := context.WithValue(invocationContext(), "x-amzn-trace-id", invocationTrace)
	if resp, err := h(ctx, readEvent(t, "get-customer")); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("invoke = %d, %v", resp.StatusCode, err)
	}
	if len(got) != 1 {
		t.Fatalf("%d exports, want 1 before the answer", len(got))
	}
	auth := got[0].Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/eu-west-1/xray/aws4_request") ||
		got[0].Header.Get("X-Amz-Security-Token") != "token" || got[0].URL.Path != "/v1/traces" {
		t.Errorf("export %s with Authorization %q, want /v1/traces signed for xray in eu-west-1 with the session token", got[0].URL.Path, auth)
	}
	if !strings.Contains(bodies[0], `"traceId":"5759e988bd862e3fe1be46a994272793"`) || !strings.Contains(bodies[0], `"name":"get-customer"`) {
		t.Errorf("export body %s, want the get-customer span in Lambda's trace", bodies[0])
	}

	// Off (the default): nothing is sent, and the SDK clients get no tracer.
	off, err := observabilityFromConfig("get-customer", Config{Tracing: TracingOff}, slog.New(slog.DiscardHandler), getenv)
	if err != nil || off.tracing.Recording() || off.sdkTracer() != nil {
		t.Errorf("observabilityFromConfig(TRACING=off) = %+v, %v, want inert tracing", off, err)
	}
}

// TestNotFoundTelemetry checks the request lines of the $default function: a 404 and a 405 are
// logged with the route not-found, their status and error code, and counted as errors by code.
func TestNotFoundTelemetry(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(NewLogHandler(&logs, slog.LevelInfo)))
	defer slog.SetDefault(prev)
	h := adapt(httpapi.NotFound(), observability{namespace: testNamespace, tracing: telemetry.Off(), name: "not-found", coldStart: &telemetry.ColdStart{}})
	ctx := invocationContext()
	if resp, err := h(ctx, readEvent(t, "not-found")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("not-found = %d, %v, want 404", resp.StatusCode, err)
	}
	ev := readEvent(t, "update-customer")
	ev.RequestContext.HTTP.Method = http.MethodPatch
	if resp, err := h(ctx, ev); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("PATCH a customer = %d, %v, want 405", resp.StatusCode, err)
	}
	lines := logLines(t, &logs, "request")
	if len(lines) != 2 {
		t.Fatalf("request lines %v, want 2", lines)
	}
	for i, want := range []struct {
		status float64
		code   string
	}{{404, "NOT_FOUND"}, {405, "METHOD_NOT_ALLOWED"}} {
		l := lines[i]
		if l["route"] != "not-found" || l["status"] != want.status || l["code"] != want.code || l["ClientErrors"] != 1.0 || l["Errors"] != 1.0 {
			t.Errorf("line %d = %v, want route not-found, status %v, code %s, one client error", i, l, want.status, want.code)
		}
		if _, directives := emfOf(t, l); len(directives) != 2 {
			t.Errorf("line %d EMF directives %+v, want the route's and the errors by code", i, directives)
		}
	}
}
