package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/order"
)

func TestCancellable(t *testing.T) {
	tests := []struct {
		status order.Status
		want   error
	}{
		{order.Pending, nil},
		{order.Confirmed, nil},
		{order.Cancelled, order.ErrAlreadyCancelled},
		{order.Partial, order.ErrNotCancellable},
		{order.Fulfilled, order.ErrNotCancellable},
		{"", order.ErrNotCancellable},
	}
	for _, tt := range tests {
		if got := order.Cancellable(tt.status); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Cancellable(%q) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestCountsPending(t *testing.T) {
	for _, st := range []order.Status{order.Pending, order.Confirmed, order.Partial, order.Fulfilled, order.Cancelled} {
		if got, want := order.CountsPending(st), st == order.Pending; got != want {
			t.Errorf("CountsPending(%s) = %v, want %v", st, got, want)
		}
	}
}

func TestReplayCancel(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cancelled := order.Order{Status: order.Cancelled, UpdatedAt: "2026-03-01T12:00:00.000Z"}
	mark := order.CancelMark{Key: "k1", RequestHash: order.CancelHash("changed my mind")}
	same := order.Idempotency{Key: "k1", RequestHash: order.CancelHash("changed my mind")}
	tests := []struct {
		name     string
		o        order.Order
		mark     order.CancelMark
		idem     order.Idempotency
		now      time.Time
		replayed bool
		err      error
	}{
		{"same key and reason", cancelled, mark, same, at.Add(time.Hour), true, nil},
		{"same key, other reason", cancelled, mark, order.Idempotency{Key: "k1", RequestHash: order.CancelHash("other")}, at, false, order.ErrIdempotencyReused},
		{"same key, no reason", cancelled, mark, order.Idempotency{Key: "k1", RequestHash: order.CancelHash("")}, at, false, order.ErrIdempotencyReused},
		{"other key", cancelled, mark, order.Idempotency{Key: "k2", RequestHash: same.RequestHash}, at, false, nil},
		{"no key", cancelled, mark, order.Idempotency{}, at, false, nil},
		{"cancelled without a key", cancelled, order.CancelMark{}, same, at, false, nil},
		{"expired", cancelled, mark, same, at.Add(order.IdempotencyTTL), false, nil},
		{"not cancelled", order.Order{Status: order.Pending, UpdatedAt: cancelled.UpdatedAt}, mark, same, at, false, nil},
	}
	for _, tt := range tests {
		replayed, err := order.ReplayCancel(tt.o, tt.mark, tt.idem, tt.now)
		if replayed != tt.replayed || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("%s: ReplayCancel = %v, %v; want %v, %v", tt.name, replayed, err, tt.replayed, tt.err)
		}
	}
	if order.CancelHash("a") == order.CancelHash("b") || order.CancelHash("") == "" {
		t.Errorf("CancelHash does not tell reasons apart")
	}
}
