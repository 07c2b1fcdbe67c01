package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestListSortParameters: sortBy and hasActiveRentals take docs/api.md's values only; anything else,
// an empty value or a repeated one is a 400 that names the parameter.
func TestListSortParameters(t *testing.T) {
	e := newEnv(t)
	bad := []struct{ path, param string }{
		{"/v1/customers?sortBy=name", "sortBy"},
		{"/v1/customers?sortBy=FirstName", "sortBy"},
		{"/v1/customers?sortBy=updatedAt", "sortBy"},
		{"/v1/customers?sortBy=", "sortBy"},
		{"/v1/customers?sortBy=email&sortBy=email", "sortBy"},
		{"/v1/customers?hasActiveRentals=yes", "hasActiveRentals"},
		{"/v1/customers?hasActiveRentals=TRUE", "hasActiveRentals"},
		{"/v1/customers?hasActiveRentals=1", "hasActiveRentals"},
		{"/v1/customers?hasActiveRentals=", "hasActiveRentals"},
		{"/v1/orders?sortBy=totals.total", "sortBy"}, // a known deviation: FlexPortal's catalog
		{"/v1/orders?sortBy=firstName", "sortBy"},
		{"/v1/orders?sortBy=createdat", "sortBy"},
		{"/v1/orders?hasActiveRentals=true", "hasActiveRentals"},
	}
	for _, tt := range bad {
		t.Run(tt.path, func(t *testing.T) {
			got := e.do(req{method: "GET", path: tt.path})
			got.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
			if d := got.details(t); len(d) != 1 || d[0].Path != tt.param {
				t.Errorf("GET %s: details %+v, want one, of %s", tt.path, d, tt.param)
			}
		})
	}
	good := []string{
		"/v1/customers?sortBy=createdAt", "/v1/customers?sortBy=firstName", "/v1/customers?sortBy=lastName",
		"/v1/customers?sortBy=email&sortDir=asc", "/v1/customers?sortBy=totalMonthlyRevenue",
		"/v1/customers?sortBy=totalDevicesRented&status=all", "/v1/customers?hasActiveRentals=true",
		"/v1/customers?hasActiveRentals=false&sortBy=lastName&customerType=business",
		"/v1/orders?sortBy=createdAt", "/v1/orders?sortBy=updatedAt", "/v1/orders?sortBy=orderId",
		"/v1/orders?sortBy=status&status=pending", "/v1/orders?sortBy=updatedAt&status=pending&customerId=" + missingCustomer,
	}
	for _, path := range good {
		e.do(req{method: "GET", path: path}).expect(t, http.StatusOK, "")
	}
}

// TestListSorts: the sorts and the rentals filter through the HTTP layer: names case-insensitively,
// ties by creation in the list's direction, every page through its cursor.
func TestListSorts(t *testing.T) {
	e := newEnv(t)
	names := []string{"bea", "Ann", "ANNA", "ann"}
	var ids []string
	for i, name := range names {
		id := e.customer(fmt.Sprintf("c%d@example.com", i))
		e.do(req{method: "PUT", path: "/v1/customers/" + id, body: fmt.Sprintf(`{"firstName":%q,"lastName":"Z%d"}`, name, 3-i)}).expect(t, http.StatusOK, "")
		ids = append(ids, id)
	}
	pick := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, ids[i])
		}
		return out
	}
	reversed := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }
	tests := []struct {
		query string
		want  []string
	}{
		{"?sortBy=firstName&sortDir=asc", pick(1, 3, 2, 0)}, // ann, ann (by creation), anna, bea
		{"?sortBy=firstName", reversed(pick(1, 3, 2, 0))},
		{"?sortBy=lastName&sortDir=asc", pick(3, 2, 1, 0)}, // z0, z1, z2, z3
		{"?sortBy=email&sortDir=asc", pick(0, 1, 2, 3)},
		{"?sortBy=totalDevicesRented", reversed(ids)}, // all 0: by creation, newest first
		{"?sortBy=createdAt&sortDir=asc", ids},
		{"?hasActiveRentals=false&sortDir=asc", ids},
		{"?hasActiveRentals=false&sortBy=firstName&sortDir=asc", pick(1, 3, 2, 0)},
		{"?hasActiveRentals=true", nil},
		{"?hasActiveRentals=true&sortBy=lastName", nil},
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 3, 100} {
			got, _ := listAll(t, e, "/v1/customers"+tt.query, "customers", "customerId", limit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("GET /v1/customers%s, limit %d: ids %v, want %v", tt.query, limit, got, tt.want)
			}
		}
	}

	// Orders: the first and third cancelled, so by updatedAt they come last and by status first.
	var oids []string
	for i := range 4 {
		oid, _ := e.order(keyT1, "t1", fmt.Sprintf("o%d@example.com", i))
		oids = append(oids, oid)
	}
	for _, i := range []int{2, 0} {
		// updatedAt has millisecond precision: two cancels within one millisecond would tie, and a
		// tie goes by creation, the other way round from what this test wants to see.
		time.Sleep(2 * time.Millisecond)
		e.do(req{method: "POST", path: "/v1/orders/" + oids[i] + "/cancel"}).expect(t, http.StatusOK, "")
	}
	// The customers' orders of the loop above come first, all four of them cancelled.
	all, _ := listAll(t, e, "/v1/orders?sortDir=asc", "orders", "orderId", 100)
	earlier := all[:len(all)-4]
	orders := []struct {
		query string
		want  []string
	}{
		{"?sortBy=updatedAt&sortDir=asc&status=pending", []string{oids[1], oids[3]}},
		{"?sortBy=updatedAt&status=cancelled", append([]string{oids[0], oids[2]}, reversed(earlier)...)},
		{"?sortBy=status&sortDir=asc", append(append(slices.Clone(earlier), oids[0], oids[2]), oids[1], oids[3])},
		{"?sortBy=orderId&sortDir=asc", all},
	}
	for _, tt := range orders {
		for _, limit := range []int{1, 100} {
			got, _ := listAll(t, e, "/v1/orders"+tt.query, "orders", "orderId", limit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("GET /v1/orders%s, limit %d: ids %v, want %v", tt.query, limit, got, tt.want)
			}
		}
	}
}

