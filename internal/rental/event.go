// Package rental is the rental state of a tenant: the subscription events FlexPortal's
// subscription service announces (docs/api.md, "Rental state"), each subscription's state, which
// only moves forward (unknown → active → ended), and what an event does to its customer's totals
// and to its order. It imports nothing from AWS: both stores write what Apply decides.
package rental

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Name is an event's name, FlexPortal's.
type Name string

// The subscription events (docs/api.md, "Rental state").
const (
	Created  Name = "subscription.created"
	Extended Name = "subscription.extended"
	Upgraded Name = "subscription.upgraded"
	Ended    Name = "subscription.ended"
)

// Names are the subscription events, in the order of docs/api.md.
var Names = []Name{Created, Extended, Upgraded, Ended}

// Event is one subscription event: {"id", "event", "timestamp", "tenantId", "data"}. ID is the
// event's own id, the same on every delivery of it: an event is applied at most once by it.
type Event struct {
	ID        string `json:"id"`
	Event     Name   `json:"event"`
	Timestamp string `json:"timestamp"`
	TenantID  string `json:"tenantId"`
	Data      Data   `json:"data"`
}

// Data is an event's data. SubscriptionID and CustomerID are in every event; OrderID, SKU and
// MonthlyAmount in created and upgraded; PreviousSubscriptionID in upgraded; NewEndDate in
// extended.
type Data struct {
	SubscriptionID         string `json:"subscriptionId"`
	PreviousSubscriptionID string `json:"previousSubscriptionId,omitempty"`
	CustomerID             string `json:"customerId"`
	OrderID                string `json:"orderId,omitempty"`
	SKU                    string `json:"sku,omitempty"`
	MonthlyAmount          Money  `json:"monthlyAmount"` // 0 is an amount (a free device): never omitted
	NewEndDate             string `json:"newEndDate,omitempty"`
}

// Limits of an event.
const (
	MaxIDLen     = 128 // an event id, a subscription id
	MaxEventSize = 16 << 10
	// MaxAmount is the largest monthlyAmount taken: far above any rent, far below what Money
	// holds summed over a customer's subscriptions.
	MaxAmount = 1_000_000_000
)

// Money is an amount of money in millionths of the unit, exact: the customer's
// totalMonthlyRevenue is a sum of amounts, which floating point would make drift as
// subscriptions come and go. It reads and writes as a JSON number with up to 6 decimals.
type Money int64

// moneyScale is Money's units per whole unit.
const moneyScale = 1_000_000

// MoneyOf is the Money nearest to f (a total as the customer record holds it).
func MoneyOf(f float64) Money { return Money(math.Round(f * moneyScale)) }

// Float is m as the customer record holds a total: the float64 nearest to its decimal value.
func (m Money) Float() float64 {
	f, _ := strconv.ParseFloat(m.String(), 64)
	return f
}

// String is m in plain decimal notation, without trailing zeros: 49.99, 12, 0.000001.
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	s := fmt.Sprintf("%s%d.%06d", sign, m/moneyScale, m%moneyScale)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// ParseMoney reads a decimal amount: at least 0, at most MaxAmount, at most 6 decimals.
func ParseMoney(s string) (Money, error) {
	bad := fmt.Errorf("rental: amount %q is not a number of 0 to %d with at most 6 decimals", s, MaxAmount)
	if strings.ContainsAny(s, "eE+-") || s == "" {
		return 0, bad
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || len(whole) > 10 {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	var f int64
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64); err != nil {
			return 0, bad
		}
	}
	m := Money(w*moneyScale + f)
	if m > MaxAmount*moneyScale {
		return 0, bad
	}
	return m, nil
}

// MarshalJSON writes m as a JSON number.
func (m Money) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalJSON reads a JSON number (ParseMoney's rules).
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = 0
		return nil
	}
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ErrMalformed is an event that is not one: not a JSON object of the event's shape.
var ErrMalformed = errors.New("rental: malformed event")

