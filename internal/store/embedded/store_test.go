package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
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

// TestConcurrentKeyRetriesAllReplay: concurrent requests with one Idempotency-Key all succeed,
// one of them creating the order and the others replaying it. Unlike the DynamoDB store, whose
// losers may be told the key is in use (the contract allows both), this store runs every write
// in one bbolt transaction at a time, so a request never sees another one in flight and never
// answers order.ErrIdempotencyInUse.
func TestConcurrentKeyRetriesAllReplay(t *testing.T) {
	const n = 10
	s := newStore(t)
	idem := order.Idempotency{Key: "k", RequestHash: "h"}
	type result struct {
		o        order.Order
		replayed bool
		err      error
	}
	res := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, replayed, err := s.CreateOrder(context.Background(), "t1", input("ada@example.com"), idem)
			res[i] = result{o, replayed, err}
		})
	}
	wg.Wait()
	created, ids := 0, map[string]bool{}
	for i, r := range res {
		if r.err != nil {
			t.Errorf("request %d: CreateOrder error = %v, want nil", i, r.err)
			continue
		}
		ids[r.o.OrderID] = true
		if !r.replayed {
			created++
		}
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d concurrent requests with one key: %d created, %d distinct orders; want 1 and 1", n, created, len(ids))
	}
}
