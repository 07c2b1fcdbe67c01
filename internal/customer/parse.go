package customer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// DecodeBody decodes an untrusted request body that must be one JSON object. It fails with a
// *fault.Error of kind BadRequest when the body is empty, not valid UTF-8 JSON, not an object,
// followed by more data, or holds the same key twice in any object at any depth (encoding/json
// would silently keep the last one, so a client could smuggle a value past a reviewer).
//
// Values in the result are nil, string, json.Number (the literal exactly as sent), bool, []any
// and map[string]any: the input of the Parse* field validators.
func DecodeBody(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fault.E(fault.BadRequest, "Request body is empty")
	}
	// encoding/json replaces invalid UTF-8 by U+FFFD without a word; a body that is not UTF-8 is
	// not JSON (RFC 8259 §8.1).
	if !utf8.Valid(body) {
		return nil, fault.E(fault.BadRequest, "Request body is not valid UTF-8")
	}
	// json.Valid also rejects trailing data after the first value.
	if !json.Valid(body) {
		return nil, fault.E(fault.BadRequest, "Request body is not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fault.E(fault.BadRequest, "Request body must be a JSON object")
	}
	obj, err := decodeObject(dec, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fault.E(fault.BadRequest, "Request body must hold exactly one JSON object")
	}
	return obj, nil
}

// decodeObject reads the members of an object whose '{' has been read, up to and including '}'.
func decodeObject(dec *json.Decoder, path string) (map[string]any, error) {
	obj := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fault.E(fault.BadRequest, "Request body is not valid JSON")
		}
		at := Join(path, key)
		// Keys are compared unescaped, so {"a":1,"\u0061":2} is a duplicate too.
		if _, dup := obj[key]; dup {
			return nil, fault.E(fault.BadRequest, fmt.Sprintf("Request body has a duplicate key: %q", clip(at, 100)))
		}
		v, err := decodeValue(dec, at)
		if err != nil {
			return nil, err
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
	}
	return obj, nil
}

func decodeValue(dec *json.Decoder, path string) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // nil, string, json.Number or bool
	}
	switch d {
	case '{':
		return decodeObject(dec, path)
	case '[':
		arr := []any{}
		for i := 0; dec.More(); i++ {
			v, err := decodeValue(dec, Index(path, i))
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil { // the closing ']'
			return nil, fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
		}
		return arr, nil
	}
	return nil, fault.E(fault.BadRequest, "Request body is not valid JSON")
}

// clip shortens s to at most n runes, so that an error message never echoes a huge key.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// readOnly are the Customer fields a PUT may not set.
var readOnly = map[string]bool{
	"customerId": true, "tenantId": true, "createdAt": true, "updatedAt": true, "version": true,
	"totalOrders": true, "totalDevicesRented": true, "totalMonthlyRevenue": true, "orderIds": true,
	"rentalIds": true, "lastBillingAddress": true, "lastShippingAddress": true,
}

// ParsePatch parses and validates the body of PUT /v1/customers/{id}, where pathID is the {id}.
//
// A body that is not one JSON object (see DecodeBody) fails with a *fault.Error of kind BadRequest.
// Every field rule of API.md is checked and every failing field reported in one
// *fault.ValidationError, in path order (object keys in byte order, array elements by index).
// A field that is absent stays unchanged; a value replaces it; null removes company, phone,
// billingAddress and shippingAddress and is invalid for the other fields. customFields is merged
// key by key: null removes a key. A body that changes nothing ({} or only a customerId equal to
// pathID, which is ignored) is invalid too, at field "body". A nil error implies !p.Empty().
func ParsePatch(body []byte, pathID string) (Patch, error) {
	obj, err := DecodeBody(body)
	if err != nil {
		return Patch{}, err
	}
	var (
		p Patch
		v fault.ValidationError
	)
	for _, key := range sortedKeys(obj) {
		raw := obj[key]
		switch key {
		case "email":
			p.Email = required(&v, key, raw, ParseEmail)
		case "firstName", "lastName":
			s := required(&v, key, raw, ParseName)
			if key == "firstName" {
				p.FirstName = s
			} else {
				p.LastName = s
			}
		case "company":
			p.Company = optional(&v, key, raw, ParseCompany)
		case "phone":
			p.Phone = optional(&v, key, raw, ParsePhone)
		case "customerType":
			p.CustomerType = required(&v, key, raw, ParseType)
		case "status":
			p.Status = required(&v, key, raw, parseStatus)
		case "billingAddress":
			p.BillingAddress = optional(&v, key, raw, ParseAddress)
		case "shippingAddress":
			p.ShippingAddress = optional(&v, key, raw, ParseAddress)
		case "customFields":
			if raw == nil {
				v.Add(key, IssueNotNull)
				continue
			}
			if m, ok := ParseCustomFields(&v, key, raw, true); ok && len(m) > 0 {
				p.CustomFields = m
			}
		default:
			if key == "customerId" {
				if id, ok := raw.(string); ok && id == pathID {
					continue
				}
			}
			if readOnly[key] {
				v.Add(key, IssueReadOnly)
			} else {
				v.Add(Join("", key), IssueUnknownField)
			}
		}
	}
	if err := v.Err(); err != nil {
		return Patch{}, err
	}
	if p.Empty() {
		v.Add("body", "must contain at least one field to update")
		return Patch{}, v.Err()
	}
	return p, nil
}

// required validates a field that may not be null and returns a pointer to its value, or nil
// when it failed.
func required[T any](v *fault.ValidationError, path string, raw any, parse func(*fault.ValidationError, string, any) (T, bool)) *T {
	val, ok := parse(v, path, raw)
	if !ok {
		return nil
	}
	return &val
}

// optional validates a present field for which null means "remove".
func optional[T any](v *fault.ValidationError, path string, raw any, parse func(*fault.ValidationError, string, any) (T, bool)) Optional[T] {
	if raw == nil {
		return Optional[T]{Set: true}
	}
	val, ok := parse(v, path, raw)
	if !ok {
		return Optional[T]{}
	}
	return Optional[T]{Set: true, Value: &val}
}

// sortedKeys returns the keys of obj in byte order, which is the order of validation details.
func sortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
