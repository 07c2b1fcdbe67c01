package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

var sortTests = []test{
	{name: "CustomersEachSort", fn: testCustomerSorts},
	{name: "CustomerFilters", fn: testCustomerSortFilters},
	{name: "CustomersPagedWhileOthersChange", fn: testCustomersPagedWhileOthersChange},
	{name: "CustomerMovedWhilePaging", fn: testCustomerMovedWhilePaging},
	{name: "OrdersEachSort", fn: testOrderSorts},
	{name: "OrdersPagedWhileOthersChange", fn: testOrdersPagedWhileOthersChange},
}

// converge is how long a list test waits for a store's lists to show its writes. DynamoDB's
// indexes are eventually consistent (a GSI follows the table "within a second" as a rule), so a
// list right after a write may not show it yet; the tests wait, boundedly, instead of assuming
// it does.
const converge = 2 * time.Second

// eventually runs check until it returns nil or converge has passed, and then fails the test with
// its last error.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(converge)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Error(err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageShape is what paging saw: the items of each page, in order.
type pageShape [][]string

func (p pageShape) ids() []string { return slices.Concat(p...) }

// String shows the pages' sizes, not their items (a failure message names the items it means).
func (p pageShape) String() string {
	sizes := make([]int, len(p))
	for i, pg := range p {
		sizes[i] = len(pg)
	}
	return fmt.Sprintf("%d pages of %v items", len(p), sizes)
}

// atMost returns f wrapped to run at most n times: the changes made between the pages of one
// paging, which must not grow the list faster than paging reads it.
func atMost(n int, f func()) func() {
	return func() {
		if n > 0 {
			n--
			f()
		}
	}
}

// strict checks the paging of a list served by one index (docs/indexes.md): Next is "" exactly
// when there is no more, so the last page is empty only when the whole list is; and since such
// a page reads one item more than it holds, every page but the last is full.
func (p pageShape) strict(limit int) error {
	for i, pg := range p {
		switch last := i == len(p)-1; {
		case !last && len(pg) != limit:
			return fmt.Errorf("page %d holds %d items before the end, want %d (%v)", i+1, len(pg), limit, p)
		case last && len(pg) == 0 && len(p) > 1:
			return fmt.Errorf("the last page is empty after a page with a cursor, want the cursor left out there (%v)", p)
		}
	}
	return nil
}

// pageCustomers pages through q until Next is "", calling between (if not nil) after every page
// that has a successor, and checks what every list promises (see pageAll). It returns the pages'
// ids and every customer listed.
func pageCustomers(ctx context.Context, s Store, tenant string, q customer.ListQuery, between func()) (pageShape, []customer.Customer, error) {
	return pageAll(fmt.Sprintf("ListCustomers(%+v)", q), q.Limit, q.After, func(after string) ([]customer.Customer, string, error) {
		q.After = after
		p, err := s.ListCustomers(ctx, tenant, q)
		return p.Customers, p.Next, err
	}, customerIDs, between)
}

// pageOrders is pageCustomers for orders.
func pageOrders(ctx context.Context, s Store, tenant string, q order.ListQuery, between func()) (pageShape, []order.Order, error) {
	return pageAll(fmt.Sprintf("ListOrders(%+v)", q), q.Limit, q.After, func(after string) ([]order.Order, string, error) {
		q.After = after
		p, err := s.ListOrders(ctx, tenant, q)
		return p.Orders, p.Next, err
	}, orderIDs, between)
}

// pageAll calls fetch with each page's cursor (after first) until it answers no next cursor, calling
// between after every page that has a successor, and checks what every list promises: at most
// limit items a page, no cursor twice, an end within maxPages.
func pageAll[T any](what string, limit int, after string, fetch func(after string) ([]T, string, error), ids func([]T) []string, between func()) (pageShape, []T, error) {
	var (
		pages  pageShape
		listed []T
	)
	seen := map[string]bool{}
	for range maxPages {
		items, next, err := fetch(after)
		if err != nil {
			return nil, nil, fmt.Errorf("%s after %q: error = %w", what, after, err)
		}
		if len(items) > limit {
			return nil, nil, fmt.Errorf("%s after %q returned %d items, want at most %d", what, after, len(items), limit)
		}
		pages = append(pages, ids(items))
		listed = append(listed, items...)
		if next == "" {
			return pages, listed, nil
		}
		if seen[next] {
			return nil, nil, fmt.Errorf("%s returned cursor %q twice", what, next)
		}
		seen[next] = true
		after = next
		if between != nil {
			between()
		}
	}
	return nil, nil, fmt.Errorf("%s did not end after %d pages", what, maxPages)
}

