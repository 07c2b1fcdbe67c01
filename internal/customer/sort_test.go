package customer_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

func TestFoldName(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Ada", "ADA"},
		{"Strauß", "STRAUSS"},         // full folding: ß is ss
		{"Ådne", "A\u030Adne"},        // composed and decomposed are one name
		{"\u212Bngström", "ångström"}, // the Angstrom sign is canonically Å
		{"ΣΊΣΥΦΟΣ", "σίσυφος"},        // final sigma
		{"Ǆemal", "ǆemal"},
	}
	for _, tt := range tests {
		if a, b := customer.FoldName(tt.a), customer.FoldName(tt.b); a != b {
			t.Errorf("FoldName(%q) = %q, FoldName(%q) = %q, want the same", tt.a, a, tt.b, b)
		}
	}
	if a, b := customer.FoldName("İstanbul"), customer.FoldName("istanbul"); a == b {
		t.Errorf("FoldName(İstanbul) = FoldName(istanbul) = %q, want them apart (full folding, no Turkic rule)", a)
	}
}

func TestSortNumbers(t *testing.T) {
	amounts := []float64{-5, 0, 0.000001, 0.5, 9.99, 10, 12.5, 99.75, 1e6, 123456789.123456, 1e19, 1e20, 1e300}
	var enc []string
	for _, n := range amounts {
		enc = append(enc, customer.SortNumber(n))
	}
	for i := 1; i < len(enc); i++ {
		if enc[i-1] > enc[i] {
			t.Errorf("SortNumber(%v) = %q sorts after SortNumber(%v) = %q", amounts[i-1], enc[i-1], amounts[i], enc[i])
		}
		if len(enc[i]) != len(enc[0]) {
			t.Errorf("SortNumber(%v) = %q: %d characters, want %d", amounts[i], enc[i], len(enc[i]), len(enc[0]))
		}
	}
	if enc[0] != enc[1] || enc[len(enc)-2] != enc[len(enc)-1] {
		t.Errorf("SortNumber clamps negatives to 0 and large amounts to 1e20: got %q, %q", enc[0], enc[len(enc)-1])
	}
	counts := []int64{-1, 0, 1, 9, 10, 99, 100, 1 << 40, 1<<63 - 1}
	for i := 1; i < len(counts); i++ {
		if a, b := customer.SortCount(counts[i-1]), customer.SortCount(counts[i]); a > b || len(a) != len(b) {
			t.Errorf("SortCount(%d) = %q, SortCount(%d) = %q: want the first no greater, same width", counts[i-1], a, counts[i], b)
		}
	}
}

// TestPositionOrder: positions in each sort compare as docs/api.md orders the list: by the value,
// case-insensitively for names and emails, a value before its extensions, ties by creation.
func TestPositionOrder(t *testing.T) {
	c := func(id, first, last, email string, revenue float64, devices int64) customer.Customer {
		return customer.Customer{CustomerID: id, FirstName: first, LastName: last, Email: email,
			TotalMonthlyRevenue: revenue, TotalDevicesRented: devices}
	}
	// In creation order (ids ascending).
	cs := []customer.Customer{
		c("cust_1", "bea", "Zed", "b@example.com", 10, 1),
		c("cust_2", "Ann", "young", "A@example.com", 9.5, 2),
		c("cust_3", "ANNA", "Young", "c@example.com", 100, 0),
		c("cust_4", "Ann", "Ásgeir", "a+1@example.com", 9.5, 10),
	}
	tests := []struct {
		sort customer.Sort
		want []string // ascending
	}{
		{customer.ByCreatedAt, []string{"cust_1", "cust_2", "cust_3", "cust_4"}},
		{customer.ByFirstName, []string{"cust_2", "cust_4", "cust_3", "cust_1"}},      // ann, ann (by creation), anna, bea
		{customer.ByLastName, []string{"cust_2", "cust_3", "cust_1", "cust_4"}},       // young, young, zed, ásgeir (after z: not a collation)
		{customer.ByEmail, []string{"cust_4", "cust_2", "cust_1", "cust_3"}},          // a+1@, a@, b@, c@
		{customer.ByMonthlyRevenue, []string{"cust_2", "cust_4", "cust_1", "cust_3"}}, // 9.5, 9.5, 10, 100
		{customer.ByDevicesRented, []string{"cust_3", "cust_1", "cust_2", "cust_4"}},  // 0, 1, 2, 10
	}
	for _, tt := range tests {
		sorted := slices.Clone(cs)
		slices.SortFunc(sorted, func(a, b customer.Customer) int { return strings.Compare(a.Position(tt.sort), b.Position(tt.sort)) })
		var got []string
		for _, x := range sorted {
			got = append(got, x.CustomerID)
			if id := customer.PositionID(x.Position(tt.sort)); id != x.CustomerID {
				t.Errorf("PositionID(%q) = %q, want %q", x.Position(tt.sort), id, x.CustomerID)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("customers by %s = %v, want %v", tt.sort, got, tt.want)
		}
	}
}

func TestListQueryMatches(t *testing.T) {
	yes, no := true, false
	renter := customer.Customer{Status: customer.Active, CustomerType: customer.Business, Email: "Ada@Example.com", TotalDevicesRented: 2}
	idle := customer.Customer{Status: customer.Inactive, CustomerType: customer.Individual, Email: "bea@example.com"}
	tests := []struct {
		q            customer.ListQuery
		renter, idle bool
	}{
		{customer.ListQuery{}, true, true},
		{customer.ListQuery{SortBy: customer.ByEmail, Limit: 1, Desc: true}, true, true},
		{customer.ListQuery{Status: customer.Active}, true, false},
		{customer.ListQuery{Type: customer.Individual}, false, true},
		{customer.ListQuery{Email: "ada@example.COM"}, true, false},
		{customer.ListQuery{HasActiveRentals: &yes}, true, false},
		{customer.ListQuery{HasActiveRentals: &no}, false, true},
		{customer.ListQuery{HasActiveRentals: &no, Status: customer.Active}, false, false},
	}
	for _, tt := range tests {
		if got := tt.q.Matches(renter); got != tt.renter {
			t.Errorf("%+v.Matches(renter) = %v, want %v", tt.q, got, tt.renter)
		}
		if got := tt.q.Matches(idle); got != tt.idle {
			t.Errorf("%+v.Matches(idle) = %v, want %v", tt.q, got, tt.idle)
		}
	}
}
