package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var cancelTests = []test{
	{name: "Pending", fn: testCancel},
	{name: "NoReason", fn: testCancelNoReason},
	{name: "Confirmed", fn: testCancelConfirmed},
	{name: "NotCancellable", fn: testCancelNotCancellable},
	{name: "IdempotencyKey", fn: testCancelIdempotent},
	{name: "ConcurrentRetries", fn: testCancelRetriesConcurrent},
	{name: "IdempotencyWindow", clocked: testCancelWindow},
}

// testCancel: a pending order is cancelled with its reason, once.
func testCancel(t *testing.T, s Store) {
	o := createOrder(t, s, tenantA, fullInput("cancel@example.com"))
	tick()
	got, _, err := s.CancelOrder(t.Context(), tenantA, o.OrderID, "Changed my mind", order.Idempotency{})
	if err != nil {
		t.Fatalf("CancelOrder error = %v, want nil", err)
	}
	want := o
	want.Status = order.Cancelled
	want.CancellationReason = "Changed my mind"
	want.UpdatedAt = got.UpdatedAt
	sameOrder(t, "CancelOrder", got, want)
	checkTimestamp(t, "updatedAt of the cancelled order", got.UpdatedAt)
	if got.UpdatedAt <= o.UpdatedAt {
		t.Errorf("updatedAt of the cancelled order = %s, want later than %s", got.UpdatedAt, o.UpdatedAt)
	}
	sameOrder(t, "GetOrder after CancelOrder", getOrder(t, s, tenantA, o.OrderID), got)

	_, _, err = s.CancelOrder(t.Context(), tenantA, o.OrderID, "Again", order.Idempotency{})
	wantErr(t, "CancelOrder of a cancelled order", err, order.ErrAlreadyCancelled)
	sameOrder(t, "GetOrder after a refused cancel", getOrder(t, s, tenantA, o.OrderID), got)

	_, _, err = s.CancelOrder(t.Context(), tenantA, order.NewID(time.Now()), "", order.Idempotency{})
	wantErr(t, "CancelOrder(unknown)", err, order.ErrNotFound)
}

// testCancelNoReason: the reason is optional.
func testCancelNoReason(t *testing.T, s Store) {
	o := createOrder(t, s, tenantA, newInput("noreason@example.com"))
	got := cancelOrder(t, s, tenantA, o.OrderID)
	if got.Status != order.Cancelled || got.CancellationReason != "" {
		t.Errorf("CancelOrder(no reason): status %q reason %q, want %q and none", got.Status, got.CancellationReason, order.Cancelled)
	}
	// Cancelling one order leaves the customer's other orders alone.
	o2 := createOrder(t, s, tenantA, newInput("noreason@example.com"))
	if st := getOrder(t, s, tenantA, o2.OrderID).Status; st != order.Pending {
		t.Errorf("other order status = %q, want pending", st)
	}
}

// testCancelConfirmed: a confirmed order (no subscription yet) can be cancelled too; since it no
// longer counted as pending, its customer's pending orders stay as they are.
func testCancelConfirmed(t *testing.T, s Store) {
	setter, ok := s.(OrderStatusSetter)
	if !ok {
		t.Skip("the store under test has no SetOrderStatus (OrderStatusSetter): no order can be confirmed")
	}
	o := createOrder(t, s, tenantA, newInput("confirmed@example.com"))
	other := createOrder(t, s, tenantA, newInput("confirmed@example.com"))
	setter.SetOrderStatus(t, tenantA, o.OrderID, order.Confirmed)
	before := getOrder(t, s, tenantA, o.OrderID)
	c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
	tick()
	got, replayed, err := cancelWith(t, s, o.OrderID, "No longer needed", "cancel-confirmed")
	if err != nil || replayed {
		t.Fatalf("CancelOrder(confirmed) = replayed %v, error %v; want false, nil", replayed, err)
	}
	want := before
	want.Status = order.Cancelled
	want.CancellationReason = "No longer needed"
	want.UpdatedAt = got.UpdatedAt
	sameOrder(t, "CancelOrder(confirmed)", got, want)
	sameOrder(t, "GetOrder after CancelOrder(confirmed)", getOrder(t, s, tenantA, o.OrderID), got)
	// The pending count is the one the confirmation left: cancelling a confirmed order is not
	// the end of a pending one.
	unchanged(t, s, tenantA, c)
	if _, _, err := cancelWith(t, s, o.OrderID, "No longer needed", "cancel-confirmed"); err != nil {
		t.Errorf("retry of the cancel of a confirmed order error = %v, want a replay", err)
	}
	_, _, err = s.CancelOrder(t.Context(), tenantA, o.OrderID, "", order.Idempotency{})
	wantErr(t, "CancelOrder of the cancelled, once confirmed, order", err, order.ErrAlreadyCancelled)
	cancelOrder(t, s, tenantA, other.OrderID)
	if n := getCustomer(t, s, tenantA, c.CustomerID).PendingOrders; n != c.PendingOrders-1 {
		t.Errorf("pending orders after cancelling the pending one = %d, want %d", n, c.PendingOrders-1)
	}
}

