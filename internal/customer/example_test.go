package customer_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// A field that is absent is left unchanged, a value replaces it, and null removes an optional field.
func ExampleParsePatch() {
	p, err := customer.ParsePatch([]byte(`{"firstName": "  Ann ", "company": null}`), "cust_1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("firstName: %q\n", *p.FirstName)
	fmt.Println("lastName absent:", p.LastName == nil)
	fmt.Println("company removed:", p.Company.Set && p.Company.Value == nil)
	fmt.Println("phone absent:", !p.Phone.Set)
	// Output:
	// firstName: "Ann"
	// lastName absent: true
	// company removed: true
	// phone absent: true
}

// null is not allowed for a required field; every failing field is reported with its JSON path,
// its zod issue code and zod's message, as FlexPortal reports it.
func ExampleParsePatch_invalid() {
	_, err := customer.ParsePatch([]byte(`{
		"email": null,
		"customerType": "company",
		"billingAddress": {"contactName": "Ann", "streetAddress": "1 Main St", "country": "US"},
		"customFields": {"seats": [12]},
		"version": 7
	}`), "cust_1")
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

// A body that changes nothing is refused, also when it holds only the customer's own id.
func ExampleParsePatch_nothingToChange() {
	_, err := customer.ParsePatch([]byte(`{"customerId": "cust_1"}`), "cust_1")
	var v *fault.ValidationError
	if errors.As(err, &v) {
		fmt.Printf("%q (%s): %s\n", v.Fields[0].Path, v.Fields[0].Code, v.Fields[0].Message)
	}
	// Output:
	// "" (custom): The body must contain at least one field to update
}

// customFields is merged key by key (RFC 7396): a value sets the key, null removes it, and keys
// not named are kept.
func ExampleParsePatch_customFields() {
	c := customer.Customer{CustomFields: map[string]any{"plan": "silver", "old": true, "region": "eu"}, Version: 1}
	p, err := customer.ParsePatch([]byte(`{"customFields": {"plan": "gold", "old": null, "seats": 12.50}}`), "cust_1")
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
	// map[plan:gold region:eu seats:12.50]
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
