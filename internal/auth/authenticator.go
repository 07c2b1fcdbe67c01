package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// KeyStore looks API keys up by the hash of their secret.
type KeyStore interface {
	// APIKey returns the key whose secret hashes to hash, or ErrKeyNotFound.
	APIKey(ctx context.Context, hash string) (Key, error)
}

// Cache defaults and limits. Revocation must take effect within a minute, so no positive answer
// is kept longer than MaxTTL whatever the options say.
const (
	MaxTTL             = 60 * time.Second
	DefaultTTL         = MaxTTL
	DefaultNegativeTTL = 10 * time.Second
	DefaultCacheSize   = 1024
)

// CacheOptions tunes an Authenticator's cache. Zero values pick the defaults.
type CacheOptions struct {
	TTL         time.Duration    // how long a found key is trusted; capped at MaxTTL; < 0 disables
	NegativeTTL time.Duration    // how long an unknown key stays unknown; capped at TTL; < 0 disables
	Size        int              // the most hashes remembered
	Now         func() time.Time // the clock, for tests
}

// Authenticator turns a bearer secret into the stored Key, caching the store's answers so that a
// warm Lambda container answers most requests without reading the key item. It is safe for
// concurrent use.
type Authenticator struct {
	store  KeyStore
	ttl    time.Duration
	negTTL time.Duration
	size   int
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	key     Key
	found   bool
	expires time.Time
}

// NewAuthenticator returns an Authenticator that reads keys from s.
func NewAuthenticator(s KeyStore, o CacheOptions) *Authenticator {
	a := &Authenticator{store: s, ttl: o.TTL, negTTL: o.NegativeTTL, size: o.Size, now: o.Now,
		entries: map[string]entry{}}
	if a.ttl == 0 {
		a.ttl = DefaultTTL
	}
	a.ttl = min(a.ttl, MaxTTL)
	if a.negTTL == 0 {
		a.negTTL = DefaultNegativeTTL
	}
	a.negTTL = min(a.negTTL, a.ttl)
	if a.size <= 0 {
		a.size = DefaultCacheSize
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// Authenticate returns the active key whose secret is secret. An empty, unknown or revoked secret
// is ErrInvalidToken; any other error (the store failing) is returned wrapped, keeping its kind,
// and is not cached.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (Key, error) {
	if secret == "" {
		return Key{}, ErrInvalidToken
	}
	hash := Hash(secret)
	k, found, err := a.lookup(ctx, hash)
	if err != nil {
		return Key{}, err
	}
	if !found || k.Status != StatusActive {
		return Key{}, ErrInvalidToken
	}
	return k, nil
}

func (a *Authenticator) lookup(ctx context.Context, hash string) (Key, bool, error) {
	now := a.now()
	a.mu.Lock()
	e, ok := a.entries[hash]
	a.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.key, e.found, nil
	}

	k, err := a.store.APIKey(ctx, hash)
	found := err == nil
	switch {
	case errors.Is(err, ErrKeyNotFound):
	case err != nil:
		return Key{}, false, fmt.Errorf("auth: look up key: %w", err)
	}
	ttl := a.ttl
	if !found {
		ttl = a.negTTL
	}
	if ttl > 0 {
		a.remember(hash, entry{key: k, found: found, expires: now.Add(ttl)}, now)
	}
	return k, found, nil
}

// remember stores e, making room first: expired entries go, then arbitrary ones. Eviction order
// hardly matters: an evicted key costs one more read, never a wrong answer.
func (a *Authenticator) remember(hash string, e entry, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.entries[hash]; !ok && len(a.entries) >= a.size {
		for h, old := range a.entries {
			if !now.Before(old.expires) {
				delete(a.entries, h)
			}
		}
		for h := range a.entries {
			if len(a.entries) < a.size {
				break
			}
			delete(a.entries, h)
		}
	}
	a.entries[hash] = e
}
