package httpapi_test

import (
	"bytes"
	"context"
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
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

// fakeStore answers every call with err, and API keys from keys. It is for outcomes the
// embedded store cannot be made to produce: failures, and order states the API cannot reach.
type fakeStore struct {
	err   error
	calls int
}

func (f *fakeStore) fail() error { f.calls++; return f.err }

func (f *fakeStore) GetCustomer(context.Context, string, string) (customer.Customer, error) {
	return customer.Customer{}, f.fail()
}
func (f *fakeStore) UpdateCustomer(context.Context, string, string, customer.Patch, customer.IfMatch) (customer.Customer, error) {
	return customer.Customer{}, f.fail()
}
func (f *fakeStore) DeactivateCustomer(context.Context, string, string, customer.IfMatch) (customer.Customer, error) {
	return customer.Customer{}, f.fail()
}
func (f *fakeStore) EraseCustomer(context.Context, string, string) (customer.Customer, error) {
	return customer.Customer{}, f.fail()
}
func (f *fakeStore) ListCustomers(context.Context, string, customer.ListQuery) (customer.Page, error) {
	return customer.Page{}, f.fail()
}
func (f *fakeStore) CreateOrder(context.Context, string, order.Input, order.Idempotency) (order.Order, bool, error) {
	return order.Order{}, false, f.fail()
}
func (f *fakeStore) GetOrder(context.Context, string, string) (order.Order, error) {
	return order.Order{}, f.fail()
}
func (f *fakeStore) ListOrders(context.Context, string, order.ListQuery) (order.Page, error) {
	return order.Page{}, f.fail()
}
func (f *fakeStore) CancelOrder(context.Context, string, string, string, order.Idempotency) (order.Order, bool, error) {
	return order.Order{}, false, f.fail()
}
func (f *fakeStore) UpdateOrderNotes(context.Context, string, string, string) (order.Order, error) {
	return order.Order{}, f.fail()
}
func (f *fakeStore) APIKey(_ context.Context, hash string) (auth.Key, error) {
	if hash == auth.Hash(keyT1) {
		return auth.Key{ID: "k1", Tenants: []string{"t1"}, Scopes: auth.AllScopes, Status: auth.StatusActive}, nil
	}
	return auth.Key{}, auth.ErrKeyNotFound
}

func TestStoreFailures(t *testing.T) {
	secret := "dynamodb: ProvisionedThroughputExceededException on table prod-customers-Table-ABC123 for user@example.com"
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"plain error", errors.New(secret), 500, "INTERNAL_ERROR"},
		{"wrapped internal", fmt.Errorf("dynamo: get: %w", fault.Wrap(fault.Internal, secret, errors.New("cause"))), 500, "INTERNAL_ERROR"},
		{"unavailable", fmt.Errorf("dynamo: update customer: %w", fault.Wrap(fault.Unavailable, secret, errors.New(secret))), 503, "SERVICE_UNAVAILABLE"},
		{"not cancellable", fmt.Errorf("fake: %w", order.ErrNotCancellable), 400, "ORDER_NOT_CANCELLABLE"},
		{"idempotency in use", fmt.Errorf("fake: %w", order.ErrIdempotencyInUse), 409, "IDEMPOTENCY_KEY_IN_USE"},
		{"too many custom fields", fmt.Errorf("fake: %w", customer.TooManyCustomFields()), 400, "VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &fakeStore{err: tt.err}
			h := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}).Handler()
			for _, rt := range httpapi.Routes {
				r := routeRequest(rt, missingCustomer, missingOrder)
				r.header = http.Header{"Idempotency-Key": {"k"}}
				got := serve(t, h, r)
				got.expect(t, tt.wantStatus, tt.wantCode)
				if strings.Contains(got.Body.String(), "ProvisionedThroughput") || strings.Contains(got.Body.String(), "prod-customers") ||
					strings.Contains(got.Body.String(), "user@example.com") {
					t.Errorf("%s: body leaks the cause: %s", rt.Name, got.Body)
				}
				wantRetry := ""
				if tt.wantStatus == 503 {
					wantRetry = "3"
				}
				if ra := got.Header().Get("Retry-After"); ra != wantRetry {
					t.Errorf("%s: Retry-After = %q, want %q", rt.Name, ra, wantRetry)
				}
				if tt.wantStatus >= 500 {
					rid := got.Header().Get("X-Request-Id")
					if !strings.Contains(logs.String(), rid) || !strings.Contains(logs.String(), "ProvisionedThroughput") {
						t.Errorf("%s: cause not logged with request id %s:\n%s", rt.Name, rid, logs.String())
					}
				}
			}
			if s.calls < len(httpapi.Routes) {
				t.Errorf("store called %d times, want at least %d", s.calls, len(httpapi.Routes))
			}
		})
	}
}

