package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TraceID returns the trace id of ctx's span in X-Ray's form (1-<8 hex>-<24 hex>), as the X-Ray
// console and CloudWatch show it, or "" when ctx has no valid span.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.TraceID().IsValid() {
		return ""
	}
	h := sc.TraceID().String()
	return "1-" + h[:8] + "-" + h[8:]
}

// Annotate names the span of ctx, if it records, after the request's route, and sets on it the
// tenant and any error code: what the request's log line says, so a trace can be found by either.
func Annotate(ctx context.Context, route, tenant, errorCode string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetName(route)
	span.SetAttributes(attribute.String("route", route), attribute.String("tenant.id", tenant))
	if errorCode != "" {
		span.SetAttributes(attribute.String("error.code", errorCode))
	}
}

// Tracing is a process's tracing: a provider for the HTTP and AWS SDK instrumentation, and the
// spans of the current request waiting to be exported. The zero value is not usable: use Off or
// NewTracing.
type Tracing struct {
	// Provider makes the spans: a no-op one when tracing is off, so the instrumentation stays
	// in place, inert.
	Provider trace.TracerProvider
	// Log, when set, receives the failures of span exports (which never fail a request).
	Log   *slog.Logger
	spans *requestSpans // nil when off
}

// Recording reports whether spans are recorded and exported (NewTracing), not inert (Off).
func (t *Tracing) Recording() bool { return t.spans != nil }

// Off returns tracing that records nothing: spans are no-ops, though a trace id that came with
// the request (its X-Amzn-Trace-Id) still reaches the log line.
func Off() *Tracing { return &Tracing{Provider: noop.NewTracerProvider()} }

// NewTracing returns tracing that records the spans of sampled requests and hands them to exp at
// each Flush. Trace and span ids are X-Ray's (a trace id starts with its time), and a request
// is sampled when the trace it belongs to is (in Lambda, the X-Ray sampling decision Lambda made
// for the invocation), or always when it belongs to none. service names the process in the
// spans' resource (service.name).
func NewTracing(exp sdktrace.SpanExporter, service string, attrs ...attribute.KeyValue) *Tracing {
	spans := &requestSpans{exp: exp}
	res := resource.NewSchemaless(append([]attribute.KeyValue{attribute.String("service.name", service)}, attrs...)...)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(spans),
		sdktrace.WithIDGenerator(xray.NewIDGenerator()),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithResource(res),
	)
	return &Tracing{Provider: tp, spans: spans}
}

// Handler returns h traced: a server span named name around each request, the child of the
// trace its X-Amzn-Trace-Id header names (the X-Ray propagator), then a Flush of the request's
// spans before the response leaves h — in Lambda a container is frozen once it has answered,
// so nothing may wait for later.
//
// Why not otelhttp.NewHandler: it makes every function binary 1.5 MB larger (measured: its
// httpsnoop wrappers, metrics and semantic-convention packages), past the 10 MB budget with
// the rest of tracing; this span has what a trace of these functions needs (method, status,
// error on 5xx; httpapi names the route and the tenant on it).
func (t *Tracing) Handler(h http.Handler, name string) http.Handler {
	tracer := t.Provider.Tracer(scope)
	traced := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := xray.Propagator{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		if !span.IsRecording() {
			h.ServeHTTP(w, r.WithContext(ctx)) // off, or not sampled: only the trace id travels
			return
		}
		span.SetAttributes(attribute.String("http.request.method", r.Method))
		rec := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.status))
		}
	})
	if t.spans == nil {
		return traced
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traced.ServeHTTP(w, r)
		// Even when the client has gone: the spans say what happened to its request.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), flushTimeout)
		defer cancel()
		if err := t.Flush(ctx); err != nil && t.Log != nil {
			t.Log.LogAttrs(ctx, slog.LevelWarn, "spans not exported", slog.String("error", err.Error()))
		}
	})
}

// scope is the instrumentation scope of the server spans.
const scope = "github.com/flexportal-compat/customers-api/internal/telemetry"

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush exports the spans ended since the last Flush, in one call of the exporter. Without
// spans (tracing off, or the request not sampled) it does nothing.
func (t *Tracing) Flush(ctx context.Context) error {
	if t.spans == nil {
		return nil
	}
	return t.spans.flush(ctx)
}

// flushTimeout bounds the export of a request's spans.
const flushTimeout = 2 * time.Second

// maxSpans bounds the spans kept between two flushes; past it, spans are dropped.
const maxSpans = 1024

// requestSpans is a span processor that keeps the sampled spans ended since the last flush.
// The SDK's batch processor exports from a goroutine on a timer, which a frozen Lambda
// container would never run; this one exports when told.
type requestSpans struct {
	exp sdktrace.SpanExporter

	mu    sync.Mutex
	ended []sdktrace.ReadOnlySpan
}

func (p *requestSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (p *requestSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	p.mu.Lock()
	if len(p.ended) < maxSpans {
		p.ended = append(p.ended, s)
	}
	p.mu.Unlock()
}

func (p *requestSpans) flush(ctx context.Context) error {
	p.mu.Lock()
	spans := p.ended
	p.ended = nil
	p.mu.Unlock()
	if len(spans) == 0 {
		return nil
	}
	return p.exp.ExportSpans(ctx, spans)
}

func (p *requestSpans) ForceFlush(ctx context.Context) error { return p.flush(ctx) }

func (p *requestSpans) Shutdown(ctx context.Context) error {
	if err := p.flush(ctx); err != nil {
		return err
	}
	return p.exp.Shutdown(ctx)
}
