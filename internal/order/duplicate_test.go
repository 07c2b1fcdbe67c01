package order_test

import (
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

func TestFingerprint(t *testing.T) {
	in := func(email string, items ...order.Item) order.Input {
		return order.Input{Customer: order.NewCustomer{Email: email, FirstName: "Ann"}, Items: items}
	}
	a1 := order.Item{SKU: "A", Quantity: 1, ContractLength: 12}
	a2 := order.Item{SKU: "A", Quantity: 2, ContractLength: 12}
	b1 := order.Item{SKU: "B", Quantity: 1, ContractLength: 24}
	base := in("ann@example.com", a1, b1).Fingerprint()
	if len(base) != 64 {
		t.Fatalf("Fingerprint() = %q, want 64 hex digits", base)
	}
	same := []struct {
		name string
		in   order.Input
	}{
		{"lines in another order", in("ann@example.com", b1, a1)},
		{"the email in another letter case", in("Ann@EXAMPLE.com", a1, b1)},
		{"the default contract length unsaid", in("ann@example.com", order.Item{SKU: "A", Quantity: 1}, b1)},
		{"everything else of the body different", func() order.Input {
			x := in("ann@example.com", a1, b1)
			x.Customer.FirstName, x.Notes, x.OrderType, x.CreatedBy = "Bob", "rush", order.Upgrade, "apikey:other"
			x.BillingAddress = customer.Address{City: "Elsewhere"}
			x.CustomFields = map[string]any{"po": "1"}
			return x
		}()},
	}
	for _, tt := range same {
		if got := tt.in.Fingerprint(); got != base {
			t.Errorf("Fingerprint with %s = %s, want %s", tt.name, got, base)
		}
	}
	different := []struct {
		name string
		in   order.Input
	}{
		{"another email", in("bob@example.com", a1, b1)},
		{"[A×1, A×1] against [A×2]", in("ann@example.com", a1, a1)},
		{"[A×2]", in("ann@example.com", a2)},
		{"another contract length", in("ann@example.com", order.Item{SKU: "A", Quantity: 1, ContractLength: 24}, b1)},
		{"a line more", in("ann@example.com", a1, b1, b1)},
		{"a line fewer", in("ann@example.com", a1)},
		{"a sku that runs into the next field", in("ann@example.com", order.Item{SKU: `A","q":1,"c":12},{"s":"B`, Quantity: 1, ContractLength: 24})},
	}
	seen := map[string]string{base: "the base"}
	for _, tt := range different {
		got := tt.in.Fingerprint()
		if other, ok := seen[got]; ok {
			t.Errorf("Fingerprint with %s = %s, the fingerprint of %s", tt.name, got, other)
		}
		seen[got] = tt.name
	}
	if x, y := in("ann@example.com", a1, a1).Fingerprint(), in("ann@example.com", a2).Fingerprint(); x == y {
		t.Errorf("[A×1, A×1] and [A×2] share fingerprint %s", x)
	}
}

func TestDuplicate(t *testing.T) {
	created := time.Date(2030, 1, 1, 12, 0, 0, 700_000_000, time.UTC)
	first := order.Order{OrderID: "ord_1", Status: order.Pending, CreatedAt: customer.Timestamp(created)}
	until := order.DuplicateUntil(created)
	if want := created.Add(10 * time.Minute); !until.Equal(want) {
		t.Fatalf("DuplicateUntil(%v) = %v, want %v", created, until, want)
	}
	with := func(st order.Status) order.Order { o := first; o.Status = st; return o }
	tests := []struct {
		name  string
		first order.Order
		idem  order.Idempotency
		now   time.Time
		want  bool
	}{
		{"at once", first, order.Idempotency{}, created, true},
		{"a millisecond before 10 minutes", first, order.Idempotency{}, until.Add(-time.Millisecond), true},
		{"at 10 minutes", first, order.Idempotency{}, until, false},
		{"after 10 minutes", first, order.Idempotency{}, until.Add(time.Hour), false},
		{"with an Idempotency-Key", first, order.Idempotency{Key: "k", RequestHash: "h"}, created, false},
		{"first cancelled", with(order.Cancelled), order.Idempotency{}, created, false},
		{"first confirmed", with(order.Confirmed), order.Idempotency{}, created, true},
		{"first fulfilled", with(order.Fulfilled), order.Idempotency{}, created, true},
		{"first without a readable creation time", order.Order{Status: order.Pending, CreatedAt: "yesterday"}, order.Idempotency{}, created, false},
	}
	for _, tt := range tests {
		if got := order.Duplicate(tt.first, tt.idem, tt.now); got != tt.want {
			t.Errorf("%s: Duplicate = %v, want %v", tt.name, got, tt.want)
		}
	}
}
