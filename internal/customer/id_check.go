package customer

import "strings"

// crockford is the alphabet of a ULID's text form: Crockford's base32, upper case, without I, L,
// O and U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ValidULID reports whether s is a ULID as NewULID writes it: 26 characters of Crockford's
// base32 in upper case, the first at most '7' (26 characters hold 130 bits; a ULID has 128).
func ValidULID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}

// ValidID reports whether id has the form of a customer id: "cust_" and a ULID. An id of
// another form names no customer, so callers can answer "not found" without asking the store
// (where an over-long id would be a key the database refuses, not a miss).
func ValidID(id string) bool {
	rest, ok := strings.CutPrefix(id, "cust_")
	return ok && ValidULID(rest)
}
