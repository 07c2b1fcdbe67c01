package customer

import "github.com/flexportal-compat/customers-api/internal/fault"

// Handling says what the parsers do with a key that an object of a body does not have: an
// unknown field, or a read-only one of PUT. It is the "handling" preference of RFC 7240, which
// a client asks for with "Prefer: handling=strict"; every parser of a body takes it (ParsePatch,
// ParseAddress, and the order parsers), so that one request is strict or lenient throughout.
type Handling uint8

// The handlings.
const (
	// Lenient ignores such keys, as FlexPortal's schemas allow them: a client may send back the
	// object it read, read-only fields and all. The default.
	Lenient Handling = iota
	// Strict refuses each such key as an unrecognized_keys issue at its path.
	Strict
)

// String is the preference's value: "lenient" or "strict".
func (h Handling) String() string {
	if h == Strict {
		return "strict"
	}
	return "lenient"
}

// UnknownKey records key, found at path (its full path) in an object that has no such key, as
// an unrecognized_keys issue when h is Strict, and ignores it otherwise.
func (h Handling) UnknownKey(v *fault.ValidationError, path, key string) {
	if h == Strict {
		v.UnknownKey(path, key)
	}
}
