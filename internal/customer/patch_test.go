package customer

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

func sampleCustomer() Customer {
	billing := Address{ContactName: "Ann", StreetAddress: "1 Main St", City: "Springfield", Country: "US"}
	return Customer{
		CustomerID: "cust_1", TenantID: "t1", Email: "ann@example.com", FirstName: "Ann", LastName: "Lee",
		Company: "Acme", Phone: "555-1234", CustomerType: Business, Status: Active,
		LastBillingAddress: &billing,
		CustomFields:       map[string]any{"plan": "silver", "old": true, "seats": json.Number("3")},
		OrderIDs:           []string{}, RentalIDs: []string{},
		CreatedAt: "2024-01-01T00:00:00.000Z", UpdatedAt: "2024-01-01T00:00:00.000Z", Version: 4,
	}
}

func TestPatchApply(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 891234567, time.UTC)
	shipping := Address{ContactName: "Bob", StreetAddress: "2 Side St", City: "Shelbyville", Country: "US"}
	tests := []struct {
		name  string
		patch Patch
		edit  func(c *Customer) // the expected change, besides version and updatedAt
	}{
		{"names and email", Patch{Email: ptr("new@example.com"), FirstName: ptr("Anna"), LastName: ptr("Li")}, func(c *Customer) {
			c.Email, c.FirstName, c.LastName = "new@example.com", "Anna", "Li"
		}},
		{"company and phone removed", Patch{Company: Optional[string]{Set: true}, Phone: Optional[string]{Set: true}}, func(c *Customer) {
			c.Company, c.Phone = "", ""
		}},
		{"company and phone replaced", Patch{Company: Optional[string]{Set: true, Value: ptr("Initech")}, Phone: Optional[string]{Set: true, Value: ptr("112")}}, func(c *Customer) {
			c.Company, c.Phone = "Initech", "112"
		}},
		{"type and status", Patch{CustomerType: ptr(Individual), Status: ptr(Inactive)}, func(c *Customer) {
			c.CustomerType, c.Status = Individual, Inactive
		}},
		{"billing removed, shipping set", Patch{BillingAddress: Optional[Address]{Set: true}, ShippingAddress: Optional[Address]{Set: true, Value: &shipping}}, func(c *Customer) {
			c.LastBillingAddress, c.LastShippingAddress = nil, &shipping
		}},
		{"custom fields merged: set, replace, remove, remove absent", Patch{CustomFields: map[string]any{"plan": "gold", "old": nil, "new": false, "never": nil}}, func(c *Customer) {
			c.CustomFields = map[string]any{"plan": "gold", "seats": json.Number("3"), "new": false}
		}},
		{"absent fields unchanged", Patch{Status: ptr(Active)}, func(*Customer) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sampleCustomer()
			got, err := tt.patch.Apply(before, now)
			if err != nil {
				t.Fatalf("Apply() error = %v, want nil", err)
			}
			want := sampleCustomer()
			tt.edit(&want)
			want.Version = 5
			want.UpdatedAt = "2025-03-04T05:06:07.891Z"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Apply() =\n%+v\nwant\n%+v", got, want)
			}
			if !reflect.DeepEqual(before, sampleCustomer()) {
				t.Errorf("Apply() changed its input to %+v", before)
			}
		})
	}
}

func TestPatchApplyCopiesAddress(t *testing.T) {
	a := Address{ContactName: "Ann", StreetAddress: "1 Main St", City: "Springfield", Country: "US"}
	got, err := Patch{BillingAddress: Optional[Address]{Set: true, Value: &a}}.Apply(sampleCustomer(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.City = "Elsewhere"
	if got.LastBillingAddress.City != "Springfield" {
		t.Errorf("LastBillingAddress.City = %q after the patch's address changed, want %q", got.LastBillingAddress.City, "Springfield")
	}
}

func TestPatchApplyNilCustomFields(t *testing.T) {
	c := sampleCustomer()
	c.CustomFields = nil
	got, err := Patch{CustomFields: map[string]any{"a": "x", "b": nil}}.Apply(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"a": "x"}; !reflect.DeepEqual(got.CustomFields, want) {
		t.Errorf("CustomFields = %v, want %v", got.CustomFields, want)
	}
}

func TestPatchApplyCustomFieldLimit(t *testing.T) {
	with := func(n int) Customer {
		c := sampleCustomer()
		c.CustomFields = map[string]any{}
		for i := range n {
			c.CustomFields["k"+strconv.Itoa(i)] = true
		}
		return c
	}
	tests := []struct {
		name     string
		existing int
		patch    map[string]any
		ok       bool
	}{
		{"49 plus one new", 49, map[string]any{"new": 1}, true},
		{"50 plus one new", 50, map[string]any{"new": true}, false},
		{"50 plus a replacement", 50, map[string]any{"k0": false}, true},
		{"50 plus one new and one removed", 50, map[string]any{"new": true, "k1": nil}, true},
		{"50 plus two new and one removed", 50, map[string]any{"new": true, "new2": true, "k1": nil}, false},
		{"50 plus a removal of an absent key", 50, map[string]any{"absent": nil}, true},
		{"0 plus 50 new", 0, customFieldsMap(50), true},
		{"1 plus 3 new", 1, map[string]any{"x": 1, "y": 1, "z": 1}, true},
		{"48 plus 3 new", 48, map[string]any{"x": 1, "y": 1, "z": 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Patch{CustomFields: tt.patch}.Apply(with(tt.existing), time.Now())
			if tt.ok {
				if err != nil || len(got.CustomFields) > MaxCustomFields {
					t.Errorf("Apply() = %d keys, %v, want at most %d keys, nil", len(got.CustomFields), err, MaxCustomFields)
				}
				return
			}
			var v *fault.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Apply() error = %v, want a *fault.ValidationError", err)
			}
			if want := fields("customFields", fault.TooBig, "Object must contain at most 50 key(s)"); !reflect.DeepEqual(v.Fields, want) {
				t.Errorf("Apply() details = %v, want %v", v.Fields, want)
			}
		})
	}
}

func TestPatchEmpty(t *testing.T) {
	tests := []struct {
		patch Patch
		want  bool
	}{
		{Patch{}, true},
		{Patch{CustomFields: map[string]any{}}, true},
		{Patch{CustomFields: map[string]any{"a": nil}}, false},
		{Patch{Company: Optional[string]{Set: true}}, false},
		{Patch{ShippingAddress: Optional[Address]{Set: true}}, false},
		{Patch{Status: ptr(Active)}, false},
	}
	for _, tt := range tests {
		if got := tt.patch.Empty(); got != tt.want {
			t.Errorf("%s.Empty() = %v, want %v", dump(tt.patch), got, tt.want)
		}
	}
}
