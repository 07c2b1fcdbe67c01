package dynamo

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

func TestIsCustomerKey(t *testing.T) {
	tests := []struct {
		name string
		key  map[string]types.AttributeValue
		want bool
	}{
		{"customer", customerKey("t1", "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"), true},
		{"email reservation", emailKey("t1", "ada@example.com"), false},
		{"order", orderKey("t1", "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"), false},
		{"idempotency record", idempotencyKey("t1", "k"), false},
		{"API key", apiKeyKey("abc"), false},
		{"customer sort key outside a tenant", key("OTHER#x", prefixCustomer+"c"), false},
		{"no sort key", map[string]types.AttributeValue{AttrPK: attrS("TENANT#t1")}, false},
		{"number sort key", map[string]types.AttributeValue{AttrPK: attrS("TENANT#t1"), AttrSK: &types.AttributeValueMemberN{Value: "1"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCustomerKey(tt.key); got != tt.want {
				t.Errorf("IsCustomerKey(%v) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// TestDecodeCustomerReadsStoredItems checks that an item as the store writes it decodes to the
// customer it was made from, custom field numbers exact.
func TestDecodeCustomerReadsStoredItems(t *testing.T) {
	c := customer.Customer{
		CustomerID: "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", TenantID: "t1", Email: "ada@example.com",
		FirstName: "Ada", LastName: "Lovelace", CustomerType: customer.Individual, Status: customer.Active,
		CustomFields: map[string]any{"plan": "gold", "seats": json.Number("12.50"), "vip": true},
		CreatedAt:    "2026-01-02T03:04:05.000Z", UpdatedAt: "2026-01-02T03:04:05.000Z", Version: 3, PendingOrders: 2,
	}
	item, err := customerItem(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCustomer(item)
	if err != nil {
		t.Fatalf("DecodeCustomer: %v", err)
	}
	gotJSON, _ := json.Marshal(got)
	c.OrderIDs, c.RentalIDs = []string{}, []string{}
	wantJSON, _ := json.Marshal(c)
	if string(gotJSON) != string(wantJSON) || got.PendingOrders != 2 {
		t.Errorf("DecodeCustomer(customerItem(c)) = %s (pending %d), want %s (pending 2)", gotJSON, got.PendingOrders, wantJSON)
	}
}
