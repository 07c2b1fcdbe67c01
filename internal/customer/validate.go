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

	"golang.org/x/text/unicode/norm"

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
// space, with no control characters (C0, DEL or C1) and no bidirectional override or isolate
// characters (see isBidiControl) left inside. With minLen 0, an empty string is valid.
func ParseString(v *fault.ValidationError, path string, raw any, minLen, maxLen int) (string, bool) {
	return parseString(v, path, raw, minLen, maxLen, unicode.IsControl)
}

// ParseText validates free text, as ParseString does, except that tabs and line breaks (CR, LF)
// may stand inside it. docs/api.md allows them in notes only; every other string is ParseString's.
// Every other control character is invalid: NUL and escape sequences have no place in stored
// text and break the clients and logs that show it.
func ParseText(v *fault.ValidationError, path string, raw any, minLen, maxLen int) (string, bool) {
	return parseString(v, path, raw, minLen, maxLen, isTextControl)
}

func isTextControl(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\r' && r != '\n' }

// isBidiControl reports whether r is one of the bidirectional embedding, override and isolate
// characters (U+202A–U+202E, U+2066–U+2069), which make text display in another order than it
// is stored ("Trojan Source"): refused in every string. The marks U+200E, U+200F and U+061C,
// which change no order on their own, are allowed.
func isBidiControl(r rune) bool { return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 }

func parseString(v *fault.ValidationError, path string, raw any, minLen, maxLen int, control func(rune) bool) (string, bool) {
	s, ok := raw.(string)
	if !ok {
		v.WrongType(path, "string", TypeOf(raw))
		return "", false
	}
	s = strings.TrimSpace(s)
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && minLen > 0:
		v.Addf(path, fault.TooSmall, "String must contain at least %d character(s)", minLen)
	case strings.IndexFunc(s, control) >= 0:
		v.Add(path, fault.Custom, "Must not contain control characters")
	case strings.IndexFunc(s, isBidiControl) >= 0:
		v.Add(path, fault.Custom, "Must not contain bidirectional override or isolate characters")
	case n < minLen:
		v.Addf(path, fault.TooSmall, "String must contain at least %d character(s)", minLen)
	case n > maxLen:
		v.Addf(path, fault.TooBig, "String must contain at most %d character(s)", maxLen)
	default:
		return s, true
	}
	return "", false
}

// ParseName validates a first or last name (and an address's contactName): 1–100 characters, at
// least one of them a letter (of any script), so that "123" or "-" is no name.
func ParseName(v *fault.ValidationError, path string, raw any) (string, bool) {
	return parseName(v, path, raw, MaxNameLen)
}

func parseName(v *fault.ValidationError, path string, raw any, maxLen int) (string, bool) {
	s, ok := ParseString(v, path, raw, 1, maxLen)
	if !ok {
		return "", false
	}
	if strings.IndexFunc(s, unicode.IsLetter) < 0 {
		v.Add(path, fault.Custom, "Must contain at least one letter")
		return "", false
	}
	return s, true
}

// ParseCompany validates a company name: at most 200 characters. An empty value (after
// trimming) is valid and means "none": FlexPortal's schema types company as a plain string, so
// "" is how its clients leave it out or, in PUT, clear it.
func ParseCompany(v *fault.ValidationError, path string, raw any) (string, bool) {
	return ParseString(v, path, raw, 0, MaxCompanyLen)
}

// ParseEmail validates an email address and returns it composed to Unicode NFC, the form it is
// stored in: a bare local@domain (no display name, no angle brackets, no comments), at most 254
// characters, with a local part of 1–64 characters, no white space, control or format characters
// (Cf: U+200B and friends, which make two addresses look alike), no compatibility characters
// (see compatibilityFree), and a domain a mail server can be found for (see validDomain) that
// IDNA's lookup accepts (EmailKey). Uniqueness compares EmailKey.
func ParseEmail(v *fault.ValidationError, path string, raw any) (string, bool) {
	s, ok := ParseString(v, path, raw, 1, 1<<30)
	if !ok {
		return "", false
	}
	// Composed first, so that a decomposed é counts, and is stored, as the one character it is.
	composed := norm.NFC.String(s)
	if utf8.RuneCountInString(composed) > MaxEmailLen {
		v.Addf(path, fault.TooBig, "String must contain at most %d character(s)", MaxEmailLen)
		return "", false
	}
	if !validEmail(s, composed) {
		v.Add(path, fault.InvalidString, "Invalid email format")
		return "", false
	}
	return composed, true
}

// validEmail reports whether composed, the NFC form of the trimmed email s as sent, is a valid
// address (see ParseEmail).
func validEmail(s, composed string) bool {
	if strings.IndexFunc(s, isSpaceControlOrFormat) >= 0 || !compatibilityFree(s) || strings.Count(composed, "@") != 1 {
		return false
	}
	// net/mail checks the RFC 5322 syntax of the local part, but accepts whole mailboxes
	// ("Ann <a@b.c>", "a@b.c (work)"); requiring the parsed address to be the input itself leaves
	// only the addr-spec.
	a, err := mail.ParseAddress(composed)
	if err != nil || a.Name != "" || a.Address != composed {
		return false
	}
	local, domain, _ := strings.Cut(composed, "@")
	if utf8.RuneCountInString(local) > MaxEmailLocalLen || !validDomain(domain) {
		return false
	}
	_, err = emailKey(composed)
	return err == nil
}

