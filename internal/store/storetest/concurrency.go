package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var concurrencyTests = []test{
	{name: "DifferentCustomFields", fn: testConcurrentFields},
	{name: "DifferentFields", fn: testConcurrentTopLevelFields},
	{name: "SameIfMatch", fn: testConcurrentIfMatch},
	{name: "SameNewEmail", fn: testConcurrentEmail},
	{name: "IdempotencyKeyExistingCustomer", fn: func(t *testing.T, s Store) { testConcurrentIdempotency(t, s, true) }},
	{name: "IdempotencyKeyNewCustomer", fn: func(t *testing.T, s Store) { testConcurrentIdempotency(t, s, false) }},
	{name: "NewCustomerSameEmail", fn: testConcurrentNewCustomer},
	{name: "OrdersAndUpdates", fn: testConcurrentOrdersAndUpdates},
	{name: "OrdersPastTheBound", fn: testConcurrentOrdersPastTheBound, bulk: true},
	{name: "DeactivateVersusOrder", fn: testConcurrentDeactivateOrder},
	{name: "EmailChangeVersusNewCustomer", fn: testConcurrentEmailChangeOrder},
	// natural.go: identical orders without a key make one order.
	{name: "NaturalIdempotencyExistingCustomer", fn: func(t *testing.T, s Store) { testNaturalConcurrent(t, s, true) }},
	{name: "NaturalIdempotencyNewCustomer", fn: func(t *testing.T, s Store) { testNaturalConcurrent(t, s, false) }},
}

// unavailable reports whether err is the store giving up on a race: fault.Unavailable, a 503.
// The tests below allow it (a store under real contention may run out of retries), and then
// check that nothing of the call was written.
func unavailable(err error) bool { return fault.KindOf(err) == fault.Unavailable }

// countUnavailable logs, and returns, how many of the calls of a race answered fault.Unavailable,
// in a line that make test-conflicts adds up.
func countUnavailable(t *testing.T, errs ...error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		if unavailable(err) {
			n++
		}
	}
	t.Logf("storetest: %d of %d calls answered 503", n, len(errs))
	if _, ok := strict.Load(t); ok && n > 0 {
		t.Errorf("%d of %d racing calls answered 503 on a backend that never conflicts (storetest.NoUnavailable)", n, len(errs))
	}
	return n
}

// parallel runs fn(0..n-1) on n goroutines released together by a start barrier, and waits for
// all of them. fn must not call t.Fatal; results go to per-goroutine slots.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// testConcurrentFields: concurrent updates of different custom fields all survive.
func testConcurrentFields(t *testing.T, s Store) {
	const n = 20
	c := newCustomer(t, s, tenantA, newInput("fields@example.com"))
	c = update(t, s, tenantA, c.CustomerID, customer.Patch{CustomFields: map[string]any{"keep": "me"}}, nil)
	errs := make([]error, n)
	versions := make([]int64, n)
	parallel(n, func(i int) {
		got, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID,
			customer.Patch{CustomFields: map[string]any{fmt.Sprintf("f%02d", i): json.Number(strconv.Itoa(i))}}, nil)
		errs[i], versions[i] = err, got.Version
	})
	countUnavailable(t, errs...)
	want := map[string]any{"keep": "me"}
	var okVersions []int64 // of the updates that succeeded: only those may be written
	for i, err := range errs {
		switch {
		case err == nil:
			want[fmt.Sprintf("f%02d", i)] = json.Number(strconv.Itoa(i))
			okVersions = append(okVersions, versions[i])
		case !unavailable(err):
			t.Errorf("update %d error = %v, want nil or fault.Unavailable", i, err)
		}
	}
	ok := int64(len(okVersions))
	got := getCustomer(t, s, tenantA, c.CustomerID)
	if !mapsEqual(got.CustomFields, want) {
		t.Errorf("customFields after %d concurrent updates (%d succeeded) = %#v, want %#v", n, ok, got.CustomFields, want)
	}
	if got.Version != c.Version+ok {
		t.Errorf("version = %d, want %d", got.Version, c.Version+ok)
	}
	slices.Sort(okVersions)
	for i, v := range okVersions {
		if v != c.Version+int64(i)+1 {
			t.Errorf("versions returned by the concurrent updates = %v, want each of %d..%d once", okVersions, c.Version+1, c.Version+ok)
			break
		}
	}
}

