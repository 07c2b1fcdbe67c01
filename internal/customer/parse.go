package customer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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
	// The decoder checks the whole first value before decoding it (no separate json.Valid pass);
	// anything but white space after it is trailing data.
	var obj any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, fault.Wrap(fault.BadRequest, "Request body is not valid JSON", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fault.E(fault.BadRequest, "Request body is not valid JSON")
	}
	m, ok := obj.(map[string]any)
	if !ok {
		return nil, fault.E(fault.BadRequest, "Request body must be a JSON object")
	}
	// Only now is body known to be valid JSON, which the scans rely on.
	if loneSurrogate(body) {
		return nil, fault.E(fault.BadRequest, "Request body escapes half of a UTF-16 surrogate pair")
	}
	if path, dup := duplicateKey(body); dup {
		return nil, fault.E(fault.BadRequest, fmt.Sprintf("Request body has a duplicate key: %q", clip(path, 100)))
	}
	return m, nil
}

// duplicateKey reports whether a JSON document, already known to be valid, holds the same key twice
// in one object at any depth, and the JSON path of the second one. Keys are compared unescaped,
// so {"a":1,"\u0061":2} is a duplicate too. It is a scan of the bytes rather than a walk with
// json.Decoder.Token, which costs several times a plain decode.
func duplicateKey(doc []byte) (string, bool) {
	s := dupScanner{doc: doc, stack: make([]pathSeg, 0, 8)}
	s.value()
	if !s.dup {
		return "", false
	}
	path := ""
	for _, seg := range s.stack {
		if seg.index >= 0 {
			path = Index(path, seg.index)
		} else {
			path = Join(path, string(seg.key))
		}
	}
	return path, true
}

type dupScanner struct {
	doc   []byte
	i     int
	dup   bool
	stack []pathSeg // the path to the current value; kept as it stood at a duplicate
}

type pathSeg struct {
	key   []byte // unescaped
	index int    // -1 for an object member
}

func (s *dupScanner) skipSpace() {
	for s.i < len(s.doc) && (s.doc[s.i] == ' ' || s.doc[s.i] == '\t' || s.doc[s.i] == '\r' || s.doc[s.i] == '\n') {
		s.i++
	}
}

// value skips one value at s.i, stopping at the first duplicate.
func (s *dupScanner) value() {
	s.skipSpace()
	switch s.doc[s.i] {
	case '{':
		s.object()
	case '[':
		s.i++
		s.stack = append(s.stack, pathSeg{index: 0})
		top := len(s.stack) - 1
		for {
			s.skipSpace()
			if s.doc[s.i] == ']' {
				s.i++
				break
			}
			if s.doc[s.i] == ',' {
				s.i++
				s.stack[top].index++
			}
			s.value()
			if s.dup {
				return
			}
		}
		s.stack = s.stack[:top]
	case '"':
		s.str()
	default: // number, true, false, null
		for s.i < len(s.doc) && !strings.ContainsRune(",]} \t\r\n", rune(s.doc[s.i])) {
			s.i++
		}
	}
}

func (s *dupScanner) object() {
	s.i++ // '{'
	// The keys of a small object are searched linearly, as byte slices of doc where they need no
	// unescaping, so that a typical body costs no allocation here.
	var (
		few  [16][]byte
		n    int
		many map[string]struct{}
	)
	for {
		s.skipSpace()
		switch s.doc[s.i] {
		case '}':
			s.i++
			return
		case ',':
			s.i++
			s.skipSpace()
		}
		raw := s.str()
		key := raw[1 : len(raw)-1]
		if bytes.IndexByte(raw, '\\') >= 0 {
			var unescaped string
			_ = json.Unmarshal(raw, &unescaped) // valid by json.Valid
			key = []byte(unescaped)
		}
		seen := false
		if many != nil {
			_, seen = many[string(key)]
			many[string(key)] = struct{}{}
		} else {
			seen = slices.ContainsFunc(few[:n], func(k []byte) bool { return bytes.Equal(k, key) })
			if n < len(few) {
				few[n] = key
				n++
			} else {
				many = make(map[string]struct{}, 2*len(few))
				for _, k := range few {
					many[string(k)] = struct{}{}
				}
				many[string(key)] = struct{}{}
			}
		}
		s.stack = append(s.stack, pathSeg{key: key, index: -1})
		if seen {
			s.dup = true
			return
		}
		s.skipSpace()
		s.i++ // ':'
		s.value()
		if s.dup {
			return
		}
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// str returns the string literal at s.i, quotes included, and moves past it.
func (s *dupScanner) str() []byte {
	start := s.i
	s.i++
	for s.doc[s.i] != '"' {
		if s.doc[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
	return s.doc[start:s.i]
}

// loneSurrogate reports whether a valid JSON document has a \u escape of half a UTF-16
// surrogate pair without the other half, which encoding/json would turn into U+FFFD without a
// word. In valid JSON every backslash starts an escape inside a string, so the bytes can be
// scanned without tracking strings.
func loneSurrogate(doc []byte) bool {
	if bytes.IndexByte(doc, '\\') < 0 {
		return false
	}
	hex4 := func(b []byte) rune {
		n, err := strconv.ParseUint(string(b), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i := 0; i < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if doc[i] != 'u' {
			continue
		}
		r := hex4(doc[i+1 : i+5])
		i += 4
		switch {
		case r >= 0xD800 && r < 0xDC00: // high half: a low half must follow
			if i+6 < len(doc) && doc[i+1] == '\\' && doc[i+2] == 'u' {
				if low := hex4(doc[i+3 : i+7]); low >= 0xDC00 && low < 0xE000 {
					i += 6
					continue
				}
			}
			return true
		case r >= 0xDC00 && r < 0xE000: // a low half alone
			return true
		}
	}
	return false
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