// testCancelNotCancellable: an order that has or had subscriptions (partial or fulfilled)
// cannot be cancelled, with a key or without, and nothing changes.
func testCancelNotCancellable(t *testing.T, s Store) {
	setter, ok := s.(OrderStatusSetter)
	if !ok {
		t.Skip("the store under test has no SetOrderStatus (OrderStatusSetter): no order can leave pending but by a cancel")
	}
	for _, st := range []order.Status{order.Partial, order.Fulfilled} {
		o := createOrder(t, s, tenantA, newInput(string(st)+"@example.com"))
		setter.SetOrderStatus(t, tenantA, o.OrderID, st)
		before := getOrder(t, s, tenantA, o.OrderID)
		if before.Status != st {
			t.Fatalf("GetOrder after SetOrderStatus(%s) = status %q, want %q", st, before.Status, st)
		}
		c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
		for _, idem := range []order.Idempotency{{}, {Key: "cancel-" + string(st), RequestHash: order.CancelHash("Too late")}} {
			_, _, err := s.CancelOrder(t.Context(), tenantA, o.OrderID, "Too late", idem)
			wantErr(t, fmt.Sprintf("CancelOrder(%s order, key %q)", st, idem.Key), err, order.ErrNotCancellable)
			sameOrder(t, "order after a refused cancel", getOrder(t, s, tenantA, o.OrderID), before)
			unchanged(t, s, tenantA, c)
		}
	}
}

// cancelWith cancels with an Idempotency-Key (as the HTTP layer hands it over: the hash of the
// reason) and returns what the store answered.
func cancelWith(t *testing.T, s Store, id, reason, key string) (order.Order, bool, error) {
	t.Helper()
	return s.CancelOrder(t.Context(), tenantA, id, reason, order.Idempotency{Key: key, RequestHash: order.CancelHash(reason)})
}

