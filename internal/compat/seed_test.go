package compat_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The seed is one store, made once through the HTTP API and copied for each test, so that every
// example runs on the same records and none sees another's changes. It holds more records than
// one page of every list FlexPortal's pages show (limits 50 and 100), so that paging loops turn.
const (
	seedCustomers = 110 // customer000@example.com ...; every third a business
	// Every second customer also has a cancelled order; every fifth is deactivated (its pending
	// order cancelled first).
)

// seedCustomer and seedOrder are what the suite knows of the records it made, to say what each
// list must answer.
type seedCustomer struct {
	id, email, customerType, status string
}

type seedOrder struct {
	id, customerID, status string
}

// seedModel is the seed's records.
type seedModel struct {
	customers []seedCustomer
	orders    []seedOrder
	// john is FlexPortal's example customer (john@example.com, individual, active), with one
	// pending order, johnOrder: the {customerId} and {orderId} of the examples.
	john      seedCustomer
	johnOrder string
	// inactive is a deactivated customer; cancelled an order of another customer, cancelled;
	// otherOrder an order of otherTenant.
	inactive   seedCustomer
	cancelled  string
	otherOrder string
	otherCust  string
}

var (
	seedFile string // the seeded store file, closed
	seed     seedModel
)

// fatalTB is the tb of seeding: Fatal panics, and TestMain reports it.
type fatalTB struct{ cleanups []func() }

func (*fatalTB) Helper()                        {}
func (*fatalTB) Fatal(args ...any)              { panic(fmt.Sprint(args...)) }
func (*fatalTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (*fatalTB) Errorf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (f *fatalTB) Cleanup(fn func())            { f.cleanups = append(f.cleanups, fn) }
func (f *fatalTB) close() {
	for _, fn := range slices.Backward(f.cleanups) {
		fn()
	}
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "compat-seed-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() (code int) {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintln(os.Stderr, "seed the store:", r)
				code = 1
			}
		}()
		seedFile = filepath.Join(dir, "seed.db")
		if err := installKeys(seedFile); err != nil {
			panic(err)
		}
		f := &fatalTB{}
		seed = makeSeed(f, serve(f, seedFile))
		f.close() // the store is closed, its file complete, before any copy
		return m.Run()
	}()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// fresh serves a copy of the seed for t alone.
func fresh(t *testing.T) *server {
	t.Helper()
	file := filepath.Join(t.TempDir(), "store.db")
	if err := copyFile(seedFile, file); err != nil {
		t.Fatal(err)
	}
	return serve(t, file)
}

var firstNames = []string{"Emma", "liam", "Sophie", "Noah", "Julia", "Daan", "Zoë", "Lucas", "anna", "Finn", "Mila"}
var lastNames = []string{"de Vries", "Jansen", "Bakker", "visser", "Smit", "Meijer", "Mulder", "de Boer"}

// seedOrderBody is an order of one line (its own sku, so that no two seed orders are one by
// natural idempotency) for a customer.
func seedOrderBody(email, first, last, customerType, sku string) map[string]any {
	c := map[string]any{"email": email, "firstName": first, "lastName": last, "customerType": customerType}
	if customerType == "business" {
		c["company"] = last + " B.V."
	}
	return map[string]any{
		"customer": c,
		"billingAddress": map[string]any{"contactName": first + " " + last, "streetAddress": "Damrak 1",
			"city": "Amsterdam", "postalCode": "1012 LG", "country": "Netherlands"},
		"items": []any{map[string]any{"sku": sku, "quantity": 1 + len(sku)%3, "contractLength": 12}},
	}
}

