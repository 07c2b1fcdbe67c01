package customer

import (
	"maps"
	"time"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

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

// Empty reports whether p changes nothing.
func (p Patch) Empty() bool {
	return p.Email == nil && p.FirstName == nil && p.LastName == nil && !p.Company.Set &&
		!p.Phone.Set && p.CustomerType == nil && p.Status == nil && !p.BillingAddress.Set &&
		!p.ShippingAddress.Set && len(p.CustomFields) == 0
}

// Apply returns c with p applied, version+1 and updatedAt set to now. It fails with a
// *fault.ValidationError when the merged customFields would hold more than MaxCustomFields keys.
// Stores that cannot apply a patch in the database (the embedded store) use it; the DynamoDB store
// expresses the same rules as one UpdateItem.
func (p Patch) Apply(c Customer, now time.Time) (Customer, error) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Email, p.Email)
	set(&c.FirstName, p.FirstName)
	set(&c.LastName, p.LastName)
	if p.Company.Set {
		c.Company = deref(p.Company.Value)
	}
	if p.Phone.Set {
		c.Phone = deref(p.Phone.Value)
	}
	if p.CustomerType != nil {
		c.CustomerType = *p.CustomerType
	}
	if p.Status != nil {
		c.Status = *p.Status
	}
	if p.BillingAddress.Set {
		c.LastBillingAddress = clone(p.BillingAddress.Value)
	}
	if p.ShippingAddress.Set {
		c.LastShippingAddress = clone(p.ShippingAddress.Value)
	}
	if len(p.CustomFields) > 0 {
		merged := maps.Clone(c.CustomFields)
		if merged == nil {
			merged = map[string]any{}
		}
		for k, v := range p.CustomFields {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		if len(merged) > MaxCustomFields {
			return Customer{}, TooManyCustomFields()
		}
		c.CustomFields = merged
	}
	c.Version++
	c.UpdatedAt = Timestamp(now)
	return c, nil
}

// TooManyCustomFields is the validation error of a patch whose merged customFields would exceed
// MaxCustomFields keys.
func TooManyCustomFields() error {
	var v fault.ValidationError
	v.Addf("customFields", fault.TooBig, "Object must contain at most %d key(s)", MaxCustomFields)
	return &v
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
