package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// newStore opens a fresh store in a temporary file, closed when the test ends.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatalf("Open = %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return s
}

func addr(city string) customer.Address {
	return customer.Address{ContactName: "Ada Lovelace", StreetAddress: "1 Main St", City: city, Country: "GB"}
}

func input(email string) order.Input {
	return order.Input{
		Customer:       order.NewCustomer{Email: email, FirstName: "Ada", LastName: "Lovelace", CustomerType: customer.Individual},
		BillingAddress: addr("London"),
		Items:          []order.Item{{SKU: "LAPTOP-1", Quantity: 1, ContractLength: 12}},
		OrderType:      order.Standard,
		CustomFields:   map[string]any{"n": json.Number("1.50")},
	}
}

// mustOrder creates an order for email and returns it.
func mustOrder(t *testing.T, s *Store, tenant, email string) order.Order {
	t.Helper()
	o, replayed, err := s.CreateOrder(context.Background(), tenant, input(email), order.Idempotency{})
	if err != nil || replayed {
		t.Fatalf("CreateOrder(%s, %s) = replayed %v, %v; want false, nil", tenant, email, replayed, err)
	}
	return o
}

func ptr[T any](v T) *T { return &v }

func TestOpenReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	o := mustOrder(t, s, "t1", "ada@example.com")
	if err := s.PutAPIKey(context.Background(), auth.Key{ID: "k1", Hash: auth.Hash("secret"), Tenants: []string{"t1"}, Scopes: auth.AllScopes, Status: auth.StatusActive}); err != nil {
		t.Fatalf("PutAPIKey = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("second Open = %v", err)
	}
	defer s.Close()
	got, err := s.GetOrder(context.Background(), "t1", o.OrderID)
	if err != nil {
		t.Fatalf("GetOrder after reopen = %v", err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Errorf("GetOrder after reopen = %+v, want %+v", got, o)
	}
	c, err := s.GetCustomer(context.Background(), "t1", o.Customer.CustomerID)
	if err != nil || c.TotalOrders != 1 || c.PendingOrders != 1 {
		t.Errorf("GetCustomer after reopen = %+v, %v; want totalOrders 1, pendingOrders 1", c, err)
	}
	if _, err := s.APIKey(context.Background(), auth.Hash("secret")); err != nil {
		t.Errorf("APIKey after reopen = %v, want nil", err)
	}
}

func TestOpenLockedFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer s.Close()
	start := time.Now()
	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("second Open = nil error, want ErrLocked")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("second Open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v, want about %v", d, lockTimeout)
	}
}

