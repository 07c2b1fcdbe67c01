package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Run runs the contract suite against stores made by open; each call of open returns a fresh,
// empty store, closed by open's own t.Cleanup, that reads the time from now (the suite moves that
// clock in the tests of time windows; elsewhere it is the real time). Every sub-test opens its own
// store, so a store that fails one rule fails that rule's test and no other.
//
// Options sharpen the suite for a backend: NoUnavailable for one that never refuses a write for
// contention (an emulator without the conflict model), on which a race must not answer 503;
// NoBulk for one too slow for the tests that make more than order.MaxOrderIDs orders.
func Run(t *testing.T, open func(t *testing.T, now func() time.Time) Store, opts ...Option) {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	groups := []struct {
		name  string
		tests []test
	}{
		{"CreateOrder", createOrderTests},
		{"UpdateCustomer", updateTests},
		{"Email", emailTests},
		{"EmailKey", emailKeyTests},
		{"EmailKeyMigration", emailKeyMigrationTests},
		{"Deactivate", deactivateTests},
		{"Erase", eraseTests},
		{"CancelOrder", cancelTests},
		{"OrderNotes", notesTests},
		{"Idempotency", idempotencyTests},
		{"NaturalIdempotency", naturalTests},
		{"ListCustomers", listCustomerTests},
		{"ListOrders", listOrderTests},
		{"Sorts", sortTests},
		{"Tenants", tenantTests},
		{"APIKeys", apiKeyTests},
		{"Concurrency", concurrencyTests},
		{"Rentals", rentalTests},
		{"Context", contextTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					if tt.bulk && cfg.noBulk {
						t.Skip("storetest.NoBulk: this backend is too slow for a test of more than order.MaxOrderIDs orders")
					}
					if cfg.noUnavailable {
						strict.Store(t, true)
						t.Cleanup(func() { strict.Delete(t) })
					}
					clock := new(Clock)
					s := open(t, clock.Now)
					if tt.clocked != nil {
						tt.clocked(t, s, clock)
						return
					}
					tt.fn(t, s)
				})
			}
		})
	}
}

// Option sharpens Run for a backend.
type Option func(*config)

type config struct{ noUnavailable, noBulk bool }

// NoBulk skips the tests that make more than order.MaxOrderIDs orders (bulk: true) on a backend
// too slow for them: on moto, whose every transaction copies the table, the two of them took
// 190 s and 105 s where dynoxide takes 2.5 s each. Another backend of the same store still runs them.
func NoBulk() Option { return func(c *config) { c.noBulk = true } }

// NoUnavailable makes every race of the concurrency tests fail on a 503: for a store on a
// backend that never reports a transaction conflict or throttling (dynoxide without the conflict
// model), where every racing write must succeed or be refused by a rule — so that, there, all 20
// custom-field keys of DifferentCustomFields are kept.
func NoUnavailable() Option { return func(c *config) { c.noUnavailable = true } }

// strict holds the sub-tests run with NoUnavailable (keyed by their *testing.T), which
// countUnavailable reads: the test functions keep their one signature.
var strict sync.Map

// test is one sub-test of the suite; fn gets a fresh, empty store. A test of a time window sets
// clocked instead, which also gets the store's clock.
type test struct {
	name    string
	fn      func(t *testing.T, s Store)
	clocked func(t *testing.T, s Store, clock *Clock)
	bulk    bool // makes more than order.MaxOrderIDs orders: NoBulk skips it
}

// Clock is the time a store under test reads. It is the real time until Set stops it at an
// instant; it is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	at  time.Time
	set bool
}

// Now returns the instant the clock was set to, or the real time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set {
		return c.at
	}
	return time.Now()
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at, c.set = t, true
}

// Two tenants whose ids are prefixes of each other on purpose: a store that finds a tenant's
// items by key prefix leaks tenantA's items into tenantB's (or back) and fails.
const (
	tenantA = "acme"
	tenantB = "acme2"
)

