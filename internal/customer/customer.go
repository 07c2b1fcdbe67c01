// Package customer is the Customer domain: the record, its addresses, the partial update (Patch)
// with every rule of PUT /v1/customers/{id}, and the errors a customer operation can end in.
// It imports nothing from AWS.
package customer

import (
	"strconv"
	"time"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Type is the kind of customer.
type Type string

// Customer types.
const (
	Individual Type = "individual"
	Business   Type = "business"
)

// Status tells whether a customer is active. DELETE makes a customer inactive.
type Status string

// Customer statuses.
const (
	Active   Status = "active"
	Inactive Status = "inactive"
)

// MaxCustomFields is the most keys a customer's customFields may hold.
const MaxCustomFields = 50

// Address is a postal address. It is always replaced whole, never merged.
type Address struct {
	ContactName   string `json:"contactName" dynamodbav:"contactName"`
	Company       string `json:"company,omitempty" dynamodbav:"company,omitempty"`
	StreetAddress string `json:"streetAddress" dynamodbav:"streetAddress"`
	BuildingInfo  string `json:"buildingInfo,omitempty" dynamodbav:"buildingInfo,omitempty"`
	Locality      string `json:"locality,omitempty" dynamodbav:"locality,omitempty"`
	City          string `json:"city" dynamodbav:"city"`
	AdminArea     string `json:"adminArea,omitempty" dynamodbav:"adminArea,omitempty"`
	PostalCode    string `json:"postalCode,omitempty" dynamodbav:"postalCode,omitempty"`
	Country       string `json:"country" dynamodbav:"country"`
}

// Customer is a customer record of one tenant, as the API shows it and the stores keep it.
//
// CustomFields values are string, json.Number or bool. PendingOrders counts the customer's orders
// in status pending; it is internal (never in JSON) and lets a store refuse a deactivation in the
// same conditional write that would make it.
type Customer struct {
	CustomerID          string         `json:"customerId" dynamodbav:"customerId"`
	TenantID            string         `json:"tenantId" dynamodbav:"tenantId"`
	Email               string         `json:"email" dynamodbav:"email"`
	FirstName           string         `json:"firstName" dynamodbav:"firstName"`
	LastName            string         `json:"lastName" dynamodbav:"lastName"`
	Company             string         `json:"company,omitempty" dynamodbav:"company,omitempty"`
	Phone               string         `json:"phone,omitempty" dynamodbav:"phone,omitempty"`
	CustomerType        Type           `json:"customerType" dynamodbav:"customerType"`
	Status              Status         `json:"status" dynamodbav:"status"`
	LastBillingAddress  *Address       `json:"lastBillingAddress,omitempty" dynamodbav:"lastBillingAddress,omitempty"`
	LastShippingAddress *Address       `json:"lastShippingAddress,omitempty" dynamodbav:"lastShippingAddress,omitempty"`
	CustomFields        map[string]any `json:"customFields" dynamodbav:"customFields"`
	TotalOrders         int64          `json:"totalOrders" dynamodbav:"totalOrders"`
	TotalDevicesRented  int64          `json:"totalDevicesRented" dynamodbav:"totalDevicesRented"`
	TotalMonthlyRevenue float64        `json:"totalMonthlyRevenue" dynamodbav:"totalMonthlyRevenue"`
	OrderIDs            []string       `json:"orderIds" dynamodbav:"orderIds"`
	RentalIDs           []string       `json:"rentalIds" dynamodbav:"rentalIds"`
	CreatedAt           string         `json:"createdAt" dynamodbav:"createdAt"`
	UpdatedAt           string         `json:"updatedAt" dynamodbav:"updatedAt"`
	CreatedBy           string         `json:"createdBy" dynamodbav:"createdBy,omitempty"`
	Version             int64          `json:"version" dynamodbav:"version"`
	ErasedAt            string         `json:"erasedAt,omitempty" dynamodbav:"erasedAt,omitempty"`
	PendingOrders       int64          `json:"-" dynamodbav:"pendingOrders"`
	// Erasing is set by the first step of an erasure (EraseCustomer) and stays set: from then on
	// every write to the customer is refused with ErrErased. Internal, like PendingOrders.
	Erasing bool `json:"-" dynamodbav:"erasing,omitempty"`
}

// CreatedByKey is the createdBy of a customer or an order made with the API key whose id is keyID:
// "apikey:" and the id (never the key itself, which is secret).
func CreatedByKey(keyID string) string { return "apikey:" + keyID }

// UnknownCreator is the createdBy shown for a customer or an order stored before createdBy was
// recorded: FlexPortal's schema requires the field, and who made such a record is not known.
const UnknownCreator = "apikey:unknown"

// Timestamp formats t as the API does: RFC 3339, UTC, millisecond precision.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// ETag is the entity tag of a customer at version v, quotes included.
func ETag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// Errors a customer operation ends in. Stores wrap them with context; match with errors.Is.
var (
	ErrNotFound      = fault.E(fault.NotFound, "Customer not found")
	ErrEmailExists   = fault.E(fault.EmailExists, "A customer with this email already exists")
	ErrPrecondition  = fault.E(fault.Precondition, "The customer has changed since the given ETag")
	ErrPendingOrders = fault.E(fault.PendingOrders, "The customer has pending orders")
	ErrInactive      = fault.E(fault.CustomerInactive, "The customer is inactive")
	// ErrActiveSubscriptions refuses a deactivation while the customer rents a device.
	ErrActiveSubscriptions = fault.E(fault.ActiveSubscriptions, "The customer has active subscriptions")
	ErrErased              = fault.E(fault.CustomerErased, "The customer is erased")
)

// Page sizes of every list of the API, customers and orders alike: a query without a limit gets
// DefaultLimit items a page, and no page holds more than MaxLimit.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// ListQuery selects a page of a tenant's customers. After is the store's token of where the
// previous page ended (its Page.Next; "" for the first page), which the HTTP layer seals in a
// cursor bound to every other field but Limit.
type ListQuery struct {
	Limit            int // 0 means DefaultLimit
	After            string
	Status           Status // "" means all statuses
	Type             Type   // "" means any type
	Email            string // "" means any; otherwise exact, by EmailKey
	HasActiveRentals *bool  // nil means either; otherwise TotalDevicesRented > 0 or not
	SortBy           Sort   // "" means ByCreatedAt
	Desc             bool   // descending (the API's default)
}

// Page is one page of customers. Next is the After of the following page, "" when there is none.
type Page struct {
	Customers []Customer
	Next      string
}

// Normalized returns c with its collections never nil, so that it is shown and stored as {} and
// [] rather than null (and SET customFields.#k or list_append always find something to work on),
// and with createdBy UnknownCreator when it was stored without one.
func (c Customer) Normalized() Customer {
	if c.CreatedBy == "" {
		c.CreatedBy = UnknownCreator
	}
	if c.CustomFields == nil {
		c.CustomFields = map[string]any{}
	}
	if c.OrderIDs == nil {
		c.OrderIDs = []string{}
	}
	if c.RentalIDs == nil {
		c.RentalIDs = []string{}
	}
	return c
}
