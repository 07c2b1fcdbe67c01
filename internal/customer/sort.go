package customer

import (
	"fmt"
	"math"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Sort is the order of a customer list (docs/api.md: sortBy). Every sort but ByCreatedAt orders by a
// field that changes; ties are broken by creation time in the list's direction.
type Sort string

// Customer list orders.
const (
	ByCreatedAt      Sort = "createdAt" // the default; "" means it too
	ByFirstName      Sort = "firstName"
	ByLastName       Sort = "lastName"
	ByEmail          Sort = "email" // by EmailKey
	ByMonthlyRevenue Sort = "totalMonthlyRevenue"
	ByDevicesRented  Sort = "totalDevicesRented"
)

// Sorts are the customer list orders, the default first.
var Sorts = []Sort{ByCreatedAt, ByFirstName, ByLastName, ByEmail, ByMonthlyRevenue, ByDevicesRented}

// SortSep separates a sort value from the id in a position (see Position). No field may hold a
// control character, so it sorts below every character a value can have: a value that is a
// prefix of another sorts first, and equal values are ordered by the id after it.
const SortSep = "\x01"

// Position is where c stands in a list in order s, as a string whose byte order is the list's
// ascending order: for ByCreatedAt the id (ULIDs are time-ordered), otherwise the sort value,
// SortSep and the id, so ties fall back to creation order. Both stores key their indexes by it.
func (c Customer) Position(s Sort) string {
	if s == "" || s == ByCreatedAt {
		return c.CustomerID
	}
	return c.SortValue(s) + SortSep + c.CustomerID
}

// SortValue is the value of c that order s compares, encoded so that strings compare as the
// values do: names case-folded (FoldName), the email by its key (EmailKey), numbers as
// fixed-width decimals (SortNumber, SortCount). ByCreatedAt has none: its position is the id.
func (c Customer) SortValue(s Sort) string {
	switch s {
	case ByFirstName:
		return FoldName(c.FirstName)
	case ByLastName:
		return FoldName(c.LastName)
	case ByEmail:
		return EmailKey(c.Email)
	case ByMonthlyRevenue:
		return SortNumber(c.TotalMonthlyRevenue)
	case ByDevicesRented:
		return SortCount(c.TotalDevicesRented)
	}
	return ""
}

// PositionID is the id at the end of a position made by Position (the whole of a ByCreatedAt
// position).
func PositionID(pos string) string {
	if i := strings.LastIndex(pos, SortSep); i >= 0 {
		return pos[i+len(SortSep):]
	}
	return pos
}

// FoldName is the form in which names sort: Unicode canonical caseless matching (full case
// folding, golang.org/x/text/cases.Fold, between canonical decompositions), composed again (NFC)
// so that "Ådne", "ådne" and "A\u030Adne" sort as one, as do "Strauß" and "STRAUSS".
func FoldName(s string) string {
	// A Caser keeps state between calls and may not be shared: one per call.
	return norm.NFC.String(cases.Fold().String(norm.NFD.String(s)))
}

// Widths of SortNumber and SortCount: money to 20 integer digits and 6 decimals, counts to the
// range of int64.
const (
	sortNumberMax = 1e20
	sortCountLen  = 19
)

// SortNumber is n (a sum of money) as a fixed-width, zero-padded decimal that sorts as the
// number does: 21 integer digits and 6 decimals. Amounts are never negative; a negative, NaN
// or larger amount is clamped into [0, 1e20].
func SortNumber(n float64) string {
	if !(n > 0) { // NaN included
		n = 0
	}
	n = math.Min(n, sortNumberMax)
	return fmt.Sprintf("%028.6f", n)
}

// SortCount is n (a count, never negative; a negative one is 0) as a 19-digit zero-padded
// decimal.
func SortCount(n int64) string {
	return fmt.Sprintf("%0*d", sortCountLen, max(n, 0))
}

// HasActiveRentals reports whether c rents at least one device now (docs/api.md: hasActiveRentals).
func (c Customer) HasActiveRentals() bool { return c.TotalDevicesRented > 0 }

// Matches reports whether c passes every filter of q: status, type, email (by EmailKey) and
// hasActiveRentals. Limit, After, SortBy and Desc select nothing.
func (q ListQuery) Matches(c Customer) bool {
	return (q.Status == "" || c.Status == q.Status) &&
		(q.Type == "" || c.CustomerType == q.Type) &&
		(q.Email == "" || EmailKey(c.Email) == EmailKey(q.Email)) &&
		(q.HasActiveRentals == nil || c.HasActiveRentals() == *q.HasActiveRentals)
}

// Sorted reports whether q's order is by a field that changes, not by creation (ByCreatedAt).
func (q ListQuery) Sorted() bool { return q.SortBy != "" && q.SortBy != ByCreatedAt }

// Stamp is when a write set a sort position, as a store keeps it beside the position: on the
// later pages of a sorted list it shows only the records stamped no later than the list's first
// page, so a record whose sort value changed meanwhile (and may have moved from behind the
// cursor to ahead of it) is seen at most once. Fixed-width UTC to the microsecond, finer than
// Timestamp, so that a write in the millisecond of a first page is told apart from it.
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

const stampLayout = "2006-01-02T15:04:05.000000Z"

// StampWidth is the length of every Stamp.
const StampWidth = len(stampLayout)

// ValidStamp reports whether s is a Stamp.
func ValidStamp(s string) bool {
	t, err := time.Parse(stampLayout, s)
	return err == nil && Stamp(t) == s
}

// StampOf is the Stamp of a Timestamp (ts), "" when ts is none: the stamp of a record that is
// new, whose exact stamp does not matter (a new record has not moved).
func StampOf(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return ""
	}
	return Stamp(t)
}
