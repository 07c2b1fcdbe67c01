package order

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	MaxContractLength = 120 // months; also the most months an extension may add
	MaxNotesLen       = 5000
	MaxReasonLen      = 1000 // a cancel reason, and the reason of an extension or an upgrade
	MaxDetailLen      = 200  // every other string of extensionDetails and upgradeDetails
)

// ParseInput parses and validates the body of POST /v1/orders.
//
// A body that is not one JSON object (see customer.DecodeBody) fails with a *fault.Error of kind
// BadRequest. Every field rule of docs/api.md is checked and every failing field reported in one
// *fault.ValidationError, in path order (object keys in byte order, array elements by index; a
// missing required key sorts where it would stand).
//
// customer, billingAddress and items are required; so is extensionDetails with orderType
// extension and upgradeDetails with orderType upgrade, and either is refused (custom) with another
// order type. For the optional fields null is the same as leaving the field out, and so is a
// string that is empty once trimmed (docs/api.md, Text): orderType, notes, customer.company,
// customer.phone, customer.customerType, the optional parts of an address, the reasons of the
// details. Defaults are filled in: orderType standard, customer.customerType individual,
// customFields {}, each item's contractLength DefaultContractLength. Notes are free text
// (customer.ParseText: tabs and line breaks allowed, no other control characters). Inside
// customFields null is invalid: there is nothing to remove in a create. Integers may be written
// in any notation of an integral value (2, 2.0, 2e0), as zod's int() takes them; a fractional
// value is invalid_type.
//
// Keys the body may not have are ignored, as FlexPortal's schemas allow, or under customer.Strict
// (Prefer: handling=strict) each an unrecognized_keys issue at its path.
func ParseInput(body []byte, h customer.Handling) (Input, error) {
	obj, err := customer.DecodeBody(body)
	if err != nil {
		return Input{}, err
	}
	p := parser{h: h}
	var in Input
	declared := declaredType(obj["orderType"])
	required := []string{"customer", "billingAddress", "items"}
	if d, ok := detailsOf[declared]; ok {
		required = append(required, d)
	}
	for _, key := range keysWith(obj, required...) {
		raw, present := obj[key]
		at := customer.Join("", key)
		switch {
		case !present:
			p.v.Required(at)
			continue
		case raw == nil && (key == "shippingAddress" || key == "customFields"):
			continue // optional: null is absent
		case raw == nil && (key == "extensionDetails" || key == "upgradeDetails") && detailsOf[declared] != key:
			continue // optional but for its own order type: null is absent
		case absent(raw) && (key == "orderType" || key == "notes"):
			continue // optional: null and "" are absent
		}
		switch key {
		case "customer":
			in.Customer = p.customer(at, raw)
		case "billingAddress":
			in.BillingAddress, _ = p.address(at, raw)
		case "shippingAddress":
			if a, ok := p.address(at, raw); ok {
				in.ShippingAddress = &a
			}
		case "items":
			in.Items = p.items(at, raw)
		case "orderType":
			in.OrderType = parseType(&p.v, at, raw)
		case "customFields":
			in.CustomFields, _ = customer.ParseCustomFields(&p.v, at, raw, false)
		case "notes":
			in.Notes, _ = customer.ParseText(&p.v, at, raw, 1, MaxNotesLen)
		case "extensionDetails", "upgradeDetails":
			if detailsOf[declared] != key {
				p.v.Addf(at, fault.Custom, "Allowed only with orderType %s", typeOf[key])
				continue
			}
			if key == "extensionDetails" {
				in.ExtensionDetails = p.extension(at, raw)
			} else {
				in.UpgradeDetails = p.upgrade(at, raw)
			}
		default:
			p.unknown(at, key)
		}
	}
	if err := p.v.Err(); err != nil {
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

// detailsOf names the details key an order type requires; typeOf is its inverse.
var (
	detailsOf = map[Type]string{Extension: "extensionDetails", Upgrade: "upgradeDetails"}
	typeOf    = map[string]Type{"extensionDetails": Extension, "upgradeDetails": Upgrade}
)

// declaredType is the order type raw names, as parseType would read it, or "" when it names
// none: which details the body must have is known before its keys are checked in order.
func declaredType(raw any) Type {
	s, _ := raw.(string)
	return Type(strings.TrimSpace(s))
}

// absent reports whether raw, the value of an optional string key, means the key is absent: null,
// or a string that is empty once trimmed (docs/api.md, Text).
func absent(raw any) bool { return raw == nil || blank(raw) }

// blank reports whether raw is a string that is empty once trimmed.
func blank(raw any) bool {
	s, ok := raw.(string)
	return ok && strings.TrimSpace(s) == ""
}

// parser collects the failures of one body and knows how it treats keys it does not know.
type parser struct {
	v fault.ValidationError
	h customer.Handling
}

// unknown records key, at path, as h says: ignored, or under Strict unrecognized.
func (p *parser) unknown(path, key string) { p.h.UnknownKey(&p.v, path, key) }

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

// address validates an address (customer.ParseAddress: null and "" optional parts are absent,
// other keys as h says).
func (p *parser) address(path string, raw any) (customer.Address, bool) {
	return customer.ParseAddress(&p.v, path, raw, p.h)
}

func (p *parser) customer(path string, raw any) NewCustomer {
	obj, ok := object(&p.v, path, raw)
	if !ok {
		return NewCustomer{}
	}
	var c NewCustomer
	for _, key := range keysWith(obj, "email", "firstName", "lastName") {
		raw, present := obj[key]
		at := customer.Join(path, key)
		switch {
		case !present:
			p.v.Required(at)
			continue
		case absent(raw) && (key == "company" || key == "phone" || key == "customerType"):
			continue
		}
		switch key {
		case "email":
			c.Email, _ = customer.ParseEmail(&p.v, at, raw)
		case "firstName":
			c.FirstName, _ = customer.ParseName(&p.v, at, raw)
		case "lastName":
			c.LastName, _ = customer.ParseName(&p.v, at, raw)
		case "company":
			c.Company, _ = customer.ParseCompany(&p.v, at, raw)
		case "phone":
			c.Phone, _ = customer.ParsePhone(&p.v, at, raw)
		case "customerType":
			c.CustomerType, _ = customer.ParseType(&p.v, at, raw)
		default:
			p.unknown(at, key)
		}
	}
	return c
}

func parseType(v *fault.ValidationError, path string, raw any) Type {
	s, _ := customer.ParseEnum(v, path, raw, string(Standard), string(Extension), string(Upgrade))
	return Type(s)
}

func (p *parser) items(path string, raw any) []Item {
	arr, ok := raw.([]any)
	switch {
	case !ok:
		p.v.WrongType(path, "array", customer.TypeOf(raw))
		return nil
	case len(arr) == 0:
		p.v.Add(path, fault.TooSmall, "Array must contain at least 1 element(s)")
		return nil
	case len(arr) > MaxItems:
		// The elements are not checked: the details of an oversized list would be unbounded.
		p.v.Addf(path, fault.TooBig, "Array must contain at most %d element(s)", MaxItems)
		return nil
	}
	items := make([]Item, 0, len(arr))
	for i, raw := range arr {
		at := customer.Index(path, i)
		obj, ok := object(&p.v, at, raw)
		if !ok {
			continue
		}
		it := Item{ContractLength: DefaultContractLength}
		for _, key := range keysWith(obj, "sku", "quantity") {
			raw, present := obj[key]
			kat := customer.Join(at, key)
			switch {
			case !present:
				p.v.Required(kat)
			case key == "sku":
				it.SKU, _ = customer.ParseString(&p.v, kat, raw, 1, MaxSKULen)
			case key == "quantity":
				it.Quantity = parseInt(&p.v, kat, raw, 1, MaxQuantity)
			case key == "contractLength" && raw == nil:
				// optional: null is absent, and the default stays
			case key == "contractLength":
				it.ContractLength = parseInt(&p.v, kat, raw, 1, MaxContractLength)
			default:
				p.unknown(kat, key)
			}
		}
		items = append(items, it)
	}
	return items
}

// extension validates extensionDetails: originalOrderId, previousEndDate and newEndDate (strings
// of 1 to MaxDetailLen characters; FlexPortal types the dates as plain strings) and
// extensionMonths (an integer from 1 to MaxContractLength) required, reason optional free text.
func (p *parser) extension(path string, raw any) *ExtensionDetails {
	obj, ok := object(&p.v, path, raw)
	if !ok {
		return nil
	}
	var d ExtensionDetails
	for _, key := range keysWith(obj, "originalOrderId", "extensionMonths", "previousEndDate", "newEndDate") {
		raw, present := obj[key]
		at := customer.Join(path, key)
		switch {
		case !present:
			p.v.Required(at)
		case key == "originalOrderId":
			d.OriginalOrderID, _ = customer.ParseString(&p.v, at, raw, 1, MaxDetailLen)
		case key == "extensionMonths":
			// FlexPortal's exclusiveMinimum 0, zod's positive(): its own message.
			d.ExtensionMonths = parseIntIn(&p.v, at, raw, 1, MaxContractLength, "Number must be greater than 0")
		case key == "previousEndDate":
			d.PreviousEndDate, _ = customer.ParseString(&p.v, at, raw, 1, MaxDetailLen)
		case key == "newEndDate":
			d.NewEndDate, _ = customer.ParseString(&p.v, at, raw, 1, MaxDetailLen)
		case key == "reason" && absent(raw):
		case key == "reason":
			d.Reason, _ = customer.ParseText(&p.v, at, raw, 1, MaxReasonLen)
		default:
			p.unknown(at, key)
		}
	}
	return &d
}

// upgrade validates upgradeDetails: previousDevice, previousSerialNumber and previousRentalId
// (strings of 1 to MaxDetailLen characters) and previousMonthlyAmount (a number of at least 0,
// kept exact) required, upgradeReason optional free text.
func (p *parser) upgrade(path string, raw any) *UpgradeDetails {
	obj, ok := object(&p.v, path, raw)
	if !ok {
		return nil
	}
	var d UpgradeDetails
	for _, key := range keysWith(obj, "previousDevice", "previousSerialNumber", "previousMonthlyAmount", "previousRentalId") {
		raw, present := obj[key]
		at := customer.Join(path, key)
		switch {
		case !present:
			p.v.Required(at)
		case key == "previousDevice":
			d.PreviousDevice, _ = customer.ParseString(&p.v, at, raw, 1, MaxDetailLen)
		case key == "previousSerialNumber":
			d.PreviousSerialNumber, _ = customer.ParseString(&p.v, at, raw, 1, MaxDetailLen)
		case key == "previousMonthlyAmount":
			d.PreviousMonthlyAmount, _ = customer.ParseNumber(&p.v, at, raw, 0)
		case key == "previousRentalId":
			d.PreviousRentalID, _ = customer.ParseString(&p.v, at, raw, 1, MaxDetailLen)
		case key == "upgradeReason" && absent(raw):
		case key == "upgradeReason":
			d.UpgradeReason, _ = customer.ParseText(&p.v, at, raw, 1, MaxReasonLen)
		default:
			p.unknown(at, key)
		}
	}
	return &d
}

// parseInt validates an integer from lo to hi. Any notation of an integral value counts (2, 2.0,
// 2e0, 0.2e1), as JavaScript clients and zod's int() see only the value; a fractional value is
// "Expected integer, received float".
func parseInt(v *fault.ValidationError, path string, raw any, lo, hi int) int {
	return parseIntIn(v, path, raw, lo, hi, fmt.Sprintf("Number must be greater than or equal to %d", lo))
}

// parseIntIn is parseInt with the message of a value below lo.
func parseIntIn(v *fault.ValidationError, path string, raw any, lo, hi int, tooSmall string) int {
	num, ok := raw.(json.Number)
	if !ok {
		v.WrongType(path, "number", customer.TypeOf(raw))
		return 0
	}
	n, neg, integral, fits := integer(string(num))
	switch {
	case !integral:
		v.WrongType(path, "integer", "float")
	case neg && (n != 0 || !fits), fits && n < int64(lo):
		v.Add(path, fault.TooSmall, tooSmall)
	case !fits || n > int64(hi):
		v.Addf(path, fault.TooBig, "Number must be less than or equal to %d", hi)
	default:
		return int(n)
	}
	return 0
}

// maxIntDigits is the most digits integer evaluates: every bound parseInt checks has fewer.
const maxIntDigits = 18

// integer reads the JSON number literal lit exactly, without floating point: its magnitude n,
// whether it is negative, whether its value is integral, and whether the magnitude fits in
// maxIntDigits digits (n is 0 when it does not). Exponents are bounded before they are applied,
// so no literal in a 64 KiB body costs more than its length.
func integer(lit string) (n int64, neg, integral, fits bool) {
	s, neg := strings.CutPrefix(lit, "-")
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.ParseInt(strings.TrimPrefix(s[i+1:], "+"), 10, 64)
		if err != nil || e > 1<<40 || e < -(1<<40) {
			// Far beyond any bound, in either direction: huge, or a fraction of a digit.
			e = 1 << 40
			if strings.HasPrefix(s[i+1:], "-") {
				e = -(1 << 40)
			}
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return 0, neg, true, true // zero, whatever its exponent
	}
	// The value is digits × 10^(exp - len(frac)); move its trailing zeros into the exponent.
	trimmed := strings.TrimRight(digits, "0")
	scale := exp - int64(len(frac)) + int64(len(digits)-len(trimmed))
	if scale < 0 {
		return 0, neg, false, false
	}
	if int64(len(trimmed))+scale > maxIntDigits {
		return 0, neg, true, false
	}
	n, _ = strconv.ParseInt(trimmed+strings.Repeat("0", int(scale)), 10, 64)
	return n, neg, true, true
}

// ParseCancel parses the optional body of POST /v1/orders/{id}/cancel: nothing at all (also only
// white space), or an object whose one key is the optional reason, free text (customer.ParseText)
// of at most 1000 characters after trimming; null or a blank reason is no reason. Other keys are
// handled as h says, as in ParseInput. Errors are those of ParseInput.
func ParseCancel(body []byte, h customer.Handling) (reason string, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	obj, err := customer.DecodeBody(body)
	if err != nil {
		return "", err
	}
	p := parser{h: h}
	for _, key := range keysWith(obj) {
		raw := obj[key]
		at := customer.Join("", key)
		switch {
		case key != "reason":
			p.unknown(at, key)
		case !absent(raw):
			reason, _ = customer.ParseText(&p.v, at, raw, 1, MaxReasonLen)
		}
	}
	if err := p.v.Err(); err != nil {
		return "", err
	}
	return reason, nil
}

// ParseNotes parses the body of PATCH /v1/orders/{id}/notes: an object whose required key notes
// is free text (customer.ParseText) of at most MaxNotesLen characters after trimming. Blank notes
// ("" once trimmed) are valid and clear the order's notes: FlexPortal's schema sets no minimum,
// and replacing is the only way to remove them. null is not a string (invalid_type). Other keys
// are handled as h says, as in ParseInput. Errors are those of ParseInput.
func ParseNotes(body []byte, h customer.Handling) (notes string, err error) {
	obj, err := customer.DecodeBody(body)
	if err != nil {
		return "", err
	}
	p := parser{h: h}
	for _, key := range keysWith(obj, "notes") {
		raw, present := obj[key]
		at := customer.Join("", key)
		switch {
		case key != "notes":
			p.unknown(at, key)
		case !present:
			p.v.Required(at)
		default:
			notes, _ = customer.ParseText(&p.v, at, raw, 0, MaxNotesLen)
		}
	}
	if err := p.v.Err(); err != nil {
		return "", err
	}
	return notes, nil
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