func TestCreateOrder(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	first := mustOrder(t, s, "t1", "Ada@Example.com")
	if first.Status != order.Pending || first.Customer.Email != "Ada@Example.com" {
		t.Errorf("first order = %+v, want pending with the email as given", first)
	}
	c, err := s.GetCustomer(ctx, "t1", first.Customer.CustomerID)
	if err != nil {
		t.Fatalf("GetCustomer = %v", err)
	}
	if c.Version != 1 || c.TotalOrders != 1 || !reflect.DeepEqual(c.OrderIDs, []string{first.OrderID}) ||
		c.Status != customer.Active || c.PendingOrders != 1 || c.LastShippingAddress != nil {
		t.Errorf("new customer = %+v, want version 1, one order, active, no shipping address", c)
	}

	// Same email, other case, other name and addresses: found, profile kept.
	in := input("ada@EXAMPLE.com")
	in.Customer.FirstName = "Augusta"
	in.BillingAddress = addr("Paris")
	ship := addr("Rome")
	in.ShippingAddress = &ship
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Now = func() time.Time { return now }
	second, _, err := s.CreateOrder(ctx, "t1", in, order.Idempotency{})
	if err != nil {
		t.Fatalf("second CreateOrder = %v", err)
	}
	if second.Customer != order.SnapshotOf(c) {
		t.Errorf("second snapshot = %+v, want %+v", second.Customer, order.SnapshotOf(c))
	}
	got, _ := s.GetCustomer(ctx, "t1", c.CustomerID)
	want := c
	want.LastBillingAddress = &in.BillingAddress
	want.LastShippingAddress = &ship
	want.TotalOrders = 2
	want.OrderIDs = []string{first.OrderID, second.OrderID}
	want.PendingOrders = 2
	want.Version = 2
	want.UpdatedAt = customer.Timestamp(now)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("customer after second order = %+v, want %+v", got, want)
	}

	// A third order without shipping keeps the last shipping address.
	third := mustOrder(t, s, "t1", "ada@example.com")
	got, _ = s.GetCustomer(ctx, "t1", c.CustomerID)
	if got.LastShippingAddress == nil || *got.LastShippingAddress != ship || third.ShippingAddress != nil {
		t.Errorf("after order without shipping: customer shipping %v, order shipping %v; want %v, nil", got.LastShippingAddress, third.ShippingAddress, ship)
	}

	// Inactive customer (once no order is pending): refused, nothing written.
	for _, o := range []order.Order{first, second, third} {
		if _, _, err := s.CancelOrder(ctx, "t1", o.OrderID, "", order.Idempotency{}); err != nil {
			t.Fatalf("CancelOrder(%s) = %v", o.OrderID, err)
		}
	}
	if _, err := s.UpdateCustomer(ctx, "t1", c.CustomerID, customer.Patch{Status: ptr(customer.Inactive)}, nil); err != nil {
		t.Fatalf("UpdateCustomer(status inactive) = %v", err)
	}
	before, _ := s.GetCustomer(ctx, "t1", c.CustomerID)
	if _, _, err := s.CreateOrder(ctx, "t1", input("ada@example.com"), order.Idempotency{}); !errors.Is(err, customer.ErrInactive) {
		t.Errorf("CreateOrder for inactive = %v, want ErrInactive", err)
	}
	after, _ := s.GetCustomer(ctx, "t1", c.CustomerID)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("customer after refused order = %+v, want unchanged %+v", after, before)
	}
	page, _ := s.ListOrders(ctx, "t1", order.ListQuery{Limit: 100})
	if len(page.Orders) != 3 {
		t.Errorf("ListOrders has %d orders, want 3", len(page.Orders))
	}
}

func TestCreateOrderIdempotency(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	idem := order.Idempotency{Key: "k-1", RequestHash: "h1"}
	o, replayed, err := s.CreateOrder(ctx, "t1", input("ada@example.com"), idem)
	if err != nil || replayed {
		t.Fatalf("CreateOrder = replayed %v, %v; want false, nil", replayed, err)
	}

	now = now.Add(order.IdempotencyTTL - time.Second)
	got, replayed, err := s.CreateOrder(ctx, "t1", input("ada@example.com"), idem)
	if err != nil || !replayed || !reflect.DeepEqual(got, o) {
		t.Errorf("replay = %+v, %v, %v; want %+v, true, nil", got, replayed, err, o)
	}
	if _, _, err := s.CreateOrder(ctx, "t1", input("ada@example.com"), order.Idempotency{Key: "k-1", RequestHash: "h2"}); !errors.Is(err, order.ErrIdempotencyReused) {
		t.Errorf("other body = %v, want ErrIdempotencyReused", err)
	}
	// Another tenant's key space is its own.
	if _, replayed, err := s.CreateOrder(ctx, "t2", input("ada@example.com"), idem); err != nil || replayed {
		t.Errorf("same key in t2 = replayed %v, %v; want false, nil", replayed, err)
	}
	c, _ := s.GetCustomer(ctx, "t1", o.Customer.CustomerID)
	if c.TotalOrders != 1 {
		t.Errorf("totalOrders after replays = %d, want 1", c.TotalOrders)
	}

	// Expired: treated as absent, so a new order is made (with any body).
	now = now.Add(2 * time.Second)
	got, replayed, err = s.CreateOrder(ctx, "t1", input("ada@example.com"), order.Idempotency{Key: "k-1", RequestHash: "h2"})
	if err != nil || replayed || got.OrderID == o.OrderID {
		t.Errorf("after expiry = %s, %v, %v; want a new order, false, nil", got.OrderID, replayed, err)
	}
	got2, replayed, err := s.CreateOrder(ctx, "t1", input("ada@example.com"), order.Idempotency{Key: "k-1", RequestHash: "h2"})
	if err != nil || !replayed || got2.OrderID != got.OrderID {
		t.Errorf("replay of renewed key = %s, %v, %v; want %s, true, nil", got2.OrderID, replayed, err, got.OrderID)
	}
}

