package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// queryLog is a dynamo.Client that passes every request on and notes, of each Query, what it asked
// (index, Limit) and what it read (ScannedCount: the items read before the filter).
type queryLog struct {
	dynamo.Client
	mu      sync.Mutex
	queries []loggedQuery
}

type loggedQuery struct {
	index         string
	limit         int32
	read, matched int32
}

func (l *queryLog) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := l.Client.Query(ctx, in, opts...)
	if err == nil {
		l.mu.Lock()
		l.queries = append(l.queries, loggedQuery{aws.ToString(in.IndexName), aws.ToInt32(in.Limit), out.ScannedCount, out.Count})
		l.mu.Unlock()
	}
	return out, err
}

func (l *queryLog) take() []loggedQuery {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queries
	l.queries = nil
	return q
}

// oneQueryCustomers reports whether docs/indexes.md serves q with one Query a page: everything
// but a type or rentals filter with another sort than creation, or both filters.
func oneQueryCustomers(q customer.ListQuery) bool {
	filters := 0
	if q.Type != "" {
		filters++
	}
	if q.HasActiveRentals != nil {
		filters++
	}
	return filters == 0 || filters == 1 && !q.Sorted()
}

// oneQueryOrders: everything but a customer's orders of one status by updatedAt.
func oneQueryOrders(q order.ListQuery) bool {
	return !(q.CustomerID != "" && q.Status != "" && q.SortBy == order.ByUpdatedAt)
}

// testListRequestCounts pages through every list combination on a real server and counts each
// page's Queries: a list of the one-Query set is exactly one Query a page, reading at most one
// item more than it returns; a bounded combination at most 10 Queries and 1,000 items a page.
func testListRequestCounts(t *testing.T, b *backend) {
	table := b.newTable(t)
	log := &queryLog{Client: b.client}
	if b.serial {
		log.Client = &serialClient{client: b.client}
	}
	st := dynamo.New(log, table)
	ctx := context.Background()
	names := []string{"ada", "Bea", "cy", "Ada", "dee", "Eve"}
	var custIDs []string
	for i, name := range names {
		in := orderInput(fmt.Sprintf("c%d@example.com", i))
		in.Customer.FirstName, in.Customer.LastName = name, names[len(names)-1-i]
		if i%2 == 1 {
			in.Customer.CustomerType = customer.Business
		}
		o, _, err := st.CreateOrder(ctx, "t1", in, order.Idempotency{})
		if err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
		custIDs = append(custIDs, o.Customer.CustomerID)
		if i%3 == 2 {
			if _, _, err := st.CancelOrder(ctx, "t1", o.OrderID, "", order.Idempotency{}); err != nil {
				t.Fatalf("CancelOrder: %v", err)
			}
			if _, err := st.DeactivateCustomer(ctx, "t1", o.Customer.CustomerID, nil); err != nil {
				t.Fatalf("DeactivateCustomer: %v", err)
			}
		}
	}
	for range 2 { // a customer with three orders
		if _, _, err := st.CreateOrder(ctx, "t1", orderInput("c0@example.com"), order.Idempotency{}); err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
	}
	log.take()

	checkPages := func(what string, oneQuery bool, limit int, page func(after string) (int, string, error)) {
		t.Helper()
		after, pages := "", 0
		for {
			n, next, err := page(after)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			qs := log.take()
			read := 0
			for _, q := range qs {
				read += int(q.limit)
				if q.read > q.limit {
					t.Errorf("%s: a Query read %d items, over its Limit %d", what, q.read, q.limit)
				}
			}
			switch {
			case oneQuery && (len(qs) != 1 || qs[0].limit != int32(limit+1) || int(qs[0].read) > n+1):
				t.Errorf("%s, page %d: Queries %+v for %d customers, want one, reading at most %d", what, pages+1, qs, n, n+1)
			case !oneQuery && (len(qs) > 10 || read > 1000):
				t.Errorf("%s, page %d: %d Queries reading up to %d items, want at most 10 and 1000", what, pages+1, len(qs), read)
			}
			pages++
			if next == "" {
				return
			}
			if pages > 20 {
				t.Fatalf("%s: more than 20 pages", what)
			}
			after = next
		}
	}
	yes, no := true, false
	for _, status := range []customer.Status{"", customer.Active, customer.Inactive} {
		for _, typ := range []customer.Type{"", customer.Business} {
			for _, rentals := range []*bool{nil, &yes, &no} {
				for _, sort := range customer.Sorts {
					for _, desc := range []bool{true, false} {
						q := customer.ListQuery{Limit: 2, Status: status, Type: typ, HasActiveRentals: rentals, SortBy: sort, Desc: desc}
						checkPages(fmt.Sprintf("ListCustomers(%+v)", q), oneQueryCustomers(q), q.Limit, func(after string) (int, string, error) {
							q.After = after
							p, err := st.ListCustomers(ctx, "t1", q)
							return len(p.Customers), p.Next, err
						})
					}
				}
			}
		}
	}
	for _, cust := range []string{"", custIDs[0]} {
		for _, status := range []order.Status{"", order.Pending, order.Cancelled} {
			for _, sort := range order.Sorts {
				for _, desc := range []bool{true, false} {
					q := order.ListQuery{Limit: 2, CustomerID: cust, Status: status, SortBy: sort, Desc: desc}
					checkPages(fmt.Sprintf("ListOrders(%+v)", q), oneQueryOrders(q), q.Limit, func(after string) (int, string, error) {
						q.After = after
						p, err := st.ListOrders(ctx, "t1", q)
						return len(p.Orders), p.Next, err
					})
				}
			}
		}
	}
}
