package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var createOrderTests = []test{
	{name: "NewCustomer", fn: testCreateOrderNewCustomer},
	{name: "MinimalNewCustomer", fn: testCreateOrderMinimal},
	{name: "ExistingCustomer", fn: testCreateOrderExistingCustomer},
	{name: "SnapshotFollowsUpdates", fn: testSnapshotFollowsUpdates},
	{name: "NotFound", fn: testNotFound},
	{name: "IDsAndTimestamps", fn: testIDsAndTimestamps},
	{name: "TimestampsFromClock", clocked: testTimestampsFromClock},
	{name: "RecentOrderIDs", fn: testRecentOrderIDs, bulk: true},
}

// testRecentOrderIDs: a customer keeps the ids of its most recent order.MaxOrderIDs orders,
// oldest first, as order.Record says; totalOrders and the order list count every order.
func testRecentOrderIDs(t *testing.T, s Store) {
	const n = order.MaxOrderIDs + 50
	var ids []string
	var c customer.Customer
	for i := range n {
		o := createOrder(t, s, tenantA, newInput("many@example.com"))
		ids = append(ids, o.OrderID)
		if i == order.MaxOrderIDs-1 || i == order.MaxOrderIDs {
			c = getCustomer(t, s, tenantA, o.Customer.CustomerID)
			sameIDs(t, fmt.Sprintf("orderIds after %d orders", i+1), c.OrderIDs, ids[max(0, len(ids)-order.MaxOrderIDs):])
		}
	}
	c = getCustomer(t, s, tenantA, c.CustomerID)
	if c.TotalOrders != n || c.PendingOrders != n {
		t.Errorf("after %d orders: totalOrders %d, pendingOrders %d; want %d", n, c.TotalOrders, c.PendingOrders, n)
	}
	sameIDs(t, fmt.Sprintf("orderIds after %d orders", n), c.OrderIDs, ids[n-order.MaxOrderIDs:])
	eventually(t, func() error { // a customer's orders are an index, which may lag the table
		listed := orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: customer.MaxLimit, CustomerID: c.CustomerID}))
		if !slices.Equal(listed, ids) {
			return fmt.Errorf("ListOrders(customer) = %d orders, want all %d, oldest first", len(listed), n)
		}
		return nil
	})
}

// testCreateOrderNewCustomer: an order for an unknown email creates the customer from the body.
func testCreateOrderNewCustomer(t *testing.T, s Store) {
	in := fullInput("Ada.Lovelace@Example.COM")
	o, replayed, err := s.CreateOrder(t.Context(), tenantA, in, order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder error = %v, want nil", err)
	}
	if replayed {
		t.Errorf("CreateOrder replayed = true, want false")
	}
	checkID(t, "orderId", o.OrderID, "ord_")
	checkID(t, "customer.customerId", o.Customer.CustomerID, "cust_")
	checkTimestamp(t, "order createdAt", o.CreatedAt)
	ship := shippingAddr()
	wantOrder := order.Order{
		OrderID:  o.OrderID,
		TenantID: tenantA,
		Status:   order.Pending,
		Customer: order.Snapshot{
			CustomerID:   o.Customer.CustomerID,
			Email:        "Ada.Lovelace@Example.COM",
			FirstName:    "Ada",
			LastName:     "Lovelace",
			Company:      "Analytical Engines Ltd",
			Phone:        "+44 20 7946 0018",
			CustomerType: customer.Business,
		},
		OrderType:       order.Upgrade,
		BillingAddress:  billingAddr(),
		ShippingAddress: &ship,
		Items:           linesOf([]order.Item{in.Items[0], {SKU: "PHONE-X", Quantity: 1, ContractLength: 24}}),
		RentalProgress:  order.RentalProgress{TotalDevices: 3},
		RentalIDs:       []string{},
		CustomFields:    map[string]any{"po": "PO-1", "seats": json.Number("3"), "gift": true, "budget": json.Number("12345678901234567890.5")},
		Notes:           "Leave at reception",
		UpgradeDetails: &order.UpgradeDetails{PreviousDevice: "Phone 9", PreviousSerialNumber: "SN-1",
			PreviousMonthlyAmount: json.Number("19.95"), PreviousRentalID: "rent_1", UpgradeReason: "Cracked screen"},
		CreatedAt: o.CreatedAt,
		UpdatedAt: o.CreatedAt,
		CreatedBy: creator,
	}
	sameOrder(t, "CreateOrder", o, wantOrder)
	sameOrder(t, "GetOrder", getOrder(t, s, tenantA, o.OrderID), wantOrder)

	c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
	checkTimestamp(t, "customer createdAt", c.CreatedAt)
	bill := billingAddr()
	want := customer.Customer{
		CustomerID:          o.Customer.CustomerID,
		TenantID:            tenantA,
		Email:               "Ada.Lovelace@Example.COM",
		FirstName:           "Ada",
		LastName:            "Lovelace",
		Company:             "Analytical Engines Ltd",
		Phone:               "+44 20 7946 0018",
		CustomerType:        customer.Business,
		Status:              customer.Active,
		LastBillingAddress:  &bill,
		LastShippingAddress: &ship,
		CustomFields:        map[string]any{},
		TotalOrders:         1,
		OrderIDs:            []string{o.OrderID},
		RentalIDs:           []string{},
		CreatedAt:           c.CreatedAt,
		UpdatedAt:           c.CreatedAt,
		CreatedBy:           creator,
		Version:             1,
		PendingOrders:       c.PendingOrders,
	}
	sameCustomer(t, "GetCustomer of the new customer", c, want)
}

// testCreateOrderMinimal: a body without the optional fields makes an individual customer
// without company or phone; the order ships to the billing address, which so becomes the
// customer's last shipping address too.
func testCreateOrderMinimal(t *testing.T, s Store) {
	in := newInput("min@example.com")
	o := createOrder(t, s, tenantA, in)
	bill := billingAddr()
	wantOrder := order.Order{
		OrderID:         o.OrderID,
		TenantID:        tenantA,
		Status:          order.Pending,
		OrderType:       order.Standard,
		Customer:        o.Customer,
		BillingAddress:  bill,
		ShippingAddress: &bill,
		Items:           linesOf(in.Items),
		RentalProgress:  order.RentalProgress{TotalDevices: 2},
		RentalIDs:       []string{},
		CustomFields:    map[string]any{},
		CreatedAt:       o.CreatedAt,
		UpdatedAt:       o.CreatedAt,
		CreatedBy:       creator,
	}
	sameOrder(t, "CreateOrder", o, wantOrder)
	c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
	want := customer.Customer{
		CustomerID:          o.Customer.CustomerID,
		TenantID:            tenantA,
		Email:               "min@example.com",
		FirstName:           "Ada",
		LastName:            "Lovelace",
		CustomerType:        customer.Individual,
		Status:              customer.Active,
		LastBillingAddress:  &bill,
		LastShippingAddress: &bill,
		CustomFields:        map[string]any{},
		TotalOrders:         1,
		OrderIDs:            []string{o.OrderID},
		RentalIDs:           []string{},
		CreatedAt:           c.CreatedAt,
		UpdatedAt:           c.CreatedAt,
		CreatedBy:           creator,
		Version:             1,
		PendingOrders:       c.PendingOrders,
	}
	sameCustomer(t, "GetCustomer", c, want)
	sameOrder(t, "GetOrder", getOrder(t, s, tenantA, o.OrderID), o)
	if o.Customer != snapshotOf(c) {
		t.Errorf("order snapshot = %+v, want %+v", o.Customer, snapshotOf(c))
	}
}

