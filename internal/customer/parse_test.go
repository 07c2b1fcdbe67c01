package customer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

func ptr[T any](v T) *T { return &v }

// fields is shorthand for the expected details of a validation error: path, code, message, path,
// code, message…
func fields(triples ...any) []fault.FieldError {
	var out []fault.FieldError
	for i := 0; i+2 < len(triples); i += 3 {
		out = append(out, fault.FieldError{Path: triples[i].(string), Code: triples[i+1].(fault.IssueCode), Message: triples[i+2].(string)})
	}
	return out
}

// details returns the fields of err when it is a *fault.ValidationError.
func details(t *testing.T, err error) []fault.FieldError {
	t.Helper()
	var v *fault.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error = %#v, want a *fault.ValidationError", err)
	}
	return v.Fields
}

func TestParsePatchBadRequest(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"white space", " \n\t "},
		{"not JSON", "nul"},
		{"truncated", `{"firstName":"Ann"`},
		{"trailing comma", `{"firstName":"Ann",}`},
		{"array", `[]`},
		{"string", `"x"`},
		{"number", `1`},
		{"null", `null`},
		{"trailing object", `{"firstName":"Ann"}{}`},
		{"trailing garbage", `{"firstName":"Ann"} x`},
		{"duplicate key", `{"email":"a@b.c","email":"d@e.f"}`},
		{"duplicate key with null", `{"company":null,"company":"Acme"}`},
		{"duplicate escaped key", `{"firstName":"A","first\u004eame":"B"}`},
		{"duplicate nested key", `{"billingAddress":{"city":"x","city":"y"}}`},
		{"duplicate key in array in unknown field", `{"foo":[1,{"a":1,"a":2}]}`},
		{"duplicate key in custom field value", `{"customFields":{"x":{"a":{"b":1,"b":1}}}}`},
		{"duplicate among 17 keys", `{"customFields":{` + customFieldsJSON(16) + `,"k0":1}}`},
		{"duplicate after 30 keys", `{"customFields":{` + customFieldsJSON(30) + `,"k17":1}}`},
		{"duplicate escaped key after 30 keys", `{"customFields":{` + customFieldsJSON(30) + `,"\u006b3":1}}`},
		{"duplicate key in object in array", `{"x":[[],{},[{"a":1}],{"b":{"c":"}","c":2}}]}`},
		{"invalid UTF-8", "{\"firstName\":\"\xff\"}"},
		{"single quotes", `{'firstName':'Ann'}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePatch([]byte(tt.body), "cust_1", Lenient)
			var fe *fault.Error
			if !errors.As(err, &fe) || fe.Kind != fault.BadRequest {
				t.Fatalf("ParsePatch(%q) = %+v, %v, want a BadRequest *fault.Error", tt.body, p, err)
			}
			if fe.Message == "" {
				t.Errorf("ParsePatch(%q) message is empty, want a client-safe message", tt.body)
			}
		})
	}
}

func TestParsePatchDuplicateMessageNamesPath(t *testing.T) {
	_, err := ParsePatch([]byte(`{"items":[{"sku":"a"},{"sku":"a","sku":"b"}]}`), "x", Lenient)
	if got, want := err.Error(), `Request body has a duplicate key: "items.1.sku"`; got != want {
		t.Errorf("ParsePatch error = %q, want %q", got, want)
	}
}

func TestDecodeBodyDuplicatePath(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`{"a":1,"a":2}`, "a"},
		{`{"a":{"b":[1,{"c":1}],"c":"x"}, "d":[0, 1, {"e":{"f":2,"f":3}}]}`, "d.2.e.f"},
		{`{"x":"\"}\\","":1,"":2}`, ``},
		{`[{"k":[]}, {"k":1, "\u006B":2}]`, "1.k"},
		{`{"1":{"a":1,"a":2}}`, "1.a"}, // a name of digits is not an index
		{`{"a~b/c":{"x":1,"x":2}}`, "a~b/c.x"},
		{`{"x":[[],{},[{"a":1}],{"b":{"c":"}","c":2}}]}`, "x.3.b.c"},
	}
	for _, tt := range tests {
		_, err := DecodeBody([]byte(tt.doc))
		if got, want := fmt.Sprint(err), "Request body has a duplicate key: "+strconv.Quote(tt.want); got != want {
			t.Errorf("DecodeBody(%s) error = %q, want %q", tt.doc, got, want)
		}
	}
	for _, doc := range []string{`{}`, `[]`, `"x"`, `{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":"\"a\":1,\"a\":2"}`, `{"a":1,"A":2,"a ":3}`} {
		if _, err := DecodeBody([]byte(doc)); err != nil && strings.Contains(err.Error(), "duplicate") {
			t.Errorf("DecodeBody(%s) error = %q, want no duplicate", doc, err)
		}
	}
}

func TestDecodeBodyMessages(t *testing.T) {
	tests := []struct{ body, want string }{
		{" ", "Request body is empty"},
		{"{\"a\":\"\xff\"}", "Request body is not valid UTF-8"},
		{"{\"a\":1,\"a\":\"\xff\"}", "Request body is not valid UTF-8"},
		{`{"a":"\ud800"}`, "Request body escapes half of a UTF-16 surrogate pair"},
		{`{"a":1} {}`, "Request body is not valid JSON"},
		{`{"a":1} x`, "Request body is not valid JSON"},
		{`{"a":1,}`, "Request body is not valid JSON"},
		{`{"a":"\ud800",}`, "Request body is not valid JSON"},
		{`[1]`, "Request body must be a JSON object"},
	}
	for _, tt := range tests {
		_, err := DecodeBody([]byte(tt.body))
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.BadRequest || fe.Message != tt.want {
			t.Errorf("DecodeBody(%q) = %#v, want a BadRequest *fault.Error with message %q", tt.body, err, tt.want)
		}
	}
}

func TestDecodeBodyValues(t *testing.T) {
	got, err := DecodeBody([]byte(`{"s":"a\u00e9\ud83d\ude00","n":1.50,"e":-1E+2,"t":true,"f":false,"z":null,"a":[],"o":{},"l":[0,{"k":"v"}]}`))
	want := map[string]any{"s": "aé😀", "n": json.Number("1.50"), "e": json.Number("-1E+2"), "t": true, "f": false, "z": nil,
		"a": []any{}, "o": map[string]any{}, "l": []any{json.Number("0"), map[string]any{"k": "v"}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeBody = %#v, %v, want %#v, nil", got, err, want)
	}
}

// TestDecodeBodyReuse: decoders are pooled; what one decoded must not change when it decodes the
// next body, nor may a failure mid-object leave state behind.
func TestDecodeBodyReuse(t *testing.T) {
	first, err := DecodeBody([]byte(`{"k":"v","n":12}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"k":"w","n":34}`, `{"a":{"b":[1,`, `{"a":1,"a":2}`} {
		_, _ = DecodeBody([]byte(body))
	}
	if want := map[string]any{"k": "v", "n": json.Number("12")}; !reflect.DeepEqual(first, want) {
		t.Errorf("DecodeBody result after later calls = %#v, want %#v", first, want)
	}
	if got, err := DecodeBody([]byte(`{"a":[1]}`)); err != nil || !reflect.DeepEqual(got, map[string]any{"a": []any{json.Number("1")}}) {
		t.Errorf("DecodeBody after failures = %#v, %v, want map[a:[1]], nil", got, err)
	}
}

func TestParsePatchValid(t *testing.T) {
	addr := Address{ContactName: "Ann Lee", StreetAddress: "1 Main St", City: "Springfield", Country: "US"}
	full := Address{ContactName: "Ann Lee", Company: "Acme", StreetAddress: "1 Main St", BuildingInfo: "Floor 2",
		Locality: "Downtown", City: "Springfield", AdminArea: "IL", PostalCode: "62701", Country: "US"}
	tests := []struct {
		name string
		body string
		want Patch
	}{
		{"email trimmed", `{"email":"  Ann.Lee+tag@Example.COM "}`, Patch{Email: ptr("Ann.Lee+tag@Example.COM")}},
		{"plain email", `{"email":"ada@example.com"}`, Patch{Email: ptr("ada@example.com")}},
		{"email with tag and subdomains", `{"email":"a.b+tag@sub.example.co.uk"}`, Patch{Email: ptr("a.b+tag@sub.example.co.uk")}},
		{"email in capitals", `{"email":"ADA@EXAMPLE.COM"}`, Patch{Email: ptr("ADA@EXAMPLE.COM")}},
		{"email with IDN domain", `{"email":"user@bücher.de"}`, Patch{Email: ptr("user@bücher.de")}},
		{"email with IDN domain with combining marks", `{"email":"user@उदाहरण.भारत"}`, Patch{Email: ptr("user@उदाहरण.भारत")}},
		{"email with punycode domain", `{"email":"user@xn--bcher-kva.de"}`, Patch{Email: ptr("user@xn--bcher-kva.de")}},
		{"email with hyphens and digits in labels", `{"email":"a_b-c@1and1.my-host.x1"}`, Patch{Email: ptr("a_b-c@1and1.my-host.x1")}},
		{"email of 254 characters, 64-character local part, 63-character labels",
			`{"email":"` + strings.Repeat("l", 64) + "@" + strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 57) + `.com"}`,
			Patch{Email: ptr(strings.Repeat("l", 64) + "@" + strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 57) + ".com")}},
		{"names trimmed", `{"firstName":"\t Ann ","lastName":" Lee\n"}`, Patch{FirstName: ptr("Ann"), LastName: ptr("Lee")}},
		{"name of 100 characters", `{"firstName":"` + strings.Repeat("é", 100) + `"}`, Patch{FirstName: ptr(strings.Repeat("é", 100))}},
		{"name of one character", `{"lastName":"L"}`, Patch{LastName: ptr("L")}},
		{"company set", `{"company":" Acme "}`, Patch{Company: Optional[string]{Set: true, Value: ptr("Acme")}}},
		{"company of 200 characters", `{"company":"` + strings.Repeat("c", 200) + `"}`, Patch{Company: Optional[string]{Set: true, Value: ptr(strings.Repeat("c", 200))}}},
		{"company removed", `{"company":null}`, Patch{Company: Optional[string]{Set: true}}},
		{"phone set", `{"phone":"+1 (555) 123-4567"}`, Patch{Phone: Optional[string]{Set: true, Value: ptr("+1 (555) 123-4567")}}},
		{"phone of one digit", `{"phone":"1"}`, Patch{Phone: Optional[string]{Set: true, Value: ptr("1")}}},
		{"phone with dots", `{"phone":"1.2.3"}`, Patch{Phone: Optional[string]{Set: true, Value: ptr("1.2.3")}}},
		{"phone with an extension", `{"phone":"+31 6 1234 5678 ext. 12"}`, Patch{Phone: Optional[string]{Set: true, Value: ptr("+31 6 1234 5678 ext. 12")}}},
		{"phone with letters and a digit", `{"phone":"555-CALL-NOW 1"}`, Patch{Phone: Optional[string]{Set: true, Value: ptr("555-CALL-NOW 1")}}},
		{"phone of 50 characters", `{"phone":"` + strings.Repeat("1", 50) + `"}`, Patch{Phone: Optional[string]{Set: true, Value: ptr(strings.Repeat("1", 50))}}},
		{"phone removed", `{"phone":null}`, Patch{Phone: Optional[string]{Set: true}}},
		{"phone removed by an empty string", `{"phone":""}`, Patch{Phone: Optional[string]{Set: true}}},
		{"phone removed by blanks", `{"phone":"  "}`, Patch{Phone: Optional[string]{Set: true}}},
		{"company removed by an empty string", `{"company":""}`, Patch{Company: Optional[string]{Set: true}}},
		{"company removed by blanks", `{"company":" \t"}`, Patch{Company: Optional[string]{Set: true}}},
		{"email composed to NFC", `{"email":"Rene\u0301@example.com"}`, Patch{Email: ptr("Ren\u00e9@example.com")}},
		{"email with a decomposed domain", `{"email":"a@bu\u0308cher.de"}`, Patch{Email: ptr("a@b\u00fccher.de")}},
		{"email with sharp s", `{"email":"Stra\u00dfe@example.com"}`, Patch{Email: ptr("Stra\u00dfe@example.com")}},
		{"name of letters of any script", `{"firstName":"\u674e","lastName":"O'Brien-2"}`, Patch{FirstName: ptr("\u674e"), LastName: ptr("O'Brien-2")}},
		{"bidi marks (not overrides) in a name", `{"lastName":"\u200f\u05db\u05d4\u05df"}`, Patch{LastName: ptr("\u200f\u05db\u05d4\u05df")}},
		{"customer type trimmed", `{"customerType":" business "}`, Patch{CustomerType: ptr(Business)}},
		{"customer type individual", `{"customerType":"individual"}`, Patch{CustomerType: ptr(Individual)}},
		{"status inactive", `{"status":"inactive"}`, Patch{Status: ptr(Inactive)}},
		{"status active", `{"status":"active"}`, Patch{Status: ptr(Active)}},
		{"billing address", `{"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US"}}`,
			Patch{BillingAddress: Optional[Address]{Set: true, Value: &addr}}},
		{"billing address with every key, trimmed", `{"billingAddress":{"contactName":" Ann Lee","company":"Acme","streetAddress":"1 Main St","buildingInfo":"Floor 2","locality":"Downtown","city":"Springfield","adminArea":"IL","postalCode":"62701 ","country":"US"}}`,
			Patch{BillingAddress: Optional[Address]{Set: true, Value: &full}}},
		{"address optional keys empty", `{"shippingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US","company":"","buildingInfo":" ","locality":"","adminArea":"","postalCode":""}}`,
			Patch{ShippingAddress: Optional[Address]{Set: true, Value: &addr}}},
		{"address unknown keys ignored", `{"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US","state":"IL","zip":1}}`,
			Patch{BillingAddress: Optional[Address]{Set: true, Value: &addr}}},
		{"address optional keys null", `{"shippingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Springfield","country":"US","company":null,"postalCode":null}}`,
			Patch{ShippingAddress: Optional[Address]{Set: true, Value: &addr}}},
		{"shipping address removed", `{"shippingAddress":null}`, Patch{ShippingAddress: Optional[Address]{Set: true}}},
		{"billing address removed", `{"billingAddress":null}`, Patch{BillingAddress: Optional[Address]{Set: true}}},
		{"custom fields merged, numbers as DynamoDB writes them", `{"customFields":{"plan":" gold ","old":null,"seats":1.50,"trial":false,"big":-12345678901234567890123456789012345678,"e":1e20}}`,
			Patch{CustomFields: map[string]any{"plan": "gold", "old": nil, "seats": json.Number("1.5"), "trial": false,
				"big": json.Number("-12345678901234567890123456789012345678"), "e": json.Number("100000000000000000000")}}},
		{"custom field numbers at DynamoDB limits", `{"customFields":{"a":1e-130,"b":9.9999999999999999999999999999999999999e125,"c":0e999999,"d":-0,"e":100000000000000000000000000000000000000000000000,"f":0.000000000000000000000000000000000000000000000001}}`,
			Patch{CustomFields: map[string]any{"a": json.Number("0." + strings.Repeat("0", 129) + "1"), "b": json.Number(strings.Repeat("9", 38) + strings.Repeat("0", 88)),
				"c": json.Number("0"), "d": json.Number("0"), "e": json.Number("100000000000000000000000000000000000000000000000"),
				"f": json.Number("0.000000000000000000000000000000000000000000000001")}}},
		{"custom field key of 40 characters with dots and unicode", `{"customFields":{"` + strings.Repeat("ü", 38) + `.x":true}}`,
			Patch{CustomFields: map[string]any{strings.Repeat("ü", 38) + ".x": true}}},
		{"custom field keys with brackets, dots, quotes and JSON-path characters", `{"customFields":{"a[0]":1,"b]":2,"[":"x","a.b":true,"#x":1,":y":2,"$.z['q']":3,"\"":4}}`,
			Patch{CustomFields: map[string]any{"a[0]": json.Number("1"), "b]": json.Number("2"), "[": "x", "a.b": true,
				"#x": json.Number("1"), ":y": json.Number("2"), "$.z['q']": json.Number("3"), `"`: json.Number("4")}}},
		{"custom field keys are not trimmed", `{"customFields":{" a":1,"a":2,"a ":null}}`,
			Patch{CustomFields: map[string]any{" a": json.Number("1"), "a": json.Number("2"), "a ": nil}}},
		{"tab, CR and LF around custom field values are trimmed", `{"customFields":{"memo":"\tline 1\r\n"}}`,
			Patch{CustomFields: map[string]any{"memo": "line 1"}}},
		{"only removals of custom fields", `{"customFields":{"a":null}}`, Patch{CustomFields: map[string]any{"a": nil}}},
		{"51 custom fields, one of them null", `{"customFields":{` + customFieldsJSON(50) + `,"gone":null}}`,
			Patch{CustomFields: customFieldsMap(50, "gone")}},
		{"customerId equal to the path id is ignored", `{"customerId":"cust_1","firstName":"Ann"}`, Patch{FirstName: ptr("Ann")}},
		{"customerId equal to the path id is ignored under Strict", `{"customerId":"cust_1","firstName":"Ann"}`, Patch{FirstName: ptr("Ann")}},
		{"empty object: nothing to change", `{}`, Patch{}},
		{"only the customerId: nothing to change", `{"customerId":"cust_1"}`, Patch{}},
		{"empty customFields: nothing to change", `{"customFields":{}}`, Patch{}},
		{"empty customFields under Strict: nothing to change", `{"customFields":{}}`, Patch{}},
		{"unknown fields ignored", `{"firstName":"Ann","foo":1,"Email":"a@b.c","nickname":{"x":[1]}}`, Patch{FirstName: ptr("Ann")}},
		{"only unknown fields: nothing to change", `{"foo":null,"":""}`, Patch{}},
		{"every read-only field ignored, also with values of any type", `{"lastName":"Lee","tenantId":"t","createdAt":"x","updatedAt":1,"createdBy":"apikey:k","version":"7","totalOrders":1,"totalDevicesRented":1,"totalMonthlyRevenue":1.5,"orderIds":[],"rentalIds":[{}],"lastBillingAddress":{},"lastShippingAddress":null,"erasedAt":null}`,
			Patch{LastName: ptr("Lee")}},
		{"company of 200 characters, 400 bytes", `{"company":"` + strings.Repeat("ß", 200) + `"}`, Patch{Company: Optional[string]{Set: true, Value: ptr(strings.Repeat("ß", 200))}}},
		{"address parts of 200 characters, 600 bytes", `{"billingAddress":{"contactName":"` + strings.Repeat("日", 200) + `","streetAddress":"1 Main St","city":"Springfield","country":"US"}}`,
			Patch{BillingAddress: Optional[Address]{Set: true, Value: &Address{ContactName: strings.Repeat("日", 200), StreetAddress: "1 Main St", City: "Springfield", Country: "US"}}}},
		{"custom field value of 500 characters, 1000 bytes", `{"customFields":{"note":" ` + strings.Repeat("é", 500) + ` "}}`,
			Patch{CustomFields: map[string]any{"note": strings.Repeat("é", 500)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePatch([]byte(tt.body), "cust_1", handlingOf(tt.name))
			if err != nil {
				t.Fatalf("ParsePatch(%s) error = %v %+v, want nil", tt.body, err, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParsePatch(%s) = %s, want %s", tt.body, dump(got), dump(tt.want))
			}
		})
	}
}

