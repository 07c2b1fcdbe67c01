// Package order is the slice of Orders that the customer lifecycle needs: the order, the snapshot
// of its customer taken when it was made, and parsing of POST /v1/orders bodies. No AWS imports.
package order

import (
	"slices"
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

// Expires is when an Idempotency-Key first used at t stops answering: IdempotencyTTL later.
func Expires(t time.Time) time.Time { return t.Add(IdempotencyTTL) }

// Live reports whether a key that expires at expires still answers at now: up to, not
// including, that instant. Every store judges its records with it (a DynamoDB record no longer
// live may still be in the table: TTL deletion is lazy).
func Live(expires, now time.Time) bool { return now.Before(expires) }

// ReplayCreate decides an order request with idem against the record found under its key: the
// hash of the body it was first used with, and when it expires. replay is true when the record
// is live and the bodies match: the caller answers with the stored order and writes nothing. A
// live record of another body is ErrIdempotencyReused. (false, nil): there is no live record, and
// the order is made.
func ReplayCreate(requestHash string, expires time.Time, idem Idempotency, now time.Time) (replay bool, err error) {
	if idem.Key == "" || !Live(expires, now) {
		return false, nil
	}
	if requestHash != idem.RequestHash {
		return false, ErrIdempotencyReused
	}
	return true, nil
}

// NewID returns a new order id: "ord_" and a ULID.
func NewID(t time.Time) string { return "ord_" + customer.NewULID(t) }

// ListQuery selects a page of a tenant's orders. After is the store's token of where the previous
// page ended (its Page.Next; "" for the first), sealed by the HTTP layer as for customers.
type ListQuery struct {
	Limit      int // 0 means customer.DefaultLimit
	After      string
	CustomerID string // "" means every customer
	Status     Status // "" means every status
	SortBy     Sort   // "" means ByCreatedAt
	Desc       bool
}

// Page is one page of orders. Next is the After of the following page, "" when there is none.
type Page struct {
	Orders []Order
	Next   string
}

// Errors an order operation ends in. Stores wrap them with context; match with errors.Is.
var (
	ErrNotFound          = fault.E(fault.NotFound, "Order not found")
	ErrNotCancellable    = fault.E(fault.NotCancellable, "Only a pending order can be cancelled")
	ErrAlreadyCancelled  = fault.E(fault.AlreadyCancelled, "The order is already cancelled")
	ErrIdempotencyInUse  = fault.E(fault.IdempotencyInUse, "A request with this Idempotency-Key is still being processed")
	ErrIdempotencyReused = fault.E(fault.IdempotencyReused, "This Idempotency-Key was used with a different request body")
)

// NewCustomerRecord returns the customer that order orderID, for a yet unknown email, creates:
// active, with the order's addresses as its last ones, an empty customFields map, version 1, and
// the order recorded (its one order, pending).
func (in Input) NewCustomerRecord(tenant, id, orderID string, now time.Time) customer.Customer {
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
		TotalOrders:        1,
		OrderIDs:           []string{orderID},
		RentalIDs:          []string{},
		CreatedAt:          ts,
		UpdatedAt:          ts,
		Version:            1,
		PendingOrders:      1,
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

// CheckCustomer decides whether c, the customer an order's email names, may place it: an
// inactive customer may not (customer.ErrInactive).
func CheckCustomer(c customer.Customer) error {
	if c.Status == customer.Inactive {
		return customer.ErrInactive
	}
	return nil
}

// Record returns c with the order orderID, made from in at now, recorded on it: the order's
// addresses become its last ones, it has one more order (TotalOrders, OrderIDs) and one more
// pending order, and a new version. The DynamoDB store writes the same change as one update
// expression; Record is what it means.
func Record(c customer.Customer, in Input, orderID string, now time.Time) customer.Customer {
	billing := in.BillingAddress
	c.LastBillingAddress = &billing
	if in.ShippingAddress != nil {
		shipping := *in.ShippingAddress
		c.LastShippingAddress = &shipping
	}
	c.TotalOrders++
	c.OrderIDs = append(slices.Clip(c.OrderIDs), orderID)
	c.PendingOrders++
	c.Version++
	c.UpdatedAt = customer.Timestamp(now)
	return c
}
