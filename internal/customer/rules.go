package customer

import (
	"slices"
	"time"
)

// IfMatch is the set of versions a conditional write accepts, parsed from an If-Match header.
// Nil (no header, or "*") accepts any version of an existing customer; an empty, non-nil IfMatch
// (only weak or malformed tags) accepts none. The stores check it in the write itself: the
// embedded store with Allows, the DynamoDB store as `version IN (...)` in the one UpdateItem.
type IfMatch []int64

// MaxIfMatchTags is the most entity tags an If-Match may list: DynamoDB's IN takes at most 100
// values, and no client needs more.
const MaxIfMatchTags = 100

// Allows reports whether a customer at version v passes m.
func (m IfMatch) Allows(v int64) bool { return m == nil || slices.Contains(m, v) }

// CheckUpdate decides whether p may be applied to cur, a customer that exists, under ifMatch. The
// refusals come in the contract's order: ErrPrecondition (412) before the conflicts (409) —
// ErrErased for a customer erased or being erased, ErrActiveSubscriptions when p deactivates a
// customer that rents a device, then ErrPendingOrders when it deactivates one with a pending order.
// A nil error means the
// update goes ahead (the merged customFields limit is Patch.Apply's).
//
// Every store decides with it: the embedded store on the record it read in its transaction, the
// DynamoDB store on the ALL_OLD item of a failed condition (which expresses the same rules).
func CheckUpdate(cur Customer, p Patch, ifMatch IfMatch) error {
	if !ifMatch.Allows(cur.Version) {
		return ErrPrecondition
	}
	if cur.Erased() {
		return ErrErased
	}
	if p.Deactivates() {
		return checkDeactivate(cur)
	}
	return nil
}

// Deactivates reports whether p sets the status inactive, which DELETE's rules then govern.
func (p Patch) Deactivates() bool { return p.Status != nil && *p.Status == Inactive }

// checkDeactivate is the rule of making cur inactive: refused while it rents a device (an active
// subscription bills it every month), then while an order of it is pending, since deactivating
// would strand that order (docs/api.md, DELETE: in this order).
func checkDeactivate(cur Customer) error {
	if cur.TotalDevicesRented > 0 {
		return ErrActiveSubscriptions
	}
	if cur.PendingOrders > 0 {
		return ErrPendingOrders
	}
	return nil
}

// Deactivate decides DELETE on cur under ifMatch: ErrPrecondition first; a customer already
// inactive is returned as it is (changed false: nothing is written, the version stays), an
// erased one too; one whose erasure has begun but not yet made it inactive is ErrErased;
// otherwise the rules of a PUT with status inactive, and the customer as it is to be written.
func Deactivate(cur Customer, ifMatch IfMatch, now time.Time) (next Customer, changed bool, err error) {
	if !ifMatch.Allows(cur.Version) {
		return Customer{}, false, ErrPrecondition
	}
	if cur.Status == Inactive {
		return cur, false, nil
	}
	if cur.Erased() {
		return Customer{}, false, ErrErased
	}
	if err := checkDeactivate(cur); err != nil {
		return Customer{}, false, err
	}
	inactive := Inactive
	next, err = Patch{Status: &inactive}.Apply(cur, now)
	return next, err == nil, err
}