// testCancelIdempotent: a retry of a cancel with the same key and reason answers as the first did
// and writes nothing; the same key with another reason is refused; another key, or none, finds
// the order already cancelled.
func testCancelIdempotent(t *testing.T, s Store) {
	o := createOrder(t, s, tenantA, newInput("retry@example.com"))
	other := createOrder(t, s, tenantA, newInput("retry@example.com"))
	first, replayed, err := cancelWith(t, s, o.OrderID, "Changed my mind", "cancel-1")
	if err != nil || replayed || first.Status != order.Cancelled {
		t.Fatalf("CancelOrder(key) = status %q, replayed %v, error %v; want cancelled, false, nil", first.Status, replayed, err)
	}
	c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
	if c.PendingOrders != 1 {
		t.Errorf("pending orders after one cancel = %d, want 1", c.PendingOrders)
	}
	for i := range 2 {
		tick()
		again, replayed, err := cancelWith(t, s, o.OrderID, "Changed my mind", "cancel-1")
		if err != nil || !replayed {
			t.Fatalf("retry %d: CancelOrder = replayed %v, error %v; want true, nil", i, replayed, err)
		}
		sameOrder(t, "replayed cancel", again, first)
		sameOrder(t, "order after a replayed cancel", getOrder(t, s, tenantA, o.OrderID), first)
		unchanged(t, s, tenantA, c)
	}
	for _, reason := range []string{"Something else", ""} {
		_, _, err = cancelWith(t, s, o.OrderID, reason, "cancel-1")
		wantErr(t, fmt.Sprintf("CancelOrder(same key, reason %q)", reason), err, order.ErrIdempotencyReused)
	}
	_, _, err = cancelWith(t, s, o.OrderID, "Changed my mind", "cancel-2")
	wantErr(t, "CancelOrder(another key)", err, order.ErrAlreadyCancelled)
	_, _, err = s.CancelOrder(t.Context(), tenantA, o.OrderID, "Changed my mind", order.Idempotency{})
	wantErr(t, "CancelOrder(no key)", err, order.ErrAlreadyCancelled)
	sameOrder(t, "order after refused cancels", getOrder(t, s, tenantA, o.OrderID), first)
	unchanged(t, s, tenantA, c)

	// The key belongs to the cancelled order: on another order it is a new request.
	second, replayed, err := cancelWith(t, s, other.OrderID, "Changed my mind", "cancel-1")
	if err != nil || replayed || second.OrderID != other.OrderID {
		t.Errorf("CancelOrder(other order, same key) = %s, replayed %v, error %v; want %s, false, nil", second.OrderID, replayed, err, other.OrderID)
	}
	// An order cancelled without a key replays nothing.
	third := createOrder(t, s, tenantA, newInput("retry@example.com"))
	cancelOrder(t, s, tenantA, third.OrderID)
	_, _, err = cancelWith(t, s, third.OrderID, "", "cancel-3")
	wantErr(t, "CancelOrder(key) of an order cancelled without one", err, order.ErrAlreadyCancelled)
	if n := getCustomer(t, s, tenantA, c.CustomerID).PendingOrders; n != 0 {
		t.Errorf("pending orders after three cancels = %d, want 0", n)
	}
}

// testCancelRetriesConcurrent: retries of one cancel racing each other all succeed; exactly one
// of them cancels, and the order's customer loses one pending order.
func testCancelRetriesConcurrent(t *testing.T, s Store) {
	o := createOrder(t, s, tenantA, newInput("race@example.com"))
	createOrder(t, s, tenantA, newInput("race@example.com"))
	const n = 4
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		cancels  int
		failures []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, replayed, err := s.CancelOrder(t.Context(), tenantA, o.OrderID, "dup", order.Idempotency{Key: "race-1", RequestHash: order.CancelHash("dup")})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
			} else if !replayed {
				cancels++
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 || cancels != 1 {
		t.Errorf("%d concurrent retries: %d cancelled, errors %v; want 1 and none", n, cancels, failures)
	}
	if p := getCustomer(t, s, tenantA, o.Customer.CustomerID).PendingOrders; p != 1 {
		t.Errorf("pending orders = %d, want 1", p)
	}
}

var idempotencyTests = []test{
	{name: "Replay", fn: testIdempotencyReplay},
	{name: "PerTenant", fn: testIdempotencyTenants},
	{name: "NoKey", fn: testNoKey},
	{name: "Window", clocked: testIdempotencyWindow},
	{name: "WindowEdge", clocked: testIdempotencyWindowEdge},
}

