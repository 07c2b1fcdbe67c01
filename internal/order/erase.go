package order

import "github.com/flexportal-compat/customers-api/internal/customer"

// Erase returns o without the personal data of its customer (docs/api.md, "Erasure"): the
// snapshot's names and email become customer.ErasedText and customer.ErasedEmail, its company and
// phone are removed, both addresses are customer.EraseAddress'd, and the free texts that may name
// the customer go: customFields, notes, the cancellation reason and the reasons of extension and
// upgrade details. Ids, status, items, rentals and timestamps stay, so reports still add up.
func Erase(o Order) Order {
	id := o.Customer.CustomerID
	o.Customer = Snapshot{
		CustomerID:   id,
		Email:        customer.ErasedEmail(id),
		FirstName:    customer.ErasedText,
		LastName:     customer.ErasedText,
		CustomerType: o.Customer.CustomerType,
	}
	o.BillingAddress = customer.EraseAddress(o.BillingAddress)
	if o.ShippingAddress != nil {
		shipping := customer.EraseAddress(*o.ShippingAddress)
		o.ShippingAddress = &shipping
	}
	o.CustomFields = map[string]any{}
	o.Notes = ""
	o.CancellationReason = ""
	if o.ExtensionDetails != nil {
		d := *o.ExtensionDetails
		d.Reason = ""
		o.ExtensionDetails = &d
	}
	if o.UpgradeDetails != nil {
		d := *o.UpgradeDetails
		d.UpgradeReason = ""
		o.UpgradeDetails = &d
	}
	return o
}

// Erased reports whether o's snapshot is already erased (Erase leaves its mark in the email).
func Erased(o Order) bool { return o.Customer.Email == customer.ErasedEmail(o.Customer.CustomerID) }

// Fingerprint is the fingerprint (Input.Fingerprint) of the request that made o: its customer's
// email as the order took it, and its items. An erasure uses it to find the natural-idempotency
// record that names o, which holds a hash of the email.
func (o Order) Fingerprint() string {
	in := Input{Customer: NewCustomer{Email: o.Customer.Email}, Items: make([]Item, len(o.Items))}
	for i, l := range o.Items {
		in.Items[i] = l.Item
	}
	return in.Fingerprint()
}
