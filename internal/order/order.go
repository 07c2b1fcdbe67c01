// Package order is the slice of Orders that the customer lifecycle needs: the order, the snapshot
// of its customer taken when it was made, and parsing of POST /v1/orders bodies. No AWS imports.
package order

import (
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Status is where an order is in its life.
type Status string

// Order statuses. Orders are created pending; only a pending order can be cancelled.
const (
	Pending   Status = "pending"
	Confirmed Status = "confirmed"
	Partial   Status = "partial"
	Fulfilled Status = "fulfilled"
	Cancelled Status = "cancelled"
)

// Type is the kind of order.
type Type string

// Order types.
const (
	Standard  Type = "standard"
	Extension Type = "extension"
	Upgrade   Type = "upgrade"
)

// Item is one line of an order.
type Item struct {
	SKU            string `json:"sku" dynamodbav:"sku"`
	Quantity       int    `json:"quantity" dynamodbav:"quantity"`
	ContractLength int    `json:"contractLength" dynamodbav:"contractLength"`
}

// Snapshot is the customer as it stood when the order was made. Later customer updates never
// change it.
type Snapshot struct {
	CustomerID   string        `json:"customerId" dynamodbav:"customerId"`
	Email        string        `json:"email" dynamodbav:"email"`
	FirstName    string        `json:"firstName" dynamodbav:"firstName"`
	LastName     string        `json:"lastName" dynamodbav:"lastName"`
	Company      string        `json:"company,omitempty" dynamodbav:"company,omitempty"`
	Phone        string        `json:"phone,omitempty" dynamodbav:"phone,omitempty"`
	CustomerType customer.Type `json:"customerType" dynamodbav:"customerType"`
}

// Order is an order of one tenant.
type Order struct {
	OrderID            string            `json:"orderId" dynamodbav:"orderId"`
	TenantID           string            `json:"tenantId" dynamodbav:"tenantId"`
	Status             Status            `json:"status" dynamodbav:"status"`
	OrderType          Type              `json:"orderType" dynamodbav:"orderType"`
	Customer           Snapshot          `json:"customer" dynamodbav:"customer"`
	BillingAddress     customer.Address  `json:"billingAddress" dynamodbav:"billingAddress"`
	ShippingAddress    *customer.Address `json:"shippingAddress,omitempty" dynamodbav:"shippingAddress,omitempty"`
	Items              []Item            `json:"items" dynamodbav:"items"`
	CustomFields       map[string]any    `json:"customFields" dynamodbav:"customFields"`
	Notes              string            `json:"notes,omitempty" dynamodbav:"notes,omitempty"`
	CancellationReason string            `json:"cancellationReason,omitempty" dynamodbav:"cancellationReason,omitempty"`
	CreatedAt          string            `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt          string            `json:"updatedAt" dynamodbav:"updatedAt"`
}

// NewCustomer is the customer part of an order body: who to find by email, or create.
type NewCustomer struct {
	Email        string        `json:"email"`
	FirstName    string        `json:"firstName"`
	LastName     string        `json:"lastName"`
	Company      string        `json:"company,omitempty"`
	Phone        string        `json:"phone,omitempty"`
	CustomerType customer.Type `json:"customerType"`
}

// Input is a validated POST /v1/orders body. Strings are trimmed; defaults are filled in
// (OrderType standard, Customer.CustomerType individual, CustomFields non-nil).
type Input struct {
	Customer        NewCustomer       `json:"customer"`
	BillingAddress  customer.Address  `json:"billingAddress"`
	ShippingAddress *customer.Address `json:"shippingAddress,omitempty"`
	Items           []Item            `json:"items"`
	OrderType       Type              `json:"orderType"`
	CustomFields    map[string]any    `json:"customFields"`
	Notes           string            `json:"notes,omitempty"`
}

// Idempotency identifies a POST by its Idempotency-Key (scoped to the tenant) and the hash of its
// validated body. The zero value means the request had no key.
type Idempotency struct {
	Key         string
	RequestHash string
}

// IdempotencyTTL is how long a stored response is replayed for the same key.
const IdempotencyTTL = 24 * time.Hour

// NewID returns a new order id: "ord_" and a ULID.
func NewID(t time.Time) string { return "ord_" + customer.NewULID(t) }

// ListQuery selects a page of a tenant's orders. After is the orderId of the last order of the
// previous page ("" for the first).
type ListQuery struct {
	Limit      int
	After      string
	CustomerID string // "" means every customer
	Status     Status // "" means every status
	Desc       bool
}

// Page is one page of orders. Next is the After of the following page, "" when there is none.
type Page struct {
	Orders []Order
	Next   string
}

// Errors an order operation ends in. Stores wrap them with context; match with errors.Is.
var (
	ErrNotFound          = fault.E(fault.OrderNotFound, "Order not found")
	ErrNotCancellable    = fault.E(fault.NotCancellable, "Only a pending order can be cancelled")
	ErrAlreadyCancelled  = fault.E(fault.AlreadyCancelled, "The order is already cancelled")
	ErrIdempotencyInUse  = fault.E(fault.IdempotencyInUse, "A request with this Idempotency-Key is still being processed")
	ErrIdempotencyReused = fault.E(fault.IdempotencyReused, "This Idempotency-Key was used with a different request body")
)

// NewCustomerRecord returns the customer that an order for a yet unknown email creates: active,
// with the order's addresses as its last ones, an empty customFields map, version 1.
// The caller records the order itself (TotalOrders, OrderIDs, PendingOrders).
func (in Input) NewCustomerRecord(tenant, id string, now time.Time) customer.Customer {
	ts := customer.Timestamp(now)
	billing := in.BillingAddress
	c := customer.Customer{
		CustomerID:         id,
		TenantID:           tenant,
		Email:              in.Customer.Email,
		FirstName:          in.Customer.FirstName,
		LastName:           in.Customer.LastName,
		Company:            in.Customer.Company,
		Phone:              in.Customer.Phone,
		CustomerType:       in.Customer.CustomerType,
		Status:             customer.Active,
		LastBillingAddress: &billing,
		CustomFields:       map[string]any{},
		OrderIDs:           []string{},
		RentalIDs:          []string{},
		CreatedAt:          ts,
		UpdatedAt:          ts,
		Version:            1,
	}
	if c.CustomerType == "" {
		c.CustomerType = customer.Individual
	}
	if in.ShippingAddress != nil {
		shipping := *in.ShippingAddress
		c.LastShippingAddress = &shipping
	}
	return c
}

// SnapshotOf returns the snapshot an order keeps of c.
func SnapshotOf(c customer.Customer) Snapshot {
	return Snapshot{
		CustomerID:   c.CustomerID,
		Email:        c.Email,
		FirstName:    c.FirstName,
		LastName:     c.LastName,
		Company:      c.Company,
		Phone:        c.Phone,
		CustomerType: c.CustomerType,
	}
}

// New returns a pending order with id for the customer snap, made from in at now.
func New(tenant, id string, in Input, snap Snapshot, now time.Time) Order {
	ts := customer.Timestamp(now)
	o := Order{
		OrderID:         id,
		TenantID:        tenant,
		Status:          Pending,
		OrderType:       in.OrderType,
		Customer:        snap,
		BillingAddress:  in.BillingAddress,
		ShippingAddress: in.ShippingAddress,
		Items:           in.Items,
		CustomFields:    in.CustomFields,
		Notes:           in.Notes,
		CreatedAt:       ts,
		UpdatedAt:       ts,
	}
	if o.OrderType == "" {
		o.OrderType = Standard
	}
	if o.CustomFields == nil {
		o.CustomFields = map[string]any{}
	}
	return o
}

// Normalized returns o with its collections never nil, so that it is shown as {} and [] rather
// than null.
func (o Order) Normalized() Order {
	if o.Items == nil {
		o.Items = []Item{}
	}
	if o.CustomFields == nil {
		o.CustomFields = map[string]any{}
	}
	return o
}
