package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/rental"
)

// RentalStore is a Store that keeps rental state (docs/api.md, "Rental state"): both real stores
// are one. The suite's rental tests skip, saying so, on a store that is not.
type RentalStore interface {
	Store
	// ApplyRentalEvent applies one subscription event (rental.Apply) atomically: the
	// subscriptions' states, the customer's totals and the order's progress together.
	// Errors: rental.ErrUnknownCustomer, rental.ErrOtherCustomer.
	ApplyRentalEvent(ctx context.Context, ev rental.Event) (rental.Change, error)
}

var rentalTests = []test{
	{name: "CreatedAndEnded", fn: testRentalLifecycle},
	{name: "UnknownCustomer", fn: testRentalUnknownCustomer},
	{name: "Upgrade", fn: testRentalUpgrade},
	{name: "ListsByRentals", fn: testRentalLists},
	{name: "RentalIDsBounded", fn: testRentalIDsBounded},
	{name: "Concurrent", fn: testRentalConcurrent},
	{name: "Model", fn: func(t *testing.T, s Store) {
		rs := rentalStore(t, s)
		RentalModel(t, rs, 1, func(t *testing.T, evs []rental.Event) {
			for _, ev := range evs {
				applyEvent(t, rs, ev)
			}
		})
	}},
}

func rentalStore(t *testing.T, s Store) RentalStore {
	t.Helper()
	rs, ok := s.(RentalStore)
	if !ok {
		t.Skipf("%T keeps no rental state (storetest.RentalStore)", s)
	}
	return rs
}

func applyEvent(t *testing.T, s RentalStore, ev rental.Event) rental.Change {
	t.Helper()
	ch, err := s.ApplyRentalEvent(t.Context(), ev)
	if err != nil {
		t.Fatalf("ApplyRentalEvent(%s %s) error = %v, want nil", ev.Event, ev.ID, err)
	}
	return ch
}

// SubscriptionCreated is a subscription.created event of tenant.
func SubscriptionCreated(id, tenant, sub, customerID, orderID, sku string, amount rental.Money) rental.Event {
	return rental.Event{ID: id, Event: rental.Created, TenantID: tenant, Timestamp: "2026-01-01T00:00:00.000Z",
		Data: rental.Data{SubscriptionID: sub, CustomerID: customerID, OrderID: orderID, SKU: sku, MonthlyAmount: amount}}
}

// SubscriptionEnded is a subscription.ended event of tenant.
func SubscriptionEnded(id, tenant, sub, customerID string) rental.Event {
	return rental.Event{ID: id, Event: rental.Ended, TenantID: tenant, Timestamp: "2026-01-01T00:00:00.000Z",
		Data: rental.Data{SubscriptionID: sub, CustomerID: customerID}}
}

