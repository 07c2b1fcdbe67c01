package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var eraseTests = []test{
	{name: "RemovesPersonalData", fn: testEraseRemovesPersonalData},
	{name: "Refusals", fn: testEraseRefusals},
	{name: "RefusedWithActiveRentals", fn: testEraseActiveRentals},
	{name: "NothingLeftInTheStore", fn: testEraseRawItems},
	{name: "CrashAfterEachStep", fn: testEraseCrash},
	{name: "RacesAnOrder", fn: testEraseRacesOrder},
}

// testEraseRacesOrder: an erasure and an order for the same customer, at once, never leave an
// order of the erased customer made after its erasure began: either the order came first (it is
// pending, so the erasure is refused) or the erasure did (the order is refused with
// customer.ErrErased); an order made after the erasure finished is a new customer's.
func testEraseRacesOrder(t *testing.T, s Store) {
	for i := range 5 {
		email := fmt.Sprintf("race%d@navy.example", i)
		c := idleCustomer(t, s, tenantA, erasureInput(email))
		var (
			erased   customer.Customer
			o        order.Order
			eErr, oE error
		)
		parallel(2, func(j int) {
			if j == 0 {
				erased, eErr = s.EraseCustomer(t.Context(), tenantA, c.CustomerID)
			} else {
				o, _, oE = s.CreateOrder(t.Context(), tenantA, newInput(email), order.Idempotency{})
			}
		})
		if countUnavailable(t, eErr, oE) > 0 {
			continue // a race given up on, which writes nothing: allowed (but on NoUnavailable)
		}
		switch {
		case eErr == nil && oE == nil:
			if o.Customer.CustomerID == c.CustomerID {
				t.Errorf("race %d: an order of the erased customer %s succeeded", i, c.CustomerID)
			}
		case eErr == nil:
			if !errors.Is(oE, customer.ErrErased) {
				t.Errorf("race %d: order beside the erasure = %v, want success or %v", i, oE, customer.ErrErased)
			}
		case oE == nil:
			if !errors.Is(eErr, customer.ErrPendingOrders) {
				t.Errorf("race %d: erasure beside the order = %v, want success or %v", i, eErr, customer.ErrPendingOrders)
			}
			if got := getCustomer(t, s, tenantA, c.CustomerID); got.Erased() {
				t.Errorf("race %d: the refused erasure left the customer erasing", i)
			}
		default:
			t.Errorf("race %d: both failed: erase %v, order %v", i, eErr, oE)
		}
		if eErr == nil && erased.ErasedAt == "" {
			t.Errorf("race %d: erasure succeeded without erasedAt", i)
		}
	}
}

// ErasureProbe is what a store's test may add to the Store it hands the suite for the erasure
// tests that look behind the store's back; they skip, saying so, on a store without it.
type ErasureProbe interface {
	// RawItems returns every item the store holds for tenant (and maybe more), each as the text
	// it is stored as: a DynamoDB Scan of the table, a walk of every bucket of the bbolt file.
	RawItems(t *testing.T, tenant string) []string
	// CrashEraseAfter makes every following erasure fail with ErrCrash right after its n-th
	// committed step (n from 1), as a process that died there would; 0 stops it.
	CrashEraseAfter(n int)
}

// RentalSetter is what a store's test may add for the tests of a customer with active
// subscriptions, which no Store method makes (the rental events do); they skip without it.
type RentalSetter interface {
	// SetDevicesRented sets the customer's totalDevicesRented and nothing else.
	SetDevicesRented(t *testing.T, tenant, id string, n int64)
}

// testEraseActiveRentals: a customer with an active subscription is not erased
// (customer.ErrActiveSubscriptions, before its pending orders), and is left writable.
func testEraseActiveRentals(t *testing.T, s Store) {
	r, ok := s.(RentalSetter)
	if !ok {
		t.Skip("the store offers no RentalSetter")
	}
	c := newCustomer(t, s, tenantA, erasureInput("renter@navy.example"))
	r.SetDevicesRented(t, tenantA, c.CustomerID, 1)
	if _, err := s.EraseCustomer(t.Context(), tenantA, c.CustomerID); !errors.Is(err, customer.ErrActiveSubscriptions) {
		t.Errorf("EraseCustomer with an active subscription and a pending order = %v, want %v", err, customer.ErrActiveSubscriptions)
	}
	name := "Still"
	update(t, s, tenantA, c.CustomerID, customer.Patch{FirstName: &name}, nil)
}

// ErrCrash is the failure an ErasureProbe injects.
var ErrCrash = errors.New("storetest: injected crash")

