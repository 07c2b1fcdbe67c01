package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Natural idempotency (docs/api.md, Orders): without an Idempotency-Key, an order with the customer
// email key and the lines (order.Input.Fingerprint) of an order made in the tenant less than
// order.DuplicateWindow before, and not cancelled, is that order again.
var naturalTests = []test{
	{name: "Replay", fn: testNaturalReplay},
	{name: "WhatCounts", fn: testNaturalFingerprint},
	{name: "Cancelled", fn: testNaturalCancelled},
	{name: "WithKeys", fn: testNaturalKeys},
	{name: "Window", clocked: testNaturalWindow},
	// The races are in concurrencyTests (NaturalIdempotency*), which make test-conflicts also
	// runs under modelled transaction conflicts.
}

// createAgain makes the request in without a key and fails t unless it is answered with the
// order want as it now stands, replayed.
func createAgain(t *testing.T, s Store, what string, in order.Input, want order.Order) {
	t.Helper()
	got, replayed, err := s.CreateOrder(t.Context(), tenantA, in, order.Idempotency{})
	if err != nil || !replayed {
		t.Fatalf("%s: CreateOrder = %s, replayed %v, error %v; want %s replayed", what, got.OrderID, replayed, err, want.OrderID)
	}
	sameOrder(t, what+": the order answered", got, getOrder(t, s, tenantA, want.OrderID))
}

// testNaturalReplay: the identical request answers with the first order as it is now (its notes
// changed meanwhile), and writes nothing: no order, no customer change.
func testNaturalReplay(t *testing.T, s Store) {
	in := fullInput("again@example.com")
	first := createOrder(t, s, tenantA, in)
	c := getCustomer(t, s, tenantA, first.Customer.CustomerID)
	createAgain(t, s, "identical request", in, first)
	noted, err := s.UpdateOrderNotes(t.Context(), tenantA, first.OrderID, "Changed since")
	if err != nil {
		t.Fatal(err)
	}
	createAgain(t, s, "identical request after a notes change", in, noted)
	unchanged(t, s, tenantA, c)
	sameIDs(t, "orders", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})), []string{first.OrderID})
	if n := len(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10})); n != 1 {
		t.Errorf("customers = %d, want 1", n)
	}
}

// testNaturalFingerprint: only the email key and the multiset of lines count.
func testNaturalFingerprint(t *testing.T, s Store) {
	in := newInput("which@example.com")
	in.Items = []order.Item{{SKU: "A", Quantity: 1, ContractLength: 12}, {SKU: "B", Quantity: 2, ContractLength: 24}}
	first := createOrder(t, s, tenantA, in)

	same := in
	same.Customer = order.NewCustomer{Email: "WHICH@Example.com", FirstName: "Other", LastName: "Name", CustomerType: customer.Business}
	same.BillingAddress, same.Notes, same.OrderType = plainAddr("Riga"), "other notes", order.Upgrade
	same.Items = []order.Item{{SKU: "B", Quantity: 2, ContractLength: 24}, {SKU: "A", Quantity: 1, ContractLength: 12}}
	same.CreatedBy = "apikey:key_other"
	createAgain(t, s, "same email key and lines, all else different", same, first)

	made := []string{first.OrderID}
	for _, tt := range []struct {
		name  string
		email string
		items []order.Item
	}{
		{"a line fewer", "which@example.com", in.Items[:1]},
		{"[A×1, A×1] against [A×2]: the first", "which@example.com", []order.Item{{SKU: "A", Quantity: 1, ContractLength: 12}, {SKU: "A", Quantity: 1, ContractLength: 12}}},
		{"[A×1, A×1] against [A×2]: the second", "which@example.com", []order.Item{{SKU: "A", Quantity: 2, ContractLength: 12}}},
		{"another contract length", "which@example.com", []order.Item{{SKU: "A", Quantity: 1, ContractLength: 36}, {SKU: "B", Quantity: 2, ContractLength: 24}}},
		{"another email", "whom@example.com", in.Items},
	} {
		other := in
		other.Customer.Email, other.Items = tt.email, tt.items
		o := createOrder(t, s, tenantA, other) // fails unless it is a new order
		if slices.Contains(made, o.OrderID) {
			t.Errorf("%s: order %s, an earlier one; want a new order", tt.name, o.OrderID)
		}
		made = append(made, o.OrderID)
	}
	// The same body in another tenant is another order.
	if o := createOrder(t, s, tenantB, in); o.TenantID != tenantB {
		t.Errorf("order of tenant B = %+v, want one of %s", o, tenantB)
	}
	sameIDs(t, "orders of tenant A", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})), made)
}

// testNaturalCancelled: a cancelled first order is not returned: the identical request makes a
// new order, which the next identical request returns.
func testNaturalCancelled(t *testing.T, s Store) {
	in := newInput("cancelled.first@example.com")
	first := createOrder(t, s, tenantA, in)
	cancelOrder(t, s, tenantA, first.OrderID)
	second := createOrder(t, s, tenantA, in)
	if second.OrderID == first.OrderID {
		t.Fatalf("identical request after the first order was cancelled = %s, the cancelled order; want a new one", second.OrderID)
	}
	createAgain(t, s, "identical request after the second order", in, second)
	if c := getCustomer(t, s, tenantA, first.Customer.CustomerID); c.TotalOrders != 2 || c.PendingOrders != 1 {
		t.Errorf("customer: totalOrders %d, pending %d; want 2, 1", c.TotalOrders, c.PendingOrders)
	}
}

