package storetest

import (
	"context"
	"fmt"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// EraseCustomer erases the customer in one step (memStore has no crash to survive): its orders,
// their idempotency and fingerprint records, then the record and its email reservation.
func (m *memStore) EraseCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("mem: EraseCustomer: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.customers[k(tenant, id)]
	if !ok {
		return customer.Customer{}, fmt.Errorf("mem: erase customer %s: %w", id, customer.ErrNotFound)
	}
	if c.ErasedAt != "" {
		return copyCustomer(c), nil
	}
	if err := customer.CheckErase(c); err != nil {
		return customer.Customer{}, fmt.Errorf("mem: erase customer %s: %w", id, err)
	}
	for key, o := range m.orders {
		if o.TenantID != tenant || o.Customer.CustomerID != id {
			continue
		}
		if fk := k(tenant, o.Fingerprint()); m.latest[fk] == o.OrderID {
			delete(m.latest, fk)
		}
		for ik, rec := range m.idem {
			if rec.order.TenantID == tenant && rec.order.OrderID == o.OrderID {
				delete(m.idem, ik)
			}
		}
		m.orders[key] = order.Erase(o)
	}
	n := customer.Erase(copyCustomer(c), m.now())
	delete(m.emails, k(tenant, customer.EmailKey(c.Email)))
	m.emails[k(tenant, customer.EmailKey(n.Email))] = id
	m.putCustomer(k(tenant, id), n)
	return copyCustomer(n), nil
}