func makeSeed(t tb, srv *server) seedModel {
	var m seedModel
	order := func(key, tnt string, body map[string]any) (orderID, customerID string) {
		t.Helper()
		r := srv.do(t, request{method: "POST", path: "/v1/orders", body: jsonBody(t, body),
			header: withAuth(key, tnt, jsonHeader)})
		b := r.must(t, 201)
		return str(b, "orderId"), str(b, "order", "customer", "customerId")
	}
	cancel := func(id string) {
		t.Helper()
		srv.do(t, request{method: "POST", path: "/v1/orders/" + id + "/cancel"}).must(t, 200)
	}
	for i := range seedCustomers {
		email := fmt.Sprintf("customer%03d@example.com", i)
		typ := "individual"
		if i%3 == 0 {
			typ = "business"
		}
		first, last := firstNames[i%len(firstNames)], lastNames[i%len(lastNames)]
		oid, cid := order(keyAll, tenant, seedOrderBody(email, first, last, typ, fmt.Sprintf("SEED-%03d", i)))
		c := seedCustomer{id: cid, email: email, customerType: typ, status: "active"}
		pending := seedOrder{id: oid, customerID: cid, status: "pending"}
		if i%2 == 1 {
			id, _ := order(keyAll, tenant, seedOrderBody(email, first, last, typ, fmt.Sprintf("SEED-%03d-B", i)))
			cancel(id)
			m.orders = append(m.orders, seedOrder{id: id, customerID: cid, status: "cancelled"})
			m.cancelled = id
		}
		if i%5 == 4 {
			cancel(oid)
			pending.status = "cancelled"
			srv.do(t, request{method: "DELETE", path: "/v1/customers/" + cid}).must(t, 200)
			c.status = "inactive"
			m.inactive = c
		}
		m.orders = append(m.orders, pending)
		m.customers = append(m.customers, c)
	}
	oid, cid := order(keyAll, tenant, seedOrderBody("john@example.com", "John", "Smith", "individual", "SEED-JOHN"))
	m.john = seedCustomer{id: cid, email: "john@example.com", customerType: "individual", status: "active"}
	m.johnOrder = oid
	m.customers = append(m.customers, m.john)
	m.orders = append(m.orders, seedOrder{id: oid, customerID: cid, status: "pending"})
	m.otherOrder, m.otherCust = order(keyOther, otherTenant, seedOrderBody("other@example.com", "Olga", "Other", "individual", "SEED-OTHER"))
	return m
}

// withAuth returns h (copied) with the Authorization of key and the Tenant-ID tnt; "" leaves a
// header out.
func withAuth(key, tnt string, h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	out["Authorization"] = nil
	out["Tenant-Id"] = nil
	if key != "" {
		out.Set("Authorization", "Bearer "+key)
	}
	if tnt != "" {
		out.Set("Tenant-ID", tnt)
	}
	return out
}

// customersMatching returns the ids of the seed's customers a list with query q answers, or an
// error naming a parameter this model does not know (extend it with the example that needs it).
func (m seedModel) customersMatching(q url.Values) ([]string, error) {
	var out []string
	for k := range q {
		switch k {
		case "status", "customerType", "email", "hasActiveRentals", "sortBy", "sortDir", "limit":
		default:
			return nil, fmt.Errorf("the seed model has no rule for customer list parameter %q", k)
		}
	}
	status := q.Get("status")
	if status == "" {
		status = "active"
	}
	for _, c := range m.customers {
		switch {
		case status != "all" && c.status != status,
			q.Has("customerType") && c.customerType != q.Get("customerType"),
			q.Has("email") && c.email != q.Get("email"),
			// No customer of the seed has a subscription: subscriptions come from FlexPortal's
			// events, not from any request of these pages.
			q.Get("hasActiveRentals") == "true":
			continue
		}
		out = append(out, c.id)
	}
	return out, nil
}

// ordersMatching is customersMatching for the order list.
func (m seedModel) ordersMatching(q url.Values) ([]string, error) {
	var out []string
	for k := range q {
		switch k {
		case "status", "customerId", "sortBy", "sortDir", "limit":
		default:
			return nil, fmt.Errorf("the seed model has no rule for order list parameter %q", k)
		}
	}
	for _, o := range m.orders {
		switch {
		case q.Has("status") && q.Get("status") != "all" && o.status != q.Get("status"),
			q.Has("customerId") && o.customerID != q.Get("customerId"):
			continue
		}
		out = append(out, o.id)
	}
	return out, nil
}
