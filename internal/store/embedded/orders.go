package embedded

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// idempotencyRecord is what an Idempotency-Key remembers: the hash of the body it was first used
// with and the order that request created, until ExpiresAt.
type idempotencyRecord struct {
	RequestHash string      `json:"requestHash"`
	Order       order.Order `json:"order"`
	ExpiresAt   time.Time   `json:"expiresAt"`
}

// customerOrderKey is the key of the orders-by-customer index: "#" sorts below every character of
// an id, so one customer's orders are contiguous and in creation order.
func customerOrderKey(customerID, orderID string) string { return customerID + "#" + orderID }

// errReplayed ends a transaction that found a matching idempotency record: it rolls back any
// bucket the transaction created, so a replay writes nothing.
var errReplayed = errors.New("replayed")

// CreateOrder finds the customer by email (by customer.EmailKey) or creates it, and writes the
// order, the customer change, the email reservation of a new customer, the idempotency record and
// the order as its fingerprint's latest in one transaction. replayed is true when idem matched an
// unexpired earlier request with the same body, or when, without a key, the latest order of the
// same fingerprint is one order.Duplicate answers with: that order is returned (the first as it
// was, the latest as it is) and nothing is written.
// Errors: customer.ErrInactive, order.ErrIdempotencyReused.
func (s *Store) CreateOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency) (order.Order, bool, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, false, fmt.Errorf("embedded: create order: %w", err)
	}
	var o order.Order
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, err := writeTenant(tx, tenant)
		if err != nil {
			return err
		}
		now := s.now()
		if idem.Key != "" {
			var rec idempotencyRecord
			ok, err := get(tb.idempotency, idem.Key, &rec)
			if err != nil {
				return err
			}
			if ok {
				replay, err := order.ReplayCreate(rec.RequestHash, rec.ExpiresAt, idem, now)
				if err != nil {
					return err
				}
				if replay {
					o = rec.Order
					return errReplayed
				}
			}
		}
		fingerprint := in.Fingerprint()
		if latest := tb.latest.Get([]byte(fingerprint)); latest != nil {
			var first orderRecord
			ok, err := get(tb.orders, string(latest), &first)
			if err != nil {
				return err
			}
			if ok && order.Duplicate(first.Order, idem, now) {
				o = first.Order
				return errReplayed
			}
		}

		orderID := order.NewID(now)
		var c customer.Customer
		emailKey := customer.EmailKey(in.Customer.Email)
		if holder := tb.emails.Get([]byte(emailKey)); holder != nil {
			id := string(holder)
			var ok bool
			c, ok, err = getCustomer(tb, id)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("email reservation points at missing customer %s", id)
			}
			if err := order.CheckCustomer(c); err != nil {
				return err
			}
			c = order.Record(c, in, orderID, now)
		} else {
			c = in.NewCustomerRecord(tenant, customer.NewID(now), orderID, now)
			if err := tb.emails.Put([]byte(emailKey), []byte(c.CustomerID)); err != nil {
				return err
			}
		}
		if err := putCustomer(tb, c, s.stamp()); err != nil {
			return err
		}

		o = order.New(tenant, orderID, in, order.SnapshotOf(c), now)
		if err := putOrder(tb, orderRecord{Order: o, IdempotencyKey: idem.Key}, s.stamp()); err != nil {
			return err
		}
		if err := tb.byCustomer.Put([]byte(customerOrderKey(c.CustomerID, orderID)), []byte{}); err != nil {
			return err
		}
		if idem.Key != "" {
			rec := idempotencyRecord{RequestHash: idem.RequestHash, Order: o, ExpiresAt: order.Expires(now)}
			if err := put(tb.idempotency, idem.Key, rec); err != nil {
				return err
			}
		}
		// Orders made with a key are the latest of their fingerprint too: a later identical order
		// without one finds it, as it would find any order.
		return tb.latest.Put([]byte(fingerprint), []byte(orderID))
	})
	if errors.Is(err, errReplayed) {
		return o, true, nil
	}
	if err != nil {
		return order.Order{}, false, fmt.Errorf("embedded: create order: %w", err)
	}
	return o, false, nil
}

// GetOrder returns the order, or order.ErrNotFound.
func (s *Store) GetOrder(ctx context.Context, tenant, id string) (order.Order, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, fmt.Errorf("embedded: get order %s: %w", id, err)
	}
	var o order.Order
	err := s.db.View(func(tx *bolt.Tx) error {
		r, _, err := findOrder(tx, tenant, id)
		o = r.Order
		return err
	})
	if err != nil {
		return order.Order{}, fmt.Errorf("embedded: get order %s: %w", id, err)
	}
	return o, nil
}