// erasure is a customer seeded with personal data everywhere the store keeps some: its record
// (after an email change and custom fields), three orders (one with an Idempotency-Key, one
// natural, one extension; all cancelled with reasons, with notes and custom fields) and their
// records; beside it, another customer of the same tenant that the erasure must leave alone.
type erasure struct {
	id, other   string
	before      customer.Customer
	orders      []order.Order // as they were before the erasure, oldest first
	otherBefore customer.Customer
	otherOrder  order.Order
	firstInput  order.Input // the body of the first order (with its key, idemKey)
}

const (
	erasureOldEmail = "grace.old@navy.example"
	erasureEmail    = "Grace.Hopper@Navy.example"
	erasureKey      = "idem-k1"
)

// personal are the customer's data that must be found nowhere after the erasure, lower-cased
// (the stores keep folded names in their indexes).
var personal = []string{"grace", "hopper", "navy.example", "555 0100", "eckert", "harvard yard",
	"cambridgeville", "02138x", "mark i room", "arlingtown", "massachusettsia", "amazing", "secret-cf"}

func erasureAddress() customer.Address {
	return customer.Address{ContactName: "Grace Hopper", Company: "Eckert Mauchly Corp", StreetAddress: "88 Harvard Yard",
		BuildingInfo: "Mark I Room", Locality: "Arlingtown", City: "Cambridgeville", AdminArea: "Massachusettsia",
		PostalCode: "02138X", Country: "US"}
}

func erasureInput(email string) order.Input {
	in := newInput(email)
	in.Customer.FirstName, in.Customer.LastName = "Grace", "Hopper"
	in.Customer.Company, in.Customer.Phone = "Eckert Mauchly Corp", "+1 555 0100 77"
	in.BillingAddress = erasureAddress()
	ship := erasureAddress()
	ship.StreetAddress = "1 Harvard Yard West"
	in.ShippingAddress = &ship
	in.CustomFields = map[string]any{"pet": "Amazing cat", "code": "secret-cf"}
	in.Notes = "Ask for Grace at the door"
	return in
}

// seedErasure seeds an erasure in tenant.
func seedErasure(t *testing.T, s Store, tenant string) erasure {
	t.Helper()
	var e erasure
	e.firstInput = erasureInput(erasureOldEmail)
	e.firstInput.OrderType = order.Upgrade
	e.firstInput.UpgradeDetails = &order.UpgradeDetails{PreviousDevice: "Phone 9", PreviousSerialNumber: "SN-1",
		PreviousMonthlyAmount: "19.95", PreviousRentalID: "rent_1", UpgradeReason: "Grace dropped it"}
	first, _, err := s.CreateOrder(t.Context(), tenant, e.firstInput, order.Idempotency{Key: erasureKey, RequestHash: e.firstInput.Hash()})
	if err != nil {
		t.Fatalf("CreateOrder with a key: %v", err)
	}
	e.id = first.Customer.CustomerID
	second := createOrder(t, s, tenant, erasureInput(erasureOldEmail))
	email, nick := erasureEmail, "Amazing Grace"
	if _, err := s.UpdateCustomer(t.Context(), tenant, e.id, customer.Patch{Email: &email,
		Phone: set("+1 555 0100 99"), CustomFields: map[string]any{"nick": nick}}, nil); err != nil {
		t.Fatalf("UpdateCustomer: %v", err)
	}
	ext := erasureInput(erasureEmail)
	ext.OrderType = order.Extension
	ext.ExtensionDetails = &order.ExtensionDetails{OriginalOrderID: first.OrderID, ExtensionMonths: 6,
		PreviousEndDate: "2027-01-01", NewEndDate: "2027-07-01", Reason: "Grace asked"}
	third := createOrder(t, s, tenant, ext)
	for _, o := range []order.Order{first, second, third} {
		if _, _, err := s.CancelOrder(t.Context(), tenant, o.OrderID, "Grace Hopper changed her mind", order.Idempotency{RequestHash: order.CancelHash("Grace Hopper changed her mind")}); err != nil {
			t.Fatalf("CancelOrder(%s): %v", o.OrderID, err)
		}
		e.orders = append(e.orders, getOrder(t, s, tenant, o.OrderID))
	}
	e.before = getCustomer(t, s, tenant, e.id)

	e.otherOrder = createOrder(t, s, tenant, fullInput("alan@example.com"))
	e.other = e.otherOrder.Customer.CustomerID
	e.otherBefore = getCustomer(t, s, tenant, e.other)
	return e
}

// erase erases the customer of e and fails the test on an error.
func erase(t *testing.T, s Store, tenant, id string) customer.Customer {
	t.Helper()
	c, err := s.EraseCustomer(t.Context(), tenant, id)
	if err != nil {
		t.Fatalf("EraseCustomer(%s, %s) error = %v, want nil", tenant, id, err)
	}
	sameCustomer(t, "GetCustomer after EraseCustomer", getCustomer(t, s, tenant, id), c)
	return c
}

