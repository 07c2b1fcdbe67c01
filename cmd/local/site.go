package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"

	customersapi "github.com/flexportal-compat/customers-api"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/version"
)

// The paths cmd/local serves beside the API. They are not API routes (template.yaml has no
// function for them, httpapi.Routes does not list them): a deployed stack serves none of them.
const (
	pathHealth  = "/healthz"
	pathSpec    = "/openapi.yaml"
	pathDocs    = "/docs/"
	pathDocsTop = "/docs"
)

// specServer is the server URL openapi.yaml names (cmd/local's default address). The docs page
// sends its "Try it out" requests to the origin it was loaded from instead, whatever -addr is.
const specServer = "http://127.0.0.1:3000"

// siteOptions configures what newSite serves beside the API.
type siteOptions struct {
	Store      string        // "embedded" or "dynamodb", for /healthz
	CORSOrigin string        // the one origin whose pages may call the API; empty: no CORS
	DemoKey    string        // the published demo key, filled in on the docs page; empty: none
	Rentals    rentalApplier // where POST /local/subscription-events applies events; nil: no such path
}

// The request and response headers a page of the CORS origin may use: the API's (docs/api.md,
// "Every request") and those its answers carry.
var (
	corsAllowHeaders  = []string{"Authorization", "Tenant-ID", "Content-Type", "If-Match", "Idempotency-Key", "Prefer"}
	corsExposeHeaders = []string{"ETag", "X-Request-Id", "Idempotent-Replayed", "Preference-Applied", "Retry-After", "Location"}
)

// corsMaxAge is how long a browser may keep a preflight's answer, in seconds.
const corsMaxAge = "600"

// site serves the API, and the docs, spec and health paths beside it.
type site struct {
	api    http.Handler
	docs   http.Handler
	log    *slog.Logger
	opts   siteOptions
	health []byte
	// methods are the API's methods, for preflight answers.
	methods string
}

// newSite returns api with cmd/local's own paths beside it. Only exact paths are taken: every
// other request, unclean paths included, goes to api as it came, so the API answers exactly as
// it does in Lambda.
func newSite(api http.Handler, log *slog.Logger, opts siteOptions) http.Handler {
	health, _ := json.Marshal(map[string]string{"status": "ok", "version": version.String(), "store": opts.Store})
	cfg := swgui.Config{
		Title:       "Customers API",
		SwaggerJSON: pathSpec,
		BasePath:    pathDocs,
		SettingsUI: map[string]string{
			// Send "Try it out" to this server, wherever it listens.
			"requestInterceptor": fmt.Sprintf(`function (req) {
				var s = %q;
				if (req.url.indexOf(s + "/") === 0) { req.url = window.location.origin + req.url.substring(s.length); }
				return req;
			}`, specServer),
			"defaultModelsExpandDepth": "1",
		},
	}
	if opts.DemoKey != "" {
		cfg.PreAuthorizeApiKey = map[string]string{"bearerAuth": opts.DemoKey}
	}
	var methods []string
	for _, rt := range httpapi.Routes {
		if !slices.Contains(methods, rt.Method) {
			methods = append(methods, rt.Method)
		}
	}
	return &site{
		api:     api,
		docs:    v5emb.NewHandlerWithConfig(cfg),
		log:     log,
		opts:    opts,
		health:  append(health, '\n'),
		methods: strings.Join(methods, ", "),
	}
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.CORSOrigin != "" {
		w.Header().Add("Vary", "Origin")
		if r.Header.Get("Origin") == s.opts.CORSOrigin {
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				s.local(w, r, "cors-preflight", s.preflight)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", s.opts.CORSOrigin)
			w.Header().Set("Access-Control-Expose-Headers", strings.Join(corsExposeHeaders, ", "))
		}
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch p := r.URL.Path; {
	case get && p == pathHealth:
		s.local(w, r, "healthz", s.healthz)
	case get && p == pathSpec:
		s.local(w, r, "openapi", spec)
	case get && p == pathDocsTop:
		s.local(w, r, "docs", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, pathDocs, http.StatusMovedPermanently)
		})
	case get && strings.HasPrefix(p, pathDocs):
		s.local(w, r, "docs", s.docs.ServeHTTP)
	case r.Method == http.MethodPost && p == pathSubscriptionEvents && s.opts.Rentals != nil:
		s.local(w, r, "subscription-events", subscriptionEvents(s.opts.Rentals))
	default:
		s.api.ServeHTTP(w, r) // which logs the request itself
	}
}

// preflight answers a CORS preflight of the allowed origin: any method the API serves, with the
// API's request headers. Credentials (cookies) are not allowed: the API key is a header.
func (s *site) preflight(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Origin", s.opts.CORSOrigin)
	h.Set("Access-Control-Allow-Methods", s.methods)
	h.Set("Access-Control-Allow-Headers", strings.Join(corsAllowHeaders, ", "))
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
}

func (s *site) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(s.health)
}

func spec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml") // RFC 9512
	_, _ = w.Write(customersapi.OpenAPI)
}

// local serves a request for one of cmd/local's own paths with h and logs it as the API logs
// its requests (the API's own requests are logged by package httpapi).
func (s *site) local(rw http.ResponseWriter, r *http.Request, name string, h http.HandlerFunc) {
	start := time.Now()
	w := &recorder{ResponseWriter: rw}
	h(w, r)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("route", name),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", w.status()),
		slog.Duration("duration", time.Since(start)))
}

// recorder remembers the status written, for the log.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// parseOrigin checks the -cors-origin flag: empty (no CORS), or one origin as browsers send it,
// scheme://host[:port] with no path. "*" is refused: any page on the web could then use a key
// pasted into it against this server.
func parseOrigin(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("want one origin, scheme://host[:port] (like http://localhost:5173), not %q", s)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}
