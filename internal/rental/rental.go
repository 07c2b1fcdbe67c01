package rental

import (
	"slices"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// State is where a subscription is. It only moves forward: Unknown → Active → Ended, or Unknown
// → Ended (an end that arrived before its start), and Ended is final.
type State string

// Subscription states.
const (
	Unknown     State = "" // never heard of: no record
	Active      State = "active"
	EndedStatus State = "ended"
)

// MaxRentalIDs is how many subscription ids a customer's rentalIds keeps: the most recent, oldest
// first (docs/api.md), so a customer with years of subscriptions costs what a new one does.
const MaxRentalIDs = 100

// maxEventIDs is how many event ids a subscription keeps to recognise a delivery again. A
// duplicate older than those still changes nothing, since states only move forward: the ids only
// make a repeat visible as one (Change.Duplicate).
const maxEventIDs = 20

// Subscription is the record of one subscription of a tenant: its state, the customer, order,
// sku and monthly amount it started with (an end needs the amount to take off the totals), the
// ids of the events applied to it, most recent last, and Rev, the store's count of writes to it,
// which the next write is conditioned on.
type Subscription struct {
	ID            string   `json:"subscriptionId" dynamodbav:"subscriptionId"`
	CustomerID    string   `json:"customerId" dynamodbav:"customerId"`
	OrderID       string   `json:"orderId,omitempty" dynamodbav:"orderId,omitempty"`
	SKU           string   `json:"sku,omitempty" dynamodbav:"sku,omitempty"`
	MonthlyAmount string   `json:"monthlyAmount,omitempty" dynamodbav:"monthlyAmount,omitempty"` // Money.String
	State         State    `json:"state" dynamodbav:"state"`
	EndDate       string   `json:"endDate,omitempty" dynamodbav:"endDate,omitempty"`
	Events        []string `json:"events" dynamodbav:"events"`
	UpdatedAt     string   `json:"updatedAt" dynamodbav:"updatedAt"`
	Rev           int64    `json:"rev" dynamodbav:"rev"`
}

// Amount is the subscription's monthly amount.
func (s Subscription) Amount() Money {
	m, _ := ParseMoney(s.MonthlyAmount)
	return m
}

// Before is what an event reads: its customer, its subscriptions as stored (a missing one is
// Unknown), and its order (nil when the event names none or the tenant has no such order).
type Before struct {
	Customer      customer.Customer
	Subscriptions map[string]Subscription
	Order         *order.Order
}

// Change is what an event writes. Subscriptions are the records to write, each conditioned on its
// Rev as read (0: it did not exist). Customer is the customer's next state, nil when the event
// changes nothing it shows; Order likewise. Settles is true when the order leaves pending, so
// its customer has one pending order fewer (order.Settle: a relative change, written beside the
// customer's). Duplicate is true when the event was applied before (by its id): nothing is
// written then.
type Change struct {
	Subscriptions []Subscription
	Customer      *customer.Customer
	Order         *order.Order
	Settles       bool
	Duplicate     bool
}

// Empty reports whether c writes nothing.
func (c Change) Empty() bool {
	return len(c.Subscriptions) == 0 && c.Customer == nil && c.Order == nil
}

// Errors of Apply, and of a store applying an event.
var (
	// ErrUnknownCustomer is an event for a customer (or a tenant) the service does not hold.
	ErrUnknownCustomer = fault.E(fault.NotFound, "The event's customer does not exist in its tenant")
	// ErrOtherCustomer is an event that names a subscription of another customer.
	ErrOtherCustomer = fault.E(fault.Validation, "The event's subscription belongs to another customer")
)

// Apply decides what ev does, on the state b it read, at now:
//
//   - created: an Unknown subscription becomes Active: it joins the customer's rentalIds (the
//     most recent MaxRentalIDs), totalDevicesRented +1, totalMonthlyRevenue + its amount; on the
//     order, the first line with its sku that has room gets it (Fill).
//   - upgraded: the previous subscription ends (as ended) and the new one is created (as created).
//   - ended: an Active subscription becomes Ended, and is taken off the totals (it stays in
//     rentalIds and on its line); an Unknown one is recorded Ended, so a late created is ignored.
//   - extended: nothing the customer shows changes; a known subscription records the end date.
//
// Any other move (a created after an end, a repeat) changes nothing. Every subscription written
// records ev.ID; an event whose id a subscription already holds is a Duplicate. A subscription of
// another customer than the event's is ErrOtherCustomer.
func Apply(ev Event, b Before, now time.Time) (Change, error) {
	ts := customer.Timestamp(now)
	subs := map[string]Subscription{}
	for _, id := range ev.Subscriptions() {
		s, ok := b.Subscriptions[id]
		if !ok {
			s = Subscription{ID: id, CustomerID: ev.Data.CustomerID}
		}
		if s.CustomerID != ev.Data.CustomerID {
			return Change{}, ErrOtherCustomer
		}
		if slices.Contains(s.Events, ev.ID) {
			return Change{Duplicate: true}, nil
		}
		subs[id] = s
	}
	c := b.Customer
	var o *order.Order
	if b.Order != nil && b.Order.Customer.CustomerID == ev.Data.CustomerID {
		cp := *b.Order
		o = &cp
	}
	var ch Change
	touched := map[string]bool{}
	customerChanged, orderChanged := false, false

	end := func(id string) {
		s := subs[id]
		switch s.State {
		case Active:
			c.TotalDevicesRented--
			c.TotalMonthlyRevenue = (MoneyOf(c.TotalMonthlyRevenue) - s.Amount()).Float()
			customerChanged = true
			fallthrough
		case Unknown:
			s.State = EndedStatus
			touched[id] = true
		}
		subs[id] = s
	}
	start := func(id string) {
		s := subs[id]
		if s.State != Unknown {
			return
		}
		s.State, s.OrderID, s.SKU, s.MonthlyAmount = Active, ev.Data.OrderID, ev.Data.SKU, ev.Data.MonthlyAmount.String()
		subs[id], touched[id] = s, true
		c.TotalDevicesRented++
		c.TotalMonthlyRevenue = (MoneyOf(c.TotalMonthlyRevenue) + ev.Data.MonthlyAmount).Float()
		c.RentalIDs = append(slices.Clip(c.RentalIDs), id)
		if n := len(c.RentalIDs); n > MaxRentalIDs {
			c.RentalIDs = slices.Clone(c.RentalIDs[n-MaxRentalIDs:])
		}
		customerChanged = true
		if o == nil {
			return
		}
		next, filled, settles := Fill(*o, ev.Data.SKU, id, now)
		if filled {
			*o, orderChanged = next, true
			ch.Settles = ch.Settles || settles
		}
	}

	switch ev.Event {
	case Created:
		start(ev.Data.SubscriptionID)
	case Upgraded:
		end(ev.Data.PreviousSubscriptionID)
		start(ev.Data.SubscriptionID)
	case Ended:
		end(ev.Data.SubscriptionID)
	case Extended:
		if s := subs[ev.Data.SubscriptionID]; s.State != Unknown {
			s.EndDate = ev.Data.NewEndDate
			subs[ev.Data.SubscriptionID], touched[ev.Data.SubscriptionID] = s, true
		}
	}
	for _, id := range ev.Subscriptions() {
		if !touched[id] {
			continue
		}
		s := subs[id]
		s.Events = append(slices.Clone(s.Events), ev.ID)
		if n := len(s.Events); n > maxEventIDs {
			s.Events = s.Events[n-maxEventIDs:]
		}
		s.UpdatedAt = ts
		ch.Subscriptions = append(ch.Subscriptions, s)
	}
	if customerChanged {
		c.Version++
		c.UpdatedAt = ts
		if ch.Settles {
			c = order.Settle(c)
		}
		ch.Customer = &c
	}
	if orderChanged {
		ch.Order = o
	}
	return ch, nil
}

// Fill returns o with subscription sub of sku on the first line of that sku with room (fewer
// subscriptions than its quantity), at now: the line's rentalIds and rentalStatus (partial,
// completed at its quantity), the order's rentalIds and rentalProgress, and its status — partial
// with its first subscription, fulfilled when every line is completed. filled is false when the
// order takes no subscription (no line of sku with room, or the order is cancelled, or it holds
// sub already); settles is true when the order leaves pending, which its customer's count of
// pending orders must follow (order.Settle).
func Fill(o order.Order, sku, sub string, now time.Time) (next order.Order, filled, settles bool) {
	if o.Status == order.Cancelled || slices.Contains(o.RentalIDs, sub) {
		return o, false, false
	}
	o = o.Normalized() // a copy of the lines, each with its rentalIds
	line := -1
	for i, l := range o.Items {
		if l.SKU == sku && len(l.RentalIDs) < l.Quantity {
			line = i
			break
		}
	}
	if line < 0 {
		return o, false, false
	}
	l := &o.Items[line]
	l.RentalIDs = append(slices.Clip(l.RentalIDs), sub)
	l.RentalStatus = order.LinePartial
	if len(l.RentalIDs) >= l.Quantity {
		l.RentalStatus = order.LineCompleted
	}
	o.RentalIDs = append(slices.Clip(o.RentalIDs), sub)
	o.RentalProgress.RentedDevices++
	settles = order.CountsPending(o.Status)
	o.Status = order.Partial
	complete := true
	for _, l := range o.Items {
		complete = complete && l.RentalStatus == order.LineCompleted
	}
	if complete {
		o.Status = order.Fulfilled
	}
	o.UpdatedAt = customer.Timestamp(now)
	return o, true, settles
}