// sameList is sameIDs as an error, for eventually.
func sameList(what string, got, want []string) error {
	if len(got) == 0 && len(want) == 0 || slices.Equal(got, want) {
		return nil
	}
	return fmt.Errorf("%s = %v, want %v", what, got, want)
}

// oneIndexCustomers reports whether docs/indexes.md serves q from one index holding exactly
// its items (strict paging): all but a type or rentals filter with another sort, or both filters.
func oneIndexCustomers(q customer.ListQuery) bool {
	return q.Type == "" && q.HasActiveRentals == nil ||
		!q.Sorted() && (q.Type == "" || q.HasActiveRentals == nil)
}

// sortCase is a customer of the sort tests: created in order, so that ties go by this order.
type sortCase struct {
	first, last, email string
	typ                customer.Type
	inactive           bool
}

// sortCases are named to test case-insensitive order, full case folding (ß is ss), ties by
// creation and a value before its own extensions. Their orders, ascending, are below.
var sortCases = []sortCase{
	{"bea", "Young", "b@example.com", customer.Individual, false},        // 0
	{"Ann", "young", "A@example.com", customer.Business, false},          // 1
	{"ANNA", "Zed", "c@example.com", customer.Individual, true},          // 2
	{"ann", "Adams", "a+1@example.com", customer.Business, false},        // 3
	{"Émile", "ADAMS", "D@example.com", customer.Individual, true},       // 4: é sorts after z (byte order)
	{"Straße", "strasse", "e@example.com", customer.Business, false},     // 5
	{"STRASSE", "Strauss", "E2@example.com", customer.Individual, false}, // 6: e2@ before e@ ('2' < '@')
}

// sortWant is the ascending order of sortCases in each sort, by index.
var sortWant = map[customer.Sort][]int{
	customer.ByCreatedAt:      {0, 1, 2, 3, 4, 5, 6},
	customer.ByFirstName:      {1, 3, 2, 0, 5, 6, 4}, // ann, ann (ties by creation), anna, bea, strasse, strasse, émile
	customer.ByLastName:       {3, 4, 5, 6, 0, 1, 2}, // adams, adams, strasse, strauss, young, young, zed
	customer.ByEmail:          {3, 1, 0, 2, 4, 6, 5}, // a+1@, a@, b@, c@, d@, e2@, e@
	customer.ByMonthlyRevenue: {0, 1, 2, 3, 4, 5, 6}, // all 0: by creation
	customer.ByDevicesRented:  {0, 1, 2, 3, 4, 5, 6},
}

// seedSortCases creates sortCases in order (the inactive ones deactivated) and returns their ids.
func seedSortCases(t *testing.T, s Store, tenant string) []string {
	t.Helper()
	ids := make([]string, len(sortCases))
	for i, sc := range sortCases {
		in := newInput(sc.email)
		in.Customer.FirstName, in.Customer.LastName, in.Customer.CustomerType = sc.first, sc.last, sc.typ
		if sc.inactive {
			ids[i] = idleCustomer(t, s, tenant, in).CustomerID
			deactivate(t, s, tenant, ids[i], nil)
		} else {
			ids[i] = createOrder(t, s, tenant, in).Customer.CustomerID
		}
	}
	return ids
}

// wantCustomers is the expected list of q over sortCases with ids: the sort's order (reversed,
// ties included, when descending), kept to those that match q's filters.
func wantCustomers(ids []string, q customer.ListQuery) []string {
	sort := q.SortBy
	if sort == "" {
		sort = customer.ByCreatedAt
	}
	var out []string
	for _, i := range sortWant[sort] {
		sc := sortCases[i]
		c := customer.Customer{Status: customer.Active, CustomerType: sc.typ}
		if sc.inactive {
			c.Status = customer.Inactive
		}
		if q.Matches(c) {
			out = append(out, ids[i])
		}
	}
	if q.Desc {
		slices.Reverse(out)
	}
	return out
}

// statuses are the status filters of a customer list: all, active, inactive.
var statuses = []customer.Status{"", customer.Active, customer.Inactive}

