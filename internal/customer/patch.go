package customer

// Optional is a patch field that may be absent (Set false), removed (Set true, Value nil: JSON
// null) or replaced (Set true, Value non-nil).
type Optional[T any] struct {
	Set   bool
	Value *T
}

// Patch is a validated partial update of a customer: only the fields the request named.
// A nil pointer means "absent, leave unchanged". Strings are already trimmed and validated.
//
// CustomFields is merged key by key (RFC 7396): a key mapped to nil is removed, any other value
// (string, json.Number or bool) is set; keys not named are kept. A nil map changes nothing.
type Patch struct {
	Email           *string
	FirstName       *string
	LastName        *string
	Company         Optional[string]
	Phone           Optional[string]
	CustomerType    *Type
	Status          *Status
	BillingAddress  Optional[Address]
	ShippingAddress Optional[Address]
	CustomFields    map[string]any
}
