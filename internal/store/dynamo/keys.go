package dynamo

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Attribute and index names of the table. docs/indexes.md has every index key and the lists it
// serves.
const (
	AttrPK      = "PK"
	AttrSK      = "SK"
	AttrGSI1PK  = "GSI1PK" // an order's customer
	AttrGSI1SK  = "GSI1SK"
	IndexGSI1   = "GSI1"   // orders by customer
	AttrGSI2PK  = "GSI2PK" // a customer's status, an order's status
	AttrGSI2SK  = "GSI2SK"
	IndexGSI2   = "GSI2"      // customers by status, orders by status
	AttrExpires = "expiresAt" // TTL attribute of idempotency records, epoch seconds

	// The sort keys: a prefix (CUSTOMER#, ORDER#) and a position (customer.Position,
	// order.Position). Customers: firstName, lastName, email, totalMonthlyRevenue,
	// totalDevicesRented; orders: updatedAt, status.
	AttrLSK1 = "LSK1"
	AttrLSK2 = "LSK2"
	AttrLSK3 = "LSK3"
	AttrLSK4 = "LSK4"
	AttrLSK5 = "LSK5"
	AttrTPK  = "TPK" // a customer's type
	AttrRPK  = "RPK" // whether a customer has active rentals
	AttrSSK  = "SSK" // a customer's status and id, the range of TPK and RPK by status

	attrExpiresMs = "expiresAtMs" // when an idempotency record stops answering, epoch milliseconds
)

// Index is a global secondary index of the table.
type Index struct{ Name, Hash, Range string }

// Indexes are the table's global secondary indexes, each projecting all attributes
// (docs/indexes.md): dynamosetup creates them and template.yaml declares the same.
var Indexes = []Index{
	{IndexGSI1, AttrGSI1PK, AttrGSI1SK}, // a customer's orders by creation
	{IndexGSI2, AttrGSI2PK, AttrGSI2SK}, // customers, orders of a status by creation
	{"GSI3", AttrGSI2PK, AttrLSK1},      // customers of a status by firstName; orders of a status by updatedAt
	{"GSI4", AttrGSI2PK, AttrLSK2},      // customers of a status by lastName (orders of a status by status: unused)
	{"GSI5", AttrGSI2PK, AttrLSK3},      // customers of a status by email
	{"GSI6", AttrGSI2PK, AttrLSK4},      // customers of a status by totalMonthlyRevenue
	{"GSI7", AttrGSI2PK, AttrLSK5},      // customers of a status by totalDevicesRented
	{"GSI8", AttrPK, AttrLSK1},          // customers by firstName; orders by updatedAt
	{"GSI9", AttrPK, AttrLSK2},          // customers by lastName; orders by status
	{"GSI10", AttrPK, AttrLSK3},         // customers by email
	{"GSI11", AttrPK, AttrLSK4},         // customers by totalMonthlyRevenue
	{"GSI12", AttrPK, AttrLSK5},         // customers by totalDevicesRented
	{"GSI13", AttrTPK, AttrSSK},         // customers of a type and a status by creation
	{"GSI14", AttrTPK, AttrGSI2SK},      // customers of a type by creation
	{"GSI15", AttrRPK, AttrSSK},         // customers with(out) active rentals, of a status, by creation
	{"GSI16", AttrRPK, AttrGSI2SK},      // customers with(out) active rentals by creation
	{"GSI17", AttrGSI1PK, AttrLSK1},     // a customer's orders by updatedAt
	{"GSI18", AttrGSI1PK, AttrLSK2},     // a customer's orders by status; of a status by creation
}

// customerSortKeys are the sort key attributes of each customer order but creation.
var customerSortKeys = map[customer.Sort]string{
	customer.ByFirstName:      AttrLSK1,
	customer.ByLastName:       AttrLSK2,
	customer.ByEmail:          AttrLSK3,
	customer.ByMonthlyRevenue: AttrLSK4,
	customer.ByDevicesRented:  AttrLSK5,
}

