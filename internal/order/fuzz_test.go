package order

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// checkParseError fails t unless err is a BadRequest *fault.Error with a message, or a
// *fault.ValidationError with at least one complete detail.
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
			// The path may be "": a key "" at the top of the body.
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

func FuzzParseInput(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `{"a":1,"a":2}`, body(),
		body(`"shippingAddress":null`, `"orderType":"upgrade"`, `"customFields":{"a":1.50,"b":" x ","c":false}`, `"notes":" hi "`),
		body(`"notes":"line 1\r\n\tline 2"`), body(`"notes":"a\u0000b"`), body(`"notes":" "`),
		`{"customer":{"email":"Ann <a@b.c>","firstName":" ","lastName":1,"phone":"12"},"billingAddress":{},"items":[{},null,{"sku":"a","quantity":1.5,"contractLength":1e3}]}`,
		`{"customer":{"email":"a@b.c","firstName":"A","lastName":"B","customerType":"business","company":"C"},"billingAddress":{"contactName":"A","streetAddress":"S","city":"C","country":"US"},"items":[{"sku":"x","quantity":1000,"contractLength":120}],"customFields":{"k":null}}`,
		body(`"orderType":"extension"`, `"extensionDetails":{"originalOrderId":"ord_1","extensionMonths":6.0,"previousEndDate":"2026-01-01","newEndDate":"2026-07-01","reason":""}`),
		body(`"orderType":"upgrade"`, `"upgradeDetails":{"previousDevice":"X","previousSerialNumber":"S","previousMonthlyAmount":49.90,"previousRentalId":"r","x":1}`),
		body(`"unknown":1`, `"notes":""`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := ParseInput(body, customer.Lenient)
		// Strict parsing refuses more, never accepts more or reads anything differently.
		if strictIn, strictErr := ParseInput(body, customer.Strict); strictErr == nil && (err != nil || !reflect.DeepEqual(strictIn, in)) {
			t.Fatalf("ParseInput(%q, strict) = %+v, nil; lenient = %+v, %v", body, strictIn, in, err)
		}
		if err != nil {
			checkParseError(t, body, err)
			if !reflect.DeepEqual(in, Input{}) {
				t.Fatalf("ParseInput(%q) = %+v with an error, want the zero Input", body, in)
			}
			return
		}
		if n := len(in.Items); n < 1 || n > MaxItems {
			t.Fatalf("ParseInput(%q) has %d items, want 1 to %d", body, n, MaxItems)
		}
		if in.OrderType == "" || in.Customer.CustomerType == "" || in.CustomFields == nil {
			t.Fatalf("ParseInput(%q) = %+v, want defaults filled in", body, in)
		}
		for _, it := range in.Items {
			if it.ContractLength < 1 || it.ContractLength > MaxContractLength || it.Quantity < 1 || it.Quantity > MaxQuantity {
				t.Fatalf("ParseInput(%q) item %+v, want quantity and contract length in range", body, it)
			}
		}
		if (in.ExtensionDetails != nil) != (in.OrderType == Extension) || (in.UpgradeDetails != nil) != (in.OrderType == Upgrade) {
			t.Fatalf("ParseInput(%q) = %+v, want the details of its order type and no other", body, in)
		}
		if n := utf8.RuneCountInString(in.Notes); n > MaxNotesLen || strings.TrimSpace(in.Notes) != in.Notes ||
			strings.IndexFunc(in.Notes, textControl) >= 0 {
			t.Fatalf("ParseInput(%q) notes = %q, want trimmed, at most %d characters, no control characters but tab, CR, LF", body, in.Notes, MaxNotesLen)
		}
		// A validated input is itself a valid body that parses to the same input and hash.
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("json.Marshal(%+v) error = %v", in, err)
		}
		again, err := ParseInput(b, customer.Strict)
		if err != nil {
			t.Fatalf("ParseInput(%q) = %+v, but its encoding %s fails: %v", body, in, b, err)
		}
		if !reflect.DeepEqual(again, in) || again.Hash() != in.Hash() {
			t.Fatalf("ParseInput(%q) = %+v, re-encoded and parsed = %+v", body, in, again)
		}
	})
}

// textControl reports a control character free text may not hold: any but tab, CR and LF.
func textControl(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\r' && r != '\n' }

func FuzzParseCancel(f *testing.F) {
	for _, s := range []string{``, ` `, `{}`, `{"reason":" x "}`, `{"reason":null}`, `{"reason":1,"x":2}`, `{"reason":"a\r\n\tb"}`, `{"reason":"\u001b"}`, `{"reason":""}`, `[]`, `{"reason":"a","reason":"b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		reason, err := ParseCancel(body, customer.Lenient)
		if strict, strictErr := ParseCancel(body, customer.Strict); strictErr == nil && (err != nil || strict != reason) {
			t.Fatalf("ParseCancel(%q, strict) = %q, nil; lenient = %q, %v", body, strict, reason, err)
		}
		if err != nil {
			checkParseError(t, body, err)
			if reason != "" {
				t.Fatalf("ParseCancel(%q) = %q with an error, want \"\"", body, reason)
			}
			return
		}
		if utf8.RuneCountInString(reason) > MaxReasonLen || strings.TrimSpace(reason) != reason || strings.IndexFunc(reason, textControl) >= 0 {
			t.Fatalf("ParseCancel(%q) = %q, want trimmed, at most %d characters, no control characters but tab, CR, LF", body, reason, MaxReasonLen)
		}
	})
}

func FuzzParseNotes(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"notes":""}`, `{"notes":" x "}`, `{"notes":null}`, `{"notes":1,"x":2}`, `{"notes":"a\r\n\tb"}`, `{"notes":"\u001b"}`, `[]`, `{"notes":"a","notes":"b"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		notes, err := ParseNotes(body, customer.Lenient)
		if strict, strictErr := ParseNotes(body, customer.Strict); strictErr == nil && (err != nil || strict != notes) {
			t.Fatalf("ParseNotes(%q, strict) = %q, nil; lenient = %q, %v", body, strict, notes, err)
		}
		if err != nil {
			checkParseError(t, body, err)
			if notes != "" {
				t.Fatalf("ParseNotes(%q) = %q with an error, want \"\"", body, notes)
			}
			return
		}
		if utf8.RuneCountInString(notes) > MaxNotesLen || strings.TrimSpace(notes) != notes || strings.IndexFunc(notes, textControl) >= 0 {
			t.Fatalf("ParseNotes(%q) = %q, want trimmed, at most %d characters, no control characters but tab, CR, LF", body, notes, MaxNotesLen)
		}
	})
}
