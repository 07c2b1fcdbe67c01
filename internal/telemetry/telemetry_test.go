package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestColdStart(t *testing.T) {
	var c ColdStart
	got := []bool{c.First(), c.First(), c.First()}
	if got[0] != true || got[1] || got[2] {
		t.Errorf("First() x3 = %v, want [true false false]", got)
	}
}

func TestEMF(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	at := time.UnixMilli(1764000000123)
	log.Info("request", slog.String("route", "r"), slog.Int("Requests", 1),
		EMF("NS", at, Directive{Dimensions: [][]string{{"route"}}, Metrics: []Metric{{Name: "Requests", Unit: Count}}}))
	var line struct {
		Route string `json:"route"`
		AWS   struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []Metric
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	d := line.AWS.CloudWatchMetrics
	if line.AWS.Timestamp != at.UnixMilli() || len(d) != 1 || d[0].Namespace != "NS" || len(d[0].Dimensions) != 1 ||
		d[0].Dimensions[0][0] != "route" || len(d[0].Metrics) != 1 || d[0].Metrics[0] != (Metric{"Requests", Count}) {
		t.Errorf("EMF line = %s, want _aws with Timestamp %d and one directive in NS by [route] of Requests:Count", buf.String(), at.UnixMilli())
	}
}

func TestRequestCounts(t *testing.T) {
	var nilReq *Request
	nilReq.CountDynamoDB(3) // no request in the context: nothing to count, no panic
	ctx := NewContext(context.Background(), &Request{})
	FromContext(ctx).CountDynamoDB(0)
	FromContext(ctx).CountDynamoDB(2)
	if n, r := FromContext(ctx).DynamoDB(); n != 2 || r != 2 {
		t.Errorf("DynamoDB() = %d, %d, want 2 requests, 2 retries", n, r)
	}
	if got := FromContext(context.Background()); got != nil {
		t.Errorf("FromContext(no request) = %v, want nil", got)
	}
}

// otlpCollector is an OTLP/HTTP traces endpoint that keeps the bodies and headers it receives.
type otlpCollector struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	status  int
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies = append(c.bodies, b)
	c.headers = append(c.headers, r.Header.Clone())
	if c.status != 0 {
		w.WriteHeader(c.status)
		_, _ = io.WriteString(w, "no such thing")
		return
	}
	_, _ = io.WriteString(w, "{}")
}

// testSpan and testKV read back the OTLP JSON encoding.
type (
	testSpan struct {
		TraceID, SpanID, ParentSpanID, Name string
		Kind                                int
		StartTimeUnixNano, EndTimeUnixNano  string
		Attributes                          []testKV
		Status                              struct {
			Code    int
			Message string
		}
	}
	testKV struct {
		Key   string
		Value map[string]any
	}
)