// checkErased checks that the customer of e and its orders are erased, exactly as
// customer.Erase and order.Erase say, and that the other customer is as it was.
func checkErased(t *testing.T, s Store, tenant string, e erasure, got customer.Customer) {
	t.Helper()
	if got.ErasedAt == "" {
		t.Fatalf("erased customer has no erasedAt: %s", show(got))
	}
	checkTimestamp(t, "erasedAt", got.ErasedAt)
	want := customer.Erase(e.before, timeOf(t, got.ErasedAt))
	want.PendingOrders = got.PendingOrders
	sameCustomer(t, "erased customer", got, want)
	if got.Email != "erased+"+e.id+"@erased.invalid" || got.FirstName != "erased" || got.Status != customer.Inactive ||
		got.Company != "" || got.Phone != "" || len(got.CustomFields) != 0 || got.LastBillingAddress.Country != "US" {
		t.Errorf("erased customer = %s, want the placeholders of docs/api.md", show(got))
	}
	if got.TotalOrders != 3 || len(got.OrderIDs) != 3 || got.Version != e.before.Version+1 {
		t.Errorf("erased customer: totalOrders %d, orderIds %v, version %d; want 3, 3 ids, %d",
			got.TotalOrders, got.OrderIDs, got.Version, e.before.Version+1)
	}
	page, err := s.ListOrders(t.Context(), tenant, order.ListQuery{CustomerID: e.id, Limit: 10})
	if err != nil {
		t.Fatalf("ListOrders(customerId) after erasure: %v", err)
	}
	if len(page.Orders) != len(e.orders) {
		t.Fatalf("ListOrders(customerId) after erasure = %d orders, want %d", len(page.Orders), len(e.orders))
	}
	for i, o := range e.orders {
		w := order.Erase(o)
		sameOrder(t, "listed order after erasure", page.Orders[i], w)
		sameOrder(t, "GetOrder after erasure", getOrder(t, s, tenant, o.OrderID), w)
	}
	sameCustomer(t, "the other customer", getCustomer(t, s, tenant, e.other), e.otherBefore)
	sameOrder(t, "the other customer's order", getOrder(t, s, tenant, e.otherOrder.OrderID), e.otherOrder)
}

// checkRefused checks that every write to the customer of e is refused with customer.ErrErased.
func checkRefused(t *testing.T, s Store, tenant string, e erasure, email string) {
	t.Helper()
	name, active := "Someone", customer.Active
	if _, err := s.UpdateCustomer(t.Context(), tenant, e.id, customer.Patch{FirstName: &name}, nil); !errors.Is(err, customer.ErrErased) {
		t.Errorf("UpdateCustomer of an erased customer = %v, want %v", err, customer.ErrErased)
	}
	if _, err := s.UpdateCustomer(t.Context(), tenant, e.id, customer.Patch{Status: &active}, nil); !errors.Is(err, customer.ErrErased) {
		t.Errorf("reactivation of an erased customer = %v, want %v", err, customer.ErrErased)
	}
	if _, _, err := s.CreateOrder(t.Context(), tenant, newInput(email), order.Idempotency{}); !errors.Is(err, customer.ErrErased) {
		t.Errorf("CreateOrder for %s, an erased customer = %v, want %v", email, err, customer.ErrErased)
	}
}

// testEraseRemovesPersonalData: erasure leaves placeholders in the customer and every order
// (ids, counts, statuses, items and timestamps staying), frees the email, refuses every write,
// answers again, and deletes the idempotency records: the key no longer replays.
func testEraseRemovesPersonalData(t *testing.T, s Store) {
	e := seedErasure(t, s, tenantA)
	got := erase(t, s, tenantA, e.id)
	checkErased(t, s, tenantA, e, got)
	checkRefused(t, s, tenantA, e, got.Email)
	if c, err := s.DeactivateCustomer(t.Context(), tenantA, e.id, nil); err != nil || c.Version != got.Version {
		t.Errorf("DeactivateCustomer of an erased customer = version %d, %v; want it as it is", c.Version, err)
	}
	sameCustomer(t, "EraseCustomer again", erase(t, s, tenantA, e.id), got)

	// The key's record is gone: the same request makes a new order, for a new customer, since
	// the email is free.
	o, replayed, err := s.CreateOrder(t.Context(), tenantA, e.firstInput, order.Idempotency{Key: erasureKey, RequestHash: e.firstInput.Hash()})
	if err != nil || replayed || o.OrderID == e.orders[0].OrderID || o.Customer.CustomerID == e.id {
		t.Errorf("CreateOrder with the erased order's key = %s of %s, replayed %v, %v; want a new order of a new customer",
			o.OrderID, o.Customer.CustomerID, replayed, err)
	}
	for _, email := range []string{erasureEmail, "grace.hopper@navy.example"} {
		n := createOrder(t, s, tenantA, newInput(email))
		if n.Customer.CustomerID == e.id {
			t.Errorf("CreateOrder for %s, the erased customer's email, found the erased customer", email)
		}
	}
}

