package customer

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// checkParseError fails t unless err is a BadRequest *fault.Error with a message, or a
// *fault.ValidationError with at least one complete detail: the only errors a parser may return.
func checkParseError(t *testing.T, body []byte, err error) {
	t.Helper()
	var v *fault.ValidationError
	var fe *fault.Error
	switch {
	case errors.As(err, &v):
		if len(v.Fields) == 0 {
			t.Fatalf("parse(%q) = empty ValidationError, want at least one detail", body)
		}
		for _, f := range v.Fields {
			// The path may be "": the body itself, or a key "" at its top.
			if f.Message == "" || !slices.Contains(fault.IssueCodes, f.Code) {
				t.Fatalf("parse(%q) detail = %+v, want a message and one of the issue codes %v", body, f, fault.IssueCodes)
			}
		}
		if !json.Valid(body) {
			t.Fatalf("parse(%q) = ValidationError for invalid JSON, want BadRequest", body)
		}
	case errors.As(err, &fe):
		if fe.Kind != fault.BadRequest || fe.Message == "" {
			t.Fatalf("parse(%q) = %#v, want kind BadRequest with a message", body, fe)
		}
	default:
		t.Fatalf("parse(%q) error = %#v, want *fault.Error or *fault.ValidationError", body, err)
	}
}

// patchBody is a request body that asks for exactly p.
func patchBody(p Patch) []byte {
	m := map[string]any{}
	put := func(k string, v any) { m[k] = v }
	if p.Email != nil {
		put("email", *p.Email)
	}
	if p.FirstName != nil {
		put("firstName", *p.FirstName)
	}
	if p.LastName != nil {
		put("lastName", *p.LastName)
	}
	if p.CustomerType != nil {
		put("customerType", *p.CustomerType)
	}
	if p.Status != nil {
		put("status", *p.Status)
	}
	if p.Company.Set {
		put("company", p.Company.Value)
	}
	if p.Phone.Set {
		put("phone", p.Phone.Value)
	}
	if p.BillingAddress.Set {
		put("billingAddress", p.BillingAddress.Value)
	}
	if p.ShippingAddress.Set {
		put("shippingAddress", p.ShippingAddress.Value)
	}
	if p.CustomFields != nil {
		put("customFields", p.CustomFields)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzParsePatch(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"a":1}{}`, `{"a":1,"a":2}`,
		`{"customerId":"cust_1"}`,
		`{"email":" Ann@Example.com ","firstName":"Ann","lastName":"Lee","company":null,"phone":"+1 (555) 123-4567"}`,
		`{"customerType":"business","status":"inactive"}`,
		`{"billingAddress":{"contactName":"Ann","streetAddress":"1 Main St","city":"X","country":"US","postalCode":null},"shippingAddress":null}`,
		`{"customFields":{"plan":"gold","old":null,"n":1.50,"b":true,"e":1e-130,"x":{}}}`,
		`{"billingAddress":{"city":{"a":[1,2,{"b":null}]}},"version":1,"foo":"bar"}`,
		`{"email":"Ann <a@b.c>","phone":"12","status":"x"}`,
		`{"firstName":"A\u0000nn","customFields":{"memo":"line 1\r\n\tline 2","x\u0001":"y","  ":1,"a[0]":"\u001b"}}`,
		`{"email":"user@bücher.de"}`, `{"email":"a@b.123"}`, `{"email":"a@-b.com"}`,
		`{"email":"\u212aate@example.com"}`, `{"email":"Rene\u0301@xn--bcher-kva.de","phone":"","company":""}`,
		`{"lastName":"\u202eLee","firstName":"123","billingAddress":{"contactName":"1","streetAddress":"s","city":"c","country":"x","zip":""}}`,
		`{"customerId":"cust_1","version":3,"createdBy":"apikey:k"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePatch(body, "cust_1", Lenient)
		strict, serr := ParsePatch(body, "cust_1", Strict)
		// Strict refuses more than Lenient, never less, and agrees on what both accept.
		if serr == nil && (err != nil || !reflect.DeepEqual(strict, p)) {
			t.Fatalf("ParsePatch(%q) = %s, %v; under Strict %s, nil", body, dump(p), err, dump(strict))
		}
		if serr != nil {
			checkParseError(t, body, serr)
		}
		if err != nil {
			checkParseError(t, body, err)
			if !reflect.DeepEqual(p, Patch{}) {
				t.Fatalf("ParsePatch(%q) = %s with an error, want the zero Patch", body, dump(p))
			}
			return
		}
		if field, bad := controlIn(p); bad {
			t.Fatalf("ParsePatch(%q) %s = a control or bidirectional override character, want none", body, field)
		}
		if p.Email != nil {
			if !norm.NFC.IsNormalString(*p.Email) {
				t.Fatalf("ParsePatch(%q) email = %q, want it composed (NFC)", body, *p.Email)
			}
			if _, err := emailKey(*p.Email); err != nil {
				t.Fatalf("ParsePatch(%q) email = %q, whose key fails: %v", body, *p.Email, err)
			}
		}
		// A validated patch is itself a valid body, under Strict too, that parses to the same
		// patch: values are trimmed, within limits, and nothing was lost or invented.
		again, err := ParsePatch(patchBody(p), "cust_1", Strict)
		if err != nil {
			t.Fatalf("ParsePatch(%q) = %s, but its re-encoding %s fails: %v", body, dump(p), patchBody(p), err)
		}
		if !reflect.DeepEqual(again, p) {
			t.Fatalf("ParsePatch(%q) = %s, re-encoded and parsed = %s", body, dump(p), dump(again))
		}
	})
}

