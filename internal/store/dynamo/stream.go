package dynamo

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// What readers of the table's stream (the change events publisher) need to know of its items.

// PrefixCustomerSK is the sort-key prefix of customer items: the stream consumer's filter
// (template.yaml FilterCriteria) and IsCustomerKey match on it.
const PrefixCustomerSK = prefixCustomer

// IsCustomerKey reports whether k, the primary key of an item (PK and SK, as a stream record's
// Keys), is a customer's: no other item (email reservation, order, idempotency record, API key)
// has a sort key starting with PrefixCustomerSK under a tenant partition.
func IsCustomerKey(k map[string]types.AttributeValue) bool {
	pk, ok := k[AttrPK].(*types.AttributeValueMemberS)
	if !ok || !strings.HasPrefix(pk.Value, tenantPK("")) {
		return false
	}
	sk, ok := k[AttrSK].(*types.AttributeValueMemberS)
	return ok && strings.HasPrefix(sk.Value, prefixCustomer)
}

// DecodeCustomer decodes a stored customer item (a GetItem result or a stream image) exactly as
// the store does: custom field numbers exact (json.Number), slices and maps never nil. Internal
// attributes (keys, index attributes) are ignored; PendingOrders is read.
func DecodeCustomer(item map[string]types.AttributeValue) (customer.Customer, error) {
	return decodeCustomer(item)
}