// billingAddr is an address with every optional key set, so that a replacement without them
// shows whether a store merged addresses.
func billingAddr() customer.Address {
	return customer.Address{
		ContactName:   "Ada Lovelace",
		Company:       "Analytical Engines Ltd",
		StreetAddress: "12 St James's Square",
		BuildingInfo:  "Floor 2",
		Locality:      "St James's",
		City:          "London",
		AdminArea:     "Greater London",
		PostalCode:    "SW1Y 4JH",
		Country:       "GB",
	}
}

func shippingAddr() customer.Address {
	return customer.Address{
		ContactName:   "Ada Lovelace",
		StreetAddress: "1 Dock Road",
		City:          "Bristol",
		PostalCode:    "BS1 1AA",
		Country:       "GB",
	}
}

// plainAddr is an address with only the required keys.
func plainAddr(city string) customer.Address {
	return customer.Address{ContactName: "Receiving", StreetAddress: "5 Main Street", City: city, Country: "DE"}
}

// creator is the createdBy of every order body of the suite: the HTTP layer sets it from the
// request's API key.
const creator = "apikey:key_storetest"

// skus numbers the items of newInput, so that no two of its bodies are the same order.
var skus atomic.Int64

// newInput returns a valid, defaulted order body for a customer with email, as the HTTP layer
// hands it to a store. Each call orders another sku (LAPTOP-14-1, LAPTOP-14-2, ...), so that
// orders made from two calls are two orders, not one and its natural-idempotency replay (the
// tests of that rule make their identical bodies by using one Input twice).
func newInput(email string) order.Input {
	return order.Input{
		Customer: order.NewCustomer{
			Email:        email,
			FirstName:    "Ada",
			LastName:     "Lovelace",
			CustomerType: customer.Individual,
		},
		BillingAddress: billingAddr(),
		Items:          []order.Item{{SKU: fmt.Sprintf("LAPTOP-14-%d", skus.Add(1)), Quantity: 2, ContractLength: 12}},
		OrderType:      order.Standard,
		CustomFields:   map[string]any{},
		CreatedBy:      creator,
	}
}

// linesOf is what an order keeps of items: each a line without subscriptions.
func linesOf(items []order.Item) []order.Line {
	lines := make([]order.Line, len(items))
	for i, it := range items {
		lines[i] = order.Line{Item: it, RentalIDs: []string{}, RentalStatus: order.LinePending}
	}
	return lines
}

// fullInput is newInput with every optional field of the body set.
func fullInput(email string) order.Input {
	in := newInput(email)
	in.Customer.Company = "Analytical Engines Ltd"
	in.Customer.Phone = "+44 20 7946 0018"
	in.Customer.CustomerType = customer.Business
	ship := shippingAddr()
	in.ShippingAddress = &ship
	in.Items = append(in.Items, order.Item{SKU: "PHONE-X", Quantity: 1, ContractLength: 24})
	in.OrderType = order.Upgrade
	in.UpgradeDetails = &order.UpgradeDetails{PreviousDevice: "Phone 9", PreviousSerialNumber: "SN-1",
		PreviousMonthlyAmount: json.Number("19.95"), PreviousRentalID: "rent_1", UpgradeReason: "Cracked screen"}
	in.CustomFields = map[string]any{"po": "PO-1", "seats": json.Number("3"), "gift": true, "budget": json.Number("12345678901234567890.5")}
	in.Notes = "Leave at reception"
	return in
}

func ptr[T any](v T) *T { return &v }

func set[T any](v T) customer.Optional[T] { return customer.Optional[T]{Set: true, Value: &v} }

func null[T any]() customer.Optional[T] { return customer.Optional[T]{Set: true} }

// snapshotOf is what an order made now must keep of c.
func snapshotOf(c customer.Customer) order.Snapshot {
	return order.Snapshot{
		CustomerID:   c.CustomerID,
		Email:        c.Email,
		FirstName:    c.FirstName,
		LastName:     c.LastName,
		Company:      c.Company,
		Phone:        c.Phone,
		CustomerType: c.CustomerType,
	}
}

// createOrder creates an order without an idempotency key and fails the test on any error.
func createOrder(t *testing.T, s Store, tenant string, in order.Input) order.Order {
	t.Helper()
	o, replayed, err := s.CreateOrder(t.Context(), tenant, in, order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder(%s, %s) error = %v, want nil", tenant, in.Customer.Email, err)
	}
	if replayed {
		t.Errorf("CreateOrder(%s, %s) without a key: replayed = true, want false", tenant, in.Customer.Email)
	}
	return o
}

