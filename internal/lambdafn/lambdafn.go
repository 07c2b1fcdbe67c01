// Package lambdafn is what every function under functions/ shares: configuration from the
// environment, a JSON logger carrying the Lambda request id, one DynamoDB client per container,
// and the route's handler served through aws-lambda-go-api-proxy. A function's main is one call:
//
//	lambdafn.Serve("update-customer")
package lambdafn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/telemetry"
)

// Handler is the function a Lambda runs for each HTTP API (payload 2.0) event.
type Handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Config is a function's configuration, read from its environment once per container.
type Config struct {
	Table    string     // TABLE_NAME, required
	Endpoint string     // DYNAMODB_ENDPOINT: moto or DynamoDB Local; empty in AWS
	LogLevel slog.Level // LOG_LEVEL: DEBUG, INFO (default), WARN or ERROR
	// CursorSecretARN (CURSOR_SECRET_ARN) names the Secrets Manager secret holding the key ring
	// that signs paging cursors, the same in every container: what the template sets. The
	// function reads it once, from its first invocation on (reloadingCursors).
	CursorSecretARN string
	// CursorSecret (CURSOR_SECRET) is that key ring itself, for runs without Secrets Manager (the
	// emulator, benchmarks); CursorSecretARN wins when both are set. Format: parseCursorKeys.
	CursorSecret string
	// Function and Version are the function's name and version as Lambda gives them
	// (AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION); empty outside Lambda.
	Function, Version string
	// MetricsNamespace (METRICS_NAMESPACE) is the CloudWatch namespace of the request metrics;
	// default DefaultMetricsNamespace.
	MetricsNamespace string
	// Tracing (TRACING): "off" (default) or "xray", spans to the X-Ray OTLP endpoint.
	Tracing string
	// TenantRoleARN (TENANT_ROLE_ARN), when set, is the role the function assumes for each
	// tenant's data, with a session policy that confines it to the tenant's keys (tenantiso.go).
	TenantRoleARN string
}

// DefaultMetricsNamespace is the CloudWatch namespace of the request metrics when
// METRICS_NAMESPACE is not set.
const DefaultMetricsNamespace = "CustomersAPI"

// ConfigFromEnv reads the Config of a function through getenv (os.Getenv in a function).
// A cursor key ring is optional here, but CURSOR_SECRET must be well-formed when set; whether a
// function needs one is decided by its route (see Serve), and the template gives it to no other
// function.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Table: getenv("TABLE_NAME"), Endpoint: getenv("DYNAMODB_ENDPOINT"),
		CursorSecretARN: getenv("CURSOR_SECRET_ARN"), CursorSecret: getenv("CURSOR_SECRET"),
		Function: getenv("AWS_LAMBDA_FUNCTION_NAME"), Version: getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		MetricsNamespace: getenv("METRICS_NAMESPACE"), Tracing: getenv("TRACING"),
		TenantRoleARN: getenv("TENANT_ROLE_ARN"),
	}
	var errs []error
	if c.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is required"))
	}
	level, err := parseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		errs = append(errs, err)
	}
	c.LogLevel = level
	if c.CursorSecret != "" {
		if _, err := parseCursorKeys(c.CursorSecret); err != nil {
			errs = append(errs, fmt.Errorf("CURSOR_SECRET: %w", err))
		}
	}
	if c.MetricsNamespace == "" {
		c.MetricsNamespace = DefaultMetricsNamespace
	}
	switch c.Tracing {
	case "":
		c.Tracing = TracingOff
	case TracingOff, TracingXRay:
	default:
		errs = append(errs, fmt.Errorf("TRACING %q: want %s or %s", c.Tracing, TracingOff, TracingXRay))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("lambdafn: configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// The values of TRACING.
const (
	TracingOff  = "off"
	TracingXRay = "xray"
)

// routeConfig reads the Config of the function of the route called name: ConfigFromEnv, and a
// cursor key ring (CURSOR_SECRET_ARN or CURSOR_SECRET) if the route pages, since each container
// would otherwise sign with its own key.
func routeConfig(name string, getenv func(string) string) (Config, error) {
	rt, ok := httpapi.RouteNamed(name)
	if !ok {
		return Config{}, fmt.Errorf("lambdafn: no route named %q", name)
	}
	c, err := ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	if rt.Pages && c.CursorSecretARN == "" && c.CursorSecret == "" {
		return Config{}, fmt.Errorf("lambdafn: configuration: CURSOR_SECRET_ARN is required (route %s signs paging cursors)", name)
	}
	return c, nil
}

func parseLevel(s string) (slog.Level, error) {
	if s == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("LOG_LEVEL %q: want DEBUG, INFO, WARN or ERROR", s)
	}
	return l, nil
}

// New returns the handler of the route called name on store s: the route's auth middleware and
// handler from package httpapi, behind the HTTP API adapter. Its request lines carry no
// metrics and it records no spans; Serve's handler does (observe).
func New(name string, s httpapi.Store, opts httpapi.Options) (Handler, error) {
	return newHandler(name, s, opts, observability{tracing: telemetry.Off(), name: name, coldStart: &telemetry.ColdStart{}})
}

func newHandler(name string, s httpapi.Store, opts httpapi.Options, obs observability) (Handler, error) {
	h, err := httpapi.New(s, opts).RouteHandler(name)
	if err != nil {
		return nil, fmt.Errorf("lambdafn: %w", err)
	}
	return adapt(h, obs), nil
}

// Adapt serves h to HTTP API (payload 2.0) events. The headers reach h exactly as the event
// holds them: aws-lambda-go-api-proxy splits every value on commas (its issue #171), which would
// turn an Idempotency-Key holding a comma into two keys, so h gets each event header back whole
// (the gateway has already joined a repeated header with commas, as httpapi does locally).
func Adapt(h http.Handler) Handler {
	return adapt(h, observability{tracing: telemetry.Off(), coldStart: &telemetry.ColdStart{}})
}

// adapt is Adapt with obs: each invocation gets a telemetry.Request (its cold start, its
// DynamoDB counts, the metrics namespace) for its log line, and a server span, the child of
// the invocation's X-Ray segment (the trace header Lambda gives the invocation, in place of the
// one the gateway put in the event).
func adapt(h http.Handler, obs observability) Handler {
	proxy := httpadapter.NewV2(withEventHeaders(obs.tracing.Handler(h, obs.name)))
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		ctx = telemetry.NewContext(ctx, &telemetry.Request{Namespace: obs.namespace, ColdStart: obs.coldStart.First()})
		return proxy.ProxyWithContext(context.WithValue(ctx, eventHeadersKey{}, ev.Headers), ev)
	}
}

