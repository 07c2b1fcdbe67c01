package dynamo_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// The tests here and in store_test.go exercise what is DynamoDB's own (table creation, requests
// per operation, numbers as DynamoDB stores them) against a server speaking the DynamoDB API
// (TestStore runs them on each); every rule that holds for every store is in the contract suite,
// package storetest.

// orderInput is an order for a new customer with email. Its number is in DynamoDB's own form
// (12.5, not 12.50), so that it reads back as sent on every backend; testNumbersAsStored is about
// the other forms.
func orderInput(email string) order.Input {
	return order.Input{
		Customer: order.NewCustomer{Email: email, FirstName: "Ada", LastName: "Lovelace"},
		BillingAddress: customer.Address{
			ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB",
		},
		Items:        []order.Item{{SKU: "LAPTOP-1", Quantity: 1, ContractLength: 12}},
		CustomFields: map[string]any{"ref": "A1", "n": json.Number("12.5")},
	}
}

// newCustomer creates a customer through an order (the only way customers are made).
func newCustomer(t *testing.T, st *dynamo.Store, tenant, email string) customer.Customer {
	t.Helper()
	ctx := context.Background()
	o, _, err := st.CreateOrder(ctx, tenant, orderInput(email), order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder(%s): %v", email, err)
	}
	c, err := st.GetCustomer(ctx, tenant, o.Customer.CustomerID)
	if err != nil {
		t.Fatalf("GetCustomer: %v", err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// testNumbersAsStored checks docs/api.md's rule for custom field numbers: written as DynamoDB returns
// them (12.50 as 12.5, 1e20 as 100000000000000000000) in every response, the first one included,
// so each write's answer must carry the numbers a later read of the same item does. The numbers
// come as the HTTP layer hands them on, through the parsers, which put them in that form
// (customer.NormalizeNumber). moto keeps the literals sent, so only a backend that normalises
// numbers as DynamoDB does (dynoxide) can catch a response that echoes the request.
func testNumbersAsStored(t *testing.T, b *backend) {
	st := b.open(t)
	ctx := context.Background()
	// Down to DynamoDB's limits: 1e-130 and 38 nines at 1e125 are written out in full too.
	const fields = `{"price":12.50,"big":1e20,"small":-1.5E-3,"zero":-0.0,"int":100,"mixed":12.3400e1,` +
		`"tiny":1E-130,"huge":9.9999999999999999999999999999999999999e125,"ref":"A1"}`
	want := map[string]any{"price": json.Number("12.5"), "big": json.Number("100000000000000000000"),
		"small": json.Number("-0.0015"), "zero": json.Number("0"), "int": json.Number("100"), "mixed": json.Number("123.4"),
		"tiny": json.Number("0." + strings.Repeat("0", 129) + "1"), "huge": json.Number(strings.Repeat("9", 38) + strings.Repeat("0", 88)),
		"ref": "A1"}
	in, err := order.ParseInput([]byte(`{"customer":{"email":"numbers@example.com","firstName":"Ada","lastName":"Lovelace"},`+
		`"billingAddress":{"contactName":"Ada","streetAddress":"1 Main St","city":"London","country":"GB"},`+
		`"items":[{"sku":"LAPTOP-1","quantity":1,"contractLength":12}],"customFields":`+fields+`}`), customer.Lenient)
	if err != nil {
		t.Fatalf("ParseInput: %v", err)
	}
	o, _, err := st.CreateOrder(ctx, "t1", in, order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	read, err := st.GetOrder(ctx, "t1", o.OrderID)
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	check := func(what string, got, stored map[string]any) {
		t.Helper()
		if !reflect.DeepEqual(got, stored) {
			t.Errorf("%s: customFields %v, a later read %v", what, got, stored)
		}
		if !reflect.DeepEqual(stored, want) {
			t.Errorf("%s: stored customFields %v, want %v", what, stored, want)
		}
	}
	check("CreateOrder", o.CustomFields, read.CustomFields)

	id := o.Customer.CustomerID
	for _, body := range []string{
		`{"customFields":` + fields + `}`,
		`{"email":"moved@example.com","customFields":` + fields + `}`,
	} {
		p, err := customer.ParsePatch([]byte(body), id, customer.Lenient)
		if err != nil {
			t.Fatalf("ParsePatch(%s): %v", body, err)
		}
		got, err := st.UpdateCustomer(ctx, "t1", id, p, nil)
		if err != nil {
			t.Fatalf("UpdateCustomer(%s): %v", body, err)
		}
		c, err := st.GetCustomer(ctx, "t1", id)
		if err != nil {
			t.Fatalf("GetCustomer: %v", err)
		}
		check("UpdateCustomer("+body+")", got.CustomFields, c.CustomFields)
	}
}
