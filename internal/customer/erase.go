package customer

import "time"

// Erasure (docs/api.md, "Erasure"): every personal datum of a customer is removed from its record
// and its orders. Fields FlexPortal requires keep a placeholder, so that a client reading an erased
// customer or one of its orders still finds every field its schema requires.

// ErasedText is the placeholder of every required name and address string of an erased customer.
const ErasedText = "erased"

// ErasedEmail is the placeholder email of the erased customer id: unique per customer, and in the
// .invalid top-level domain (RFC 2606), so nothing is ever sent to it.
func ErasedEmail(id string) string { return "erased+" + id + "@erased.invalid" }

// Erased reports whether c is erased, or its erasure has begun: every write to it is refused
// with ErrErased.
func (c Customer) Erased() bool { return c.Erasing || c.ErasedAt != "" }

// EraseAddress returns a without personal data: the required strings become ErasedText, the
// country stays (reports count by it, and it identifies nobody), the optional strings are removed.
func EraseAddress(a Address) Address {
	return Address{ContactName: ErasedText, StreetAddress: ErasedText, City: ErasedText, Country: a.Country}
}

// eraseAddress is EraseAddress of a, nil staying nil.
func eraseAddress(a *Address) *Address {
	if a == nil {
		return nil
	}
	e := EraseAddress(*a)
	return &e
}

// CheckErase decides whether cur may be erased. An erasure that has begun (cur.Erasing) goes on:
// its refusals were decided when it began, and nothing that would change them can be written
// since. Otherwise it is refused as DELETE is: ErrActiveSubscriptions while the customer has an active
// subscription, then ErrPendingOrders while it has a pending order.
func CheckErase(cur Customer) error {
	switch {
	case cur.Erasing:
		return nil
	case cur.TotalDevicesRented > 0:
		return ErrActiveSubscriptions
	case cur.PendingOrders > 0:
		return ErrPendingOrders
	}
	return nil
}

// Erase returns c as its erasure leaves it at now: placeholders for the names, the email and the
// required address strings, no company, phone or custom fields, inactive, erasedAt now, a new
// version. Ids, counts, createdAt and createdBy stay.
func Erase(c Customer, now time.Time) Customer {
	c.Email = ErasedEmail(c.CustomerID)
	c.FirstName, c.LastName = ErasedText, ErasedText
	c.Company, c.Phone = "", ""
	c.LastBillingAddress = eraseAddress(c.LastBillingAddress)
	c.LastShippingAddress = eraseAddress(c.LastShippingAddress)
	c.CustomFields = map[string]any{}
	c.Status = Inactive
	c.Erasing = true
	c.ErasedAt = Timestamp(now)
	c.UpdatedAt = c.ErasedAt
	c.Version++
	return c
}