// controlIn reports the first field of p holding a character no field may hold, and whether there
// is one: a control character or a bidirectional override or isolate, in any field or key.
func controlIn(p Patch) (string, bool) {
	single := map[string]string{}
	for name, s := range map[string]*string{"email": p.Email, "firstName": p.FirstName, "lastName": p.LastName,
		"company": p.Company.Value, "phone": p.Phone.Value} {
		if s != nil {
			single[name] = *s
		}
	}
	for name, a := range map[string]*Address{"billingAddress": p.BillingAddress.Value, "shippingAddress": p.ShippingAddress.Value} {
		if a != nil {
			for i, s := range []string{a.ContactName, a.Company, a.StreetAddress, a.BuildingInfo, a.Locality, a.City, a.AdminArea, a.PostalCode, a.Country} {
				single[name+"["+strconv.Itoa(i)+"]"] = s
			}
		}
	}
	for k, val := range p.CustomFields {
		single["customFields key "+strconv.Quote(k)] = k
		if s, ok := val.(string); ok {
			single["customFields."+k] = s
		}
	}
	for name, s := range single {
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) }) >= 0 {
			return name, true
		}
	}
	return "", false
}

// hasDuplicate is the plain reference for DecodeBody's duplicate check: a walk with
// encoding/json's Decoder.Token.
func hasDuplicate(dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return false, err
			}
			if seen[k.(string)] {
				return true, nil
			}
			seen[k.(string)] = true
			if dup, err := hasDuplicate(dec); dup || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if dup, err := hasDuplicate(dec); dup || err != nil {
				return dup, err
			}
		}
		_, err = dec.Token()
	}
	return false, err
}

// FuzzDecodeBody checks DecodeBody against encoding/json: it accepts exactly the objects
// encoding/json accepts that are UTF-8, have no duplicate key and no lone surrogate, and decodes
// them to the same values as encoding/json with UseNumber.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[1,{"c":1,"\u0063":2}]}}`, `[{"k":"\"}"},{"k":1}]`, `{"x":[[],{}],"y":null}`,
		`{"n":1.50,"e":1e-130,"s":"\u00e9\ud83d\ude00","t":true}`, `{"s":"\ud800"}`, "{\"s\":\"\xff\"}", `{} {}`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := DecodeBody(doc)
		var want any
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		if json.Valid(doc) && dec.Decode(&want) == nil {
			dup, derr := hasDuplicate(json.NewDecoder(bytes.NewReader(doc)))
			if derr != nil {
				t.Fatalf("reference on %q: %v", doc, derr)
			}
			gotDup := err != nil && strings.HasPrefix(err.Error(), "Request body has a duplicate key")
			if gotDup && !dup {
				t.Fatalf("DecodeBody(%q) = %v, want no duplicate reported", doc, err)
			}
			if dup && err == nil {
				t.Fatalf("DecodeBody(%q) = %v, nil; want a duplicate key error", doc, got)
			}
			_, isObj := want.(map[string]any)
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("DecodeBody(%q) = %#v, want %#v as encoding/json decodes it", doc, got, want)
			}
			if err != nil && !dup && isObj && utf8.Valid(doc) && !strings.Contains(err.Error(), "surrogate") {
				t.Fatalf("DecodeBody(%q) = %v, want no error", doc, err)
			}
		} else if err == nil {
			t.Fatalf("DecodeBody(%q) = %v, nil for a body encoding/json rejects; want an error", doc, got)
		}
		if err != nil {
			checkParseError(t, doc, err)
		}
	})
}