// testNaturalKeys: a request with an Idempotency-Key is never a natural replay (a key says what
// makes a request the same), but the order it makes is found by later requests without one.
func testNaturalKeys(t *testing.T, s Store) {
	in := newInput("keys@example.com")
	first := createOrder(t, s, tenantA, in)
	idem := order.Idempotency{Key: "k1", RequestHash: in.Hash()}
	keyed, replayed, err := s.CreateOrder(t.Context(), tenantA, in, idem)
	if err != nil || replayed || keyed.OrderID == first.OrderID {
		t.Fatalf("identical request with a key = %s, replayed %v, error %v; want a new order", keyed.OrderID, replayed, err)
	}
	createAgain(t, s, "identical request without a key after one with a key", in, keyed)
	again, replayed, err := s.CreateOrder(t.Context(), tenantA, in, idem)
	if err != nil || !replayed || again.OrderID != keyed.OrderID {
		t.Errorf("retry with the key = %s, replayed %v, error %v; want %s replayed", again.OrderID, replayed, err, keyed.OrderID)
	}
	if c := getCustomer(t, s, tenantA, first.Customer.CustomerID); c.TotalOrders != 2 {
		t.Errorf("totalOrders = %d, want 2", c.TotalOrders)
	}
}

// testNaturalWindow: an order answers identical requests until order.DuplicateWindow after its
// creation, that instant excluded, measured to the millisecond; replays do not extend it.
func testNaturalWindow(t *testing.T, s Store, clock *Clock) {
	start := time.Date(2030, 1, 1, 12, 0, 0, 700_000_000, time.UTC)
	clock.Set(start)
	in := newInput("window.natural@example.com")
	first := createOrder(t, s, tenantA, in)
	clock.Set(start.Add(5 * time.Minute))
	createAgain(t, s, "identical request after 5 minutes", in, first)
	clock.Set(start.Add(order.DuplicateWindow - time.Millisecond))
	createAgain(t, s, "identical request a millisecond before 10 minutes", in, first)
	clock.Set(start.Add(order.DuplicateWindow))
	second := createOrder(t, s, tenantA, in)
	if second.OrderID == first.OrderID {
		t.Fatalf("identical request at 10 minutes = %s, the first order; want a new one", second.OrderID)
	}
	clock.Set(start.Add(order.DuplicateWindow + 9*time.Minute))
	createAgain(t, s, "identical request 9 minutes after the second order", in, second)
	if n := len(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})); n != 2 {
		t.Errorf("orders = %d, want 2", n)
	}
}

// testNaturalConcurrent: identical requests without a key racing each other make exactly one
// order, decided in the write that makes it: every request answers with that order (or, out of
// retries, fault.Unavailable, having written nothing), exactly one of them not replayed, and the
// customer has exactly one order more.
func testNaturalConcurrent(t *testing.T, s Store, existing bool) {
	const n = 10
	in := newInput("natural.race@example.com")
	var seed []string
	var start int64
	if existing {
		c := newCustomer(t, s, tenantA, newInput("natural.race@example.com"))
		seed, start = c.OrderIDs, c.TotalOrders
	}
	type result struct {
		o        order.Order
		replayed bool
		err      error
	}
	res := make([]result, n)
	parallel(n, func(i int) {
		o, replayed, err := s.CreateOrder(t.Context(), tenantA, in, order.Idempotency{})
		res[i] = result{o, replayed, err}
	})
	errs := make([]error, n)
	for i, r := range res {
		errs[i] = r.err
	}
	countUnavailable(t, errs...)
	created, ids := 0, map[string]bool{}
	for i, r := range res {
		switch {
		case r.err == nil:
			ids[r.o.OrderID] = true
			if !r.replayed {
				created++
			}
		case !unavailable(r.err):
			t.Errorf("call %d error = %v, want nil or fault.Unavailable", i, r.err)
		}
	}
	if len(ids) == 0 {
		// Every call answered 503: then none may have written anything.
		sameIDs(t, "ListOrders after a race that created nothing", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), seed)
		if cs := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50}); len(cs) != len(seed) {
			t.Errorf("customers after a race that created nothing = %v, want %d", customerIDs(cs), len(seed))
		}
		return
	}
	if len(ids) != 1 || created != 1 {
		t.Fatalf("%d concurrent identical orders: %d distinct orders, %d not replayed; want 1 and 1", n, len(ids), created)
	}
	var id string
	for k := range ids {
		id = k
	}
	want := append(slices.Clone(seed), id)
	sameIDs(t, "ListOrders after the race", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), want)
	cs := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50})
	if len(cs) != 1 {
		t.Fatalf("customers after the race = %v, want 1", customerIDs(cs))
	}
	c := getCustomer(t, s, tenantA, cs[0].CustomerID)
	if c.TotalOrders != start+1 || c.PendingOrders != start+1 {
		t.Errorf("totalOrders = %d, pending %d; want %d, %d", c.TotalOrders, c.PendingOrders, start+1, start+1)
	}
	sameIDs(t, "orderIds", c.OrderIDs, want)
	for i, r := range res {
		if r.err == nil {
			sameOrder(t, fmt.Sprintf("order answered to call %d", i), r.o, getOrder(t, s, tenantA, id))
		}
	}
	createAgain(t, s, "identical request after the race", in, getOrder(t, s, tenantA, id))
}
