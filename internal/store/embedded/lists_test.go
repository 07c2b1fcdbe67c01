package embedded

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// seed creates n customers in tenant t1, each with one order: every third business, every fourth
// deactivated (its order cancelled first), named so that first-name order is not creation order.
func seed(t *testing.T, s *Store, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		in := input(fmt.Sprintf("c%03d@example.com", i))
		in.Customer.FirstName = fmt.Sprintf("%c-%d", 'z'-i%26, i)
		if i%3 == 0 {
			in.Customer.CustomerType = customer.Business
		}
		o, _, err := s.CreateOrder(ctx, "t1", in, order.Idempotency{})
		if err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
		if i%4 == 0 {
			if _, _, err := s.CancelOrder(ctx, "t1", o.OrderID, "", order.Idempotency{}); err != nil {
				t.Fatalf("CancelOrder: %v", err)
			}
			if _, err := s.DeactivateCustomer(ctx, "t1", o.Customer.CustomerID, nil); err != nil {
				t.Fatalf("DeactivateCustomer: %v", err)
			}
		}
		ids = append(ids, o.Customer.CustomerID)
	}
	return ids
}

// checkEntries fails unless the index buckets of t1 hold exactly the entries of its records:
// every write moved its record's entries, leaving none behind.
func checkEntries(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		tb, _ := readTenant(tx, "t1")
		var wantC, wantO, gotC, gotO []string
		if err := tb.customers.ForEach(func(_, v []byte) error {
			var r customerRecord
			err := decode(v, &r)
			wantC = append(wantC, customerEntries(r.Customer)...)
			return err
		}); err != nil {
			return err
		}
		if err := tb.orders.ForEach(func(_, v []byte) error {
			var r orderRecord
			err := decode(v, &r)
			wantO = append(wantO, orderEntries(r.Order)...)
			return err
		}); err != nil {
			return err
		}
		keys := func(b *bolt.Bucket) (out []string) {
			_ = b.ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
			return out
		}
		gotC, gotO = keys(tb.customerIndex), keys(tb.orderIndex)
		slices.Sort(wantC)
		slices.Sort(wantO)
		if !slices.Equal(gotC, wantC) {
			t.Errorf("customer index holds %d entries, want the %d of the records:\n got %q\nwant %q", len(gotC), len(wantC), gotC, wantC)
		}
		if !slices.Equal(gotO, wantO) {
			t.Errorf("order index holds %d entries, want the %d of the records", len(gotO), len(wantO))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexEntriesFollowWrites: after creations, updates of every indexed field, email changes,
// deactivations, reactivations, orders and cancels, the indexes hold exactly the records' entries.
func TestIndexEntriesFollowWrites(t *testing.T) {
	s := newStore(t)
	ids := seed(t, s, 12)
	checkEntries(t, s)
	ctx := context.Background()
	patches := []customer.Patch{
		{FirstName: ptr("Renamed"), LastName: ptr("ÉCLAIR")},
		{Email: ptr("moved@example.com")},
		{Email: ptr("C002@EXAMPLE.COM")}, // the same reservation, another case
		{CustomerType: ptr(customer.Business), Status: ptr(customer.Active)},
		{Status: ptr(customer.Inactive)},
	}
	for i, p := range patches {
		if _, err := s.UpdateCustomer(ctx, "t1", ids[i+1], p, nil); err != nil && !strings.Contains(err.Error(), "pending") {
			t.Fatalf("UpdateCustomer(%+v): %v", p, err)
		}
	}
	if _, _, err := s.CreateOrder(ctx, "t1", input("c005@example.com"), order.Idempotency{}); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	checkEntries(t, s)
}

func ptr[T any](v T) *T { return &v }

// TestOpenIndexesAnOldFile: a data file written before the indexes existed (no index buckets,
// no fingerprint) is indexed on Open, in one transaction, and lists from the indexes at once.
func TestOpenIndexesAnOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := seed(t, s, 9)
	// Make it an old file: drop the index buckets and the fingerprint.
	err = s.db.Update(func(tx *bolt.Tx) error {
		tenant := tx.Bucket(bucketTenants).Bucket([]byte("t1"))
		for _, name := range [][]byte{bucketCustomerIndex, bucketOrderIndex} {
			if err := tenant.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Delete(keyIndexes)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open of a file without indexes = %v", err)
	}
	defer s.Close()
	checkEntries(t, s)
	p, err := s.ListCustomers(context.Background(), "t1", customer.ListQuery{Limit: 100, SortBy: customer.ByFirstName, Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Customers) != len(ids) || p.Next != "" {
		t.Errorf("ListCustomers by first name after the rebuild = %d customers, next %q; want %d, none", len(p.Customers), p.Next, len(ids))
	}
	for i := 1; i < len(p.Customers); i++ {
		if a, b := p.Customers[i-1].FirstName, p.Customers[i].FirstName; customer.FoldName(a) < customer.FoldName(b) {
			t.Errorf("by first name, descending: %q before %q", a, b)
		}
	}
	// A file indexed by another layout (say, an older case folding) is rebuilt too.
	err = s.db.Update(func(tx *bolt.Tx) error {
		tenant := tx.Bucket(bucketTenants).Bucket([]byte("t1"))
		if err := tenant.Bucket(bucketCustomerIndex).Put([]byte(entry("sort/firstName", all, "stale\x01"+ids[0])), []byte{}); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyIndexes, []byte("another layout"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	checkEntries(t, s)
}

// TestPagesReadWhatTheyReturn counts the records a page reads: limit+1 at most for every list
// the indexes hold exactly, at most maxReadsPerPage for the bounded combinations, and the walk
// of a bounded one ends short with a cursor once its budget is spent.
func TestPagesReadWhatTheyReturn(t *testing.T) {
	s := newStore(t)
	seed(t, s, 40)
	yes := true
	count := func(q customer.ListQuery) (reads, got int, next string) {
		t.Helper()
		err := s.db.View(func(tx *bolt.Tx) error {
			tb, _ := readTenant(tx, "t1")
			src := customerSource(tb, q)
			items, n, err := walk(src, tb.customers, q.After, q.Limit, q.Desc, time.Now(),
				func(data []byte, _ string) (customer.Customer, bool, error) {
					reads++
					var r customerRecord
					err := decode(data, &r)
					return r.Customer, q.Matches(r.Customer), err
				})
			got, next = len(items), n
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return reads, got, next
	}
	for _, status := range []customer.Status{"", customer.Active, customer.Inactive} {
		for _, typ := range []customer.Type{"", customer.Business} {
			for _, rentals := range []*bool{nil, &yes} {
				for _, sort := range customer.Sorts {
					q := customer.ListQuery{Limit: 3, Status: status, Type: typ, HasActiveRentals: rentals, SortBy: sort}
					reads, got, _ := count(q)
					bounded := (typ != "" || rentals != nil) && (q.Sorted() || typ != "" && rentals != nil)
					if !bounded && reads > got+1 {
						t.Errorf("ListCustomers(%+v) read %d records for %d, want at most %d", q, reads, got, got+1)
					}
					if reads > maxReadsPerPage {
						t.Errorf("ListCustomers(%+v) read %d records, want at most %d", q, reads, maxReadsPerPage)
					}
				}
			}
		}
	}
}

// TestBoundedWalkEndsAtItsBudget: a bounded walk that finds nothing within maxReadsPerPage ends
// the page empty, with a cursor after the last record read, and the next page goes on from there.
func TestBoundedWalkEndsAtItsBudget(t *testing.T) {
	s := newStore(t)
	const n = maxReadsPerPage + 5
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, err := writeTenant(tx, "t1")
		if err != nil {
			return err
		}
		now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range n {
			c := input(fmt.Sprintf("c%04d@example.com", i)).NewCustomerRecord("t1", customer.NewID(now), "ord_x", now)
			if err := putCustomer(tb, c, s.stamp()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	q := customer.ListQuery{Limit: 10, Type: customer.Business, SortBy: customer.ByLastName}
	p, err := s.ListCustomers(context.Background(), "t1", q)
	if err != nil || len(p.Customers) != 0 || p.Next == "" {
		t.Fatalf("first page = %d customers, next %q, %v; want none and a cursor", len(p.Customers), p.Next, err)
	}
	q.After = p.Next
	p, err = s.ListCustomers(context.Background(), "t1", q)
	if err != nil || len(p.Customers) != 0 || p.Next != "" {
		t.Errorf("second page = %d customers, next %q, %v; want none and the end", len(p.Customers), p.Next, err)
	}
}
