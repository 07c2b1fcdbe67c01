package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/telemetry"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	tenantKey
	keyIDKey
)

// tenantOf returns the tenant the request was authenticated for. Handlers take the tenant only
// from here, never from the path or the body.
func tenantOf(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey).(string)
	return t
}

// createdBy is the createdBy of what the request makes: customer.CreatedByKey of the id of the
// API key it was authenticated with (never the key itself).
func createdBy(ctx context.Context) string {
	id, _ := ctx.Value(keyIDKey).(string)
	return customer.CreatedByKey(id)
}

// AuthenticatedTenant returns the tenant the request of ctx was authenticated for, or "" before
// (or without) authentication: what lambdafn confines a request's DynamoDB credentials to.
func AuthenticatedTenant(ctx context.Context) string { return tenantOf(ctx) }

func requestIDOf(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// begin gives the request its id (the Lambda request id when there is one) and sets the headers
// every response carries.
func begin(w http.ResponseWriter, r *http.Request) *http.Request {
	id := ""
	if lc, ok := lambdacontext.FromContext(r.Context()); ok {
		id = lc.AwsRequestID
	}
	if id == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", id)
	joinRepeated(r.Header)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
}

// joinRepeated makes every header one value, a header sent more than once becoming its values
// joined by commas — exactly what an API Gateway HTTP API (payload 2.0) hands a Lambda. So a
// request reads the same locally and in Lambda: two Tenant-IDs are "a,b" (not one tenant), two
// Authorization headers are no bearer key, and a comma inside one value is just a character.
func joinRepeated(h http.Header) {
	for k, v := range h {
		if len(v) > 1 {
			h[k] = []string{strings.Join(v, ",")}
		}
	}
}

// statusRecorder remembers the status written, and the error code of an error body, for the
// request's log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
	code   string // set by writeError
}

// recordCode notes the error code of the response on w, when w is a statusRecorder.
func recordCode(w http.ResponseWriter, code string) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.code = code
	}
}

// Request metrics (the EMF block of a request's line, when telemetry.Request has a namespace):
// per route, and the errors per route and error code.
var (
	routeMetrics = telemetry.Directive{
		Dimensions: [][]string{{"route"}},
		Metrics: []telemetry.Metric{
			{Name: "Requests", Unit: telemetry.Count},
			{Name: "Latency", Unit: telemetry.Milliseconds},
			{Name: "ClientErrors", Unit: telemetry.Count},
			{Name: "ServerErrors", Unit: telemetry.Count},
			{Name: "DynamoDBRequests", Unit: telemetry.Count},
			{Name: "DynamoDBRetries", Unit: telemetry.Count},
			{Name: "IdempotentReplays", Unit: telemetry.Count},
		},
	}
	errorMetrics = telemetry.Directive{
		Dimensions: [][]string{{"route", "code"}},
		Metrics:    []telemetry.Metric{{Name: "Errors", Unit: telemetry.Count}},
	}
)