func TestKeyStoreFailureIsUnavailable(t *testing.T) {
	s := &failingKeys{fakeStore: fakeStore{}}
	h := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.DiscardHandler)}).Handler()
	got := serve(t, h, req{method: "GET", path: "/v1/customers"})
	got.expect(t, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
}

type failingKeys struct{ fakeStore }

func (failingKeys) APIKey(context.Context, string) (auth.Key, error) {
	return auth.Key{}, fault.Wrap(fault.Unavailable, "throttled", errors.New("ThrottlingException"))
}

func TestNoPersonalDataInLogs(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("private.person@example.com")
	e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: `{"phone":"+44 20 7946 0958","email":"other.person@example.com"}`}).expect(t, 200, "")
	e.do(req{method: "GET", path: "/v1/customers?email=private.person%40example.com"}).expect(t, 200, "")
	e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: `{"email":"bad address@x"}`}).expect(t, 400, "VALIDATION_ERROR")
	logs := e.logs.String()
	for _, pii := range []string{"private.person", "other.person", "7946", "bad address"} {
		if strings.Contains(logs, pii) {
			t.Errorf("logs contain %q:\n%s", pii, logs)
		}
	}
	if !strings.Contains(logs, `"route":"update-customer"`) {
		t.Errorf("no access log line for update-customer:\n%s", logs)
	}
}

// countingStore counts the reads the API makes around an update, and the updates.
type countingStore struct {
	*embedded.Store
	keyReads, customerReads, updates int
}

func (c *countingStore) UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
	c.updates++
	return c.Store.UpdateCustomer(ctx, tenant, id, p, ifMatch)
}

func (c *countingStore) APIKey(ctx context.Context, hash string) (auth.Key, error) {
	c.keyReads++
	return c.Store.APIKey(ctx, hash)
}

func (c *countingStore) GetCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	c.customerReads++
	return c.Store.GetCustomer(ctx, tenant, id)
}

func TestWarmUpdateReadsNothing(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	s := &countingStore{Store: e.store}
	h := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.DiscardHandler)}).Handler()
	for i, ifMatch := range []string{"", `"*"`, "*"} {
		r := req{method: "PUT", path: "/v1/customers/" + cid, body: fmt.Sprintf(`{"lastName":"L%d"}`, i)}
		if ifMatch != "" {
			r.header = http.Header{"If-Match": {ifMatch}}
		}
		serve(t, h, r)
	}
	if s.keyReads != 1 || s.customerReads != 0 {
		t.Errorf("3 updates read the key %d times and the customer %d times, want 1 and 0", s.keyReads, s.customerReads)
	}
}

// TestClientDisconnectIsNot500: a store call that fails because the client went away (its
// context cancelled) is logged as 499 at info, never as a 500 error.
func TestClientDisconnectIsNot500(t *testing.T) {
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	s := &cancellingStore{cancel: cancel}
	h := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}).Handler()
	r := httptest.NewRequestWithContext(ctx, "GET", "/v1/customers/cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", nil)
	r.Header.Set("Authorization", "Bearer "+keyT1)
	r.Header.Set("Tenant-ID", "t1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 499 {
		t.Errorf("status = %d, want 499", rec.Code)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), `"status":499`) {
		t.Errorf("logs = %s, want no ERROR line and a request line with status 499", logs.String())
	}
}

// cancellingStore is a fakeStore whose GetCustomer cancels the request's context and fails with
// the error a store returns then: the client has gone.
type cancellingStore struct {
	fakeStore
	cancel context.CancelFunc
}

func (c *cancellingStore) GetCustomer(ctx context.Context, _, id string) (customer.Customer, error) {
	c.cancel()
	return customer.Customer{}, fmt.Errorf("dynamo: get customer %s: %w", id, ctx.Err())
}