// testIdempotencyReplay: the same key and hash replays the first order and writes nothing; the
// same key with another hash is refused; another key is a new request.
func testIdempotencyReplay(t *testing.T, s Store) {
	ctx := t.Context()
	in := fullInput("idem@example.com")
	idem := order.Idempotency{Key: "key-1", RequestHash: "hash-1"}
	first, replayed, err := s.CreateOrder(ctx, tenantA, in, idem)
	if err != nil || replayed {
		t.Fatalf("first CreateOrder = replayed %v, error %v; want false, nil", replayed, err)
	}
	c := getCustomer(t, s, tenantA, first.Customer.CustomerID)

	for i := range 2 {
		again, replayed, err := s.CreateOrder(ctx, tenantA, in, idem)
		if err != nil || !replayed {
			t.Fatalf("retry %d: CreateOrder = replayed %v, error %v; want true, nil", i, replayed, err)
		}
		sameOrder(t, "replayed order", again, first)
		unchanged(t, s, tenantA, c)
		sameIDs(t, "orders after a replay", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})), []string{first.OrderID})
		if n := len(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10})); n != 1 {
			t.Errorf("customers after a replay = %d, want 1", n)
		}
	}

	other := fullInput("someone.else@example.com")
	for _, body := range []order.Input{in, other} {
		_, _, err = s.CreateOrder(ctx, tenantA, body, order.Idempotency{Key: "key-1", RequestHash: "hash-2"})
		wantErr(t, "CreateOrder(same key, other hash)", err, order.ErrIdempotencyReused)
		unchanged(t, s, tenantA, c)
		sameIDs(t, "orders after a reused key", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})), []string{first.OrderID})
		if n := len(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10})); n != 1 {
			t.Errorf("customers after a reused key = %d, want 1", n)
		}
	}

	second, replayed, err := s.CreateOrder(ctx, tenantA, in, order.Idempotency{Key: "key-2", RequestHash: "hash-1"})
	if err != nil || replayed {
		t.Fatalf("CreateOrder(another key) = replayed %v, error %v; want false, nil", replayed, err)
	}
	if second.OrderID == first.OrderID {
		t.Errorf("another key replayed order %s, want a new order", first.OrderID)
	}
	if n := getCustomer(t, s, tenantA, c.CustomerID).TotalOrders; n != 2 {
		t.Errorf("totalOrders = %d, want 2", n)
	}
	// The first key still replays its own order, also after that order changed: the first
	// response, as it was (docs/api.md: "returns the first response").
	cancelOrder(t, s, tenantA, first.OrderID)
	again, replayed, err := s.CreateOrder(ctx, tenantA, in, idem)
	if err != nil || !replayed || again.OrderID != first.OrderID {
		t.Errorf("retry after cancel: CreateOrder = %s, replayed %v, error %v; want %s, true, nil", again.OrderID, replayed, err, first.OrderID)
	}
	sameOrder(t, "order replayed after it was cancelled", again, first)
	if n := len(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})); n != 2 {
		t.Errorf("orders = %d, want 2", n)
	}
	// And after its customer was deactivated: the retry is answered, not refused as an order
	// for an inactive customer; another body under the key is still a reused key.
	cancelOrder(t, s, tenantA, second.OrderID)
	gone := deactivate(t, s, tenantA, c.CustomerID, nil)
	again, replayed, err = s.CreateOrder(ctx, tenantA, in, idem)
	if err != nil || !replayed {
		t.Errorf("retry after deactivation: CreateOrder = replayed %v, error %v; want true, nil", replayed, err)
	}
	sameOrder(t, "order replayed after its customer was deactivated", again, first)
	_, _, err = s.CreateOrder(ctx, tenantA, in, order.Idempotency{Key: "key-1", RequestHash: "hash-2"})
	wantErr(t, "CreateOrder(same key, other hash) for a deactivated customer", err, order.ErrIdempotencyReused)
	unchanged(t, s, tenantA, gone)
}

// testIdempotencyTenants: keys are scoped to the tenant.
func testIdempotencyTenants(t *testing.T, s Store) {
	ctx := t.Context()
	in := newInput("shared@example.com")
	idem := order.Idempotency{Key: "same-key", RequestHash: "hash-a"}
	a, replayed, err := s.CreateOrder(ctx, tenantA, in, idem)
	if err != nil || replayed {
		t.Fatalf("CreateOrder(A) = replayed %v, error %v; want false, nil", replayed, err)
	}
	b, replayed, err := s.CreateOrder(ctx, tenantB, in, idem)
	if err != nil || replayed {
		t.Fatalf("CreateOrder(B, A's key) = replayed %v, error %v; want false, nil", replayed, err)
	}
	if b.OrderID == a.OrderID || b.TenantID != tenantB {
		t.Errorf("order of B = %s in %s, want a new order in %s", b.OrderID, b.TenantID, tenantB)
	}
	c, replayed, err := s.CreateOrder(ctx, tenantB, in, order.Idempotency{Key: "other-key", RequestHash: "hash-b"})
	if err != nil || replayed || c.OrderID == b.OrderID {
		t.Errorf("CreateOrder(B, new key) = %s replayed %v error %v, want a new order", c.OrderID, replayed, err)
	}
	// B's key is new to A, whatever its hash.
	_, replayed, err = s.CreateOrder(ctx, tenantA, in, order.Idempotency{Key: "other-key", RequestHash: "hash-x"})
	if err != nil || replayed {
		t.Errorf("CreateOrder(A, B's key, other hash) = replayed %v, error %v; want false, nil", replayed, err)
	}
	again, replayed, err := s.CreateOrder(ctx, tenantA, in, idem)
	if err != nil || !replayed || again.OrderID != a.OrderID {
		t.Errorf("retry in A = %s replayed %v error %v, want %s true nil", again.OrderID, replayed, err, a.OrderID)
	}
}

