package embedded

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// The lists are served from index buckets that mirror the DynamoDB store's indexes
// (docs/indexes.md), one per tenant for customers and one for orders. An entry's key is an index
// name, a partition and a position (customer.Position, order.Position), NUL between them, so one
// partition of one index is one run of keys in the list's order; its value is empty (the id ends
// the position). Each write moves its record's entries in the transaction that writes the record
// (putCustomer, putOrder), so a filtered or sorted page reads only what it returns, and the
// bounded combinations walk the sort's index with a filter under the DynamoDB store's budget.
//
// Customer indexes (entries per customer):
//
//	status   <status>                        id        customers of a status by creation (GSI2)
//	sort/<s> <status> and *                  position  each sortBy but createdAt (GSI3-12)
//	type     <type>/<status> and <type>/*    id        a type by creation (GSI13, GSI14)
//	rentals  <true|false>/<status> and .../* id        hasActiveRentals by creation (GSI15, GSI16)
//
// Order indexes: status <status> id (GSI2); sort/updatedAt * and <status> (GSI8, GSI3);
// sort/status * (GSI9); customer/updatedAt and customer/status <customerId> (GSI17, GSI18). All
// customers, and all orders, by creation are the records' own buckets (ids are time-ordered), a
// customer's orders by creation the orders_by_customer bucket.

// maxReadsPerPage is the most index entries (or records) a page examines: the DynamoDB store's
// read budget. Only a bounded combination (a filter the index does not hold) reaches it.
const maxReadsPerPage = 1000

// all is the partition of every status.
const all = "*"

// entry is the key of an index entry.
func entry(index, partition, pos string) string { return index + "\x00" + partition + "\x00" + pos }

// customerSorts and orderSorts are the orders whose positions move when a field changes.
var (
	customerSorts = []customer.Sort{customer.ByFirstName, customer.ByLastName, customer.ByEmail,
		customer.ByMonthlyRevenue, customer.ByDevicesRented}
	orderSorts = []order.Sort{order.ByUpdatedAt, order.ByStatus}
)

// customerEntries are the index entries of c.
func customerEntries(c customer.Customer) []string {
	id, st := c.CustomerID, string(c.Status)
	e := []string{entry("status", st, id)}
	for _, s := range customerSorts {
		pos := c.Position(s)
		e = append(e, entry("sort/"+string(s), st, pos), entry("sort/"+string(s), all, pos))
	}
	typ, rentals := string(c.CustomerType), strconv.FormatBool(c.HasActiveRentals())
	return append(e,
		entry("type", typ+"/"+st, id), entry("type", typ+"/"+all, id),
		entry("rentals", rentals+"/"+st, id), entry("rentals", rentals+"/"+all, id))
}

// orderEntries are the index entries of o.
func orderEntries(o order.Order) []string {
	id, st, cust := o.OrderID, string(o.Status), o.Customer.CustomerID
	byUpdate, byStatus := o.Position(order.ByUpdatedAt), o.Position(order.ByStatus)
	return []string{
		entry("status", st, id),
		entry("sort/updatedAt", all, byUpdate), entry("sort/updatedAt", st, byUpdate),
		entry("sort/status", all, byStatus),
		entry("customer/updatedAt", cust, byUpdate), entry("customer/status", cust, byStatus),
	}
}