// testCreateOrderExistingCustomer: a second order for the same email, in any letter case, finds
// the customer, changes only its last addresses and order counters (not who created it: that
// was the first order's key), and snapshots the record.
func testCreateOrderExistingCustomer(t *testing.T, s Store) {
	in1 := newInput("Grace@Example.com")
	in1.Customer.FirstName, in1.Customer.LastName = "Grace", "Hopper"
	in1.Customer.Company, in1.Customer.Phone = "US Navy", "+1 202 555 0100"
	ship1 := shippingAddr()
	in1.ShippingAddress = &ship1
	first := createOrder(t, s, tenantA, in1)
	c1 := getCustomer(t, s, tenantA, first.Customer.CustomerID)

	in2 := newInput("grace@EXAMPLE.COM")
	in2.Customer.FirstName, in2.Customer.LastName = "Someone", "Else"
	in2.Customer.Company, in2.Customer.Phone = "Other Corp", "+1 555 0199"
	in2.Customer.CustomerType = customer.Business
	in2.BillingAddress = plainAddr("Berlin")
	ship2 := plainAddr("Hamburg")
	in2.ShippingAddress = &ship2
	in2.CreatedBy = "apikey:key_another"
	tick()
	second := createOrder(t, s, tenantA, in2)
	if second.OrderID == first.OrderID {
		t.Fatalf("second order id = first order id %s", first.OrderID)
	}
	if second.Customer != snapshotOf(c1) {
		t.Errorf("second order snapshot = %+v, want the customer record %+v", second.Customer, snapshotOf(c1))
	}
	if second.BillingAddress != in2.BillingAddress || second.ShippingAddress == nil || *second.ShippingAddress != ship2 {
		t.Errorf("second order addresses = %+v / %+v, want the body's %+v / %+v", second.BillingAddress, second.ShippingAddress, in2.BillingAddress, ship2)
	}
	sameOrder(t, "GetOrder(second)", getOrder(t, s, tenantA, second.OrderID), second)
	if second.CreatedBy != "apikey:key_another" || first.CreatedBy != creator {
		t.Errorf("createdBy of the orders = %q, %q; want each its own request's %q, %q", first.CreatedBy, second.CreatedBy, creator, "apikey:key_another")
	}

	c2 := getCustomer(t, s, tenantA, c1.CustomerID)
	want := c1
	bill2 := plainAddr("Berlin")
	want.LastBillingAddress = &bill2
	want.LastShippingAddress = &ship2
	want.TotalOrders = 2
	want.OrderIDs = []string{first.OrderID, second.OrderID}
	want.Version = 2
	want.UpdatedAt = c2.UpdatedAt
	want.PendingOrders = c2.PendingOrders
	sameCustomer(t, "customer after its second order", c2, want)
	if c2.UpdatedAt < c1.UpdatedAt {
		t.Errorf("updatedAt = %s after the second order, want not before %s", c2.UpdatedAt, c1.UpdatedAt)
	}
	sameOrder(t, "GetOrder(first) after the second order", getOrder(t, s, tenantA, first.OrderID), first)
	if got := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10}); len(got) != 1 {
		t.Errorf("ListCustomers after two orders of one email = %v, want 1 customer", customerIDs(got))
	}

	// An order without a shipping address ships to its billing address, which becomes the
	// customer's last shipping address too.
	in3 := newInput("GRACE@example.com")
	in3.BillingAddress = plainAddr("Vienna")
	third := createOrder(t, s, tenantA, in3)
	bill3 := plainAddr("Vienna")
	if third.ShippingAddress == nil || *third.ShippingAddress != bill3 {
		t.Errorf("third order shippingAddress = %+v, want the billing address %+v", third.ShippingAddress, bill3)
	}
	c3 := getCustomer(t, s, tenantA, c1.CustomerID)
	want = c2
	want.LastBillingAddress = &bill3
	want.LastShippingAddress = &bill3
	want.TotalOrders = 3
	want.OrderIDs = []string{first.OrderID, second.OrderID, third.OrderID}
	want.Version = 3
	want.UpdatedAt = c3.UpdatedAt
	want.PendingOrders = c3.PendingOrders
	sameCustomer(t, "customer after an order without a shipping address", c3, want)
	if c3.CreatedBy != creator {
		t.Errorf("createdBy of the customer after three orders = %q, want its first order's %q", c3.CreatedBy, creator)
	}
}

// testSnapshotFollowsUpdates: the next order snapshots the customer as updated; orders already
// made keep their snapshot and addresses.
func testSnapshotFollowsUpdates(t *testing.T, s Store) {
	in := fullInput("grace@example.com")
	first := createOrder(t, s, tenantA, in)
	id := first.Customer.CustomerID
	u := update(t, s, tenantA, id, customer.Patch{
		Email:           ptr("Grace.Hopper@navy.mil"),
		FirstName:       ptr("Amazing"),
		Company:         null[string](),
		Phone:           set("+1 202 555 0111"),
		CustomerType:    ptr(customer.Individual),
		BillingAddress:  set(plainAddr("Arlington")),
		ShippingAddress: null[customer.Address](),
	}, nil)
	sameOrder(t, "first order after the customer update", getOrder(t, s, tenantA, first.OrderID), first)

	in2 := newInput("grace.hopper@NAVY.mil")
	in2.Customer.FirstName = "Ignored"
	second := createOrder(t, s, tenantA, in2)
	if second.Customer != snapshotOf(u) {
		t.Errorf("order after update: snapshot = %+v, want %+v", second.Customer, snapshotOf(u))
	}
	update(t, s, tenantA, id, customer.Patch{LastName: ptr("Changed"), FirstName: ptr("Again")}, nil)
	sameOrder(t, "first order after two updates", getOrder(t, s, tenantA, first.OrderID), first)
	sameOrder(t, "second order after an update", getOrder(t, s, tenantA, second.OrderID), second)
}