// testNoKey: without a key, an identical request (natural idempotency, order.Duplicate) is the
// first order again and writes nothing; a client that means two identical orders sends two keys.
func testNoKey(t *testing.T, s Store) {
	in := newInput("nokey@example.com")
	o1 := createOrder(t, s, tenantA, in)
	c := getCustomer(t, s, tenantA, o1.Customer.CustomerID)
	o2, replayed, err := s.CreateOrder(t.Context(), tenantA, in, order.Idempotency{})
	if err != nil || !replayed || o2.OrderID != o1.OrderID {
		t.Fatalf("identical CreateOrder without a key = %s, replayed %v, error %v; want %s, true, nil", o2.OrderID, replayed, err, o1.OrderID)
	}
	sameOrder(t, "the identical request's order", o2, o1)
	unchanged(t, s, tenantA, c)
	sameIDs(t, "orders", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})), []string{o1.OrderID})

	var ids []string
	for _, key := range []string{"first", "second"} {
		o, replayed, err := s.CreateOrder(t.Context(), tenantA, in, order.Idempotency{Key: key, RequestHash: in.Hash()})
		if err != nil || replayed {
			t.Fatalf("identical CreateOrder with key %s = replayed %v, error %v; want a new order", key, replayed, err)
		}
		ids = append(ids, o.OrderID)
	}
	c = getCustomer(t, s, tenantA, c.CustomerID)
	if c.TotalOrders != 3 {
		t.Errorf("totalOrders = %d, want 3", c.TotalOrders)
	}
	sameIDs(t, "orderIds", c.OrderIDs, append([]string{o1.OrderID}, ids...))
}

var notesTests = []test{
	{name: "Replace", fn: testNotes},
	{name: "AnyStatus", fn: testNotesAnyStatus},
	{name: "MovesInTheUpdatedAtList", fn: testNotesUpdatedAtList},
}

// testNotesUpdatedAtList: a notes change moves updatedAt, so the order moves to the end of the
// list by updatedAt (its index key moves with it), and nowhere in the others.
func testNotesUpdatedAtList(t *testing.T, s Store) {
	var ids []string
	for range 3 {
		ids = append(ids, createOrder(t, s, tenantA, newInput("sorted.notes@example.com")).OrderID)
		tick()
	}
	if _, err := s.UpdateOrderNotes(t.Context(), tenantA, ids[0], "Now the latest"); err != nil {
		t.Fatal(err)
	}
	byUpdate := []string{ids[1], ids[2], ids[0]}
	eventually(t, func() error {
		got := orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 2, SortBy: order.ByUpdatedAt}))
		if !slices.Equal(got, byUpdate) {
			return fmt.Errorf("ListOrders(sortBy updatedAt) after a notes change = %v, want %v", got, byUpdate)
		}
		if got := orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 2, SortBy: order.ByUpdatedAt, Desc: true})); !slices.Equal(got, reversed(byUpdate)) {
			return fmt.Errorf("ListOrders(sortBy updatedAt, desc) after a notes change = %v, want %v", got, reversed(byUpdate))
		}
		if got := orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 2})); !slices.Equal(got, ids) {
			return fmt.Errorf("ListOrders(createdAt) after a notes change = %v, want %v", got, ids)
		}
		return nil
	})
}

