package order

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// Natural idempotency (docs/api.md, Orders; FlexPortal's own rule): a request without an
// Idempotency-Key for the same customer email key and the same lines as an order made in the
// tenant less than DuplicateWindow before returns that order, as it is now, and creates nothing
// — unless that order was cancelled. Stores keep, per tenant and Fingerprint, the id and creation
// time of the latest order made with it (the only one that can still answer), and decide with
// Duplicate in the same write that would make the order, so that racing identical requests make
// one order.

// DuplicateWindow is how long after its creation an order answers identical requests without an
// Idempotency-Key.
const DuplicateWindow = 10 * time.Minute

// DuplicateUntil is when an order created at t stops answering identical requests:
// DuplicateWindow later, that instant excluded (Live).
func DuplicateUntil(t time.Time) time.Time { return t.Add(DuplicateWindow) }

// Fingerprint identifies what an order request asks for, for natural idempotency: the hex SHA-256
// of the customer's email key (customer.EmailKey) and the multiset of its lines as (sku, quantity,
// contractLength after its default). Line order does not matter; line multiplicity does, so
// [A×1, A×1] and [A×2] differ. Nothing else of the body counts (names, addresses, notes, custom
// fields, the order type), as FlexPortal's rule has it.
func (in Input) Fingerprint() string {
	type line struct {
		SKU      string `json:"s"`
		Quantity int    `json:"q"`
		Contract int    `json:"c"`
	}
	lines := make([]line, len(in.Items))
	for i, it := range in.Items {
		lines[i] = line{it.SKU, it.Quantity, it.contract()}
	}
	slices.SortFunc(lines, func(a, b line) int {
		return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Quantity, b.Quantity), cmp.Compare(a.Contract, b.Contract))
	})
	// JSON quotes the strings, so no sku can run into the next field or line.
	v := struct {
		Email string `json:"e"`
		Lines []line `json:"l"`
	}{customer.EmailKey(in.Customer.Email), lines}
	b, err := json.Marshal(v)
	if err != nil {
		// Strings and ints always marshal; anything else still gets a deterministic fingerprint.
		b = fmt.Appendf(nil, "%#v", v)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Duplicate decides a request with idem whose Fingerprint is that of first, an order of the
// tenant as it is now: true when the request has no Idempotency-Key (a key says what makes a
// request the same, and a client that means two identical orders sends two keys), first was
// created less than DuplicateWindow before now, and it is not cancelled. The caller then answers
// with first, replayed, and writes nothing; otherwise it makes the order and records it as the
// fingerprint's latest.
func Duplicate(first Order, idem Idempotency, now time.Time) bool {
	if idem.Key != "" || first.Status == Cancelled {
		return false
	}
	created, err := time.Parse(time.RFC3339, first.CreatedAt)
	return err == nil && Live(DuplicateUntil(created), now)
}