// testRentalLifecycle: a created fills the order and blocks DELETE, PUT inactive and the cancel;
// a repeat changes nothing; the ended lets DELETE through (the order, fulfilled, is no longer
// pending).
func testRentalLifecycle(t *testing.T, s Store) {
	rs := rentalStore(t, s)
	in := newInput("rent@example.com")
	in.Items = []order.Item{{SKU: "MBP-14", Quantity: 1, ContractLength: 12}}
	o := createOrder(t, s, tenantA, in)
	cid := o.Customer.CustomerID
	before := getCustomer(t, s, tenantA, cid)

	applyEvent(t, rs, SubscriptionCreated("evt_1", tenantA, "sub_1", cid, o.OrderID, "MBP-14", 49_990000))
	c := getCustomer(t, s, tenantA, cid)
	if c.TotalDevicesRented != 1 || c.TotalMonthlyRevenue != 49.99 || !slices.Equal(c.RentalIDs, []string{"sub_1"}) || c.Version != before.Version+1 {
		t.Errorf("customer after created: devices %d revenue %v rentalIds %v version %d, want 1 49.99 [sub_1] %d",
			c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs, c.Version, before.Version+1)
	}
	got := getOrder(t, s, tenantA, o.OrderID)
	if got.Status != order.Fulfilled || got.RentalProgress.RentedDevices != 1 || got.Items[0].RentalStatus != order.LineCompleted ||
		!slices.Equal(got.Items[0].RentalIDs, []string{"sub_1"}) || !slices.Equal(got.RentalIDs, []string{"sub_1"}) {
		t.Errorf("order after created = %s", show(got))
	}
	if ch := applyEvent(t, rs, SubscriptionCreated("evt_1", tenantA, "sub_1", cid, o.OrderID, "MBP-14", 49_990000)); !ch.Duplicate {
		t.Errorf("repeat of evt_1: Duplicate = false, want true")
	}
	applyEvent(t, rs, SubscriptionCreated("evt_1b", tenantA, "sub_1", cid, o.OrderID, "MBP-14", 49_990000)) // another delivery id, same move
	unchanged(t, s, tenantA, c)

	_, err := s.DeactivateCustomer(t.Context(), tenantA, cid, nil)
	wantErr(t, "DeactivateCustomer with an active subscription", err, customer.ErrActiveSubscriptions)
	inactive := customer.Inactive
	_, err = s.UpdateCustomer(t.Context(), tenantA, cid, customer.Patch{Status: &inactive}, nil)
	wantErr(t, "UpdateCustomer(status inactive) with an active subscription", err, customer.ErrActiveSubscriptions)
	_, _, err = s.CancelOrder(t.Context(), tenantA, o.OrderID, "", order.Idempotency{})
	wantErr(t, "CancelOrder of a fulfilled order", err, order.ErrNotCancellable)
	unchanged(t, s, tenantA, c)

	applyEvent(t, rs, SubscriptionEnded("evt_2", tenantA, "sub_1", cid))
	c = getCustomer(t, s, tenantA, cid)
	if c.TotalDevicesRented != 0 || c.TotalMonthlyRevenue != 0 || !slices.Equal(c.RentalIDs, []string{"sub_1"}) {
		t.Errorf("customer after ended: devices %d revenue %v rentalIds %v, want 0 0 [sub_1]", c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs)
	}
	if ch := applyEvent(t, rs, SubscriptionCreated("evt_3", tenantA, "sub_1", cid, o.OrderID, "MBP-14", 49_990000)); !ch.Empty() {
		t.Errorf("created after ended writes %+v, want nothing", ch)
	}
	deactivate(t, s, tenantA, cid, nil)
}

func testRentalUnknownCustomer(t *testing.T, s Store) {
	rs := rentalStore(t, s)
	o := createOrder(t, s, tenantA, newInput("known@example.com"))
	cid := o.Customer.CustomerID
	for _, ev := range []rental.Event{
		SubscriptionCreated("evt_u1", tenantB, "sub_1", cid, o.OrderID, "X", 1_000000),        // the customer is another tenant's
		SubscriptionCreated("evt_u2", "nosuchtenant", "sub_1", cid, o.OrderID, "X", 1_000000), // no such tenant
		SubscriptionEnded("evt_u3", tenantA, "sub_1", customer.NewID(time.Now())),             // no such customer
	} {
		_, err := rs.ApplyRentalEvent(t.Context(), ev)
		wantErr(t, "ApplyRentalEvent("+ev.ID+")", err, rental.ErrUnknownCustomer)
	}
	other := newCustomer(t, s, tenantA, newInput("other@example.com"))
	applyEvent(t, rs, SubscriptionCreated("evt_o1", tenantA, "sub_o", cid, o.OrderID, "X", 1_000000))
	_, err := rs.ApplyRentalEvent(t.Context(), SubscriptionEnded("evt_o2", tenantA, "sub_o", other.CustomerID))
	wantErr(t, "ApplyRentalEvent(ended of another customer's subscription)", err, rental.ErrOtherCustomer)
}

// testRentalUpgrade: the previous subscription ends, the new one starts on the order's next
// line of its sku; an order of another customer is left as it is.
func testRentalUpgrade(t *testing.T, s Store) {
	rs := rentalStore(t, s)
	in := newInput("upgrade@example.com")
	in.Items = []order.Item{{SKU: "OLD", Quantity: 1, ContractLength: 12}, {SKU: "NEW", Quantity: 2, ContractLength: 12}}
	o := createOrder(t, s, tenantA, in)
	cid := o.Customer.CustomerID
	applyEvent(t, rs, SubscriptionCreated("evt_a", tenantA, "sub_old", cid, o.OrderID, "OLD", 10_000000))
	up := rental.Event{ID: "evt_b", Event: rental.Upgraded, TenantID: tenantA,
		Data: rental.Data{SubscriptionID: "sub_new", PreviousSubscriptionID: "sub_old", CustomerID: cid, OrderID: o.OrderID, SKU: "NEW", MonthlyAmount: 25_500000}}
	applyEvent(t, rs, up)
	c := getCustomer(t, s, tenantA, cid)
	if c.TotalDevicesRented != 1 || c.TotalMonthlyRevenue != 25.5 || !slices.Equal(c.RentalIDs, []string{"sub_old", "sub_new"}) {
		t.Errorf("customer after upgrade: devices %d revenue %v rentalIds %v, want 1 25.5 [sub_old sub_new]", c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs)
	}
	got := getOrder(t, s, tenantA, o.OrderID)
	if got.Status != order.Partial || got.Items[1].RentalStatus != order.LinePartial || got.RentalProgress.RentedDevices != 2 {
		t.Errorf("order after upgrade = %s", show(got))
	}
	stranger := createOrder(t, s, tenantA, newInput("stranger@example.com"))
	applyEvent(t, rs, SubscriptionCreated("evt_c", tenantA, "sub_3", cid, stranger.OrderID, stranger.Items[0].SKU, 1_000000))
	sameOrder(t, "another customer's order after an event naming it", getOrder(t, s, tenantA, stranger.OrderID), stranger)
}

