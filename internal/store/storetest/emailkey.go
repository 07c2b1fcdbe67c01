package storetest

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// emailKeyTests hold the stores to customer.EmailKey for uniqueness, find-by-email and the email
// filter (docs/api.md, Text): an IDN domain and its punycode are one address, ß and ss fold alike, İ
// and i do not, NFC and NFD are one address and the parser stores the composed one. (U+212A is
// refused by the parser, customer.ParseEmail, before a store sees it.)
var emailKeyTests = []test{
	{name: "PunycodeDomain", fn: testEmailKeyPunycode},
	{name: "CaseFolding", fn: testEmailKeyFolding},
	{name: "Normalization", fn: testEmailKeyNFC},
}

// foundByEmail checks that an order for each email finds c, and the email filter too.
func foundByEmail(t *testing.T, s Store, c customer.Customer, emails ...string) {
	t.Helper()
	for _, e := range emails {
		if o := createOrder(t, s, tenantA, newInput(e)); o.Customer.CustomerID != c.CustomerID {
			t.Errorf("order for %q went to %s, want %s (%q)", e, o.Customer.CustomerID, c.CustomerID, c.Email)
		}
		got := listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10, Email: e})
		if len(got) != 1 || got[0].CustomerID != c.CustomerID {
			t.Errorf("ListCustomers(email %q) = %d customers, want only %s (%q)", e, len(got), c.CustomerID, c.Email)
		}
	}
}

// testEmailKeyPunycode: bücher.de and xn--bcher-kva.de are one domain, in any case.
func testEmailKeyPunycode(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("ann@bücher.de"))
	foundByEmail(t, s, c, "ann@xn--bcher-kva.de", "Ann@XN--BCHER-KVA.DE", "ANN@BÜCHER.DE")
	other := newCustomer(t, s, tenantA, newInput("bob@example.com"))
	_, err := s.UpdateCustomer(t.Context(), tenantA, other.CustomerID, customer.Patch{Email: ptr("ann@xn--bcher-kva.de")}, nil)
	wantErr(t, "UpdateCustomer to the punycode of another's email", err, customer.ErrEmailExists)
	unchanged(t, s, tenantA, other)
	// The customer's own email in the other form is no conflict, and is stored as given.
	got := update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("ann@xn--bcher-kva.de")}, nil)
	if got.Email != "ann@xn--bcher-kva.de" {
		t.Errorf("email = %q, want %q", got.Email, "ann@xn--bcher-kva.de")
	}
	foundByEmail(t, s, got, "ann@bücher.de")
	if n := len(listCustomers(t, s, tenantA, customer.ListQuery{Limit: 10})); n != 2 {
		t.Errorf("customers = %d, want 2", n)
	}
}

// testEmailKeyFolding: full case folding, so ß and ss are one local part; İ and i are not.
func testEmailKeyFolding(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("Straße@example.com"))
	foundByEmail(t, s, c, "STRASSE@example.com", "strasse@example.com", "STRAẞE@example.com")
	dotted := newCustomer(t, s, tenantA, newInput("İnci@example.com"))
	plain := newCustomer(t, s, tenantA, newInput("inci@example.com"))
	if dotted.CustomerID == plain.CustomerID {
		t.Errorf("İnci@ and inci@ are one customer %s, want two", dotted.CustomerID)
	}
	other := newCustomer(t, s, tenantA, newInput("x@example.com"))
	_, err := s.UpdateCustomer(t.Context(), tenantA, other.CustomerID, customer.Patch{Email: ptr("strasse@EXAMPLE.com")}, nil)
	wantErr(t, "UpdateCustomer to the folded form of another's email", err, customer.ErrEmailExists)
	unchanged(t, s, tenantA, other)
}

// testEmailKeyNFC: a decomposed é is the composed one; the parser composes it, so the customer
// keeps the composed form.
func testEmailKeyNFC(t *testing.T, s Store) {
	const composed, decomposed = "ren\u00e9@example.com", "rene\u0301@example.com"
	body := `{"customer":{"email":"` + decomposed + `","firstName":"René","lastName":"Ng"},` +
		`"billingAddress":{"contactName":"René","streetAddress":"1 Rue","city":"Paris","country":"FR"},` +
		`"items":[{"sku":"A","quantity":1,"contractLength":12}]}`
	in, err := order.ParseInput([]byte(body), customer.Lenient)
	if err != nil {
		t.Fatalf("ParseInput: %v", err)
	}
	c := newCustomer(t, s, tenantA, in)
	if c.Email != composed {
		t.Errorf("email = %q, want it composed, %q", c.Email, composed)
	}
	// A store sees the key, whatever form it is given.
	foundByEmail(t, s, c, composed, decomposed, "REN\u00c9@example.com")
}

// LegacyEmails is what a store's test adds to the Store it hands the suite so that the suite
// can test the migration of email reservations made under the key before customer.EmailKey
// (strings.ToLower of the email): the store's own MigrateEmailKeys, data as an earlier version
// wrote it, and a view of the reservations. The test skips, saying so, on a store without it.
type LegacyEmails interface {
	// MigrateEmailKeys rebuilds every reservation under customer.EmailKey and reports customers
	// whose keys now collide, leaving them alone; a second run changes nothing.
	MigrateEmailKeys(ctx context.Context) (customer.EmailKeyReport, error)
	// PutLegacyCustomer writes c and the reservation of its email under strings.ToLower(c.Email),
	// behind the store's back, as an earlier version did, failing t when it cannot.
	PutLegacyCustomer(t *testing.T, c customer.Customer)
	// EmailReservations returns the tenant's email reservations, key → customer id.
	EmailReservations(t *testing.T, tenant string) map[string]string
}

