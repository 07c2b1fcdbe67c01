package customer

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// The field validators below share one shape, so that ParsePatch and order.ParseInput apply the
// same rules: Parse*(v, path, raw) checks raw, a value decoded by DecodeBody found at JSON path
// path, records every failure in v (with its zod issue code and message, as FlexPortal answers
// it) and returns the trimmed, typed value and whether it is valid. A nil raw (JSON null) is
// invalid_type ("Expected string, received null"): callers decide first what null means.

// Limits of the customer fields, in characters (runes) of the trimmed value.
const (
	MaxNameLen           = 100
	MaxCompanyLen        = 200
	MaxAddressFieldLen   = 200
	MaxEmailLen          = 254
	MaxEmailLocalLen     = 64
	MaxDomainLabelLen    = 63
	MaxCustomFieldKeyLen = 40
	MaxCustomFieldStrLen = 500
)

// Join returns the JSON path of key inside the object at path ("" is the body itself), dotted as
// zod joins a path: "billingAddress.city", "customFields.plan", and "customFields." for an empty key.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return fault.Path(path, key)
}

// Index returns the JSON path of element i of the array at path, the index a number as zod
// writes it: "items.2".
func Index(path string, i int) string { return Join(path, strconv.Itoa(i)) }

// TypeOf is zod's name of the type of raw, a value decoded by DecodeBody: string, number,
// boolean, object, array or null. It is the "received" of an invalid_type message.
func TypeOf(raw any) string {
	switch raw.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// ParseString validates a single-line string of minLen to maxLen characters after trimming white
// space, with no control characters (C0, DEL or C1) left inside. With minLen 0, an empty string
// is valid.
func ParseString(v *fault.ValidationError, path string, raw any, minLen, maxLen int) (string, bool) {
	return parseString(v, path, raw, minLen, maxLen, unicode.IsControl)
}

// ParseText validates free text, as ParseString does, except that tabs and line breaks (CR, LF)
// may stand inside it: notes, reasons and custom field values may span lines. Every other
// control character is invalid: NUL and escape sequences have no place in stored text and break
// the clients and logs that show it.
func ParseText(v *fault.ValidationError, path string, raw any, minLen, maxLen int) (string, bool) {
	return parseString(v, path, raw, minLen, maxLen, isTextControl)
}

func isTextControl(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\r' && r != '\n' }

func parseString(v *fault.ValidationError, path string, raw any, minLen, maxLen int, invalid func(rune) bool) (string, bool) {
	s, ok := raw.(string)
	if !ok {
		v.WrongType(path, "string", TypeOf(raw))
		return "", false
	}
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && minLen > 0:
		v.Addf(path, fault.TooSmall, "String must contain at least %d character(s)", minLen)
	case strings.IndexFunc(s, invalid) >= 0:
		v.Add(path, fault.Custom, "Must not contain control characters")
	case n < minLen:
		v.Addf(path, fault.TooSmall, "String must contain at least %d character(s)", minLen)
	case n > maxLen:
		v.Addf(path, fault.TooBig, "String must contain at most %d character(s)", maxLen)
	default:
		return s, true
	}
	return "", false
}

// ParseName validates a first or last name: 1–100 characters.
func ParseName(v *fault.ValidationError, path string, raw any) (string, bool) {
	return ParseString(v, path, raw, 1, MaxNameLen)
}

// ParseCompany validates a company name: 1–200 characters.
func ParseCompany(v *fault.ValidationError, path string, raw any) (string, bool) {
	return ParseString(v, path, raw, 1, MaxCompanyLen)
}

// ParseEmail validates an email address: a bare local@domain (no display name, no angle
// brackets, no comments, no white space), at most 254 characters, with a local part of 1–64
// characters and a domain a mail server can be found for (see validDomain). It is kept as given:
// uniqueness compares EmailKey.
func ParseEmail(v *fault.ValidationError, path string, raw any) (string, bool) {
	s, ok := ParseString(v, path, raw, 1, MaxEmailLen)
	if !ok {
		return "", false
	}
	// net/mail checks the RFC 5322 syntax of the local part, but accepts whole mailboxes
	// ("Ann <a@b.c>", "a@b.c (work)"); requiring the parsed address to be the input itself leaves
	// only the addr-spec.
	a, err := mail.ParseAddress(s)
	local, domain, _ := strings.Cut(s, "@")
	if err != nil || a.Name != "" || a.Address != s || strings.IndexFunc(s, isSpaceOrControl) >= 0 ||
		strings.Count(s, "@") != 1 || utf8.RuneCountInString(local) > MaxEmailLocalLen || !validDomain(domain) {
		v.Add(path, fault.InvalidString, "Invalid email format")
		return "", false
	}
	return s, true
}

// validDomain reports whether domain is a host name of at least two dot-separated labels, each
// 1–63 characters of letters (any script, for internationalized names, with their combining
// marks), digits and hyphens, neither starting nor ending with a hyphen, and a last label that is
// not all digits. That leaves out what net/mail allows but no client means: single-label hosts
// ("root@localhost"), IP addresses and domain literals ("a@[10.0.0.1]"), and the other atext
// symbols ("a@b_c.com", "a@b!c.com").
func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if n := utf8.RuneCountInString(l); n < 1 || n > MaxDomainLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i, r := range l {
			switch {
			case r >= '0' && r <= '9', r == '-', unicode.IsLetter(r):
			case unicode.IsMark(r) && i > 0:
			default:
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// ParsePhone validates a phone number: 3–32 characters of digits, spaces and + - ( ) ., with at
// least 3 digits.
func ParsePhone(v *fault.ValidationError, path string, raw any) (string, bool) {
	s, ok := ParseString(v, path, raw, 0, 1<<30)
	if !ok {
		return "", false
	}
	digits := 0
	valid := true
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			valid = false
		}
	}
	if n := utf8.RuneCountInString(s); !valid || n < 3 || n > 32 || digits < 3 {
		v.Add(path, fault.Custom, "Must be 3 to 32 characters of digits, spaces and + - ( ) . with at least 3 digits")
		return "", false
	}
	return s, true
}

// ParseEnum validates a string, trimmed, that must be one of allowed ("" included: it is a value
// outside the enumeration, as zod reports it).
func ParseEnum(v *fault.ValidationError, path string, raw any, allowed ...string) (string, bool) {
	s, ok := ParseString(v, path, raw, 0, 1<<30)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		v.BadEnum(path, s, allowed...)
		return "", false
	}
	return s, true
}

