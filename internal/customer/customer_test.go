package customer_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

func TestNormalized(t *testing.T) {
	full := customer.Customer{
		CustomFields: map[string]any{"plan": "gold"},
		OrderIDs:     []string{"ord_1"},
		RentalIDs:    []string{"sub_1"},
		CreatedBy:    "apikey:key_1",
	}
	tests := []struct {
		name string
		c    customer.Customer
		want customer.Customer
	}{
		{"nil collections become empty ones, no creator the unknown one", customer.Customer{},
			customer.Customer{CustomFields: map[string]any{}, OrderIDs: []string{}, RentalIDs: []string{}, CreatedBy: customer.UnknownCreator}},
		{"set collections and creator are kept", full, full},
		{"only the nil ones are replaced", customer.Customer{OrderIDs: []string{"ord_1"}, CreatedBy: "apikey:key_2"},
			customer.Customer{CustomFields: map[string]any{}, OrderIDs: []string{"ord_1"}, RentalIDs: []string{}, CreatedBy: "apikey:key_2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.Normalized()
			// DeepEqual tells nil from empty, which is the point here.
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Normalized() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCreatedByKey(t *testing.T) {
	if got, want := customer.CreatedByKey("key_01JD5X9K3M4N5P6Q7R8S9T0V1W"), "apikey:key_01JD5X9K3M4N5P6Q7R8S9T0V1W"; got != want {
		t.Errorf("CreatedByKey = %q, want %q", got, want)
	}
}

func TestETagAndTimestamp(t *testing.T) {
	for _, tt := range []struct {
		v    int64
		want string
	}{{1, `"1"`}, {42, `"42"`}} {
		if got := customer.ETag(tt.v); got != tt.want {
			t.Errorf("ETag(%d) = %s, want %s", tt.v, got, tt.want)
		}
	}
	// Another zone and sub-millisecond digits: UTC, cut (not rounded) to milliseconds.
	at := time.Date(2030, 1, 2, 4, 4, 5, 678_900_000, time.FixedZone("CET", 3600))
	if got, want := customer.Timestamp(at), "2030-01-02T03:04:05.678Z"; got != want {
		t.Errorf("Timestamp(%v) = %s, want %s", at, got, want)
	}
}