func TestUpdateCustomer(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := mustOrder(t, s, "t1", "ada@example.com").Customer.CustomerID
	b := mustOrder(t, s, "t1", "bob@example.com").Customer.CustomerID
	other := mustOrder(t, s, "t2", "carol@example.com").Customer.CustomerID

	tests := []struct {
		name    string
		id      string
		patch   customer.Patch
		ifMatch customer.IfMatch
		want    error
	}{
		{"missing", "cust_nope", customer.Patch{FirstName: ptr("X")}, nil, customer.ErrNotFound},
		{"other tenant", other, customer.Patch{FirstName: ptr("X")}, nil, customer.ErrNotFound},
		{"stale ifMatch", a, customer.Patch{FirstName: ptr("X")}, customer.IfMatch{7}, customer.ErrPrecondition},
		{"email of another", a, customer.Patch{Email: ptr("BOB@example.com")}, nil, customer.ErrEmailExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.UpdateCustomer(ctx, "t1", tt.id, tt.patch, tt.ifMatch); !errors.Is(err, tt.want) {
				t.Errorf("UpdateCustomer = %v, want %v", err, tt.want)
			}
		})
	}

	c, err := s.UpdateCustomer(ctx, "t1", a, customer.Patch{
		FirstName: ptr("Augusta"), Company: customer.Optional[string]{Set: true, Value: ptr("ACME")},
		CustomFields: map[string]any{"plan": "gold", "seats": json.Number("10")},
	}, customer.IfMatch{1})
	if err != nil {
		t.Fatalf("UpdateCustomer = %v", err)
	}
	if c.FirstName != "Augusta" || c.Company != "ACME" || c.Version != 2 || c.LastName != "Lovelace" {
		t.Errorf("updated = %+v, want firstName Augusta, company ACME, version 2, lastName kept", c)
	}
	c, err = s.UpdateCustomer(ctx, "t1", a, customer.Patch{
		Company: customer.Optional[string]{Set: true}, CustomFields: map[string]any{"plan": nil, "vip": true},
	}, nil)
	if err != nil {
		t.Fatalf("second UpdateCustomer = %v", err)
	}
	if want := map[string]any{"seats": json.Number("10"), "vip": true}; !reflect.DeepEqual(c.CustomFields, want) || c.Company != "" {
		t.Errorf("after merge customFields = %v, company %q; want %v, none", c.CustomFields, c.Company, want)
	}
	got, _ := s.GetCustomer(ctx, "t1", a)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("GetCustomer = %+v, want as returned by the update %+v", got, c)
	}

	// Too many custom fields: a validation error, nothing written.
	many := map[string]any{}
	for i := range customer.MaxCustomFields - 1 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	_, err = s.UpdateCustomer(ctx, "t1", a, customer.Patch{CustomFields: many}, nil)
	var verr *fault.ValidationError
	if !errors.As(err, &verr) {
		t.Errorf("UpdateCustomer with %d+2 fields = %v, want *fault.ValidationError", len(many), err)
	}
	if got, _ := s.GetCustomer(ctx, "t1", a); got.Version != c.Version {
		t.Errorf("version after refused update = %d, want %d", got.Version, c.Version)
	}

	// Email change moves the reservation: the old email is free, the new one taken.
	if _, err := s.UpdateCustomer(ctx, "t1", a, customer.Patch{Email: ptr("ADA@example.com")}, nil); err != nil {
		t.Errorf("case-only email change = %v, want nil", err)
	}
	if _, err := s.UpdateCustomer(ctx, "t1", a, customer.Patch{Email: ptr("ada2@example.com")}, nil); err != nil {
		t.Fatalf("email change = %v", err)
	}
	if _, err := s.UpdateCustomer(ctx, "t1", b, customer.Patch{Email: ptr("Ada2@example.com")}, nil); !errors.Is(err, customer.ErrEmailExists) {
		t.Errorf("taking the new email = %v, want ErrEmailExists", err)
	}
	if _, err := s.UpdateCustomer(ctx, "t1", b, customer.Patch{Email: ptr("ada@example.com")}, nil); err != nil {
		t.Errorf("taking the freed email = %v, want nil", err)
	}
	o := mustOrder(t, s, "t1", "ADA2@example.com")
	if o.Customer.CustomerID != a {
		t.Errorf("order for the new email went to %s, want %s", o.Customer.CustomerID, a)
	}
}

