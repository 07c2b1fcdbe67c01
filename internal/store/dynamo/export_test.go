package dynamo

import (
	"maps"
	"slices"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// OrderKey is orderKey, for the tests of package dynamo_test that write an order item behind the
// store's back (as fulfilment would).
var OrderKey = orderKey

// OrderStatusAttrs are the attributes an order's status sets (the status and the index keys that
// depend on it), for tests that move an order to a status behind the store's back (as fulfilment
// would) as the store itself would write it, at timestamp at.
func OrderStatusAttrs(tenant, id string, st order.Status, at string) map[string]string {
	o := order.Order{TenantID: tenant, OrderID: id, Status: st}
	keys := orderIndexKeys(o, at)
	return map[string]string{
		"status":          string(st),
		AttrGSI2PK:        keys[AttrGSI2PK],
		AttrLSK2:          keys[AttrLSK2],
		stampOf(AttrLSK2): at,
	}
}

// CustomerItem is customerItem, for the tests that write a customer as an earlier version did.
var CustomerItem = customerItem

// SetEraseBatch sets the page of orders one erasure step reads, for tests that want many steps.
func SetEraseBatch(s *Store, n int) { s.eraseBatch = n }

// CustomerKey is customerKey, for tests that change a customer item behind the store's back.
var CustomerKey = customerKey

// CustomerIndexAttrs and OrderIndexAttrs name every index attribute a customer and an order item
// carry (customerIndexKeys, orderIndexKeys), for tests that remove them as a version before the
// indexes would have left them.
func CustomerIndexAttrs() []string {
	return slices.Sorted(maps.Keys(customerIndexKeys(customer.Customer{}, "")))
}

// OrderIndexAttrs: see CustomerIndexAttrs.
func OrderIndexAttrs() []string { return slices.Sorted(maps.Keys(orderIndexKeys(order.Order{}, ""))) }