// testNotes: notes are replaced whole (not appended), "" removes them, updatedAt moves, and
// nothing else of the order or its customer changes.
func testNotes(t *testing.T, s Store) {
	o := createOrder(t, s, tenantA, fullInput("notes@example.com"))
	c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
	prev := o
	for _, notes := range []string{"Deliver after 2pm.\nCall first.", "Replaced", ""} {
		tick()
		got, err := s.UpdateOrderNotes(t.Context(), tenantA, o.OrderID, notes)
		if err != nil {
			t.Fatalf("UpdateOrderNotes(%q) error = %v, want nil", notes, err)
		}
		want := prev
		want.Notes = notes
		want.UpdatedAt = got.UpdatedAt
		sameOrder(t, fmt.Sprintf("UpdateOrderNotes(%q)", notes), got, want)
		checkTimestamp(t, "updatedAt after UpdateOrderNotes", got.UpdatedAt)
		if got.UpdatedAt <= prev.UpdatedAt {
			t.Errorf("updatedAt after UpdateOrderNotes(%q) = %s, want later than %s", notes, got.UpdatedAt, prev.UpdatedAt)
		}
		sameOrder(t, "GetOrder after UpdateOrderNotes", getOrder(t, s, tenantA, o.OrderID), got)
		unchanged(t, s, tenantA, c)
		prev = got
	}
	_, err := s.UpdateOrderNotes(t.Context(), tenantA, order.NewID(time.Now()), "x")
	wantErr(t, "UpdateOrderNotes(unknown)", err, order.ErrNotFound)
	_, err = s.UpdateOrderNotes(t.Context(), tenantB, o.OrderID, "x")
	wantErr(t, "UpdateOrderNotes(another tenant's order)", err, order.ErrNotFound)
	sameOrder(t, "order after refused notes updates", getOrder(t, s, tenantA, o.OrderID), prev)
}

// testNotesAnyStatus: a cancelled order takes notes too, and stays cancelled.
func testNotesAnyStatus(t *testing.T, s Store) {
	o := cancelOrder(t, s, tenantA, createOrder(t, s, tenantA, newInput("late.notes@example.com")).OrderID)
	got, err := s.UpdateOrderNotes(t.Context(), tenantA, o.OrderID, "Refund sent")
	if err != nil || got.Status != order.Cancelled || got.Notes != "Refund sent" {
		t.Errorf("UpdateOrderNotes(cancelled order) = status %q notes %q, %v; want cancelled, Refund sent, nil", got.Status, got.Notes, err)
	}
}

var listOrderTests = []test{
	{name: "Filters", fn: testListOrders},
	{name: "SparseMatches", fn: testListOrdersSparse},
}

// testListOrders: every order exactly once, in creation order, with each filter.
func testListOrders(t *testing.T, s Store) {
	var all, ofA, ofB []string
	mk := func(email string) order.Order {
		o := createOrder(t, s, tenantA, newInput(email))
		all = append(all, o.OrderID)
		return o
	}
	a1 := mk("a@example.com")
	b1 := mk("b@example.com")
	a2 := mk("a@example.com")
	a3 := mk("a@example.com")
	b2 := mk("b@example.com")
	ofA = []string{a1.OrderID, a2.OrderID, a3.OrderID}
	ofB = []string{b1.OrderID, b2.OrderID}
	cancelOrder(t, s, tenantA, a2.OrderID)
	ca, cb := a1.Customer.CustomerID, b1.Customer.CustomerID

	tests := []struct {
		q    order.ListQuery
		want []string
	}{
		{order.ListQuery{}, all},
		{order.ListQuery{CustomerID: ca}, ofA},
		{order.ListQuery{CustomerID: cb}, ofB},
		{order.ListQuery{Status: order.Cancelled}, []string{a2.OrderID}},
		{order.ListQuery{Status: order.Pending}, []string{a1.OrderID, b1.OrderID, a3.OrderID, b2.OrderID}},
		{order.ListQuery{Status: order.Confirmed}, nil},
		{order.ListQuery{CustomerID: ca, Status: order.Pending}, []string{a1.OrderID, a3.OrderID}},
		{order.ListQuery{CustomerID: cb, Status: order.Cancelled}, nil},
		{order.ListQuery{CustomerID: customer.NewID(time.Now())}, nil},
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 2, 3, 100} {
			for _, desc := range []bool{false, true} {
				q := tt.q
				q.Limit, q.Desc = limit, desc
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkOrderList(t, s, q, want)
			}
		}
	}
}

