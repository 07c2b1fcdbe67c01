package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/flexportal-compat/customers-api/internal/apiclient"
)

// bigNumber has 20 significant digits: past what a float64 holds exactly (it would read back as
// 12345678901234567000), within the 38 digits of a DynamoDB number.
const bigNumber = "12345678901234567890"

// TestGeneratedClient drives the local server with the client oapi-codegen generates from
// openapi.yaml (internal/apiclient), as a Go developer would use it: it creates an order, then
// removes the customer's company and phone by sending null, and round-trips a custom-field number
// of 20 digits exactly through PUT and GET.
func TestGeneratedClient(t *testing.T) {
	const tenant, key = "acme", "s3cret"
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "client.db"), "-api-key", tenant+"="+key)
	c, err := apiclient.NewClientWithResponses(url, apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+key)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	created, err := c.CreateOrderWithResponse(ctx, &apiclient.CreateOrderParams{TenantID: tenant}, apiclient.OrderCreate{
		Customer: apiclient.OrderCustomer{
			Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
			Company: nullable.NewNullableWithValue[apiclient.OptionalText200]("Analytical Engines"),
			Phone:   nullable.NewNullableWithValue[apiclient.PhoneUpdate]("+44 20 7946 0000"),
		},
		BillingAddress: apiclient.Address{ContactName: "Ada Lovelace", StreetAddress: "12 St James's Square", City: "London", Country: "GB"},
		Items:          []apiclient.Item{{Sku: "LAPTOP-14", Quantity: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.JSON201 == nil {
		t.Fatalf("create order: %d %s, want 201", created.StatusCode(), created.Body)
	}
	id := created.JSON201.Order.Customer.CustomerId
	get := func(t *testing.T) *apiclient.GetCustomerResponse {
		t.Helper()
		got, err := c.GetCustomerWithResponse(ctx, id, &apiclient.GetCustomerParams{TenantID: tenant})
		if err != nil {
			t.Fatal(err)
		}
		if got.JSON200 == nil {
			t.Fatalf("get customer: %d %s, want 200", got.StatusCode(), got.Body)
		}
		return got
	}
	if cust := get(t).JSON200; cust.Company == nil || cust.Phone == nil {
		t.Fatalf("the order's customer has company %v, phone %v; want both", cust.Company, cust.Phone)
	}

	t.Run("null removes a field", func(t *testing.T) {
		var body apiclient.CustomerUpdate
		body.Company.SetNull()
		body.Phone.SetNull()
		sent, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"company":null,"phone":null}`; string(sent) != want {
			t.Fatalf("the client sends %s, want %s", sent, want)
		}
		put, err := c.UpdateCustomerWithResponse(ctx, id, &apiclient.UpdateCustomerParams{TenantID: tenant}, body)
		if err != nil {
			t.Fatal(err)
		}
		if put.JSON200 == nil {
			t.Fatalf("PUT: %d %s, want 200", put.StatusCode(), put.Body)
		}
		if cust := put.JSON200.Customer; cust.Company != nil || cust.Phone != nil {
			t.Errorf("PUT answers company %q, phone %q; want both gone", deref(cust.Company), deref(cust.Phone))
		}
		got := get(t)
		if cust := got.JSON200; cust.Company != nil || cust.Phone != nil {
			t.Errorf("GET answers company %q, phone %q; want both gone", deref(cust.Company), deref(cust.Phone))
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(got.Body, &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"company", "phone"} {
			if v, ok := raw[k]; ok {
				t.Errorf("GET body has %s: %s; want the key absent", k, v)
			}
		}
	})

	t.Run("a 20-digit custom-field number is exact", func(t *testing.T) {
		var big, gone apiclient.CustomFieldValue
		if err := big.FromCustomFieldValue1(json.Number(bigNumber)); err != nil {
			t.Fatal(err)
		}
		if err := gone.FromCustomFieldValue0("soon gone"); err != nil {
			t.Fatal(err)
		}
		first := apiclient.CustomFieldsPatch{"seats": &big, "trial": &gone}
		put, err := c.UpdateCustomerWithResponse(ctx, id, &apiclient.UpdateCustomerParams{TenantID: tenant}, apiclient.CustomerUpdate{CustomFields: &first})
		if err != nil {
			t.Fatal(err)
		}
		if put.JSON200 == nil {
			t.Fatalf("PUT: %d %s, want 200", put.StatusCode(), put.Body)
		}
		if !bytes.Contains(put.Body, []byte(`"seats":`+bigNumber)) {
			t.Errorf("PUT body %s does not hold seats %s as a JSON number", put.Body, bigNumber)
		}
		checkSeats(t, "PUT", put.JSON200.Customer.CustomFields)

		// A nil value is null: the key is removed (RFC 7396), the others kept.
		second := apiclient.CustomFieldsPatch{"trial": nil}
		put, err = c.UpdateCustomerWithResponse(ctx, id, &apiclient.UpdateCustomerParams{TenantID: tenant}, apiclient.CustomerUpdate{CustomFields: &second})
		if err != nil {
			t.Fatal(err)
		}
		if put.JSON200 == nil {
			t.Fatalf("PUT trial: null: %d %s, want 200", put.StatusCode(), put.Body)
		}
		got := get(t)
		if _, ok := got.JSON200.CustomFields["trial"]; ok {
			t.Errorf("GET customFields = %s; want trial removed by null", got.Body)
		}
		if !bytes.Contains(got.Body, []byte(`"seats":`+bigNumber)) {
			t.Errorf("GET body %s does not hold seats %s as a JSON number", got.Body, bigNumber)
		}
		checkSeats(t, "GET", got.JSON200.CustomFields)
	})
}

// checkSeats fails unless fields holds seats as the number bigNumber, digit for digit, read
// through the generated type.
func checkSeats(t *testing.T, what string, fields apiclient.CustomFields) {
	t.Helper()
	v, ok := fields["seats"]
	if !ok {
		t.Errorf("%s: customFields has no seats", what)
		return
	}
	n, err := v.AsCustomFieldValue1()
	if err != nil {
		t.Errorf("%s: seats is not a number: %v", what, err)
		return
	}
	if n.String() != bigNumber {
		t.Errorf("%s: seats = %s, want %s exactly", what, n, bigNumber)
	}
}

func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
