package storetest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

var listCustomerTests = []test{
	{name: "Filters", fn: testListCustomers},
	{name: "SparseMatches", fn: testListCustomersSparse},
	{name: "EmailAfterChange", fn: testListEmailAfterChange},
	{name: "StatusAfterChange", fn: testListStatusAfterChange},
	{name: "CursorAfterChange", fn: testListCursorAfterChange},
}

// seedCustomers creates n customers in order: business when business(i), deactivated when
// inactive(i). It returns their ids in creation order.
func seedCustomers(t *testing.T, s Store, tenant string, n int, business, inactive func(i int) bool) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		in := newInput(fmt.Sprintf("c%d@example.com", i))
		if business(i) {
			in.Customer.CustomerType = customer.Business
		}
		if inactive(i) {
			c := idleCustomer(t, s, tenant, in)
			deactivate(t, s, tenant, c.CustomerID, nil)
			ids[i] = c.CustomerID
		} else {
			ids[i] = createOrder(t, s, tenant, in).Customer.CustomerID
		}
	}
	return ids
}

// pick returns ids[i] for each i, in order.
func pick(ids []string, is ...int) []string {
	out := make([]string, len(is))
	for k, i := range is {
		out[k] = ids[i]
	}
	return out
}

// checkCustomerList pages through q with several limits in both directions and compares the
// ids with want (given in creation order), and each listed customer with GetCustomer. It waits
// (up to converge) for the lists to show the writes before it: indexes may lag the table.
func checkCustomerList(t *testing.T, s Store, tenant string, q customer.ListQuery, want []string, limits ...int) {
	t.Helper()
	for _, limit := range limits {
		for _, desc := range []bool{false, true} {
			q.Limit, q.Desc = limit, desc
			w := want
			if desc {
				w = reversed(want)
			}
			eventually(t, func() error {
				_, got, err := pageCustomers(t.Context(), s, tenant, q, nil)
				if err != nil {
					return err
				}
				if err := sameList(fmt.Sprintf("ListCustomers(%s, %+v)", tenant, q), customerIDs(got), w); err != nil {
					return err
				}
				for _, c := range got {
					stored, err := s.GetCustomer(t.Context(), tenant, c.CustomerID)
					if err != nil {
						return fmt.Errorf("GetCustomer(%s) of a listed customer: %w", c.CustomerID, err)
					}
					if !reflect.DeepEqual(c, stored) {
						return fmt.Errorf("listed customer:\n got %s\nwant %s", show(c), show(stored))
					}
				}
				return nil
			})
		}
	}
}

// testListCustomers: each filter alone and combined, every limit, both directions.
func testListCustomers(t *testing.T, s Store) {
	ids := seedCustomers(t, s, tenantA, 7,
		func(i int) bool { return i%3 == 0 },
		func(i int) bool { return i == 1 || i == 4 })
	tests := []struct {
		q    customer.ListQuery
		want []string
	}{
		{customer.ListQuery{}, ids},
		{customer.ListQuery{Status: customer.Active}, pick(ids, 0, 2, 3, 5, 6)},
		{customer.ListQuery{Status: customer.Inactive}, pick(ids, 1, 4)},
		{customer.ListQuery{Type: customer.Business}, pick(ids, 0, 3, 6)},
		{customer.ListQuery{Type: customer.Individual}, pick(ids, 1, 2, 4, 5)},
		{customer.ListQuery{Type: customer.Individual, Status: customer.Inactive}, pick(ids, 1, 4)},
		{customer.ListQuery{Type: customer.Business, Status: customer.Inactive}, nil},
		{customer.ListQuery{Email: "C3@EXAMPLE.COM"}, pick(ids, 3)},
		{customer.ListQuery{Email: "c3@example.com", Type: customer.Business}, pick(ids, 3)},
		{customer.ListQuery{Email: "c3@example.com", Type: customer.Individual}, nil},
		{customer.ListQuery{Email: "c3@example.co"}, nil},
		{customer.ListQuery{Email: "3@example.com"}, nil},
		{customer.ListQuery{Email: "c4@example.com", Status: customer.Active}, nil},
		{customer.ListQuery{Email: "c4@Example.com", Status: customer.Inactive}, pick(ids, 4)},
		{customer.ListQuery{Email: "nobody@example.com"}, nil},
	}
	for _, tt := range tests {
		checkCustomerList(t, s, tenantA, tt.q, tt.want, 1, 2, 3, 7, 100)
	}
}

// testListCustomersSparse: when filters exclude most customers, paging to the end still returns
// each match exactly once, in order.
func testListCustomersSparse(t *testing.T, s Store) {
	ids := seedCustomers(t, s, tenantA, 20,
		func(i int) bool { return i == 2 || i == 11 || i == 19 },
		func(i int) bool { return i == 7 || i == 0 })
	checkCustomerList(t, s, tenantA, customer.ListQuery{Type: customer.Business}, pick(ids, 2, 11, 19), 1, 2, 3)
	checkCustomerList(t, s, tenantA, customer.ListQuery{Status: customer.Inactive}, pick(ids, 0, 7), 1, 2)
	checkCustomerList(t, s, tenantA, customer.ListQuery{Status: customer.Active, Type: customer.Business}, pick(ids, 2, 11, 19), 1, 2)
	checkCustomerList(t, s, tenantA, customer.ListQuery{Email: "c19@example.com"}, pick(ids, 19), 1)
	checkCustomerList(t, s, tenantA, customer.ListQuery{}, ids, 6, 19, 20, 21)
}