// testNotFound: unknown ids are not found, never a zero value.
func testNotFound(t *testing.T, s Store) {
	ctx := t.Context()
	id := customer.NewID(time.Now())
	_, err := s.GetCustomer(ctx, tenantA, id)
	wantErr(t, "GetCustomer(unknown)", err, customer.ErrNotFound)
	_, err = s.GetOrder(ctx, tenantA, order.NewID(time.Now()))
	wantErr(t, "GetOrder(unknown)", err, order.ErrNotFound)
	_, err = s.DeactivateCustomer(ctx, tenantA, id, nil)
	wantErr(t, "DeactivateCustomer(unknown)", err, customer.ErrNotFound)
	_, err = s.DeactivateCustomer(ctx, tenantA, id, customer.IfMatch{1})
	wantErr(t, "DeactivateCustomer(unknown, ifMatch 1)", err, customer.ErrNotFound)
	_, _, err = s.CancelOrder(ctx, tenantA, order.NewID(time.Now()), "why", order.Idempotency{})
	wantErr(t, "CancelOrder(unknown)", err, order.ErrNotFound)
	if got := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10}); len(got) != 0 {
		t.Errorf("ListCustomers of an empty store = %v, want none", customerIDs(got))
	}
	if got := listOrders(t, s, tenantA, order.ListQuery{Limit: 10}); len(got) != 0 {
		t.Errorf("ListOrders of an empty store = %v, want none", orderIDs(got))
	}
}

var updateTests = []test{
	{name: "Fields", fn: testUpdateFields},
	{name: "VersionAndTimestamps", fn: testUpdateVersion},
	{name: "CustomFieldsLimit", fn: testCustomFieldsLimit},
	{name: "NeverCreates", fn: testUpdateNeverCreates},
	{name: "IfMatch", fn: testUpdateIfMatch},
	{name: "IfMatchList", fn: testUpdateIfMatchList},
	{name: "Reactivate", fn: testReactivate},
}

// testUpdateFields: each patch changes exactly what it names, on a customer that has every
// field set.
func testUpdateFields(t *testing.T, s Store) {
	newAddr := plainAddr("Munich")
	tests := []struct {
		name string
		p    customer.Patch
		want func(c *customer.Customer)
	}{
		{"email", customer.Patch{Email: ptr("new.email@example.com")}, func(c *customer.Customer) { c.Email = "new.email@example.com" }},
		{"firstName", customer.Patch{FirstName: ptr("Augusta")}, func(c *customer.Customer) { c.FirstName = "Augusta" }},
		{"lastName", customer.Patch{LastName: ptr("King")}, func(c *customer.Customer) { c.LastName = "King" }},
		{"company", customer.Patch{Company: set("Babbage & Co")}, func(c *customer.Customer) { c.Company = "Babbage & Co" }},
		{"company null", customer.Patch{Company: null[string]()}, func(c *customer.Customer) { c.Company = "" }},
		{"phone", customer.Patch{Phone: set("(030) 1234-567")}, func(c *customer.Customer) { c.Phone = "(030) 1234-567" }},
		{"phone null", customer.Patch{Phone: null[string]()}, func(c *customer.Customer) { c.Phone = "" }},
		{"customerType", customer.Patch{CustomerType: ptr(customer.Individual)}, func(c *customer.Customer) { c.CustomerType = customer.Individual }},
		{"status active on an active customer", customer.Patch{Status: ptr(customer.Active)}, func(c *customer.Customer) {}},
		{"billingAddress replaced whole", customer.Patch{BillingAddress: set(newAddr)}, func(c *customer.Customer) { c.LastBillingAddress = ptr(newAddr) }},
		{"billingAddress null", customer.Patch{BillingAddress: null[customer.Address]()}, func(c *customer.Customer) { c.LastBillingAddress = nil }},
		{"shippingAddress replaced whole", customer.Patch{ShippingAddress: set(newAddr)}, func(c *customer.Customer) { c.LastShippingAddress = ptr(newAddr) }},
		{"shippingAddress null", customer.Patch{ShippingAddress: null[customer.Address]()}, func(c *customer.Customer) { c.LastShippingAddress = nil }},
		{
			"customFields merged",
			customer.Patch{CustomFields: map[string]any{"plan": "gold", "seats": nil, "big": json.Number("12345678901234567890.5"), "trial": false}},
			func(c *customer.Customer) {
				c.CustomFields = map[string]any{"plan": "gold", "vip": true, "region": "eu", "big": json.Number("12345678901234567890.5"), "trial": false}
			},
		},
		{
			"customFields numbers exact",
			customer.Patch{CustomFields: map[string]any{"neg": json.Number("-7.25"), "zero": json.Number("0"), "int": json.Number("9007199254740993")}},
			func(c *customer.Customer) {
				c.CustomFields = map[string]any{"plan": "silver", "seats": json.Number("10"), "vip": true, "region": "eu",
					"neg": json.Number("-7.25"), "zero": json.Number("0"), "int": json.Number("9007199254740993")}
			},
		},
		{
			// Keys are names, not paths: a store that builds document paths (DynamoDB) must not
			// read a dot, brackets, '#' or ':' in a key as structure or placeholder.
			"customFields keys with path characters",
			customer.Patch{CustomFields: map[string]any{"a.b": json.Number("3"), "x[1]": true, "#n": "h", ":v": "c", "plan": nil}},
			func(c *customer.Customer) {
				c.CustomFields = map[string]any{"seats": json.Number("10"), "vip": true, "region": "eu",
					"a.b": json.Number("3"), "x[1]": true, "#n": "h", ":v": "c"}
			},
		},
		{
			"customFields all removed",
			customer.Patch{CustomFields: map[string]any{"plan": nil, "seats": nil, "vip": nil, "region": nil}},
			func(c *customer.Customer) { c.CustomFields = map[string]any{} },
		},
		{
			"customFields remove of a missing key",
			customer.Patch{CustomFields: map[string]any{"nope": nil}},
			func(c *customer.Customer) {},
		},
		{
			"several fields at once",
			customer.Patch{FirstName: ptr("A"), LastName: ptr("B"), Phone: null[string](), Company: set("C"),
				ShippingAddress: set(newAddr), CustomFields: map[string]any{"vip": nil}},
			func(c *customer.Customer) {
				c.FirstName, c.LastName, c.Phone, c.Company = "A", "B", "", "C"
				c.LastShippingAddress = ptr(newAddr)
				c.CustomFields = map[string]any{"plan": "silver", "seats": json.Number("10"), "region": "eu"}
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCustomer(t, s, tenantA, fullInput(fmt.Sprintf("field%d@example.com", i)))
			fields := map[string]any{"plan": "silver", "seats": json.Number("10"), "vip": true, "region": "eu"}
			before := update(t, s, tenantA, c.CustomerID, customer.Patch{CustomFields: maps.Clone(fields)}, nil)
			if !mapsEqual(before.CustomFields, fields) {
				t.Fatalf("customFields after seeding = %#v, want %#v", before.CustomFields, fields)
			}
			tick()
			got := update(t, s, tenantA, c.CustomerID, tt.p, nil)
			want := before
			want.CustomFields = maps.Clone(before.CustomFields)
			tt.want(&want)
			want.Version = before.Version + 1
			want.UpdatedAt = got.UpdatedAt
			sameCustomer(t, "UpdateCustomer", got, want)
			if got.UpdatedAt <= before.UpdatedAt {
				t.Errorf("updatedAt = %s, want later than %s", got.UpdatedAt, before.UpdatedAt)
			}
		})
	}
}