// testCustomerSorts: each sortBy in both directions within each status, for several page sizes,
// returns every customer exactly once in order, ties by creation, names and emails
// case-insensitively; and pages are full until the last (Next is "" exactly at the end).
func testCustomerSorts(t *testing.T, s Store) {
	ids := seedSortCases(t, s, tenantA)
	for _, sort := range customer.Sorts {
		for _, st := range statuses {
			for _, desc := range []bool{false, true} {
				for _, limit := range []int{1, 3, 100} {
					q := customer.ListQuery{Limit: limit, Status: st, SortBy: sort, Desc: desc}
					want := wantCustomers(ids, q)
					eventually(t, func() error {
						pages, _, err := pageCustomers(t.Context(), s, tenantA, q, nil)
						if err != nil {
							return err
						}
						if err := sameList(fmt.Sprintf("ListCustomers(%+v)", q), pages.ids(), want); err != nil {
							return err
						}
						return pages.strict(limit)
					})
				}
			}
		}
	}
	// The default sort is createdAt, said aloud or not.
	q := customer.ListQuery{Limit: 3, Status: customer.Active}
	eventually(t, func() error {
		pages, _, err := pageCustomers(t.Context(), s, tenantA, q, nil)
		if err != nil {
			return err
		}
		return sameList(fmt.Sprintf("ListCustomers(%+v)", q), pages.ids(), wantCustomers(ids, q))
	})
}

// testCustomerSortFilters: customerType and hasActiveRentals with the default sort (one index,
// strict pages) and with another sort or both (a bounded walk: short or empty pages are allowed
// while there is more), in each status and direction. Until rental events exist no customer has
// an active rental.
func testCustomerSortFilters(t *testing.T, s Store) {
	ids := seedSortCases(t, s, tenantA)
	yes, no := true, false
	filters := []struct {
		typ     customer.Type
		rentals *bool
	}{
		{customer.Business, nil}, {customer.Individual, nil}, {"", &no}, {"", &yes},
		{customer.Business, &no}, {customer.Individual, &yes},
	}
	for _, f := range filters {
		for _, sort := range []customer.Sort{customer.ByCreatedAt, customer.ByFirstName, customer.ByDevicesRented} {
			for _, st := range statuses {
				for _, desc := range []bool{false, true} {
					for _, limit := range []int{1, 100} {
						q := customer.ListQuery{Limit: limit, Status: st, Type: f.typ, HasActiveRentals: f.rentals, SortBy: sort, Desc: desc}
						want := wantCustomers(ids, q)
						eventually(t, func() error {
							pages, _, err := pageCustomers(t.Context(), s, tenantA, q, nil)
							if err != nil {
								return err
							}
							if err := sameList(fmt.Sprintf("ListCustomers(%+v)", q), pages.ids(), want); err != nil {
								return err
							}
							if oneIndexCustomers(q) {
								return pages.strict(limit)
							}
							return nil
						})
					}
				}
			}
		}
	}
}

// testCustomersPagedWhileOthersChange: paging through each sort, in each status and direction,
// while other customers are created, renamed, retyped, given other emails, deactivated and
// reactivated between the pages, and the checked customers get orders (a write that moves none of
// their sort fields), returns every checked customer exactly once, in order; and no customer at
// all twice (one whose sort field changed meanwhile may be left out). The changes are few a
// paging, so that the list does not grow faster than paging reads it.
func testCustomersPagedWhileOthersChange(t *testing.T, s Store) {
	ids := seedSortCases(t, s, tenantA)
	checked := map[string]bool{}
	for _, id := range ids {
		checked[id] = true
	}
	var others []string
	n := 0
	other := func() {
		n++
		in := newInput(fmt.Sprintf("other%d@example.com", n))
		in.Customer.FirstName, in.Customer.LastName = fmt.Sprintf("%c%d", "AbZy"[n%4], n), fmt.Sprintf("%c", "yZaB"[n%4])
		others = append(others, idleCustomer(t, s, tenantA, in).CustomerID)
	}
	for range 4 {
		other()
	}
	active := []string{ids[0], ids[1], ids[3], ids[5], ids[6]}
	// change makes one change elsewhere, in turn: a new customer, another change to an existing
	// other (name, type, email, status), or an order for a checked customer.
	change := func() {
		n++
		id := others[n%len(others)]
		var err error
		switch n % 7 {
		case 0:
			other()
		case 1:
			_, err = s.UpdateCustomer(t.Context(), tenantA, id, customer.Patch{FirstName: ptr(fmt.Sprintf("%c-renamed-%d", "aZbY"[n%4], n))}, nil)
		case 2:
			_, err = s.UpdateCustomer(t.Context(), tenantA, id, customer.Patch{LastName: ptr(fmt.Sprintf("%c-%d", "ZaYb"[n%4], n)), CustomerType: ptr(customer.Business)}, nil)
		case 3:
			_, err = s.UpdateCustomer(t.Context(), tenantA, id, customer.Patch{Email: ptr(fmt.Sprintf("%c-moved%d@example.com", "zA"[n%2], n))}, nil)
		case 4:
			_, err = s.DeactivateCustomer(t.Context(), tenantA, id, nil)
		case 5:
			_, err = s.UpdateCustomer(t.Context(), tenantA, id, customer.Patch{Status: ptr(customer.Active), CustomerType: ptr(customer.Individual)}, nil)
		case 6:
			createOrder(t, s, tenantA, newInput(sortCases[slices.Index(ids, active[n%len(active)])].email))
		}
		if err != nil {
			t.Fatalf("change %d of the other customers: %v", n, err)
		}
	}
	for _, sort := range customer.Sorts {
		for _, st := range statuses {
			for _, desc := range []bool{false, true} {
				q := customer.ListQuery{Limit: 3, Status: st, SortBy: sort, Desc: desc}
				want := wantCustomers(ids, q)
				eventually(t, func() error {
					pages, _, err := pageCustomers(t.Context(), s, tenantA, q, atMost(3, change))
					if err != nil {
						return err
					}
					var got []string
					seen := map[string]bool{}
					for _, id := range pages.ids() {
						if seen[id] {
							return fmt.Errorf("ListCustomers(%+v) while others changed: %s listed twice (%v)", q, id, pages)
						}
						seen[id] = true
						if checked[id] {
							got = append(got, id)
						}
					}
					return sameList(fmt.Sprintf("ListCustomers(%+v) while others changed, the checked customers", q), got, want)
				})
			}
		}
	}
}