func TestDeactivateCustomer(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	o := mustOrder(t, s, "t1", "ada@example.com")
	id := o.Customer.CustomerID
	if _, err := s.DeactivateCustomer(ctx, "t1", id, nil); !errors.Is(err, customer.ErrPendingOrders) {
		t.Errorf("DeactivateCustomer with a pending order = %v, want ErrPendingOrders", err)
	}
	if _, err := s.DeactivateCustomer(ctx, "t1", "cust_nope", nil); !errors.Is(err, customer.ErrNotFound) {
		t.Errorf("DeactivateCustomer(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.DeactivateCustomer(ctx, "t2", id, nil); !errors.Is(err, customer.ErrNotFound) {
		t.Errorf("DeactivateCustomer(other tenant) = %v, want ErrNotFound", err)
	}
	cancelled, _, err := s.CancelOrder(ctx, "t1", o.OrderID, "changed my mind", order.Idempotency{})
	if err != nil || cancelled.Status != order.Cancelled || cancelled.CancellationReason != "changed my mind" {
		t.Fatalf("CancelOrder = %+v, %v; want cancelled with the reason", cancelled, err)
	}
	before, _ := s.GetCustomer(ctx, "t1", id)
	if before.Version != 1 || before.PendingOrders != 0 {
		t.Errorf("customer after cancel = version %d, pending %d; want 1, 0", before.Version, before.PendingOrders)
	}
	if _, err := s.DeactivateCustomer(ctx, "t1", id, customer.IfMatch{5}); !errors.Is(err, customer.ErrPrecondition) {
		t.Errorf("DeactivateCustomer(stale ifMatch) = %v, want ErrPrecondition", err)
	}
	c, err := s.DeactivateCustomer(ctx, "t1", id, customer.IfMatch{1})
	if err != nil || c.Status != customer.Inactive || c.Version != 2 {
		t.Fatalf("DeactivateCustomer = %+v, %v; want inactive, version 2", c, err)
	}
	again, err := s.DeactivateCustomer(ctx, "t1", id, nil)
	if err != nil || !reflect.DeepEqual(again, c) {
		t.Errorf("second DeactivateCustomer = %+v, %v; want unchanged %+v", again, err, c)
	}
}

func TestCancelOrder(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	o := mustOrder(t, s, "t1", "ada@example.com")
	confirmed := mustOrder(t, s, "t1", "ada@example.com")
	setOrderStatus(t, s, "t1", confirmed.OrderID, order.Confirmed)
	if _, _, err := s.CancelOrder(ctx, "t1", o.OrderID, "", order.Idempotency{}); err != nil {
		t.Fatalf("CancelOrder = %v", err)
	}
	tests := []struct {
		name, tenant, id string
		want             error
	}{
		{"missing", "t1", "ord_nope", order.ErrNotFound},
		{"other tenant", "t2", o.OrderID, order.ErrNotFound},
		{"already cancelled", "t1", o.OrderID, order.ErrAlreadyCancelled},
		{"confirmed", "t1", confirmed.OrderID, order.ErrNotCancellable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.CancelOrder(ctx, tt.tenant, tt.id, "r", order.Idempotency{}); !errors.Is(err, tt.want) {
				t.Errorf("CancelOrder(%s, %s) = %v, want %v", tt.tenant, tt.id, err, tt.want)
			}
		})
	}
	c, _ := s.GetCustomer(ctx, "t1", o.Customer.CustomerID)
	if c.PendingOrders != 1 {
		t.Errorf("pendingOrders = %d, want 1", c.PendingOrders)
	}
}