// testRentalLists: hasActiveRentals and the revenue and devices sorts follow the events.
func testRentalLists(t *testing.T, s Store) {
	rs := rentalStore(t, s)
	var ids []string
	var orders []order.Order
	for i := range 3 {
		o := createOrder(t, s, tenantA, newInput(fmt.Sprintf("list%d@example.com", i)))
		ids, orders = append(ids, o.Customer.CustomerID), append(orders, o)
	}
	// customer 0: two devices at 5 each; customer 2: one at 30; customer 1: none.
	applyEvent(t, rs, SubscriptionCreated("l1", tenantA, "s1", ids[0], orders[0].OrderID, orders[0].Items[0].SKU, 5_000000))
	applyEvent(t, rs, SubscriptionCreated("l2", tenantA, "s2", ids[0], orders[0].OrderID, orders[0].Items[0].SKU, 5_000000))
	applyEvent(t, rs, SubscriptionCreated("l3", tenantA, "s3", ids[2], orders[2].OrderID, orders[2].Items[0].SKU, 30_000000))
	yes, no := true, false
	active := customer.Active
	for _, tt := range []struct {
		q    customer.ListQuery
		want []string
	}{
		{customer.ListQuery{Limit: 10, Status: active, HasActiveRentals: &yes}, []string{ids[0], ids[2]}},
		{customer.ListQuery{Limit: 10, Status: active, HasActiveRentals: &no}, []string{ids[1]}},
		{customer.ListQuery{Limit: 10, HasActiveRentals: &yes, Desc: true}, []string{ids[2], ids[0]}},
		{customer.ListQuery{Limit: 10, Status: active, SortBy: customer.ByMonthlyRevenue, Desc: true}, []string{ids[2], ids[0], ids[1]}},
		{customer.ListQuery{Limit: 10, Status: active, SortBy: customer.ByDevicesRented, Desc: true}, []string{ids[0], ids[2], ids[1]}},
		{customer.ListQuery{Limit: 10, SortBy: customer.ByDevicesRented}, []string{ids[1], ids[2], ids[0]}},
	} {
		sameIDs(t, fmt.Sprintf("ListCustomers(%+v)", tt.q), customerIDs(listCustomers(t, s, tenantA, tt.q)), tt.want)
	}
	applyEvent(t, rs, SubscriptionEnded("l4", tenantA, "s3", ids[2]))
	sameIDs(t, "hasActiveRentals=true after an end", customerIDs(listCustomers(t, s, tenantA,
		customer.ListQuery{Limit: 10, Status: active, HasActiveRentals: &yes})), []string{ids[0]})
	sameIDs(t, "sorted by revenue after an end", customerIDs(listCustomers(t, s, tenantA,
		customer.ListQuery{Limit: 10, Status: active, SortBy: customer.ByMonthlyRevenue, Desc: true})), []string{ids[0], ids[2], ids[1]})
	// Order statuses follow too: the order lists by status.
	sameIDs(t, "ListOrders(status fulfilled)", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10, Status: order.Fulfilled})),
		[]string{orders[0].OrderID})
	sameIDs(t, "ListOrders(status partial)", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10, Status: order.Partial})),
		[]string{orders[2].OrderID})
	sameIDs(t, "ListOrders(status pending)", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 10, Status: order.Pending})),
		[]string{orders[1].OrderID})
}

