package order

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Limits of an order body.
const (
	MaxItems          = 100
	MaxSKULen         = 64
	MaxQuantity       = 1000
	MaxContractLength = 120 // months
	MaxNotesLen       = 1000
	MaxReasonLen      = 1000
)

// ParseInput parses and validates the body of POST /v1/orders.
//
// A body that is not one JSON object (see customer.DecodeBody) fails with a *fault.Error of kind
// BadRequest. Every field rule of docs/api.md is checked and every failing field reported in one
// *fault.ValidationError, in path order (object keys in byte order, array elements by index; a
// missing required key sorts where it would stand).
//
// customer, billingAddress and items are required. For the optional fields (shippingAddress,
// orderType, customFields, notes, and customer.company, customer.phone, customer.customerType)
// null is the same as leaving the field out. Defaults are filled in: orderType standard,
// customer.customerType individual, customFields {}. Notes are free text (customer.ParseText: tabs
// and line breaks allowed, no other control characters); notes that are empty after trimming are
// invalid, as every string field is (docs/api.md: "an empty result is invalid"); null notes are absent.
// Inside customFields null is invalid: there is nothing to remove in a create.
func ParseInput(body []byte) (Input, error) {
	obj, err := customer.DecodeBody(body)
	if err != nil {
		return Input{}, err
	}
	var (
		in Input
		v  fault.ValidationError
	)
	for _, key := range keysWith(obj, "customer", "billingAddress", "items") {
		raw, present := obj[key]
		at := customer.Join("", key)
		switch {
		case !present:
			v.Required(at)
			continue
		case raw == nil && (key == "shippingAddress" || key == "orderType" || key == "customFields" || key == "notes"):
			continue // optional: null is absent
		}
		switch key {
		case "customer":
			in.Customer = parseCustomer(&v, at, raw)
		case "billingAddress":
			in.BillingAddress, _ = customer.ParseAddress(&v, at, raw, customer.Lenient)
		case "shippingAddress":
			if a, ok := customer.ParseAddress(&v, at, raw, customer.Lenient); ok {
				in.ShippingAddress = &a
			}
		case "items":
			in.Items = parseItems(&v, at, raw)
		case "orderType":
			in.OrderType = parseType(&v, at, raw)
		case "customFields":
			in.CustomFields, _ = customer.ParseCustomFields(&v, at, raw, false)
		case "notes":
			in.Notes, _ = customer.ParseText(&v, at, raw, 1, MaxNotesLen)
		default:
			v.UnknownKey(at, key)
		}
	}
	if err := v.Err(); err != nil {
		return Input{}, err
	}
	if in.OrderType == "" {
		in.OrderType = Standard
	}
	if in.Customer.CustomerType == "" {
		in.Customer.CustomerType = customer.Individual
	}
	if in.CustomFields == nil {
		in.CustomFields = map[string]any{}
	}
	return in, nil
}