// orderSortKeys are the sort key attributes of each order order but creation.
var orderSortKeys = map[order.Sort]string{
	order.ByUpdatedAt: AttrLSK1,
	order.ByStatus:    AttrLSK2,
}

// stampOf is the attribute beside sort key attribute lsk that holds when its value was last set
// (customer.Stamp). A page after the first reads only items stamped no later
// than the first page was read, so an item whose sort value changed meanwhile, which may have
// moved from behind the cursor to ahead of it, is not shown twice.
func stampOf(lsk string) string { return lsk + "At" }

// Sort-key prefixes. Every data-plane partition key starts with the tenant, so tenant isolation
// can also be enforced in IAM with dynamodb:LeadingKeys.
const (
	prefixCustomer    = "CUSTOMER#"
	prefixEmail       = "EMAIL#"
	prefixOrder       = "ORDER#"
	prefixIdempotency = "IDEMPOTENCY#"
	prefixFingerprint = "FINGERPRINT#"
	prefixAPIKey      = "APIKEY#"
	prefixAPIKeyID    = "APIKEYID#"
	skAPIKey          = "APIKEY"
)

func attrS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: attrS(pk), AttrSK: attrS(sk)}
}

func tenantPK(tenant string) string { return "TENANT#" + tenant }

func customerKey(tenant, id string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixCustomer+id)
}

// emailKey is the reservation that makes an email unique per tenant, compared by customer.EmailKey.
func emailKey(tenant, email string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixEmail+customer.EmailKey(email))
}

func orderKey(tenant, id string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixOrder+id)
}

func customerOrdersPK(tenant, customerID string) string {
	return tenantPK(tenant) + "#CUSTOMER#" + customerID
}

// customerStatusPK is the GSI2 partition of a tenant's customers with status st.
func customerStatusPK(tenant string, st customer.Status) string {
	return tenantPK(tenant) + "#STATUS#" + string(st)
}

// customerTypePK is the TPK partition of a tenant's customers of type typ.
func customerTypePK(tenant string, typ customer.Type) string {
	return tenantPK(tenant) + "#TYPE#" + string(typ)
}

// customerRentalsPK is the RPK partition of a tenant's customers with (or without) active rentals.
func customerRentalsPK(tenant string, active bool) string {
	if active {
		return tenantPK(tenant) + "#RENTALS#true"
	}
	return tenantPK(tenant) + "#RENTALS#false"
}

// statusSK is the SSK of customer id in status st: the status first, so that one Query of a TPK
// or RPK partition reads the customers of one status (begins_with) or, on GSI14 and GSI16, of all.
func statusSK(st customer.Status, id string) string {
	return "STATUS#" + string(st) + "#" + prefixCustomer + id
}

// orderStatusPK is the GSI2 partition of a tenant's orders with status st.
func orderStatusPK(tenant string, st order.Status) string {
	return tenantPK(tenant) + "#ORDERSTATUS#" + string(st)
}

// customerIndexKeys are the index attributes of c (docs/indexes.md), stamped at (customer.Stamp):
// each is derived
// from c's own fields and id, so a write that sets a field sets its keys too, without a read.
func customerIndexKeys(c customer.Customer, at string) map[string]string {
	keys := map[string]string{
		AttrGSI2PK: customerStatusPK(c.TenantID, c.Status),
		AttrGSI2SK: prefixCustomer + c.CustomerID,
		AttrTPK:    customerTypePK(c.TenantID, c.CustomerType),
		AttrRPK:    customerRentalsPK(c.TenantID, c.HasActiveRentals()),
		AttrSSK:    statusSK(c.Status, c.CustomerID),
	}
	for s, lsk := range customerSortKeys {
		keys[lsk] = prefixCustomer + c.Position(s)
		keys[stampOf(lsk)] = at
	}
	return keys
}