// testRentalIDsBounded: rentalIds keeps the most recent rental.MaxRentalIDs, oldest first.
func testRentalIDsBounded(t *testing.T, s Store) {
	rs := rentalStore(t, s)
	o := createOrder(t, s, tenantA, newInput("many@example.com"))
	cid := o.Customer.CustomerID
	n := rental.MaxRentalIDs + 2
	for i := range n {
		applyEvent(t, rs, SubscriptionCreated(fmt.Sprintf("b%d", i), tenantA, fmt.Sprintf("sub_%03d", i), cid, o.OrderID, "NONE", 1_000000))
	}
	c := getCustomer(t, s, tenantA, cid)
	if len(c.RentalIDs) != rental.MaxRentalIDs || c.RentalIDs[0] != "sub_002" || c.RentalIDs[len(c.RentalIDs)-1] != fmt.Sprintf("sub_%03d", n-1) {
		t.Errorf("rentalIds = %d ids from %s to %s, want %d from sub_002", len(c.RentalIDs), c.RentalIDs[0], c.RentalIDs[len(c.RentalIDs)-1], rental.MaxRentalIDs)
	}
	if c.TotalDevicesRented != int64(n) || c.TotalMonthlyRevenue != float64(n) {
		t.Errorf("totals = %d devices, %v revenue, want %d, %d: every subscription counts, listed or not", c.TotalDevicesRented, c.TotalMonthlyRevenue, n, n)
	}
}

// testRentalConcurrent races six created events of one customer and order (a line of 4) with two
// ended events of two of them, each applied until it is not refused for contention (as SQS would
// deliver it again). Whatever the order, the totals equal what the subscriptions' states add up
// to: those in rentalIds (activated) less those ended after activating.
func testRentalConcurrent(t *testing.T, s Store) {
	rs := rentalStore(t, s)
	in := newInput("race@example.com")
	in.Items = []order.Item{{SKU: "R", Quantity: 4, ContractLength: 12}}
	o := createOrder(t, s, tenantA, in)
	cid := o.Customer.CustomerID
	var evs []rental.Event
	amount := map[string]rental.Money{}
	for i := range 6 {
		sub := fmt.Sprintf("sub_r%d", i)
		amount[sub] = rental.Money(i+1) * 1_000000
		evs = append(evs, SubscriptionCreated(fmt.Sprintf("rc%d", i), tenantA, sub, cid, o.OrderID, "R", amount[sub]))
	}
	evs = append(evs, SubscriptionEnded("re0", tenantA, "sub_r0", cid), SubscriptionEnded("re1", tenantA, "sub_r1", cid))
	errs := make([]error, len(evs))
	var refused [8]int
	parallel(len(evs), func(i int) {
		for {
			_, errs[i] = rs.ApplyRentalEvent(t.Context(), evs[i])
			if !unavailable(errs[i]) {
				return
			}
			refused[i]++
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("ApplyRentalEvent(%s) = %v", evs[i].ID, err)
		}
	}
	t.Logf("storetest: retries after 503: %v", refused)
	c := getCustomer(t, s, tenantA, cid)
	var devices int64
	var revenue rental.Money
	ended := map[string]bool{}
	for _, sub := range c.RentalIDs {
		devices++
		revenue += amount[sub]
	}
	for _, sub := range []string{"sub_r0", "sub_r1"} {
		if slices.Contains(c.RentalIDs, sub) {
			devices--
			revenue -= amount[sub]
			ended[sub] = true
		}
	}
	if c.TotalDevicesRented != devices || c.TotalMonthlyRevenue != revenue.Float() {
		t.Errorf("totals = %d devices, %v revenue; rentalIds %v (ended of them %v) add up to %d, %s",
			c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs, ended, devices, revenue)
	}
	got := getOrder(t, s, tenantA, o.OrderID)
	want := min(4, len(c.RentalIDs))
	if got.RentalProgress.RentedDevices != want || len(got.Items[0].RentalIDs) != want {
		t.Errorf("order rented %d, line %v; want %d of rentalIds %v", got.RentalProgress.RentedDevices, got.Items[0].RentalIDs, want, c.RentalIDs)
	}
	for _, sub := range got.Items[0].RentalIDs {
		if !slices.Contains(c.RentalIDs, sub) {
			t.Errorf("order line holds %s, which the customer's rentalIds %v do not", sub, c.RentalIDs)
		}
	}
	if (want == 4) != (got.Status == order.Fulfilled) {
		t.Errorf("order status %s with %d of 4 rented", got.Status, want)
	}
}
