package compat_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/rental"
)

// renting orders one device for a new customer of email through the API, then applies
// FlexPortal's subscription.created for it to the store, as the rental-events function does
// with the events of FlexPortal's subscription service, which no API request can send. It
// returns the customer's and the order's ids.
func renting(t *testing.T, srv *server, email string) (customerID, orderID string) {
	t.Helper()
	const sku = "RENT-1"
	order := seedOrderBody(email, "Rita", "Renter", "individual", sku)
	created := srv.do(t, request{method: "POST", path: "/v1/orders", header: jsonHeader, body: jsonBody(t, order)}).must(t, http.StatusCreated)
	orderID, customerID = str(created, "orderId"), str(created, "order", "customer", "customerId")
	if orderID == "" || customerID == "" {
		t.Fatalf("create order for %s: no orderId or customer id in %v", email, created)
	}
	ev, err := rental.Parse(fmt.Appendf(nil, `{"id": "evt_%[1]s", "event": "subscription.created", "timestamp": "2026-12-01T09:00:00.000Z",
		"tenantId": %[2]q, "data": {"subscriptionId": "sub_%[1]s", "customerId": %[3]q, "orderId": %[1]q, "sku": %[4]q, "monthlyAmount": 49.99}}`,
		orderID, tenant, customerID, sku))
	if err != nil {
		t.Fatalf("the subscription event: %v", err)
	}
	if _, err := srv.store.ApplyRentalEvent(t.Context(), ev); err != nil {
		t.Fatalf("ApplyRentalEvent(%+v): %v", ev, err)
	}
	got := srv.do(t, request{method: "GET", path: "/v1/customers/" + customerID}).must(t, http.StatusOK)
	if n, _ := field(got, "totalDevicesRented").(float64); n != 1 {
		t.Fatalf("after subscription.created, totalDevicesRented = %v, want 1", field(got, "totalDevicesRented"))
	}
	return customerID, orderID
}
