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
)

// Handler is the function a Lambda runs for each HTTP API (payload 2.0) event.
type Handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Config is a function's configuration, read from its environment once per container.
type Config struct {
	Table        string     // TABLE_NAME, required
	Endpoint     string     // DYNAMODB_ENDPOINT: moto or DynamoDB Local; empty in AWS
	LogLevel     slog.Level // LOG_LEVEL: DEBUG, INFO (default), WARN or ERROR
	CursorSecret []byte     // CURSOR_SECRET: signs paging cursors, same in every container; required by a route that pages
}

// minCursorSecret is the shortest CURSOR_SECRET accepted: an HMAC key shorter than this would be
// guessable. The template generates 64 characters.
const minCursorSecret = 32

// ConfigFromEnv reads the Config of a function through getenv (os.Getenv in a function).
// CURSOR_SECRET is optional here, but when set it must be long enough; whether a function needs
// it is decided by its route (see Serve), and the template gives it to no other function.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv("TABLE_NAME"), Endpoint: getenv("DYNAMODB_ENDPOINT")}
	var errs []error
	if c.Table == "" {
		errs = append(errs, errors.New("TABLE_NAME is required"))
	}
	level, err := parseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		errs = append(errs, err)
	}
	c.LogLevel = level
	switch s := getenv("CURSOR_SECRET"); {
	case len(s) >= minCursorSecret:
		c.CursorSecret = []byte(s)
	case s != "":
		errs = append(errs, fmt.Errorf("CURSOR_SECRET must be at least %d characters", minCursorSecret))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("lambdafn: configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// routeConfig reads the Config of the function of the route called name: ConfigFromEnv, and a
// CURSOR_SECRET if the route pages, since each container would otherwise sign with its own key.
func routeConfig(name string, getenv func(string) string) (Config, error) {
	rt, ok := httpapi.RouteNamed(name)
	if !ok {
		return Config{}, fmt.Errorf("lambdafn: no route named %q", name)
	}
	c, err := ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	if rt.Pages && c.CursorSecret == nil {
		return Config{}, fmt.Errorf("lambdafn: configuration: CURSOR_SECRET is required (route %s signs paging cursors)", name)
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
// handler from package httpapi, behind the HTTP API adapter.
func New(name string, s httpapi.Store, opts httpapi.Options) (Handler, error) {
	h, err := httpapi.New(s, opts).RouteHandler(name)
	if err != nil {
		return nil, fmt.Errorf("lambdafn: %w", err)
	}
	return Adapt(h), nil
}

// Adapt serves h to HTTP API (payload 2.0) events. The headers reach h exactly as the event
// holds them: aws-lambda-go-api-proxy splits every value on commas (its issue #171), which would
// turn an Idempotency-Key holding a comma into two keys, so h gets each event header back whole
// (the gateway has already joined a repeated header with commas, as httpapi does locally).
func Adapt(h http.Handler) Handler {
	proxy := httpadapter.NewV2(withEventHeaders(h))
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return proxy.ProxyWithContext(context.WithValue(ctx, eventHeadersKey{}, ev.Headers), ev)
	}
}

// eventHeadersKey is the context key of the event's headers, as the gateway sent them.
type eventHeadersKey struct{}

// withEventHeaders gives h the request with each header of the event in place of what the
// adapter made of it.
func withEventHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if raw, ok := r.Context().Value(eventHeadersKey{}).(map[string]string); ok {
			for k, v := range raw {
				r.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Serve runs the Lambda function of the route called name and never returns. Configuration,
// logger and DynamoDB client are made once, here, and shared by every invocation of the
// container; a configuration error fails the init phase, so Lambda reports it.
func Serve(name string) {
	cfg, err := routeConfig(name, os.Getenv)
	if err != nil {
		exit(slog.New(NewLogHandler(os.Stdout, slog.LevelInfo)), name, err)
	}
	log := slog.New(NewLogHandler(os.Stdout, cfg.LogLevel))
	slog.SetDefault(log)
	client, err := NewClient(cfg.Endpoint, os.Getenv)
	if err != nil {
		exit(log, name, err)
	}
	h, err := New(name, dynamo.New(client, cfg.Table), httpapi.Options{Logger: log, CursorKey: cfg.CursorSecret})
	if err != nil {
		exit(log, name, err)
	}
	lambda.Start(h)
}

// ServeNotFound runs the function of the HTTP API's $default route, which answers every request
// no route matched (404 NOT_FOUND, or 405 METHOD_NOT_ALLOWED on a known path). It needs no table.
func ServeNotFound() {
	level, err := parseLevel(os.Getenv("LOG_LEVEL"))
	log := slog.New(NewLogHandler(os.Stdout, level))
	if err != nil {
		exit(log, "not-found", err)
	}
	slog.SetDefault(log)
	lambda.Start(Adapt(httpapi.NotFound()))
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