// keysWith returns the keys of obj and the required keys missing from it, in byte order.
func keysWith(obj map[string]any, required ...string) []string {
	keys := make([]string, 0, len(obj)+len(required))
	for k := range obj {
		keys = append(keys, k)
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// object returns raw as a JSON object, or records why it is not one.
func object(v *fault.ValidationError, path string, raw any) (map[string]any, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		v.WrongType(path, "object", customer.TypeOf(raw))
	}
	return obj, ok
}

func parseCustomer(v *fault.ValidationError, path string, raw any) NewCustomer {
	obj, ok := object(v, path, raw)
	if !ok {
		return NewCustomer{}
	}
	var c NewCustomer
	for _, key := range keysWith(obj, "email", "firstName", "lastName") {
		raw, present := obj[key]
		at := customer.Join(path, key)
		switch {
		case !present:
			v.Required(at)
			continue
		case raw == nil && (key == "company" || key == "phone" || key == "customerType"):
			continue
		}
		switch key {
		case "email":
			c.Email, _ = customer.ParseEmail(v, at, raw)
		case "firstName":
			c.FirstName, _ = customer.ParseName(v, at, raw)
		case "lastName":
			c.LastName, _ = customer.ParseName(v, at, raw)
		case "company":
			c.Company, _ = customer.ParseCompany(v, at, raw)
		case "phone":
			c.Phone, _ = customer.ParsePhone(v, at, raw)
		case "customerType":
			c.CustomerType, _ = customer.ParseType(v, at, raw)
		default:
			v.UnknownKey(at, key)
		}
	}
	return c
}

func parseType(v *fault.ValidationError, path string, raw any) Type {
	s, _ := customer.ParseEnum(v, path, raw, string(Standard), string(Extension), string(Upgrade))
	return Type(s)
}

func parseItems(v *fault.ValidationError, path string, raw any) []Item {
	arr, ok := raw.([]any)
	switch {
	case !ok:
		v.WrongType(path, "array", customer.TypeOf(raw))
		return nil
	case len(arr) == 0:
		v.Add(path, fault.TooSmall, "Array must contain at least 1 element(s)")
		return nil
	case len(arr) > MaxItems:
		// The elements are not checked: the details of an oversized list would be unbounded.
		v.Addf(path, fault.TooBig, "Array must contain at most %d element(s)", MaxItems)
		return nil
	}
	items := make([]Item, 0, len(arr))
	for i, raw := range arr {
		at := customer.Index(path, i)
		obj, ok := object(v, at, raw)
		if !ok {
			continue
		}
		var it Item
		for _, key := range keysWith(obj, "sku", "quantity", "contractLength") {
			raw, present := obj[key]
			kat := customer.Join(at, key)
			switch {
			case !present:
				v.Required(kat)
			case key == "sku":
				it.SKU, _ = customer.ParseString(v, kat, raw, 1, MaxSKULen)
			case key == "quantity":
				it.Quantity = parseInt(v, kat, raw, 1, MaxQuantity)
			case key == "contractLength":
				it.ContractLength = parseInt(v, kat, raw, 1, MaxContractLength)
			default:
				v.UnknownKey(kat, key)
			}
		}
		items = append(items, it)
	}
	return items
}

// parseInt validates an integer from lo to hi. Only integer literals count: 2.0 and 2e0 are not
// integers here, as no client that means 2 writes them ("Expected integer, received float").
func parseInt(v *fault.ValidationError, path string, raw any, lo, hi int) int {
	num, ok := raw.(json.Number)
	if !ok {
		v.WrongType(path, "number", customer.TypeOf(raw))
		return 0
	}
	n, err := strconv.Atoi(string(num))
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		v.WrongType(path, "integer", "float")
	case err != nil && strings.HasPrefix(string(num), "-"), err == nil && n < lo:
		v.Addf(path, fault.TooSmall, "Number must be greater than or equal to %d", lo)
	case err != nil, n > hi:
		v.Addf(path, fault.TooBig, "Number must be less than or equal to %d", hi)
	default:
		return n
	}
	return 0
}

// ParseCancel parses the optional body of POST /v1/orders/{id}/cancel: nothing at all (also only
// white space), or an object whose only, optional, key is reason, free text (customer.ParseText) of
// 1 to 1000 characters after trimming (null is no reason; a blank one is invalid, as for every
// string field). Errors are those of ParseInput.
func ParseCancel(body []byte) (reason string, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	obj, err := customer.DecodeBody(body)
	if err != nil {
		return "", err
	}
	var v fault.ValidationError
	for _, key := range keysWith(obj) {
		raw := obj[key]
		at := customer.Join("", key)
		switch {
		case key != "reason":
			v.UnknownKey(at, key)
		case raw != nil:
			reason, _ = customer.ParseText(&v, at, raw, 1, MaxReasonLen)
		}
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	return reason, nil
}

// Hash returns the hex SHA-256 of the canonical JSON encoding of in (struct fields in declaration
// order, map keys sorted, numbers as customer.ParseCustomFields keeps them: by value), so that
// bodies that differ only in white space, key order, number notation or defaulted fields hash
// equal. It is the RequestHash of an Idempotency.
func (in Input) Hash() string {
	b, err := json.Marshal(in)
	if err != nil {
		// A parsed Input always marshals; anything else still gets a deterministic hash.
		b = fmt.Appendf(nil, "%#v", in)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
