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

// handling is the customer.Handling of a test case's strict column.
func handling(strict bool) customer.Handling {
	if strict {
		return customer.Strict
	}
	return customer.Lenient
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

// Details of an extension and an upgrade, as bodies and as parsed.
const (
	extBody = `"extensionDetails":{"originalOrderId":"ord_01JD5XA2B3C4D5E6F7G8H9J0KM","extensionMonths":6,"previousEndDate":"2026-01-31","newEndDate":"2026-07-31","reason":" keeps it "}`
	upBody  = `"upgradeDetails":{"previousDevice":"MBP 13","previousSerialNumber":"C02XYZ","previousMonthlyAmount":49.90,"previousRentalId":"rent_1","upgradeReason":""}`
)

var (
	extParsed = &ExtensionDetails{OriginalOrderID: "ord_01JD5XA2B3C4D5E6F7G8H9J0KM", ExtensionMonths: 6, PreviousEndDate: "2026-01-31", NewEndDate: "2026-07-31", Reason: "keeps it"}
	upParsed  = &UpgradeDetails{PreviousDevice: "MBP 13", PreviousSerialNumber: "C02XYZ", PreviousMonthlyAmount: "49.9", PreviousRentalID: "rent_1"} // as DynamoDB keeps it
)

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
		{"upgrade", body(`"orderType":" upgrade "`, upBody), func(in *Input) { in.OrderType, in.UpgradeDetails = Upgrade, upParsed }},
		{"extension", body(`"orderType":"extension"`, extBody), func(in *Input) { in.OrderType, in.ExtensionDetails = Extension, extParsed }},
		{"details at their limits", body(`"orderType":"extension"`, `"extensionDetails":{"originalOrderId":"`+strings.Repeat("o", 200)+`","extensionMonths":120,"previousEndDate":"a","newEndDate":"b","reason":"`+strings.Repeat("r", 1000)+`"}`),
			func(in *Input) {
				in.OrderType = Extension
				in.ExtensionDetails = &ExtensionDetails{OriginalOrderID: strings.Repeat("o", 200), ExtensionMonths: 120, PreviousEndDate: "a", NewEndDate: "b", Reason: strings.Repeat("r", 1000)}
			}},
		{"free upgrade, null reason", body(`"orderType":"upgrade"`, `"upgradeDetails":{"previousDevice":"X","previousSerialNumber":"S","previousMonthlyAmount":0,"previousRentalId":"r","upgradeReason":null}`),
			func(in *Input) {
				in.OrderType = Upgrade
				in.UpgradeDetails = &UpgradeDetails{PreviousDevice: "X", PreviousSerialNumber: "S", PreviousMonthlyAmount: "0", PreviousRentalID: "r"}
			}},
		{"null details", body(`"extensionDetails":null`, `"upgradeDetails":null`), func(*Input) {}},
		{"blank optional strings are absent", `{"customer":{"email":"ann@example.com","firstName":"Ann","lastName":"Lee","company":"","phone":" ","customerType":""},` +
			`"billingAddress":{"contactName":"Ann Lee","company":"","buildingInfo":" ","locality":"","streetAddress":"1 Main St","city":"Springfield","adminArea":"","postalCode":"","country":"US"},` +
			items + `,"orderType":"","notes":" \t\n "}`, func(*Input) {}},
		{"unknown keys are ignored at every level", `{"customer":{"email":"ann@example.com","firstName":"Ann","lastName":"Lee","customerId":"cust_1","nickname":"A"},` +
			`"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US","zip":"1","geo":{"lat":1}},` +
			`"items":[{"sku":"MBP-14","quantity":2,"contractLength":24,"productName":"MacBook","unitPrice":99.5}],"orderId":"ord_1","status":"pending","totals":{"total":1},"":null}`,
			func(*Input) {}},
		{"contract length defaults to 12", `{` + cust + "," + bill + `,"items":[{"sku":"MBP-14","quantity":2},{"sku":"X","quantity":1,"contractLength":null}]}`,
			func(in *Input) {
				in.Items = []Item{{SKU: "MBP-14", Quantity: 2, ContractLength: 12}, {SKU: "X", Quantity: 1, ContractLength: 12}}
			}},
		{"integers in any notation", `{` + cust + "," + bill + `,"items":[{"sku":"a","quantity":2.0,"contractLength":24e0},{"sku":"b","quantity":0.3e1,"contractLength":1.20E+2},{"sku":"c","quantity":100e-2,"contractLength":10e-1}]}`,
			func(in *Input) {
				in.Items = []Item{{SKU: "a", Quantity: 2, ContractLength: 24}, {SKU: "b", Quantity: 3, ContractLength: 120}, {SKU: "c", Quantity: 1, ContractLength: 1}}
			}},
		{"custom fields", body(`"customFields":{"ref":" PO-1 ","amount":12.50,"rush":true}`),
			func(in *Input) {
				in.CustomFields = map[string]any{"ref": "PO-1", "amount": json.Number("12.5"), "rush": true}
			}},
		{"notes trimmed", body(`"notes":"  leave at door "`), func(in *Input) { in.Notes = "leave at door" }},
		{"tab, CR and LF inside notes", body(`"notes":"line 1\r\n\tline 2\nline 3"`), func(in *Input) { in.Notes = "line 1\r\n\tline 2\nline 3" }},
		{"notes of 5000 characters", body(`"notes":"` + strings.Repeat("ñ", 5000) + `"`), func(in *Input) { in.Notes = strings.Repeat("ñ", 5000) }},
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
			got, err := ParseInput([]byte(tt.body), customer.Lenient)
			if err != nil {
				t.Fatalf("ParseInput(%s) error = %v %+v, want nil", tt.body, err, err)
			}
			want := baseInput()
			tt.edit(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseInput(%s) =\n%+v\nwant\n%+v", tt.body, got, want)
			}
			if strict, err := ParseInput([]byte(tt.body), customer.Strict); tt.name != "unknown keys are ignored at every level" && (err != nil || !reflect.DeepEqual(strict, want)) {
				t.Errorf("ParseInput(%s, strict) = %+v, %v, want the same input", tt.body, strict, err)
			}
		})
	}
}

