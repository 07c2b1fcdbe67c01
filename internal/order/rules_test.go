package order_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

func TestLive(t *testing.T) {
	first := time.Date(2030, 1, 1, 12, 0, 0, 700_000_000, time.UTC)
	expires := order.Expires(first)
	if want := first.Add(24 * time.Hour); !expires.Equal(want) {
		t.Fatalf("Expires(%v) = %v, want %v", first, expires, want)
	}
	tests := []struct {
		at   time.Time
		want bool
	}{
		{first, true},
		{expires.Add(-time.Millisecond), true},
		{expires, false},
		{expires.Add(time.Millisecond), false},
	}
	for _, tt := range tests {
		if got := order.Live(expires, tt.at); got != tt.want {
			t.Errorf("Live(%v, %v) = %v, want %v", expires, tt.at, got, tt.want)
		}
	}
}

func TestReplayCreate(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	live, dead := now.Add(time.Hour), now
	same := order.Idempotency{Key: "k", RequestHash: "h1"}
	other := order.Idempotency{Key: "k", RequestHash: "h2"}
	tests := []struct {
		name       string
		expires    time.Time
		idem       order.Idempotency
		wantReplay bool
		want       error
	}{
		{"same body, live", live, same, true, nil},
		{"other body, live", live, other, false, order.ErrIdempotencyReused},
		{"same body, expired", dead, same, false, nil},
		{"other body, expired", dead, other, false, nil},
		{"no key", live, order.Idempotency{}, false, nil},
	}
	for _, tt := range tests {
		replay, err := order.ReplayCreate("h1", tt.expires, tt.idem, now)
		if replay != tt.wantReplay || !errors.Is(err, tt.want) {
			t.Errorf("%s: ReplayCreate = %v, %v; want %v, %v", tt.name, replay, err, tt.wantReplay, tt.want)
		}
	}
}

func TestCheckCustomer(t *testing.T) {
	if err := order.CheckCustomer(customer.Customer{Status: customer.Active}); err != nil {
		t.Errorf("CheckCustomer(active) = %v, want nil", err)
	}
	if err := order.CheckCustomer(customer.Customer{Status: customer.Inactive}); !errors.Is(err, customer.ErrInactive) {
		t.Errorf("CheckCustomer(inactive) = %v, want %v", err, customer.ErrInactive)
	}
}

func TestRecord(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	kept := customer.Address{ContactName: "Old", StreetAddress: "1 Old St", City: "Leeds", Country: "GB"}
	ids := make([]string, 1, 4) // spare capacity: Record must not write into the caller's array
	ids[0] = "ord_1"
	c := customer.Customer{CustomerID: "c", FirstName: "Ada", TotalOrders: 1, OrderIDs: ids, PendingOrders: 0, Version: 3, LastShippingAddress: &kept, CreatedBy: "apikey:first"}
	in := order.Input{BillingAddress: customer.Address{ContactName: "New", StreetAddress: "2 New St", City: "York", Country: "GB"}, CreatedBy: "apikey:second"}
	got := order.Record(c, in, "ord_2", now)
	if got.TotalOrders != 2 || got.PendingOrders != 1 || got.Version != 4 || got.UpdatedAt != customer.Timestamp(now) ||
		!slices.Equal(got.OrderIDs, []string{"ord_1", "ord_2"}) || got.FirstName != "Ada" {
		t.Errorf("Record = %+v, want one more (pending) order, version 4, the profile kept", got)
	}
	if got.LastBillingAddress == nil || *got.LastBillingAddress != in.BillingAddress {
		t.Errorf("Record: lastBillingAddress = %v, want the order's %v", got.LastBillingAddress, in.BillingAddress)
	}
	// The order ships to its billing address, which so becomes the last one shipped to.
	if got.LastShippingAddress == nil || *got.LastShippingAddress != in.BillingAddress || got.LastShippingAddress == got.LastBillingAddress {
		t.Errorf("Record without a shipping address: lastShippingAddress = %v, want a copy of the billing address %v", got.LastShippingAddress, in.BillingAddress)
	}
	if got.CreatedBy != c.CreatedBy {
		t.Errorf("Record: createdBy = %q, want the customer's %q", got.CreatedBy, c.CreatedBy)
	}
	if len(c.OrderIDs) != 1 || ids[:2][1] != "" {
		t.Errorf("Record changed the caller's order ids: %v", ids[:2])
	}
	ship := customer.Address{ContactName: "Dock", StreetAddress: "3 Dock Rd", City: "Hull", Country: "GB"}
	in.ShippingAddress = &ship
	if got := order.Record(c, in, "ord_3", now); got.LastShippingAddress == nil || *got.LastShippingAddress != ship {
		t.Errorf("Record with a shipping address: lastShippingAddress = %v, want %v", got.LastShippingAddress, ship)
	}
}

