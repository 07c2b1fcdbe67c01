package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// The read budget of one list page. A list that docs/indexes.md serves from an index holding
// exactly its items reads limit+1 items in one Query; a bounded combination filters what it
// reads, and stops after maxQueriesPerPage Queries or maxReadsPerPage items read (DynamoDB's
// Limit counts the items read before the filter), ending the page short, even empty, with the
// cursor on the last item read, so paging on never reads an item twice.
const (
	maxQueriesPerPage = 10
	maxReadsPerPage   = 1000
	// filteredReadSize is how many items each further Query of a filtered page reads at least:
	// the first reads just one more than the page, which is all an unfiltered page needs.
	filteredReadSize = 100
)

// listPlan is how the pages of one list are read: one partition of the table or of an index,
// the range key's prefix, and the filters the index cannot express.
type listPlan struct {
	ix      Index  // Name "": the table
	pk      string // the table partition of the items: the tenant's
	hash    string // the partition of ix
	begins  string // the range key's prefix: the items of one kind (and, on GSI18, one status)
	prefix  string // the table's SK prefix of the items (CUSTOMER#, ORDER#)
	filters []expression.ConditionBuilder
	desc    bool

	// A plan in creation order pages by the last id; rangeOf is the range key of the item with
	// that id. A sorted plan (sorted true) has range keys prefix + position, and pages by the
	// time of its first page and the last position: every later page reads only items whose
	// sort key is stamped no later (stampOf), so an item whose sort value changed meanwhile is
	// seen at most once.
	rangeOf func(id string) string
	sorted  bool
}

var table = Index{Hash: AttrPK, Range: AttrSK}

// customerPlan is the plan of q (no email: that is a lookup) in tenant.
func customerPlan(tenant string, q customer.ListQuery) listPlan {
	p := listPlan{pk: tenantPK(tenant), prefix: prefixCustomer, begins: prefixCustomer, desc: q.Desc}
	byID := func(id string) string { return prefixCustomer + id }
	typeFilter := func() {
		if q.Type != "" {
			p.filters = append(p.filters, expression.Name(AttrTPK).Equal(expression.Value(customerTypePK(tenant, q.Type))))
		}
	}
	rentalsFilter := func() {
		if q.HasActiveRentals != nil {
			p.filters = append(p.filters, expression.Name(AttrRPK).Equal(expression.Value(customerRentalsPK(tenant, *q.HasActiveRentals))))
		}
	}
	// partition sets p to a TPK or RPK partition in creation order: by SSK within one status,
	// by GSI2SK across them.
	partition := func(byStatus, all, hash string) {
		p.hash = hash
		if q.Status == "" {
			p.ix, p.rangeOf = indexOf(all), byID
			return
		}
		p.ix, p.begins = indexOf(byStatus), statusSK(q.Status, "")
		p.rangeOf = func(id string) string { return statusSK(q.Status, id) }
	}
	switch {
	case q.Sorted():
		lsk := customerSortKeys[q.SortBy]
		p.sorted = true
		if q.Status != "" {
			p.ix, p.hash = indexByKeys(AttrGSI2PK, lsk), customerStatusPK(tenant, q.Status)
		} else {
			p.ix, p.hash = indexByKeys(AttrPK, lsk), tenantPK(tenant)
		}
		typeFilter()
		rentalsFilter()
	case q.Type != "":
		partition("GSI13", "GSI14", customerTypePK(tenant, q.Type))
		rentalsFilter()
	case q.HasActiveRentals != nil:
		partition("GSI15", "GSI16", customerRentalsPK(tenant, *q.HasActiveRentals))
	case q.Status != "":
		p.ix, p.hash, p.rangeOf = indexOf(IndexGSI2), customerStatusPK(tenant, q.Status), byID
	default:
		p.ix, p.hash, p.rangeOf = table, tenantPK(tenant), byID
	}
	return p
}