// newCustomer seeds a customer through its first order and returns it as stored.
func newCustomer(t *testing.T, s Store, tenant string, in order.Input) customer.Customer {
	t.Helper()
	o := createOrder(t, s, tenant, in)
	return getCustomer(t, s, tenant, o.Customer.CustomerID)
}

// idleCustomer seeds a customer whose only order is cancelled, so it can be deactivated.
func idleCustomer(t *testing.T, s Store, tenant string, in order.Input) customer.Customer {
	t.Helper()
	o := createOrder(t, s, tenant, in)
	cancelOrder(t, s, tenant, o.OrderID)
	return getCustomer(t, s, tenant, o.Customer.CustomerID)
}

func getCustomer(t *testing.T, s Store, tenant, id string) customer.Customer {
	t.Helper()
	c, err := s.GetCustomer(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("GetCustomer(%s, %s) error = %v, want nil", tenant, id, err)
	}
	return c
}

func getOrder(t *testing.T, s Store, tenant, id string) order.Order {
	t.Helper()
	o, err := s.GetOrder(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("GetOrder(%s, %s) error = %v, want nil", tenant, id, err)
	}
	return o
}

// update applies p, fails the test on error, and checks that the returned customer is the one
// a following GetCustomer reads.
func update(t *testing.T, s Store, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) customer.Customer {
	t.Helper()
	got, err := s.UpdateCustomer(t.Context(), tenant, id, p, ifMatch)
	if err != nil {
		t.Fatalf("UpdateCustomer(%s, %s) error = %v, want nil", tenant, id, err)
	}
	sameCustomer(t, "GetCustomer after UpdateCustomer", getCustomer(t, s, tenant, id), got)
	return got
}

// deactivate deactivates the customer, fails the test on error, and checks the returned
// customer against a following GetCustomer.
func deactivate(t *testing.T, s Store, tenant, id string, ifMatch customer.IfMatch) customer.Customer {
	t.Helper()
	got, err := s.DeactivateCustomer(t.Context(), tenant, id, ifMatch)
	if err != nil {
		t.Fatalf("DeactivateCustomer(%s, %s) error = %v, want nil", tenant, id, err)
	}
	if got.Status != customer.Inactive {
		t.Errorf("DeactivateCustomer(%s, %s) status = %q, want %q", tenant, id, got.Status, customer.Inactive)
	}
	sameCustomer(t, "GetCustomer after DeactivateCustomer", getCustomer(t, s, tenant, id), got)
	return got
}

func cancelOrder(t *testing.T, s Store, tenant, id string) order.Order {
	t.Helper()
	o, replayed, err := s.CancelOrder(t.Context(), tenant, id, "", order.Idempotency{})
	if err != nil {
		t.Fatalf("CancelOrder(%s, %s) error = %v, want nil", tenant, id, err)
	}
	if replayed {
		t.Errorf("CancelOrder(%s, %s) without a key: replayed = true, want false", tenant, id)
	}
	return o
}

// wantErr fails the test unless err matches target with errors.Is.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s error = %v, want %v", what, err, target)
	}
}

// unchanged checks that the customer still reads exactly as before.
func unchanged(t *testing.T, s Store, tenant string, before customer.Customer) {
	t.Helper()
	sameCustomer(t, "customer after a refused call", getCustomer(t, s, tenant, before.CustomerID), before)
}

// sameCustomer compares two customers field by field (PendingOrders included).
func sameCustomer(t *testing.T, what string, got, want customer.Customer) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func sameOrder(t *testing.T, what string, got, want order.Order) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

// show renders v for a failure message: JSON, plus what JSON hides (the Go types of custom
// field values, nil against empty, PendingOrders).
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	switch v := v.(type) {
	case customer.Customer:
		return fmt.Sprintf("%s\n     customFields=%#v orderIds=%#v rentalIds=%#v pendingOrders=%d",
			b, v.CustomFields, v.OrderIDs, v.RentalIDs, v.PendingOrders)
	case order.Order:
		return fmt.Sprintf("%s\n     customFields=%#v", b, v.CustomFields)
	}
	return string(b)
}

const ulidAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// checkID checks that id is prefix and a 26-character ULID.
func checkID(t *testing.T, what, id, prefix string) {
	t.Helper()
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != 26 || strings.Trim(rest, ulidAlphabet) != "" {
		t.Errorf("%s = %q, want %q and a 26-character ULID", what, id, prefix)
	}
}

// checkTimestamp checks that ts is RFC 3339 in UTC with millisecond precision.
func checkTimestamp(t *testing.T, what, ts string) {
	t.Helper()
	const layout = "2006-01-02T15:04:05.000Z"
	p, err := time.Parse(layout, ts)
	if err != nil || p.Format(layout) != ts {
		t.Errorf("%s = %q, want RFC 3339 UTC with milliseconds like %q", what, ts, layout)
	}
}

// tick waits until the millisecond clock has moved on, so that a following write must show a
// later updatedAt. It asserts nothing about timing.
func tick() { time.Sleep(3 * time.Millisecond) }

// customerIDs returns the ids of cs, in order.
func customerIDs(cs []customer.Customer) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.CustomerID
	}
	return ids
}

func orderIDs(os []order.Order) []string {
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.OrderID
	}
	return ids
}

// maxPages bounds paging loops so that a store whose cursor never ends fails instead of hanging.
const maxPages = 500

// listCustomers pages through every customer matching q (q.Limit > 0) until Next is "", and
// returns them in the order the pages held them, for the caller to compare with every match
// exactly once. It checks what docs/api.md promises of each page and no more: at most q.Limit items.
// A page may be short, or empty, while Next is not "" (the DynamoDB store ends a filtered page
// when its query budget is spent), the last page included. A cursor seen before fails at once:
// the same query from the same cursor over unchanged data is the same page, so paging would
// never end; maxPages catches any other store that does not end.
func listCustomers(t *testing.T, s Store, tenant string, q customer.ListQuery) []customer.Customer {
	t.Helper()
	var all []customer.Customer
	seen := map[string]bool{}
	for range maxPages {
		p, err := s.ListCustomers(t.Context(), tenant, q)
		if err != nil {
			t.Fatalf("ListCustomers(%s, %+v) error = %v, want nil", tenant, q, err)
		}
		if len(p.Customers) > q.Limit {
			t.Errorf("ListCustomers(%s, %+v) returned %d customers, want at most %d", tenant, q, len(p.Customers), q.Limit)
		}
		all = append(all, p.Customers...)
		if p.Next == "" {
			return all
		}
		if seen[p.Next] {
			t.Fatalf("ListCustomers(%s, %+v) returned cursor %q twice", tenant, q, p.Next)
		}
		seen[p.Next] = true
		q.After = p.Next
	}
	t.Fatalf("ListCustomers(%s, %+v) did not end after %d pages", tenant, q, maxPages)
	return nil
}

// listOrders is listCustomers for orders.
func listOrders(t *testing.T, s Store, tenant string, q order.ListQuery) []order.Order {
	t.Helper()
	var all []order.Order
	seen := map[string]bool{}
	for range maxPages {
		p, err := s.ListOrders(t.Context(), tenant, q)
		if err != nil {
			t.Fatalf("ListOrders(%s, %+v) error = %v, want nil", tenant, q, err)
		}
		if len(p.Orders) > q.Limit {
			t.Errorf("ListOrders(%s, %+v) returned %d orders, want at most %d", tenant, q, len(p.Orders), q.Limit)
		}
		all = append(all, p.Orders...)
		if p.Next == "" {
			return all
		}
		if seen[p.Next] {
			t.Fatalf("ListOrders(%s, %+v) returned cursor %q twice", tenant, q, p.Next)
		}
		seen[p.Next] = true
		q.After = p.Next
	}
	t.Fatalf("ListOrders(%s, %+v) did not end after %d pages", tenant, q, maxPages)
	return nil
}

// sameIDs fails the test unless got lists exactly want, in order.
func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func reversed[T any](s []T) []T {
	r := make([]T, len(s))
	for i, v := range s {
		r[len(s)-1-i] = v
	}
	return r
}