// testConcurrentIfMatch: of updates racing with the same ifMatch, exactly one wins.
func testConcurrentIfMatch(t *testing.T, s Store) {
	const n = 10
	c := newCustomer(t, s, tenantA, newInput("race@example.com"))
	errs := make([]error, n)
	parallel(n, func(i int) {
		v := c.Version
		_, errs[i] = s.UpdateCustomer(t.Context(), tenantA, c.CustomerID,
			customer.Patch{FirstName: ptr(fmt.Sprintf("Writer%d", i)), CustomFields: map[string]any{fmt.Sprintf("w%d", i): true}}, customer.IfMatch{v})
	})
	busy := countUnavailable(t, errs...)
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("updates %d and %d with the same ifMatch both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, customer.ErrPrecondition) && !unavailable(err):
			t.Errorf("update %d error = %v, want nil, %v or fault.Unavailable", i, err, customer.ErrPrecondition)
		}
	}
	if winner < 0 {
		// Nobody won, so the version did not move: a 412 would be wrong, only 503s are right.
		if busy != n {
			t.Fatalf("no update with the current ifMatch succeeded, and only %d of %d answered fault.Unavailable", busy, n)
		}
		unchanged(t, s, tenantA, c)
		return
	}
	got := getCustomer(t, s, tenantA, c.CustomerID)
	wantFields := map[string]any{fmt.Sprintf("w%d", winner): true}
	if got.FirstName != fmt.Sprintf("Writer%d", winner) || got.Version != c.Version+1 || !mapsEqual(got.CustomFields, wantFields) {
		t.Errorf("after the race: firstName %q version %d customFields %#v, want %q %d %#v",
			got.FirstName, got.Version, got.CustomFields, fmt.Sprintf("Writer%d", winner), c.Version+1, wantFields)
	}
}

// testConcurrentEmail: of customers racing for one new email, exactly one gets it; the others
// keep theirs.
func testConcurrentEmail(t *testing.T, s Store) {
	const n = 10
	before := make([]customer.Customer, n)
	for i := range n {
		before[i] = newCustomer(t, s, tenantA, newInput(fmt.Sprintf("racer%d@example.com", i)))
	}
	errs := make([]error, n)
	parallel(n, func(i int) {
		email := "wanted@example.com"
		if i%2 == 1 {
			email = "Wanted@Example.COM"
		}
		_, errs[i] = s.UpdateCustomer(t.Context(), tenantA, before[i].CustomerID, customer.Patch{Email: ptr(email)}, nil)
	})
	busy := countUnavailable(t, errs...)
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("customers %d and %d both took the same email", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, customer.ErrEmailExists) && !unavailable(err):
			t.Errorf("email change %d error = %v, want nil, %v or fault.Unavailable", i, err, customer.ErrEmailExists)
		}
	}
	if winner < 0 {
		// Nobody took the free email: a 409 would be wrong, only 503s are right, and the email
		// is still free.
		if busy != n {
			t.Fatalf("no customer got the free email, and only %d of %d answered fault.Unavailable", busy, n)
		}
		for _, c := range before {
			unchanged(t, s, tenantA, c)
		}
		if holders := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10, Email: "wanted@example.com"}); len(holders) != 0 {
			t.Errorf("customers with the raced email after every change answered 503 = %v, want none", customerIDs(holders))
		}
		return
	}
	for i, c := range before {
		if i == winner {
			if got := getCustomer(t, s, tenantA, c.CustomerID); !strings.EqualFold(got.Email, "wanted@example.com") {
				t.Errorf("winner's email = %q, want wanted@example.com", got.Email)
			}
			continue
		}
		unchanged(t, s, tenantA, c)
		checkCustomerList(t, s, tenantA, customer.ListQuery{Email: c.Email}, []string{c.CustomerID}, 10)
	}
	checkCustomerList(t, s, tenantA, customer.ListQuery{Email: "WANTED@example.com"}, []string{before[winner].CustomerID}, 10)
	o := createOrder(t, s, tenantA, newInput("wanted@example.com"))
	if o.Customer.CustomerID != before[winner].CustomerID {
		t.Errorf("order for the raced email went to %s, want the winner %s", o.Customer.CustomerID, before[winner].CustomerID)
	}
	o = createOrder(t, s, tenantA, newInput(before[(winner+1)%n].Email))
	if o.Customer.CustomerID != before[(winner+1)%n].CustomerID {
		t.Errorf("order for a loser's email went to %s, want %s", o.Customer.CustomerID, before[(winner+1)%n].CustomerID)
	}
}