// checkOrderList pages through q of tenantA and compares the ids with want and each listed order
// with GetOrder, waiting (up to converge) for the lists to show the writes before it.
func checkOrderList(t *testing.T, s Store, q order.ListQuery, want []string) {
	t.Helper()
	eventually(t, func() error {
		_, got, err := pageOrders(t.Context(), s, tenantA, q, nil)
		if err != nil {
			return err
		}
		if err := sameList(fmt.Sprintf("ListOrders(%+v)", q), orderIDs(got), want); err != nil {
			return err
		}
		for _, o := range got {
			stored, err := s.GetOrder(t.Context(), tenantA, o.OrderID)
			if err != nil {
				return fmt.Errorf("GetOrder(%s) of a listed order: %w", o.OrderID, err)
			}
			if !reflect.DeepEqual(o, stored) {
				return fmt.Errorf("listed order:\n got %s\nwant %s", show(o), show(stored))
			}
		}
		return nil
	})
}

// testListOrdersSparse: when a filter excludes most orders, paging still returns each match
// exactly once.
func testListOrdersSparse(t *testing.T, s Store) {
	var rare, cancelled []string
	var rareCustomer string
	for i := range 14 {
		email := fmt.Sprintf("bulk%d@example.com", i%3)
		if i == 1 || i == 8 || i == 13 {
			email = "rare@example.com"
		}
		o := createOrder(t, s, tenantA, newInput(email))
		if email == "rare@example.com" {
			rare = append(rare, o.OrderID)
			rareCustomer = o.Customer.CustomerID
		}
		if i == 5 || i == 12 {
			cancelOrder(t, s, tenantA, o.OrderID)
			cancelled = append(cancelled, o.OrderID)
		}
	}
	for _, limit := range []int{1, 2} {
		for _, desc := range []bool{false, true} {
			q := order.ListQuery{Limit: limit, Desc: desc, CustomerID: rareCustomer}
			want := rare
			if desc {
				want = reversed(rare)
			}
			checkOrderList(t, s, q, want)
			q = order.ListQuery{Limit: limit, Desc: desc, Status: order.Cancelled}
			want = cancelled
			if desc {
				want = reversed(cancelled)
			}
			checkOrderList(t, s, q, want)
		}
	}
}

// testIdempotencyWindow: a key replays its first order within order.IdempotencyTTL (24 h) and
// refuses another body; after that it is free, whatever the body, and then replays the new order.
func testIdempotencyWindow(t *testing.T, s Store, clock *Clock) {
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock.Set(start)
	ctx := t.Context()
	in, other := newInput("window@example.com"), newInput("other.window@example.com")
	h1 := order.Idempotency{Key: "window", RequestHash: "h1"}
	h2 := order.Idempotency{Key: "window", RequestHash: "h2"}
	first, replayed, err := s.CreateOrder(ctx, tenantA, in, h1)
	if err != nil || replayed {
		t.Fatalf("first CreateOrder = replayed %v, error %v; want false, nil", replayed, err)
	}
	latest := first
	steps := []struct {
		name       string
		at         time.Duration
		in         order.Input
		idem       order.Idempotency
		want       error
		wantReplay bool
		wantOrders int
	}{
		{"same body a second before 24 h", order.IdempotencyTTL - time.Second, in, h1, nil, true, 1},
		{"other body a second before 24 h", order.IdempotencyTTL - time.Second, other, h2, order.ErrIdempotencyReused, false, 1},
		{"other body a second after 24 h", order.IdempotencyTTL + time.Second, other, h2, nil, false, 2},
		{"that body again", order.IdempotencyTTL + time.Hour, other, h2, nil, true, 2},
		{"the first body again", order.IdempotencyTTL + time.Hour, in, h1, order.ErrIdempotencyReused, false, 2},
	}
	for _, st := range steps {
		clock.Set(start.Add(st.at))
		o, replayed, err := s.CreateOrder(ctx, tenantA, st.in, st.idem)
		switch {
		case st.want != nil:
			wantErr(t, st.name+": CreateOrder", err, st.want)
		case err != nil:
			t.Errorf("%s: CreateOrder error = %v, want nil", st.name, err)
		case replayed != st.wantReplay:
			t.Errorf("%s: CreateOrder replayed = %v, want %v", st.name, replayed, st.wantReplay)
		case st.wantReplay:
			sameOrder(t, st.name+": replayed order", o, latest)
		default:
			if o.OrderID == latest.OrderID {
				t.Errorf("%s: order %s, the expired key's; want a new order", st.name, o.OrderID)
			}
			latest = o
		}
		if n := len(listOrders(t, s, tenantA, order.ListQuery{Limit: 10})); n != st.wantOrders {
			t.Errorf("%s: %d orders, want %d", st.name, n, st.wantOrders)
		}
	}
}

