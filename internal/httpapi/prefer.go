package httpapi

import (
	"net/http"
	"strings"
)

// preferStrict reports whether the request asks, with RFC 7240's Prefer header, for strict
// handling ("Prefer: handling=strict"): body fields the API would otherwise ignore are then
// refused. The header may be sent several times and each time list several preferences,
// separated by commas, each with optional parameters after semicolons; names are
// case-insensitive, and so are the values of handling ("strict" / "lenient", RFC 7240 4.4), which
// may be quoted. Only the first handling preference counts ("If any preference is specified more
// than once, only the first instance is to be considered", RFC 7240 2). Anything the parser does
// not understand is ignored, as a server must ignore preferences it does not support.
func preferStrict(h http.Header) bool {
	for _, line := range h.Values("Prefer") {
		for _, pref := range splitQuoted(line, ',') {
			// The preference itself is what stands before its first parameter.
			token, _, _ := cutQuoted(pref, ';')
			name, value, hasValue := strings.Cut(token, "=")
			if !strings.EqualFold(strings.TrimSpace(name), "handling") {
				continue
			}
			v := strings.TrimSpace(value)
			if unq, ok := unquote(v); ok {
				v = unq
			}
			return hasValue && strings.EqualFold(v, "strict")
		}
	}
	return false
}

// markStrict sets the Preference-Applied header of a response to a request that asked for
// strict handling, which the handler honours (RFC 7240 3).
func markStrict(w http.ResponseWriter) { w.Header().Set("Preference-Applied", "handling=strict") }

// splitQuoted splits s at every sep that is not inside a quoted-string (RFC 9110 5.6.4).
func splitQuoted(s string, sep byte) []string {
	var parts []string
	for {
		part, rest, found := cutQuoted(s, sep)
		parts = append(parts, part)
		if !found {
			return parts
		}
		s = rest
	}
}

// cutQuoted is strings.Cut at the first sep outside a quoted-string, whose backslash escapes it
// skips.
func cutQuoted(s string, sep byte) (before, after string, found bool) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// unquote returns the content of the quoted-string s, its escapes undone, and whether s is one.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}
