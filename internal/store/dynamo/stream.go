package dynamo

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// What readers of the table's stream (the change events publisher) need to know of its items.

// The sort-key prefixes of customer and order items: the stream consumer's filter (template.yaml
// FilterCriteria), IsCustomerKey and IsOrderKey match on them.
const (
	PrefixCustomerSK = prefixCustomer
	PrefixOrderSK    = prefixOrder
)

// IsCustomerKey reports whether k, the primary key of an item (PK and SK, as a stream record's
// Keys), is a customer's: no other item (email reservation, order, idempotency record, API key)
// has a sort key starting with PrefixCustomerSK under a tenant partition.
func IsCustomerKey(k map[string]types.AttributeValue) bool { return isTenantItem(k, prefixCustomer) }

// IsOrderKey reports whether k, the primary key of an item, is an order's: a sort key starting
// with PrefixOrderSK under a tenant partition. (Orders are indexed by customer in GSI1 under
// SK ORDER#<id> too, but a stream record's Keys are the table's key, never an index's.)
func IsOrderKey(k map[string]types.AttributeValue) bool { return isTenantItem(k, prefixOrder) }

func isTenantItem(k map[string]types.AttributeValue, skPrefix string) bool {
	pk, ok := k[AttrPK].(*types.AttributeValueMemberS)
	if !ok || !strings.HasPrefix(pk.Value, tenantPK("")) {
		return false
	}
	sk, ok := k[AttrSK].(*types.AttributeValueMemberS)
	return ok && strings.HasPrefix(sk.Value, skPrefix)
}

// DecodeCustomer decodes a stored customer item (a GetItem result or a stream image) exactly as
// the store does: custom field numbers exact (json.Number), slices and maps never nil. Internal
// attributes (keys, index attributes) are ignored; PendingOrders is read.
func DecodeCustomer(item map[string]types.AttributeValue) (customer.Customer, error) {
	return decodeCustomer(item)
}

// DecodeOrder decodes a stored order item as the store does: custom field numbers exact, items
// and custom fields never nil. Internal attributes (keys, index attributes, the mark of the
// request that cancelled it) are ignored.
func DecodeOrder(item map[string]types.AttributeValue) (order.Order, error) {
	return decodeOrder(item)
}