// ParseType validates a customer type: individual or business.
func ParseType(v *fault.ValidationError, path string, raw any) (Type, bool) {
	s, ok := ParseEnum(v, path, raw, string(Individual), string(Business))
	return Type(s), ok
}

func parseStatus(v *fault.ValidationError, path string, raw any) (Status, bool) {
	s, ok := ParseEnum(v, path, raw, string(Active), string(Inactive))
	return Status(s), ok
}

// addressFields maps each key of an Address to its field and whether it is required.
var addressFields = map[string]struct {
	required bool
	field    func(*Address) *string
}{
	"contactName":   {true, func(a *Address) *string { return &a.ContactName }},
	"company":       {false, func(a *Address) *string { return &a.Company }},
	"streetAddress": {true, func(a *Address) *string { return &a.StreetAddress }},
	"buildingInfo":  {false, func(a *Address) *string { return &a.BuildingInfo }},
	"locality":      {false, func(a *Address) *string { return &a.Locality }},
	"city":          {true, func(a *Address) *string { return &a.City }},
	"adminArea":     {false, func(a *Address) *string { return &a.AdminArea }},
	"postalCode":    {false, func(a *Address) *string { return &a.PostalCode }},
	"country":       {true, func(a *Address) *string { return &a.Country }},
}

// AddressKey reports whether k is a key of an Address, and whether it is a required one.
func AddressKey(k string) (known, required bool) {
	f, known := addressFields[k]
	return known, f.required
}