func mapsEqual(a, b map[string]any) bool {
	return len(a) == len(b) && fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// testUpdateVersion: every update adds 1 to version and moves updatedAt, never createdAt.
func testUpdateVersion(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("v@example.com"))
	prev := c
	for i := range 3 {
		tick()
		got := update(t, s, tenantA, c.CustomerID, customer.Patch{FirstName: ptr(fmt.Sprintf("N%d", i))}, nil)
		if got.Version != prev.Version+1 {
			t.Errorf("update %d: version = %d, want %d", i, got.Version, prev.Version+1)
		}
		if got.CreatedAt != c.CreatedAt {
			t.Errorf("update %d: createdAt = %s, want unchanged %s", i, got.CreatedAt, c.CreatedAt)
		}
		checkTimestamp(t, "updatedAt", got.UpdatedAt)
		if got.UpdatedAt <= prev.UpdatedAt {
			t.Errorf("update %d: updatedAt = %s, want later than %s", i, got.UpdatedAt, prev.UpdatedAt)
		}
		prev = got
	}
}

// testCustomFieldsLimit: the 50-key limit applies to the merged result; a refused patch changes
// nothing.
func testCustomFieldsLimit(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("limit@example.com"))
	seed := map[string]any{}
	for i := range customer.MaxCustomFields - 1 {
		seed[fmt.Sprintf("k%02d", i)] = fmt.Sprintf("v%d", i)
	}
	c = update(t, s, tenantA, c.CustomerID, customer.Patch{CustomFields: seed}, nil)
	if len(c.CustomFields) != 49 {
		t.Fatalf("customFields after seeding has %d keys, want 49", len(c.CustomFields))
	}
	refuse := func(what string, fields map[string]any) {
		t.Helper()
		before := getCustomer(t, s, tenantA, c.CustomerID)
		_, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{CustomFields: fields, FirstName: ptr("Changed")}, nil)
		var verr *fault.ValidationError
		if !errors.As(err, &verr) {
			t.Errorf("%s: UpdateCustomer error = %v, want a *fault.ValidationError", what, err)
		}
		unchanged(t, s, tenantA, before)
	}
	accept := func(what string, fields map[string]any, wantKeys int) customer.Customer {
		t.Helper()
		got, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{CustomFields: fields}, nil)
		if err != nil {
			t.Fatalf("%s: UpdateCustomer error = %v, want nil", what, err)
		}
		if len(got.CustomFields) != wantKeys {
			t.Errorf("%s: customFields has %d keys, want %d", what, len(got.CustomFields), wantKeys)
		}
		sameCustomer(t, what+": GetCustomer", getCustomer(t, s, tenantA, c.CustomerID), got)
		return got
	}

	refuse("49 keys + 2 new", map[string]any{"new1": "a", "new2": "b"})
	accept("49 keys + 1 new", map[string]any{"new1": "a"}, 50)
	refuse("50 keys + 1 new", map[string]any{"new2": "b"})
	refuse("50 keys, removing a missing key + 1 new", map[string]any{"missing": nil, "new2": "b"})
	got := accept("50 keys, 1 removed + 1 new", map[string]any{"k00": nil, "new2": "b"}, 50)
	if _, ok := got.CustomFields["k00"]; ok {
		t.Errorf("customFields still has removed key k00")
	}
	if got.CustomFields["new2"] != "b" {
		t.Errorf("customFields[new2] = %#v, want \"b\"", got.CustomFields["new2"])
	}
	accept("50 keys, 1 overwritten", map[string]any{"k01": json.Number("1")}, 50)
	accept("50 keys, 2 removed", map[string]any{"k02": nil, "k03": nil}, 48)
	accept("48 keys, 2 overwritten + 2 new", map[string]any{"k04": "x", "k05": "y", "new3": "c", "new4": "d"}, 50)
	refuse("50 keys, 2 overwritten + 1 new", map[string]any{"k06": "x", "k07": "y", "new5": "e"})
}

// testUpdateNeverCreates: an update of an unknown id is not found and writes nothing, not even
// an email reservation.
func testUpdateNeverCreates(t *testing.T, s Store) {
	id := customer.NewID(time.Now())
	for _, p := range []customer.Patch{
		{FirstName: ptr("Ghost")},
		{Email: ptr("ghost@example.com")},
		{CustomFields: map[string]any{"a": "b"}},
		{Status: ptr(customer.Active)},
	} {
		_, err := s.UpdateCustomer(t.Context(), tenantA, id, p, nil)
		wantErr(t, "UpdateCustomer(unknown id)", err, customer.ErrNotFound)
		_, err = s.UpdateCustomer(t.Context(), tenantA, id, p, customer.IfMatch{1})
		wantErr(t, "UpdateCustomer(unknown id, ifMatch 1)", err, customer.ErrNotFound)
	}
	_, err := s.GetCustomer(t.Context(), tenantA, id)
	wantErr(t, "GetCustomer after UpdateCustomer(unknown id)", err, customer.ErrNotFound)
	if got := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10}); len(got) != 0 {
		t.Errorf("ListCustomers after updates of unknown ids = %v, want none", customerIDs(got))
	}
	// The email named by the refused update is free.
	o := createOrder(t, s, tenantA, newInput("ghost@example.com"))
	if o.Customer.CustomerID == id {
		t.Errorf("order for ghost@example.com went to the unknown id %s", id)
	}
	other := newCustomer(t, s, tenantA, newInput("other@example.com"))
	_, err = s.UpdateCustomer(t.Context(), tenantA, other.CustomerID, customer.Patch{Email: ptr("GHOST@example.com")}, nil)
	wantErr(t, "UpdateCustomer to the email of the new customer", err, customer.ErrEmailExists)
}

