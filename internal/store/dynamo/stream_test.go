package dynamo

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

func TestIsCustomerKeyIsOrderKey(t *testing.T) {
	tests := []struct {
		name            string
		key             map[string]types.AttributeValue
		isCust, isOrder bool
	}{
		{"customer", customerKey("t1", "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"), true, false},
		{"order", orderKey("t1", "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"), false, true},
		{"email reservation", emailKey("t1", "ada@example.com"), false, false},
		{"idempotency record", idempotencyKey("t1", "k"), false, false},
		{"API key", apiKeyKey("abc"), false, false},
		{"API key under its tenant", apiKeyTenantKey("t1", "key_1"), false, false},
		{"customer sort key outside a tenant", key("OTHER#x", prefixCustomer+"c"), false, false},
		{"order sort key outside a tenant", key("OTHER#x", prefixOrder+"o"), false, false},
		{"no sort key", map[string]types.AttributeValue{AttrPK: attrS("TENANT#t1")}, false, false},
		{"number sort key", map[string]types.AttributeValue{AttrPK: attrS("TENANT#t1"), AttrSK: &types.AttributeValueMemberN{Value: "1"}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCustomerKey(tt.key); got != tt.isCust {
				t.Errorf("IsCustomerKey(%v) = %v, want %v", tt.key, got, tt.isCust)
			}
			if got := IsOrderKey(tt.key); got != tt.isOrder {
				t.Errorf("IsOrderKey(%v) = %v, want %v", tt.key, got, tt.isOrder)
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
		CreatedAt:    "2026-01-02T03:04:05.000Z", UpdatedAt: "2026-01-02T03:04:05.000Z", CreatedBy: "apikey:key_1", Version: 3, PendingOrders: 2,
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

// TestDecodeOrderReadsStoredItems checks that an order item as the store writes it, with the mark
// of the request that cancelled it, decodes to the order it was made from.
func TestDecodeOrderReadsStoredItems(t *testing.T) {
	o := order.Order{
		OrderID: "ord_01JD5XA2B3C4D5E6F7G8H9J0KM", TenantID: "t1", Status: order.Cancelled, OrderType: order.Standard,
		Customer:       order.Snapshot{CustomerID: "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"},
		Items:          []order.Line{{Item: order.Item{SKU: "LAPTOP-1", Quantity: 1, ContractLength: 12}}},
		CustomFields:   map[string]any{"po": "PO-7", "lines": json.Number("2.50")},
		CreatedAt:      "2026-01-02T03:04:05.000Z", UpdatedAt: "2026-01-03T03:04:05.000Z", CancellationReason: "duplicate",
		CreatedBy: "apikey:key_1",
	}
	o = o.Normalized() // as order.New makes every order now
	item, err := orderItem(o)
	if err != nil {
		t.Fatal(err)
	}
	item["cancelKey"], item["cancelHash"] = attrS("k-1"), attrS("h-1")
	got, err := DecodeOrder(item)
	if err != nil {
		t.Fatalf("DecodeOrder: %v", err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(o)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("DecodeOrder(orderItem(o)) = %s, want %s", gotJSON, wantJSON)
	}
}

// TestDecodeLegacyItems: customer and order items written before createdBy, an order's shipping
// address, its rental fields and its lines' rental state existed decode with them filled in.
func TestDecodeLegacyItems(t *testing.T) {
	o := order.Order{OrderID: "ord_01JD5XA2B3C4D5E6F7G8H9J0KM", TenantID: "t1", Status: order.Pending, OrderType: order.Standard,
		Customer:       order.Snapshot{CustomerID: "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
		BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"},
		Items:          []order.Line{{Item: order.Item{SKU: "A", Quantity: 2, ContractLength: 12}}},
	}
	item, err := orderItem(o)
	if err != nil {
		t.Fatal(err)
	}
	// What an older version wrote: none of the new attributes at all, and lines of three.
	for _, k := range []string{"shippingAddress", "rentalProgress", "rentalIds", "createdBy"} {
		delete(item, k)
	}
	item["items"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"sku": attrS("A"), "quantity": &types.AttributeValueMemberN{Value: "2"}, "contractLength": &types.AttributeValueMemberN{Value: "12"},
	}}}}
	got, err := DecodeOrder(item)
	if err != nil {
		t.Fatalf("DecodeOrder(legacy): %v", err)
	}
	if got.ShippingAddress == nil || *got.ShippingAddress != o.BillingAddress || got.CreatedBy != customer.UnknownCreator ||
		got.RentalProgress != (order.RentalProgress{TotalDevices: 2}) || got.RentalIDs == nil ||
		got.Items[0].RentalIDs == nil || got.Items[0].RentalStatus != order.LinePending {
		t.Errorf("DecodeOrder(legacy) = %+v, want shipping = billing, createdBy %s, 2 devices, a pending line", got, customer.UnknownCreator)
	}
	c := customer.Customer{CustomerID: "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", TenantID: "t1", Email: "ada@example.com", Status: customer.Active}
	citem, err := customerItem(c)
	if err != nil {
		t.Fatal(err)
	}
	delete(citem, "createdBy")
	if got, err := DecodeCustomer(citem); err != nil || got.CreatedBy != customer.UnknownCreator {
		t.Errorf("DecodeCustomer(legacy) = createdBy %q, %v; want %q", got.CreatedBy, err, customer.UnknownCreator)
	}
}