// logRequest writes the one line of a request once it is answered: the request id, the route
// name (never the URL: query strings may hold emails), the tenant (but on not-found), what else
// names the request (extra), the status, the error code of an error answer (code), the
// duration, the trace id, and what the outermost wrapper put in telemetry.Request (a Lambda
// function's cold start, and the DynamoDB requests counted). With a namespace there, the line
// is also an EMF document: CloudWatch publishes the route's metrics from it.
func logRequest(ctx context.Context, log *slog.Logger, route, tenant string, w *statusRecorder, start time.Time, extra ...slog.Attr) {
	now := time.Now()
	d := now.Sub(start)
	ms := float64(d.Microseconds()) / 1000
	attrs := make([]slog.Attr, 0, 24)
	attrs = append(attrs,
		slog.String("requestId", requestIDOf(ctx)),
		slog.String("route", route))
	if route != notFoundRoute { // the $default route answers before authentication: no tenant
		attrs = append(attrs, slog.String("tenantId", tenant))
	}
	attrs = append(attrs, extra...)
	attrs = append(attrs, slog.Int("status", w.status))
	failed := w.status >= 400
	code := w.code
	if code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	attrs = append(attrs,
		slog.Duration("duration", d),
		slog.Float64("durationMs", ms))
	telemetry.Annotate(ctx, route, tenant, code)
	if id := telemetry.TraceID(ctx); id != "" {
		attrs = append(attrs, slog.String("traceId", id))
	}
	tr := telemetry.FromContext(ctx)
	if tr == nil {
		log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
		return
	}
	requests, retries := tr.DynamoDB()
	attrs = append(attrs, slog.Bool("coldStart", tr.ColdStart))
	if tr.Namespace != "" {
		one := func(b bool) int {
			if b {
				return 1
			}
			return 0
		}
		directives := []telemetry.Directive{routeMetrics}
		attrs = append(attrs,
			slog.Int("Requests", 1),
			slog.Float64("Latency", ms),
			slog.Int("ClientErrors", one(failed && w.status < 500)),
			slog.Int("ServerErrors", one(w.status >= 500)),
			slog.Int64("DynamoDBRequests", requests),
			slog.Int64("DynamoDBRetries", retries),
			slog.Int("IdempotentReplays", one(w.Header().Get("Idempotent-Replayed") == "true")))
		if code != "" {
			attrs = append(attrs, slog.Int("Errors", 1))
			directives = append(directives, errorMetrics)
		}
		attrs = append(attrs, telemetry.EMF(tr.Namespace, now, directives...))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// serve runs the checks of docs/api.md "Every request" in their order — key (401), tenant (403
// NO_TENANT_ACCESS), scope (403 INSUFFICIENT_PERMISSIONS), Content-Type and size of any body
// (415, 413) — and then the request: the form of the path ids (404), and the route's handler,
// given the body read here. Nothing else reads the body.
func (a *API) serve(rt Route) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = begin(rw, r)
		w := &statusRecorder{ResponseWriter: rw}
		var tenant string
		defer func() {
			// A panic is a bug: answer 500 in the contract's shape and keep serving (a Lambda
			// container would otherwise die with it, and net/http would drop the connection).
			if v := recover(); v != nil {
				err := fmt.Errorf("httpapi: %s panicked: %v\n%s", rt.Name, v, debug.Stack())
				if w.status == 0 {
					writeError(a.log, w, r, err)
				} else {
					a.log.LogAttrs(r.Context(), slog.LevelError, "request failed after its response began",
						slog.String("requestId", requestIDOf(r.Context())), slog.String("error", err.Error()))
				}
			}
			// The route name, never the URL: query strings may hold emails.
			logRequest(r.Context(), a.log, rt.Name, tenant, w, start)
		}()
		var (
			body  []byte
			keyID string
		)
		tenant, keyID, err := a.authorize(r, rt.Scope)
		if err == nil {
			ctx := context.WithValue(r.Context(), tenantKey, tenant)
			r = r.WithContext(context.WithValue(ctx, keyIDKey, keyID))
			body, err = readBody(r, rt.Method == http.MethodPut)
		}
		if err == nil {
			err = checkPathIDs(r)
		}
		if c, ok := a.cursors.(CursorsReady); ok && err == nil && rt.Pages {
			err = c.Ready(r.Context())
		}
		if err == nil {
			err = rt.handle(a, w, r, body)
		}
		if err != nil {
			writeError(a.log, w, r, err)
		}
	})
}

// authorize returns the tenant of an authenticated request allowed scope, and the id of the key
// it was authenticated with, checking in docs/api.md's order: the key (401 AUTH_REQUIRED without one,
// INVALID_TOKEN for any other failure), the tenant (403 NO_TENANT_ACCESS), the scope (403
// INSUFFICIENT_PERMISSIONS).
func (a *API) authorize(r *http.Request, scope auth.Scope) (tenant, keyID string, err error) {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 || len(authz) == 1 && strings.TrimSpace(authz[0]) == "" {
		return "", "", auth.ErrAuthRequired // an empty header sends nothing either
	}
	secret, ok := "", false
	if len(authz) == 1 {
		secret, ok = bearer(authz[0])
	}
	if !ok {
		return "", "", auth.ErrMalformedToken
	}
	key, err := a.auth.Authenticate(r.Context(), secret)
	if err != nil {
		return "", "", err
	}
	tenant, err = tenantID(r.Header.Values("Tenant-ID"))
	if err != nil {
		return "", "", err
	}
	if !key.HasTenant(tenant) {
		return "", "", auth.ErrNoTenantAccess
	}
	if !key.HasScope(scope) {
		return "", "", auth.ErrInsufficientPermissions(scope)
	}
	return tenant, key.ID, nil
}

