package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// fakeKeys is a counting in-memory KeyStore.
type fakeKeys struct {
	mu    sync.Mutex
	keys  map[string]Key
	calls int
	err   error
}

func (f *fakeKeys) APIKey(_ context.Context, hash string) (Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return Key{}, f.err
	}
	k, ok := f.keys[hash]
	if !ok {
		return Key{}, fmt.Errorf("fake: key: %w", ErrKeyNotFound)
	}
	return k, nil
}

func (f *fakeKeys) set(secret string, k Key) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k.Hash = Hash(secret)
	f.keys[k.Hash] = k
}

func (f *fakeKeys) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFixture(o CacheOptions) (*Authenticator, *fakeKeys, *fakeClock) {
	keys := &fakeKeys{keys: map[string]Key{}}
	keys.set("good", Key{ID: "k1", Tenants: []string{"t1"}, Scopes: AllScopes, Status: StatusActive})
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	o.Now = clock.now
	return NewAuthenticator(keys, o), keys, clock
}

func TestAuthenticate(t *testing.T) {
	a, keys, _ := newFixture(CacheOptions{})
	keys.set("revoked", Key{ID: "k2", Tenants: []string{"t1"}, Scopes: AllScopes, Status: StatusRevoked})
	tests := []struct {
		secret  string
		wantID  string
		wantErr error
	}{
		{secret: "good", wantID: "k1"},
		{secret: "", wantErr: ErrInvalidToken},
		{secret: "unknown", wantErr: ErrInvalidToken},
		{secret: "revoked", wantErr: ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.secret, func(t *testing.T) {
			k, err := a.Authenticate(context.Background(), tt.secret)
			if !errors.Is(err, tt.wantErr) || k.ID != tt.wantID {
				t.Errorf("Authenticate(%q) = %q, %v, want %q, %v", tt.secret, k.ID, err, tt.wantID, tt.wantErr)
			}
		})
	}
}

func TestAuthenticateCachesPositiveAnswers(t *testing.T) {
	a, keys, clock := newFixture(CacheOptions{})
	ctx := context.Background()
	for i := range 5 {
		if _, err := a.Authenticate(ctx, "good"); err != nil {
			t.Fatalf("Authenticate #%d: %v", i, err)
		}
		clock.advance(10 * time.Second)
	}
	// Calls at 0, 10, 20, 30, 40 s: one read.
	if got := keys.count(); got != 1 {
		t.Errorf("store reads after 5 calls within TTL = %d, want 1", got)
	}
	clock.advance(20 * time.Second) // 60 s after the read: expired
	if _, err := a.Authenticate(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	if got := keys.count(); got != 2 {
		t.Errorf("store reads after TTL = %d, want 2", got)
	}
}

func TestAuthenticateSeesRevocationAfterTTL(t *testing.T) {
	a, keys, clock := newFixture(CacheOptions{TTL: 30 * time.Second})
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	keys.set("good", Key{ID: "k1", Tenants: []string{"t1"}, Scopes: AllScopes, Status: StatusRevoked})
	clock.advance(29 * time.Second)
	if _, err := a.Authenticate(ctx, "good"); err != nil {
		t.Errorf("Authenticate within TTL after revocation = %v, want the cached key", err)
	}
	clock.advance(time.Second)
	if _, err := a.Authenticate(ctx, "good"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Authenticate after TTL after revocation = %v, want %v", err, ErrInvalidToken)
	}
}

func TestAuthenticateTTLIsCapped(t *testing.T) {
	a, keys, clock := newFixture(CacheOptions{TTL: time.Hour})
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	clock.advance(MaxTTL)
	if _, err := a.Authenticate(ctx, "good"); err != nil {
		t.Fatal(err)
	}
	if got := keys.count(); got != 2 {
		t.Errorf("store reads with TTL 1h after %v = %d, want 2", MaxTTL, got)
	}
}

func TestAuthenticateCachesNegativeAnswersBriefly(t *testing.T) {
	a, keys, clock := newFixture(CacheOptions{})
	ctx := context.Background()
	for range 3 {
		if _, err := a.Authenticate(ctx, "new"); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("Authenticate(unknown) = %v, want %v", err, ErrInvalidToken)
		}
	}
	if got := keys.count(); got != 1 {
		t.Errorf("store reads for 3 unknown calls = %d, want 1", got)
	}
	keys.set("new", Key{ID: "k3", Tenants: []string{"t1"}, Scopes: AllScopes, Status: StatusActive})
	clock.advance(DefaultNegativeTTL - time.Millisecond)
	if _, err := a.Authenticate(ctx, "new"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Authenticate(new key) before negative TTL = %v, want %v (cached)", err, ErrInvalidToken)
	}
	clock.advance(time.Millisecond)
	if k, err := a.Authenticate(ctx, "new"); err != nil || k.ID != "k3" {
		t.Errorf("Authenticate(new key) after negative TTL = %q, %v, want k3, nil", k.ID, err)
	}
}

func TestAuthenticateDoesNotCacheStoreFailures(t *testing.T) {
	a, keys, _ := newFixture(CacheOptions{})
	keys.err = fault.Wrap(fault.Unavailable, "Service unavailable", errors.New("throttled"))
	_, err := a.Authenticate(context.Background(), "good")
	if got := fault.KindOf(err); got != fault.Unavailable {
		t.Errorf("Authenticate with failing store: kind %v, want %v (err %v)", got, fault.Unavailable, err)
	}
	keys.err = nil
	if _, err := a.Authenticate(context.Background(), "good"); err != nil {
		t.Errorf("Authenticate after store recovered = %v, want nil", err)
	}
}

func TestAuthenticateCacheIsBounded(t *testing.T) {
	a, keys, _ := newFixture(CacheOptions{Size: 4})
	ctx := context.Background()
	for i := range 20 {
		secret := fmt.Sprintf("s%d", i)
		keys.set(secret, Key{ID: secret, Tenants: []string{"t1"}, Scopes: AllScopes, Status: StatusActive})
		if _, err := a.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	a.mu.Lock()
	n := len(a.entries)
	a.mu.Unlock()
	if n > 4 {
		t.Errorf("cache holds %d entries, want at most 4", n)
	}
}

func TestAuthenticateConcurrent(t *testing.T) {
	keys := &fakeKeys{keys: map[string]Key{}}
	keys.set("good", Key{ID: "k1", Tenants: []string{"t1"}, Scopes: AllScopes, Status: StatusActive})
	a := NewAuthenticator(keys, CacheOptions{Size: 8})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				secret := "good"
				if i%2 == 1 {
					secret = fmt.Sprintf("bad%d-%d", g, i)
				}
				_, err := a.Authenticate(context.Background(), secret)
				if (secret == "good") != (err == nil) {
					t.Errorf("Authenticate(%q) = %v", secret, err)
				}
			}
		})
	}
	wg.Wait()
}
