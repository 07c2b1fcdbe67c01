// Package telemetry is what a request tells about itself: the counts it gathers while it runs
// (DynamoDB requests and retries), the CloudWatch Embedded Metric Format (EMF) block that turns
// its log line into metrics, and its trace (trace.go). It has no AWS dependency: EMF is a JSON
// shape that CloudWatch Logs reads from any log line, and spans leave through an exporter given
// to it.
package telemetry

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Request is what one request carries for its log line, from the outermost wrapper of the
// handler (lambdafn in a function) to the line's builder (httpapi), through the context.
type Request struct {
	// Namespace is the CloudWatch namespace of the request's metrics; empty: the line carries no
	// EMF block (the local server).
	Namespace string
	// ColdStart is true for the first request a process serves (a Lambda container's first
	// invocation pays for its init).
	ColdStart bool

	dynamoRequests atomic.Int64
	dynamoRetries  atomic.Int64
}

type requestKey struct{}

// NewContext returns ctx carrying r.
func NewContext(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// FromContext returns the Request of ctx, or nil. Every method of a nil *Request does nothing.
func FromContext(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// CountDynamoDB adds one DynamoDB request (an operation, however many attempts it took) and its
// retries (attempts after the first: throttling, 5xx answers the SDK retried).
func (r *Request) CountDynamoDB(retries int) {
	if r == nil {
		return
	}
	r.dynamoRequests.Add(1)
	r.dynamoRetries.Add(int64(retries))
}

// DynamoDB returns the DynamoDB requests and retries counted so far.
func (r *Request) DynamoDB() (requests, retries int64) {
	if r == nil {
		return 0, 0
	}
	return r.dynamoRequests.Load(), r.dynamoRetries.Load()
}

// ColdStart tells a process's first request from the others. The zero value is ready.
type ColdStart struct{ served atomic.Bool }

// First reports whether this is the first call: true exactly once.
func (c *ColdStart) First() bool { return !c.served.Swap(true) }

// Metric is one metric of an EMF directive: the name of a field of the log line holding its
// value, and its CloudWatch unit.
type Metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// Units of Metric.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// Directive is one metric directive of an EMF block: metrics published under each of the
// dimension sets, every name of which is a string field of the log line.
type Directive struct {
	Dimensions [][]string
	Metrics    []Metric
}

// emfMetricDirective is a directive as EMF spells it.
type emfMetricDirective struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []Metric   `json:"Metrics"`
}

// EMF returns the "_aws" attribute that makes a JSON log line an EMF document of namespace at
// time t: CloudWatch Logs publishes, for each directive, each metric's value (the line's field
// of that name) under each dimension set (the values of the line's fields of those names).
// The line must hold every field named.
func EMF(namespace string, t time.Time, directives ...Directive) slog.Attr {
	ds := make([]emfMetricDirective, len(directives))
	for i, d := range directives {
		ds[i] = emfMetricDirective{Namespace: namespace, Dimensions: d.Dimensions, Metrics: d.Metrics}
	}
	return slog.Group("_aws",
		slog.Int64("Timestamp", t.UnixMilli()),
		slog.Any("CloudWatchMetrics", ds))
}
