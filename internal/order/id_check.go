package order

import (
	"strings"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// ValidID reports whether id has the form of an order id: "ord_" and a ULID. An id of another
// form names no order, so callers can answer "not found" without asking the store.
func ValidID(id string) bool {
	rest, ok := strings.CutPrefix(id, "ord_")
	return ok && customer.ValidULID(rest)
}
