package order

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// fields is shorthand for the expected details of a validation error: path, code, message…
func fields(triples ...any) []fault.FieldError {
	var out []fault.FieldError
	for i := 0; i+2 < len(triples); i += 3 {
		out = append(out, fault.FieldError{Path: triples[i].(string), Code: triples[i+1].(fault.IssueCode), Message: triples[i+2].(string)})
	}
	return out
}

const (
	cust  = `"customer":{"email":"ann@example.com","firstName":"Ann","lastName":"Lee"}`
	bill  = `"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US"}`
	items = `"items":[{"sku":"MBP-14","quantity":2,"contractLength":24}]`
	base  = cust + "," + bill + "," + items
)

// body returns an order body with the required fields and extra members.
func body(extra ...string) string {
	return "{" + strings.Join(append([]string{base}, extra...), ",") + "}"
}

func baseInput() Input {
	return Input{
		Customer:       NewCustomer{Email: "ann@example.com", FirstName: "Ann", LastName: "Lee", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Ann Lee", StreetAddress: "1 Main St", City: "Springfield", Country: "US"},
		Items:          []Item{{SKU: "MBP-14", Quantity: 2, ContractLength: 24}},
		OrderType:      Standard,
		CustomFields:   map[string]any{},
	}
}

func TestParseInputValid(t *testing.T) {
	ship := customer.Address{ContactName: "Bob", Company: "Acme", StreetAddress: "2 Side St", City: "Shelbyville", Country: "US"}
	tests := []struct {
		name string
		body string
		edit func(*Input)
	}{
		{"minimal, defaults filled in", body(), func(*Input) {}},
		{"optional nulls are absent", body(`"shippingAddress":null`, `"orderType":null`, `"customFields":null`, `"notes":null`), func(*Input) {}},
		{"customer optional fields", `{"customer":{"email":" Ann@Example.com","firstName":" Ann ","lastName":"Lee","company":"Acme ","phone":" +44 20 7946 0958","customerType":"business"},` + bill + "," + items + "}",
			func(in *Input) {
				in.Customer = NewCustomer{Email: "Ann@Example.com", FirstName: "Ann", LastName: "Lee", Company: "Acme", Phone: "+44 20 7946 0958", CustomerType: customer.Business}
			}},
		{"customer optional nulls", `{"customer":{"email":"ann@example.com","firstName":"Ann","lastName":"Lee","company":null,"phone":null,"customerType":null},` + bill + "," + items + "}",
			func(*Input) {}},
		{"shipping address", body(`"shippingAddress":{"contactName":"Bob","company":"Acme","streetAddress":"2 Side St","city":"Shelbyville","country":"US","postalCode":null}`),
			func(in *Input) { in.ShippingAddress = &ship }},
		{"order types", body(`"orderType":" upgrade "`), func(in *Input) { in.OrderType = Upgrade }},
		{"extension", body(`"orderType":"extension"`), func(in *Input) { in.OrderType = Extension }},
		{"custom fields", body(`"customFields":{"ref":" PO-1 ","amount":12.50,"rush":true}`),
			func(in *Input) {
				in.CustomFields = map[string]any{"ref": "PO-1", "amount": json.Number("12.5"), "rush": true}
			}},
		{"notes trimmed", body(`"notes":"  leave at door "`), func(in *Input) { in.Notes = "leave at door" }},
		{"tab, CR and LF inside notes", body(`"notes":"line 1\r\n\tline 2\nline 3"`), func(in *Input) { in.Notes = "line 1\r\n\tline 2\nline 3" }},
		{"notes of 1000 characters", body(`"notes":"` + strings.Repeat("ñ", 1000) + `"`), func(in *Input) { in.Notes = strings.Repeat("ñ", 1000) }},
		{"items at their limits", `{` + cust + "," + bill + `,"items":[{"sku":"` + strings.Repeat("s", 64) + `","quantity":1000,"contractLength":120},{"sku":" a ","quantity":1,"contractLength":1}]}`,
			func(in *Input) {
				in.Items = []Item{{SKU: strings.Repeat("s", 64), Quantity: 1000, ContractLength: 120}, {SKU: "a", Quantity: 1, ContractLength: 1}}
			}},
		{"100 items", `{` + cust + "," + bill + `,"items":[` + strings.Repeat(`{"sku":"a","quantity":1,"contractLength":1},`, 99) + `{"sku":"a","quantity":1,"contractLength":1}]}`,
			func(in *Input) {
				in.Items = nil
				for range 100 {
					in.Items = append(in.Items, Item{SKU: "a", Quantity: 1, ContractLength: 1})
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInput([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseInput(%s) error = %v %+v, want nil", tt.body, err, err)
			}
			want := baseInput()
			tt.edit(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseInput(%s) =\n%+v\nwant\n%+v", tt.body, got, want)
			}
		})
	}
}

func TestParseInputBadRequest(t *testing.T) {
	for _, b := range []string{``, ` `, `[` + base + `]`, `null`, `"x"`, `{` + base + `,"items":[]}`,
		`{` + base + `}x`, `{` + base + `}{}`, `{` + base + `,"customer":{"email":"a@b.c","email":"a@b.c"}}`,
		`{"customer":{"email":"a@b.c","email":"x@b.c"}}`, `{"items":[{"sku":"a","sku":"b"}]}`, "{\"notes\":\"\xc3\"}"} {
		_, err := ParseInput([]byte(b))
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.BadRequest {
			t.Errorf("ParseInput(%q) error = %v, want a BadRequest *fault.Error", b, err)
		}
	}
}

func TestParseInputInvalid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []fault.FieldError
	}{
		{"empty object", `{}`, fields("billingAddress", fault.InvalidType, "Required", "customer", fault.InvalidType, "Required", "items", fault.InvalidType, "Required")},
		{"required nulls", `{"customer":null,"billingAddress":null,"items":null}`,
			fields("billingAddress", fault.InvalidType, "Expected object, received null", "customer", fault.InvalidType, "Expected object, received null",
				"items", fault.InvalidType, "Expected array, received null")},
		{"wrong types", `{"customer":[],"billingAddress":"x","shippingAddress":1,"items":{},"orderType":1,"customFields":"x","notes":5}`,
			fields("billingAddress", fault.InvalidType, "Expected object, received string", "customFields", fault.InvalidType, "Expected object, received string",
				"customer", fault.InvalidType, "Expected object, received array", "items", fault.InvalidType, "Expected array, received object",
				"notes", fault.InvalidType, "Expected string, received number", "orderType", fault.InvalidType, "Expected string, received number",
				"shippingAddress", fault.InvalidType, "Expected object, received number")},
		{"unknown and read-only top-level fields", body(`"orderId":"ord_1"`, `"status":"pending"`, `"foo":null`),
			fields("foo", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'foo'", "orderId", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'orderId'", "status", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'status'")},
		{"customer missing everything", `{"customer":{},` + bill + "," + items + "}",
			fields("customer.email", fault.InvalidType, "Required", "customer.firstName", fault.InvalidType, "Required", "customer.lastName", fault.InvalidType, "Required")},
		{"customer field errors", `{"customer":{"email":"Ann <ann@example.com>","firstName":" ","lastName":null,"company":"","phone":"(-)","customerType":"company","customerId":"c"},` + bill + "," + items + "}",
			fields("customer.customerId", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'customerId'", "customer.customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received 'company'", "customer.email", fault.InvalidString, "Invalid email format", "customer.firstName", fault.TooSmall, "String must contain at least 1 character(s)", "customer.lastName", fault.InvalidType, "Expected string, received null", "customer.phone", fault.Custom, "Must contain at least one digit")},
		{"addresses", `{` + cust + `,"billingAddress":{"contactName":"A","streetAddress":"S","country":"US","zip":"1"},"shippingAddress":{"city":"` + strings.Repeat("c", 201) + `"},` + items + "}",
			fields("billingAddress.city", fault.InvalidType, "Required", "shippingAddress.city", fault.TooBig, "String must contain at most 200 character(s)", "shippingAddress.contactName", fault.InvalidType, "Required", "shippingAddress.country", fault.InvalidType, "Required", "shippingAddress.streetAddress", fault.InvalidType, "Required")},
		{"no items", `{` + cust + "," + bill + `,"items":[]}`, fields("items", fault.TooSmall, "Array must contain at least 1 element(s)")},
		{"101 items", `{` + cust + "," + bill + `,"items":[` + strings.Repeat(`{},`, 100) + `{}]}`, fields("items", fault.TooBig, "Array must contain at most 100 element(s)")},
		{"item errors", `{` + cust + "," + bill + `,"items":[{"sku":"a","quantity":1,"contractLength":1},"x",null,{},` +
			`{"sku":"` + strings.Repeat("s", 65) + `","quantity":0,"contractLength":121,"price":1},` +
			`{"sku":" ","quantity":1.5,"contractLength":"12"},` +
			`{"sku":1,"quantity":1001,"contractLength":-1},` +
			`{"sku":null,"quantity":null,"contractLength":99999999999999999999999},` +
			`{"sku":"a","quantity":2e0,"contractLength":24.0}]}`,
			fields("items.1", fault.InvalidType, "Expected object, received string", "items.2", fault.InvalidType, "Expected object, received null",
				"items.3.contractLength", fault.InvalidType, "Required", "items.3.quantity", fault.InvalidType, "Required", "items.3.sku", fault.InvalidType, "Required",
				"items.4.contractLength", fault.TooBig, "Number must be less than or equal to 120", "items.4.price", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'price'",
				"items.4.quantity", fault.TooSmall, "Number must be greater than or equal to 1", "items.4.sku", fault.TooBig, "String must contain at most 64 character(s)",
				"items.5.contractLength", fault.InvalidType, "Expected number, received string", "items.5.quantity", fault.InvalidType, "Expected integer, received float",
				"items.5.sku", fault.TooSmall, "String must contain at least 1 character(s)",
				"items.6.contractLength", fault.TooSmall, "Number must be greater than or equal to 1", "items.6.quantity", fault.TooBig, "Number must be less than or equal to 1000",
				"items.6.sku", fault.InvalidType, "Expected string, received number",
				"items.7.contractLength", fault.TooBig, "Number must be less than or equal to 120", "items.7.quantity", fault.InvalidType, "Expected number, received null",
				"items.7.sku", fault.InvalidType, "Expected string, received null",
				"items.8.contractLength", fault.InvalidType, "Expected integer, received float", "items.8.quantity", fault.InvalidType, "Expected integer, received float")},
		{"order type", body(`"orderType":"rental"`), fields("orderType", fault.InvalidEnumValue, "Invalid enum value. Expected 'standard' | 'extension' | 'upgrade', received 'rental'")},
		{"blank order type", body(`"orderType":" "`), fields("orderType", fault.InvalidEnumValue, "Invalid enum value. Expected 'standard' | 'extension' | 'upgrade', received ''")},
		{"custom fields", body(`"customFields":{"gone":null,"obj":{"a":1},"big":1e200,"a[1]":true," ":1,"` + strings.Repeat("k", 41) + `":1}`),
			fields("customFields. ", fault.Custom, "Key must not be only white space", "customFields.big", fault.Custom, "Number must be 0 or of magnitude from 1e-130 to below 1e126", "customFields.gone", fault.InvalidType, "Expected string, number or boolean, received null",
				"customFields."+strings.Repeat("k", 41), fault.TooBig, "Key must contain at most 40 character(s)",
				"customFields.obj", fault.InvalidType, "Expected string, number or boolean, received object")},
		{"51 custom fields", body(`"customFields":{` + manyFields(51) + `}`), fields("customFields", fault.TooBig, "Object must contain at most 50 key(s)")},
		{"notes too long", body(`"notes":"` + strings.Repeat("n", 1001) + `"`), fields("notes", fault.TooBig, "String must contain at most 1000 character(s)")},
		{"control characters in notes", body(`"notes":"a\u0000b"`), fields("notes", fault.Custom, "Must not contain control characters")},
		{"vertical tab in notes", body(`"notes":"a\u000bb"`), fields("notes", fault.Custom, "Must not contain control characters")},
		{"control characters in order strings", `{"customer":{"email":"ann@example.com","firstName":"Ann\u0000","lastName":"Lee","company":"A\tB","phone":"555 123\n4"},` +
			`"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Spring\u0000field","country":"US"},` +
			`"items":[{"sku":"MBP\u000014","quantity":1,"contractLength":1}],"orderType":"standard\u0000","customFields":{"k":"v\u0001"}}`,
			fields("billingAddress.city", fault.Custom, "Must not contain control characters", "customFields.k", fault.Custom, "Must not contain control characters", "customer.company", fault.Custom, "Must not contain control characters", "customer.firstName", fault.Custom, "Must not contain control characters", "customer.phone", fault.Custom, "Must not contain control characters", "items.0.sku", fault.Custom, "Must not contain control characters", "orderType", fault.Custom, "Must not contain control characters")},
		{"blank notes", body(`"notes":" \t\n "`), fields("notes", fault.TooSmall, "String must contain at least 1 character(s)")},
		{"empty notes", body(`"notes":""`), fields("notes", fault.TooSmall, "String must contain at least 1 character(s)")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ParseInput([]byte(tt.body))
			var v *fault.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("ParseInput(%s) = %+v, %v, want a *fault.ValidationError", tt.body, in, err)
			}
			if !reflect.DeepEqual(v.Fields, tt.want) {
				t.Errorf("ParseInput(%s) details =\n%v\nwant\n%v", tt.body, v.Fields, tt.want)
			}
			if !reflect.DeepEqual(in, Input{}) {
				t.Errorf("ParseInput(%s) = %+v with an error, want the zero Input", tt.body, in)
			}
		})
	}
}

func manyFields(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"k` + strconv.Itoa(i) + `":1`
	}
	return strings.Join(parts, ",")
}

func TestParseInputFiftyCustomFields(t *testing.T) {
	in, err := ParseInput([]byte(body(`"customFields":{` + manyFields(50) + `}`)))
	if err != nil || len(in.CustomFields) != 50 {
		t.Errorf("ParseInput(50 custom fields) = %d fields, %v, want 50, nil", len(in.CustomFields), err)
	}
}

func TestInputHash(t *testing.T) {
	hash := func(b string) string {
		t.Helper()
		in, err := ParseInput([]byte(b))
		if err != nil {
			t.Fatalf("ParseInput(%s) error = %v", b, err)
		}
		return in.Hash()
	}
	h := hash(body(`"customFields":{"a":1,"b":"x"}`))
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("Hash() = %q, want 64 lower-case hex digits", h)
	}
	same := []string{
		// Key order, white space, trimming and defaults do not matter.
		`{ "customFields" : { "b" : "x", "a" : 1 }, ` + items + ", " + bill + ", " + cust + ` }`,
		body(`"customFields":{"a":1,"b":"  x "}`, `"orderType":"standard"`, `"notes":null`, `"shippingAddress":null`),
		`{"customer":{"lastName":"Lee","firstName":"Ann","email":"ann@example.com","customerType":"individual"},` + bill + "," + items + `,"customFields":{"b":"x","a":1}}`,
		// Numbers count by value: they are kept as DynamoDB writes them.
		body(`"customFields":{"a":1.0,"b":"x"}`),
		body(`"customFields":{"a":10e-1,"b":"x"}`),
	}
	for _, b := range same {
		if got := hash(b); got != h {
			t.Errorf("Hash(%s) = %s, want %s as for the same order", b, got, h)
		}
	}
	different := []string{
		body(`"customFields":{"a":1,"b":"y"}`),
		body(`"customFields":{"a":1.5,"b":"x"}`),
		body(`"customFields":{"a":1,"b":"x"}`, `"notes":"n"`),
		body(`"customFields":{"a":1,"b":"x"}`, `"orderType":"upgrade"`),
		`{` + cust + "," + bill + `,"items":[{"sku":"MBP-14","quantity":3,"contractLength":24}],"customFields":{"a":1,"b":"x"}}`,
	}
	for _, b := range different {
		if got := hash(b); got == h {
			t.Errorf("Hash(%s) = %s, the hash of another order", b, got)
		}
	}
}

func TestParseCancel(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		want   string
		kind   fault.Kind // zero (Internal) when no error is expected
		fields []fault.FieldError
	}{
		{name: "no body", body: ""},
		{name: "white space", body: " \r\n"},
		{name: "empty object", body: "{}"},
		{name: "reason", body: `{"reason":"  customer changed mind "}`, want: "customer changed mind"},
		{name: "null reason", body: `{"reason":null}`},
		{name: "blank reason", body: `{"reason":" \t "}`, kind: fault.Validation, fields: fields("reason", fault.TooSmall, "String must contain at least 1 character(s)")},
		{name: "empty reason", body: `{"reason":""}`, kind: fault.Validation, fields: fields("reason", fault.TooSmall, "String must contain at least 1 character(s)")},
		{name: "tab, CR and LF inside a reason", body: `{"reason":"moved\r\n\tsee ticket"}`, want: "moved\r\n\tsee ticket"},
		{name: "control characters in a reason", body: `{"reason":"a\u0000b"}`, kind: fault.Validation, fields: fields("reason", fault.Custom, "Must not contain control characters")},
		{name: "escape in a reason", body: `{"reason":"\u001b[31mred"}`, kind: fault.Validation, fields: fields("reason", fault.Custom, "Must not contain control characters")},
		{name: "reason of 1000 characters", body: `{"reason":"` + strings.Repeat("r", 1000) + `"}`, want: strings.Repeat("r", 1000)},
		{name: "reason too long", body: `{"reason":"` + strings.Repeat("r", 1001) + `"}`, kind: fault.Validation, fields: fields("reason", fault.TooBig, "String must contain at most 1000 character(s)")},
		{name: "reason not a string", body: `{"reason":1}`, kind: fault.Validation, fields: fields("reason", fault.InvalidType, "Expected string, received number")},
		{name: "unknown fields", body: `{"reason":"x","why":"y","":1}`, kind: fault.Validation, fields: fields(``, fault.UnrecognizedKeys, `Unrecognized key(s) in object: ''`, "why", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'why'")},
		{name: "not JSON", body: `reason=x`, kind: fault.BadRequest},
		{name: "not an object", body: `"x"`, kind: fault.BadRequest},
		{name: "null", body: `null`, kind: fault.BadRequest},
		{name: "duplicate key", body: `{"reason":"a","reason":"b"}`, kind: fault.BadRequest},
		{name: "trailing data", body: `{"reason":"a"} {}`, kind: fault.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCancel([]byte(tt.body))
			if tt.kind == fault.Internal {
				if err != nil || got != tt.want {
					t.Errorf("ParseCancel(%q) = %q, %v, want %q, nil", tt.body, got, err, tt.want)
				}
				return
			}
			if err == nil || fault.KindOf(err) != tt.kind || got != "" {
				t.Fatalf("ParseCancel(%q) = %q, %v (kind %v), want \"\", kind %v", tt.body, got, err, fault.KindOf(err), tt.kind)
			}
			var v *fault.ValidationError
			if errors.As(err, &v) && !reflect.DeepEqual(v.Fields, tt.fields) {
				t.Errorf("ParseCancel(%q) details = %v, want %v", tt.body, v.Fields, tt.fields)
			}
		})
	}
}
