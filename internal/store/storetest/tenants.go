package storetest

import (
	"reflect"
	"slices"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var tenantTests = []test{
	{name: "Isolation", fn: testTenantIsolation},
	{name: "SameEmail", fn: testTenantSameEmail},
}

// testTenantIsolation: another tenant's ids are not found by any method, and lists never cross.
func testTenantIsolation(t *testing.T, s Store) {
	ctx := t.Context()
	o := createOrder(t, s, tenantA, fullInput("a@example.com"))
	c := getCustomer(t, s, tenantA, o.Customer.CustomerID)
	idle := idleCustomer(t, s, tenantA, newInput("idle@example.com"))
	ob := createOrder(t, s, tenantB, newInput("b@example.com"))
	cb := getCustomer(t, s, tenantB, ob.Customer.CustomerID)

	for _, x := range []struct {
		from   string
		c      customer.Customer
		o      order.Order
		others []customer.Customer
	}{
		{tenantB, c, o, []customer.Customer{c, idle}},
		{tenantA, cb, ob, []customer.Customer{cb}},
	} {
		id := x.c.CustomerID
		_, err := s.GetCustomer(ctx, x.from, id)
		wantErr(t, "GetCustomer(other tenant's id)", err, customer.ErrNotFound)
		_, err = s.UpdateCustomer(ctx, x.from, id, customer.Patch{FirstName: ptr("Intruder")}, nil)
		wantErr(t, "UpdateCustomer(other tenant's id)", err, customer.ErrNotFound)
		_, err = s.UpdateCustomer(ctx, x.from, id, customer.Patch{Email: ptr("intruder@example.com")}, nil)
		wantErr(t, "UpdateCustomer(other tenant's id, email)", err, customer.ErrNotFound)
		_, err = s.UpdateCustomer(ctx, x.from, id, customer.Patch{CustomFields: map[string]any{"x": "y"}}, customer.IfMatch{x.c.Version})
		wantErr(t, "UpdateCustomer(other tenant's id, ifMatch)", err, customer.ErrNotFound)
		_, err = s.DeactivateCustomer(ctx, x.from, id, nil)
		wantErr(t, "DeactivateCustomer(other tenant's id)", err, customer.ErrNotFound)
		if x.from == tenantB {
			_, err = s.DeactivateCustomer(ctx, x.from, idle.CustomerID, nil)
			wantErr(t, "DeactivateCustomer(other tenant's idle customer)", err, customer.ErrNotFound)
		}
		_, err = s.GetOrder(ctx, x.from, x.o.OrderID)
		wantErr(t, "GetOrder(other tenant's id)", err, order.ErrNotFound)
		_, _, err = s.CancelOrder(ctx, x.from, x.o.OrderID, "intruder", order.Idempotency{})
		wantErr(t, "CancelOrder(other tenant's id)", err, order.ErrNotFound)
		for _, other := range x.others {
			unchanged(t, s, other.TenantID, other)
		}
		sameOrder(t, "order after another tenant's calls", getOrder(t, s, x.o.TenantID, x.o.OrderID), x.o)
		if got := listOrders(t, s, x.from, order.ListQuery{Limit: 10, CustomerID: id}); len(got) != 0 {
			t.Errorf("ListOrders(%s, customer of another tenant) = %v, want none", x.from, orderIDs(got))
		}
	}

	checkCustomerList(t, s, tenantA, customer.ListQuery{}, []string{c.CustomerID, idle.CustomerID}, 1, 10)
	checkCustomerList(t, s, tenantB, customer.ListQuery{}, []string{cb.CustomerID}, 1, 10)
	checkCustomerList(t, s, tenantB, customer.ListQuery{Email: "a@example.com"}, nil, 10)
	checkCustomerList(t, s, tenantB, customer.ListQuery{Status: customer.Inactive}, nil, 10)
	checkCustomerList(t, s, tenantA, customer.ListQuery{Email: "b@example.com"}, nil, 10)
	checkCustomerList(t, s, "acm", customer.ListQuery{}, nil, 10)
	for _, q := range []order.ListQuery{{Limit: 1}, {Limit: 10, Desc: true}} {
		sameIDs(t, "ListOrders(B)", orderIDs(listOrders(t, s, tenantB, q)), []string{ob.OrderID})
	}
	if got := listOrders(t, s, tenantA, order.ListQuery{Limit: 10}); slices.Contains(orderIDs(got), ob.OrderID) {
		t.Errorf("ListOrders(A) = %v, shows B's order %s", orderIDs(got), ob.OrderID)
	}
}

// testTenantSameEmail: emails are unique per tenant only.
func testTenantSameEmail(t *testing.T, s Store) {
	a := newCustomer(t, s, tenantA, newInput("same@example.com"))
	b := newCustomer(t, s, tenantB, newInput("Same@Example.com"))
	if a.CustomerID == b.CustomerID || b.TenantID != tenantB || b.TotalOrders != 1 {
		t.Errorf("B's customer for A's email = %s in %s with %d orders, want a new customer of %s", b.CustomerID, b.TenantID, b.TotalOrders, tenantB)
	}
	unchanged(t, s, tenantA, a)
	// Changing B's customer to an email A holds is fine; to an email B holds is not.
	a2 := newCustomer(t, s, tenantA, newInput("second@example.com"))
	update(t, s, tenantB, b.CustomerID, customer.Patch{Email: ptr("second@example.com")}, nil)
	unchanged(t, s, tenantA, a2)
	b2 := newCustomer(t, s, tenantB, newInput("b2@example.com"))
	_, err := s.UpdateCustomer(t.Context(), tenantB, b2.CustomerID, customer.Patch{Email: ptr("SECOND@example.com")}, nil)
	wantErr(t, "UpdateCustomer(B, email B holds)", err, customer.ErrEmailExists)
	// B's move freed same@ in B only.
	o := createOrder(t, s, tenantA, newInput("same@example.com"))
	if o.Customer.CustomerID != a.CustomerID {
		t.Errorf("A's order for same@ went to %s, want %s", o.Customer.CustomerID, a.CustomerID)
	}
	// Deactivating A's customer does not make B's inactive.
	c := idleCustomer(t, s, tenantA, newInput("both@example.com"))
	deactivate(t, s, tenantA, c.CustomerID, nil)
	if _, _, err := s.CreateOrder(t.Context(), tenantB, newInput("both@example.com"), order.Idempotency{}); err != nil {
		t.Errorf("CreateOrder(B, email of an inactive customer of A) error = %v, want nil", err)
	}
}

var apiKeyTests = []test{
	{name: "PutGetRevoke", fn: testAPIKeys},
	{name: "ListByTenant", fn: testListAPIKeys},
	{name: "TenantGrantedTwice", fn: testAPIKeyTenantTwice},
}

func key(id, secret string, created string, tenants ...string) auth.Key {
	return auth.Key{
		ID:        id,
		Hash:      auth.Hash(secret),
		Name:      "key " + id,
		Tenants:   tenants,
		Scopes:    []auth.Scope{auth.CustomersRead, auth.OrdersWrite},
		Status:    auth.StatusActive,
		CreatedAt: created,
	}
}

// testAPIKeys: a key is found by its hash, replaced by a key with the same hash, and revoked by
// its id.
func testAPIKeys(t *testing.T, s Store) {
	ctx := t.Context()
	k := key("key_1", "secret-1", "2026-01-01T00:00:00.000Z", tenantA)
	if err := s.PutAPIKey(ctx, k); err != nil {
		t.Fatalf("PutAPIKey error = %v, want nil", err)
	}
	got, err := s.APIKey(ctx, auth.Hash("secret-1"))
	if err != nil || !reflect.DeepEqual(got, k) {
		t.Errorf("APIKey = %+v, %v; want %+v, nil", got, err, k)
	}
	_, err = s.APIKey(ctx, auth.Hash("secret-2"))
	wantErr(t, "APIKey(unknown hash)", err, auth.ErrKeyNotFound)
	err = s.RevokeAPIKey(ctx, "key_unknown")
	wantErr(t, "RevokeAPIKey(unknown id)", err, auth.ErrKeyNotFound)

	k.Name = "renamed"
	k.Scopes = auth.AllScopes
	if err := s.PutAPIKey(ctx, k); err != nil {
		t.Fatalf("PutAPIKey(replacement) error = %v, want nil", err)
	}
	got, err = s.APIKey(ctx, k.Hash)
	if err != nil || !reflect.DeepEqual(got, k) {
		t.Errorf("APIKey after replacement = %+v, %v; want %+v, nil", got, err, k)
	}

	if err := s.RevokeAPIKey(ctx, "key_1"); err != nil {
		t.Fatalf("RevokeAPIKey error = %v, want nil", err)
	}
	got, err = s.APIKey(ctx, k.Hash)
	want := k
	want.Status = auth.StatusRevoked
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("APIKey after revocation = %+v, %v; want %+v, nil", got, err, want)
	}
	// Keys are global: tenant data does not touch them.
	createOrder(t, s, tenantA, newInput("k@example.com"))
	got, err = s.APIKey(ctx, k.Hash)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("APIKey after tenant writes = %+v, %v; want %+v, nil", got, err, want)
	}
	// A key put over a revoked one replaces it whole: active again, and listed under its new
	// tenants only.
	k.Tenants = []string{tenantB}
	if err := s.PutAPIKey(ctx, k); err != nil {
		t.Fatalf("PutAPIKey(over a revoked key) error = %v, want nil", err)
	}
	got, err = s.APIKey(ctx, k.Hash)
	if err != nil || !reflect.DeepEqual(got, k) {
		t.Errorf("APIKey after a put over the revoked key = %+v, %v; want %+v, nil", got, err, k)
	}
	for _, tt := range []struct {
		tenant string
		want   []auth.Key
	}{{tenantA, nil}, {tenantB, []auth.Key{k}}} {
		list, err := s.ListAPIKeys(ctx, tt.tenant)
		if err != nil || len(list) != len(tt.want) || (len(list) > 0 && !reflect.DeepEqual(list, tt.want)) {
			t.Errorf("ListAPIKeys(%s) after a put over the revoked key = %+v, %v; want %+v, nil", tt.tenant, list, err, tt.want)
		}
	}
}

