// Package order is the slice of Orders that the customer lifecycle needs: the order, the snapshot
// of its customer taken when it was made, and parsing of POST /v1/orders bodies. No AWS imports.
package order

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Status is where an order is in its life.
type Status string

// Order statuses. Orders are created pending; a pending or confirmed order can be cancelled.
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

// DefaultContractLength is the contract of a line that names none, in months (docs/api.md).
const DefaultContractLength = 12

// Item is one line of an order body: what is ordered, how many, for how many months.
type Item struct {
	SKU            string `json:"sku" dynamodbav:"sku"`
	Quantity       int    `json:"quantity" dynamodbav:"quantity"`
	ContractLength int    `json:"contractLength" dynamodbav:"contractLength"`
}

// contract is the line's contract length, DefaultContractLength when it names none.
func (it Item) contract() int {
	if it.ContractLength == 0 {
		return DefaultContractLength
	}
	return it.ContractLength
}

// LineStatus is how far a line of an order is under subscription.
type LineStatus string

// Line statuses (docs/api.md, Rental state): no subscription yet, some, as many as its quantity.
const (
	LinePending   LineStatus = "pending"
	LinePartial   LineStatus = "partial"
	LineCompleted LineStatus = "completed"
)

// Line is one line of an order: the Item ordered and the subscriptions made for it. It is a type
// of its own, rather than more fields of Item, so that an Input (and so its Hash, which stored
// idempotency records compare) holds only what the body said.
type Line struct {
	Item
	RentalIDs    []string   `json:"rentalIds" dynamodbav:"rentalIds"`
	RentalStatus LineStatus `json:"rentalStatus" dynamodbav:"rentalStatus"`
}

// RentalProgress counts an order's devices: ordered (the sum of its lines' quantities) and under
// subscription.
type RentalProgress struct {
	TotalDevices  int `json:"totalDevices" dynamodbav:"totalDevices"`
	RentedDevices int `json:"rentedDevices" dynamodbav:"rentedDevices"`
}