// eventHeadersKey is the context key of the event's headers, as the gateway sent them.
type eventHeadersKey struct{}

// withEventHeaders gives h the request with each header of the event in place of what the
// adapter made of it, and the invocation's trace header (Lambda's, naming the function's own
// segment) in place of the one the gateway sent.
func withEventHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if raw, ok := r.Context().Value(eventHeadersKey{}).(map[string]string); ok {
			for k, v := range raw {
				r.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
			}
		}
		if th := lambdaTraceHeader(r.Context()); th != "" {
			r.Header[traceHeader] = []string{th}
		}
		h.ServeHTTP(w, r)
	})
}

// traceHeader is X-Ray's trace header, in its canonical form.
const traceHeader = "X-Amzn-Trace-Id"

// Serve runs the Lambda function of the route called name and never returns. Configuration,
// logger and DynamoDB client are made once, here, and shared by every invocation of the
// container; a configuration error fails the init phase, so Lambda reports it.
func Serve(name string) {
	cfg, err := routeConfig(name, os.Getenv)
	if err != nil {
		exit(slog.New(NewLogHandler(os.Stdout, slog.LevelInfo)), name, err)
	}
	log := functionLogger(cfg)
	slog.SetDefault(log)
	obs, err := observabilityFromConfig(name, cfg, log, os.Getenv)
	if err != nil {
		exit(log, name, err)
	}
	client, err := newDynamoClient(cfg.Endpoint, os.Getenv, obs.sdkTracer())
	if err != nil {
		exit(log, name, err)
	}
	opts := httpapi.Options{Logger: log}
	if rt, _ := httpapi.RouteNamed(name); rt.Pages {
		opts.Cursors, err = cursorCodec(cfg, log, func() (secretGetter, error) { return newSecretsClient(os.Getenv) })
		if err != nil {
			exit(log, name, err)
		}
	}
	db, err := routeStore(name, cfg, client, os.Getenv)
	if err != nil {
		exit(log, name, err)
	}
	h, err := newHandler(name, dynamo.New(db, cfg.Table), opts, obs)
	if err != nil {
		exit(log, name, err)
	}
	lambda.Start(startingCursors(h, opts.Cursors))
}

// process is the cold start of this process: a Lambda container serves one function.
var process telemetry.ColdStart

// functionLogger returns the JSON logger of a function at cfg's level, every line naming the
// function and its version when Lambda gives them.
func functionLogger(cfg Config) *slog.Logger { return functionLoggerTo(os.Stdout, cfg) }

func functionLoggerTo(w io.Writer, cfg Config) *slog.Logger {
	log := slog.New(NewLogHandler(w, cfg.LogLevel))
	if cfg.Function != "" {
		log = log.With(slog.String("functionName", cfg.Function), slog.String("functionVersion", cfg.Version))
	}
	return log
}

// ServeNotFound runs the function of the HTTP API's $default route, which answers every request
// no route matched (404 NOT_FOUND, or 405 METHOD_NOT_ALLOWED on a known path). It needs no table.
func ServeNotFound() {
	level, err := parseLevel(os.Getenv("LOG_LEVEL"))
	cfg := Config{LogLevel: level, Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Version: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		MetricsNamespace: os.Getenv("METRICS_NAMESPACE"), Tracing: os.Getenv("TRACING")}
	log := functionLogger(cfg)
	if err != nil {
		exit(log, "not-found", err)
	}
	slog.SetDefault(log)
	if cfg.MetricsNamespace == "" {
		cfg.MetricsNamespace = DefaultMetricsNamespace
	}
	obs, err := observabilityFromConfig("not-found", cfg, log, os.Getenv)
	if err != nil {
		exit(log, "not-found", err)
	}
	lambda.Start(adapt(httpapi.NotFound(), obs))
}

func exit(log *slog.Logger, name string, err error) {
	log.Error("function init failed", slog.String("function", name), slog.Any("error", err))
	os.Exit(1)
}

// NewLogHandler returns the JSON slog handler of the functions: Lambda's field names (timestamp,
// message) and the request id of the invocation from the context.
//
// lambdacontext.NewLogHandler does the same but writes text unless AWS_LAMBDA_LOG_FORMAT is JSON
// and ignores LOG_LEVEL, so runs under the emulator or sam local would log differently from AWS.
func NewLogHandler(w io.Writer, level slog.Level) slog.Handler {
	return requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: lambdaReplaceAttr,
	})}
}