// testUpdateIfMatch: ifMatch must be the current version; on a missing customer it is not found.
func testUpdateIfMatch(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("match@example.com"))
	v := c.Version
	got := update(t, s, tenantA, c.CustomerID, customer.Patch{FirstName: ptr("Current")}, customer.IfMatch{v})
	if got.Version != v+1 || got.FirstName != "Current" {
		t.Errorf("update with current ifMatch: version %d firstName %q, want %d %q", got.Version, got.FirstName, v+1, "Current")
	}
	for _, stale := range []int64{v, v + 5, 0} {
		_, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{FirstName: ptr("Stale")}, customer.IfMatch{stale})
		wantErr(t, fmt.Sprintf("UpdateCustomer(ifMatch %d, current %d)", stale, got.Version), err, customer.ErrPrecondition)
		unchanged(t, s, tenantA, got)
	}
	// A refused email change moves no reservation.
	_, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{Email: ptr("moved@example.com")}, customer.IfMatch{v})
	wantErr(t, "UpdateCustomer(email change, stale ifMatch)", err, customer.ErrPrecondition)
	unchanged(t, s, tenantA, got)
	again := createOrder(t, s, tenantA, newInput("MATCH@example.com"))
	if again.Customer.CustomerID != c.CustomerID {
		t.Errorf("order for the old email after a refused email change went to %s, want %s", again.Customer.CustomerID, c.CustomerID)
	}
	moved := createOrder(t, s, tenantA, newInput("moved@example.com"))
	if moved.Customer.CustomerID == c.CustomerID {
		t.Errorf("order for the refused new email went to the customer %s, want a new customer", c.CustomerID)
	}
	_, err = s.UpdateCustomer(t.Context(), tenantA, customer.NewID(time.Now()), customer.Patch{FirstName: ptr("X")}, customer.IfMatch{v})
	wantErr(t, "UpdateCustomer(missing customer, ifMatch)", err, customer.ErrNotFound)
	// An email change with the current ifMatch goes through.
	cur := getCustomer(t, s, tenantA, c.CustomerID)
	got = update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("matched@example.com")}, customer.IfMatch{cur.Version})
	if got.Email != "matched@example.com" || got.Version != cur.Version+1 {
		t.Errorf("email change with current ifMatch: email %q version %d, want %q %d", got.Email, got.Version, "matched@example.com", cur.Version+1)
	}
}

// testUpdateIfMatchList: an ifMatch of several versions passes when any of them is current, and
// an empty one (only weak or malformed tags were sent) passes none: 412 on an existing customer,
// 404 on a missing one. Both with and without an email change, and for DELETE.
func testUpdateIfMatchList(t *testing.T, s Store) {
	c := idleCustomer(t, s, tenantA, newInput("list@example.com"))
	v := c.Version
	got := update(t, s, tenantA, c.CustomerID, customer.Patch{FirstName: ptr("Listed")}, customer.IfMatch{v + 7, v, v + 9})
	if got.Version != v+1 || got.FirstName != "Listed" {
		t.Errorf("update with a list holding the current version: version %d firstName %q, want %d %q", got.Version, got.FirstName, v+1, "Listed")
	}
	for _, m := range []customer.IfMatch{{v, v + 5}, {}} {
		_, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{FirstName: ptr("Stale")}, m)
		wantErr(t, fmt.Sprintf("UpdateCustomer(ifMatch %v, current %d)", m, got.Version), err, customer.ErrPrecondition)
		_, err = s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{Email: ptr("stale-list@example.com")}, m)
		wantErr(t, fmt.Sprintf("UpdateCustomer(email change, ifMatch %v)", m), err, customer.ErrPrecondition)
		_, err = s.DeactivateCustomer(t.Context(), tenantA, c.CustomerID, m)
		wantErr(t, fmt.Sprintf("DeactivateCustomer(ifMatch %v)", m), err, customer.ErrPrecondition)
		unchanged(t, s, tenantA, got)
	}
	_, err := s.UpdateCustomer(t.Context(), tenantA, customer.NewID(time.Now()), customer.Patch{FirstName: ptr("X")}, customer.IfMatch{})
	wantErr(t, "UpdateCustomer(missing customer, empty ifMatch)", err, customer.ErrNotFound)
	moved := update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("listed@example.com")}, customer.IfMatch{1000, got.Version})
	if moved.Email != "listed@example.com" {
		t.Errorf("email change with a list holding the current version: email %q, want %q", moved.Email, "listed@example.com")
	}
	gone := deactivate(t, s, tenantA, c.CustomerID, customer.IfMatch{moved.Version, 1000})
	if gone.Status != customer.Inactive {
		t.Errorf("deactivation with a list holding the current version: status %q, want inactive", gone.Status)
	}
}

// testReactivate: status active brings a deactivated customer back; it can order again.
func testReactivate(t *testing.T, s Store) {
	c := idleCustomer(t, s, tenantA, newInput("back@example.com"))
	d := deactivate(t, s, tenantA, c.CustomerID, nil)
	got := update(t, s, tenantA, c.CustomerID, customer.Patch{Status: ptr(customer.Active)}, nil)
	if got.Status != customer.Active || got.Version != d.Version+1 {
		t.Errorf("reactivated: status %q version %d, want %q %d", got.Status, got.Version, customer.Active, d.Version+1)
	}
	o := createOrder(t, s, tenantA, newInput("back@example.com"))
	if o.Customer.CustomerID != c.CustomerID {
		t.Errorf("order after reactivation went to %s, want %s", o.Customer.CustomerID, c.CustomerID)
	}
	if n := getCustomer(t, s, tenantA, c.CustomerID).TotalOrders; n != 2 {
		t.Errorf("totalOrders = %d, want 2", n)
	}
}

var emailTests = []test{
	{name: "ChangeMovesReservation", fn: testEmailMove},
	{name: "TakenInAnyCase", fn: testEmailTaken},
	{name: "CaseOnlyChange", fn: testEmailCaseOnly},
}

// testEmailMove: an email change frees the old email and takes the new one.
func testEmailMove(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("old@example.com"))
	got := update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("New@Example.com"), FirstName: ptr("Renamed")}, nil)
	if got.Email != "New@Example.com" || got.FirstName != "Renamed" {
		t.Errorf("after the email change: email %q firstName %q, want %q %q", got.Email, got.FirstName, "New@Example.com", "Renamed")
	}
	// The new email, in another case, finds the customer.
	o := createOrder(t, s, tenantA, newInput("new@example.COM"))
	if o.Customer.CustomerID != c.CustomerID {
		t.Errorf("order for the new email went to %s, want %s", o.Customer.CustomerID, c.CustomerID)
	}
	// The old email is free: an order for it creates a new customer.
	o2 := createOrder(t, s, tenantA, newInput("OLD@example.com"))
	if o2.Customer.CustomerID == c.CustomerID {
		t.Fatalf("order for the old email went to the customer that left it")
	}
	nc := getCustomer(t, s, tenantA, o2.Customer.CustomerID)
	if nc.Email != "OLD@example.com" || nc.TotalOrders != 1 || nc.Version != 1 {
		t.Errorf("new customer for the old email: email %q totalOrders %d version %d, want %q 1 1", nc.Email, nc.TotalOrders, nc.Version, "OLD@example.com")
	}
	// And the first customer can take it no more.
	_, err := s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{Email: ptr("old@example.com")}, nil)
	wantErr(t, "UpdateCustomer back to the old email, now another's", err, customer.ErrEmailExists)
	// Moving twice frees the intermediate email too.
	update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("third@example.com")}, nil)
	o3 := createOrder(t, s, tenantA, newInput("new@example.com"))
	if o3.Customer.CustomerID == c.CustomerID || o3.Customer.CustomerID == nc.CustomerID {
		t.Errorf("order for the freed intermediate email went to an existing customer %s", o3.Customer.CustomerID)
	}
	// A freed email can be taken by another customer's update too, not only by a new customer.
	update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("fourth@example.com")}, nil)
	moved := update(t, s, tenantA, nc.CustomerID, customer.Patch{Email: ptr("Third@Example.com")}, nil)
	if moved.Email != "Third@Example.com" {
		t.Errorf("email after taking a freed one = %q, want %q", moved.Email, "Third@Example.com")
	}
	if o4 := createOrder(t, s, tenantA, newInput("third@example.com")); o4.Customer.CustomerID != nc.CustomerID {
		t.Errorf("order for the email taken by an update went to %s, want %s", o4.Customer.CustomerID, nc.CustomerID)
	}
	_, err = s.UpdateCustomer(t.Context(), tenantA, c.CustomerID, customer.Patch{Email: ptr("third@example.com")}, nil)
	wantErr(t, "UpdateCustomer back to an email another customer took by update", err, customer.ErrEmailExists)
}

