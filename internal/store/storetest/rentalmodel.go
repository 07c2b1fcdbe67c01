package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/rental"
)

// Sizes of RentalModel's runs: sequences per run, customers, orders per customer, subscriptions
// per sequence.
const (
	modelSequences = 3
	modelCustomers = 3
	modelOrders    = 2
	modelSubs      = 8
)

// RentalModel is the model-based test of rental state: for each of a few sequences (from seed)
// it seeds customers and orders in s, makes random subscription lives (created or upgraded from
// an earlier one, perhaps extended, perhaps ended), delivers their events shuffled and with
// repeats through apply (the store itself, or a consumer in front of it), and then checks every
// customer's totals and rentalIds, every order's lines, progress and status, and what DELETE
// answers, against a plain model that applies the same deliveries in the same order.
func RentalModel(t *testing.T, s RentalStore, seed uint64, apply func(t *testing.T, evs []rental.Event)) {
	t.Helper()
	for seq := range modelSequences {
		t.Run(fmt.Sprintf("seed%d-%d", seed, seq), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(seq)))
			m := newModel()
			var customers []string
			orders := map[string][]order.Order{}
			for i := range modelCustomers {
				email := fmt.Sprintf("model-%d-%d-%d@example.com", seed, seq, i)
				for j := range modelOrders {
					in := newInput(email)
					// Quantities differ from order to order, so no two are one order (natural
					// idempotency); sku C has no line, so its subscriptions fill nothing.
					in.Items = []order.Item{{SKU: "A", Quantity: 1 + j, ContractLength: 12}, {SKU: "B", Quantity: 1 + rng.IntN(2), ContractLength: 24}}
					o := createOrder(t, s, tenantA, in)
					if j == 0 {
						customers = append(customers, o.Customer.CustomerID)
					}
					orders[o.Customer.CustomerID] = append(orders[o.Customer.CustomerID], o)
					m.orders[o.OrderID] = newModelOrder(o)
				}
			}
			evs := lives(rng, fmt.Sprintf("%d-%d", seed, seq), customers, orders)
			// Deliveries: every event, a third of them twice, in a random order.
			deliveries := slices.Clone(evs)
			for _, ev := range evs {
				if rng.IntN(3) == 0 {
					deliveries = append(deliveries, ev)
				}
			}
			rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
			for _, ev := range deliveries {
				m.apply(ev)
			}
			apply(t, deliveries)

			for _, cid := range customers {
				c := getCustomer(t, s, tenantA, cid)
				devices, revenue := m.totals(cid)
				if c.TotalDevicesRented != devices || c.TotalMonthlyRevenue != revenue.Float() {
					t.Errorf("customer %s totals = %d devices, %v a month; the model says %d, %s", cid, c.TotalDevicesRented, c.TotalMonthlyRevenue, devices, revenue)
				}
				want := m.rentalIDs[cid]
				if n := len(want); n > rental.MaxRentalIDs {
					want = want[n-rental.MaxRentalIDs:]
				}
				if !slices.Equal(c.RentalIDs, want) && !(len(c.RentalIDs) == 0 && len(want) == 0) {
					t.Errorf("customer %s rentalIds = %v; the model says %v", cid, c.RentalIDs, want)
				}
				pending := false
				for _, o := range orders[cid] {
					got, want := getOrder(t, s, tenantA, o.OrderID), m.orders[o.OrderID]
					pending = pending || want.status() == order.Pending
					if got.Status != want.status() || got.RentalProgress.RentedDevices != want.rented() {
						t.Errorf("order %s = %s, %d rented; the model says %s, %d", o.OrderID, got.Status, got.RentalProgress.RentedDevices, want.status(), want.rented())
					}
					for i, l := range got.Items {
						if !slices.Equal(l.RentalIDs, want.lines[i]) && !(len(l.RentalIDs) == 0 && len(want.lines[i]) == 0) {
							t.Errorf("order %s line %d rentalIds = %v; the model says %v", o.OrderID, i, l.RentalIDs, want.lines[i])
						}
					}
				}
				_, err := s.DeactivateCustomer(t.Context(), tenantA, cid, nil)
				switch {
				case devices > 0:
					wantErr(t, "DeactivateCustomer "+cid, err, customer.ErrActiveSubscriptions)
				case pending:
					wantErr(t, "DeactivateCustomer "+cid, err, customer.ErrPendingOrders)
				case err != nil:
					t.Errorf("DeactivateCustomer %s (no rental, no pending order) = %v, want nil", cid, err)
				}
			}
		})
	}
}

