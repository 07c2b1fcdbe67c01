package customer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// DynamoDB numbers: at most 38 significant digits, zero or a magnitude from 1e-130 up to
// 9.99…(38 nines)e125, i.e. a leading digit at a power of ten from -130 to 125.
const (
	maxNumberDigits = 38
	minNumberExp    = -130
	maxNumberExp    = 125
)

// NormalizeNumber returns the JSON number literal lit in the form DynamoDB gives it back: plain
// decimal notation (no exponent), no leading zeros before the units digit, no trailing zeros
// after the point (and no point when nothing follows it), "0" for every zero (-0 and 0.000
// included), a minus sign only on a negative value. 12.50 becomes 12.5, 1e20
// 100000000000000000000, -1.5E-3 -0.0015.
//
// Custom field numbers are stored so, whichever store holds them, so that every response, the
// first one included, shows the text every later read does (DynamoDB would otherwise answer a
// read with another text than the write's response echoed). The value is never changed: the
// result is the same decimal number, exactly.
//
// issue is non-empty, and the result "", when DynamoDB cannot store the number exactly: more
// than 38 significant digits, or a magnitude outside 1e-130 to 9.99…e125. lit must be a valid
// JSON number (as DecodeBody gives them).
func NormalizeNumber(lit string) (normal string, issue string) {
	neg := strings.HasPrefix(lit, "-")
	s := strings.TrimPrefix(lit, "-")
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	// The value is digits × 10^point, digits without leading or trailing zeros.
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return "0", "" // zero, whatever its sign and exponent
	}
	point := -int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	point += int64(len(digits) - len(trimmed))
	digits = trimmed

	rangeIssue := fmt.Sprintf("Number must be 0 or of magnitude from 1e%d to below 1e%d", minNumberExp, maxNumberExp+1)
	if exp != "" {
		e, err := strconv.ParseInt(strings.TrimPrefix(exp, "+"), 10, 64)
		// A body is at most 64 KiB, so an exponent this far out cannot be offset by the digits.
		if err != nil || e > 1<<40 || e < -(1<<40) {
			return "", rangeIssue
		}
		point += e
	}
	if len(digits) > maxNumberDigits {
		return "", fmt.Sprintf("Number must have at most %d significant digits", maxNumberDigits)
	}
	// The leading digit stands at this power of ten.
	if lead := point + int64(len(digits)) - 1; lead < minNumberExp || lead > maxNumberExp {
		return "", rangeIssue
	}

	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch n := int64(len(digits)); {
	case point >= 0: // an integer: the digits, then zeros
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", int(point)))
	case -point < n: // the point falls inside the digits
		b.WriteString(digits[:n+point])
		b.WriteByte('.')
		b.WriteString(digits[n+point:])
	default: // below 1: zeros after the point, then the digits
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", int(-point-n)))
		b.WriteString(digits)
	}
	return b.String(), ""
}

// normalNumber is NormalizeNumber of a decoded number.
func normalNumber(n json.Number) (json.Number, string) {
	s, issue := NormalizeNumber(string(n))
	return json.Number(s), issue
}