// orderPlan is the plan of q in tenant.
func orderPlan(tenant string, q order.ListQuery) listPlan {
	p := listPlan{pk: tenantPK(tenant), prefix: prefixOrder, begins: prefixOrder, desc: q.Desc}
	byID := func(id string) string { return prefixOrder + id }
	cust := customerOrdersPK(tenant, q.CustomerID)
	switch q.SortBy.Effective(q.Status) {
	case order.ByUpdatedAt:
		p.sorted = true
		switch {
		case q.CustomerID != "":
			p.ix, p.hash = indexOf("GSI17"), cust
			if q.Status != "" {
				p.filters = append(p.filters, expression.Name(AttrGSI2PK).Equal(expression.Value(orderStatusPK(tenant, q.Status))))
			}
		case q.Status != "":
			p.ix, p.hash = indexOf("GSI3"), orderStatusPK(tenant, q.Status)
		default:
			p.ix, p.hash = indexOf("GSI8"), tenantPK(tenant)
		}
	case order.ByStatus: // of every status: Effective makes a status filter creation order
		p.sorted = true
		if q.CustomerID != "" {
			p.ix, p.hash = indexOf("GSI18"), cust
		} else {
			p.ix, p.hash = indexOf("GSI9"), tenantPK(tenant)
		}
	default:
		switch {
		case q.CustomerID != "" && q.Status != "":
			// GSI18's range is ORDER#<status>, SortSep, id: one status of it is in creation order.
			begins := prefixOrder + string(q.Status) + customer.SortSep
			p.ix, p.hash, p.begins = indexOf("GSI18"), cust, begins
			p.rangeOf = func(id string) string { return begins + id }
		case q.CustomerID != "":
			p.ix, p.hash, p.rangeOf = indexOf(IndexGSI1), cust, byID
		case q.Status != "":
			p.ix, p.hash, p.rangeOf = indexOf(IndexGSI2), orderStatusPK(tenant, q.Status), byID
		default:
			p.ix, p.hash, p.rangeOf = table, tenantPK(tenant), byID
		}
	}
	return p
}

// indexOf is the index named name.
func indexOf(name string) Index {
	for _, ix := range Indexes {
		if ix.Name == name {
			return ix
		}
	}
	panic("dynamo: no index " + name)
}

// indexByKeys is the index with hash and rng as its keys.
func indexByKeys(hash, rng string) Index {
	for _, ix := range Indexes {
		if ix.Hash == hash && ix.Range == rng {
			return ix
		}
	}
	panic("dynamo: no index on " + hash + ", " + rng)
}

// cursor is where a page starts: after is the id (creation order) or position (sorted) of the
// last item before it, since the time the first page was read (sorted plans only).
type cursor struct {
	after string
	since string
}

// errBadToken is the error of a token this store did not make for this query. The HTTP layer
// seals tokens, so only a token from another version of the store can meet it.
var errBadToken = fault.E(fault.BadRequest, `Query parameter "startAfter" is not a cursor of this query`)

// parseToken reads a Page.Next of p: the id, or for a sorted plan the first page's time
// (customer.Stamp, fixed width) and the position.
func (p listPlan) parseToken(token string) (cursor, error) {
	if token == "" || !p.sorted {
		return cursor{after: token}, nil
	}
	if len(token) <= customer.StampWidth {
		return cursor{}, errBadToken
	}
	since, pos := token[:customer.StampWidth], token[customer.StampWidth:]
	if !customer.ValidStamp(since) || !strings.Contains(pos, customer.SortSep) {
		return cursor{}, errBadToken
	}
	return cursor{after: pos, since: since}, nil
}

// token is the Page.Next of a page of p ending at item (or at a LastEvaluatedKey), read since.
func (p listPlan) token(item map[string]types.AttributeValue, since string) string {
	if !p.sorted {
		return strings.TrimPrefix(stringAttr(item, AttrSK), p.prefix)
	}
	return since + strings.TrimPrefix(stringAttr(item, p.ix.Range), p.prefix)
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// input is the first Query of the page of p that starts at c.
func (s *Store) input(p listPlan, c cursor) (*dynamodb.QueryInput, error) {
	cond := expression.Key(p.ix.Hash).Equal(expression.Value(p.hash))
	if p.begins != "" {
		cond = cond.And(expression.Key(p.ix.Range).BeginsWith(p.begins))
	}
	filters := p.filters
	if c.since != "" {
		filters = append(filters[:len(filters):len(filters)],
			expression.Name(stampOf(p.ix.Range)).LessThanEqual(expression.Value(c.since)))
	}
	b := expression.NewBuilder().WithKeyCondition(cond)
	if len(filters) > 0 {
		b = b.WithFilter(and(filters))
	}
	expr, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(!p.desc),
	}
	if p.ix.Name == "" {
		in.ConsistentRead = aws.Bool(true) // an index offers only eventually consistent reads
	} else {
		in.IndexName = aws.String(p.ix.Name)
	}
	if c.after != "" {
		// A start key names the table's keys and the index's of the last item.
		id, rng := c.after, ""
		if p.sorted {
			id, rng = customer.PositionID(c.after), p.prefix+c.after
		} else {
			rng = p.rangeOf(id)
		}
		in.ExclusiveStartKey = key(p.pk, p.prefix+id)
		in.ExclusiveStartKey[p.ix.Hash] = attrS(p.hash)
		in.ExclusiveStartKey[p.ix.Range] = attrS(rng)
	}
	return in, nil
}