// testCustomerMovedWhilePaging: a customer whose sort field changes while a client pages, from
// behind its cursor to ahead of it, is not listed again; every customer whose sort field stays
// is listed exactly once, in order.
func testCustomerMovedWhilePaging(t *testing.T, s Store) {
	names := []string{"Ada", "Bea", "Cy", "Dee", "Eve", "Flo"}
	ids := make([]string, len(names))
	for i, name := range names {
		in := newInput(fmt.Sprintf("%s@example.com", strings.ToLower(name)))
		in.Customer.FirstName = name
		ids[i] = createOrder(t, s, tenantA, in).Customer.CustomerID
	}
	q := customer.ListQuery{Limit: 2, SortBy: customer.ByFirstName}
	eventually(t, func() error { // every customer in the index, in order, before paging starts
		pages, _, err := pageCustomers(t.Context(), s, tenantA, q, nil)
		if err != nil {
			return err
		}
		return sameList("ListCustomers by firstName", pages.ids(), ids)
	})
	p, err := s.ListCustomers(t.Context(), tenantA, q)
	if err != nil {
		t.Fatalf("ListCustomers(%+v) error = %v", q, err)
	}
	sameIDs(t, "first page by firstName", customerIDs(p.Customers), ids[:2])
	if p.Next == "" {
		t.Fatalf("first page of ListCustomers(%+v) has no cursor", q)
	}
	tick()
	update(t, s, tenantA, ids[0], customer.Patch{FirstName: ptr("Zoe")}, nil) // Ada, seen, moves ahead
	q.After = p.Next
	var rest []string
	// The rest of the paging, however long the index takes to show the rename: Ada never again.
	deadline := time.Now().Add(converge)
	for time.Now().Before(deadline) {
		pages, _, err := pageCustomers(t.Context(), s, tenantA, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		rest = pages.ids()
		if slices.Contains(rest, ids[0]) {
			t.Fatalf("ListCustomers(%+v) after the first page: %v lists %s (renamed from behind the cursor to ahead of it) a second time", q, rest, ids[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	sameIDs(t, "the pages after the first", rest, ids[2:])
	// A new paging shows the customer where it is now.
	eventually(t, func() error {
		pages, _, err := pageCustomers(t.Context(), s, tenantA, customer.ListQuery{Limit: 2, SortBy: customer.ByFirstName}, nil)
		if err != nil {
			return err
		}
		return sameList("a new paging by firstName", pages.ids(), append(slices.Clone(ids[1:]), ids[0]))
	})
}

// orderCase describes the orders of the order sort tests.
type orderSeed struct {
	ids       []string
	customers map[string]string // order id → customer id
	byID      map[string]order.Order
}

// seedOrders makes orders of two customers, cancels two (moving their updatedAt and status) and,
// on a store that can, confirms one: returns them as stored.
func seedOrders(t *testing.T, s Store) orderSeed {
	t.Helper()
	emails := []string{"a@example.com", "b@example.com", "a@example.com", "a@example.com", "b@example.com", "a@example.com"}
	seed := orderSeed{customers: map[string]string{}, byID: map[string]order.Order{}}
	for _, e := range emails {
		o := createOrder(t, s, tenantA, newInput(e))
		seed.ids = append(seed.ids, o.OrderID)
		seed.customers[o.OrderID] = o.Customer.CustomerID
		tick()
	}
	cancelOrder(t, s, tenantA, seed.ids[3])
	tick()
	cancelOrder(t, s, tenantA, seed.ids[1])
	if setter, ok := s.(OrderStatusSetter); ok {
		setter.SetOrderStatus(t, tenantA, seed.ids[4], order.Confirmed)
	}
	for _, id := range seed.ids {
		seed.byID[id] = getOrder(t, s, tenantA, id)
	}
	return seed
}

// want is the expected list of q over the seed: its filter, in its order by the orders' fields
// (ties by creation), reversed when descending.
func (seed orderSeed) want(q order.ListQuery) []string {
	var out []order.Order
	for _, id := range seed.ids {
		if o := seed.byID[id]; q.Matches(o) {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b order.Order) int {
		switch q.SortBy {
		case order.ByUpdatedAt:
			return cmp.Or(cmp.Compare(a.UpdatedAt, b.UpdatedAt), cmp.Compare(a.OrderID, b.OrderID))
		case order.ByStatus:
			return cmp.Or(cmp.Compare(a.Status, b.Status), cmp.Compare(a.OrderID, b.OrderID))
		}
		return cmp.Compare(a.OrderID, b.OrderID)
	})
	if q.Desc {
		slices.Reverse(out)
	}
	return orderIDs(out)
}

// oneIndexOrders: every order list but a customer's orders of one status by updatedAt.
func oneIndexOrders(q order.ListQuery) bool {
	return !(q.CustomerID != "" && q.Status != "" && q.SortBy == order.ByUpdatedAt)
}

// testOrderSorts: each order sortBy in both directions, with each filter (customer, status,
// both), for several page sizes: every order once, in order, ties by creation.
func testOrderSorts(t *testing.T, s Store) {
	seed := seedOrders(t, s)
	ca := seed.customers[seed.ids[0]]
	type filter struct {
		customerID string
		status     order.Status
	}
	filters := []filter{{"", ""}, {ca, ""}, {"", order.Pending}, {"", order.Cancelled}, {ca, order.Pending}, {ca, order.Cancelled}}
	for _, f := range filters {
		for _, sort := range order.Sorts {
			for _, desc := range []bool{false, true} {
				for _, limit := range []int{1, 2, 100} {
					q := order.ListQuery{Limit: limit, CustomerID: f.customerID, Status: f.status, SortBy: sort, Desc: desc}
					want := seed.want(q)
					eventually(t, func() error {
						pages, _, err := pageOrders(t.Context(), s, tenantA, q, nil)
						if err != nil {
							return err
						}
						if err := sameList(fmt.Sprintf("ListOrders(%+v)", q), pages.ids(), want); err != nil {
							return err
						}
						if oneIndexOrders(q) {
							return pages.strict(limit)
						}
						return nil
					})
				}
			}
		}
	}
}

// testOrdersPagedWhileOthersChange: paging through each order sort while other orders are made
// and cancelled between pages returns every checked order exactly once, in order, and no order
// twice.
func testOrdersPagedWhileOthersChange(t *testing.T, s Store) {
	seed := seedOrders(t, s)
	checked := map[string]bool{}
	for _, id := range seed.ids {
		checked[id] = true
	}
	var pending []string
	change := func() {
		o := createOrder(t, s, tenantA, newInput("c@example.com"))
		if len(pending) > 0 {
			cancelOrder(t, s, tenantA, pending[0])
			pending = pending[1:]
		}
		pending = append(pending, o.OrderID)
	}
	for _, sort := range order.Sorts {
		for _, desc := range []bool{false, true} {
			for _, status := range []order.Status{"", order.Pending} {
				q := order.ListQuery{Limit: 2, Status: status, SortBy: sort, Desc: desc}
				want := seed.want(q)
				eventually(t, func() error {
					pages, _, err := pageOrders(t.Context(), s, tenantA, q, atMost(4, change))
					if err != nil {
						return err
					}
					var got []string
					seen := map[string]bool{}
					for _, id := range pages.ids() {
						if seen[id] {
							return fmt.Errorf("ListOrders(%+v) while others changed: %s listed twice (%v)", q, id, pages)
						}
						seen[id] = true
						if checked[id] {
							got = append(got, id)
						}
					}
					return sameList(fmt.Sprintf("ListOrders(%+v) while others changed, the checked orders", q), got, want)
				})
			}
		}
	}
}