// testEmailTaken: an email another customer holds, in any case, is refused and nothing changes.
func testEmailTaken(t *testing.T, s Store) {
	x := newCustomer(t, s, tenantA, newInput("Taken@Example.com"))
	y := newCustomer(t, s, tenantA, newInput("y@example.com"))
	for _, email := range []string{"Taken@Example.com", "taken@example.com", "TAKEN@EXAMPLE.COM"} {
		_, err := s.UpdateCustomer(t.Context(), tenantA, y.CustomerID, customer.Patch{Email: ptr(email), FirstName: ptr("Changed")}, nil)
		wantErr(t, "UpdateCustomer(email "+email+")", err, customer.ErrEmailExists)
		unchanged(t, s, tenantA, y)
		unchanged(t, s, tenantA, x)
	}
	// y's email is still reserved for y.
	o := createOrder(t, s, tenantA, newInput("Y@example.com"))
	if o.Customer.CustomerID != y.CustomerID {
		t.Errorf("order for y's email after refused changes went to %s, want %s", o.Customer.CustomerID, y.CustomerID)
	}
	// Setting one's own email again is no conflict.
	got := update(t, s, tenantA, x.CustomerID, customer.Patch{Email: ptr("Taken@Example.com")}, nil)
	if got.Email != "Taken@Example.com" || got.Version != x.Version+1 {
		t.Errorf("own email again: email %q version %d, want %q %d", got.Email, got.Version, "Taken@Example.com", x.Version+1)
	}
}

// testEmailCaseOnly: changing only the letter case of one's email works and keeps it reserved.
func testEmailCaseOnly(t *testing.T, s Store) {
	x := newCustomer(t, s, tenantA, newInput("case@example.com"))
	y := newCustomer(t, s, tenantA, newInput("other@example.com"))
	got := update(t, s, tenantA, x.CustomerID, customer.Patch{Email: ptr("Case@Example.COM")}, nil)
	if got.Email != "Case@Example.COM" {
		t.Errorf("email = %q, want %q", got.Email, "Case@Example.COM")
	}
	_, err := s.UpdateCustomer(t.Context(), tenantA, y.CustomerID, customer.Patch{Email: ptr("case@example.com")}, nil)
	wantErr(t, "UpdateCustomer to the case-changed email of another", err, customer.ErrEmailExists)
	o := createOrder(t, s, tenantA, newInput("CASE@example.com"))
	if o.Customer.CustomerID != x.CustomerID {
		t.Errorf("order for the case-changed email went to %s, want %s", o.Customer.CustomerID, x.CustomerID)
	}
	if n := len(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10})); n != 2 {
		t.Errorf("customers = %d, want 2", n)
	}
	got = update(t, s, tenantA, x.CustomerID, customer.Patch{Email: ptr("case@example.com")}, nil)
	if got.Email != "case@example.com" {
		t.Errorf("email = %q after changing the case back, want %q", got.Email, "case@example.com")
	}
}

var deactivateTests = []test{
	{name: "PendingOrders", fn: testDeactivatePending},
	{name: "Idempotent", fn: testDeactivateAgain},
	{name: "IfMatch", fn: testDeactivateIfMatch},
	{name: "InactiveCannotOrder", fn: testInactiveCannotOrder},
	{name: "UpdateStatusInactive", fn: testUpdateInactivePending},
}

// testDeactivatePending: a customer with a pending order cannot be deactivated; once every
// order is cancelled it can.
func testDeactivatePending(t *testing.T, s Store) {
	o1 := createOrder(t, s, tenantA, newInput("pending@example.com"))
	o2 := createOrder(t, s, tenantA, newInput("pending@example.com"))
	id := o1.Customer.CustomerID
	before := getCustomer(t, s, tenantA, id)
	_, err := s.DeactivateCustomer(t.Context(), tenantA, id, nil)
	wantErr(t, "DeactivateCustomer with 2 pending orders", err, customer.ErrPendingOrders)
	unchanged(t, s, tenantA, before)

	cancelled := cancelOrder(t, s, tenantA, o1.OrderID)
	before = getCustomer(t, s, tenantA, id)
	_, err = s.DeactivateCustomer(t.Context(), tenantA, id, customer.IfMatch{before.Version})
	wantErr(t, "DeactivateCustomer with 1 pending order", err, customer.ErrPendingOrders)
	unchanged(t, s, tenantA, before)

	cancelOrder(t, s, tenantA, o2.OrderID)
	before = getCustomer(t, s, tenantA, id)
	got := deactivate(t, s, tenantA, id, nil)
	want := before
	want.Status = customer.Inactive
	want.Version = before.Version + 1
	want.UpdatedAt = got.UpdatedAt
	want.PendingOrders = got.PendingOrders
	sameCustomer(t, "DeactivateCustomer", got, want)
	if got.UpdatedAt < before.UpdatedAt {
		t.Errorf("updatedAt = %s, want not before %s", got.UpdatedAt, before.UpdatedAt)
	}
	// The record and its history stay.
	if got.TotalOrders != 2 || len(got.OrderIDs) != 2 {
		t.Errorf("inactive customer: totalOrders %d orderIds %v, want 2 orders", got.TotalOrders, got.OrderIDs)
	}
	sameOrder(t, "order of a deactivated customer", getOrder(t, s, tenantA, o1.OrderID), cancelled)
}

// testDeactivateAgain: deactivating an inactive customer succeeds and leaves it as it is.
func testDeactivateAgain(t *testing.T, s Store) {
	c := idleCustomer(t, s, tenantA, newInput("twice@example.com"))
	first := deactivate(t, s, tenantA, c.CustomerID, nil)
	if first.Version != c.Version+1 {
		t.Errorf("version after deactivation = %d, want %d", first.Version, c.Version+1)
	}
	second := deactivate(t, s, tenantA, c.CustomerID, nil)
	sameCustomer(t, "second DeactivateCustomer", second, first)
	third := deactivate(t, s, tenantA, c.CustomerID, customer.IfMatch{first.Version})
	sameCustomer(t, "third DeactivateCustomer (ifMatch current)", third, first)
}

