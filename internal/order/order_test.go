package order_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var (
	billing  = customer.Address{ContactName: "Ann Lee", StreetAddress: "1 Main St", City: "Springfield", Country: "US"}
	shipping = customer.Address{ContactName: "Dock", StreetAddress: "3 Dock Rd", City: "Hull", Country: "GB"}
)

func TestNew(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	in := order.Input{
		Customer:       order.NewCustomer{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee"},
		BillingAddress: billing,
		Items:          []order.Item{{SKU: "A", Quantity: 2, ContractLength: 24}, {SKU: "B", Quantity: 3}},
		CustomFields:   nil,
		Notes:          "rush",
		OrderType:      order.Extension,
		ExtensionDetails: &order.ExtensionDetails{OriginalOrderID: "ord_0", ExtensionMonths: 6,
			PreviousEndDate: "2030-01-31", NewEndDate: "2030-07-31"},
		CreatedBy: "apikey:key_1",
	}
	snap := order.Snapshot{CustomerID: "cust_1", Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", CustomerType: customer.Individual}
	got := order.New("t1", "ord_1", in, snap, now)
	ts := customer.Timestamp(now)
	want := order.Order{
		OrderID:         "ord_1",
		TenantID:        "t1",
		Status:          order.Pending,
		OrderType:       order.Extension,
		Customer:        snap,
		BillingAddress:  billing,
		ShippingAddress: &billing,
		Items: []order.Line{
			{Item: order.Item{SKU: "A", Quantity: 2, ContractLength: 24}, RentalIDs: []string{}, RentalStatus: order.LinePending},
			{Item: order.Item{SKU: "B", Quantity: 3, ContractLength: 12}, RentalIDs: []string{}, RentalStatus: order.LinePending},
		},
		RentalProgress:   order.RentalProgress{TotalDevices: 5, RentedDevices: 0},
		RentalIDs:        []string{},
		CustomFields:     map[string]any{},
		Notes:            "rush",
		ExtensionDetails: in.ExtensionDetails,
		CreatedAt:        ts,
		UpdatedAt:        ts,
		CreatedBy:        "apikey:key_1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("New =\n%+v\nwant\n%+v", got, want)
	}
	if got.ShippingAddress == &in.BillingAddress {
		t.Errorf("New: shippingAddress points into the input, want a copy")
	}
	if in.Items[1].ContractLength != 0 {
		t.Errorf("New changed the input's items: %+v", in.Items)
	}
	in.ShippingAddress = &shipping
	if got := order.New("t1", "ord_2", in, snap, now); got.ShippingAddress == nil || *got.ShippingAddress != shipping {
		t.Errorf("New with a shipping address: shippingAddress = %v, want %v", got.ShippingAddress, shipping)
	}
	if got := order.New("t1", "ord_3", in, snap, now); !reflect.DeepEqual(got.Normalized(), got) {
		t.Errorf("New(...).Normalized() = %+v, want the order as New made it", got.Normalized())
	}
}

// TestNormalized: an order stored before shippingAddress, the rental fields and createdBy existed
// is shown with them.
func TestNormalized(t *testing.T) {
	lines := []order.Line{{Item: order.Item{SKU: "A", Quantity: 2, ContractLength: 12}}, {Item: order.Item{SKU: "B", Quantity: 1, ContractLength: 24}}}
	legacy := order.Order{OrderID: "ord_1", Status: order.Pending, BillingAddress: billing, Items: lines}
	got := legacy.Normalized()
	want := legacy
	want.ShippingAddress = &billing
	want.Items = []order.Line{
		{Item: lines[0].Item, RentalIDs: []string{}, RentalStatus: order.LinePending},
		{Item: lines[1].Item, RentalIDs: []string{}, RentalStatus: order.LinePending},
	}
	want.RentalProgress = order.RentalProgress{TotalDevices: 3}
	want.RentalIDs = []string{}
	want.CustomFields = map[string]any{}
	want.CreatedBy = customer.UnknownCreator
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalized =\n%+v\nwant\n%+v", got, want)
	}
	if lines[0].RentalIDs != nil || lines[0].RentalStatus != "" {
		t.Errorf("Normalized changed the caller's lines: %+v", lines)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var shown map[string]any
	if err := json.Unmarshal(b, &shown); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"shippingAddress", "rentalProgress", "rentalIds", "createdBy", "customFields"} {
		if _, ok := shown[k]; !ok {
			t.Errorf("Normalized order shown as %s: no %s", b, k)
		}
	}

	// What a store holds is kept: subscriptions already on a line count as rented.
	rented := order.Order{BillingAddress: billing, ShippingAddress: &shipping, CreatedBy: "apikey:k", RentalIDs: []string{"r1"},
		Items: []order.Line{{Item: order.Item{SKU: "A", Quantity: 2}, RentalIDs: []string{"r1"}, RentalStatus: order.LinePartial}}}
	got = rented.Normalized()
	if *got.ShippingAddress != shipping || got.CreatedBy != "apikey:k" || got.Items[0].RentalStatus != order.LinePartial ||
		got.RentalProgress != (order.RentalProgress{TotalDevices: 2, RentedDevices: 1}) {
		t.Errorf("Normalized = %+v, want what was stored, with 1 of 2 devices rented", got)
	}
}

func TestNewCustomerRecord(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	in := order.Input{Customer: order.NewCustomer{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee"},
		BillingAddress: billing, CreatedBy: "apikey:key_1"}
	c := in.NewCustomerRecord("t1", "cust_1", "ord_1", now)
	if c.CreatedBy != "apikey:key_1" || c.CustomerType != customer.Individual || c.TotalOrders != 1 || c.PendingOrders != 1 {
		t.Errorf("NewCustomerRecord = %+v, want created by apikey:key_1, an individual with its one pending order", c)
	}
	if c.LastBillingAddress == nil || *c.LastBillingAddress != billing || c.LastShippingAddress == nil || *c.LastShippingAddress != billing {
		t.Errorf("NewCustomerRecord without a shipping address: last addresses %v / %v, want the billing address for both", c.LastBillingAddress, c.LastShippingAddress)
	}
	in.ShippingAddress = &shipping
	if c := in.NewCustomerRecord("t1", "cust_1", "ord_1", now); c.LastShippingAddress == nil || *c.LastShippingAddress != shipping || c.LastShippingAddress == &shipping {
		t.Errorf("NewCustomerRecord: lastShippingAddress = %v, want a copy of %v", c.LastShippingAddress, shipping)
	}
}

func TestSetNotes(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	o := order.Order{OrderID: "ord_1", Status: order.Cancelled, Notes: "old", UpdatedAt: "before", CreatedAt: "before"}
	got := order.SetNotes(o, "new", now)
	if got.Notes != "new" || got.UpdatedAt != customer.Timestamp(now) || got.CreatedAt != "before" || got.Status != order.Cancelled {
		t.Errorf("SetNotes = %+v, want notes new, updatedAt %s, the rest kept", got, customer.Timestamp(now))
	}
	if got := order.SetNotes(o, "", now); got.Notes != "" {
		t.Errorf("SetNotes(\"\") notes = %q, want none", got.Notes)
	}
}