// TestRecordKeepsTheMostRecentOrderIDs: past order.MaxOrderIDs, each order drops the oldest id;
// totalOrders still counts them all.
func TestRecordKeepsTheMostRecentOrderIDs(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	var c customer.Customer
	var all []string
	for i := range 150 {
		id := fmt.Sprintf("ord_%03d", i)
		all = append(all, id)
		before := slices.Clone(c.OrderIDs)
		c = order.Record(c, order.Input{}, id, now)
		if want := all[max(0, len(all)-order.MaxOrderIDs):]; !slices.Equal(c.OrderIDs, want) {
			t.Fatalf("after %d orders: orderIds %v, want %v", i+1, c.OrderIDs, want)
		}
		if i > 0 && len(before) > 0 && &before[0] == &c.OrderIDs[0] {
			t.Fatalf("after %d orders: Record reused the caller's array", i+1)
		}
	}
	if c.TotalOrders != 150 || len(c.OrderIDs) != order.MaxOrderIDs || c.OrderIDs[0] != "ord_050" || c.OrderIDs[99] != "ord_149" {
		t.Errorf("after 150 orders: totalOrders %d, orderIds %d from %s to %s; want 150, 100 from ord_050 to ord_149",
			c.TotalOrders, len(c.OrderIDs), c.OrderIDs[0], c.OrderIDs[len(c.OrderIDs)-1])
	}
	// A customer stored with more than the bound (before it existed) is trimmed by its next order.
	long := make([]string, 300)
	for i := range long {
		long[i] = fmt.Sprintf("old_%03d", i)
	}
	got := order.Record(customer.Customer{OrderIDs: long, TotalOrders: 300}, order.Input{}, "ord_new", now)
	if len(got.OrderIDs) != order.MaxOrderIDs || got.OrderIDs[0] != "old_201" || got.OrderIDs[99] != "ord_new" || long[299] != "old_299" {
		t.Errorf("Record of a customer with 300 ids: %d ids from %s to %s, want 100 from old_201 to ord_new",
			len(got.OrderIDs), got.OrderIDs[0], got.OrderIDs[len(got.OrderIDs)-1])
	}
}

func TestCancelAndSettle(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	o := order.Order{OrderID: "ord_1", Status: order.Pending, UpdatedAt: "before", CancellationReason: ""}
	got := order.Cancel(o, "moved", now)
	if got.Status != order.Cancelled || got.CancellationReason != "moved" || got.UpdatedAt != customer.Timestamp(now) {
		t.Errorf("Cancel = %+v, want cancelled for moved at %s", got, customer.Timestamp(now))
	}
	if got := order.Cancel(o, "", now); got.CancellationReason != "" || got.Status != order.Cancelled {
		t.Errorf("Cancel without a reason = %+v, want cancelled with none", got)
	}
	c := customer.Customer{PendingOrders: 2, Version: 5, UpdatedAt: "before"}
	if got := order.Settle(c); got.PendingOrders != 1 || got.Version != 5 || got.UpdatedAt != "before" {
		t.Errorf("Settle = %+v, want one pending order fewer and nothing else changed", got)
	}
	if got := order.Settle(customer.Customer{}); got.PendingOrders != 0 {
		t.Errorf("Settle of no pending orders = %d, want 0", got.PendingOrders)
	}
}