var emailKeyMigrationTests = []test{
	{name: "RebuildsReservations", fn: testMigrateEmailKeys},
}

// testMigrateEmailKeys: reservations made under the old key are rebuilt under EmailKey;
// customers whose keys now collide are reported and left alone; a second run changes nothing.
func testMigrateEmailKeys(t *testing.T, s Store) {
	m, ok := s.(LegacyEmails)
	if !ok {
		t.Skip("the store under test cannot write data as an earlier version did (storetest.LegacyEmails)")
	}
	now := time.Now()
	legacy := func(tenant, email string) customer.Customer {
		t.Helper()
		now = now.Add(time.Millisecond)
		c := customer.Customer{
			CustomerID: customer.NewID(now), TenantID: tenant, Email: email, FirstName: "Old", LastName: "Data",
			CustomerType: customer.Individual, Status: customer.Active, CustomFields: map[string]any{},
			OrderIDs: []string{}, RentalIDs: []string{}, CreatedAt: customer.Timestamp(now), UpdatedAt: customer.Timestamp(now), Version: 1,
		}
		m.PutLegacyCustomer(t, c)
		return c
	}
	idn := legacy(tenantA, "Ann@Bücher.de")          // moves: ann@bücher.de → ann@xn--bcher-kva.de
	sharp := legacy(tenantA, "Straße@example.com")   // straße@… and
	double := legacy(tenantA, "STRASSE@example.com") // strasse@… now collide
	ascii := legacy(tenantA, "bob@example.com")      // unchanged
	nfd := legacy(tenantA, "Rene\u0301@example.com") // moves: to the composed key
	otherTenant := legacy(tenantB, "Ann@Bücher.de")  // moves, in its own tenant
	before := map[string]map[string]string{tenantA: m.EmailReservations(t, tenantA), tenantB: m.EmailReservations(t, tenantB)}
	if want := strings.ToLower(idn.Email); before[tenantA][want] != idn.CustomerID {
		t.Fatalf("legacy reservations of %s = %v, want %s under %q", tenantA, before[tenantA], idn.CustomerID, want)
	}

	wantA := map[string]string{
		"ann@xn--bcher-kva.de":  idn.CustomerID,
		"straße@example.com":    sharp.CustomerID,
		"strasse@example.com":   double.CustomerID,
		"bob@example.com":       ascii.CustomerID,
		"ren\u00e9@example.com": nfd.CustomerID,
	}
	wantB := map[string]string{"ann@xn--bcher-kva.de": otherTenant.CustomerID}
	collision := customer.EmailKeyCollision{Tenant: tenantA, Key: "strasse@example.com",
		CustomerIDs: slices.Sorted(slices.Values([]string{sharp.CustomerID, double.CustomerID}))}
	check := func(run string, rep customer.EmailKeyReport, want customer.EmailKeyReport) {
		t.Helper()
		if !reflect.DeepEqual(rep, want) {
			t.Errorf("%s: MigrateEmailKeys = %+v, want %+v", run, rep, want)
		}
		if got := m.EmailReservations(t, tenantA); !maps.Equal(got, wantA) {
			t.Errorf("%s: reservations of %s = %v, want %v", run, tenantA, got, wantA)
		}
		if got := m.EmailReservations(t, tenantB); !maps.Equal(got, wantB) {
			t.Errorf("%s: reservations of %s = %v, want %v", run, tenantB, got, wantB)
		}
	}
	rep, err := m.MigrateEmailKeys(t.Context())
	if err != nil {
		t.Fatalf("MigrateEmailKeys: %v", err)
	}
	check("first run", rep, customer.EmailKeyReport{Customers: 6, Moved: 3, Unchanged: 1, Collisions: []customer.EmailKeyCollision{collision}})
	rep, err = m.MigrateEmailKeys(t.Context())
	if err != nil {
		t.Fatalf("MigrateEmailKeys again: %v", err)
	}
	check("second run", rep, customer.EmailKeyReport{Customers: 6, Unchanged: 4, Collisions: []customer.EmailKeyCollision{collision}})

	// The customers are found by their new keys, and no customer was changed.
	for _, c := range []customer.Customer{idn, sharp, double, ascii, nfd} {
		if got := getCustomer(t, s, tenantA, c.CustomerID); got.Email != c.Email || got.Version != c.Version {
			t.Errorf("customer %s after the migration: email %q version %d, want %q %d", c.CustomerID, got.Email, got.Version, c.Email, c.Version)
		}
	}
	for email, want := range map[string]customer.Customer{"ann@bücher.de": idn, "ANN@xn--bcher-kva.de": idn, "ren\u00e9@example.com": nfd, "Bob@Example.com": ascii} {
		if o := createOrder(t, s, tenantA, newInput(email)); o.Customer.CustomerID != want.CustomerID {
			t.Errorf("order for %q after the migration went to %s, want %s (%q)", email, o.Customer.CustomerID, want.CustomerID, want.Email)
		}
	}
	if o := createOrder(t, s, tenantB, newInput("ann@xn--bcher-kva.de")); o.Customer.CustomerID != otherTenant.CustomerID {
		t.Errorf("order in %s after the migration went to %s, want %s", tenantB, o.Customer.CustomerID, otherTenant.CustomerID)
	}
}