// setOrderStatus changes an order's status behind the store's back, as fulfilment would.
func setOrderStatus(t *testing.T, s *Store, tenant, id string, st order.Status) {
	t.Helper()
	o, err := s.GetOrder(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("GetOrder = %v", err)
	}
	o.Status = st
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb, _ := readTenant(tx, tenant)
		return put(tb.orders, id, o)
	})
	if err != nil {
		t.Fatalf("setOrderStatus = %v", err)
	}
}

func TestListCustomers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var ids []string
	for i := range 7 {
		in := input(fmt.Sprintf("c%d@example.com", i))
		if i%2 == 1 {
			in.Customer.CustomerType = customer.Business
		}
		o, _, err := s.CreateOrder(ctx, "t1", in, order.Idempotency{})
		if err != nil {
			t.Fatalf("CreateOrder = %v", err)
		}
		ids = append(ids, o.Customer.CustomerID)
		if i == 2 {
			if _, _, err := s.CancelOrder(ctx, "t1", o.OrderID, "", order.Idempotency{}); err != nil {
				t.Fatalf("CancelOrder = %v", err)
			}
		}
	}
	mustOrder(t, s, "t2", "x@example.com")
	if _, err := s.UpdateCustomer(ctx, "t1", ids[2], customer.Patch{Status: ptr(customer.Inactive)}, nil); err != nil {
		t.Fatal(err)
	}
	rev := func(in []string) []string {
		out := make([]string, len(in))
		for i, v := range in {
			out[len(in)-1-i] = v
		}
		return out
	}
	tests := []struct {
		name string
		q    customer.ListQuery
		want []string
	}{
		{"all asc", customer.ListQuery{Limit: 3}, ids},
		{"all desc", customer.ListQuery{Limit: 3, Desc: true}, rev(ids)},
		{"active", customer.ListQuery{Limit: 2, Status: customer.Active}, []string{ids[0], ids[1], ids[3], ids[4], ids[5], ids[6]}},
		{"inactive", customer.ListQuery{Limit: 1, Status: customer.Inactive}, []string{ids[2]}},
		{"business desc", customer.ListQuery{Limit: 2, Type: customer.Business, Desc: true}, []string{ids[5], ids[3], ids[1]}},
		{"email", customer.ListQuery{Limit: 5, Email: "C4@EXAMPLE.COM"}, []string{ids[4]}},
		{"exact page", customer.ListQuery{Limit: 7}, ids},
		{"after asc", customer.ListQuery{Limit: 10, After: ids[4]}, ids[5:]},
		{"after desc", customer.ListQuery{Limit: 10, After: ids[4], Desc: true}, rev(ids[:4])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			q := tt.q
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				p, err := s.ListCustomers(ctx, "t1", q)
				if err != nil {
					t.Fatalf("ListCustomers = %v", err)
				}
				if len(p.Customers) > q.Limit {
					t.Fatalf("page of %d, limit %d", len(p.Customers), q.Limit)
				}
				for _, c := range p.Customers {
					got = append(got, c.CustomerID)
				}
				if p.Next == "" {
					break
				}
				if len(p.Customers) == 0 || p.Next != p.Customers[len(p.Customers)-1].CustomerID {
					t.Fatalf("Next = %q, want the last id of a non-empty page", p.Next)
				}
				q.After = p.Next
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("paged ids = %v, want %v", got, tt.want)
			}
		})
	}
	if p, err := s.ListCustomers(ctx, "nobody", customer.ListQuery{Limit: 5}); err != nil || len(p.Customers) != 0 || p.Next != "" {
		t.Errorf("ListCustomers(unknown tenant) = %+v, %v; want empty", p, err)
	}
}

