package embedded

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/rental"
)

// bucketSubscriptions, in a tenant's bucket, holds its subscriptions: subscriptionId →
// rental.Subscription. It is made by the first event of the tenant.
var bucketSubscriptions = []byte("subscriptions")

// ApplyRentalEvent applies a subscription event (rental.Apply) in one transaction: it reads the
// event's customer, subscriptions and order, and writes the subscriptions' new states, the
// customer's totals and the order's progress together, so the totals always add up to the
// states. A repeat of an applied event (by id) or a move a state cannot make writes nothing.
// Errors: rental.ErrUnknownCustomer (no such customer in the tenant, or no such tenant),
// rental.ErrOtherCustomer.
func (s *Store) ApplyRentalEvent(ctx context.Context, ev rental.Event) (rental.Change, error) {
	if err := ctx.Err(); err != nil {
		return rental.Change{}, fmt.Errorf("embedded: apply event %s: %w", ev.ID, err)
	}
	var ch rental.Change
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, ok := readTenant(tx, ev.TenantID)
		if !ok {
			return rental.ErrUnknownCustomer
		}
		c, ok, err := getCustomer(tb, ev.Data.CustomerID)
		if err != nil {
			return err
		}
		if !ok {
			return rental.ErrUnknownCustomer
		}
		subs, err := tx.Bucket(bucketTenants).Bucket([]byte(ev.TenantID)).CreateBucketIfNotExists(bucketSubscriptions)
		if err != nil {
			return err
		}
		before := rental.Before{Customer: c, Subscriptions: map[string]rental.Subscription{}}
		for _, id := range ev.Subscriptions() {
			var sub rental.Subscription
			ok, err := get(subs, id, &sub)
			if err != nil {
				return err
			}
			if ok {
				before.Subscriptions[id] = sub
			}
		}
		var r orderRecord
		if id := ev.Order(); id != "" {
			ok, err := get(tb.orders, id, &r)
			if err != nil {
				return err
			}
			if ok {
				o := r.Order
				before.Order = &o
			}
		}
		ch, err = rental.Apply(ev, before, s.now())
		if err != nil {
			return err
		}
		for _, sub := range ch.Subscriptions {
			sub.Rev++
			if err := put(subs, sub.ID, sub); err != nil {
				return err
			}
		}
		at := s.stamp()
		if ch.Customer != nil {
			if err := putCustomer(tb, *ch.Customer, at); err != nil {
				return err
			}
		}
		if ch.Order != nil {
			r.Order = *ch.Order
			if err := putOrder(tb, r, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return rental.Change{}, fmt.Errorf("embedded: apply event %s: %w", ev.ID, err)
	}
	return ch, nil
}