// testEraseRefusals: erasure is refused like DELETE, and the refused customer is left as it
// was, writable; an unknown customer is not found.
func testEraseRefusals(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, erasureInput("pending@navy.example"))
	if _, err := s.EraseCustomer(t.Context(), tenantA, c.CustomerID); !errors.Is(err, customer.ErrPendingOrders) {
		t.Errorf("EraseCustomer with a pending order = %v, want %v", err, customer.ErrPendingOrders)
	}
	sameCustomer(t, "customer after a refused erasure", getCustomer(t, s, tenantA, c.CustomerID), c)
	name := "Still"
	update(t, s, tenantA, c.CustomerID, customer.Patch{FirstName: &name}, nil)
	if _, err := s.EraseCustomer(t.Context(), tenantA, "cust_01JAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, customer.ErrNotFound) {
		t.Errorf("EraseCustomer of an unknown customer = %v, want %v", err, customer.ErrNotFound)
	}
	if _, err := s.EraseCustomer(t.Context(), tenantB, c.CustomerID); !errors.Is(err, customer.ErrNotFound) {
		t.Errorf("EraseCustomer of another tenant's customer = %v, want %v", err, customer.ErrNotFound)
	}
}

// checkNothingLeft walks every item the store holds for tenant and fails on any personal datum
// of the erasure; the ids must still be there.
func checkNothingLeft(t *testing.T, p ErasureProbe, tenant string, e erasure) {
	t.Helper()
	items := p.RawItems(t, tenant)
	all := strings.ToLower(strings.Join(items, "\n"))
	for _, item := range items {
		low := strings.ToLower(item)
		for _, datum := range personal {
			if strings.Contains(low, datum) {
				t.Errorf("after erasure, %q is still in the store, in the item %s", datum, item)
			}
		}
	}
	for _, id := range append([]string{e.id}, e.before.OrderIDs...) {
		if !strings.Contains(all, strings.ToLower(id)) {
			t.Errorf("after erasure, the id %s is nowhere in the store", id)
		}
	}
	if !strings.Contains(all, "alan@example.com") {
		t.Errorf("after erasure, the other customer's email is gone from the store")
	}
}

// testEraseRawItems: after erasure no item of the tenant holds a personal datum of the customer
// (the seed put them in its record, its orders, their idempotency and fingerprint records, the
// email reservations and the list indexes).
func testEraseRawItems(t *testing.T, s Store) {
	p, ok := s.(ErasureProbe)
	if !ok {
		t.Skip("the store offers no ErasureProbe")
	}
	e := seedErasure(t, s, tenantA)
	before := strings.ToLower(strings.Join(p.RawItems(t, tenantA), "\n"))
	for _, datum := range personal {
		if !strings.Contains(before, datum) {
			t.Fatalf("before erasure, %q is not in the store: the probe or the seed is wrong", datum)
		}
	}
	erase(t, s, tenantA, e.id)
	checkNothingLeft(t, p, tenantA, e)
}

// testEraseCrash: an erasure that dies after any one of its steps leaves a customer that
// refuses every write and shows no order with personal data behind an erased record; erasing
// again ends in the state an erasure without a crash ends in.
func testEraseCrash(t *testing.T, s Store) {
	p, ok := s.(ErasureProbe)
	if !ok {
		t.Skip("the store offers no ErasureProbe")
	}
	steps := 0
	for n := 1; ; n++ {
		tenant := fmt.Sprintf("crash%d", n)
		e := seedErasure(t, s, tenant)
		p.CrashEraseAfter(n)
		_, err := s.EraseCustomer(t.Context(), tenant, e.id)
		p.CrashEraseAfter(0)
		if err == nil {
			break // n is past the last step
		}
		if !errors.Is(err, ErrCrash) {
			t.Fatalf("EraseCustomer crashing after step %d = %v, want %v", n, err, ErrCrash)
		}
		steps = n
		cur := getCustomer(t, s, tenant, e.id)
		if cur.ErasedAt != "" {
			for _, o := range e.orders {
				if got := getOrder(t, s, tenant, o.OrderID); !order.Erased(got) {
					t.Errorf("crash after step %d: order %s has personal data behind an erased customer", n, o.OrderID)
				}
			}
		}
		checkRefused(t, s, tenant, e, cur.Email)
		checkErased(t, s, tenant, e, erase(t, s, tenant, e.id))
		checkNothingLeft(t, p, tenant, e)
	}
	if steps < 3 {
		t.Errorf("an erasure crashed after at most %d steps, want at least 3 (mark, orders, record)", steps)
	}
}

// timeOf parses a timestamp of the API.
func timeOf(t *testing.T, ts string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	return at
}
