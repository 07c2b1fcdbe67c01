package customer

import (
	"errors"
	"testing"
	"time"
)

func TestCheckErase(t *testing.T) {
	tests := []struct {
		name string
		c    Customer
		want error
	}{
		{"idle", Customer{}, nil},
		{"active rentals first", Customer{TotalDevicesRented: 1, PendingOrders: 1}, ErrActiveSubscriptions},
		{"pending order", Customer{PendingOrders: 2}, ErrPendingOrders},
		{"begun: goes on", Customer{Erasing: true, PendingOrders: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckErase(tt.c); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("CheckErase(%+v) = %v, want %v", tt.c, got, tt.want)
			}
		})
	}
}

func TestErasedRefusesWrites(t *testing.T) {
	name, active := "X", Active
	for _, c := range []Customer{{Erasing: true, Status: Active, Version: 3}, {ErasedAt: "2026-01-01T00:00:00.000Z", Status: Inactive, Version: 3}} {
		if err := CheckUpdate(c, Patch{FirstName: &name}, nil); !errors.Is(err, ErrErased) {
			t.Errorf("CheckUpdate(%+v) = %v, want %v", c, err, ErrErased)
		}
		if err := CheckUpdate(c, Patch{Status: &active}, IfMatch{2}); !errors.Is(err, ErrPrecondition) {
			t.Errorf("CheckUpdate with a stale If-Match = %v, want %v first", err, ErrPrecondition)
		}
	}
	if _, _, err := Deactivate(Customer{Erasing: true, Status: Active}, nil, time.Now()); !errors.Is(err, ErrErased) {
		t.Errorf("Deactivate of an active customer being erased = %v, want %v", err, ErrErased)
	}
	if _, changed, err := Deactivate(Customer{Erasing: true, ErasedAt: "x", Status: Inactive}, nil, time.Now()); err != nil || changed {
		t.Errorf("Deactivate of an erased customer = %v, %v; want it as it is", changed, err)
	}
}

func TestErase(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	a := &Address{ContactName: "Ada", Company: "AE", StreetAddress: "1 Road", BuildingInfo: "B", Locality: "L",
		City: "London", AdminArea: "GL", PostalCode: "SW1", Country: "GB"}
	c := Customer{CustomerID: "cust_1", Email: "ada@example.com", FirstName: "Ada", LastName: "L", Company: "AE",
		Phone: "+44 1", Status: Active, LastBillingAddress: a, CustomFields: map[string]any{"k": "v"},
		TotalOrders: 4, OrderIDs: []string{"o1"}, CreatedAt: "c", Version: 7}
	got := Erase(c, now)
	want := Customer{CustomerID: "cust_1", Email: "erased+cust_1@erased.invalid", FirstName: "erased", LastName: "erased",
		Status: Inactive, LastBillingAddress: &Address{ContactName: "erased", StreetAddress: "erased", City: "erased", Country: "GB"},
		CustomFields: map[string]any{}, TotalOrders: 4, OrderIDs: []string{"o1"}, CreatedAt: "c", Version: 8,
		ErasedAt: "2026-12-01T12:00:00.000Z", UpdatedAt: "2026-12-01T12:00:00.000Z", Erasing: true}
	if got.Email != want.Email || got.LastBillingAddress == nil || *got.LastBillingAddress != *want.LastBillingAddress ||
		got.LastShippingAddress != nil || got.Company != "" || got.Phone != "" || len(got.CustomFields) != 0 ||
		got.Version != want.Version || got.ErasedAt != want.ErasedAt || !got.Erasing || got.Status != Inactive ||
		got.FirstName != "erased" || got.LastName != "erased" || got.TotalOrders != 4 {
		t.Errorf("Erase = %+v, want %+v", got, want)
	}
	if c.LastBillingAddress.City != "London" {
		t.Errorf("Erase changed the caller's address")
	}
}
