package embedded

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// TestEraseThousandsOfOrders: a customer with 2,500 orders is erased in steps of at most
// defaultEraseBatch orders (one transaction each), and every order ends erased.
func TestEraseThousandsOfOrders(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	in := order.Input{
		Customer:       order.NewCustomer{Email: "many@example.com", FirstName: "Manny", LastName: "Orders", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Manny", StreetAddress: "1 Long Road", City: "Leeds", Country: "GB"},
		Items:          []order.Item{{SKU: "S", Quantity: 1, ContractLength: 12}},
		OrderType:      order.Standard,
	}
	first, _, err := s.CreateOrder(ctx, "t1", in, order.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CancelOrder(ctx, "t1", first.OrderID, "", order.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	const n = 2500
	// The other orders are written behind the store's back, cancelled, in one transaction: what
	// 2,500 order and cancel requests would leave.
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb, _ := readTenant(tx, "t1")
		c, _, err := getCustomer(tb, first.Customer.CustomerID)
		if err != nil {
			return err
		}
		at := time.Now()
		for range n - 1 {
			at = at.Add(time.Millisecond)
			o := order.New("t1", order.NewID(at), in, first.Customer, at)
			o.Status = order.Cancelled
			if err := putOrder(tb, orderRecord{Order: o}, s.stamp()); err != nil {
				return err
			}
			if err := tb.byCustomer.Put([]byte(customerOrderKey(c.CustomerID, o.OrderID)), nil); err != nil {
				return err
			}
		}
		c.TotalOrders = n
		return putCustomer(tb, c, s.stamp())
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]int{}
	s.AfterEraseStep = func(step string) error { steps[step]++; return nil }
	c, err := s.EraseCustomer(ctx, "t1", first.Customer.CustomerID)
	if err != nil || c.ErasedAt == "" {
		t.Fatalf("EraseCustomer = %+v, %v", c, err)
	}
	if want := (n + defaultEraseBatch - 1) / defaultEraseBatch; steps[StepOrders] != want || steps[StepMarked] != 1 || steps[StepCustomer] != 1 {
		t.Errorf("steps = %v, want 1 mark, %d order steps of at most %d, 1 record", steps, want, defaultEraseBatch)
	}
	seen := 0
	page, err := s.ListOrders(ctx, "t1", order.ListQuery{CustomerID: c.CustomerID, Limit: 100})
	for err == nil {
		seen += len(page.Orders)
		for _, o := range page.Orders {
			if !order.Erased(o) {
				t.Fatalf("order %s not erased", o.OrderID)
			}
		}
		if page.Next == "" {
			break
		}
		page, err = s.ListOrders(ctx, "t1", order.ListQuery{CustomerID: c.CustomerID, Limit: 100, After: page.Next})
	}
	if err != nil || seen != n {
		t.Fatalf("listed %d orders (%v), want %d", seen, err, n)
	}
}
