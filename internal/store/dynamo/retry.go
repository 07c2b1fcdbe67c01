package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// RetryPolicy bounds how the store retries a write that lost a race: a transaction conflict
// (TransactionConflictException on a single-item write, or a transaction cancelled for
// TransactionConflict; the SDK retries neither) or an optimistic write whose condition failed
// because the item changed after it was read. Every store method that writes retries within one
// budget, however many writes it makes, and answers fault.Unavailable (503) when the budget or
// the request's deadline runs out: the last attempt lost, so nothing of the request is written.
type RetryPolicy struct {
	// Budget is the time from the start of a method after which it starts no further attempt.
	// The context's deadline, when earlier, bounds it too: no backoff sleeps past either.
	Budget time.Duration
	// Base and Cap shape the backoff ("full jitter", AWS Architecture Blog, "Exponential Backoff
	// And Jitter"): before retry n (1-based) the store sleeps a uniformly random time in
	// [0, min(Cap, Base·2^n)).
	Base, Cap time.Duration
}

// DefaultRetry is the policy of a Store whose Retry is zero, chosen for a function behind API
// Gateway: the HTTP API gives up on an integration after 30 s at most, and the functions time
// out after 10 s (template.yaml), so 2.5 s of retries leave the request most of its time
// whatever else it does. A transaction holds its items for about its own latency (tens of
// milliseconds), so the first backoffs are of that order; the cap keeps each racer asking about
// twenty times a second, so an item that comes free is not left idle while everyone sleeps (a
// cap of 250 ms let twice as many calls run out of a tight budget on a hot customer).
// docs/decisions.md has the measurements behind the numbers.
var DefaultRetry = RetryPolicy{Budget: 2500 * time.Millisecond, Base: 10 * time.Millisecond, Cap: 100 * time.Millisecond}

// withDefaults is p with every zero field taken from DefaultRetry.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Budget <= 0 {
		p.Budget = DefaultRetry.Budget
	}
	if p.Base <= 0 {
		p.Base = DefaultRetry.Base
	}
	if p.Cap <= 0 {
		p.Cap = DefaultRetry.Cap
	}
	return p
}

// ceiling is the upper bound of the backoff before retry n (1-based): min(Cap, Base·2^n).
func (p RetryPolicy) ceiling(n int) time.Duration {
	c := p.Base
	for range n {
		if c >= p.Cap {
			break
		}
		c *= 2
	}
	return min(c, p.Cap)
}

// retrier is the retry state of one store method call: when it started, how many attempts it
// made, and until when it may go on.
type retrier struct {
	ctx      context.Context
	policy   RetryPolicy
	start    time.Time
	limit    time.Time // start + Budget, or the context's deadline when earlier
	attempts int       // attempts that lost so far
	jitter   func(n int64) int64
}

// retrier starts the retry state of one call of a store method.
func (s *Store) retrier(ctx context.Context) *retrier {
	p := s.Retry.withDefaults()
	now := time.Now()
	r := &retrier{ctx: ctx, policy: p, start: now, limit: now.Add(p.Budget), jitter: rand.Int64N}
	if dl, ok := ctx.Deadline(); ok && dl.Before(r.limit) {
		r.limit = dl
	}
	return r
}

// retry is the backoff after an attempt of op that lost a race: it sleeps and returns nil when
// another attempt may start, or returns the fault.Unavailable to answer when the budget or the
// context's deadline would pass before the backoff ends (it then does not sleep at all) or the
// context ends during it.
func (r *retrier) retry(op string) error {
	r.attempts++
	d := time.Duration(r.jitter(int64(r.policy.ceiling(r.attempts))))
	now := time.Now()
	if wake := now.Add(d); wake.After(r.limit) {
		why := "out of its retry budget"
		if dl, ok := r.ctx.Deadline(); ok && !wake.Before(dl) {
			why = "the request's deadline is too close"
		}
		return r.giveUp(op, now, errors.New(why))
	}
	if err := r.ctx.Err(); err != nil {
		return r.giveUp(op, now, err)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return r.giveUp(op, time.Now(), r.ctx.Err())
	case <-t.C:
		return nil
	}
}

// retryNow is retry without the backoff, for an attempt that lost with news of the state it must
// write on (a failed condition's ALL_OLD item) rather than with a collision.
func (r *retrier) retryNow(op string) error {
	r.attempts++
	now := time.Now()
	if now.After(r.limit) {
		return r.giveUp(op, now, errors.New("out of its retry budget"))
	}
	if err := r.ctx.Err(); err != nil {
		return r.giveUp(op, now, err)
	}
	return nil
}

// giveUp is the answer of op after it lost its last race: the service is unavailable, which
// leaves nothing half-written since every attempt is one atomic write.
func (r *retrier) giveUp(op string, now time.Time, why error) error {
	return fault.Wrap(fault.Unavailable, msgUnavailable,
		fmt.Errorf("dynamo: %s: still conflicting after %d attempts in %v: %w",
			op, r.attempts, now.Sub(r.start).Round(time.Millisecond), why))
}

// conflicted reports whether err is a single-item write refused because a transaction in flight
// holds the item (TransactionConflictException): nothing was written and the same request may
// be sent again.
func conflicted(err error) bool {
	var tce *types.TransactionConflictException
	return errors.As(err, &tce)
}