// ParseAddress validates an Address object: contactName, streetAddress, city and country
// required, company, buildingInfo, locality, adminArea and postalCode optional (null is absent),
// every string 1–200 characters, no other keys. A missing required key is "Required" at its
// path ("billingAddress.city").
func ParseAddress(v *fault.ValidationError, path string, raw any) (Address, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		v.WrongType(path, "object", TypeOf(raw))
		return Address{}, false
	}
	keys := sortedKeys(obj)
	for k, f := range addressFields {
		if _, present := obj[k]; f.required && !present {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var a Address
	valid := true
	for _, k := range keys {
		at := Join(path, k)
		f, known := addressFields[k]
		val, present := obj[k]
		switch {
		case !known:
			v.UnknownKey(at, k)
			valid = false
		case !present:
			v.Required(at)
			valid = false
		case val == nil && !f.required:
			// null for an optional key is the same as leaving it out
		default:
			s, ok := ParseString(v, at, val, 1, MaxAddressFieldLen)
			*f.field(&a) = s
			valid = valid && ok
		}
	}
	if !valid {
		return Address{}, false
	}
	return a, true
}

// ParseCustomFields validates a customFields object: at most 50 keys with a non-null value; keys
// 1–40 characters without control characters and not only white space; values a string (see
// ParseText: trimmed, 1–500 characters, may span lines), a number DynamoDB can store exactly (kept as the json.Number literal sent)
// or a boolean. When allowNull is true (a merge patch) a null value is kept as nil, meaning
// "remove this key"; otherwise null is invalid. The result is non-nil when ok.
//
// Keys are identifiers, not text: they are never trimmed, so " a" and "a" are two different keys,
// and a client reads back exactly the key it wrote. Any other character is allowed ('.', '[', '#'
// and the like too): the stores never parse a key as a path (DynamoDB gets every key as an
// expression attribute name).
func ParseCustomFields(v *fault.ValidationError, path string, raw any, allowNull bool) (map[string]any, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		v.WrongType(path, "object", TypeOf(raw))
		return nil, false
	}
	valid := true
	set := 0
	for _, val := range obj {
		if val != nil {
			set++
		}
	}
	if set > MaxCustomFields {
		v.Addf(path, fault.TooBig, "Object must contain at most %d key(s)", MaxCustomFields)
		valid = false
	}
	out := make(map[string]any, len(obj))
	for _, k := range sortedKeys(obj) {
		at := Join(path, k)
		if code, msg := keyIssue(k); msg != "" {
			v.Add(at, code, msg)
			valid = false
			continue
		}
		switch val := obj[k].(type) {
		case nil:
			if !allowNull {
				v.WrongType(at, customValueTypes, "null")
				valid = false
				continue
			}
			out[k] = nil
		case string:
			s, ok := ParseText(v, at, val, 1, MaxCustomFieldStrLen)
			valid = valid && ok
			out[k] = s
		case json.Number:
			if issue := numberIssue(string(val)); issue != "" {
				v.Add(at, fault.Custom, issue)
				valid = false
				continue
			}
			out[k] = val
		case bool:
			out[k] = val
		default:
			v.WrongType(at, customValueTypes, TypeOf(val))
			valid = false
		}
	}
	if !valid {
		return nil, false
	}
	return out, true
}

// ParseNumber validates a JSON number that DynamoDB can store exactly (as custom field numbers
// are) and at least lo, and returns it as sent.
func ParseNumber(v *fault.ValidationError, path string, raw any, lo int) (json.Number, bool) {
	n, ok := raw.(json.Number)
	if !ok {
		v.WrongType(path, "number", TypeOf(raw))
		return "", false
	}
	if issue := numberIssue(string(n)); issue != "" {
		v.Add(path, fault.Custom, issue)
		return "", false
	}
	if f, err := n.Float64(); err == nil && f < float64(lo) {
		v.Addf(path, fault.TooSmall, "Number must be greater than or equal to %d", lo)
		return "", false
	}
	return n, true
}

// keyIssue returns what is wrong with a custom field key, if anything.
func keyIssue(k string) (fault.IssueCode, string) {
	switch n := utf8.RuneCountInString(k); {
	case n < 1:
		return fault.TooSmall, "Key must contain at least 1 character(s)"
	case n > MaxCustomFieldKeyLen:
		return fault.TooBig, fmt.Sprintf("Key must contain at most %d character(s)", MaxCustomFieldKeyLen)
	case strings.IndexFunc(k, unicode.IsControl) >= 0:
		return fault.Custom, "Key must not contain control characters"
	case strings.TrimSpace(k) == "":
		return fault.Custom, "Key must not be only white space"
	}
	return "", ""
}

// customValueTypes is the expected type of an invalid_type issue of a custom field value.
const customValueTypes = "string, number or boolean"

// DynamoDB numbers: at most 38 significant digits, zero or a magnitude from 1e-130 up to
// 9.99…(38 nines)e125, i.e. a leading digit at a power of ten from -130 to 125.
const (
	maxNumberDigits = 38
	minNumberExp    = -130
	maxNumberExp    = 125
)

// numberIssue returns why the JSON number literal lit cannot be stored exactly, or "".
func numberIssue(lit string) string {
	s := strings.TrimPrefix(lit, "-")
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return "" // zero, whatever its exponent
	}
	rangeIssue := fmt.Sprintf("Number must be 0 or of magnitude from 1e%d to below 1e%d", minNumberExp, maxNumberExp+1)
	e := int64(0)
	if exp != "" {
		var err error
		// A body is at most 64 KiB, so an exponent this far out cannot be offset by the digits.
		if e, err = strconv.ParseInt(strings.TrimPrefix(exp, "+"), 10, 64); err != nil || e > 1<<40 || e < -(1<<40) {
			return rangeIssue
		}
	}
	if len(strings.TrimRight(digits, "0")) > maxNumberDigits {
		return fmt.Sprintf("Number must have at most %d significant digits", maxNumberDigits)
	}
	// The value is digits × 10^(e-len(frac)); its leading digit stands at this power of ten.
	lead := e - int64(len(frac)) + int64(len(digits)) - 1
	if lead < minNumberExp || lead > maxNumberExp {
		return rangeIssue
	}
	return ""
}