// findOrder reads the order id of tenant in tx, with the tenant's buckets. Errors:
// order.ErrNotFound.
func findOrder(tx *bolt.Tx, tenant, id string) (orderRecord, tenantBuckets, error) {
	var r orderRecord
	tb, ok := readTenant(tx, tenant)
	if !ok {
		return r, tb, order.ErrNotFound
	}
	ok, err := get(tb.orders, id, &r)
	if err != nil {
		return r, tb, err
	}
	if !ok {
		return r, tb, order.ErrNotFound
	}
	return r, tb, nil
}

// orderRecord is an order as stored: the API fields, plus the mark of the request that cancelled
// it, which the domain type does not carry, and when each sort position last changed.
type orderRecord struct {
	order.Order
	CancelKey  string `json:"cancelKey,omitempty"`
	CancelHash string `json:"cancelHash,omitempty"`
	Stamps     stamps `json:"sortStamps,omitempty"`
	// IdempotencyKey is the Idempotency-Key the order was created with, so that erasing its
	// customer finds the idempotency record, which holds a copy of the order.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// putOrder stores r, written at, and moves its list index entries in the same transaction, as
// putCustomer. (The orders-by-customer entry never moves: an order keeps its customer.)
func putOrder(tb tenantBuckets, r orderRecord, at string) error {
	var old *orderRecord
	if data := tb.orders.Get([]byte(r.OrderID)); data != nil {
		old = new(orderRecord)
		if err := decode(data, old); err != nil {
			return err
		}
	}
	var oldEntries []string
	if old != nil {
		oldEntries = orderEntries(old.Order)
	}
	r.Stamps = restamp(old.stamps(), orderSorts, old.position, r.Order.Position, at)
	if err := reindex(tb.orderIndex, oldEntries, orderEntries(r.Order)); err != nil {
		return err
	}
	return put(tb.orders, r.OrderID, r)
}

// CancelOrder cancels an order that order.Cancellable allows (pending or confirmed), recording
// reason and idem's mark, and, when it was pending (order.CountsPending), takes it off its
// customer's count of pending orders in the same transaction. A retry of the cancelling request
// (order.ReplayCancel) returns the order with replayed = true and writes nothing.
// Errors: order.ErrNotFound, order.ErrIdempotencyReused, order.ErrAlreadyCancelled,
// order.ErrNotCancellable.
func (s *Store) CancelOrder(ctx context.Context, tenant, id, reason string, idem order.Idempotency) (order.Order, bool, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, false, fmt.Errorf("embedded: cancel order %s: %w", id, err)
	}
	var (
		r        orderRecord
		replayed bool
	)
	err := s.db.Update(func(tx *bolt.Tx) error {
		found, tb, err := findOrder(tx, tenant, id)
		if err != nil {
			return err
		}
		r = found
		now := s.now()
		mark := order.CancelMark{Key: r.CancelKey, RequestHash: r.CancelHash}
		if replayed, err = order.ReplayCancel(r.Order, mark, idem, now); err != nil || replayed {
			return err
		}
		if err := order.Cancellable(r.Status); err != nil {
			return err
		}
		settles := order.CountsPending(r.Status)
		r.Order = order.Cancel(r.Order, reason, now)
		r.CancelKey, r.CancelHash = idem.Key, idem.RequestHash
		if err := putOrder(tb, r, s.stamp()); err != nil {
			return err
		}
		if !settles {
			return nil
		}
		c, ok, err := getCustomer(tb, r.Customer.CustomerID)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		return putCustomer(tb, order.Settle(c), s.stamp())
	})
	if err != nil {
		return order.Order{}, false, fmt.Errorf("embedded: cancel order %s: %w", id, err)
	}
	return r.Order, replayed, nil
}

// UpdateOrderNotes replaces the order's notes (order.SetNotes; "" removes them) and returns the
// order as stored. Errors: order.ErrNotFound.
func (s *Store) UpdateOrderNotes(ctx context.Context, tenant, id, notes string) (order.Order, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, fmt.Errorf("embedded: update notes of order %s: %w", id, err)
	}
	var r orderRecord
	err := s.db.Update(func(tx *bolt.Tx) error {
		found, tb, err := findOrder(tx, tenant, id)
		if err != nil {
			return err
		}
		r = found
		r.Order = order.SetNotes(r.Order, notes, s.now())
		return putOrder(tb, r, s.stamp()) // its updatedAt moved: so does its place in the lists by it
	})
	if err != nil {
		return order.Order{}, fmt.Errorf("embedded: update notes of order %s: %w", id, err)
	}
	return r.Order, nil
}
