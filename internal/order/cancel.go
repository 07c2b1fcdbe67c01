package order

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// Cancellable is nil when an order in status s can be cancelled (it is pending or confirmed: it
// has no subscription yet), and otherwise the reason it cannot: ErrAlreadyCancelled for a
// cancelled order, ErrNotCancellable for any other status (partial, fulfilled: it has or had
// subscriptions). Both stores decide with it, so they cannot disagree.
func Cancellable(s Status) error {
	switch s {
	case Pending, Confirmed:
		return nil
	case Cancelled:
		return ErrAlreadyCancelled
	default:
		return ErrNotCancellable
	}
}

// Cancel returns o cancelled at now for reason ("" keeps none), once Cancellable allowed it. The
// DynamoDB store writes the same change as an update expression; Cancel is what it means.
func Cancel(o Order, reason string, now time.Time) Order {
	o.Status = Cancelled
	if reason != "" {
		o.CancellationReason = reason
	}
	o.UpdatedAt = customer.Timestamp(now)
	return o
}

// CountsPending reports whether an order in status s is one of its customer's pending orders
// (customer.Customer.PendingOrders, which DELETE's rule reads): only a pending one. Cancelling an
// order settles it (Settle) only when it counted: a confirmed order had already left pending.
func CountsPending(s Status) bool { return s == Pending }

// Settle returns c with one pending order fewer: the bookkeeping of an order of c that leaves
// pending (cancelled, or later fulfilled), which DELETE's rule reads. The count is internal, so
// nothing the customer shows changes: not its version, not updatedAt.
func Settle(c customer.Customer) customer.Customer {
	if c.PendingOrders > 0 {
		c.PendingOrders--
	}
	return c
}

// CancelHash is the RequestHash of a cancel request: the hex SHA-256 of its (parsed, trimmed)
// reason, so a retry with the same reason matches and one with another reason does not.
func CancelHash(reason string) string {
	sum := sha256.Sum256([]byte(reason))
	return hex.EncodeToString(sum[:])
}

// CancelMark is what a cancelled order keeps of the request that cancelled it, so a retry of that
// request can be answered as the first one was: its Idempotency-Key and RequestHash (both empty
// when it had no key). Stores keep it beside the order, never in its JSON.
type CancelMark struct {
	Key         string
	RequestHash string
}

// MarkOf is the mark a cancel request with idem leaves on the order.
func MarkOf(idem Idempotency) CancelMark {
	return CancelMark(idem)
}

// ReplayCancel decides a cancel request with idem on o, which the request with mark cancelled at
// o.UpdatedAt. replayed is true when idem is that request again within IdempotencyTTL (same key,
// same hash): the caller answers with o as it stands and writes nothing. The same key with another
// hash is ErrIdempotencyReused. Otherwise (no key, another key, an expired one, o not cancelled)
// it is (false, nil) and Cancellable decides.
func ReplayCancel(o Order, mark CancelMark, idem Idempotency, now time.Time) (replayed bool, err error) {
	if o.Status != Cancelled || idem.Key == "" || mark.Key != idem.Key {
		return false, nil
	}
	at, err := time.Parse(time.RFC3339, o.UpdatedAt)
	if err != nil || !Live(Expires(at), now) {
		return false, nil
	}
	if mark.RequestHash != idem.RequestHash {
		return false, ErrIdempotencyReused
	}
	return true, nil
}
