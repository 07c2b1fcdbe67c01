package storetest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// TestConcurrencyJudgesUnavailable: the concurrency tests accept a store that gives up on a race
// (fault.Unavailable, writing nothing), and fail one that answers 503 for a write it made.
func TestConcurrencyJudgesUnavailable(t *testing.T) {
	t.Run("GivingUp", func(t *testing.T) {
		var refused atomic.Int64
		runConcurrency(t, func() Store { return &busyStore{memStore: newMemStore(), refused: &refused} })
		if refused.Load() == 0 {
			t.Errorf("no racing call answered 503, so this test showed nothing")
		}
	})
	t.Run("WrittenThen503", func(t *testing.T) {
		if os.Getenv(envLying) == "1" {
			var refused atomic.Int64
			runConcurrency(t, func() Store { return &busyStore{memStore: newMemStore(), refused: &refused, lying: true} })
			return
		}
		// The suite must fail here, so it runs in a child process whose failure is the pass.
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrencyJudgesUnavailable$/^WrittenThen503$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), envLying+"=1")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("the concurrency tests on a store that answers 503 for writes it made: error = %v, want them to fail\n%s", err, out)
		}
		// Every race whose winners are visible afterwards must notice; the two-party races may
		// happen not to overlap, so they are not required to.
		for _, name := range []string{"DifferentCustomFields", "DifferentFields", "SameIfMatch", "SameNewEmail", "NewCustomerSameEmail", "OrdersAndUpdates"} {
			if !regexp.MustCompile(`--- FAIL: TestConcurrencyJudgesUnavailable/WrittenThen503/` + name + ` `).Match(out) {
				t.Errorf("%s passed on a store that answers 503 for writes it made, want it to fail", name)
			}
		}
	})
}

// envLying makes WrittenThen503 run the suite on the lying store (in the child process), and
// envStrict makes StrictRefuses503 run it on the honest busy store under NoUnavailable.
const (
	envLying  = "STORETEST_LYING_STORE"
	envStrict = "STORETEST_STRICT"
)

// TestNoUnavailableRefuses503: under NoUnavailable, a race that answers 503 fails the suite, even
// from a store that wrote nothing for it.
func TestNoUnavailableRefuses503(t *testing.T) {
	if os.Getenv(envStrict) == "1" {
		var refused atomic.Int64
		runConcurrency(t, func() Store { return &busyStore{memStore: newMemStore(), refused: &refused} }, NoUnavailable())
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoUnavailableRefuses503$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envStrict+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !regexp.MustCompile(`on a backend that never conflicts`).Match(out) {
		t.Fatalf("the concurrency tests under NoUnavailable on a store that answers 503: error = %v, want them to fail for the 503s\n%s", err, out)
	}
}

// runConcurrency runs the concurrency tests, each on a fresh store from open, with opts as Run
// would apply them.
func runConcurrency(t *testing.T, open func() Store, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	for _, tt := range concurrencyTests {
		t.Run(tt.name, func(t *testing.T) {
			if cfg.noUnavailable {
				strict.Store(t, true)
				t.Cleanup(func() { strict.Delete(t) })
			}
			tt.fn(t, open())
		})
	}
}

// busyStore is memStore under contention: a write that starts while another call is in flight
// (every racer but the first of a race; the tests' set-up calls come one at a time) answers
// fault.Unavailable, as a store out of retries does. It writes nothing then, unless lying, when
// it writes first: the bug the concurrency tests must catch.
type busyStore struct {
	*memStore
	lying    bool
	inFlight atomic.Int64
	refused  *atomic.Int64
}

var errBusy = fault.Wrap(fault.Unavailable, "The service is temporarily unavailable", errors.New("busyStore: contended"))

// write runs do unless the call overlaps another; a pause inside makes racers overlap for sure.
func (b *busyStore) write(do func() error) error {
	contended := b.inFlight.Add(1) > 1
	defer b.inFlight.Add(-1)
	time.Sleep(2 * time.Millisecond)
	if !contended {
		return do()
	}
	b.refused.Add(1)
	if b.lying {
		if err := do(); err != nil {
			return err
		}
	}
	return errBusy
}

func (b *busyStore) UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (c customer.Customer, err error) {
	err = b.write(func() error {
		c, err = b.memStore.UpdateCustomer(ctx, tenant, id, p, ifMatch)
		return err
	})
	return c, err
}

func (b *busyStore) DeactivateCustomer(ctx context.Context, tenant, id string, ifMatch customer.IfMatch) (c customer.Customer, err error) {
	err = b.write(func() error {
		c, err = b.memStore.DeactivateCustomer(ctx, tenant, id, ifMatch)
		return err
	})
	return c, err
}

func (b *busyStore) CreateOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency) (o order.Order, replayed bool, err error) {
	err = b.write(func() error {
		o, replayed, err = b.memStore.CreateOrder(ctx, tenant, in, idem)
		return err
	})
	return o, replayed, err
}

func (b *busyStore) CancelOrder(ctx context.Context, tenant, id, reason string, idem order.Idempotency) (o order.Order, replayed bool, err error) {
	err = b.write(func() error {
		o, replayed, err = b.memStore.CancelOrder(ctx, tenant, id, reason, idem)
		return err
	})
	return o, replayed, err
}

func (b *busyStore) PutAPIKey(ctx context.Context, k auth.Key) error {
	return b.write(func() error { return b.memStore.PutAPIKey(ctx, k) })
}

func (b *busyStore) RevokeAPIKey(ctx context.Context, id string) error {
	return b.write(func() error { return b.memStore.RevokeAPIKey(ctx, id) })
}