func TestParseInputBadRequest(t *testing.T) {
	for _, b := range []string{``, ` `, `[` + base + `]`, `null`, `"x"`, `{` + base + `,"items":[]}`,
		`{` + base + `}x`, `{` + base + `}{}`, `{` + base + `,"customer":{"email":"a@b.c","email":"a@b.c"}}`,
		`{"customer":{"email":"a@b.c","email":"x@b.c"}}`, `{"items":[{"sku":"a","sku":"b"}]}`, "{\"notes\":\"\xc3\"}"} {
		_, err := ParseInput([]byte(b), customer.Lenient)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.BadRequest {
			t.Errorf("ParseInput(%q) error = %v, want a BadRequest *fault.Error", b, err)
		}
	}
}

func TestParseInputInvalid(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		strict bool // parsed with Prefer: handling=strict
		want   []fault.FieldError
	}{
		{"empty object", `{}`, false, fields("billingAddress", fault.InvalidType, "Required", "customer", fault.InvalidType, "Required", "items", fault.InvalidType, "Required")},
		{"required nulls", `{"customer":null,"billingAddress":null,"items":null}`, false,
			fields("billingAddress", fault.InvalidType, "Expected object, received null", "customer", fault.InvalidType, "Expected object, received null",
				"items", fault.InvalidType, "Expected array, received null")},
		{"wrong types", `{"customer":[],"billingAddress":"x","shippingAddress":1,"items":{},"orderType":1,"customFields":"x","notes":5,"extensionDetails":"","upgradeDetails":[]}`, false,
			fields("billingAddress", fault.InvalidType, "Expected object, received string", "customFields", fault.InvalidType, "Expected object, received string",
				"customer", fault.InvalidType, "Expected object, received array", "extensionDetails", fault.Custom, "Allowed only with orderType extension",
				"items", fault.InvalidType, "Expected array, received object",
				"notes", fault.InvalidType, "Expected string, received number", "orderType", fault.InvalidType, "Expected string, received number",
				"shippingAddress", fault.InvalidType, "Expected object, received number", "upgradeDetails", fault.Custom, "Allowed only with orderType upgrade")},
		{"blank shipping address", body(`"shippingAddress":""`), false, fields("shippingAddress", fault.InvalidType, "Expected object, received string")},
		{"unknown and read-only top-level fields, strict", body(`"orderId":"ord_1"`, `"status":"pending"`, `"foo":null`), true,
			fields("foo", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'foo'", "orderId", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'orderId'", "status", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'status'")},
		{"unknown keys at every level, strict", `{"customer":{"email":"ann@example.com","firstName":"Ann","lastName":"Lee","customerId":"c"},` +
			`"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US","zip":"1"},` +
			`"items":[{"sku":"a","quantity":1,"price":1}],"orderType":"upgrade","upgradeDetails":{"previousDevice":"X","previousSerialNumber":"S","previousMonthlyAmount":1,"previousRentalId":"r","why":1}}`, true,
			fields("billingAddress.zip", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'zip'", "customer.customerId", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'customerId'",
				"items.0.price", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'price'", "upgradeDetails.why", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'why'")},
		{"customer missing everything", `{"customer":{},` + bill + "," + items + "}", false,
			fields("customer.email", fault.InvalidType, "Required", "customer.firstName", fault.InvalidType, "Required", "customer.lastName", fault.InvalidType, "Required")},
		{"customer field errors", `{"customer":{"email":"Ann <ann@example.com>","firstName":" ","lastName":null,"company":1,"phone":"(-)","customerType":"company","customerId":"c"},` + bill + "," + items + "}", false,
			fields("customer.company", fault.InvalidType, "Expected string, received number", "customer.customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received 'company'", "customer.email", fault.InvalidString, "Invalid email format", "customer.firstName", fault.TooSmall, "String must contain at least 1 character(s)", "customer.lastName", fault.InvalidType, "Expected string, received null", "customer.phone", fault.Custom, "Must contain at least one digit")},
		{"addresses", `{` + cust + `,"billingAddress":{"contactName":"A","streetAddress":"S","country":"US","zip":"1","company":1},"shippingAddress":{"city":"` + strings.Repeat("c", 201) + `","contactName":""},` + items + "}", false,
			fields("billingAddress.city", fault.InvalidType, "Required", "billingAddress.company", fault.InvalidType, "Expected string, received number", "shippingAddress.city", fault.TooBig, "String must contain at most 200 character(s)", "shippingAddress.contactName", fault.TooSmall, "String must contain at least 1 character(s)", "shippingAddress.country", fault.InvalidType, "Required", "shippingAddress.streetAddress", fault.InvalidType, "Required")},
		{"no items", `{` + cust + "," + bill + `,"items":[]}`, false, fields("items", fault.TooSmall, "Array must contain at least 1 element(s)")},
		{"101 items", `{` + cust + "," + bill + `,"items":[` + strings.Repeat(`{},`, 100) + `{}]}`, false, fields("items", fault.TooBig, "Array must contain at most 100 element(s)")},
		{"item errors", `{` + cust + "," + bill + `,"items":[{"sku":"a","quantity":1,"contractLength":1},"x",null,{},` +
			`{"sku":"` + strings.Repeat("s", 65) + `","quantity":0,"contractLength":121,"price":1},` +
			`{"sku":" ","quantity":1.5,"contractLength":"12"},` +
			`{"sku":1,"quantity":1001,"contractLength":-1},` +
			`{"sku":null,"quantity":null,"contractLength":99999999999999999999999},` +
			`{"sku":"a","quantity":-2.5,"contractLength":2.4e1},` +
			`{"sku":"a","quantity":1e-400,"contractLength":-1e400},` +
			`{"sku":"a","quantity":-0,"contractLength":1e400}]}`, false,
			fields("items.1", fault.InvalidType, "Expected object, received string", "items.2", fault.InvalidType, "Expected object, received null",
				"items.3.quantity", fault.InvalidType, "Required", "items.3.sku", fault.InvalidType, "Required",
				"items.4.contractLength", fault.TooBig, "Number must be less than or equal to 120",
				"items.4.quantity", fault.TooSmall, "Number must be greater than or equal to 1", "items.4.sku", fault.TooBig, "String must contain at most 64 character(s)",
				"items.5.contractLength", fault.InvalidType, "Expected number, received string", "items.5.quantity", fault.InvalidType, "Expected integer, received float",
				"items.5.sku", fault.TooSmall, "String must contain at least 1 character(s)",
				"items.6.contractLength", fault.TooSmall, "Number must be greater than or equal to 1", "items.6.quantity", fault.TooBig, "Number must be less than or equal to 1000",
				"items.6.sku", fault.InvalidType, "Expected string, received number",
				"items.7.contractLength", fault.TooBig, "Number must be less than or equal to 120", "items.7.quantity", fault.InvalidType, "Expected number, received null",
				"items.7.sku", fault.InvalidType, "Expected string, received null",
				"items.8.quantity", fault.InvalidType, "Expected integer, received float",
				"items.9.contractLength", fault.TooSmall, "Number must be greater than or equal to 1", "items.9.quantity", fault.InvalidType, "Expected integer, received float",
				"items.10.contractLength", fault.TooBig, "Number must be less than or equal to 120", "items.10.quantity", fault.TooSmall, "Number must be greater than or equal to 1")},
		{"order type", body(`"orderType":"rental"`), false, fields("orderType", fault.InvalidEnumValue, "Invalid enum value. Expected 'standard' | 'extension' | 'upgrade', received 'rental'")},
		{"extension without its details", body(`"orderType":"extension"`), false, fields("extensionDetails", fault.InvalidType, "Required")},
		{"upgrade with null details", body(`"orderType":"upgrade"`, `"upgradeDetails":null`), false, fields("upgradeDetails", fault.InvalidType, "Expected object, received null")},
		{"details of another order type", body(`"orderType":"extension"`, extBody, upBody), false, fields("upgradeDetails", fault.Custom, "Allowed only with orderType upgrade")},
		{"details of a standard order", body(extBody), false, fields("extensionDetails", fault.Custom, "Allowed only with orderType extension")},
		{"extension details missing everything", body(`"orderType":"extension"`, `"extensionDetails":{}`), false,
			fields("extensionDetails.extensionMonths", fault.InvalidType, "Required", "extensionDetails.newEndDate", fault.InvalidType, "Required",
				"extensionDetails.originalOrderId", fault.InvalidType, "Required", "extensionDetails.previousEndDate", fault.InvalidType, "Required")},
		{"extension details errors", body(`"orderType":"extension"`, `"extensionDetails":{"originalOrderId":"","extensionMonths":0,"previousEndDate":null,"newEndDate":"`+strings.Repeat("d", 201)+`","reason":"`+strings.Repeat("r", 1001)+`"}`), false,
			fields("extensionDetails.extensionMonths", fault.TooSmall, "Number must be greater than 0", "extensionDetails.newEndDate", fault.TooBig, "String must contain at most 200 character(s)",
				"extensionDetails.originalOrderId", fault.TooSmall, "String must contain at least 1 character(s)", "extensionDetails.previousEndDate", fault.InvalidType, "Expected string, received null",
				"extensionDetails.reason", fault.TooBig, "String must contain at most 1000 character(s)")},
		{"extension months", body(`"orderType":"extension"`, `"extensionDetails":{"originalOrderId":"o","extensionMonths":1.5,"previousEndDate":"a","newEndDate":"b"}`), false,
			fields("extensionDetails.extensionMonths", fault.InvalidType, "Expected integer, received float")},
		{"upgrade details missing everything", body(`"orderType":"upgrade"`, `"upgradeDetails":{"upgradeReason":"x"}`), false,
			fields("upgradeDetails.previousDevice", fault.InvalidType, "Required", "upgradeDetails.previousMonthlyAmount", fault.InvalidType, "Required",
				"upgradeDetails.previousRentalId", fault.InvalidType, "Required", "upgradeDetails.previousSerialNumber", fault.InvalidType, "Required")},
		{"upgrade details errors", body(`"orderType":"upgrade"`, `"upgradeDetails":{"previousDevice":" ","previousSerialNumber":1,"previousMonthlyAmount":-1,"previousRentalId":"r\u0000","upgradeReason":2}`), false,
			fields("upgradeDetails.previousDevice", fault.TooSmall, "String must contain at least 1 character(s)", "upgradeDetails.previousMonthlyAmount", fault.TooSmall, "Number must be greater than or equal to 0",
				"upgradeDetails.previousRentalId", fault.Custom, "Must not contain control characters", "upgradeDetails.previousSerialNumber", fault.InvalidType, "Expected string, received number",
				"upgradeDetails.upgradeReason", fault.InvalidType, "Expected string, received number")},
		{"upgrade amounts", body(`"orderType":"upgrade"`, `"upgradeDetails":{"previousDevice":"X","previousSerialNumber":"S","previousMonthlyAmount":"49.90","previousRentalId":"r"}`), false,
			fields("upgradeDetails.previousMonthlyAmount", fault.InvalidType, "Expected number, received string")},
		{"custom fields", body(`"customFields":{"gone":null,"obj":{"a":1},"big":1e200,"a[1]":true," ":1,"` + strings.Repeat("k", 41) + `":1}`), false,
			fields("customFields. ", fault.Custom, "Key must not be only white space", "customFields.big", fault.Custom, "Number must be 0 or of magnitude from 1e-130 to below 1e126", "customFields.gone", fault.InvalidType, "Expected string, number or boolean, received null",
				"customFields."+strings.Repeat("k", 41), fault.TooBig, "Key must contain at most 40 character(s)",
				"customFields.obj", fault.InvalidType, "Expected string, number or boolean, received object")},
		{"51 custom fields", body(`"customFields":{` + manyFields(51) + `}`), false, fields("customFields", fault.TooBig, "Object must contain at most 50 key(s)")},
		{"notes too long", body(`"notes":"` + strings.Repeat("n", 5001) + `"`), false, fields("notes", fault.TooBig, "String must contain at most 5000 character(s)")},
		{"control characters in notes", body(`"notes":"a\u0000b"`), false, fields("notes", fault.Custom, "Must not contain control characters")},
		{"vertical tab in notes", body(`"notes":"a\u000bb"`), false, fields("notes", fault.Custom, "Must not contain control characters")},
		{"control characters in order strings", `{"customer":{"email":"ann@example.com","firstName":"Ann\u0000","lastName":"Lee","company":"A\tB","phone":"555 123\n4"},` +
			`"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Spring\u0000field","country":"US"},` +
			`"items":[{"sku":"MBP\u000014","quantity":1,"contractLength":1}],"orderType":"standard\u0000","customFields":{"k":"v\u0001"}}`, false,
			fields("billingAddress.city", fault.Custom, "Must not contain control characters", "customFields.k", fault.Custom, "Must not contain control characters", "customer.company", fault.Custom, "Must not contain control characters", "customer.firstName", fault.Custom, "Must not contain control characters", "customer.phone", fault.Custom, "Must not contain control characters", "items.0.sku", fault.Custom, "Must not contain control characters", "orderType", fault.Custom, "Must not contain control characters")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ParseInput([]byte(tt.body), handling(tt.strict))
			var v *fault.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("ParseInput(%s, %v) = %+v, %v, want a *fault.ValidationError", tt.body, tt.strict, in, err)
			}
			if !reflect.DeepEqual(v.Fields, tt.want) {
				t.Errorf("ParseInput(%s, %v) details =\n%v\nwant\n%v", tt.body, tt.strict, v.Fields, tt.want)
			}
			if !reflect.DeepEqual(in, Input{}) {
				t.Errorf("ParseInput(%s, %v) = %+v with an error, want the zero Input", tt.body, tt.strict, in)
			}
		})
	}
}