func TestListOrders(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var ada, all []string
	for i := range 6 {
		email := "bob@example.com"
		if i%2 == 0 {
			email = "ada@example.com"
		}
		o := mustOrder(t, s, "t1", email)
		all = append(all, o.OrderID)
		if i%2 == 0 {
			ada = append(ada, o.OrderID)
		}
	}
	adaID, _ := s.GetOrder(ctx, "t1", ada[0])
	if _, _, err := s.CancelOrder(ctx, "t1", all[1], "", order.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CancelOrder(ctx, "t1", ada[1], "", order.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    order.ListQuery
		want []string
	}{
		{"all", order.ListQuery{Limit: 4}, all},
		{"all desc", order.ListQuery{Limit: 4, Desc: true}, []string{all[5], all[4], all[3], all[2], all[1], all[0]}},
		{"customer", order.ListQuery{Limit: 1, CustomerID: adaID.Customer.CustomerID}, ada},
		{"customer desc", order.ListQuery{Limit: 2, CustomerID: adaID.Customer.CustomerID, Desc: true}, []string{ada[2], ada[1], ada[0]}},
		{"customer pending", order.ListQuery{Limit: 5, CustomerID: adaID.Customer.CustomerID, Status: order.Pending}, []string{ada[0], ada[2]}},
		{"cancelled", order.ListQuery{Limit: 1, Status: order.Cancelled}, []string{all[1], all[2]}},
		{"customer after", order.ListQuery{Limit: 5, CustomerID: adaID.Customer.CustomerID, After: ada[0]}, ada[1:]},
		{"unknown customer", order.ListQuery{Limit: 5, CustomerID: "cust_nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			q := tt.q
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				p, err := s.ListOrders(ctx, "t1", q)
				if err != nil {
					t.Fatalf("ListOrders = %v", err)
				}
				for _, o := range p.Orders {
					got = append(got, o.OrderID)
				}
				if p.Next == "" {
					break
				}
				q.After = p.Next
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("paged ids = %v, want %v", got, tt.want)
			}
		})
	}
	if p, err := s.ListOrders(ctx, "t2", order.ListQuery{Limit: 5}); err != nil || len(p.Orders) != 0 {
		t.Errorf("ListOrders(t2) = %+v, %v; want empty", p, err)
	}
}

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	k1 := auth.Key{ID: "k1", Hash: auth.Hash("one"), Tenants: []string{"t1", "t2"}, Scopes: auth.AllScopes, Status: auth.StatusActive, CreatedAt: "2030-01-01T00:00:00.000Z"}
	k2 := auth.Key{ID: "k2", Hash: auth.Hash("two"), Tenants: []string{"t1"}, Scopes: []auth.Scope{auth.CustomersRead}, Status: auth.StatusActive, CreatedAt: "2029-01-01T00:00:00.000Z"}
	for _, k := range []auth.Key{k1, k2} {
		if err := s.PutAPIKey(ctx, k); err != nil {
			t.Fatalf("PutAPIKey(%s) = %v", k.ID, err)
		}
	}
	got, err := s.APIKey(ctx, auth.Hash("one"))
	if err != nil || !reflect.DeepEqual(got, k1) {
		t.Errorf("APIKey = %+v, %v; want %+v", got, err, k1)
	}
	if _, err := s.APIKey(ctx, auth.Hash("three")); !errors.Is(err, auth.ErrKeyNotFound) {
		t.Errorf("APIKey(unknown) = %v, want ErrKeyNotFound", err)
	}
	keys, err := s.ListAPIKeys(ctx, "t1")
	if err != nil || len(keys) != 2 || keys[0].ID != "k2" || keys[1].ID != "k1" {
		t.Errorf("ListAPIKeys(t1) = %+v, %v; want k2, k1", keys, err)
	}
	if err := s.RevokeAPIKey(ctx, "k1"); err != nil {
		t.Fatalf("RevokeAPIKey = %v", err)
	}
	if err := s.RevokeAPIKey(ctx, "nope"); !errors.Is(err, auth.ErrKeyNotFound) {
		t.Errorf("RevokeAPIKey(unknown) = %v, want ErrKeyNotFound", err)
	}
	got, _ = s.APIKey(ctx, auth.Hash("one"))
	if got.Status != auth.StatusRevoked || got.Granted("t1", auth.CustomersRead) {
		t.Errorf("revoked key = %+v, want status revoked", got)
	}
	// Replacing a key by hash drops its old tenant grants from the index.
	k1b := k1
	k1b.Tenants = []string{"t3"}
	if err := s.PutAPIKey(ctx, k1b); err != nil {
		t.Fatal(err)
	}
	keys, _ = s.ListAPIKeys(ctx, "t2")
	if len(keys) != 0 {
		t.Errorf("ListAPIKeys(t2) after replace = %+v, want none", keys)
	}
	keys, _ = s.ListAPIKeys(ctx, "t3")
	if len(keys) != 1 || keys[0].Status != auth.StatusActive {
		t.Errorf("ListAPIKeys(t3) = %+v, want the replaced, active k1", keys)
	}
}

