package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/cursor"
)

// Store is what the API asks of storage: the customer handlers' part, the order handlers' part,
// and the API-key lookup of the auth middleware. Both stores satisfy it; the doc comments of
// storetest.Store are the behaviour contract.
type Store interface {
	CustomerStore
	OrderStore
	auth.KeyStore
}

// Options configures an API. The zero value works, but see CursorKey.
type Options struct {
	// Logger receives one line per request and the cause of every internal error. Default: slog.Default().
	Logger *slog.Logger
	// CursorKey signs paging cursors. Every process serving the same list route must use the same
	// key (every Lambda container of the function), or a cursor made by one is refused by another.
	// Empty: Handler (one process serving everything) uses a random key for this process only;
	// RouteHandler refuses a route that pages (Route.Pages), since a Lambda function runs in
	// many containers.
	CursorKey []byte
	// Cursors, when set, replaces CursorKey: a codec with a key ring (cursor.NewKeyring, the
	// current key and the previous ones, so that cursors made before a rotation stay valid), or
	// one that reloads its ring (lambdafn).
	Cursors Cursors
	// KeyCacheTTL is how long a found API key is trusted without a read (default and max 60 s).
	KeyCacheTTL time.Duration
	// NegativeKeyCacheTTL is how long an unknown API key stays unknown (default 10 s).
	NegativeKeyCacheTTL time.Duration
	// Now is the clock of the key cache, for tests. Default: time.Now.
	Now func() time.Time
}

// Cursors seals and opens paging cursors; cursor.Codec is one. Decode fails with
// cursor.ErrInvalid for any cursor it did not make for that tenant and query.
//
// Cursors whose keys may not be at hand yet (lambdafn's, read from a secret in the background
// from init on) also implement CursorsReady: a paging route then calls Ready after the
// request's checks and before its handler, and answers Ready's error instead.
type Cursors interface {
	Encode(tenant, query, last string) string
	Decode(tenant, query, token string) (string, error)
}

// CursorsReady is implemented by Cursors that must be waited for: Ready returns once Encode and
// Decode can be called, or the error to answer the request with (a fault kind, or ctx's error).
type CursorsReady interface {
	Ready(ctx context.Context) error
}

// API serves the routes of Routes on a Store.
type API struct {
	store   Store
	log     *slog.Logger
	auth    *auth.Authenticator
	cursors Cursors
	// randomKey is true when no CursorKey was given and cursors hold for this process only.
	randomKey bool
}

// New returns the API on s.
func New(s Store, opts Options) *API {
	a := &API{store: s, log: opts.Logger}
	if a.log == nil {
		a.log = slog.Default()
	}
	key := opts.CursorKey
	switch {
	case opts.Cursors != nil:
		a.cursors = opts.Cursors
	case len(key) == 0:
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails: crypto/rand panics rather than return an error
		a.randomKey = true
		a.cursors = cursor.New(key)
	default:
		a.cursors = cursor.New(key)
	}
	a.auth = auth.NewAuthenticator(s, auth.CacheOptions{
		TTL: opts.KeyCacheTTL, NegativeTTL: opts.NegativeKeyCacheTTL, Now: opts.Now,
	})
	return a
}

// cleanPath reports whether p is in the canonical form that ServeMux serves without a redirect:
// rooted, no empty, "." or ".." segments (a trailing slash is allowed).
func cleanPath(p string) bool {
	return p == "/" || strings.HasPrefix(p, "/") && path.Clean(p) == strings.TrimSuffix(p, "/")
}

// Handler returns every route of Routes on one mux, with NotFound as the fallback.
func (a *API) Handler() http.Handler {
	if a.randomKey {
		a.log.Warn("httpapi: no cursor key configured; list cursors are valid in this process only")
	}
	return a.mux(Routes)
}

// RouteHandler returns the route called name alone, with NotFound as the fallback: the handler of
// that route's Lambda function. A route that pages needs Options.CursorKey.
func (a *API) RouteHandler(name string) (http.Handler, error) {
	rt, ok := RouteNamed(name)
	if !ok {
		return nil, fmt.Errorf("httpapi: no route named %q", name)
	}
	if rt.Pages && a.randomKey {
		return nil, fmt.Errorf("httpapi: route %s signs paging cursors and needs a cursor key (Options.CursorKey), "+
			"the same in every process serving it", name)
	}
	return a.mux([]Route{rt}), nil
}

// mux registers routes by path only and dispatches on the method itself, so that a wrong method
// (including HEAD, which ServeMux would otherwise give to GET routes) gets the 405 answer of
// NotFound, exactly as API Gateway sends it to the $default route.
func (a *API) mux(routes []Route) http.Handler {
	fallback := notFound(a.log)
	byPattern := map[string]map[string]http.Handler{}
	var patterns []string
	for _, rt := range routes {
		if rt.handle == nil {
			panic("httpapi: route " + rt.Name + " has no handler")
		}
		if byPattern[rt.Pattern] == nil {
			byPattern[rt.Pattern] = map[string]http.Handler{}
			patterns = append(patterns, rt.Pattern)
		}
		byPattern[rt.Pattern][rt.Method] = a.serve(rt)
	}
	mux := http.NewServeMux()
	for _, p := range patterns {
		methods := byPattern[p]
		mux.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if h, ok := methods[r.Method]; ok {
				h.ServeHTTP(w, r)
				return
			}
			fallback.ServeHTTP(w, r)
		}))
	}
	mux.Handle("/", fallback)
	// ServeMux would redirect an unclean path ("/v1//customers") with an HTML body; the
	// contract answers JSON only, so such a path is simply not found.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cleanPath(r.URL.Path) {
			fallback.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