// handlingOf is the Handling a test case asks for by its name: Strict when it says "under Strict".
func handlingOf(name string) Handling {
	if strings.Contains(name, "under Strict") {
		return Strict
	}
	return Lenient
}

// customFieldsJSON returns the members of an object with n keys k0…kN-1 set to true.
func customFieldsJSON(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":true`)
	}
	return b.String()
}

func customFieldsMap(n int, removed ...string) map[string]any {
	m := map[string]any{}
	for i := range n {
		m["k"+strconv.Itoa(i)] = true
	}
	for _, k := range removed {
		m[k] = nil
	}
	return m
}

func dump(p Patch) string {
	b, _ := json.Marshal(p)
	return string(b)
}

func TestParsePatchInvalid(t *testing.T) {
	const addr = `"contactName":"Ann","streetAddress":"1 Main St","city":"Springfield","country":"US"`
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		body string
		want []fault.FieldError
	}{
		{"other customerId", `{"customerId":"cust_2","firstName":"Ann"}`, fields("customerId", fault.Custom, "Must be the customer id of the path, or left out")},
		{"customerId not exactly the path id", `{"customerId":" cust_1"}`, fields("customerId", fault.Custom, "Must be the customer id of the path, or left out")},
		{"customerId null", `{"customerId":null}`, fields("customerId", fault.Custom, "Must be the customer id of the path, or left out")},
		{"every read-only field under Strict", `{"tenantId":"t","createdAt":"x","createdBy":"apikey:k","updatedAt":"x","version":1,"totalOrders":1,"totalDevicesRented":1,"totalMonthlyRevenue":1,"orderIds":[],"rentalIds":[],"lastBillingAddress":{},"lastShippingAddress":null,"erasedAt":null}`,
			fields("createdAt", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'createdAt'", "createdBy", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'createdBy'", "erasedAt", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'erasedAt'", "lastBillingAddress", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'lastBillingAddress'", "lastShippingAddress", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'lastShippingAddress'", "orderIds", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'orderIds'", "rentalIds", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'rentalIds'", "tenantId", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'tenantId'", "totalDevicesRented", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'totalDevicesRented'", "totalMonthlyRevenue", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'totalMonthlyRevenue'", "totalOrders", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'totalOrders'", "updatedAt", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'updatedAt'", "version", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'version'")},
		{"unknown fields under Strict", `{"firstName":"Ann","foo":1,"Email":"a@b.c"}`, fields("Email", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'Email'", "foo", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'foo'")},
		{"only unknown fields under Strict", `{"nickname":"x"}`, fields("nickname", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'nickname'")},
		{"unknown empty key under Strict", `{"":"","billingAddress":{"":1}}`, fields(``, fault.UnrecognizedKeys, `Unrecognized key(s) in object: ''`, `billingAddress.`, fault.UnrecognizedKeys, `Unrecognized key(s) in object: ''`, "billingAddress.city", fault.InvalidType, "Required", "billingAddress.contactName", fault.InvalidType, "Required", "billingAddress.country", fault.InvalidType, "Required", "billingAddress.streetAddress", fault.InvalidType, "Required")},
		{"unknown empty key", `{"":"","billingAddress":{"":1}}`, fields("billingAddress.city", fault.InvalidType, "Required", "billingAddress.contactName", fault.InvalidType, "Required", "billingAddress.country", fault.InvalidType, "Required", "billingAddress.streetAddress", fault.InvalidType, "Required")},
		{"null for required fields", `{"email":null,"firstName":null,"lastName":null,"customerType":null,"status":null,"customFields":null}`,
			fields("customFields", fault.InvalidType, "Expected object, received null", "customerType", fault.InvalidType, "Expected string, received null",
				"email", fault.InvalidType, "Expected string, received null", "firstName", fault.InvalidType, "Expected string, received null",
				"lastName", fault.InvalidType, "Expected string, received null", "status", fault.InvalidType, "Expected string, received null")},
		{"wrong types", `{"email":1,"firstName":true,"lastName":[],"company":{},"phone":5551234,"customerType":1,"status":false,"billingAddress":"x","shippingAddress":[],"customFields":[]}`,
			fields("billingAddress", fault.InvalidType, "Expected object, received string", "company", fault.InvalidType, "Expected string, received object",
				"customFields", fault.InvalidType, "Expected object, received array", "customerType", fault.InvalidType, "Expected string, received number",
				"email", fault.InvalidType, "Expected string, received number", "firstName", fault.InvalidType, "Expected string, received boolean",
				"lastName", fault.InvalidType, "Expected string, received array", "phone", fault.InvalidType, "Expected string, received number",
				"shippingAddress", fault.InvalidType, "Expected object, received array", "status", fault.InvalidType, "Expected string, received boolean")},
		{"blank strings for required fields", `{"firstName":"  ","lastName":"","email":" ","customerType":"","status":""}`,
			fields("customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received ''", "email", fault.TooSmall, "String must contain at least 1 character(s)", "firstName", fault.TooSmall, "String must contain at least 1 character(s)", "lastName", fault.TooSmall, "String must contain at least 1 character(s)", "status", fault.InvalidEnumValue, "Invalid enum value. Expected 'active' | 'inactive', received ''")},
		{"names without a letter", `{"firstName":"123","lastName":"- .","billingAddress":{"contactName":"42","streetAddress":"1","city":"1","country":"1"}}`,
			fields("billingAddress.contactName", fault.Custom, "Must contain at least one letter", "firstName", fault.Custom, "Must contain at least one letter", "lastName", fault.Custom, "Must contain at least one letter")},
		{"bidi overrides and isolates in every string", `{"firstName":"Ann\u202e","lastName":"\u2066Lee","company":"A\u202acme","phone":"1\u2069","email":"a\u202d@example.com","customerType":"business\u202b","billingAddress":{"contactName":"Ann","streetAddress":"1 Main\u202c St","city":"C\u2067","country":"U\u2068S"},"customFields":{"k\u202e":"v","v":"x\u202ey"}}`,
			fields("billingAddress.city", fault.Custom, "Must not contain bidirectional override or isolate characters", "billingAddress.country", fault.Custom, "Must not contain bidirectional override or isolate characters", "billingAddress.streetAddress", fault.Custom, "Must not contain bidirectional override or isolate characters",
				"company", fault.Custom, "Must not contain bidirectional override or isolate characters", "customFields.k\u202e", fault.Custom, "Key must not contain bidirectional override or isolate characters", "customFields.v", fault.Custom, "Must not contain bidirectional override or isolate characters",
				"customerType", fault.Custom, "Must not contain bidirectional override or isolate characters", "email", fault.Custom, "Must not contain bidirectional override or isolate characters", "firstName", fault.Custom, "Must not contain bidirectional override or isolate characters",
				"lastName", fault.Custom, "Must not contain bidirectional override or isolate characters", "phone", fault.Custom, "Must not contain bidirectional override or isolate characters")},
		{"email with KELVIN SIGN", `{"email":"\u212aate@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with ANGSTROM SIGN", `{"email":"\u212bsa@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with fullwidth letters", `{"email":"\uff41nn@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a fullwidth domain", `{"email":"ann@\uff45xample.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a ligature", `{"email":"\ufb01le@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a zero-width space", `{"email":"ann\u200b@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a zero-width joiner in the domain", `{"email":"ann@exa\u200dmple.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a soft hyphen", `{"email":"an\u00adn@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a bidi mark", `{"email":"ann\u200e@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a no-break space", `{"email":"ann\u00a0lee@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a domain IDNA refuses: bad punycode", `{"email":"a@xn--zz.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a domain IDNA refuses: mixed directions", `{"email":"a@\u05d0b.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with a domain IDNA refuses: hyphens in positions 3 and 4", `{"email":"a@ab--cd.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"too long", `{"firstName":"` + long(101) + `","lastName":"` + strings.Repeat("é", 101) + `","company":"` + long(201) + `"}`,
			fields("company", fault.TooBig, "String must contain at most 200 character(s)", "firstName", fault.TooBig, "String must contain at most 100 character(s)", "lastName", fault.TooBig, "String must contain at most 100 character(s)")},
		{"email of 255 characters", `{"email":"` + long(243) + `@example.com"}`, fields("email", fault.TooBig, "String must contain at most 254 character(s)")},
		{"201 characters of several bytes", `{"company":"` + strings.Repeat("ß", 201) + `","billingAddress":{"contactName":"` + strings.Repeat("日", 201) + `","streetAddress":"S","city":"C","country":"US"},"customFields":{"note":"` + strings.Repeat("é", 501) + `"}}`,
			fields("billingAddress.contactName", fault.TooBig, "String must contain at most 200 character(s)", "company", fault.TooBig, "String must contain at most 200 character(s)", "customFields.note", fault.TooBig, "String must contain at most 500 character(s)")},
		{"email with display name", `{"email":"Ann <ann@example.com>"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email in angle brackets", `{"email":"<ann@example.com>"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with comment", `{"email":"ann@example.com (work)"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with space", `{"email":"ann lee@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with quoted space", `{"email":"\"ann lee\"@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email without domain", `{"email":"ann@"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email without local part", `{"email":"@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email without at", `{"email":"ann.example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with two ats", `{"email":"ann@lee@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"two emails", `{"email":"a@b.c, d@e.f"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with one-label domain", `{"email":"a@b"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email to localhost", `{"email":"root@localhost"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email label starting with hyphen", `{"email":"a@-b.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email label ending with hyphen", `{"email":"a@b-.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email last label ending with hyphen", `{"email":"a@b.com-"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with underscore in domain", `{"email":"a@b_c.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with empty label", `{"email":"a@b..com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with leading dot in domain", `{"email":"a@.b.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with trailing dot in domain", `{"email":"a@b.com."}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with numeric last label", `{"email":"a@b.123"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email to an IP address", `{"email":"a@192.168.0.1"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email to a domain literal", `{"email":"a@[192.168.0.1]"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with symbols in domain", `{"email":"a@b!c.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with 65-character local part", `{"email":"` + long(65) + `@example.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"email with 64-character label", `{"email":"a@` + long(64) + `.com"}`, fields("email", fault.InvalidString, "Invalid email format")},
		{"phone without a digit", `{"phone":"+() -"}`, fields("phone", fault.Custom, "Must contain at least one digit")},
		{"phone of letters", `{"phone":"CALL-NOW"}`, fields("phone", fault.Custom, "Must contain at least one digit")},
		{"phone too long", `{"phone":"` + strings.Repeat("1", 51) + `"}`, fields("phone", fault.TooBig, "String must contain at most 50 character(s)")},
		{"phone with only non-ASCII digits", `{"phone":"١٢٣"}`, fields("phone", fault.Custom, "Must contain at least one digit")},
		{"customer type", `{"customerType":"company"}`, fields("customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received 'company'")},
		{"customer type case", `{"customerType":"Business"}`, fields("customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received 'Business'")},
		{"customer type empty", `{"customerType":" "}`, fields("customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received ''")},
		{"customer type quoted in full up to 100 characters", `{"customerType":"` + long(101) + `"}`,
			fields("customerType", fault.InvalidEnumValue, "Invalid enum value. Expected 'individual' | 'business', received '"+long(100)+"…'")},
		{"status", `{"status":"deleted"}`, fields("status", fault.InvalidEnumValue, "Invalid enum value. Expected 'active' | 'inactive', received 'deleted'")},
		{"address missing every required key", `{"billingAddress":{}}`,
			fields("billingAddress.city", fault.InvalidType, "Required", "billingAddress.contactName", fault.InvalidType, "Required", "billingAddress.country", fault.InvalidType, "Required", "billingAddress.streetAddress", fault.InvalidType, "Required")},
		{"address unknown key under Strict", `{"billingAddress":{` + addr + `,"foo":"x","state":"IL"}}`,
			fields("billingAddress.foo", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'foo'", "billingAddress.state", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'state'")},
		{"address wrong types and nulls", `{"shippingAddress":{"contactName":null,"streetAddress":1,"city":["x"],"country":"US","company":false,"postalCode":12345}}`,
			fields("shippingAddress.city", fault.InvalidType, "Expected string, received array", "shippingAddress.company", fault.InvalidType, "Expected string, received boolean",
				"shippingAddress.contactName", fault.InvalidType, "Expected string, received null", "shippingAddress.postalCode", fault.InvalidType, "Expected string, received number",
				"shippingAddress.streetAddress", fault.InvalidType, "Expected string, received number")},
		{"address lengths", `{"billingAddress":{"contactName":" ","streetAddress":"` + long(201) + `","city":"","country":"US","postalCode":"` + long(201) + `"}}`,
			fields("billingAddress.city", fault.TooSmall, "String must contain at least 1 character(s)", "billingAddress.contactName", fault.TooSmall, "String must contain at least 1 character(s)", "billingAddress.postalCode", fault.TooBig, "String must contain at most 200 character(s)", "billingAddress.streetAddress", fault.TooBig, "String must contain at most 200 character(s)")},
		{"control characters in single-line fields", `{"firstName":"A\u0000nn","lastName":"Lee\tJr","company":"Ac\nme","email":"a\u0000b@example.com","phone":"555\u0000123","customerType":"business\u0000","status":"active\u001b"}`,
			fields("company", fault.Custom, "Must not contain control characters", "customerType", fault.Custom, "Must not contain control characters", "email", fault.Custom, "Must not contain control characters", "firstName", fault.Custom, "Must not contain control characters", "lastName", fault.Custom, "Must not contain control characters", "phone", fault.Custom, "Must not contain control characters", "status", fault.Custom, "Must not contain control characters")},
		{"control characters in address parts", `{"billingAddress":{"contactName":"Ann\u0007","streetAddress":"1 Main St\r\nFloor 2","city":"Spring\u007ffield","country":"U\u0085S","postalCode":"6\u00001"}}`,
			fields("billingAddress.city", fault.Custom, "Must not contain control characters", "billingAddress.contactName", fault.Custom, "Must not contain control characters", "billingAddress.country", fault.Custom, "Must not contain control characters", "billingAddress.postalCode", fault.Custom, "Must not contain control characters", "billingAddress.streetAddress", fault.Custom, "Must not contain control characters")},
		{"control characters in custom field values, tab, CR and LF too", `{"customFields":{"nul":"a\u0000b","vt":"a\u000bb","ff":"a\u000cb","esc":"\u001b[0m x","del":"a\u007f","nel":"a\u0085b","tab":"a\tb","crlf":"a\r\nb"}}`,
			fields("customFields.crlf", fault.Custom, "Must not contain control characters", "customFields.del", fault.Custom, "Must not contain control characters", "customFields.esc", fault.Custom, "Must not contain control characters", "customFields.ff", fault.Custom, "Must not contain control characters", "customFields.nel", fault.Custom, "Must not contain control characters", "customFields.nul", fault.Custom, "Must not contain control characters", "customFields.tab", fault.Custom, "Must not contain control characters", "customFields.vt", fault.Custom, "Must not contain control characters")},
		{"custom field values", `{"customFields":{"obj":{},"arr":[1],"blank":"  ","long":"` + long(501) + `"}}`,
			fields("customFields.arr", fault.InvalidType, "Expected string, number or boolean, received array",
				"customFields.blank", fault.TooSmall, "String must contain at least 1 character(s)",
				"customFields.long", fault.TooBig, "String must contain at most 500 character(s)",
				"customFields.obj", fault.InvalidType, "Expected string, number or boolean, received object")},
		{"custom field keys", `{"customFields":{"":1,"   ":1,"\t\u00a0":1,"` + long(41) + `":1,"c\u0001":1,"d\n":1,"e\u0000":1,"f\u007f":1,"g\u0085":1}}`,
			fields("customFields.", fault.TooSmall, "Key must contain at least 1 character(s)", "customFields.\t\u00a0", fault.Custom, "Key must not contain control characters", "customFields.   ", fault.Custom, "Key must not be only white space", "customFields.c\u0001", fault.Custom, "Key must not contain control characters", "customFields.d\n", fault.Custom, "Key must not contain control characters", "customFields.e\u0000", fault.Custom, "Key must not contain control characters", "customFields.f\u007f", fault.Custom, "Key must not contain control characters", "customFields.g\u0085", fault.Custom, "Key must not contain control characters", "customFields."+long(41), fault.TooBig, "Key must contain at most 40 character(s)")},
		{"custom field key of white space other than control characters", `{"customFields":{"\u00a0\u2003 ":"x"}}`,
			fields("customFields.\u00a0\u2003 ", fault.Custom, "Key must not be only white space")},
		{"custom field numbers DynamoDB cannot store", `{"customFields":{"a":1e126,"b":1e-131,"c":123456789012345678901234567890123456789,"d":1e99999999999999999999,"e":-1e126,"f":0.1234567890123456789012345678901234567891}}`,
			fields("customFields.a", fault.Custom, "Number must be 0 or of magnitude from 1e-130 to below 1e126", "customFields.b", fault.Custom, "Number must be 0 or of magnitude from 1e-130 to below 1e126", "customFields.c", fault.Custom, "Number must have at most 38 significant digits", "customFields.d", fault.Custom, "Number must be 0 or of magnitude from 1e-130 to below 1e126", "customFields.e", fault.Custom, "Number must be 0 or of magnitude from 1e-130 to below 1e126", "customFields.f", fault.Custom, "Number must have at most 38 significant digits")},
		{"51 custom fields", `{"customFields":{` + customFieldsJSON(51) + `}}`, fields("customFields", fault.TooBig, "Object must contain at most 50 key(s)")},
		{"every error reported, in path order", `{"status":"x","billingAddress":{"city":"x","zip":1},"email":"bad","version":2,"customFields":{"a":[]},"firstName":"Ann"}`,
			fields("billingAddress.contactName", fault.InvalidType, "Required", "billingAddress.country", fault.InvalidType, "Required", "billingAddress.streetAddress", fault.InvalidType, "Required", "customFields.a", fault.InvalidType, "Expected string, number or boolean, received array", "email", fault.InvalidString, "Invalid email format",
				"status", fault.InvalidEnumValue, "Invalid enum value. Expected 'active' | 'inactive', received 'x'")},
		{"every error reported, in path order, under Strict", `{"status":"x","billingAddress":{"city":"x","zip":1},"email":"bad","version":2,"customFields":{"a":[]},"firstName":"Ann"}`,
			fields("billingAddress.contactName", fault.InvalidType, "Required", "billingAddress.country", fault.InvalidType, "Required", "billingAddress.streetAddress", fault.InvalidType, "Required", "billingAddress.zip", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'zip'", "customFields.a", fault.InvalidType, "Expected string, number or boolean, received array", "email", fault.InvalidString, "Invalid email format",
				"status", fault.InvalidEnumValue, "Invalid enum value. Expected 'active' | 'inactive', received 'x'", "version", fault.UnrecognizedKeys, "Unrecognized key(s) in object: 'version'")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePatch([]byte(tt.body), "cust_1", handlingOf(tt.name))
			if err == nil {
				t.Fatalf("ParsePatch(%s) = %s, nil, want a validation error", tt.body, dump(p))
			}
			if fault.KindOf(err) != fault.Validation {
				t.Fatalf("ParsePatch(%s) kind = %v, want Validation", tt.body, fault.KindOf(err))
			}
			if got := details(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParsePatch(%s) details =\n%v\nwant\n%v", tt.body, got, tt.want)
			}
			if !reflect.DeepEqual(p, Patch{}) {
				t.Errorf("ParsePatch(%s) patch = %s, want the zero Patch with an error", tt.body, dump(p))
			}
		})
	}
}

func TestNormalizeNumber(t *testing.T) {
	tests := []struct{ lit, want string }{
		{"0", "0"}, {"-0", "0"}, {"-0.000e-999", "0"}, {"0e9223372036854775808", "0"}, {"0.0", "0"},
		{"1", "1"}, {"-1", "-1"}, {"12.50", "12.5"}, {"12.0", "12"}, {"100", "100"}, {"007", "7"},
		{"1e20", "100000000000000000000"}, {"1E+2", "100"}, {"1.5e3", "1500"}, {"-1.5E-3", "-0.0015"},
		{"0.1", "0.1"}, {"0.10", "0.1"}, {"123.456e1", "1234.56"}, {"123.456e-5", "0.00123456"}, {"1234e-2", "12.34"},
		{"1E-130", "0." + strings.Repeat("0", 129) + "1"}, {"10E-131", "0." + strings.Repeat("0", 129) + "1"},
		{"0.1e-129", "0." + strings.Repeat("0", 129) + "1"}, {"9.99e125", "999" + strings.Repeat("0", 123)},
		{"99e124", "99" + strings.Repeat("0", 124)}, {"1e+125", "1" + strings.Repeat("0", 125)},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
		{"1234567890123456789012345678901234567800000", "1234567890123456789012345678901234567800000"},
		{"0.00012345678901234567890123456789012345678", "0.00012345678901234567890123456789012345678"},
		{"-12345678901234567890123456789012345678e-40", "-0.0012345678901234567890123456789012345678"},
		// Not storable: "".
		{"1e-131", ""}, {"0.99e-130", ""}, {"1e126", ""}, {"10e125", ""}, {"-1e126", ""},
		{"123456789012345678901234567890123456789", ""}, {"1e9223372036854775807", ""}, {"1e-9223372036854775808", ""},
	}
	for _, tt := range tests {
		got, issue := NormalizeNumber(tt.lit)
		if got != tt.want || (issue == "") != (tt.want != "") {
			t.Errorf("NormalizeNumber(%s) = %q, %q; want %q (an issue: %v)", tt.lit, got, issue, tt.want, tt.want == "")
		}
		if tt.want == "" {
			continue
		}
		// The same value, exactly, and a fixed point.
		a, okA := new(big.Rat).SetString(tt.lit)
		b, ok := new(big.Rat).SetString(got)
		if !ok || okA && a.Cmp(b) != 0 { // big.Rat refuses exponents beyond int32 (0e9223372036854775808)
			t.Errorf("NormalizeNumber(%s) = %s, another value", tt.lit, got)
		}
		if again, _ := NormalizeNumber(got); again != got {
			t.Errorf("NormalizeNumber(%s) = %s, and again %s", tt.lit, got, again)
		}
	}
}

func TestDecodeBodyDeepNesting(t *testing.T) {
	for _, depth := range []int{500, 20000} {
		b := `{"customFields":{"x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}`
		_, err := ParsePatch([]byte(b), "x", Lenient)
		if err == nil {
			t.Errorf("ParsePatch(nesting depth %d) error = nil, want an error", depth)
		}
		if k := fault.KindOf(err); k != fault.Validation && k != fault.BadRequest {
			t.Errorf("ParsePatch(nesting depth %d) kind = %v, want Validation or BadRequest", depth, k)
		}
	}
}

func BenchmarkParsePatch(b *testing.B) {
	body := []byte(`{"firstName":"Ann","company":null,"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St",` +
		`"city":"Springfield","country":"US"},"customFields":{"plan":"gold","old":null,"seats":12}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePatch(body, "cust_1", Lenient); err != nil {
			b.Fatal(err)
		}
	}
}