// compatibilityFree reports whether no character of s, as sent, changes under NFKC: docs/api.md
// refuses an email "whose NFKC form differs from its NFC form", a compatibility character such
// as a fullwidth letter or U+212A KELVIN SIGN. Each character is judged as sent, not the
// composed string, because some of them (U+212A, U+212B ANGSTROM SIGN, U+2126 OHM SIGN) have
// a canonical decomposition: NFC itself maps them to K, Å and Ω, and the two forms of the whole
// string would agree. A decomposed é is two characters that are each their own NFKC form, so it
// passes (and is composed by ParseEmail).
func compatibilityFree(s string) bool {
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		n := utf8.EncodeRune(buf[:], r)
		if !norm.NFKC.IsNormal(buf[:n]) {
			return false
		}
	}
	return true
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

// isSpaceControlOrFormat reports whether r may not stand in an email: white space, a control
// character, or a format character (Cf: zero-width spaces and joiners, bidirectional marks, the
// soft hyphen), all of them invisible or nearly so.
func isSpaceControlOrFormat(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// MaxPhoneLen is the most characters a phone number may have.
const MaxPhoneLen = 50

// ParsePhone validates a phone number: at most 50 characters, at least one of them a digit
// (0–9); anything else is allowed, so that "+31 6 1234 5678 ext. 12" is a phone number. An empty
// value (after trimming) is valid and means "none", as for ParseCompany.
func ParsePhone(v *fault.ValidationError, path string, raw any) (string, bool) {
	s, ok := ParseString(v, path, raw, 0, MaxPhoneLen)
	if !ok {
		return "", false
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
		v.Add(path, fault.Custom, "Must contain at least one digit")
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

// ParseAddress validates an Address object: contactName, streetAddress, city and country
// required, company, buildingInfo, locality, adminArea and postalCode optional (null and "" are
// absent), every string at most 200 characters and a required one at least 1, contactName with a
// letter (ParseName's rule). Other keys are ignored, or under Strict each an unrecognized_keys
// issue. A missing required key is "Required" at its path ("billingAddress.city").
func ParseAddress(v *fault.ValidationError, path string, raw any, h Handling) (Address, bool) {
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
			h.UnknownKey(v, at, k)
			valid = valid && h != Strict
		case !present:
			v.Required(at)
			valid = false
		case val == nil && !f.required:
			// null for an optional key is the same as leaving it out
		default:
			var s string
			switch {
			case k == "contactName":
				s, ok = parseName(v, at, val, MaxAddressFieldLen)
			case f.required:
				s, ok = ParseString(v, at, val, 1, MaxAddressFieldLen)
			default:
				s, ok = ParseString(v, at, val, 0, MaxAddressFieldLen) // "" is absent
			}
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
// 1–40 characters without control or bidirectional override characters and not only white
// space; values a string (ParseString: trimmed, 1–500 characters, one line), a number DynamoDB
// can store exactly, or a boolean. A number is kept by value, in the form DynamoDB gives it back
// (NormalizeNumber: 12.50 becomes 12.5), so that every store and every response show the same
// text. When allowNull is true (a merge patch) a null value is kept as nil, meaning "remove this
// key"; otherwise null is invalid. The result is non-nil when ok.
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
			s, ok := ParseString(v, at, val, 1, MaxCustomFieldStrLen)
			valid = valid && ok
			out[k] = s
		case json.Number:
			n, issue := normalNumber(val)
			if issue != "" {
				v.Add(at, fault.Custom, issue)
				valid = false
				continue
			}
			out[k] = n
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

// ParseNumber validates a JSON number that DynamoDB can store exactly and at least lo, and
// returns it in the form DynamoDB gives it back (NormalizeNumber), as custom field numbers are.
func ParseNumber(v *fault.ValidationError, path string, raw any, lo int) (json.Number, bool) {
	n, ok := raw.(json.Number)
	if !ok {
		v.WrongType(path, "number", TypeOf(raw))
		return "", false
	}
	normal, issue := NormalizeNumber(string(n))
	if issue != "" {
		v.Add(path, fault.Custom, issue)
		return "", false
	}
	if f, err := json.Number(normal).Float64(); err == nil && f < float64(lo) {
		v.Addf(path, fault.TooSmall, "Number must be greater than or equal to %d", lo)
		return "", false
	}
	return json.Number(normal), true
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
	case strings.IndexFunc(k, isBidiControl) >= 0:
		return fault.Custom, "Key must not contain bidirectional override or isolate characters"
	case strings.TrimSpace(k) == "":
		return fault.Custom, "Key must not be only white space"
	}
	return "", ""
}

// customValueTypes is the expected type of an invalid_type issue of a custom field value.
const customValueTypes = "string, number or boolean"
