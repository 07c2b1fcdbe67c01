package customer_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// A field that is absent is left unchanged, a value replaces it, and null removes an optional
// field, as "" does for company and phone.
func ExampleParsePatch() {
	p, err := customer.ParsePatch([]byte(`{"firstName": "  Ann ", "company": null, "phone": ""}`), "cust_1", customer.Lenient)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("firstName: %q\n", *p.FirstName)
	fmt.Println("lastName absent:", p.LastName == nil)
	fmt.Println("company removed:", p.Company.Set && p.Company.Value == nil)
	fmt.Println("phone removed:", p.Phone.Set && p.Phone.Value == nil)
	fmt.Println("email absent:", p.Email == nil)
	// Output:
	// firstName: "Ann"
	// lastName absent: true
	// company removed: true
	// phone removed: true
	// email absent: true
}

// null is not allowed for a required field; every failing field is reported with its JSON path,
// its zod issue code and zod's message, as FlexPortal reports it. Unknown and read-only fields
// (version) are failures only under customer.Strict (Prefer: handling=strict).
func ExampleParsePatch_invalid() {
	_, err := customer.ParsePatch([]byte(`{
		"email": null,
		"customerType": "company",
		"billingAddress": {"contactName": "Ann", "streetAddress": "1 Main St", "country": "US"},
		"customFields": {"seats": [12]},
		"version": 7
	}`), "cust_1", customer.Strict)
	var v *fault.ValidationError
	if errors.As(err, &v) {
		fmt.Println(v.Summary())
		for _, f := range v.Fields {
			fmt.Printf("%s (%s): %s\n", f.Path, f.Code, f.Message)
		}
	}
	// Output:
	// Invalid request body
	// billingAddress.city (invalid_type): Required
	// customFields.seats (invalid_type): Expected string, number or boolean, received array
	// customerType (invalid_enum_value): Invalid enum value. Expected 'individual' | 'business', received 'company'
	// email (invalid_type): Expected string, received null
	// version (unrecognized_keys): Unrecognized key(s) in object: 'version'
}

// A body that changes nothing is valid: an empty patch, which PUT answers with the customer as it
// is. Read-only and unknown fields are ignored, so a client may send back what it read.
func ExampleParsePatch_nothingToChange() {
	p, err := customer.ParsePatch([]byte(`{"customerId": "cust_1", "version": 3, "totalOrders": 2, "nickname": "A"}`), "cust_1", customer.Lenient)
	fmt.Println(p.Empty(), err)
	// Output:
	// true <nil>
}

// customFields is merged key by key (RFC 7396): a value sets the key, null removes it, and keys
// not named are kept. Numbers are kept by value, written as DynamoDB gives them back (12.5).
func ExampleParsePatch_customFields() {
	c := customer.Customer{CustomFields: map[string]any{"plan": "silver", "old": true, "region": "eu"}, Version: 1}
	p, err := customer.ParsePatch([]byte(`{"customFields": {"plan": "gold", "old": null, "seats": 12.50}}`), "cust_1", customer.Lenient)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err = p.Apply(c, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.CustomFields)
	fmt.Println("version:", c.Version, "updatedAt:", c.UpdatedAt)
	// Output:
	// map[plan:gold region:eu seats:12.5]
	// version: 2 updatedAt: 2025-01-02T03:04:05.000Z
}

// A body that is not one JSON object, or holds a key twice, is a bad request rather than a
// validation error.
func ExampleDecodeBody() {
	for _, body := range []string{``, `[1]`, `{"email": "a@b.c", "email": "x@y.z"}`} {
		_, err := customer.DecodeBody([]byte(body))
		fmt.Println(fault.KindOf(err) == fault.BadRequest, err)
	}
	// Output:
	// true Request body is empty
	// true Request body must be a JSON object
	// true Request body has a duplicate key: "email"
}