// orderIndexKeys are the index attributes of o, stamped at.
func orderIndexKeys(o order.Order, at string) map[string]string {
	keys := map[string]string{
		AttrGSI1PK: customerOrdersPK(o.TenantID, o.Customer.CustomerID),
		AttrGSI1SK: prefixOrder + o.OrderID,
		AttrGSI2PK: orderStatusPK(o.TenantID, o.Status),
		AttrGSI2SK: prefixOrder + o.OrderID,
	}
	for s, lsk := range orderSortKeys {
		keys[lsk] = prefixOrder + o.Position(s)
		keys[stampOf(lsk)] = at
	}
	return keys
}

func idempotencyKey(tenant, k string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixIdempotency+k)
}

// fingerprintKey is the item that names the latest order of an order fingerprint
// (order.Input.Fingerprint) in the tenant, which natural idempotency answers with.
func fingerprintKey(tenant, fingerprint string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixFingerprint+fingerprint)
}

// apiKeyKey is the item authentication reads: by the hash of the secret, never the secret.
func apiKeyKey(hash string) map[string]types.AttributeValue { return key(prefixAPIKey+hash, skAPIKey) }

// apiKeyIDKey is a copy of the key by id, so revocation needs no scan.
func apiKeyIDKey(id string) map[string]types.AttributeValue { return key(prefixAPIKeyID+id, skAPIKey) }

// apiKeyTenantKey is a copy of the key under each tenant it is granted, for listing.
func apiKeyTenantKey(tenant, id string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixAPIKey+id)
}

// unmarshal decodes an item, keeping numbers in interface values exact (attributevalue.Number).
func unmarshal(item map[string]types.AttributeValue, out any) error {
	return attributevalue.UnmarshalMapWithOptions(item, out, func(o *attributevalue.DecoderOptions) {
		o.UseNumber = true
	})
}

// jsonNumbers turns the attributevalue.Number values of custom fields into json.Number, the
// domain's exact number.
func jsonNumbers(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	for k, v := range m {
		if n, ok := v.(attributevalue.Number); ok {
			m[k] = json.Number(n)
		}
	}
	return m
}

func decodeCustomer(item map[string]types.AttributeValue) (customer.Customer, error) {
	var c customer.Customer
	if err := unmarshal(item, &c); err != nil {
		return customer.Customer{}, err
	}
	c.CustomFields = jsonNumbers(c.CustomFields)
	return c.Normalized(), nil
}

func decodeOrder(item map[string]types.AttributeValue) (order.Order, error) {
	var o order.Order
	if err := unmarshal(item, &o); err != nil {
		return order.Order{}, err
	}
	o.CustomFields = jsonNumbers(o.CustomFields)
	return o.Normalized(), nil
}

// setIndexKeys adds SET of every key of keys to upd, in name order (a stable expression).
func setIndexKeys(upd expression.UpdateBuilder, keys map[string]string) expression.UpdateBuilder {
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		upd = upd.Set(expression.Name(k), expression.Value(keys[k]))
	}
	return upd
}

// customerItem is the stored form of c, with every index key of docs/indexes.md. Its slices and
// map are never NULL, so that SET customFields.#k and list_append(orderIds, ...) always find
// something to work on.
func customerItem(c customer.Customer) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(c.Normalized())
	if err != nil {
		return nil, err
	}
	for k, v := range customerKey(c.TenantID, c.CustomerID) {
		item[k] = v
	}
	for k, v := range customerIndexKeys(c, customer.StampOf(c.UpdatedAt)) {
		item[k] = attrS(v)
	}
	return item, nil
}

// orderItem is the stored form of o, with its index keys.
func orderItem(o order.Order) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(o)
	if err != nil {
		return nil, err
	}
	for k, v := range orderKey(o.TenantID, o.OrderID) {
		item[k] = v
	}
	for k, v := range orderIndexKeys(o, customer.StampOf(o.UpdatedAt)) {
		item[k] = attrS(v)
	}
	return item, nil
}