// testConcurrentIdempotency: concurrent requests with one key make exactly one order; the others
// replay it or are told the key is in use.
func testConcurrentIdempotency(t *testing.T, s Store, existing bool) {
	const n = 10
	in := newInput("idem.race@example.com")
	var seed []string
	var start int64
	if existing {
		c := newCustomer(t, s, tenantA, in)
		seed, start = c.OrderIDs, c.TotalOrders
	}
	idem := order.Idempotency{Key: "race-key", RequestHash: "race-hash"}
	type result struct {
		o        order.Order
		replayed bool
		err      error
	}
	res := make([]result, n)
	parallel(n, func(i int) {
		o, replayed, err := s.CreateOrder(t.Context(), tenantA, in, idem)
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
		case !errors.Is(r.err, order.ErrIdempotencyInUse) && !unavailable(r.err):
			t.Errorf("call %d error = %v, want nil, %v or fault.Unavailable", i, r.err, order.ErrIdempotencyInUse)
		}
	}
	if created == 0 && len(ids) == 0 {
		// Every call answered 409 or 503: then none may have written the order.
		sameIDs(t, "ListOrders after a race that created nothing", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), seed)
		cs := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50})
		switch {
		case !existing && len(cs) != 0:
			t.Errorf("customers after a race that created nothing = %v, want none", customerIDs(cs))
		case existing && (len(cs) != 1 || cs[0].TotalOrders != start):
			t.Errorf("customers after a race that created nothing = %v, want the one seeded with totalOrders %d", customerIDs(cs), start)
		}
		return
	}
	if len(ids) != 1 || created != 1 {
		t.Fatalf("concurrent calls with one key: %d distinct orders, %d not replayed; want 1 and 1", len(ids), created)
	}
	var id string
	for k := range ids {
		id = k
	}
	sameIDs(t, "ListOrders after the race", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), append(slices.Clone(seed), id))
	cs := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50})
	if len(cs) != 1 {
		t.Fatalf("customers after the race = %v, want 1", customerIDs(cs))
	}
	if cs[0].TotalOrders != start+1 {
		t.Errorf("totalOrders = %d, want %d", cs[0].TotalOrders, start+1)
	}
	sameIDs(t, "orderIds", cs[0].OrderIDs, append(slices.Clone(seed), id))
	o, replayed, err := s.CreateOrder(t.Context(), tenantA, in, idem)
	if err != nil || !replayed || o.OrderID != id {
		t.Errorf("retry after the race = %s replayed %v error %v, want %s true nil", o.OrderID, replayed, err, id)
	}
}

