package rental

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

const (
	custID  = "cust_01JD0000000000000000000000"
	orderID = "ord_01JD0000000000000000000000"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"49.99", "49.99", true},
		{"12", "12", true},
		{"12.50", "12.5", true},
		{"0", "0", true},
		{"0.000001", "0.000001", true},
		{"0.0000001", "", false},
		{"-1", "", false},
		{"1e3", "", false},
		{"1000000001", "", false},
		{"", "", false},
		{".5", "", false},
	}
	for _, tt := range tests {
		m, err := ParseMoney(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseMoney(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && m.String() != tt.want {
			t.Errorf("ParseMoney(%q) = %s, want %s", tt.in, m, tt.want)
		}
	}
	// Exact sums: 0.1 + 0.2 - 0.1 is 0.2, where float64 drifts.
	sum := MoneyOf(0) + Money(100000) + Money(200000) - Money(100000)
	if got := sum.Float(); got != 0.2 {
		t.Errorf("sum = %v, want 0.2", got)
	}
}

func TestParse(t *testing.T) {
	good := `{"id":"evt_1","event":"subscription.created","timestamp":"2026-01-01T00:00:00Z","tenantId":"acme",
		"data":{"subscriptionId":"sub_1","customerId":"` + custID + `","orderId":"` + orderID + `","sku":"MBP-14","monthlyAmount":49.99}}`
	ev, err := Parse([]byte(good))
	if err != nil {
		t.Fatalf("Parse(good) = %v", err)
	}
	if ev.Data.MonthlyAmount != 49_990000 || ev.Data.SKU != "MBP-14" || ev.TenantID != "acme" {
		t.Errorf("Parse(good) = %+v", ev)
	}
	tests := []struct {
		name, body string
		paths      []string // nil: ErrMalformed
	}{
		{"not JSON", `{`, nil},
		{"array", `[]`, nil},
		{"no data", `{"id":"e","event":"subscription.ended","tenantId":"acme"}`, []string{"data"}},
		{"unknown event", `{"id":"e","event":"subscription.paused","tenantId":"acme","data":{"subscriptionId":"s","customerId":"` + custID + `"}}`, []string{"event"}},
		{"created without order", `{"id":"e","event":"subscription.created","tenantId":"acme","data":{"subscriptionId":"s","customerId":"` + custID + `"}}`,
			[]string{"data.orderId", "data.sku", "data.monthlyAmount"}},
		{"bad amount", strings.Replace(good, "49.99", "-3", 1), []string{"data.monthlyAmount"}},
		{"amount as string", strings.Replace(good, "49.99", `"49.99"`, 1), []string{"data.monthlyAmount"}},
		{"bad customer", strings.Replace(good, custID, "cust_x", 1), []string{"data.customerId"}},
		{"bad tenant", strings.Replace(good, `"acme"`, `"a#b"`, 1), []string{"tenantId"}},
		{"no id", strings.Replace(good, `"evt_1"`, `""`, 1), []string{"id"}},
		{"upgrade to itself", `{"id":"e","event":"subscription.upgraded","tenantId":"acme","data":{"subscriptionId":"s","previousSubscriptionId":"s",
			"customerId":"` + custID + `","orderId":"` + orderID + `","sku":"A","monthlyAmount":1}}`, []string{"data.previousSubscriptionId"}},
		{"extended without date", `{"id":"e","event":"subscription.extended","tenantId":"acme","data":{"subscriptionId":"s","customerId":"` + custID + `"}}`,
			[]string{"data.newEndDate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body))
			if tt.paths == nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse = %v, want ErrMalformed", err)
				}
				return
			}
			var v *fault.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("Parse = %v, want a validation error", err)
			}
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Path)
			}
			if strings.Join(got, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("Parse paths = %v, want %v", got, tt.paths)
			}
		})
	}
}

func created(id, sub, sku string, amount Money) Event {
	return Event{ID: id, Event: Created, TenantID: "acme", Data: Data{SubscriptionID: sub, CustomerID: custID, OrderID: orderID, SKU: sku, MonthlyAmount: amount}}
}