// testDeactivateIfMatch: ifMatch must be the current version.
func testDeactivateIfMatch(t *testing.T, s Store) {
	c := idleCustomer(t, s, tenantA, newInput("dm@example.com"))
	for _, stale := range []int64{c.Version - 1, c.Version + 1} {
		_, err := s.DeactivateCustomer(t.Context(), tenantA, c.CustomerID, customer.IfMatch{stale})
		wantErr(t, fmt.Sprintf("DeactivateCustomer(ifMatch %d, current %d)", stale, c.Version), err, customer.ErrPrecondition)
		unchanged(t, s, tenantA, c)
	}
	got := deactivate(t, s, tenantA, c.CustomerID, customer.IfMatch{c.Version})
	_, err := s.DeactivateCustomer(t.Context(), tenantA, c.CustomerID, customer.IfMatch{c.Version})
	wantErr(t, "DeactivateCustomer(inactive, stale ifMatch)", err, customer.ErrPrecondition)
	unchanged(t, s, tenantA, got)
}

// testInactiveCannotOrder: an order for an inactive customer is refused and writes nothing.
func testInactiveCannotOrder(t *testing.T, s Store) {
	c := idleCustomer(t, s, tenantA, newInput("gone@example.com"))
	c = deactivate(t, s, tenantA, c.CustomerID, nil)
	ordersBefore := orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50}))
	for _, idem := range []order.Idempotency{{}, {Key: "inactive-1", RequestHash: "h1"}} {
		in := fullInput("GONE@example.com")
		_, _, err := s.CreateOrder(t.Context(), tenantA, in, idem)
		wantErr(t, "CreateOrder for an inactive customer", err, customer.ErrInactive)
		unchanged(t, s, tenantA, c)
		sameIDs(t, "orders after a refused order", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), ordersBefore)
	}
	if n := len(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10})); n != 1 {
		t.Errorf("customers after a refused order = %d, want 1", n)
	}
	// An inactive customer keeps its email: nobody else may take it.
	other := newCustomer(t, s, tenantA, newInput("other@example.com"))
	_, err := s.UpdateCustomer(t.Context(), tenantA, other.CustomerID, customer.Patch{Email: ptr("gone@EXAMPLE.com")}, nil)
	wantErr(t, "UpdateCustomer to an inactive customer's email", err, customer.ErrEmailExists)
	unchanged(t, s, tenantA, other)
	// Its profile can still be updated (and it stays inactive).
	got := update(t, s, tenantA, c.CustomerID, customer.Patch{FirstName: ptr("Dormant")}, nil)
	if got.Status != customer.Inactive {
		t.Errorf("status after updating an inactive customer's name = %q, want inactive", got.Status)
	}
	// Made inactive by UpdateCustomer rather than DeactivateCustomer: refused all the same.
	p := idleCustomer(t, s, tenantA, newInput("patched@example.com"))
	p = update(t, s, tenantA, p.CustomerID, customer.Patch{Status: ptr(customer.Inactive)}, nil)
	ordersBefore = orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50}))
	_, _, err = s.CreateOrder(t.Context(), tenantA, newInput("Patched@example.com"), order.Idempotency{})
	wantErr(t, "CreateOrder for a customer made inactive by UpdateCustomer", err, customer.ErrInactive)
	unchanged(t, s, tenantA, p)
	sameIDs(t, "orders after a refused order", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), ordersBefore)
}

// testUpdateInactivePending: status inactive through UpdateCustomer keeps DeactivateCustomer's
// rule: refused while an order is pending (after not found and a stale ifMatch, in that order),
// also together with other changes or an email change, which are then not applied either.
func testUpdateInactivePending(t *testing.T, s Store) {
	ctx := t.Context()
	o := createOrder(t, s, tenantA, newInput("busy@example.com"))
	id := o.Customer.CustomerID
	before := getCustomer(t, s, tenantA, id)
	inactive := ptr(customer.Inactive)
	tests := []struct {
		name    string
		p       customer.Patch
		ifMatch customer.IfMatch
		want    error
	}{
		{"status only", customer.Patch{Status: inactive}, nil, customer.ErrPendingOrders},
		{"current ifMatch", customer.Patch{Status: inactive}, customer.IfMatch{before.Version}, customer.ErrPendingOrders},
		{"with other fields", customer.Patch{Status: inactive, FirstName: ptr("Gone"), CustomFields: map[string]any{"k": "v"}}, nil, customer.ErrPendingOrders},
		{"with an email change", customer.Patch{Status: inactive, Email: ptr("gone@example.com")}, nil, customer.ErrPendingOrders},
		{"with a case-only email change", customer.Patch{Status: inactive, Email: ptr("BUSY@example.com")}, nil, customer.ErrPendingOrders},
		{"stale ifMatch", customer.Patch{Status: inactive}, customer.IfMatch{before.Version - 1}, customer.ErrPrecondition},
		{"stale ifMatch with an email change", customer.Patch{Status: inactive, Email: ptr("gone@example.com")}, customer.IfMatch{before.Version + 1}, customer.ErrPrecondition},
	}
	for _, tt := range tests {
		_, err := s.UpdateCustomer(ctx, tenantA, id, tt.p, tt.ifMatch)
		wantErr(t, "UpdateCustomer("+tt.name+") with a pending order", err, tt.want)
		unchanged(t, s, tenantA, before)
	}
	_, err := s.UpdateCustomer(ctx, tenantA, customer.NewID(time.Now()), customer.Patch{Status: inactive}, customer.IfMatch{1})
	wantErr(t, "UpdateCustomer(missing customer, status inactive)", err, customer.ErrNotFound)
	// The email stays reserved by the refused customer, not the one the refused patch named.
	if n := createOrder(t, s, tenantA, newInput("gone@example.com")); n.Customer.CustomerID == id {
		t.Errorf("order for the refused new email went to customer %s, want a new customer", id)
	}

	// Status active on a customer with pending orders is no change of rule.
	update(t, s, tenantA, id, customer.Patch{Status: ptr(customer.Active)}, nil)
	cancelOrder(t, s, tenantA, o.OrderID)
	cur := getCustomer(t, s, tenantA, id)
	got := update(t, s, tenantA, id, customer.Patch{Status: inactive, FirstName: ptr("Idle")}, customer.IfMatch{cur.Version})
	if got.Status != customer.Inactive || got.FirstName != "Idle" || got.Version != cur.Version+1 {
		t.Errorf("UpdateCustomer(inactive) with no pending order: status %q firstName %q version %d, want inactive, Idle, %d",
			got.Status, got.FirstName, got.Version, cur.Version+1)
	}
}

