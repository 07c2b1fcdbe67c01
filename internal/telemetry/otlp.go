package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// OTLPExporter sends spans to an OTLP/HTTP traces endpoint in OTLP's JSON encoding (the X-Ray
// OTLP endpoint accepts it, as does any collector). Why not the OpenTelemetry exporter
// (otlptracehttp): it encodes protobuf, and its generated OTLP packages bring protobuf and gRPC,
// several MB, into functions that must stay under 10 MB; the JSON mapping of spans is this file.
type OTLPExporter struct {
	// URL is the endpoint, e.g. https://xray.us-east-1.amazonaws.com/v1/traces.
	URL string
	// Client sends the requests (an *http.Client, or the AWS SDK's). Nil: http.DefaultClient.
	Client interface {
		Do(*http.Request) (*http.Response, error)
	}
	// Sign, when set, authenticates each request, given its body (SigV4 for X-Ray).
	Sign func(ctx context.Context, req *http.Request, body []byte) error
}

// ExportSpans sends spans in one request.
func (e *OTLPExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	body, err := json.Marshal(OTLPRequest(spans))
	if err != nil {
		return fmt.Errorf("telemetry: encode spans: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("telemetry: export spans: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if e.Sign != nil {
		if err := e.Sign(ctx, req, body); err != nil {
			return fmt.Errorf("telemetry: sign the span export: %w", err)
		}
	}
	var resp *http.Response
	if e.Client != nil {
		resp, err = e.Client.Do(req)
	} else {
		resp, err = http.DefaultClient.Do(req)
	}
	if err != nil {
		return fmt.Errorf("telemetry: export spans: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("telemetry: export spans: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// Shutdown does nothing: the exporter holds no resources.
func (e *OTLPExporter) Shutdown(context.Context) error { return nil }

// The OTLP JSON encoding (opentelemetry-proto, ExportTraceServiceRequest): ids in hex, 64-bit
// integers as strings, enums as numbers.
type (
	otlpRequest struct {
		ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
	}
	otlpResourceSpans struct {
		Resource   otlpResource     `json:"resource"`
		ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
	}
	otlpResource struct {
		Attributes []otlpKeyValue `json:"attributes"`
	}
	otlpScopeSpans struct {
		Scope otlpScope  `json:"scope"`
		Spans []otlpSpan `json:"spans"`
	}
	otlpScope struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	otlpSpan struct {
		TraceID      string         `json:"traceId"`
		SpanID       string         `json:"spanId"`
		ParentSpanID string         `json:"parentSpanId,omitempty"`
		Name         string         `json:"name"`
		Kind         int            `json:"kind"`
		Start        string         `json:"startTimeUnixNano"`
		End          string         `json:"endTimeUnixNano"`
		Attributes   []otlpKeyValue `json:"attributes,omitempty"`
		Events       []otlpEvent    `json:"events,omitempty"`
		Status       otlpStatus     `json:"status"`
	}
	otlpEvent struct {
		Time       string         `json:"timeUnixNano"`
		Name       string         `json:"name"`
		Attributes []otlpKeyValue `json:"attributes,omitempty"`
	}
	otlpStatus struct {
		Code    int    `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
	}
	otlpKeyValue struct {
		Key   string    `json:"key"`
		Value otlpValue `json:"value"`
	}
	otlpValue struct {
		String *string     `json:"stringValue,omitempty"`
		Bool   *bool       `json:"boolValue,omitempty"`
		Int    *string     `json:"intValue,omitempty"`
		Double *float64    `json:"doubleValue,omitempty"`
		Array  *otlpValues `json:"arrayValue,omitempty"`
	}
	otlpValues struct {
		Values []otlpValue `json:"values"`
	}
)

// OTLPRequest returns spans as an OTLP ExportTraceServiceRequest, for json.Marshal: one
// resource (spans of one process share theirs), one entry per instrumentation scope.
func OTLPRequest(spans []sdktrace.ReadOnlySpan) any {
	rs := otlpResourceSpans{}
	if len(spans) > 0 && spans[0].Resource() != nil {
		rs.Resource.Attributes = otlpAttributes(spans[0].Resource().Attributes())
	}
	byScope := map[otlpScope]int{}
	for _, s := range spans {
		sc := otlpScope{Name: s.InstrumentationScope().Name, Version: s.InstrumentationScope().Version}
		i, ok := byScope[sc]
		if !ok {
			i = len(rs.ScopeSpans)
			byScope[sc] = i
			rs.ScopeSpans = append(rs.ScopeSpans, otlpScopeSpans{Scope: sc})
		}
		rs.ScopeSpans[i].Spans = append(rs.ScopeSpans[i].Spans, otlpSpanOf(s))
	}
	return otlpRequest{ResourceSpans: []otlpResourceSpans{rs}}
}

func otlpSpanOf(s sdktrace.ReadOnlySpan) otlpSpan {
	out := otlpSpan{
		TraceID:    s.SpanContext().TraceID().String(),
		SpanID:     s.SpanContext().SpanID().String(),
		Name:       s.Name(),
		Kind:       int(s.SpanKind()), // the same numbers as OTLP's SpanKind
		Start:      strconv.FormatInt(s.StartTime().UnixNano(), 10),
		End:        strconv.FormatInt(s.EndTime().UnixNano(), 10),
		Attributes: otlpAttributes(s.Attributes()),
	}
	if p := s.Parent(); p.SpanID().IsValid() {
		out.ParentSpanID = p.SpanID().String()
	}
	for _, ev := range s.Events() {
		out.Events = append(out.Events, otlpEvent{
			Time: strconv.FormatInt(ev.Time.UnixNano(), 10), Name: ev.Name, Attributes: otlpAttributes(ev.Attributes),
		})
	}
	// OTLP's status codes: 0 unset, 1 ok, 2 error (the Go API numbers them otherwise).
	switch s.Status().Code {
	case codes.Ok:
		out.Status.Code = 1
	case codes.Error:
		out.Status = otlpStatus{Code: 2, Message: s.Status().Description}
	}
	return out
}

func otlpAttributes(kvs []attribute.KeyValue) []otlpKeyValue {
	out := make([]otlpKeyValue, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, otlpKeyValue{Key: string(kv.Key), Value: otlpValueOf(kv.Value)})
	}
	return out
}

func otlpValueOf(v attribute.Value) otlpValue {
	switch v.Type() {
	case attribute.BOOL:
		b := v.AsBool()
		return otlpValue{Bool: &b}
	case attribute.INT64:
		s := strconv.FormatInt(v.AsInt64(), 10)
		return otlpValue{Int: &s}
	case attribute.FLOAT64:
		f := v.AsFloat64()
		return otlpValue{Double: &f}
	case attribute.BOOLSLICE, attribute.INT64SLICE, attribute.FLOAT64SLICE, attribute.STRINGSLICE:
		var vals []otlpValue
		switch v.Type() {
		case attribute.BOOLSLICE:
			for _, b := range v.AsBoolSlice() {
				vals = append(vals, otlpValueOf(attribute.BoolValue(b)))
			}
		case attribute.INT64SLICE:
			for _, n := range v.AsInt64Slice() {
				vals = append(vals, otlpValueOf(attribute.Int64Value(n)))
			}
		case attribute.FLOAT64SLICE:
			for _, f := range v.AsFloat64Slice() {
				vals = append(vals, otlpValueOf(attribute.Float64Value(f)))
			}
		default:
			for _, s := range v.AsStringSlice() {
				vals = append(vals, otlpValueOf(attribute.StringValue(s)))
			}
		}
		return otlpValue{Array: &otlpValues{Values: vals}}
	default:
		s := v.String()
		return otlpValue{String: &s}
	}
}

// LogExporter writes each span as a log line ("span"): what the local server does with its
// traces when asked (-trace), with no collector to send them to.
type LogExporter struct{ Log *slog.Logger }

// ExportSpans logs spans, one line each.
func (e LogExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	for _, s := range spans {
		attrs := []slog.Attr{
			slog.String("name", s.Name()),
			slog.String("traceId", s.SpanContext().TraceID().String()),
			slog.String("spanId", s.SpanContext().SpanID().String()),
			slog.Float64("durationMs", float64(s.EndTime().Sub(s.StartTime()).Microseconds())/1000),
		}
		if p := s.Parent(); p.SpanID().IsValid() {
			attrs = append(attrs, slog.String("parentSpanId", p.SpanID().String()))
		}
		if s.Status().Code == codes.Error {
			attrs = append(attrs, slog.String("status", "error"))
		}
		group := make([]any, 0, len(s.Attributes()))
		for _, kv := range s.Attributes() {
			group = append(group, slog.String(string(kv.Key), kv.Value.String()))
		}
		attrs = append(attrs, slog.Group("attributes", group...))
		e.Log.LogAttrs(ctx, slog.LevelInfo, "span", attrs...)
	}
	return nil
}

// Shutdown does nothing.
func (LogExporter) Shutdown(context.Context) error { return nil }
