package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// customerRecord is a customer as stored: the API fields plus the internal pending-order counter,
// which the domain type keeps out of JSON, and when each sort position last changed (stamps).
type customerRecord struct {
	customer.Customer
	PendingOrders int64  `json:"pendingOrders"`
	Stamps        stamps `json:"sortStamps,omitempty"`
	Erasing       bool   `json:"erasing,omitempty"`
}

func getCustomer(tb tenantBuckets, id string) (customer.Customer, bool, error) {
	var r customerRecord
	ok, err := get(tb.customers, id, &r)
	if err != nil || !ok {
		return customer.Customer{}, false, err
	}
	c := r.Customer
	c.PendingOrders = r.PendingOrders
	c.Erasing = r.Erasing
	return c, true, nil
}

// findCustomer returns the tenant's buckets and the customer id, or customer.ErrNotFound when the
// tenant or the customer does not exist.
func findCustomer(tx *bolt.Tx, tenant, id string) (tenantBuckets, customer.Customer, error) {
	tb, ok := readTenant(tx, tenant)
	if !ok {
		return tb, customer.Customer{}, customer.ErrNotFound
	}
	c, ok, err := getCustomer(tb, id)
	if err == nil && !ok {
		err = customer.ErrNotFound
	}
	return tb, c, err
}

// putCustomer stores c, written at (customer.Stamp), and, in the same transaction, moves its
// list index entries: the entries of the record it replaces are removed, c's added (lists.go).
func putCustomer(tb tenantBuckets, c customer.Customer, at string) error {
	r := customerRecord{Customer: c, PendingOrders: c.PendingOrders, Erasing: c.Erasing}
	var old *customerRecord
	if data := tb.customers.Get([]byte(c.CustomerID)); data != nil {
		old = new(customerRecord)
		if err := decode(data, old); err != nil {
			return err
		}
	}
	var oldEntries []string
	if old != nil {
		oldEntries = customerEntries(old.Customer)
	}
	r.Stamps = restamp(old.stamps(), customerSorts, old.position, r.Customer.Position, at)
	if err := reindex(tb.customerIndex, oldEntries, customerEntries(c)); err != nil {
		return err
	}
	return put(tb.customers, c.CustomerID, r)
}

// GetCustomer returns the customer, or customer.ErrNotFound.
func (s *Store) GetCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: get customer %s: %w", id, err)
	}
	var c customer.Customer
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, c, err = findCustomer(tx, tenant, id)
		return err
	})
	if err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: get customer %s: %w", id, err)
	}
	return c, nil
}

// UpdateCustomer applies p to the customer and returns it as stored afterwards: in one
// transaction it reads the customer, lets customer.CheckUpdate decide, applies p with
// customer.Patch.Apply and, when the email key changes, moves the email reservation.
// Errors: customer.ErrNotFound, customer.ErrPrecondition, customer.ErrPendingOrders,
// customer.ErrEmailExists, or a *fault.ValidationError when the merged customFields would be too
// many.
func (s *Store) UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: update customer %s: %w", id, err)
	}
	var updated customer.Customer
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, old, err := findCustomer(tx, tenant, id)
		if err != nil {
			return err
		}
		if err := customer.CheckUpdate(old, p, ifMatch); err != nil {
			return err
		}
		updated, err = p.Apply(old, s.now())
		if err != nil {
			return err
		}
		oldKey, newKey := customer.EmailKey(old.Email), customer.EmailKey(updated.Email)
		if oldKey != newKey {
			if holder := tb.emails.Get([]byte(newKey)); holder != nil && string(holder) != id {
				return customer.ErrEmailExists
			}
			if holder := tb.emails.Get([]byte(oldKey)); string(holder) == id {
				if err := tb.emails.Delete([]byte(oldKey)); err != nil {
					return err
				}
			}
			if err := tb.emails.Put([]byte(newKey), []byte(id)); err != nil {
				return err
			}
		}
		return putCustomer(tb, updated, s.stamp())
	})
	if err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: update customer %s: %w", id, err)
	}
	return updated, nil
}

// DeactivateCustomer sets the customer's status inactive, as customer.Deactivate decides: an
// inactive customer is returned as it is, without a new version. Errors: customer.ErrNotFound,
// customer.ErrPrecondition, customer.ErrPendingOrders.
func (s *Store) DeactivateCustomer(ctx context.Context, tenant, id string, ifMatch customer.IfMatch) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: deactivate customer %s: %w", id, err)
	}
	var c customer.Customer
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, cur, err := findCustomer(tx, tenant, id)
		if err != nil {
			return err
		}
		next, changed, err := customer.Deactivate(cur, ifMatch, s.now())
		if err != nil {
			return err
		}
		c = next
		if !changed {
			return nil
		}
		return putCustomer(tb, c, s.stamp())
	})
	if err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: deactivate customer %s: %w", id, err)
	}
	return c, nil
}