// testConcurrentNewCustomer: concurrent first orders for one email make one customer.
func testConcurrentNewCustomer(t *testing.T, s Store) {
	const n = 8
	errs := make([]error, n)
	orders := make([]order.Order, n)
	parallel(n, func(i int) {
		email := "rush@example.com"
		if i%2 == 1 {
			email = "Rush@Example.com"
		}
		orders[i], _, errs[i] = s.CreateOrder(t.Context(), tenantA, newInput(email), order.Idempotency{})
	})
	busy := countUnavailable(t, errs...)
	for i, err := range errs {
		if err != nil && !unavailable(err) {
			t.Fatalf("order %d error = %v, want nil or fault.Unavailable", i, err)
		}
	}
	cs := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50})
	if busy == n {
		if len(cs) != 0 {
			t.Errorf("customers after %d first orders that all answered 503 = %v, want none", n, customerIDs(cs))
		}
		return
	}
	if len(cs) != 1 {
		t.Fatalf("customers after %d concurrent first orders of one email = %v, want 1", n, customerIDs(cs))
	}
	c := cs[0]
	var ids []string
	for i, o := range orders {
		if errs[i] != nil {
			continue // answered 503: it must not be among the customer's orders
		}
		if o.Customer.CustomerID != c.CustomerID {
			t.Errorf("order %d is for customer %s, want %s", i, o.Customer.CustomerID, c.CustomerID)
		}
		ids = append(ids, o.OrderID)
	}
	got := slices.Clone(c.OrderIDs)
	slices.Sort(got)
	slices.Sort(ids)
	if ok := int64(n - busy); c.TotalOrders != ok || c.Version != ok || !slices.Equal(got, ids) {
		t.Errorf("customer after the rush: totalOrders %d version %d orderIds %v, want %d %d %v", c.TotalOrders, c.Version, got, ok, ok, ids)
	}
}

// testConcurrentOrdersAndUpdates: orders and updates of one customer racing lose nothing.
func testConcurrentOrdersAndUpdates(t *testing.T, s Store) {
	const n = 10
	c := newCustomer(t, s, tenantA, newInput("busy@example.com"))
	errs := make([]error, 2*n)
	parallel(2*n, func(i int) {
		if i%2 == 0 {
			_, _, errs[i] = s.CreateOrder(t.Context(), tenantA, newInput("busy@example.com"), order.Idempotency{})
			return
		}
		_, errs[i] = s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{CustomFields: map[string]any{fmt.Sprintf("u%d", i): "x"}}, nil)
	})
	countUnavailable(t, errs...)
	var orders int64
	fields := map[string]any{} // of the updates that succeeded: only those may be written
	for i, err := range errs {
		switch {
		case err == nil && i%2 == 0:
			orders++
		case err == nil:
			fields[fmt.Sprintf("u%d", i)] = "x"
		case !unavailable(err):
			t.Errorf("call %d error = %v, want nil or fault.Unavailable", i, err)
		}
	}
	got := getCustomer(t, s, tenantA, c.CustomerID)
	if got.TotalOrders != 1+orders || int64(len(got.OrderIDs)) != 1+orders || !mapsEqual(got.CustomFields, fields) ||
		got.Version != c.Version+orders+int64(len(fields)) {
		t.Errorf("after the race: totalOrders %d, %d orderIds, customFields %v, version %d; want %d, %d, %v, %d",
			got.TotalOrders, len(got.OrderIDs), got.CustomFields, got.Version, 1+orders, 1+orders, fields, c.Version+orders+int64(len(fields)))
	}
	eventually(t, func() error { // a customer's orders are an index, which may lag the table
		if listed := len(listOrders(t, s, tenantA, order.ListQuery{Limit: 50, CustomerID: c.CustomerID})); listed != len(got.OrderIDs) {
			return fmt.Errorf("ListOrders(customer) = %d orders, want %d", listed, len(got.OrderIDs))
		}
		return nil
	})
}

