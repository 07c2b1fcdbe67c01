package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// skus numbers the orders of mustOrder.
var skus atomic.Int64

// mustOrder creates an order for email and returns it. Each call orders another sku, so that two
// calls are two orders rather than one and its natural-idempotency replay.
func mustOrder(t *testing.T, s *Store, tenant, email string) order.Order {
	t.Helper()
	in := input(email)
	in.Items[0].SKU = fmt.Sprintf("LAPTOP-%d", skus.Add(1))
	o, replayed, err := s.CreateOrder(context.Background(), tenant, in, order.Idempotency{})
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

// TestLegacyRecords: records written before createdBy, an order's shipping address, its rental
// fields and its lines' rental state existed decode, and are shown with them filled in
// (Normalized), as the handlers show every record.
func TestLegacyRecords(t *testing.T) {
	s := newStore(t)
	const (
		custID  = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
		orderID = "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"
	)
	oldOrder := `{"orderId":"` + orderID + `","tenantId":"t1","status":"pending","orderType":"standard",` +
		`"customer":{"customerId":"` + custID + `","email":"old@example.com","firstName":"Old","lastName":"Timer","customerType":"individual"},` +
		`"billingAddress":{"contactName":"Old Timer","streetAddress":"1 Old St","city":"Leeds","country":"GB"},` +
		`"items":[{"sku":"A","quantity":2,"contractLength":12},{"sku":"B","quantity":1,"contractLength":24}],` +
		`"customFields":{},"createdAt":"2025-01-01T00:00:00.000Z","updatedAt":"2025-01-01T00:00:00.000Z"}`
	oldCustomer := `{"customerId":"` + custID + `","tenantId":"t1","email":"old@example.com","firstName":"Old","lastName":"Timer",` +
		`"customerType":"individual","status":"active","customFields":{},"totalOrders":1,"totalDevicesRented":0,"totalMonthlyRevenue":0,` +
		`"orderIds":["` + orderID + `"],"rentalIds":[],"createdAt":"2025-01-01T00:00:00.000Z","updatedAt":"2025-01-01T00:00:00.000Z","version":1,"pendingOrders":1}`
	// The tenant as an older version made it: its buckets of then, without latest_orders.
	err := s.db.Update(func(tx *bolt.Tx) error {
		tenant, err := tx.Bucket(bucketTenants).CreateBucket([]byte("t1"))
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketCustomers, bucketEmails, bucketOrders, bucketByCustomer, bucketIdempotency} {
			if _, err := tenant.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := tenant.Bucket(bucketOrders).Put([]byte(orderID), []byte(oldOrder)); err != nil {
			return err
		}
		if err := tenant.Bucket(bucketEmails).Put([]byte("old@example.com"), []byte(custID)); err != nil {
			return err
		}
		return tenant.Bucket(bucketCustomers).Put([]byte(custID), []byte(oldCustomer))
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.GetOrder(context.Background(), "t1", orderID)
	if err != nil {
		t.Fatalf("GetOrder(legacy) = %v", err)
	}
	o = o.Normalized()
	if o.ShippingAddress == nil || *o.ShippingAddress != o.BillingAddress || o.CreatedBy != customer.UnknownCreator ||
		o.RentalProgress != (order.RentalProgress{TotalDevices: 3}) || o.RentalIDs == nil || len(o.Items) != 2 ||
		o.Items[1].ContractLength != 24 || o.Items[1].RentalIDs == nil || o.Items[1].RentalStatus != order.LinePending {
		t.Errorf("legacy order shown as %+v, want shipping = billing, createdBy %s, 3 devices, lines pending without rentals", o, customer.UnknownCreator)
	}
	c, err := s.GetCustomer(context.Background(), "t1", custID)
	if err != nil {
		t.Fatalf("GetCustomer(legacy) = %v", err)
	}
	if c.Normalized().CreatedBy != customer.UnknownCreator || c.PendingOrders != 1 {
		t.Errorf("legacy customer shown with createdBy %q, pending %d; want %q, 1", c.Normalized().CreatedBy, c.PendingOrders, customer.UnknownCreator)
	}
	// The tenant has no bucket of latest orders: the first order creates it, and the second
	// finds it.
	first, replayed, err := s.CreateOrder(context.Background(), "t1", input("old@example.com"), order.Idempotency{})
	if err != nil || replayed || first.Customer.CustomerID != custID {
		t.Fatalf("CreateOrder on a legacy tenant = customer %s, replayed %v, %v; want a new order of %s", first.Customer.CustomerID, replayed, err, custID)
	}
	again, replayed, err := s.CreateOrder(context.Background(), "t1", input("old@example.com"), order.Idempotency{})
	if err != nil || !replayed || again.OrderID != first.OrderID {
		t.Errorf("identical CreateOrder = %s, replayed %v, %v; want %s replayed", again.OrderID, replayed, err, first.OrderID)
	}
}
