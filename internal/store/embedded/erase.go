package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// defaultEraseBatch is how many orders one step of an erasure erases: one bbolt transaction
// each, so a customer with thousands of orders never holds the file for long.
const defaultEraseBatch = 100

// Steps of an erasure, as AfterEraseStep names them.
const (
	StepMarked   = "marked"
	StepOrders   = "orders"
	StepCustomer = "customer"
)

// EraseCustomer erases the customer (docs/api.md, "Erasure") in steps, each one transaction:
// it marks the customer erasing (from then on every write to it is refused with
// customer.ErrErased, so no order can be added), erases its orders eraseBatch at a time
// (order.Erase, with the idempotency record and the natural-idempotency record of each, which
// hold its data), and last erases the record itself (customer.Erase) and frees its email. A
// crash between steps leaves a customer still erasing, with no personal datum in any order
// already erased; calling EraseCustomer again finishes the job. An erased customer is returned as
// it is. Errors: customer.ErrNotFound, customer.ErrActiveSubscriptions, customer.ErrPendingOrders.
func (s *Store) EraseCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: erase customer %s: %w", id, err)
	}
	var c customer.Customer
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, cur, err := findCustomer(tx, tenant, id)
		if err != nil {
			return err
		}
		c = cur
		if cur.ErasedAt != "" || cur.Erasing {
			return nil
		}
		if err := customer.CheckErase(cur); err != nil {
			return err
		}
		c.Erasing = true
		return putCustomer(tb, c, s.stamp())
	})
	if err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: erase customer %s: %w", id, err)
	}
	if c.ErasedAt != "" {
		return c, nil
	}
	if err := s.eraseStep(StepMarked); err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: erase customer %s: %w", id, err)
	}
	batch := s.eraseBatch
	if batch <= 0 {
		batch = defaultEraseBatch
	}
	for after := ""; ; {
		var more bool
		err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			after, more, err = eraseOrders(tx, tenant, id, after, batch)
			return err
		})
		if err != nil {
			return customer.Customer{}, fmt.Errorf("embedded: erase orders of customer %s: %w", id, err)
		}
		if !more {
			break
		}
		if err := s.eraseStep(StepOrders); err != nil {
			return customer.Customer{}, fmt.Errorf("embedded: erase customer %s: %w", id, err)
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb, cur, err := findCustomer(tx, tenant, id)
		if err != nil {
			return err
		}
		if cur.ErasedAt != "" {
			c = cur
			return nil
		}
		c = customer.Erase(cur, s.now())
		if holder := tb.emails.Get([]byte(customer.EmailKey(cur.Email))); string(holder) == id {
			if err := tb.emails.Delete([]byte(customer.EmailKey(cur.Email))); err != nil {
				return err
			}
		}
		// The placeholder is reserved, as every customer's email is: an order for it finds the
		// erased customer (409 CUSTOMER_ERASED) rather than making a second one with its email.
		if err := tb.emails.Put([]byte(customer.EmailKey(c.Email)), []byte(id)); err != nil {
			return err
		}
		return putCustomer(tb, c, s.stamp())
	})
	if err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: erase customer %s: %w", id, err)
	}
	if err := s.eraseStep(StepCustomer); err != nil {
		return customer.Customer{}, fmt.Errorf("embedded: erase customer %s: %w", id, err)
	}
	return c, nil
}

// eraseStep reports a committed step to AfterEraseStep.
func (s *Store) eraseStep(step string) error {
	if s.AfterEraseStep == nil {
		return nil
	}
	return s.AfterEraseStep(step)
}

// eraseOrders erases up to batch orders of customer id after the order id after, in
// creation order, and returns the last one it looked at and whether it erased any (false: the
// customer has no order left to erase past after). Orders erased already are skipped.
func eraseOrders(tx *bolt.Tx, tenant, id, after string, batch int) (last string, erased bool, err error) {
	tb, ok := readTenant(tx, tenant)
	if !ok {
		return after, false, nil
	}
	var ids []string
	err = scan(tb.byCustomer, id+"#", after, false, func(orderID string, _ []byte) (bool, error) {
		ids = append(ids, orderID)
		return len(ids) < batch, nil
	})
	if err != nil {
		return after, false, err
	}
	for _, orderID := range ids {
		var r orderRecord
		ok, err := get(tb.orders, orderID, &r)
		if err != nil {
			return after, false, err
		}
		if !ok || order.Erased(r.Order) && r.IdempotencyKey == "" {
			continue
		}
		if fp := r.Order.Fingerprint(); string(tb.latest.Get([]byte(fp))) == orderID {
			if err := tb.latest.Delete([]byte(fp)); err != nil {
				return after, false, err
			}
		}
		if r.IdempotencyKey != "" {
			var rec idempotencyRecord
			ok, err := get(tb.idempotency, r.IdempotencyKey, &rec)
			if err != nil {
				return after, false, err
			}
			if ok && rec.Order.OrderID == orderID {
				if err := tb.idempotency.Delete([]byte(r.IdempotencyKey)); err != nil {
					return after, false, err
				}
			}
		}
		r.Order, r.IdempotencyKey = order.Erase(r.Order), ""
		// Its updatedAt stays (docs/api.md: timestamps stay), and so do its list positions.
		if err := put(tb.orders, orderID, r); err != nil {
			return after, false, err
		}
	}
	if len(ids) == 0 {
		return after, false, nil
	}
	return ids[len(ids)-1], true, nil
}