// TestListSortCursors: a cursor is bound to sortBy, sortDir and hasActiveRentals as to the other
// filters; the default said aloud is the default, and orderId is createdAt's order.
func TestListSortCursors(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.customer(fmt.Sprintf("c%d@example.com", i))
		e.order(keyT1, "t1", fmt.Sprintf("o%d@example.com", i))
	}
	cursorOf := func(path string) string {
		t.Helper()
		got := e.do(req{method: "GET", path: path})
		got.expect(t, http.StatusOK, "")
		c := got.str("nextCursor")
		if c == "" {
			t.Fatalf("GET %s: no cursor: %s", path, got.Body)
		}
		return url.QueryEscape(c)
	}
	byName := cursorOf("/v1/customers?status=all&limit=1&sortBy=firstName&hasActiveRentals=false")
	byDefault := cursorOf("/v1/customers?status=all&limit=1")
	byUpdate := cursorOf("/v1/orders?limit=1&sortBy=updatedAt")
	byID := cursorOf("/v1/orders?limit=1&sortBy=orderId")
	tests := []struct {
		name, path string
		want       int
	}{
		{"same query", "/v1/customers?status=all&sortBy=firstName&hasActiveRentals=false&limit=2&startAfter=" + byName, 200},
		{"other sortBy", "/v1/customers?status=all&sortBy=lastName&hasActiveRentals=false&startAfter=" + byName, 400},
		{"without sortBy", "/v1/customers?status=all&hasActiveRentals=false&startAfter=" + byName, 400},
		{"other sortDir", "/v1/customers?status=all&sortBy=firstName&hasActiveRentals=false&sortDir=asc&startAfter=" + byName, 400},
		{"without hasActiveRentals", "/v1/customers?status=all&sortBy=firstName&startAfter=" + byName, 400},
		{"other hasActiveRentals", "/v1/customers?status=all&sortBy=firstName&hasActiveRentals=true&startAfter=" + byName, 400},
		{"other status", "/v1/customers?sortBy=firstName&hasActiveRentals=false&startAfter=" + byName, 400},
		{"default sortBy said aloud", "/v1/customers?status=all&sortBy=createdAt&startAfter=" + byDefault, 200},
		{"a sortBy on a default cursor", "/v1/customers?status=all&sortBy=email&startAfter=" + byDefault, 400},
		{"hasActiveRentals on a default cursor", "/v1/customers?status=all&hasActiveRentals=false&startAfter=" + byDefault, 400},
		{"orders, same query", "/v1/orders?sortBy=updatedAt&startAfter=" + byUpdate, 200},
		{"orders, other sortBy", "/v1/orders?sortBy=status&startAfter=" + byUpdate, 400},
		{"orders, without sortBy", "/v1/orders?startAfter=" + byUpdate, 400},
		{"orders, orderId is createdAt", "/v1/orders?sortBy=createdAt&startAfter=" + byID, 200},
		{"orders, orderId is the default", "/v1/orders?startAfter=" + byID, 200},
		{"customers cursor on orders", "/v1/orders?sortBy=updatedAt&startAfter=" + byName, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do(req{method: "GET", path: tt.path})
			code := ""
			if tt.want == 400 {
				code = "INVALID_REQUEST"
			}
			got.expect(t, tt.want, code)
			if tt.want == 400 && !strings.Contains(got.errorMessage(), "startAfter") {
				t.Errorf("message %q does not name startAfter", got.errorMessage())
			}
		})
	}
}
