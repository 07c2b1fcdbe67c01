package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

// TestEveryErrorCode makes each FlexPortal error code the API answers happen at least once, on an
// endpoint that produces it, and checks status, code, message and shape (internal/compat's
// error.json, through expect): details exactly on VALIDATION_ERROR. Outcomes the embedded store
// cannot be brought to (an order with subscriptions, a key still in flight, failures) come from a
// store that fails with the store's own error.
func TestEveryErrorCode(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	_, pendingCID := e.order(keyT1, "t1", "pending@example.com")
	cancelled, _ := e.order(keyT1, "t1", "c@example.com")
	e.do(req{method: "POST", path: "/v1/orders/" + cancelled + "/cancel"}).expect(t, http.StatusOK, "")
	gone := e.customer("gone@example.com")
	e.do(req{method: "DELETE", path: "/v1/customers/" + gone}).expect(t, http.StatusOK, "")
	erased := e.customer("erased@example.com")
	e.do(req{method: "POST", path: "/v1/customers/" + erased + "/erase"}).expect(t, http.StatusOK, "")
	e.do(req{method: "POST", path: "/v1/orders", body: orderBody("k@example.com"), header: http.Header{"Idempotency-Key": {"used"}}}).
		expect(t, http.StatusCreated, "")

	rentingOrder, rentingCID := e.order(keyT1, "t1", "renting@example.com")
	o, err := e.store.GetOrder(t.Context(), "t1", rentingOrder)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ApplyRentalEvent(t.Context(), storetest.SubscriptionCreated("evt_1", "t1", "sub_1", rentingCID, rentingOrder, o.Items[0].SKU, 10_000000)); err != nil {
		t.Fatal(err)
	}

	failing := func(err error) http.Handler {
		return httpapi.New(&fakeStore{err: err}, httpapi.Options{Logger: slog.New(slog.DiscardHandler)}).Handler()
	}
	tests := []struct {
		name        string
		h           http.Handler // nil: e's API on the embedded store
		r           req
		wantStatus  int
		wantCode    string
		wantMessage string
		wantDetails []detail
	}{
		{name: "invalid body", r: req{method: "PUT", path: "/v1/customers/" + cid, body: `{"email":"nope","firstName":""}`},
			wantStatus: 400, wantCode: "VALIDATION_ERROR", wantMessage: "Invalid request body", wantDetails: []detail{
				{"email", "Invalid email format", "invalid_string"},
				{"firstName", "String must contain at least 1 character(s)", "too_small"}}},
		{name: "invalid order", r: req{method: "POST", path: "/v1/orders", body: strings.Replace(orderBody("n@example.com"), `"quantity":1`, `"quantity":1001`, 1)},
			wantStatus: 400, wantCode: "VALIDATION_ERROR", wantMessage: "Invalid request body", wantDetails: []detail{
				{"items.0.quantity", "Number must be less than or equal to 1000", "too_big"}}},
		{name: "invalid query", r: req{method: "GET", path: "/v1/customers?customerType=vip"},
			wantStatus: 400, wantCode: "VALIDATION_ERROR", wantMessage: "Invalid query parameters", wantDetails: []detail{
				{"customerType", "Invalid enum value. Expected 'individual' | 'business', received 'vip'", "invalid_enum_value"}}},
		{name: "body not JSON", r: req{method: "PUT", path: "/v1/customers/" + cid, body: `{"email":`},
			wantStatus: 400, wantCode: "INVALID_REQUEST", wantMessage: "Request body is not valid JSON"},
		{name: "bad cursor", r: req{method: "GET", path: "/v1/orders?startAfter=abc"},
			wantStatus: 400, wantCode: "INVALID_REQUEST", wantMessage: `Query parameter "startAfter" is not a cursor of this query`},
		{name: "not cancellable", h: failing(fmt.Errorf("fake: cancel: %w", order.ErrNotCancellable)), r: req{method: "POST", path: "/v1/orders/" + missingOrder + "/cancel"},
			wantStatus: 400, wantCode: "ORDER_NOT_CANCELLABLE", wantMessage: order.ErrNotCancellable.Message},
		{name: "already cancelled", r: req{method: "POST", path: "/v1/orders/" + cancelled + "/cancel"},
			wantStatus: 400, wantCode: "ALREADY_CANCELLED", wantMessage: "The order is already cancelled"},
		{name: "no Authorization", r: req{method: "GET", path: "/v1/customers", key: "-"},
			wantStatus: 401, wantCode: "AUTH_REQUIRED", wantMessage: "An Authorization header with a Bearer API key is required"},
		{name: "not Bearer", r: req{method: "GET", path: "/v1/customers", key: "-", header: http.Header{"Authorization": {"Basic " + keyT1}}},
			wantStatus: 401, wantCode: "INVALID_TOKEN", wantMessage: `The Authorization header must be "Bearer <api key>"`},
		{name: "revoked key", r: req{method: "GET", path: "/v1/customers", key: keyRevoked},
			wantStatus: 401, wantCode: "INVALID_TOKEN", wantMessage: "The API key is invalid or revoked"},
		{name: "no Tenant-ID", r: req{method: "GET", path: "/v1/customers", tenant: "-"},
			wantStatus: 403, wantCode: "NO_TENANT_ACCESS", wantMessage: "The Tenant-ID header is required"},
		{name: "malformed Tenant-ID", r: req{method: "GET", path: "/v1/customers", tenant: "t1/../t2"},
			wantStatus: 403, wantCode: "NO_TENANT_ACCESS", wantMessage: "Tenant-ID must be 1 to 64 ASCII letters, digits or . _ : - characters"},
		{name: "tenant not granted", r: req{method: "GET", path: "/v1/customers", tenant: "t2"},
			wantStatus: 403, wantCode: "NO_TENANT_ACCESS", wantMessage: "This API key has no access to this tenant"},
		{name: "scope not held", r: req{method: "DELETE", path: "/v1/customers/" + cid, key: keyOnly(auth.CustomersRead)},
			wantStatus: 403, wantCode: "INSUFFICIENT_PERMISSIONS", wantMessage: "This API key lacks the customers:write permission this request needs"},
		{name: "no such customer", r: req{method: "GET", path: "/v1/customers/" + missingCustomer},
			wantStatus: 404, wantCode: "NOT_FOUND", wantMessage: "Customer not found"},
		{name: "not a customer id", r: req{method: "PUT", path: "/v1/customers/cust_1", body: `{"firstName":"A"}`},
			wantStatus: 404, wantCode: "NOT_FOUND", wantMessage: "Customer not found"},
		{name: "no such order", r: req{method: "GET", path: "/v1/orders/" + missingOrder},
			wantStatus: 404, wantCode: "NOT_FOUND", wantMessage: "Order not found"},
		{name: "unknown route", r: req{method: "GET", path: "/v1/customer", key: "-", tenant: "-"},
			wantStatus: 404, wantCode: "NOT_FOUND", wantMessage: "No such route"},
		{name: "wrong method", r: req{method: "PATCH", path: "/v1/orders", key: "-", tenant: "-"},
			wantStatus: 405, wantCode: "METHOD_NOT_ALLOWED", wantMessage: "Method PATCH is not allowed on this path"},
		{name: "email taken", r: req{method: "PUT", path: "/v1/customers/" + cid, body: `{"email":"pending@example.com"}`},
			wantStatus: 409, wantCode: "EMAIL_ALREADY_EXISTS", wantMessage: "A customer with this email already exists"},
		{name: "pending orders", r: req{method: "DELETE", path: "/v1/customers/" + pendingCID},
			wantStatus: 409, wantCode: "CUSTOMER_HAS_PENDING_ORDERS", wantMessage: "The customer has pending orders"},
		{name: "active subscriptions", r: req{method: "DELETE", path: "/v1/customers/" + rentingCID},
			wantStatus: 409, wantCode: "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", wantMessage: "The customer has active subscriptions"},
		{name: "order with a subscription", r: req{method: "POST", path: "/v1/orders/" + rentingOrder + "/cancel"},
			wantStatus: 400, wantCode: "ORDER_NOT_CANCELLABLE", wantMessage: order.ErrNotCancellable.Message},
		{name: "inactive customer", r: req{method: "POST", path: "/v1/orders", body: orderBody("gone@example.com")},
			wantStatus: 409, wantCode: "CUSTOMER_INACTIVE", wantMessage: "The customer is inactive"},
		{name: "erased", r: req{method: "PUT", path: "/v1/customers/" + erased, body: `{"firstName":"X"}`},
			wantStatus: 409, wantCode: "CUSTOMER_ERASED", wantMessage: "The customer is erased"},
		{name: "active subscriptions", h: failing(fmt.Errorf("fake: erase: %w", customer.ErrActiveSubscriptions)), r: req{method: "POST", path: "/v1/customers/" + cid + "/erase"},
			wantStatus: 409, wantCode: "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", wantMessage: "The customer has active subscriptions"},
		{name: "key in flight", h: failing(fmt.Errorf("fake: create: %w", order.ErrIdempotencyInUse)), r: req{method: "POST", path: "/v1/orders", body: orderBody("f@example.com"), header: http.Header{"Idempotency-Key": {"k"}}},
			wantStatus: 409, wantCode: "IDEMPOTENCY_KEY_IN_USE", wantMessage: "A request with this Idempotency-Key is still being processed"},
		{name: "stale If-Match", r: req{method: "PUT", path: "/v1/customers/" + cid, body: `{"firstName":"X"}`, header: http.Header{"If-Match": {`"99"`}}},
			wantStatus: 412, wantCode: "PRECONDITION_FAILED", wantMessage: customer.ErrPrecondition.Message},
		{name: "body too large", r: req{method: "PUT", path: "/v1/customers/" + cid, body: padTo(`{"firstName":"X"}`, customer.MaxBodyBytes+1)},
			wantStatus: 413, wantCode: "PAYLOAD_TOO_LARGE", wantMessage: "The request body is larger than 64 KiB"},
		{name: "not JSON", r: req{method: "POST", path: "/v1/orders", body: orderBody("t@example.com"), contentType: "text/plain"},
			wantStatus: 415, wantCode: "UNSUPPORTED_MEDIA_TYPE", wantMessage: "Content-Type must be application/json"},
		{name: "key reused", r: req{method: "POST", path: "/v1/orders", body: orderBody("other@example.com"), header: http.Header{"Idempotency-Key": {"used"}}},
			wantStatus: 422, wantCode: "IDEMPOTENCY_KEY_REUSED", wantMessage: "This Idempotency-Key was used with a different request body"},
		{name: "store failing", h: failing(errors.New("dynamo: ResourceNotFoundException: table prod-customers")), r: req{method: "GET", path: "/v1/orders/" + missingOrder},
			wantStatus: 500, wantCode: "INTERNAL_ERROR", wantMessage: "An internal error occurred"},
		{name: "store throttled", h: failing(fault.Wrap(fault.Unavailable, "throttled", errors.New("ThrottlingException"))), r: req{method: "GET", path: "/v1/customers"},
			wantStatus: 503, wantCode: "SERVICE_UNAVAILABLE", wantMessage: "The service is temporarily unavailable; retry later"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h
			if h == nil {
				h = e.h
			}
			got := serve(t, h, tt.r)
			got.expect(t, tt.wantStatus, tt.wantCode)
			if msg := got.errorMessage(); msg != tt.wantMessage {
				t.Errorf("message %q, want %q", msg, tt.wantMessage)
			}
			if d := got.details(t); fmt.Sprint(d) != fmt.Sprint(tt.wantDetails) {
				t.Errorf("details %+v, want %+v", d, tt.wantDetails)
			}
			seen[tt.wantCode] = true
		})
	}
	// Every code of the one table is answered by some endpoint.
	for _, k := range fault.Kinds() {
		if !seen[k.Code()] {
			t.Errorf("no case above answers %s (%d)", k.Code(), k.Status())
		}
	}
}

// TestNotFoundFunction: the $default function answers in the same shape, before any auth.
func TestNotFoundFunction(t *testing.T) {
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v2/customers", 404, "NOT_FOUND"},
		{"DELETE", "/v1/orders/" + missingOrder, 405, "METHOD_NOT_ALLOWED"},
	} {
		w := httptest.NewRecorder()
		httpapi.NotFound().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		got := resp{ResponseRecorder: w}
		if err := json.Unmarshal(w.Body.Bytes(), &got.body); err != nil {
			t.Fatalf("NotFound() %s %s: body %s: %v", tt.method, tt.path, w.Body, err)
		}
		got.expect(t, tt.status, tt.code)
	}
}