// testIdempotencyWindowEdge: the window is measured to the millisecond, and its end is not in it
// (order.Live): a key first used at 12:00:00.700 replays until 12:00:00.699 the next day and is
// free from 12:00:00.700 on — also within that same second, which a store keeping whole seconds
// would get wrong.
func testIdempotencyWindowEdge(t *testing.T, s Store, clock *Clock) {
	start := time.Date(2030, 1, 1, 12, 0, 0, 700_000_000, time.UTC)
	clock.Set(start)
	ctx := t.Context()
	firsts := map[string]order.Order{}
	for _, key := range []string{"edge", "edge-200ms"} {
		o, _, err := s.CreateOrder(ctx, tenantA, newInput(key+"@example.com"), order.Idempotency{Key: key, RequestHash: "h1"})
		if err != nil {
			t.Fatalf("first CreateOrder with key %s: %v", key, err)
		}
		firsts[key] = o
	}
	steps := []struct {
		key        string
		at         time.Duration
		wantReplay bool
	}{
		{"edge", order.IdempotencyTTL - time.Millisecond, true},
		{"edge", order.IdempotencyTTL, false},
		{"edge-200ms", order.IdempotencyTTL + 200*time.Millisecond, false},
	}
	for _, st := range steps {
		clock.Set(start.Add(st.at))
		o, replayed, err := s.CreateOrder(ctx, tenantA, newInput(st.key+"@example.com"), order.Idempotency{Key: st.key, RequestHash: "h1"})
		if err != nil || replayed != st.wantReplay || (o.OrderID == firsts[st.key].OrderID) != st.wantReplay {
			t.Errorf("key %s at 24 h %+v: order %s (first %s), replayed %v, error %v; want replayed %v",
				st.key, st.at-order.IdempotencyTTL, o.OrderID, firsts[st.key].OrderID, replayed, err, st.wantReplay)
		}
	}
}

// testCancelWindow: a cancel retried with its key replays within 24 h of the cancel; after that
// it is a new request, which finds the order already cancelled.
func testCancelWindow(t *testing.T, s Store, clock *Clock) {
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock.Set(start)
	o := createOrder(t, s, tenantA, newInput("cancel.window@example.com"))
	first, replayed, err := cancelWith(t, s, o.OrderID, "moved", "cw")
	if err != nil || replayed {
		t.Fatalf("CancelOrder = replayed %v, error %v; want false, nil", replayed, err)
	}
	clock.Set(start.Add(order.IdempotencyTTL - time.Second))
	again, replayed, err := cancelWith(t, s, o.OrderID, "moved", "cw")
	if err != nil || !replayed {
		t.Errorf("retry a second before 24 h: replayed %v, error %v; want true, nil", replayed, err)
	}
	sameOrder(t, "replayed cancel", again, first)
	clock.Set(start.Add(order.IdempotencyTTL))
	_, _, err = cancelWith(t, s, o.OrderID, "moved", "cw")
	wantErr(t, "retry at exactly 24 h", err, order.ErrAlreadyCancelled)
}
