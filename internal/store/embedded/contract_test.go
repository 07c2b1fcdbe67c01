package embedded

import (
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var _ storetest.Store = (*Store)(nil)

// TestContract runs the contract suite shared with the DynamoDB store, on a fresh file per store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		s := newStore(t)
		s.Now = now
		return contractStore{s}
	})
}

// contractStore is the store the suite runs on, with the suite's way to move an order to a
// status that only fulfilment sets (storetest.OrderStatusSetter).
type contractStore struct{ *Store }

// SetOrderStatus writes the order back with status st, behind the store's back.
func (s contractStore) SetOrderStatus(t *testing.T, tenant, id string, st order.Status) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, ok := readTenant(tx, tenant)
		if !ok {
			return fmt.Errorf("no tenant %s", tenant)
		}
		var r orderRecord
		if ok, err := get(tb.orders, id, &r); err != nil || !ok {
			return fmt.Errorf("order %s: found %v, %w", id, ok, err)
		}
		r.Status = st
		return putOrder(tb, r, s.stamp()) // its index entries move, as fulfilment's write would move them
	})
	if err != nil {
		t.Fatalf("SetOrderStatus(%s, %s, %s) = %v", tenant, id, st, err)
	}
}

var _ storetest.LegacyEmails = contractStore{}

// PutLegacyCustomer writes c and its reservation under strings.ToLower(c.Email), as a version
// before customer.EmailKey did.
func (s contractStore) PutLegacyCustomer(t *testing.T, c customer.Customer) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, err := writeTenant(tx, c.TenantID)
		if err != nil {
			return err
		}
		if err := putCustomer(tb, c, s.stamp()); err != nil {
			return err
		}
		return tb.emails.Put([]byte(strings.ToLower(c.Email)), []byte(c.CustomerID))
	})
	if err != nil {
		t.Fatalf("PutLegacyCustomer(%s): %v", c.CustomerID, err)
	}
}

// EmailReservations returns the tenant's emails bucket.
func (s contractStore) EmailReservations(t *testing.T, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		tb, ok := readTenant(tx, tenant)
		if !ok {
			return nil
		}
		return tb.emails.ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("EmailReservations(%s): %v", tenant, err)
	}
	return out
}

var _ storetest.RentalStore = contractStore{}
var _ storetest.ErasureProbe = contractStore{}

// RawItems returns every key and value of every bucket of the tenant, nested buckets included,
// as "bucket/key = value": the whole of what the file holds for it.
func (s contractStore) RawItems(t *testing.T, tenant string) []string {
	t.Helper()
	var items []string
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(path+"/"+string(k), b.Bucket(k))
			}
			items = append(items, fmt.Sprintf("%s/%q = %s", path, k, v))
			return nil
		})
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTenants).Bucket([]byte(tenant))
		if b == nil {
			return nil
		}
		return walk(tenant, b)
	})
	if err != nil {
		t.Fatalf("RawItems(%s): %v", tenant, err)
	}
	return items
}

// CrashEraseAfter makes erasures fail with storetest.ErrCrash after their n-th step, with
// erasure steps of two orders, so that the orders take more than one.
func (s contractStore) CrashEraseAfter(n int) {
	s.eraseBatch = 2
	if n == 0 {
		s.AfterEraseStep = nil
		return
	}
	step := 0
	s.AfterEraseStep = func(string) error {
		if step++; step == n {
			return storetest.ErrCrash
		}
		return nil
	}
}

var _ storetest.RentalSetter = contractStore{}

// SetDevicesRented writes the customer back with totalDevicesRented n, behind the store's back.
func (s contractStore) SetDevicesRented(t *testing.T, tenant, id string, n int64) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, c, err := findCustomer(tx, tenant, id)
		if err != nil {
			return err
		}
		c.TotalDevicesRented = n
		return putCustomer(tb, c, s.stamp())
	})
	if err != nil {
		t.Fatalf("SetDevicesRented(%s, %s): %v", tenant, id, err)
	}
}