// reindex replaces the entries old (nil for a new record) of a record by its entries now.
func reindex(b *bolt.Bucket, old, now []string) error {
	for _, k := range old {
		if !slices.Contains(now, k) {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
	}
	for _, k := range now {
		if !slices.Contains(old, k) {
			if err := b.Put([]byte(k), []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// stamps are when a record's position in each sort last changed (customer.Stamp), by sort
// name. A page after the first shows only records stamped no later than the first page was
// read, so a record whose sort value changed meanwhile, which may have moved from behind the
// cursor to ahead of it, is seen at most once. Records stored before stamps have none: "", older
// than any paging.
type stamps map[string]string

// restamp is the stamps of a record written at at: at for each sort whose position changed (all
// of them for a new record), the old stamp for the others.
func restamp[S ~string](old stamps, sorts []S, oldPos, newPos func(S) string, at string) stamps {
	out := stamps{}
	for _, s := range sorts {
		if old == nil || oldPos(s) != newPos(s) {
			out[string(s)] = at
		} else if t := old[string(s)]; t != "" {
			out[string(s)] = t
		}
	}
	return out
}

func (r *customerRecord) stamps() stamps {
	if r == nil {
		return nil
	}
	if r.Stamps == nil {
		return stamps{}
	}
	return r.Stamps
}

func (r *customerRecord) position(s customer.Sort) string { return r.Customer.Position(s) }

func (r *orderRecord) stamps() stamps {
	if r == nil {
		return nil
	}
	if r.Stamps == nil {
		return stamps{}
	}
	return r.Stamps
}

func (r *orderRecord) position(s order.Sort) string { return r.Order.Position(s) }

// source is where a page is read: keys starting with prefix in b. In an index bucket the record
// is found by the id that ends the key; a records bucket (direct) holds it as the value.
type source struct {
	b      *bolt.Bucket
	prefix string
	direct bool
	sorted bool   // positions are sort values: tokens carry the first page's time
	sort   string // the sort, whose stamp a later page checks
}

// cursor is a parsed token: the position (or id) to start after, and for a sorted list the time
// of its first page.
type cursor struct {
	after, since string
}

var errBadToken = fault.E(fault.BadRequest, `Query parameter "startAfter" is not a cursor of this query`)

// parseToken reads a Page.Next of a list from src (see token).
func (src source) parseToken(token string) (cursor, error) {
	if token == "" || !src.sorted {
		return cursor{after: token}, nil
	}
	w := customer.StampWidth
	if len(token) <= w || !customer.ValidStamp(token[:w]) || !strings.Contains(token[w:], customer.SortSep) {
		return cursor{}, errBadToken
	}
	return cursor{since: token[:w], after: token[w:]}, nil
}

// token is the Page.Next of a page that ends at pos: the position, for a sorted list after the
// time of the first page.
func (src source) token(pos, since string) string {
	if src.sorted {
		return since + pos
	}
	return pos
}

// walk reads one page from src after token: at most limit records that match accepts, reading
// at most maxReadsPerPage, and the token of the next page ("" when src has no more). records is
// the bucket of the records an index entry names; match decodes a record and reports whether
// it belongs on the page, given the stamp (of src.sort) it must not pass ("" on a first page).
func walk[T any](src source, records *bolt.Bucket, token string, limit int, desc bool, now time.Time,
	match func(data []byte, since string) (T, bool, error)) ([]T, string, error) {
	if limit <= 0 {
		limit = customer.DefaultLimit
	}
	c, err := src.parseToken(token)
	if err != nil {
		return nil, "", err
	}
	since := c.since
	first := since == ""
	if src.sorted && first {
		since = customer.Stamp(now)
	}
	items := make([]T, 0, limit)
	var next, last string
	read := 0
	err = scan(src.b, src.prefix, c.after, desc, func(pos string, v []byte) (bool, error) {
		read++
		data := v
		if !src.direct {
			id := customer.PositionID(pos)
			if data = records.Get([]byte(id)); data == nil {
				return false, fmt.Errorf("index entry %q points at missing record %s", pos, id)
			}
		}
		check := since
		if first {
			check = "" // the first page shows every record as it is
		}
		item, ok, err := match(data, check)
		if err != nil {
			return false, err
		}
		if ok {
			if len(items) == limit {
				// One more match exists: the page is full and has a successor.
				next = src.token(last, since)
				return false, nil
			}
			items, last = append(items, item), pos
		}
		if read >= maxReadsPerPage {
			next = src.token(pos, since) // the budget is spent: page on from the last read
			return false, nil
		}
		return true, nil
	})
	return items, next, err
}

// ListCustomers returns one page of q from the index that holds exactly its items in its order
// (see the top of this file); the bounded combinations (a type or rentals filter with another
// sort, or both filters) walk the sort's index and filter, reading at most maxReadsPerPage.
func (s *Store) ListCustomers(ctx context.Context, tenant string, q customer.ListQuery) (customer.Page, error) {
	if err := ctx.Err(); err != nil {
		return customer.Page{}, fmt.Errorf("embedded: list customers: %w", err)
	}
	page := customer.Page{Customers: []customer.Customer{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		tb, ok := readTenant(tx, tenant)
		if !ok {
			return nil
		}
		if q.Email != "" {
			return customerByEmail(tb, q, &page)
		}
		src := customerSource(tb, q)
		var err error
		page.Customers, page.Next, err = walk(src, tb.customers, q.After, q.Limit, q.Desc, s.now(),
			func(data []byte, since string) (customer.Customer, bool, error) {
				var r customerRecord
				if err := decode(data, &r); err != nil {
					return customer.Customer{}, false, err
				}
				c := r.Customer
				c.PendingOrders = r.PendingOrders
				fresh := since == "" || r.Stamps[src.sort] <= since
				return c, fresh && q.Matches(c), nil
			})
		return err
	})
	if err != nil {
		return customer.Page{}, fmt.Errorf("embedded: list customers: %w", err)
	}
	return page, nil
}

// customerByEmail is the page of at most one customer that holds q.Email and passes q's other
// filters.
func customerByEmail(tb tenantBuckets, q customer.ListQuery, page *customer.Page) error {
	if q.After != "" {
		return nil // the one match was on the previous page
	}
	holder := tb.emails.Get([]byte(customer.EmailKey(q.Email)))
	if holder == nil {
		return nil
	}
	c, ok, err := getCustomer(tb, string(holder))
	if err != nil || !ok {
		return err
	}
	if q.Matches(c) {
		page.Customers = append(page.Customers, c)
	}
	return nil
}

// customerSource is the index a page of q reads (the filters it does not hold, walk's match
// applies).
func customerSource(tb tenantBuckets, q customer.ListQuery) source {
	st := string(q.Status)
	if st == "" {
		st = all
	}
	ix := func(index, partition string) source {
		return source{b: tb.customerIndex, prefix: entry(index, partition, "")}
	}
	switch {
	case q.Sorted():
		src := ix("sort/"+string(q.SortBy), st)
		src.sorted, src.sort = true, string(q.SortBy)
		return src
	case q.Type != "":
		return ix("type", string(q.Type)+"/"+st)
	case q.HasActiveRentals != nil:
		return ix("rentals", strconv.FormatBool(*q.HasActiveRentals)+"/"+st)
	case q.Status != "":
		return ix("status", st)
	}
	return source{b: tb.customers, direct: true}
}

// ListOrders returns one page of q, as ListCustomers: one index a list, except a customer's
// orders of one status by updatedAt, which filter a customer's orders by updatedAt.
func (s *Store) ListOrders(ctx context.Context, tenant string, q order.ListQuery) (order.Page, error) {
	if err := ctx.Err(); err != nil {
		return order.Page{}, fmt.Errorf("embedded: list orders: %w", err)
	}
	page := order.Page{Orders: []order.Order{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		tb, ok := readTenant(tx, tenant)
		if !ok {
			return nil
		}
		src := orderSource(tb, q)
		var err error
		page.Orders, page.Next, err = walk(src, tb.orders, q.After, q.Limit, q.Desc, s.now(),
			func(data []byte, since string) (order.Order, bool, error) {
				var r orderRecord
				if err := decode(data, &r); err != nil {
					return order.Order{}, false, err
				}
				fresh := since == "" || r.Stamps[src.sort] <= since
				return r.Order, fresh && q.Matches(r.Order), nil
			})
		return err
	})
	if err != nil {
		return order.Page{}, fmt.Errorf("embedded: list orders: %w", err)
	}
	return page, nil
}

// orderSource is the index a page of q reads.
func orderSource(tb tenantBuckets, q order.ListQuery) source {
	ix := func(index, partition, sort string) source {
		return source{b: tb.orderIndex, prefix: entry(index, partition, ""), sorted: sort != "", sort: sort}
	}
	st := string(q.Status)
	switch q.SortBy.Effective(q.Status) {
	case order.ByUpdatedAt:
		switch {
		case q.CustomerID != "":
			return ix("customer/updatedAt", q.CustomerID, string(order.ByUpdatedAt))
		case st != "":
			return ix("sort/updatedAt", st, string(order.ByUpdatedAt))
		}
		return ix("sort/updatedAt", all, string(order.ByUpdatedAt))
	case order.ByStatus:
		if q.CustomerID != "" {
			return ix("customer/status", q.CustomerID, string(order.ByStatus))
		}
		return ix("sort/status", all, string(order.ByStatus))
	}
	switch {
	case q.CustomerID != "" && st != "":
		// By status, one status of a customer's orders is in creation order.
		return source{b: tb.orderIndex, prefix: entry("customer/status", q.CustomerID, st+customer.SortSep)}
	case q.CustomerID != "":
		return source{b: tb.byCustomer, prefix: customerOrderKey(q.CustomerID, "")}
	case st != "":
		return ix("status", st, "")
	}
	return source{b: tb.orders, direct: true}
}

// indexLayout names the entries this version of the store makes; ensureIndexes compares its
// fingerprint with the one a data file was indexed by.
const indexLayout = "list indexes v1"

// indexFingerprint identifies the index entries this build makes: the layout and the entries
// of a sample customer and order whose names, email and numbers exercise case folding, the
// email key and the number encodings, so that a change to any of them (customer.FoldName,
// customer.EmailKey, ...) makes Open rebuild the indexes rather than leave entries that no write
// would find to remove.
func indexFingerprint() string {
	h := sha256.New()
	h.Write([]byte(indexLayout))
	c := customer.Customer{CustomerID: "cust_X", FirstName: "Ǆemal Straße", LastName: "İÅ\u212B", Email: "Ünï.K\u212A@Bücher.DE",
		CustomerType: customer.Business, Status: customer.Inactive, TotalMonthlyRevenue: 1234.5, TotalDevicesRented: 3}
	o := order.Order{OrderID: "ord_X", Status: order.Partial, UpdatedAt: "2024-05-06T07:08:09.123Z", Customer: order.Snapshot{CustomerID: "cust_X"}}
	for _, e := range append(customerEntries(c), orderEntries(o)...) {
		h.Write([]byte(e))
		h.Write([]byte{0xff})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ensureIndexes builds every tenant's list indexes from its records, in the one transaction tx,
// unless the file was indexed by this layout already: a data file written before the indexes
// (or by another layout of them) keeps working as it is.
func ensureIndexes(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	want := indexFingerprint()
	if string(meta.Get(keyIndexes)) == want {
		return nil
	}
	tenants := tx.Bucket(bucketTenants)
	var names [][]byte
	if err := tenants.ForEach(func(k, v []byte) error {
		if v == nil { // a tenant's bucket
			names = append(names, slices.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		if err := rebuildTenant(tenants.Bucket(name)); err != nil {
			return fmt.Errorf("tenant %s: %w", name, err)
		}
	}
	return meta.Put(keyIndexes, []byte(want))
}

// rebuildTenant replaces the list indexes of one tenant's bucket t by those of its records.
func rebuildTenant(t *bolt.Bucket) error {
	for _, name := range tenantBucketNames {
		switch {
		case string(name) == string(bucketCustomerIndex), string(name) == string(bucketOrderIndex):
			if err := t.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
		}
		if _, err := t.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	customers, orders := t.Bucket(bucketCustomers), t.Bucket(bucketOrders)
	customerIndex, orderIndex := t.Bucket(bucketCustomerIndex), t.Bucket(bucketOrderIndex)
	err := customers.ForEach(func(_, v []byte) error {
		var r customerRecord
		if err := decode(v, &r); err != nil {
			return err
		}
		return reindex(customerIndex, nil, customerEntries(r.Customer))
	})
	if err != nil {
		return err
	}
	return orders.ForEach(func(_, v []byte) error {
		var r orderRecord
		if err := decode(v, &r); err != nil {
			return err
		}
		return reindex(orderIndex, nil, orderEntries(r.Order))
	})
}