func TestConcurrency(t *testing.T) {
	ctx := context.Background()
	t.Run("different customFields keys all kept", func(t *testing.T) {
		s := newStore(t)
		id := mustOrder(t, s, "t1", "ada@example.com").Customer.CustomerID
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Go(func() {
				_, err := s.UpdateCustomer(ctx, "t1", id, customer.Patch{CustomFields: map[string]any{fmt.Sprintf("k%d", i): json.Number(fmt.Sprint(i))}}, nil)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("UpdateCustomer = %v", err)
			}
		}
		c, _ := s.GetCustomer(ctx, "t1", id)
		if len(c.CustomFields) != 20 || c.Version != 21 {
			t.Errorf("after 20 updates: %d customFields, version %d; want 20, 21", len(c.CustomFields), c.Version)
		}
	})
	t.Run("same ifMatch: one wins", func(t *testing.T) {
		s := newStore(t)
		id := mustOrder(t, s, "t1", "ada@example.com").Customer.CustomerID
		ok, pre := count(t, 10, func(i int) error {
			_, err := s.UpdateCustomer(ctx, "t1", id, customer.Patch{FirstName: ptr(fmt.Sprint("N", i))}, customer.IfMatch{1})
			return err
		}, customer.ErrPrecondition)
		if ok != 1 || pre != 9 {
			t.Errorf("got %d successes, %d ErrPrecondition; want 1, 9", ok, pre)
		}
	})
	t.Run("one email, ten customers", func(t *testing.T) {
		s := newStore(t)
		ids := make([]string, 10)
		for i := range ids {
			ids[i] = mustOrder(t, s, "t1", fmt.Sprintf("c%d@example.com", i)).Customer.CustomerID
		}
		ok, taken := count(t, 10, func(i int) error {
			_, err := s.UpdateCustomer(ctx, "t1", ids[i], customer.Patch{Email: ptr("Shared@example.com")}, nil)
			return err
		}, customer.ErrEmailExists)
		if ok != 1 || taken != 9 {
			t.Errorf("got %d successes, %d ErrEmailExists; want 1, 9", ok, taken)
		}
	})
	t.Run("one idempotency key", func(t *testing.T) {
		s := newStore(t)
		idem := order.Idempotency{Key: "k", RequestHash: "h"}
		var mu sync.Mutex
		created, replays := 0, 0
		orderIDs := map[string]bool{}
		ok, _ := count(t, 10, func(int) error {
			o, replayed, err := s.CreateOrder(ctx, "t1", input("ada@example.com"), idem)
			if err == nil {
				mu.Lock()
				defer mu.Unlock()
				orderIDs[o.OrderID] = true
				if replayed {
					replays++
				} else {
					created++
				}
			}
			return err
		}, order.ErrIdempotencyInUse)
		if ok != 10 || created != 1 || replays != 9 || len(orderIDs) != 1 {
			t.Errorf("got %d ok, %d created, %d replayed, %d distinct orders; want 10, 1, 9, 1", ok, created, replays, len(orderIDs))
		}
		p, _ := s.ListCustomers(ctx, "t1", customer.ListQuery{Limit: 10})
		if len(p.Customers) != 1 || p.Customers[0].TotalOrders != 1 {
			t.Errorf("customers = %+v, want one with totalOrders 1", p.Customers)
		}
	})
}

// count runs fn n times concurrently and returns how many succeeded and how many failed with
// want; any other error fails the test.
func count(t *testing.T, n int, fn func(i int) error, want error) (ok, matched int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var other []error
	for i := range n {
		wg.Go(func() {
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, want):
				matched++
			default:
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	for _, err := range other {
		t.Errorf("unexpected error: %v (want nil or %v)", err, want)
	}
	return ok, matched
}