// testIDsAndTimestamps: ids are time-ordered (a later customer or order has a greater id), and
// every write leaves createdAt as it was and an updatedAt in RFC 3339 UTC with milliseconds, not
// before the one it replaces; version starts at 1 and every change of the customer adds 1.
func testIDsAndTimestamps(t *testing.T, s Store) {
	var lastCustomer, lastOrder string
	for i := range 3 {
		tick()
		o := createOrder(t, s, tenantA, newInput(fmt.Sprintf("seq%d@example.com", i)))
		checkID(t, "orderId", o.OrderID, "ord_")
		checkID(t, "customerId", o.Customer.CustomerID, "cust_")
		if o.OrderID <= lastOrder || o.Customer.CustomerID <= lastCustomer {
			t.Errorf("order %d: orderId %s customerId %s, want greater than the earlier %s and %s",
				i, o.OrderID, o.Customer.CustomerID, lastOrder, lastCustomer)
		}
		lastOrder, lastCustomer = o.OrderID, o.Customer.CustomerID
	}

	first := createOrder(t, s, tenantA, newInput("stamps@example.com"))
	c := getCustomer(t, s, tenantA, first.Customer.CustomerID)
	checkTimestamp(t, "createdAt", c.CreatedAt)
	if c.Version != 1 || c.UpdatedAt != c.CreatedAt || first.UpdatedAt != first.CreatedAt {
		t.Errorf("new customer: version %d updatedAt %s createdAt %s, order updatedAt %s createdAt %s; want version 1 and updatedAt = createdAt",
			c.Version, c.UpdatedAt, c.CreatedAt, first.UpdatedAt, first.CreatedAt)
	}
	id := c.CustomerID
	var second order.Order
	writes := []struct {
		name string
		fn   func()
	}{
		{"UpdateCustomer", func() { update(t, s, tenantA, id, customer.Patch{FirstName: ptr("Stamp")}, nil) }},
		{"CreateOrder for the customer", func() { second = createOrder(t, s, tenantA, newInput("STAMPS@example.com")) }},
		{"UpdateCustomer with an email change", func() { update(t, s, tenantA, id, customer.Patch{Email: ptr("moved.stamps@example.com")}, nil) }},
		{"CancelOrder, then DeactivateCustomer", func() {
			cancelOrder(t, s, tenantA, first.OrderID)
			cancelOrder(t, s, tenantA, second.OrderID)
			deactivate(t, s, tenantA, id, nil)
		}},
		{"UpdateCustomer reactivating", func() { update(t, s, tenantA, id, customer.Patch{Status: ptr(customer.Active)}, nil) }},
	}
	prev := c
	for _, w := range writes {
		tick()
		w.fn()
		got := getCustomer(t, s, tenantA, id)
		checkTimestamp(t, w.name+": updatedAt", got.UpdatedAt)
		if got.CreatedAt != c.CreatedAt {
			t.Errorf("%s: createdAt = %s, want unchanged %s", w.name, got.CreatedAt, c.CreatedAt)
		}
		if got.UpdatedAt <= prev.UpdatedAt {
			t.Errorf("%s: updatedAt = %s, want later than %s", w.name, got.UpdatedAt, prev.UpdatedAt)
		}
		if got.Version != prev.Version+1 {
			t.Errorf("%s: version = %d, want %d", w.name, got.Version, prev.Version+1)
		}
		prev = got
	}
	for _, o := range []order.Order{first, second} {
		got := getOrder(t, s, tenantA, o.OrderID)
		checkTimestamp(t, "cancelled order updatedAt", got.UpdatedAt)
		if got.CreatedAt != o.CreatedAt || got.UpdatedAt <= o.UpdatedAt {
			t.Errorf("cancelled order: createdAt %s updatedAt %s, want createdAt %s and a later updatedAt than %s", got.CreatedAt, got.UpdatedAt, o.CreatedAt, o.UpdatedAt)
		}
	}
}

// testTimestampsFromClock: every write stamps the time of the store's clock, to the millisecond:
// createdAt and updatedAt of a new order and its new customer, updatedAt of an update (with and
// without an email change), of the customer's next order, of a cancel and of a deactivation.
func testTimestampsFromClock(t *testing.T, s Store, clock *Clock) {
	start := time.Date(2030, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	at := func(d time.Duration) string {
		clock.Set(start.Add(d))
		return customer.Timestamp(start.Add(d))
	}
	created := at(0)
	first := createOrder(t, s, tenantA, newInput("clock@example.com"))
	id := first.Customer.CustomerID
	c := getCustomer(t, s, tenantA, id)
	if first.CreatedAt != created || first.UpdatedAt != created || c.CreatedAt != created || c.UpdatedAt != created {
		t.Errorf("new order createdAt %s updatedAt %s, new customer createdAt %s updatedAt %s; want all %s",
			first.CreatedAt, first.UpdatedAt, c.CreatedAt, c.UpdatedAt, created)
	}
	var second order.Order
	writes := []struct {
		name string
		fn   func()
	}{
		{"UpdateCustomer", func() { update(t, s, tenantA, id, customer.Patch{FirstName: ptr("Clocked")}, nil) }},
		{"UpdateCustomer with an email change", func() { update(t, s, tenantA, id, customer.Patch{Email: ptr("moved.clock@example.com")}, nil) }},
		{"CreateOrder for the customer", func() {
			second = createOrder(t, s, tenantA, newInput("moved.clock@example.com"))
		}},
		{"DeactivateCustomer", func() {
			cancelOrder(t, s, tenantA, first.OrderID)
			cancelOrder(t, s, tenantA, second.OrderID)
			deactivate(t, s, tenantA, id, nil)
		}},
	}
	for i, w := range writes {
		now := at(time.Duration(i+1) * time.Minute)
		w.fn()
		if got := getCustomer(t, s, tenantA, id); got.UpdatedAt != now || got.CreatedAt != created {
			t.Errorf("%s: customer createdAt %s updatedAt %s, want %s and %s", w.name, got.CreatedAt, got.UpdatedAt, created, now)
		}
	}
	if second.CreatedAt != customer.Timestamp(start.Add(3*time.Minute)) || second.UpdatedAt != second.CreatedAt {
		t.Errorf("order for a known customer: createdAt %s updatedAt %s, want both %s",
			second.CreatedAt, second.UpdatedAt, customer.Timestamp(start.Add(3*time.Minute)))
	}
	cancelled := customer.Timestamp(start.Add(4 * time.Minute))
	for _, o := range []order.Order{first, second} {
		if got := getOrder(t, s, tenantA, o.OrderID); got.UpdatedAt != cancelled || got.CreatedAt != o.CreatedAt {
			t.Errorf("cancelled order %s: createdAt %s updatedAt %s, want %s and %s", o.OrderID, got.CreatedAt, got.UpdatedAt, o.CreatedAt, cancelled)
		}
	}
}