// lives makes the events of modelSubs random subscriptions of customers: each created (or, when
// the customer has an active one already, sometimes upgraded from it), perhaps extended, perhaps
// ended.
func lives(rng *rand.Rand, run string, customers []string, orders map[string][]order.Order) []rental.Event {
	var evs []rental.Event
	n := 0
	id := func() string { n++; return fmt.Sprintf("evt_%s_%d", run, n) }
	live := map[string][]string{} // customer → subscriptions not (yet) ended in the script
	for i := range modelSubs {
		cid := customers[rng.IntN(len(customers))]
		os := orders[cid]
		o := os[rng.IntN(len(os))]
		sub := fmt.Sprintf("sub_%s_%d", run, i)
		sku := []string{"A", "B", "C"}[rng.IntN(3)]
		amount := rental.Money(rng.IntN(100_00)) * 10_000 // cents
		if rng.IntN(4) == 0 {
			amount = 0 // a free device: an amount still
		}
		data := rental.Data{SubscriptionID: sub, CustomerID: cid, OrderID: o.OrderID, SKU: sku, MonthlyAmount: amount}
		if prev := live[cid]; len(prev) > 0 && rng.IntN(3) == 0 {
			data.PreviousSubscriptionID = prev[0]
			live[cid] = prev[1:]
			evs = append(evs, rental.Event{ID: id(), Event: rental.Upgraded, TenantID: tenantA, Data: data})
		} else {
			evs = append(evs, rental.Event{ID: id(), Event: rental.Created, TenantID: tenantA, Data: data})
		}
		if rng.IntN(3) == 0 {
			evs = append(evs, rental.Event{ID: id(), Event: rental.Extended, TenantID: tenantA,
				Data: rental.Data{SubscriptionID: sub, CustomerID: cid, NewEndDate: "2028-01-01"}})
		}
		if rng.IntN(2) == 0 {
			evs = append(evs, rental.Event{ID: id(), Event: rental.Ended, TenantID: tenantA, Data: rental.Data{SubscriptionID: sub, CustomerID: cid}})
		} else {
			live[cid] = append(live[cid], sub)
		}
	}
	return evs
}

// model is the plain rental model: states by subscription, events seen by id, rentalIds by
// customer in activation order, and each order's lines.
type model struct {
	seen      map[string]bool
	state     map[string]rental.State
	sub       map[string]rental.Data // what each active subscription started with
	rentalIDs map[string][]string
	orders    map[string]*modelOrder
}

func newModel() *model {
	return &model{seen: map[string]bool{}, state: map[string]rental.State{}, sub: map[string]rental.Data{},
		rentalIDs: map[string][]string{}, orders: map[string]*modelOrder{}}
}

type modelOrder struct {
	customer string
	items    []order.Item
	lines    [][]string
}

func newModelOrder(o order.Order) *modelOrder {
	m := &modelOrder{customer: o.Customer.CustomerID, lines: make([][]string, len(o.Items))}
	for _, l := range o.Items {
		m.items = append(m.items, l.Item)
	}
	return m
}

func (o *modelOrder) rented() int {
	n := 0
	for _, l := range o.lines {
		n += len(l)
	}
	return n
}

func (o *modelOrder) status() order.Status {
	full := true
	for i, l := range o.lines {
		full = full && len(l) == o.items[i].Quantity
	}
	switch {
	case o.rented() == 0:
		return order.Pending
	case full:
		return order.Fulfilled
	}
	return order.Partial
}

func (m *model) apply(ev rental.Event) {
	if m.seen[ev.ID] {
		return
	}
	m.seen[ev.ID] = true
	end := func(sub string) {
		if m.state[sub] != rental.EndedStatus {
			m.state[sub] = rental.EndedStatus
		}
	}
	start := func(d rental.Data) {
		if m.state[d.SubscriptionID] != rental.Unknown {
			return
		}
		m.state[d.SubscriptionID] = rental.Active
		m.sub[d.SubscriptionID] = d
		m.rentalIDs[d.CustomerID] = append(m.rentalIDs[d.CustomerID], d.SubscriptionID)
		o := m.orders[d.OrderID]
		if o == nil || o.customer != d.CustomerID {
			return
		}
		for i, it := range o.items {
			if it.SKU == d.SKU && len(o.lines[i]) < it.Quantity {
				o.lines[i] = append(o.lines[i], d.SubscriptionID)
				return
			}
		}
	}
	switch ev.Event {
	case rental.Created:
		start(ev.Data)
	case rental.Upgraded:
		end(ev.Data.PreviousSubscriptionID)
		start(ev.Data)
	case rental.Ended:
		end(ev.Data.SubscriptionID)
	}
}

// totals are what the customer's active subscriptions add up to.
func (m *model) totals(cid string) (devices int64, revenue rental.Money) {
	for sub, st := range m.state {
		if d := m.sub[sub]; st == rental.Active && d.CustomerID == cid {
			devices++
			revenue += d.MonthlyAmount
		}
	}
	return devices, revenue
}