// testListEmailAfterChange: the email filter follows email changes.
func testListEmailAfterChange(t *testing.T, s Store) {
	c := newCustomer(t, s, tenantA, newInput("before@example.com"))
	update(t, s, tenantA, c.CustomerID, customer.Patch{Email: ptr("After@example.com")}, nil)
	checkCustomerList(t, s, tenantA, customer.ListQuery{Email: "before@example.com"}, nil, 1, 10)
	checkCustomerList(t, s, tenantA, customer.ListQuery{Email: "after@EXAMPLE.com"}, []string{c.CustomerID}, 1, 10)
	n := newCustomer(t, s, tenantA, newInput("before@example.com"))
	checkCustomerList(t, s, tenantA, customer.ListQuery{Email: "Before@example.com"}, []string{n.CustomerID}, 1, 10)
}

// testListStatusAfterChange: the status filter follows every write that sets a status:
// DeactivateCustomer, UpdateCustomer with status alone, with other fields and with an email change.
func testListStatusAfterChange(t *testing.T, s Store) {
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = idleCustomer(t, s, tenantA, newInput(fmt.Sprintf("s%d@example.com", i))).CustomerID
	}
	check := func(active, inactive []string) {
		t.Helper()
		checkCustomerList(t, s, tenantA, customer.ListQuery{Status: customer.Active}, active, 1, 2, 10)
		checkCustomerList(t, s, tenantA, customer.ListQuery{Status: customer.Inactive}, inactive, 1, 10)
		checkCustomerList(t, s, tenantA, customer.ListQuery{}, ids, 2, 10)
	}
	check(ids, nil)
	inactive := ptr(customer.Inactive)
	deactivate(t, s, tenantA, ids[0], nil)
	update(t, s, tenantA, ids[1], customer.Patch{Status: inactive}, nil)
	update(t, s, tenantA, ids[2], customer.Patch{Status: inactive, FirstName: ptr("Idle"), CustomFields: map[string]any{"k": "v"}}, nil)
	update(t, s, tenantA, ids[3], customer.Patch{Status: inactive, Email: ptr("moved3@example.com")}, nil)
	check(pick(ids, 4), pick(ids, 0, 1, 2, 3))
	update(t, s, tenantA, ids[0], customer.Patch{Status: ptr(customer.Active)}, nil)
	update(t, s, tenantA, ids[3], customer.Patch{Status: ptr(customer.Active), Email: ptr("back3@example.com")}, nil)
	update(t, s, tenantA, ids[4], customer.Patch{Status: ptr(customer.Active), LastName: ptr("Same")}, nil)
	check(pick(ids, 0, 3, 4), pick(ids, 1, 2))
	// An order for a new customer lists it as active.
	n := createOrder(t, s, tenantA, newInput("s5@example.com")).Customer.CustomerID
	ids = append(ids, n)
	check(pick(ids, 0, 3, 4, 5), pick(ids, 1, 2))
	checkCustomerList(t, s, tenantB, customer.ListQuery{Status: customer.Active}, nil, 10)
}

// testListCursorAfterChange: a page's cursor still serves when the customer it ends on no longer
// matches the filter (deactivated, or of another type): the following pages hold every match
// created after it, exactly once, in order.
func testListCursorAfterChange(t *testing.T, s Store) {
	ids := make([]string, 6)
	for i := range ids {
		in := newInput(fmt.Sprintf("cur%d@example.com", i))
		in.Customer.CustomerType = customer.Business
		ids[i] = idleCustomer(t, s, tenantA, in).CustomerID
	}
	tests := []struct {
		name   string
		q      customer.ListQuery
		change func(id string)
	}{
		{"deactivated", customer.ListQuery{Status: customer.Active}, func(id string) { deactivate(t, s, tenantA, id, nil) }},
		{"type changed", customer.ListQuery{Type: customer.Business}, func(id string) {
			update(t, s, tenantA, id, customer.Patch{CustomerType: ptr(customer.Individual)}, nil)
		}},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			// Reset: every customer active and business.
			for _, id := range ids {
				update(t, s, tenantA, id, customer.Patch{Status: ptr(customer.Active), CustomerType: ptr(customer.Business)}, nil)
			}
			q := tt.q
			q.Limit, q.Desc = 2, desc
			seq := ids
			if desc {
				seq = reversed(ids)
			}
			var p customer.Page
			eventually(t, func() error { // the reset shows in the index
				var err error
				if p, err = s.ListCustomers(t.Context(), tenantA, q); err != nil {
					return fmt.Errorf("%s: ListCustomers(%+v) error = %w", tt.name, q, err)
				}
				if p.Next == "" {
					return fmt.Errorf("%s: ListCustomers(%+v) first page has no cursor", tt.name, q)
				}
				return sameList(fmt.Sprintf("%s: first page of ListCustomers(%+v)", tt.name, q), customerIDs(p.Customers), seq[:2])
			})
			if t.Failed() {
				return
			}
			tt.change(seq[1]) // the customer the page ends on; seq[0] still matches, on the page before
			q.After = p.Next
			eventually(t, func() error {
				pages, _, err := pageCustomers(t.Context(), s, tenantA, q, nil)
				if err != nil {
					return err
				}
				return sameList(fmt.Sprintf("%s: pages after a cursor whose customer changed, ListCustomers(%+v)", tt.name, q), pages.ids(), seq[2:])
			})
		}
	}
}