// TestInteger checks the exact reading of number literals that parseInt judges.
func TestInteger(t *testing.T) {
	tests := []struct {
		lit                   string
		n                     int64
		neg, integral, fitsIn bool
	}{
		{"0", 0, false, true, true},
		{"-0", 0, true, true, true},
		{"0.000e-999999999999", 0, false, true, true},
		{"12", 12, false, true, true},
		{"12.0", 12, false, true, true},
		{"1.2e1", 12, false, true, true},
		{"120E-1", 12, false, true, true},
		{"0.12e+2", 12, false, true, true},
		{"-7e0", 7, true, true, true},
		{"1.5", 0, false, false, false},
		{"12e-1", 0, false, false, false},
		{"1e-400", 0, false, false, false},
		{"999999999999999999", 999999999999999999, false, true, true},
		{"1000000000000000000", 0, false, true, false},
		{"1e18", 0, false, true, false},
		{"1e400", 0, false, true, false},
		{"-1e99999999999999999999", 0, true, true, false},
		{"1e-99999999999999999999", 0, false, false, false},
	}
	for _, tt := range tests {
		n, neg, integral, fits := integer(tt.lit)
		if n != tt.n || neg != tt.neg || integral != tt.integral || fits != tt.fitsIn {
			t.Errorf("integer(%s) = %d, %v, %v, %v; want %d, %v, %v, %v", tt.lit, n, neg, integral, fits, tt.n, tt.neg, tt.integral, tt.fitsIn)
		}
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
	in, err := ParseInput([]byte(body(`"customFields":{`+manyFields(50)+`}`)), customer.Lenient)
	if err != nil || len(in.CustomFields) != 50 {
		t.Errorf("ParseInput(50 custom fields) = %d fields, %v, want 50, nil", len(in.CustomFields), err)
	}
}

func TestInputHash(t *testing.T) {
	hash := func(b string) string {
		t.Helper()
		in, err := ParseInput([]byte(b), customer.Lenient)
		if err != nil {
			t.Fatalf("ParseInput(%s) error = %v", b, err)
		}
		in.CreatedBy = "apikey:" + b // who sends the request is not what it asks for
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
		body(`"customFields":{"a":1,"b":"x"}`, `"notes":""`, `"ignored":true`),
		// Numbers count by value: they are kept as DynamoDB writes them.
		body(`"customFields":{"a":1.0,"b":"x"}`),
		body(`"customFields":{"a":10e-1,"b":"x"}`),
	}
	// A line's contract length and its default of 12 months are the same request.
	if a, b := hash(`{`+cust+","+bill+`,"items":[{"sku":"A","quantity":1}]}`), hash(`{`+cust+","+bill+`,"items":[{"sku":"A","quantity":1,"contractLength":12.0}]}`); a != b {
		t.Errorf("Hash without a contract length = %s, with 12 = %s, want equal", a, b)
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
		body(`"customFields":{"a":1,"b":"x"}`, `"orderType":"upgrade"`, upBody),
		body(`"customFields":{"a":1,"b":"x"}`, `"orderType":"extension"`, extBody),
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
		strict bool
		want   string
		kind   fault.Kind // zero (Internal) when no error is expected
		fields []fault.FieldError
	}{
		{name: "no body", body: ""},
		{name: "white space", body: " \r\n"},
		{name: "empty object", body: "{}"},
		{name: "reason", body: `{"reason":"  customer changed mind "}`, want: "customer changed mind"},
		{name: "null reason", body: `{"reason":null}`},
		{name: "blank reason is none", body: `{"reason":" \t "}`},
		{name: "empty reason is none", body: `{"reason":""}`, strict: true},
		{name: "tab, CR and LF inside a reason", body: `{"reason":"moved\r\n\tsee ticket"}`, want: "moved\r\n\tsee ticket"},
		{name: "control characters in a reason", body: `{"reason":"a\u0000b"}`, kind: fault.Validation, fields: fields("reason", fault.Custom, "Must not contain control characters")},
		{name: "escape in a reason", body: `{"reason":"\u001b[31mred"}`, kind: fault.Validation, fields: fields("reason", fault.Custom, "Must not contain control characters")},
		{name: "reason of 1000 characters", body: `{"reason":"` + strings.Repeat("r", 1000) + `"}`, want: strings.Repeat("r", 1000)},
		{name: "reason too long", body: `{"reason":"` + strings.Repeat("r", 1001) + `"}`, kind: fault.Validation, fields: fields("reason", fault.TooBig, "String must contain at most 1000 character(s)")},
		{name: "reason not a string", body: `{"reason":1}`, kind: fault.Validation, fields: fields("reason", fault.InvalidType, "Expected string, received number")},
		{name: "unknown fields are ignored", body: `{"reason":"x","why":"y","":1}`, want: "x"},
		{name: "unknown fields, strict", body: `{"reason":"x","why":"y","":1}`, strict: true, kind: fault.Validation, fields: fields(``, fault.UnrecognizedKeys, `Unrecognized key(s) in object: ''`, "why", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'why'")},
		{name: "not JSON", body: `reason=x`, kind: fault.BadRequest},
		{name: "not an object", body: `"x"`, kind: fault.BadRequest},
		{name: "null", body: `null`, kind: fault.BadRequest},
		{name: "duplicate key", body: `{"reason":"a","reason":"b"}`, kind: fault.BadRequest},
		{name: "trailing data", body: `{"reason":"a"} {}`, kind: fault.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCancel([]byte(tt.body), handling(tt.strict))
			if tt.kind == fault.Internal {
				if err != nil || got != tt.want {
					t.Errorf("ParseCancel(%q, %v) = %q, %v, want %q, nil", tt.body, tt.strict, got, err, tt.want)
				}
				return
			}
			if err == nil || fault.KindOf(err) != tt.kind || got != "" {
				t.Fatalf("ParseCancel(%q, %v) = %q, %v (kind %v), want \"\", kind %v", tt.body, tt.strict, got, err, fault.KindOf(err), tt.kind)
			}
			var v *fault.ValidationError
			if errors.As(err, &v) && !reflect.DeepEqual(v.Fields, tt.fields) {
				t.Errorf("ParseCancel(%q, %v) details = %v, want %v", tt.body, tt.strict, v.Fields, tt.fields)
			}
		})
	}
}

func TestParseNotes(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		strict bool
		want   string
		kind   fault.Kind // zero (Internal) when no error is expected
		fields []fault.FieldError
	}{
		{name: "notes", body: `{"notes":" Deliver after 2pm.\nCall first. "}`, want: "Deliver after 2pm.\nCall first."},
		{name: "empty notes clear them", body: `{"notes":""}`, strict: true},
		{name: "blank notes clear them", body: `{"notes":" \r\n\t"}`},
		{name: "5000 characters", body: `{"notes":"` + strings.Repeat("ñ", 5000) + `"}`, want: strings.Repeat("ñ", 5000)},
		{name: "unknown fields are ignored", body: `{"notes":"n","orderId":"ord_1"}`, want: "n"},
		{name: "unknown fields, strict", body: `{"notes":"n","orderId":"ord_1"}`, strict: true, kind: fault.Validation, fields: fields("orderId", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'orderId'")},
		{name: "missing", body: `{}`, kind: fault.Validation, fields: fields("notes", fault.InvalidType, "Required")},
		{name: "missing, other keys", body: `{"note":"typo"}`, kind: fault.Validation, fields: fields("notes", fault.InvalidType, "Required")},
		{name: "null", body: `{"notes":null}`, kind: fault.Validation, fields: fields("notes", fault.InvalidType, "Expected string, received null")},
		{name: "not a string", body: `{"notes":["a"]}`, kind: fault.Validation, fields: fields("notes", fault.InvalidType, "Expected string, received array")},
		{name: "too long", body: `{"notes":"` + strings.Repeat("n", 5001) + `"}`, kind: fault.Validation, fields: fields("notes", fault.TooBig, "String must contain at most 5000 character(s)")},
		{name: "control characters", body: `{"notes":"a\u0007b"}`, kind: fault.Validation, fields: fields("notes", fault.Custom, "Must not contain control characters")},
		{name: "no body", body: ``, kind: fault.BadRequest},
		{name: "not an object", body: `"notes"`, kind: fault.BadRequest},
		{name: "duplicate key", body: `{"notes":"a","notes":"b"}`, kind: fault.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNotes([]byte(tt.body), handling(tt.strict))
			if tt.kind == fault.Internal {
				if err != nil || got != tt.want {
					t.Errorf("ParseNotes(%q, %v) = %q, %v, want %q, nil", tt.body, tt.strict, got, err, tt.want)
				}
				return
			}
			if err == nil || fault.KindOf(err) != tt.kind || got != "" {
				t.Fatalf("ParseNotes(%q, %v) = %q, %v (kind %v), want \"\", kind %v", tt.body, tt.strict, got, err, fault.KindOf(err), tt.kind)
			}
			var v *fault.ValidationError
			if errors.As(err, &v) && !reflect.DeepEqual(v.Fields, tt.fields) {
				t.Errorf("ParseNotes(%q, %v) details = %v, want %v", tt.body, tt.strict, v.Fields, tt.fields)
			}
		})
	}
}
