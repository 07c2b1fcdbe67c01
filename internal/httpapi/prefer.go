package httpapi

import (
	"net/http"
	"strings"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// handling is the customer.Handling a request asks for with "Prefer: handling=strict" (docs/api.md,
// Every request), for the parsers of its body. A strict request's response, success or error,
// says so with "Preference-Applied: handling=strict" (RFC 7240 section 3), which handling sets
// on w before the body is parsed. Anything else, "handling=lenient" included, is Lenient, the
// default, and is not echoed.
func handling(w http.ResponseWriter, r *http.Request) customer.Handling {
	v, ok := preferences(r.Header.Values("Prefer"))["handling"]
	if !ok || !strings.EqualFold(v, "strict") {
		return customer.Lenient
	}
	w.Header().Set("Preference-Applied", "handling=strict")
	return customer.Strict
}

// preferences parses Prefer header lines (RFC 7240 section 2):
//
//	Prefer     = 1#preference
//	preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
//	word       = token / quoted-string
//
// and returns each preference's value (unquoted; "" when it has none) by its name, lower-cased:
// names are case-insensitive. A preference given more than once counts by its first instance,
// as section 2 says. Parameters are not used by any preference the service knows, and are skipped;
// a preference that does not parse is ignored, as a server ignores preferences it does not
// understand.
func preferences(lines []string) map[string]string {
	prefs := map[string]string{}
	for _, line := range lines {
		p := prefParser{s: line}
		for !p.done() {
			name, value, ok := p.preference()
			if _, seen := prefs[name]; ok && !seen {
				prefs[name] = value
			}
			p.skipPast(',') // the rest of a bad preference, or its parameters
		}
	}
	return prefs
}

// prefParser reads one Prefer header line.
type prefParser struct {
	s string
	i int
}

func (p *prefParser) done() bool { return p.i >= len(p.s) }

func (p *prefParser) ows() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// preference reads `token [ "=" word ]` at the start of an element of the list, lower-casing the
// token. It stops before any parameters.
func (p *prefParser) preference() (name, value string, ok bool) {
	p.ows()
	name = p.token()
	if name == "" {
		return "", "", false
	}
	p.ows()
	if p.i < len(p.s) && p.s[p.i] == '=' {
		p.i++
		p.ows()
		if value, ok = p.word(); !ok {
			return "", "", false
		}
		p.ows()
	}
	if p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != ';' {
		return "", "", false // junk after the value
	}
	return strings.ToLower(name), value, true
}

// token reads an RFC 9110 token (tchar+), or nothing.
func (p *prefParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// word reads a token or a quoted-string (unquoting its quoted-pairs).
func (p *prefParser) word() (string, bool) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return p.token(), true // an empty token is an empty value, which RFC 7240 equates with none
	}
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; c {
		case '"':
			p.i++
			return b.String(), true
		case '\\':
			if p.i++; p.i >= len(p.s) {
				return "", false
			}
			b.WriteByte(p.s[p.i])
		default:
			b.WriteByte(c)
		}
	}
	return "", false // unterminated
}

// skipPast moves past the next sep outside a quoted-string, or to the end of the line.
func (p *prefParser) skipPast(sep byte) {
	quoted := false
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case quoted && c == '\\':
			p.i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			p.i++
			return
		}
	}
}

// isTchar reports whether c may stand in an RFC 9110 token.
func isTchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
