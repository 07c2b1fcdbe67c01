package httpapi_test

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// TestMalformedPathIDs checks that a path id of the wrong form is not found without a store call:
// on DynamoDB an id over the key size limit would be a ValidationException, not a miss.
func TestMalformedPathIDs(t *testing.T) {
	bad := []struct{ name, customer, order string }{
		{"short", "cust_1", "ord_1"},
		{"lower case", strings.ToLower(missingCustomer), strings.ToLower(missingOrder)},
		{"other prefix", "ord_" + missingCustomer[5:], "cust_" + missingOrder[4:]},
		{"no prefix", missingCustomer[5:], missingOrder[4:]},
		{"over the key limit", "cust_" + strings.Repeat("0", 2000), "ord_" + strings.Repeat("0", 2000)},
		{"not Crockford", missingCustomer[:len(missingCustomer)-1] + "U", missingOrder[:len(missingOrder)-1] + "I"},
		{"over 128 bits", "cust_8" + missingCustomer[6:], "ord_Z" + missingOrder[5:]},
	}
	s := &fakeStore{err: errors.New("the store was called")}
	h := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.DiscardHandler)}).Handler()
	for _, rt := range httpapi.Routes {
		if !strings.Contains(rt.Pattern, "{") {
			continue
		}
		want := "Customer not found"
		if strings.Contains(rt.Pattern, "{orderId}") {
			want = "Order not found"
		}
		for _, b := range bad {
			t.Run(rt.Name+"/"+b.name, func(t *testing.T) {
				s.calls = 0
				r := routeRequest(rt, b.customer, b.order)
				r.header = http.Header{"If-Match": {`"1", "2"`}} // would read the customer
				got := serve(t, h, r)
				got.expect(t, http.StatusNotFound, "NOT_FOUND")
				if got.errorMessage() != want {
					t.Errorf("message %q, want %q", got.errorMessage(), want)
				}
				if s.calls != 0 {
					t.Errorf("%s %s: %d store calls, want 0", r.method, r.path[:min(len(r.path), 60)], s.calls)
				}
			})
		}
		// An id of the right form goes to the store.
		s.calls = 0
		serve(t, h, routeRequest(rt, missingCustomer, missingOrder)).expect(t, http.StatusInternalServerError, "INTERNAL_ERROR")
		if s.calls == 0 {
			t.Errorf("%s with well-formed ids: no store call", rt.Name)
		}
	}

	// The customerId filter of GET /v1/orders: a value of another form names no customer either,
	// so the list is empty, without a store call.
	for _, b := range bad {
		s.calls = 0
		got := serve(t, h, req{method: "GET", path: "/v1/orders?customerId=" + b.customer})
		got.expect(t, http.StatusOK, "")
		if orders, _ := got.body["orders"].([]any); orders == nil || len(orders) != 0 || got.body["hasMore"] != false || s.calls != 0 {
			t.Errorf("customerId=%.40s: body %s with %d store calls, want an empty last page and 0 calls", b.customer, got.Body, s.calls)
		}
	}
}