// testConcurrentOrdersPastTheBound: racing orders of a customer that already holds
// order.MaxOrderIDs ids each drop the oldest and add their own: none is lost, none kept twice,
// whichever order they commit in.
func testConcurrentOrdersPastTheBound(t *testing.T, s Store) {
	const n = 10
	var seed []string
	for range order.MaxOrderIDs + 5 {
		seed = append(seed, createOrder(t, s, tenantA, newInput("bound@example.com")).OrderID)
	}
	c := getCustomer(t, s, tenantA, getOrder(t, s, tenantA, seed[0]).Customer.CustomerID)
	errs := make([]error, n)
	made := make([]string, n)
	parallel(n, func(i int) {
		var o order.Order
		o, _, errs[i] = s.CreateOrder(t.Context(), tenantA, newInput("bound@example.com"), order.Idempotency{})
		made[i] = o.OrderID
	})
	busy := countUnavailable(t, errs...)
	var ok []string
	for i, err := range errs {
		switch {
		case err == nil:
			ok = append(ok, made[i])
		case !unavailable(err):
			t.Errorf("order %d error = %v, want nil or fault.Unavailable", i, err)
		}
	}
	got := getCustomer(t, s, tenantA, c.CustomerID)
	if want := c.TotalOrders + int64(len(ok)); got.TotalOrders != want || int64(len(ok)) != int64(n-busy) {
		t.Errorf("after the race: totalOrders %d, want %d", got.TotalOrders, want)
	}
	if len(got.OrderIDs) != order.MaxOrderIDs {
		t.Fatalf("after the race: %d orderIds, want %d", len(got.OrderIDs), order.MaxOrderIDs)
	}
	// The seed's most recent ids, in order, then the racers' in the order they committed.
	kept := order.MaxOrderIDs - len(ok)
	sameIDs(t, "orderIds kept from before the race", got.OrderIDs[:kept], seed[len(seed)-kept:])
	racers := slices.Clone(got.OrderIDs[kept:])
	slices.Sort(racers)
	slices.Sort(ok)
	sameIDs(t, "orderIds of the racing orders (sorted)", racers, ok)
}

// testConcurrentDeactivateOrder: a deactivation racing a new order never leaves an inactive
// customer with a pending order.
func testConcurrentDeactivateOrder(t *testing.T, s Store) {
	for round := range 5 {
		email := fmt.Sprintf("round%d@example.com", round)
		c := idleCustomer(t, s, tenantA, newInput(email))
		var deactErr, orderErr error
		parallel(2, func(i int) {
			if i == 0 {
				_, deactErr = s.DeactivateCustomer(t.Context(), tenantA, c.CustomerID, nil)
			} else {
				_, _, orderErr = s.CreateOrder(t.Context(), tenantA, newInput(email), order.Idempotency{})
			}
		})
		countUnavailable(t, deactErr, orderErr)
		okDeact := deactErr == nil && (errors.Is(orderErr, customer.ErrInactive) || unavailable(orderErr))
		okOrder := orderErr == nil && (errors.Is(deactErr, customer.ErrPendingOrders) || unavailable(deactErr))
		if !okDeact && !okOrder && !(unavailable(deactErr) && unavailable(orderErr)) {
			t.Errorf("round %d: deactivate error = %v, order error = %v; want exactly one of them to succeed, or both fault.Unavailable", round, deactErr, orderErr)
		}
		got := getCustomer(t, s, tenantA, c.CustomerID)
		// A customer's pending orders are read from an index, which may lag the table: wait
		// (boundedly) for the order the race placed, if it answered that it did.
		var pending []order.Order
		eventually(t, func() error {
			pending = listOrders(t, s, tenantA, order.ListQuery{Limit: 10, CustomerID: c.CustomerID, Status: order.Pending})
			if (len(pending) == 1) != (orderErr == nil) {
				return fmt.Errorf("round %d: pending orders %v after order error %v", round, orderIDs(pending), orderErr)
			}
			return nil
		})
		if got.Status == customer.Inactive && len(pending) > 0 {
			t.Errorf("round %d: customer is inactive with pending orders %v", round, orderIDs(pending))
		}
		// What answered succeeded is written, and what answered 503 is not.
		if inactive := got.Status == customer.Inactive; inactive != (deactErr == nil) {
			t.Errorf("round %d: status %s after deactivate error %v", round, got.Status, deactErr)
		}
	}
}

