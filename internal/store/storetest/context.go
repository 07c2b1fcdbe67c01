package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var contextTests = []test{
	{name: "Cancelled", fn: testCancelledContext},
}

// testCancelledContext: every method called with a context that is already done (a request whose
// client left, or whose Lambda deadline passed) fails with an error that matches the context's,
// and writes nothing.
func testCancelledContext(t *testing.T, s Store) {
	idle := idleCustomer(t, s, tenantA, fullInput("idle@example.com"))
	busy := createOrder(t, s, tenantA, newInput("busy@example.com"))
	k := key("key_1", "secret-1", "2026-01-01T00:00:00.000Z", tenantA)
	if err := s.PutAPIKey(t.Context(), k); err != nil {
		t.Fatalf("PutAPIKey error = %v, want nil", err)
	}
	customersBefore := customerIDs(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50}))
	ordersBefore := orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50}))
	busyCustomer := getCustomer(t, s, tenantA, busy.Customer.CustomerID)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	other := key("key_2", "secret-2", "2026-01-02T00:00:00.000Z", tenantA)
	calls := []struct {
		name string
		call func() error
	}{
		{"GetCustomer", func() error { _, err := s.GetCustomer(ctx, tenantA, idle.CustomerID); return err }},
		{"UpdateCustomer", func() error {
			_, err := s.UpdateCustomer(ctx, tenantA, idle.CustomerID, customer.Patch{FirstName: ptr("Late")}, nil)
			return err
		}},
		{"UpdateCustomer with an email change", func() error {
			_, err := s.UpdateCustomer(ctx, tenantA, idle.CustomerID, customer.Patch{Email: ptr("late@example.com")}, nil)
			return err
		}},
		{"DeactivateCustomer", func() error { _, err := s.DeactivateCustomer(ctx, tenantA, idle.CustomerID, nil); return err }},
		{"ListCustomers", func() error { _, err := s.ListCustomers(ctx, tenantA, customer.ListQuery{Limit: 10}); return err }},
		{"CreateOrder for a new customer", func() error {
			_, _, err := s.CreateOrder(ctx, tenantA, newInput("new@example.com"), order.Idempotency{Key: "late", RequestHash: "h"})
			return err
		}},
		{"CreateOrder for a known customer", func() error {
			_, _, err := s.CreateOrder(ctx, tenantA, newInput("busy@example.com"), order.Idempotency{})
			return err
		}},
		{"GetOrder", func() error { _, err := s.GetOrder(ctx, tenantA, busy.OrderID); return err }},
		{"ListOrders", func() error { _, err := s.ListOrders(ctx, tenantA, order.ListQuery{Limit: 10}); return err }},
		{"CancelOrder", func() error {
			_, _, err := s.CancelOrder(ctx, tenantA, busy.OrderID, "late", order.Idempotency{})
			return err
		}},
		{"APIKey", func() error { _, err := s.APIKey(ctx, k.Hash); return err }},
		{"PutAPIKey", func() error { return s.PutAPIKey(ctx, other) }},
		{"RevokeAPIKey", func() error { return s.RevokeAPIKey(ctx, k.ID) }},
		{"ListAPIKeys", func() error { _, err := s.ListAPIKeys(ctx, tenantA); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error = %v, want one matching %v", c.name, err, context.Canceled)
		}
	}

	unchanged(t, s, tenantA, idle)
	unchanged(t, s, tenantA, busyCustomer)
	sameOrder(t, "order after a cancel with a cancelled context", getOrder(t, s, tenantA, busy.OrderID), busy)
	sameIDs(t, "customers after calls with a cancelled context", customerIDs(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 50})), customersBefore)
	sameIDs(t, "orders after calls with a cancelled context", orderIDs(listOrders(t, s, tenantA, order.ListQuery{Limit: 50})), ordersBefore)
	// The key of the refused order is free: a live request with it is a new order.
	if _, replayed, err := s.CreateOrder(t.Context(), tenantA, newInput("new@example.com"), order.Idempotency{Key: "late", RequestHash: "h2"}); err != nil || replayed {
		t.Errorf("CreateOrder with the key of a refused request = replayed %v, error %v; want false, nil", replayed, err)
	}
	if got, err := s.APIKey(t.Context(), k.Hash); err != nil || got.Status != auth.StatusActive {
		t.Errorf("APIKey after a revoke with a cancelled context = status %q, %v; want %q, nil", got.Status, err, auth.StatusActive)
	}
	_, err := s.APIKey(t.Context(), other.Hash)
	wantErr(t, fmt.Sprintf("APIKey(%s) after its put with a cancelled context", other.ID), err, auth.ErrKeyNotFound)
}