// ExtensionDetails is what an extension order extends (orderType extension).
type ExtensionDetails struct {
	OriginalOrderID string `json:"originalOrderId" dynamodbav:"originalOrderId"`
	ExtensionMonths int    `json:"extensionMonths" dynamodbav:"extensionMonths"`
	PreviousEndDate string `json:"previousEndDate" dynamodbav:"previousEndDate"`
	NewEndDate      string `json:"newEndDate" dynamodbav:"newEndDate"`
	Reason          string `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
}

// UpgradeDetails is what an upgrade order replaces (orderType upgrade). The amount is kept exact,
// as sent.
type UpgradeDetails struct {
	PreviousDevice        string      `json:"previousDevice" dynamodbav:"previousDevice"`
	PreviousSerialNumber  string      `json:"previousSerialNumber" dynamodbav:"previousSerialNumber"`
	PreviousMonthlyAmount json.Number `json:"previousMonthlyAmount" dynamodbav:"previousMonthlyAmount"`
	PreviousRentalID      string      `json:"previousRentalId" dynamodbav:"previousRentalId"`
	UpgradeReason         string      `json:"upgradeReason,omitempty" dynamodbav:"upgradeReason,omitempty"`
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

// Order is an order of one tenant. ShippingAddress is set on every order made now (the billing
// address when the body gave none); orders stored before that may lack it, and the fields after
// it, which Normalized fills in.
type Order struct {
	OrderID            string            `json:"orderId" dynamodbav:"orderId"`
	TenantID           string            `json:"tenantId" dynamodbav:"tenantId"`
	Status             Status            `json:"status" dynamodbav:"status"`
	OrderType          Type              `json:"orderType" dynamodbav:"orderType"`
	Customer           Snapshot          `json:"customer" dynamodbav:"customer"`
	BillingAddress     customer.Address  `json:"billingAddress" dynamodbav:"billingAddress"`
	ShippingAddress    *customer.Address `json:"shippingAddress,omitempty" dynamodbav:"shippingAddress,omitempty"`
	Items              []Line            `json:"items" dynamodbav:"items"`
	RentalProgress     RentalProgress    `json:"rentalProgress" dynamodbav:"rentalProgress"`
	RentalIDs          []string          `json:"rentalIds" dynamodbav:"rentalIds"`
	CustomFields       map[string]any    `json:"customFields" dynamodbav:"customFields"`
	Notes              string            `json:"notes,omitempty" dynamodbav:"notes,omitempty"`
	ExtensionDetails   *ExtensionDetails `json:"extensionDetails,omitempty" dynamodbav:"extensionDetails,omitempty"`
	UpgradeDetails     *UpgradeDetails   `json:"upgradeDetails,omitempty" dynamodbav:"upgradeDetails,omitempty"`
	CancellationReason string            `json:"cancellationReason,omitempty" dynamodbav:"cancellationReason,omitempty"`
	CreatedAt          string            `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt          string            `json:"updatedAt" dynamodbav:"updatedAt"`
	CreatedBy          string            `json:"createdBy" dynamodbav:"createdBy,omitempty"`
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
// (OrderType standard, Customer.CustomerType individual, CustomFields non-nil, each item's
// ContractLength DefaultContractLength). ShippingAddress stays nil when the body has none: the
// order ships to the billing address then (Shipping).
//
// CreatedBy is not from the body: the HTTP layer sets it to customer.CreatedByKey of the API key
// that sent the request, and it is left out of Hash, so a retry with another key of the tenant is
// still the same request.
type Input struct {
	Customer         NewCustomer       `json:"customer"`
	BillingAddress   customer.Address  `json:"billingAddress"`
	ShippingAddress  *customer.Address `json:"shippingAddress,omitempty"`
	Items            []Item            `json:"items"`
	OrderType        Type              `json:"orderType"`
	CustomFields     map[string]any    `json:"customFields"`
	Notes            string            `json:"notes,omitempty"`
	ExtensionDetails *ExtensionDetails `json:"extensionDetails,omitempty"`
	UpgradeDetails   *UpgradeDetails   `json:"upgradeDetails,omitempty"`
	CreatedBy        string            `json:"-"`
}

// Shipping is the address the order ships to: the body's shippingAddress, or, when it gave none,
// the billing address (FlexPortal: "If shippingAddress is not provided, the billingAddress will
// be used for shipping").
func (in Input) Shipping() customer.Address {
	if in.ShippingAddress != nil {
		return *in.ShippingAddress
	}
	return in.BillingAddress
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
	ErrNotCancellable    = fault.E(fault.NotCancellable, "Only a pending or confirmed order can be cancelled")
	ErrAlreadyCancelled  = fault.E(fault.AlreadyCancelled, "The order is already cancelled")
	ErrIdempotencyInUse  = fault.E(fault.IdempotencyInUse, "A request with this Idempotency-Key is still being processed")
	ErrIdempotencyReused = fault.E(fault.IdempotencyReused, "This Idempotency-Key was used with a different request body")
)

// NewCustomerRecord returns the customer that order orderID, for a yet unknown email, creates:
// active, with the order's addresses as its last ones (the shipping one as Shipping says), an
// empty customFields map, version 1, created by the order's creator, and the order recorded (its
// one order, pending).
func (in Input) NewCustomerRecord(tenant, id, orderID string, now time.Time) customer.Customer {
	ts := customer.Timestamp(now)
	billing, shipping := in.BillingAddress, in.Shipping()
	c := customer.Customer{
		CustomerID:          id,
		TenantID:            tenant,
		Email:               in.Customer.Email,
		FirstName:           in.Customer.FirstName,
		LastName:            in.Customer.LastName,
		Company:             in.Customer.Company,
		Phone:               in.Customer.Phone,
		CustomerType:        in.Customer.CustomerType,
		Status:              customer.Active,
		LastBillingAddress:  &billing,
		LastShippingAddress: &shipping,
		CustomFields:        map[string]any{},
		TotalOrders:         1,
		OrderIDs:            []string{orderID},
		RentalIDs:           []string{},
		CreatedAt:           ts,
		UpdatedAt:           ts,
		CreatedBy:           in.CreatedBy,
		Version:             1,
		PendingOrders:       1,
	}
	if c.CustomerType == "" {
		c.CustomerType = customer.Individual
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

// New returns a pending order with id for the customer snap, made from in at now: shipped to
// in.Shipping(), each line without subscriptions (rentalStatus pending), created by in.CreatedBy.
func New(tenant, id string, in Input, snap Snapshot, now time.Time) Order {
	ts := customer.Timestamp(now)
	shipping := in.Shipping()
	lines := make([]Line, len(in.Items))
	for i, it := range in.Items {
		it.ContractLength = it.contract()
		lines[i] = Line{Item: it, RentalIDs: []string{}, RentalStatus: LinePending}
	}
	o := Order{
		OrderID:          id,
		TenantID:         tenant,
		Status:           Pending,
		OrderType:        in.OrderType,
		Customer:         snap,
		BillingAddress:   in.BillingAddress,
		ShippingAddress:  &shipping,
		Items:            lines,
		RentalIDs:        []string{},
		CustomFields:     in.CustomFields,
		Notes:            in.Notes,
		ExtensionDetails: in.ExtensionDetails,
		UpgradeDetails:   in.UpgradeDetails,
		CreatedAt:        ts,
		UpdatedAt:        ts,
		CreatedBy:        in.CreatedBy,
	}
	if o.OrderType == "" {
		o.OrderType = Standard
	}
	if o.CustomFields == nil {
		o.CustomFields = map[string]any{}
	}
	o.RentalProgress = progress(o.Items)
	return o
}

// progress is the rental progress of lines: every device ordered, and those under subscription
// (a line's subscriptions, at most its quantity).
func progress(lines []Line) RentalProgress {
	var p RentalProgress
	for _, l := range lines {
		p.TotalDevices += l.Quantity
		p.RentedDevices += min(len(l.RentalIDs), l.Quantity)
	}
	return p
}

// Normalized returns o as the API shows it: its collections never nil (shown as {} and [] rather
// than null), and what orders stored before these fields existed lack filled in — the billing
// address as the shipping one (what such an order shipped to), each line's rentalIds and
// rentalStatus (pending when it has no subscription), the rentalProgress its lines add up to,
// and createdBy customer.UnknownCreator. It never changes the caller's lines.
func (o Order) Normalized() Order {
	lines := make([]Line, len(o.Items))
	for i, l := range o.Items {
		if l.RentalIDs == nil {
			l.RentalIDs = []string{}
		}
		if l.RentalStatus == "" {
			l.RentalStatus = LinePending
		}
		lines[i] = l
	}
	o.Items = lines
	if o.CustomFields == nil {
		o.CustomFields = map[string]any{}
	}
	if o.ShippingAddress == nil {
		shipping := o.BillingAddress
		o.ShippingAddress = &shipping
	}
	if o.RentalIDs == nil {
		o.RentalIDs = []string{}
	}
	o.RentalProgress = progress(o.Items)
	if o.CreatedBy == "" {
		o.CreatedBy = customer.UnknownCreator
	}
	return o
}

// CheckCustomer decides whether c, the customer an order's email names, may place it: an
// erased customer (or one being erased) may not (customer.ErrErased), an inactive one may not
// (customer.ErrInactive).
func CheckCustomer(c customer.Customer) error {
	if c.Erased() {
		return customer.ErrErased
	}
	if c.Status == customer.Inactive {
		return customer.ErrInactive
	}
	return nil
}

// MaxOrderIDs is how many order ids a customer keeps in OrderIDs: its most recent orders, oldest
// first, so that a customer with 10,000 orders costs what one with 10 does (docs/api.md, Customer
// fields). All of them are the order list's: GET /v1/orders?customerId=.
const MaxOrderIDs = 100

// RecentOrderIDs is ids with id appended, the oldest dropped past MaxOrderIDs: a new slice, never
// ids' array.
func RecentOrderIDs(ids []string, id string) []string {
	keep := ids[max(0, len(ids)-(MaxOrderIDs-1)):]
	return append(slices.Clone(keep), id)
}

// Record returns c with the order orderID, made from in at now, recorded on it: the order's
// addresses become its last ones (the shipping one as Shipping says: the billing address when the
// body gave none, since that is where the order ships), it has one more order (TotalOrders, and
// OrderIDs as RecentOrderIDs bounds it) and one more pending order, and a new version. Its
// createdBy stays: it names who made the customer. The DynamoDB store writes what Record returns
// in one update expression, conditioned on the TotalOrders it read (so no two orders write
// OrderIDs from the same read); Record is what it means.
func Record(c customer.Customer, in Input, orderID string, now time.Time) customer.Customer {
	billing, shipping := in.BillingAddress, in.Shipping()
	c.LastBillingAddress = &billing
	c.LastShippingAddress = &shipping
	c.TotalOrders++
	c.OrderIDs = RecentOrderIDs(c.OrderIDs, orderID)
	c.PendingOrders++
	c.Version++
	c.UpdatedAt = customer.Timestamp(now)
	return c
}

// SetNotes returns o with its notes replaced by notes ("" removes them) at now: PATCH
// /v1/orders/{id}/notes, allowed in every status (notes are the tenant's own comments). The
// DynamoDB store writes the same change as an update expression; SetNotes is what it means.
func SetNotes(o Order, notes string, now time.Time) Order {
	o.Notes = notes
	o.UpdatedAt = customer.Timestamp(now)
	return o
}
