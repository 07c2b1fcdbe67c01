package order

import "github.com/flexportal-compat/customers-api/internal/customer"

// Sort is the order of an order list (docs/api.md: sortBy).
type Sort string

// Order list orders. ByOrderID is the same order as ByCreatedAt: order ids are time-ordered.
const (
	ByCreatedAt Sort = "createdAt" // the default; "" means it too
	ByUpdatedAt Sort = "updatedAt"
	ByOrderID   Sort = "orderId"
	ByStatus    Sort = "status"
)

// Sorts are the order list orders, the default first.
var Sorts = []Sort{ByCreatedAt, ByUpdatedAt, ByOrderID, ByStatus}

// Effective is the order a list in order s of orders filtered to status (or "") really has:
// ByOrderID is ByCreatedAt, and so is ByStatus among orders of one status, where every order has
// the same status and ties go by creation.
func (s Sort) Effective(status Status) Sort {
	switch {
	case s == "", s == ByOrderID, s == ByStatus && status != "":
		return ByCreatedAt
	}
	return s
}

// Position is where o stands in a list in order s, as a string whose byte order is the list's
// ascending order (customer.Position's rules): the id for ByCreatedAt and ByOrderID, otherwise
// the sort value (updatedAt, a fixed-width timestamp; the status), customer.SortSep and the id.
func (o Order) Position(s Sort) string {
	switch s {
	case ByUpdatedAt:
		return o.UpdatedAt + customer.SortSep + o.OrderID
	case ByStatus:
		return string(o.Status) + customer.SortSep + o.OrderID
	}
	return o.OrderID
}

// Matches reports whether o passes q's filters (customer and status).
func (q ListQuery) Matches(o Order) bool {
	return (q.CustomerID == "" || o.Customer.CustomerID == q.CustomerID) && (q.Status == "" || o.Status == q.Status)
}
