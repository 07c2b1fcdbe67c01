package customer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// MaxBodyBytes is the largest body accepted on any way into the service (64 KiB): a request body
// of the HTTP API, the changes of a CRM-sync message.
const MaxBodyBytes = 64 << 10

// DecodeBody decodes an untrusted request body that must be one JSON object. It fails with a
// *fault.Error of kind BadRequest when the body is empty, not valid UTF-8 JSON (a \u escape of
// half a UTF-16 surrogate pair included), not an object, followed by more data, or holds the same
// key twice in any object at any depth (encoding/json would silently keep the last one, so a
// client could smuggle a value past a reviewer). Keys are compared unescaped: {"a":1,"\u0061":2}
// holds a duplicate too.
//
// Values in the result are nil, string, json.Number (the literal exactly as sent), bool, []any
// and map[string]any: the input of the Parse* field validators.
func DecodeBody(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fault.E(fault.BadRequest, "Request body is empty")
	}
	// jsontext rejects invalid UTF-8, lone surrogates and duplicate names by default (RFC 7493).
	d := getDecoder(body)
	defer putDecoder(d)
	dec := &d.dec
	v, err := decodeValue(dec)
	if err != nil {
		return nil, badBody(body, dec, err)
	}
	// The decoder reads a stream of values: anything but white space after the first is
	// trailing data.
	if _, err := dec.ReadToken(); err != io.EOF {
		if err != nil {
			return nil, badBody(body, dec, err)
		}
		return nil, fault.E(fault.BadRequest, "Request body is not valid JSON")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fault.E(fault.BadRequest, "Request body must be a JSON object")
	}
	return m, nil
}