// testListAPIKeys: ListAPIKeys returns the keys granted a tenant, oldest first.
func testListAPIKeys(t *testing.T, s Store) {
	ctx := t.Context()
	k1 := key("key_1", "s1", "2026-01-01T00:00:00.000Z", tenantA)
	k2 := key("key_2", "s2", "2026-01-02T00:00:00.000Z", tenantB)
	k3 := key("key_3", "s3", "2026-01-03T00:00:00.000Z", tenantB, tenantA)
	k4 := key("key_4", "s4", "2026-01-04T00:00:00.000Z", tenantA)
	for _, k := range []auth.Key{k1, k2, k3, k4} {
		if err := s.PutAPIKey(ctx, k); err != nil {
			t.Fatalf("PutAPIKey(%s) error = %v, want nil", k.ID, err)
		}
	}
	check := func(tenant string, want ...auth.Key) {
		t.Helper()
		got, err := s.ListAPIKeys(ctx, tenant)
		if err != nil {
			t.Fatalf("ListAPIKeys(%s) error = %v, want nil", tenant, err)
		}
		if len(got) == 0 && len(want) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListAPIKeys(%s) = %+v, want %+v", tenant, got, want)
		}
	}
	check(tenantA, k1, k3, k4)
	check(tenantB, k2, k3)
	check("acm")
	check("other")
	// Replacing a key by its hash moves it between tenants' lists.
	k4.Tenants = []string{tenantB}
	if err := s.PutAPIKey(ctx, k4); err != nil {
		t.Fatalf("PutAPIKey(replacement) error = %v, want nil", err)
	}
	check(tenantA, k1, k3)
	check(tenantB, k2, k3, k4)
	// Oldest first means by createdAt, not by when the store was told.
	k0 := key("key_0", "s0", "2025-12-31T00:00:00.000Z", tenantA)
	if err := s.PutAPIKey(ctx, k0); err != nil {
		t.Fatalf("PutAPIKey(%s) error = %v, want nil", k0.ID, err)
	}
	check(tenantA, k0, k1, k3)
	// Revoking one key leaves the others alone.
	if err := s.RevokeAPIKey(ctx, "key_3"); err != nil {
		t.Fatalf("RevokeAPIKey(key_3) error = %v, want nil", err)
	}
	for _, k := range []auth.Key{k0, k1, k2, k4} {
		got, err := s.APIKey(ctx, k.Hash)
		if err != nil || !reflect.DeepEqual(got, k) {
			t.Errorf("APIKey(%s) after revoking key_3 = %+v, %v; want %+v, nil", k.ID, got, err, k)
		}
	}
	if got, err := s.APIKey(ctx, k3.Hash); err != nil || got.Status != auth.StatusRevoked {
		t.Errorf("APIKey(key_3) after revocation = status %q, %v; want %q, nil", got.Status, err, auth.StatusRevoked)
	}
}