// TestApply walks one order of two lines through created, a duplicate, an upgrade and ends.
func TestApply(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := customer.Customer{CustomerID: custID, Version: 1, PendingOrders: 1}.Normalized()
	o := order.New("acme", orderID, order.Input{Items: []order.Item{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 2}}},
		order.Snapshot{CustomerID: custID}, now)
	subs := map[string]Subscription{}
	apply := func(ev Event) Change {
		t.Helper()
		ch, err := Apply(ev, Before{Customer: c, Subscriptions: subs, Order: &o}, now)
		if err != nil {
			t.Fatalf("Apply(%s %s) = %v", ev.Event, ev.ID, err)
		}
		for _, s := range ch.Subscriptions {
			s.Rev++
			subs[s.ID] = s
		}
		if ch.Customer != nil {
			c = *ch.Customer
		}
		if ch.Order != nil {
			o = *ch.Order
		}
		return ch
	}
	apply(created("e1", "s1", "B", 10_000000))
	if o.Status != order.Partial || o.Items[1].RentalStatus != order.LinePartial || c.PendingOrders != 0 || c.TotalDevicesRented != 1 {
		t.Fatalf("after e1: order %s line %s, customer pending %d devices %d", o.Status, o.Items[1].RentalStatus, c.PendingOrders, c.TotalDevicesRented)
	}
	if ch := apply(created("e1", "s1", "B", 10_000000)); !ch.Duplicate || !ch.Empty() {
		t.Errorf("repeat of e1 = %+v, want a duplicate writing nothing", ch)
	}
	apply(created("e2", "s2", "B", 5_500000))
	apply(created("e3", "s3", "A", 1_000000))
	if o.Status != order.Fulfilled || o.RentalProgress.RentedDevices != 3 || c.TotalMonthlyRevenue != 16.5 {
		t.Fatalf("after e3: order %s %+v revenue %v", o.Status, o.RentalProgress, c.TotalMonthlyRevenue)
	}
	apply(created("e4", "s4", "A", 1_000000)) // no room left: the customer only
	if len(o.RentalIDs) != 3 || c.TotalDevicesRented != 4 {
		t.Errorf("after e4: order rentals %v, devices %d", o.RentalIDs, c.TotalDevicesRented)
	}
	up := Event{ID: "e5", Event: Upgraded, Data: Data{SubscriptionID: "s5", PreviousSubscriptionID: "s1", CustomerID: custID, OrderID: orderID, SKU: "B", MonthlyAmount: 20_000000}}
	apply(up)
	if c.TotalDevicesRented != 4 || c.TotalMonthlyRevenue != 27.5 || subs["s1"].State != EndedStatus {
		t.Errorf("after upgrade: devices %d revenue %v s1 %s", c.TotalDevicesRented, c.TotalMonthlyRevenue, subs["s1"].State)
	}
	apply(Event{ID: "e6", Event: Ended, Data: Data{SubscriptionID: "s9", CustomerID: custID}}) // an end before its start
	if ch := apply(created("e7", "s9", "B", 1_000000)); !ch.Empty() {
		t.Errorf("created after ended = %+v, want nothing", ch)
	}
	for _, s := range []string{"s2", "s3", "s4", "s5"} {
		apply(Event{ID: "end-" + s, Event: Ended, Data: Data{SubscriptionID: s, CustomerID: custID}})
	}
	if c.TotalDevicesRented != 0 || c.TotalMonthlyRevenue != 0 || len(c.RentalIDs) != 5 {
		t.Errorf("after the ends: devices %d revenue %v rentalIds %v", c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs)
	}
	other := Event{ID: "e8", Event: Ended, Data: Data{SubscriptionID: "s2", CustomerID: "cust_01JD0000000000000000000001"}}
	if _, err := Apply(other, Before{Customer: c, Subscriptions: subs}, now); !errors.Is(err, ErrOtherCustomer) {
		t.Errorf("Apply(another customer's subscription) = %v, want ErrOtherCustomer", err)
	}
}