// testConcurrentTopLevelFields: concurrent updates of different fields all survive.
func testConcurrentTopLevelFields(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, fullInput("many@example.com"))
	bill, ship := plainAddr("Paris"), plainAddr("Lyon")
	patches := []customer.Patch{
		{FirstName: ptr("First")},
		{LastName: ptr("Last")},
		{Company: set("Company")},
		{Phone: null[string]()},
		{CustomerType: ptr(customer.Individual)},
		{BillingAddress: set(bill)},
		{ShippingAddress: set(ship)},
		{CustomFields: map[string]any{"cf": "v"}},
		{Email: ptr("Many@Example.org")},
	}
	errs := make([]error, len(patches))
	parallel(len(patches), func(i int) {
		_, errs[i] = s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, patches[i], nil)
	})
	countUnavailable(t, errs...)
	// The patches touch different fields, so they commute: the result is those that succeeded
	// applied in any order, and nothing of those that answered 503.
	want := c
	for i, err := range errs {
		switch {
		case err == nil:
			next, err := patches[i].Apply(want, time.Now())
			if err != nil {
				t.Fatalf("patch %d: Apply: %v", i, err)
			}
			want = next
		case !unavailable(err):
			t.Errorf("update %d error = %v, want nil or fault.Unavailable", i, err)
		}
	}
	got := getCustomer(t, s, tenantA, c.CustomerID)
	want.UpdatedAt = got.UpdatedAt
	want.PendingOrders = got.PendingOrders
	sameCustomer(t, "customer after concurrent updates of different fields", got, want)
}

// testConcurrentEmailChangeOrder: an email change racing a first order for the same email ends
// with exactly one customer holding it, whichever comes first.
func testConcurrentEmailChangeOrder(t *testing.T, s Store) {
	for round := range 5 {
		c := newCustomer(t, s, tenantA, newInput(fmt.Sprintf("mover%d@example.com", round)))
		target := fmt.Sprintf("target%d@example.com", round)
		var updErr, orderErr error
		var o order.Order
		parallel(2, func(i int) {
			if i == 0 {
				_, updErr = s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{Email: ptr(target)}, nil)
			} else {
				o, _, orderErr = s.CreateOrder(t.Context(), tenantA, newInput(strings.ToUpper(target)), order.Idempotency{})
			}
		})
		countUnavailable(t, updErr, orderErr)
		if unavailable(orderErr) {
			// The order wrote nothing: the email is the mover's when its change succeeded, and
			// nobody's otherwise.
			holders := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10, Email: target})
			switch {
			case updErr == nil && (len(holders) != 1 || holders[0].CustomerID != c.CustomerID):
				t.Errorf("round %d: customers with %s after the mover's change and a 503 order = %v, want the mover %s", round, target, customerIDs(holders), c.CustomerID)
			case updErr != nil && !unavailable(updErr):
				t.Errorf("round %d: email change error = %v beside a 503 order, want nil or fault.Unavailable", round, updErr)
			case updErr != nil && len(holders) != 0:
				t.Errorf("round %d: customers with %s after both answered 503 = %v, want none", round, target, customerIDs(holders))
			}
			continue
		}
		if orderErr != nil {
			t.Fatalf("round %d: order error = %v, want nil or fault.Unavailable", round, orderErr)
		}
		switch {
		case updErr == nil:
			// The change came first: the order found the mover.
			if o.Customer.CustomerID != c.CustomerID {
				t.Errorf("round %d: email change succeeded but the order went to %s, want %s", round, o.Customer.CustomerID, c.CustomerID)
			}
		case errors.Is(updErr, customer.ErrEmailExists) || unavailable(updErr):
			// The order came first and created a customer holding the email (or the change
			// gave up, and wrote nothing).
			if o.Customer.CustomerID == c.CustomerID {
				t.Errorf("round %d: email change refused but the order went to the mover", round)
			}
			if got := getCustomer(t, s, tenantA, c.CustomerID); got.Email != c.Email {
				t.Errorf("round %d: refused mover's email = %q, want %q", round, got.Email, c.Email)
			}
		default:
			t.Errorf("round %d: email change error = %v, want nil, %v or fault.Unavailable", round, updErr, customer.ErrEmailExists)
		}
		holders := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10, Email: target})
		if len(holders) != 1 || holders[0].CustomerID != o.Customer.CustomerID {
			t.Errorf("round %d: customers with %s = %v, want exactly %s", round, target, customerIDs(holders), o.Customer.CustomerID)
		}
	}
}