// testAPIKeyTenantTwice: a key that names a tenant twice is stored, listed once under it, and
// revoked like any other.
func testAPIKeyTenantTwice(t *testing.T, s Store) {
	ctx := t.Context()
	k := key("key_1", "s1", "2026-01-01T00:00:00.000Z", tenantA, tenantB, tenantA)
	for range 2 { // the second time, replacing itself
		if err := s.PutAPIKey(ctx, k); err != nil {
			t.Fatalf("PutAPIKey(tenant twice) error = %v, want nil", err)
		}
	}
	for _, tenant := range []string{tenantA, tenantB} {
		got, err := s.ListAPIKeys(ctx, tenant)
		if err != nil || len(got) != 1 || got[0].ID != k.ID {
			t.Errorf("ListAPIKeys(%s) = %+v, %v; want only %s", tenant, got, err, k.ID)
		}
	}
	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatalf("RevokeAPIKey(tenant twice) error = %v, want nil", err)
	}
	if got, err := s.APIKey(ctx, k.Hash); err != nil || got.Status != auth.StatusRevoked {
		t.Errorf("APIKey after revocation = status %q, %v; want %q, nil", got.Status, err, auth.StatusRevoked)
	}
	if got, err := s.ListAPIKeys(ctx, tenantA); err != nil || len(got) != 1 || got[0].Status != auth.StatusRevoked {
		t.Errorf("ListAPIKeys(%s) after revocation = %+v, %v; want %s revoked", tenantA, got, err, k.ID)
	}
}
