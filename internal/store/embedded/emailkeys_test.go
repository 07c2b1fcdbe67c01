package embedded

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// TestOpenMigratesEmailKeys: a file without the format marker (written before customer.EmailKey)
// has its reservations rebuilt by Open, once; a new file and a migrated one are left alone.
func TestOpenMigratesEmailKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, migrated := s.EmailKeyMigration(); migrated {
		t.Errorf("a new file: migrated, want only marked")
	}
	c, err := s.GetCustomer(t.Context(), "t1", mustOrder(t, s, "t1", "ann@xn--bcher-kva.de").Customer.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	// Make it a file of the earlier version: the reservation under the old key, no marker.
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb, _ := readTenant(tx, "t1")
		if err := tb.emails.Delete([]byte(customer.EmailKey(c.Email))); err != nil {
			return err
		}
		c.Email = "Ann@Bücher.de"
		if err := putCustomer(tb, c, s.stamp()); err != nil {
			return err
		}
		if err := tb.emails.Put([]byte("ann@bücher.de"), []byte(c.CustomerID)); err != nil {
			return err
		}
		return tx.DeleteBucket(bucketMeta)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for run, want := range []struct {
		migrated bool
		rep      customer.EmailKeyReport
	}{{true, customer.EmailKeyReport{Customers: 1, Moved: 1}}, {false, customer.EmailKeyReport{}}} {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rep, migrated := s.EmailKeyMigration()
		if migrated != want.migrated || rep.Customers != want.rep.Customers || rep.Moved != want.rep.Moved || len(rep.Collisions) != 0 {
			t.Errorf("Open #%d: EmailKeyMigration = %+v, %v; want %+v, %v", run+1, rep, migrated, want.rep, want.migrated)
		}
		p, err := s.ListCustomers(t.Context(), "t1", customer.ListQuery{Email: "ANN@bücher.de"})
		if err != nil || len(p.Customers) != 1 || p.Customers[0].CustomerID != c.CustomerID {
			t.Errorf("Open #%d: ListCustomers(email) = %+v, %v; want %s", run+1, p.Customers, err, c.CustomerID)
		}
		if o := mustOrder(t, s, "t1", "ann@bücher.de"); o.Customer.CustomerID != c.CustomerID {
			t.Errorf("Open #%d: order went to %s, want %s", run+1, o.Customer.CustomerID, c.CustomerID)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