// TestOTLPExport sends the spans of one traced request through Handler to an OTLP endpoint and
// checks the JSON encoding: hex ids, the remote parent, OTLP's kind and status numbers, 64-bit
// integers as strings, the resource; and that the request signs and flushes once.
func TestOTLPExport(t *testing.T) {
	col := &otlpCollector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	signed := 0
	exp := &OTLPExporter{URL: srv.URL + "/v1/traces", Sign: func(_ context.Context, r *http.Request, body []byte) error {
		signed++
		r.Header.Set("Authorization", "signed "+string(rune('0'+len(body)%10)))
		return nil
	}}
	tr := NewTracing(exp, "svc", attribute.String("faas.name", "fn"))
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, child := tr.Provider.Tracer("test").Start(r.Context(), "child", trace.WithAttributes(
			attribute.Int("n", 7), attribute.Bool("b", true), attribute.Float64("f", 1.5), attribute.StringSlice("s", []string{"x", "y"})))
		child.SetStatus(codes.Error, "boom")
		child.End()
		Annotate(r.Context(), "route-a", "tenant-a", "")
		w.WriteHeader(http.StatusServiceUnavailable)
	}), "route-a")

	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	if len(col.bodies) != 1 || signed != 1 {
		t.Fatalf("%d exports, %d signed, want 1 and 1 (one flush per request)", len(col.bodies), signed)
	}
	if ct := col.headers[0].Get("Content-Type"); ct != "application/json" || !strings.HasPrefix(col.headers[0].Get("Authorization"), "signed") {
		t.Errorf("export headers %v, want application/json and the signature", col.headers[0])
	}
	var got struct {
		ResourceSpans []struct {
			Resource   struct{ Attributes []testKV }
			ScopeSpans []struct {
				Scope struct{ Name string }
				Spans []testSpan
			}
		}
	}
	if err := json.Unmarshal(col.bodies[0], &got); err != nil {
		t.Fatalf("export body %s: %v", col.bodies[0], err)
	}
	if len(got.ResourceSpans) != 1 {
		t.Fatalf("export body %s: want one resourceSpans", col.bodies[0])
	}
	res := map[string]any{}
	for _, kv := range got.ResourceSpans[0].Resource.Attributes {
		res[kv.Key] = kv.Value["stringValue"]
	}
	if res["service.name"] != "svc" || res["faas.name"] != "fn" {
		t.Errorf("resource %v, want service.name svc and faas.name fn", res)
	}
	spans := map[string]int{}
	for i, ss := range got.ResourceSpans[0].ScopeSpans {
		for j, s := range ss.Spans {
			spans[s.Name] = i*100 + j
		}
	}
	if len(spans) != 2 {
		t.Fatalf("export body %s: want spans route-a and child", col.bodies[0])
	}
	span := func(name string) testSpan {
		i := spans[name]
		return got.ResourceSpans[0].ScopeSpans[i/100].Spans[i%100]
	}
	server, child := span("route-a"), span("child")
	if server.TraceID != "5759e988bd862e3fe1be46a994272793" || server.ParentSpanID != "53995c3f42cd8ad8" || server.Kind != 2 ||
		server.Status.Code != 2 || len(server.SpanID) != 16 {
		t.Errorf("server span %+v, want trace 5759e988bd862e3fe1be46a994272793, parent 53995c3f42cd8ad8, kind 2 (server), status 2 (error: a 503)", server)
	}
	if child.ParentSpanID != server.SpanID || child.Kind != 1 || child.Status.Code != 2 || child.Status.Message != "boom" {
		t.Errorf("child span %+v, want parent %s, kind 1 (internal), status 2 boom", child, server.SpanID)
	}
	attrs := map[string]any{}
	for _, kv := range child.Attributes {
		for _, v := range kv.Value {
			attrs[kv.Key] = v
		}
	}
	if attrs["n"] != "7" || attrs["b"] != true || attrs["f"] != 1.5 || attrs["s"] == nil {
		t.Errorf("child attributes %v, want n \"7\" (int64 as a string), b true, f 1.5, s an array", attrs)
	}
	if server.StartTimeUnixNano == "" || server.EndTimeUnixNano < server.StartTimeUnixNano {
		t.Errorf("server span times %s..%s, want nanoseconds as strings", server.StartTimeUnixNano, server.EndTimeUnixNano)
	}
}

func TestOTLPExportFails(t *testing.T) {
	col := &otlpCollector{status: http.StatusForbidden}
	srv := httptest.NewServer(col)
	defer srv.Close()
	var logs bytes.Buffer
	tr := NewTracing(&OTLPExporter{URL: srv.URL}, "svc")
	tr.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "r")
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(logs.String(), "spans not exported") || !strings.Contains(logs.String(), "403 Forbidden: no such thing") {
		t.Errorf("log %s, want a warning with the endpoint's answer", logs.String())
	}
	err := (&OTLPExporter{URL: "http://127.0.0.1:9/v1/traces"}).ExportSpans(context.Background(), nil)
	if err != nil {
		t.Errorf("ExportSpans(no spans) = %v, want nil without a request", err)
	}
}

// TestOffTracing checks that tracing off records nothing, exports nothing, and still carries the
// trace id of the request's header to the handler (for its log line).
func TestOffTracing(t *testing.T) {
	tr := Off()
	var id string
	var recording bool
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id = TraceID(r.Context())
		recording = trace.SpanFromContext(r.Context()).IsRecording()
	}), "r")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if id != "1-5759e988-bd862e3fe1be46a994272793" || recording || tr.Recording() {
		t.Errorf("off: trace id %q, recording %v/%v, want the header's id and nothing recorded", id, recording, tr.Recording())
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Errorf("Flush() = %v, want nil", err)
	}
	if TraceID(context.Background()) != "" {
		t.Errorf("TraceID(no span) = %q, want empty", TraceID(context.Background()))
	}
}

// TestUnsampled checks that a request whose trace X-Ray did not sample records no span and
// makes no export.
func TestUnsampled(t *testing.T) {
	exp := &countingExporter{}
	tr := NewTracing(exp, "svc")
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), "r")
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if exp.calls != 0 {
		t.Errorf("unsampled request: %d exports, want 0", exp.calls)
	}
}

type sdkSpan = sdktrace.ReadOnlySpan

type countingExporter struct{ calls int }

func (c *countingExporter) ExportSpans(context.Context, []sdkSpan) error { c.calls++; return nil }
func (c *countingExporter) Shutdown(context.Context) error               { return errors.New("unused") }