// page reads the page of p that starts at token, at most limit items: one Query when the plan
// has no filter (or every item passes), otherwise until it has limit+1 items, the partition ends
// or the read budget is spent. It returns the items and the token to page on from, "" when the
// partition has no more; errors are the client's, unwrapped, or errBadToken.
func (s *Store) page(ctx context.Context, p listPlan, token string, limit int) ([]map[string]types.AttributeValue, string, error) {
	if limit <= 0 {
		limit = customer.DefaultLimit
	}
	c, err := p.parseToken(token)
	if err != nil {
		return nil, "", err
	}
	since := c.since
	if p.sorted && since == "" {
		since = customer.Stamp(s.now())
	}
	in, err := s.input(p, c)
	if err != nil {
		return nil, "", err
	}
	read := limit + 1
	in.Limit = aws.Int32(int32(read))
	var items []map[string]types.AttributeValue
	for n := 1; ; n++ {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, "", err
		}
		items = append(items, out.Items...)
		switch {
		case len(items) > limit:
			return items[:limit], p.token(items[limit-1], since), nil
		case len(out.LastEvaluatedKey) == 0:
			return items, "", nil
		case n == maxQueriesPerPage || read >= maxReadsPerPage:
			return items, p.token(out.LastEvaluatedKey, since), nil
		}
		next := min(max(limit+1, filteredReadSize), maxReadsPerPage-read)
		read += next
		in.ExclusiveStartKey = out.LastEvaluatedKey
		in.Limit = aws.Int32(int32(next))
	}
}

// ListCustomers returns one page of q (docs/indexes.md): one Query on the index that holds
// exactly the list's items in its order, or for the bounded combinations (a type or rentals
// filter with another sort, or both filters) a filtered read of the sort's index within the read
// budget; an email is a lookup of its reservation and customer.
func (s *Store) ListCustomers(ctx context.Context, tenant string, q customer.ListQuery) (customer.Page, error) {
	if q.Email != "" {
		return s.customerByEmail(ctx, tenant, q)
	}
	items, next, err := s.page(ctx, customerPlan(tenant, q), q.After, q.Limit)
	if err != nil {
		return customer.Page{}, fail("list customers", err)
	}
	page := customer.Page{Customers: make([]customer.Customer, 0, len(items)), Next: next}
	for _, item := range items {
		c, err := decodeCustomer(item)
		if err != nil {
			return customer.Page{}, fmt.Errorf("dynamo: list customers: decode: %w", err)
		}
		page.Customers = append(page.Customers, c)
	}
	return page, nil
}

// customerByEmail is the page of at most one customer that has q.Email: the reservation, then the
// customer, who must pass q's other filters.
func (s *Store) customerByEmail(ctx context.Context, tenant string, q customer.ListQuery) (customer.Page, error) {
	empty := customer.Page{Customers: []customer.Customer{}}
	if q.After != "" {
		return empty, nil // the one match was on the previous page
	}
	id, err := s.reservedBy(ctx, tenant, q.Email)
	if err != nil || id == "" {
		return empty, err
	}
	c, err := s.GetCustomer(ctx, tenant, id)
	if errors.Is(err, customer.ErrNotFound) {
		return empty, nil
	}
	if err != nil {
		return customer.Page{}, err
	}
	if !q.Matches(c) {
		return empty, nil
	}
	empty.Customers = append(empty.Customers, c)
	return empty, nil
}

// ListOrders returns one page of q: one Query, except for a customer's orders of one status by
// updatedAt, which filter a customer's orders by updatedAt within the read budget.
func (s *Store) ListOrders(ctx context.Context, tenant string, q order.ListQuery) (order.Page, error) {
	items, next, err := s.page(ctx, orderPlan(tenant, q), q.After, q.Limit)
	if err != nil {
		return order.Page{}, fail("list orders", err)
	}
	page := order.Page{Orders: make([]order.Order, 0, len(items)), Next: next}
	for _, item := range items {
		o, err := decodeOrder(item)
		if err != nil {
			return order.Page{}, fmt.Errorf("dynamo: list orders: decode: %w", err)
		}
		page.Orders = append(page.Orders, o)
	}
	return page, nil
}

// query is the Query of every item of table partition pk whose sort key starts with prefix,
// after the one whose sort key is prefix+after, keeping those that pass every filter.
func (s *Store) query(pk, prefix, after string, desc bool, filters []expression.ConditionBuilder) (*dynamodb.QueryInput, error) {
	return s.input(listPlan{ix: table, pk: pk, hash: pk, begins: prefix, prefix: prefix, filters: filters, desc: desc,
		rangeOf: func(id string) string { return prefix + id }}, cursor{after: after})
}