// Parse reads and validates an event. Unknown keys are ignored (a producer may add fields); a
// body that is no event's JSON is ErrMalformed, and a field that breaks a rule is a
// *fault.ValidationError naming every failing field, with the paths of the event (data.sku).
// Such an event can never be applied, however often it is retried.
func Parse(body []byte) (Event, error) {
	if len(body) > MaxEventSize {
		return Event{}, fmt.Errorf("%w: over %d bytes", ErrMalformed, MaxEventSize)
	}
	var raw struct {
		Event
		Data *struct {
			Data
			MonthlyAmount json.RawMessage `json:"monthlyAmount"`
		} `json:"data"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(&raw); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d.More() {
		return Event{}, fmt.Errorf("%w: more than one JSON value", ErrMalformed)
	}
	ev := raw.Event
	var v fault.ValidationError
	id := func(path, s string) string {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			v.Required(path)
		case len(s) > MaxIDLen:
			v.Addf(path, fault.TooBig, "String must contain at most %d character(s)", MaxIDLen)
		case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
			v.Add(path, fault.InvalidString, "Must not contain white space or control characters")
		}
		return s
	}
	ev.ID = id("id", ev.ID)
	if ev.TenantID = strings.TrimSpace(ev.TenantID); !auth.ValidTenant(ev.TenantID) {
		v.Add("tenantId", fault.InvalidString, "Invalid tenant id")
	}
	known := false
	for _, n := range Names {
		known = known || ev.Event == n
	}
	if !known {
		v.BadEnum("event", string(ev.Event), string(Created), string(Extended), string(Upgraded), string(Ended))
	}
	if raw.Data == nil {
		v.Required("data")
		return Event{}, v.Err()
	}
	ev.Data = raw.Data.Data
	ev.Data.SubscriptionID = id("data.subscriptionId", ev.Data.SubscriptionID)
	ev.Data.CustomerID = strings.TrimSpace(ev.Data.CustomerID)
	if ev.Data.CustomerID == "" {
		v.Required("data.customerId")
	} else if !customer.ValidID(ev.Data.CustomerID) {
		v.Add("data.customerId", fault.InvalidString, "Invalid customer id")
	}
	if ev.Event == Created || ev.Event == Upgraded {
		ev.Data.OrderID = strings.TrimSpace(ev.Data.OrderID)
		if ev.Data.OrderID == "" {
			v.Required("data.orderId")
		} else if !order.ValidID(ev.Data.OrderID) {
			v.Add("data.orderId", fault.InvalidString, "Invalid order id")
		}
		ev.Data.SKU = strings.TrimSpace(ev.Data.SKU)
		switch {
		case ev.Data.SKU == "":
			v.Required("data.sku")
		case len([]rune(ev.Data.SKU)) > order.MaxSKULen:
			v.Addf("data.sku", fault.TooBig, "String must contain at most %d character(s)", order.MaxSKULen)
		}
		if a := raw.Data.MonthlyAmount; len(a) == 0 || string(a) == "null" {
			v.Required("data.monthlyAmount")
		} else if m, err := ParseMoney(string(a)); err != nil {
			v.Addf("data.monthlyAmount", fault.Custom, "Must be a number of 0 to %d with at most 6 decimals", MaxAmount)
		} else {
			ev.Data.MonthlyAmount = m
		}
	}
	if ev.Event == Upgraded {
		ev.Data.PreviousSubscriptionID = id("data.previousSubscriptionId", ev.Data.PreviousSubscriptionID)
		if ev.Data.PreviousSubscriptionID != "" && ev.Data.PreviousSubscriptionID == ev.Data.SubscriptionID {
			v.Add("data.previousSubscriptionId", fault.Custom, "Must differ from subscriptionId")
		}
	}
	if ev.Event == Extended {
		ev.Data.NewEndDate = strings.TrimSpace(ev.Data.NewEndDate)
		if ev.Data.NewEndDate == "" {
			v.Required("data.newEndDate")
		}
	}
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// Subscriptions are the ids of the subscriptions ev concerns: its own, and for an upgrade the
// previous one first.
func (ev Event) Subscriptions() []string {
	if ev.Event == Upgraded {
		return []string{ev.Data.PreviousSubscriptionID, ev.Data.SubscriptionID}
	}
	return []string{ev.Data.SubscriptionID}
}

// Order is the id of the order ev may fill ("" for extended and ended).
func (ev Event) Order() string {
	if ev.Event == Created || ev.Event == Upgraded {
		return ev.Data.OrderID
	}
	return ""
}