// tenantID reads the Tenant-ID header's values: exactly one, a valid tenant id once trimmed. Any
// other header names no tenant the key can have, so it is 403 NO_TENANT_ACCESS too, each with its
// own message.
func tenantID(values []string) (string, error) {
	// API Gateway joins repeated headers with commas, so "a,b" is two headers as well; either
	// way the request would name two tenants.
	if len(values) > 1 {
		return "", fault.E(fault.NoTenantAccess, "Tenant-ID must be given once")
	}
	raw := ""
	if len(values) == 1 {
		raw = values[0]
	}
	tenant, err := auth.ParseTenant(raw)
	switch {
	case errors.Is(err, auth.ErrTenantNotOneOnly):
		return "", fault.E(fault.NoTenantAccess, "Tenant-ID must be given once")
	case err != nil:
		return "", fault.E(fault.NoTenantAccess, "The Tenant-ID header is required")
	case !auth.ValidTenant(tenant):
		return "", fault.E(fault.NoTenantAccess,
			fmt.Sprintf("Tenant-ID must be 1 to %d ASCII letters, digits or . _ : - characters", auth.MaxTenantLen))
	}
	return tenant, nil
}

// bearer returns the credentials of an "Authorization: Bearer <key>" header. The scheme is
// case-insensitive (RFC 9110); the key is one token without white space.
func bearer(h string) (string, bool) {
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	secret = strings.TrimSpace(secret)
	if secret == "" || strings.ContainsAny(secret, " \t") {
		return "", false
	}
	return secret, true
}

// NotFound is the $default route: 405 METHOD_NOT_ALLOWED with an Allow header for a path of
// Routes asked with another method, 404 NOT_FOUND for any other path. It answers before auth, and
// logs each request as the routes do (route "not-found"), with the method and path asked for.
func NotFound() http.Handler { return notFound(slog.Default()) }

// notFoundRoute is the route name of the request lines of NotFound: the $default route's
// function (functions/not-found).
const notFoundRoute = "not-found"

func notFound(log *slog.Logger) http.Handler {
	// A mux of the bare patterns tells which pattern, if any, a path belongs to.
	paths := http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range Routes {
		if allow[rt.Pattern] == nil {
			paths.Handle(rt.Pattern, http.NotFoundHandler())
		}
		if !slices.Contains(allow[rt.Pattern], rt.Method) {
			allow[rt.Pattern] = append(allow[rt.Pattern], rt.Method)
		}
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = begin(rw, r)
		w := &statusRecorder{ResponseWriter: rw}
		// Without this line a client's typo (or a method the path lacks) would leave nothing to
		// debug with. The path, never the query; a segment that looks like an email is left out.
		defer logRequest(r.Context(), log, notFoundRoute, "", w, start,
			slog.String("method", r.Method), slog.String("path", loggablePath(r.URL.Path)))
		// The patterns are registered without a method, so they match r whatever its method.
		if _, pattern := paths.Handler(r); pattern != "" && cleanPath(r.URL.Path) {
			w.Header().Set("Allow", strings.Join(allow[pattern], ", "))
			writeError(log, w, r, fault.E(fault.MethodNotAllowed,
				"Method "+r.Method+" is not allowed on this path"))
			return
		}
		writeError(log, w, r, fault.E(fault.NotFound, "No such route"))
	})
}

// maxLoggedPath is how much of an unknown path the log keeps.
const maxLoggedPath = 200

// loggablePath is p as the log may hold it: no segment with an "@" (an email a client put in a
// path), at most maxLoggedPath bytes.
func loggablePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.Contains(s, "@") {
			segs[i] = "{redacted}"
		}
	}
	p = strings.Join(segs, "/")
	if len(p) > maxLoggedPath {
		p = strings.ToValidUTF8(p[:maxLoggedPath], "") + "..."
	}
	return p
}