// decoder is a jsontext.Decoder with its reader, pooled: a used one keeps the buffers it checks
// names with, which a new one allocates again for every object (about half of DecodeBody's
// allocations for a typical body).
type decoder struct {
	dec jsontext.Decoder
	rd  bytes.Reader
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

func getDecoder(body []byte) *decoder {
	d := decoders.Get().(*decoder)
	d.rd.Reset(body)
	d.dec.Reset(&d.rd)
	return d
}

// putDecoder returns d to the pool unless it read a large body, whose copy in its buffer the
// pool would keep alive.
func putDecoder(d *decoder) {
	large := d.rd.Size() > 64<<10
	d.rd.Reset(nil)
	if !large {
		decoders.Put(d)
	}
}

// decodeValue reads the next value from dec. It builds the tree itself, rather than calling
// json.Unmarshal into an any, so that numbers stay json.Number literals instead of float64.
func decodeValue(dec *jsontext.Decoder) (any, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		obj := map[string]any{}
		for dec.PeekKind() != '}' { // an error makes PeekKind 0; ReadToken returns it
			name, err := dec.ReadToken()
			if err != nil {
				return nil, err
			}
			key := name.String() // before the next read invalidates name
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			obj[key] = val
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return obj, nil
	case '[':
		arr := []any{}
		for dec.PeekKind() != ']' {
			val, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
		return arr, nil
	case '"':
		return tok.String(), nil
	case '0':
		return json.Number(tok.String()), nil // String is the literal for a number
	case 't', 'f':
		return tok.Bool(), nil
	default: // 'n'
		var null any
		return null, nil
	}
}

// badBody turns the error dec met in body into a client-safe one. jsontext reports invalid UTF-8
// and lone surrogates with unexported errors, so they are told apart here, on the failure path
// only: by body not being UTF-8, and by body being valid once jsontext allows invalid UTF-8 —
// which, for a body that is UTF-8, allows nothing else than escaped lone surrogates.
func badBody(body []byte, dec *jsontext.Decoder, err error) error {
	var serr *jsontext.SyntacticError
	switch {
	case !utf8.Valid(body):
		return fault.Wrap(fault.BadRequest, "Request body is not valid UTF-8", err)
	case errors.As(err, &serr) && serr.Err == jsontext.ErrDuplicateName:
		return fault.E(fault.BadRequest, fmt.Sprintf("Request body has a duplicate key: %q", clip(duplicatePath(dec, serr.JSONPointer), 100)))
	case jsontext.Value(body).IsValid(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)):
		return fault.Wrap(fault.BadRequest, "Request body escapes half of a UTF-16 surrogate pair", err)
	}
	return fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
}

// duplicatePath is the JSON path (items.1.sku) of a duplicate name jsontext reported at ptr
// (/items/1/sku). dec still stands in the object holding the duplicate, so its stack tells which
// tokens of ptr are array indexes and which are names, such as "1" in {"1":{"a":1,"a":2}}.
func duplicatePath(dec *jsontext.Decoder, ptr jsontext.Pointer) string {
	path, level := "", 0
	for tok := range ptr.Tokens() {
		level++
		if kind, _ := dec.StackIndex(level); kind == '[' {
			if i, err := strconv.Atoi(tok); err == nil {
				path = Index(path, i)
				continue
			}
		}
		path = Join(path, tok)
	}
	return path
}

// clip shortens s to at most n runes, so that an error message never echoes a huge key.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// ReadOnlyFields are the fields of a customer that a PUT body may hold but cannot change
// (docs/api.md): a client may send back what it read. Like unknown fields they are ignored, or under
// Strict each an unrecognized_keys issue.
var ReadOnlyFields = []string{
	"tenantId", "createdAt", "updatedAt", "createdBy", "version", "totalOrders", "totalDevicesRented",
	"totalMonthlyRevenue", "orderIds", "rentalIds", "lastBillingAddress", "lastShippingAddress", "erasedAt",
}

// ParsePatch parses and validates the body of PUT /v1/customers/{id}, where pathID is the {id},
// handling unknown and read-only keys as h says.
//
// A body that is not one JSON object (see DecodeBody) fails with a *fault.Error of kind BadRequest.
// Every field rule of docs/api.md is checked and every failing field reported in one
// *fault.ValidationError, in path order (object keys in byte order, array elements by index).
// A field that is absent stays unchanged; a value replaces it; null removes company, phone,
// billingAddress and shippingAddress, and so does "" for company and phone; null and "" are
// invalid for the other fields. customFields is merged key by key: null removes a key. A
// customerId equal to pathID is ignored, any other is invalid (custom). Read-only and unknown
// keys are ignored, or under Strict each an unrecognized_keys issue at its path.
//
// A body that changes nothing ({}, only the customerId, only ignored keys) is valid: the result
// is an empty Patch (Patch.Empty), and the caller answers with the customer as it is.
func ParsePatch(body []byte, pathID string, h Handling) (Patch, error) {
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
			p.Company = optionalString(&v, key, raw, ParseCompany)
		case "phone":
			p.Phone = optionalString(&v, key, raw, ParsePhone)
		case "customerType":
			p.CustomerType = required(&v, key, raw, ParseType)
		case "status":
			p.Status = required(&v, key, raw, parseStatus)
		case "billingAddress", "shippingAddress":
			a := optional(&v, key, raw, func(v *fault.ValidationError, path string, raw any) (Address, bool) {
				return ParseAddress(v, path, raw, h)
			})
			if key == "billingAddress" {
				p.BillingAddress = a
			} else {
				p.ShippingAddress = a
			}
		case "customFields":
			if raw == nil {
				v.WrongType(key, "object", "null")
				continue
			}
			if m, ok := ParseCustomFields(&v, key, raw, true); ok && len(m) > 0 {
				p.CustomFields = m
			}
		case "customerId":
			// FlexPortal's schema has it: the path's id is ignored, any other is refused.
			if id, ok := raw.(string); !ok || id != pathID {
				v.Add(key, fault.Custom, "Must be the customer id of the path, or left out")
			}
		default:
			// Read-only fields (ReadOnlyFields) are handled like unknown ones.
			h.UnknownKey(&v, key, key)
		}
	}
	if err := v.Err(); err != nil {
		return Patch{}, err
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

// optionalString is optional for a string field for which "" (after trimming) means "remove"
// too: parse accepts "" and returns it as is.
func optionalString(v *fault.ValidationError, path string, raw any, parse func(*fault.ValidationError, string, any) (string, bool)) Optional[string] {
	o := optional(v, path, raw, parse)
	if o.Value != nil && *o.Value == "" {
		o.Value = nil
	}
	return o
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
