package dynamo

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Attribute and index names of the table.
const (
	AttrPK      = "PK"
	AttrSK      = "SK"
	AttrGSI1PK  = "GSI1PK"
	AttrGSI1SK  = "GSI1SK"
	IndexGSI1   = "GSI1" // orders by customer
	AttrGSI2PK  = "GSI2PK"
	AttrGSI2SK  = "GSI2SK"
	IndexGSI2   = "GSI2"      // customers by status
	AttrExpires = "expiresAt" // TTL attribute of idempotency records, epoch seconds

	attrExpiresMs = "expiresAtMs" // when an idempotency record stops answering, epoch milliseconds
)

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

// emailKey is the reservation that makes an email unique per tenant, compared case-insensitively.
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

// customerItem is the stored form of c, indexed in GSI2 under its status. Its slices and map are
// never NULL, so that SET customFields.#k and list_append(orderIds, ...) always find something to
// work on.
func customerItem(c customer.Customer) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(c.Normalized())
	if err != nil {
		return nil, err
	}
	for k, v := range customerKey(c.TenantID, c.CustomerID) {
		item[k] = v
	}
	item[AttrGSI2PK] = attrS(customerStatusPK(c.TenantID, c.Status))
	item[AttrGSI2SK] = attrS(prefixCustomer + c.CustomerID)
	return item, nil
}

func orderItem(o order.Order) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(o)
	if err != nil {
		return nil, err
	}
	for k, v := range orderKey(o.TenantID, o.OrderID) {
		item[k] = v
	}
	item[AttrGSI1PK] = attrS(customerOrdersPK(o.TenantID, o.Customer.CustomerID))
	item[AttrGSI1SK] = attrS(prefixOrder + o.OrderID)
	return item, nil
}
