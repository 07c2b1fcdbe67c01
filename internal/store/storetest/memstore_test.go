package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// TestReference runs the suite against memStore, the simplest store that keeps the contract, so
// that the suite itself is known to be passable: a failure here is a bug in the suite. It runs
// twice: with pages cut by their limit alone, and with pages of the bounded combinations
// (docs/indexes.md) that, like the real stores' filtered ones, also end when a read budget is
// spent: short, empty, or with a cursor after the last match, all of which docs/api.md allows while
// hasMore is true.
func TestReference(t *testing.T) {
	for _, tt := range []struct {
		name string
		scan int
	}{{"FullPages", 0}, {"ShortPages", 2}} {
		t.Run(tt.name, func(t *testing.T) {
			Run(t, func(t *testing.T, now func() time.Time) Store {
				m := newMemStore()
				m.Now, m.scan = now, tt.scan
				return m
			})
		})
	}
}

// memStore is a reference Store in memory: one mutex, plain maps, copies in and out.
type memStore struct {
	mu        sync.Mutex
	customers map[string]customer.Customer // tenant + "/" + customerId
	emails    map[string]string            // tenant + "/" + EmailKey → customerId
	orders    map[string]order.Order       // tenant + "/" + orderId
	idem      map[string]idemRecord        // tenant + "/" + key
	marks     map[string]order.CancelMark  // tenant + "/" + orderId of a cancelled order
	latest    map[string]string            // tenant + "/" + order fingerprint → orderId
	keys      map[string]auth.Key          // hash
	// stamps are when each record's position in each sort last changed (tenant + "/" + id →
	// sort → timestamp): a page after the first shows only records stamped no later than the
	// first page's time, so a record whose sort value changed meanwhile is seen at most once.
	stamps map[string]map[string]string
	// Now is the clock, as the real stores have it; nil means time.Now.
	Now func() time.Time
	// scan, when > 0, is how many items of the tenant (matching or not) a list page reads past
	// its cursor at most; see page.
	scan int
}

func (m *memStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

type idemRecord struct {
	hash    string
	order   order.Order // the first response, replayed as it was
	expires time.Time
}

func newMemStore() *memStore {
	return &memStore{
		customers: map[string]customer.Customer{},
		emails:    map[string]string{},
		orders:    map[string]order.Order{},
		idem:      map[string]idemRecord{},
		marks:     map[string]order.CancelMark{},
		latest:    map[string]string{},
		keys:      map[string]auth.Key{},
		stamps:    map[string]map[string]string{},
	}
}

// putCustomer stores c under key, stamping each sort whose position changed.
func (m *memStore) putCustomer(key string, c customer.Customer) {
	old, had := m.customers[key]
	for _, s := range customer.Sorts {
		m.stamp(key, string(s), !had || old.Position(s) != c.Position(s))
	}
	m.customers[key] = c
}

// putOrder stores o under key, stamping each sort whose position changed.
func (m *memStore) putOrder(key string, o order.Order) {
	old, had := m.orders[key]
	for _, s := range order.Sorts {
		m.stamp(key, string(s), !had || old.Position(s) != o.Position(s))
	}
	m.orders[key] = o
}

func (m *memStore) stamp(key, sort string, moved bool) {
	if m.stamps[key] == nil {
		m.stamps[key] = map[string]string{}
	}
	if moved {
		m.stamps[key][sort] = customer.Stamp(m.now())
	}
}

// budget is the scan of a page: none for a list that the real stores serve from an index holding
// exactly its items (oneIndex), m.scan for the bounded combinations, which filter what they read.
func (m *memStore) budget(oneIndex bool) int {
	if oneIndex {
		return 0
	}
	return m.scan
}

// sortedPage is page for a list whose positions are pos: a sorted list's token carries the time
// of its first page, and its later pages leave out the records stamped (in sort) after it.
func sortedPage[T any](m *memStore, items []T, key func(T) string, pos func(T) string, sorted bool, sort string,
	match func(T) bool, token string, limit int, desc bool, scan int) paged[T] {
	after, since := token, ""
	if sorted && token != "" {
		since, after = token[:customer.StampWidth], token[customer.StampWidth:]
	}
	fresh := func(x T) bool { return since == "" || m.stamps[key(x)][sort] <= since }
	p := page(items, pos, func(x T) bool { return match(x) && fresh(x) }, after, limit, desc, scan)
	if sorted && p.next != "" {
		if since == "" {
			since = customer.Stamp(m.now())
		}
		p.next = since + p.next
	}
	return p
}

func k(tenant, id string) string { return tenant + "/" + id }

func copyCustomer(c customer.Customer) customer.Customer {
	c.CustomFields = maps.Clone(c.CustomFields)
	c.OrderIDs = slices.Clone(c.OrderIDs)
	c.RentalIDs = slices.Clone(c.RentalIDs)
	if c.LastBillingAddress != nil {
		c.LastBillingAddress = ptr(*c.LastBillingAddress)
	}
	if c.LastShippingAddress != nil {
		c.LastShippingAddress = ptr(*c.LastShippingAddress)
	}
	return c
}

func copyOrder(o order.Order) order.Order {
	o.Items = slices.Clone(o.Items)
	for i := range o.Items {
		o.Items[i].RentalIDs = slices.Clone(o.Items[i].RentalIDs)
	}
	o.RentalIDs = slices.Clone(o.RentalIDs)
	o.CustomFields = maps.Clone(o.CustomFields)
	if o.ShippingAddress != nil {
		o.ShippingAddress = ptr(*o.ShippingAddress)
	}
	return o
}

func (m *memStore) GetCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("mem: GetCustomer: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.customers[k(tenant, id)]
	if !ok {
		return customer.Customer{}, fmt.Errorf("mem: get customer %s: %w", id, customer.ErrNotFound)
	}
	return copyCustomer(c), nil
}

func (m *memStore) UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("mem: UpdateCustomer: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.customers[k(tenant, id)]
	if !ok {
		return customer.Customer{}, fmt.Errorf("mem: update customer %s: %w", id, customer.ErrNotFound)
	}
	if err := customer.CheckUpdate(c, p, ifMatch); err != nil {
		return customer.Customer{}, fmt.Errorf("mem: update customer %s: %w", id, err)
	}
	oldKey := customer.EmailKey(c.Email)
	if p.Email != nil {
		if holder, ok := m.emails[k(tenant, customer.EmailKey(*p.Email))]; ok && holder != id {
			return customer.Customer{}, fmt.Errorf("mem: update customer %s: %w", id, customer.ErrEmailExists)
		}
	}
	n, err := p.Apply(copyCustomer(c), m.now())
	if err != nil {
		return customer.Customer{}, fmt.Errorf("mem: update customer %s: %w", id, err)
	}
	delete(m.emails, k(tenant, oldKey))
	m.emails[k(tenant, customer.EmailKey(n.Email))] = id
	m.putCustomer(k(tenant, id), n)
	return copyCustomer(n), nil
}

func (m *memStore) DeactivateCustomer(ctx context.Context, tenant, id string, ifMatch customer.IfMatch) (customer.Customer, error) {
	if err := ctx.Err(); err != nil {
		return customer.Customer{}, fmt.Errorf("mem: DeactivateCustomer: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.customers[k(tenant, id)]
	if !ok {
		return customer.Customer{}, fmt.Errorf("mem: deactivate customer %s: %w", id, customer.ErrNotFound)
	}
	next, changed, err := customer.Deactivate(copyCustomer(c), ifMatch, m.now())
	if err != nil {
		return customer.Customer{}, fmt.Errorf("mem: deactivate customer %s: %w", id, err)
	}
	if changed {
		m.putCustomer(k(tenant, id), next)
	}
	return copyCustomer(next), nil
}

func (m *memStore) ListCustomers(ctx context.Context, tenant string, q customer.ListQuery) (customer.Page, error) {
	if err := ctx.Err(); err != nil {
		return customer.Page{}, fmt.Errorf("mem: ListCustomers: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []customer.Customer
	for _, c := range m.customers {
		if c.TenantID == tenant {
			all = append(all, copyCustomer(c))
		}
	}
	p := sortedPage(m, all, func(c customer.Customer) string { return k(tenant, c.CustomerID) },
		func(c customer.Customer) string { return c.Position(q.SortBy) }, q.Sorted(), string(q.SortBy),
		q.Matches, q.After, q.Limit, q.Desc, m.budget(oneIndexCustomers(q)))
	return customer.Page{Customers: p.items, Next: p.next}, nil
}

type paged[T any] struct {
	items []T
	next  string
}

// page sorts items by id, skips up to after, and cuts limit items that match. With scan > 0 it
// reads at most scan items past after, as a DynamoDB Query with a filter reads a bounded number:
// when they are spent with items left, the page ends there, however few matches it holds, with
// the last item read as its cursor.
func page[T any](items []T, id func(T) string, match func(T) bool, after string, limit int, desc bool, scan int) paged[T] {
	slices.SortFunc(items, func(a, b T) int {
		if desc {
			return cmp.Compare(id(b), id(a))
		}
		return cmp.Compare(id(a), id(b))
	})
	if after != "" {
		items = slices.DeleteFunc(items, func(x T) bool {
			if desc {
				return id(x) >= after
			}
			return id(x) <= after
		})
	}
	var out []T
	for i, x := range items {
		if scan > 0 && i == scan {
			return paged[T]{items: out, next: id(items[i-1])}
		}
		if !match(x) {
			continue
		}
		if len(out) == limit {
			return paged[T]{items: out, next: id(out[limit-1])}
		}
		out = append(out, x)
	}
	return paged[T]{items: out}
}

func (m *memStore) CreateOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency) (order.Order, bool, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, false, fmt.Errorf("mem: CreateOrder: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if idem.Key != "" {
		if r, ok := m.idem[k(tenant, idem.Key)]; ok {
			replay, err := order.ReplayCreate(r.hash, r.expires, idem, m.now())
			if err != nil {
				return order.Order{}, false, fmt.Errorf("mem: create order: %w", err)
			}
			if replay {
				return copyOrder(r.order), true, nil
			}
		}
	}
	now := m.now()
	fingerprint := k(tenant, in.Fingerprint())
	if id, ok := m.latest[fingerprint]; ok && order.Duplicate(m.orders[k(tenant, id)], idem, now) {
		return copyOrder(m.orders[k(tenant, id)]), true, nil
	}
	var c customer.Customer
	orderID := order.NewID(now)
	if id, ok := m.emails[k(tenant, customer.EmailKey(in.Customer.Email))]; ok {
		c = copyCustomer(m.customers[k(tenant, id)])
		if err := order.CheckCustomer(c); err != nil {
			return order.Order{}, false, fmt.Errorf("mem: create order: %w", err)
		}
		c = order.Record(c, in, orderID, now)
	} else {
		c = in.NewCustomerRecord(tenant, customer.NewID(now), orderID, now)
	}
	o := order.New(tenant, orderID, in, order.SnapshotOf(c), now)
	m.putCustomer(k(tenant, c.CustomerID), c)
	m.emails[k(tenant, customer.EmailKey(c.Email))] = c.CustomerID
	m.putOrder(k(tenant, o.OrderID), copyOrder(o))
	if idem.Key != "" {
		m.idem[k(tenant, idem.Key)] = idemRecord{hash: idem.RequestHash, order: copyOrder(o), expires: order.Expires(now)}
	}
	m.latest[fingerprint] = o.OrderID
	return copyOrder(o), false, nil
}

func (m *memStore) GetOrder(ctx context.Context, tenant, id string) (order.Order, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, fmt.Errorf("mem: GetOrder: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[k(tenant, id)]
	if !ok {
		return order.Order{}, fmt.Errorf("mem: get order %s: %w", id, order.ErrNotFound)
	}
	return copyOrder(o), nil
}

func (m *memStore) ListOrders(ctx context.Context, tenant string, q order.ListQuery) (order.Page, error) {
	if err := ctx.Err(); err != nil {
		return order.Page{}, fmt.Errorf("mem: ListOrders: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var all []order.Order
	for _, o := range m.orders {
		if o.TenantID == tenant {
			all = append(all, copyOrder(o))
		}
	}
	sort := q.SortBy.Effective(q.Status)
	p := sortedPage(m, all, func(o order.Order) string { return k(tenant, o.OrderID) },
		func(o order.Order) string { return o.Position(sort) }, sort != order.ByCreatedAt, string(sort),
		q.Matches, q.After, q.Limit, q.Desc, m.budget(oneIndexOrders(q)))
	return order.Page{Orders: p.items, Next: p.next}, nil
}

// SetOrderStatus sets the order's status as fulfilment would (OrderStatusSetter).
func (m *memStore) SetOrderStatus(t *testing.T, tenant, id string, st order.Status) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[k(tenant, id)]
	if !ok {
		t.Fatalf("SetOrderStatus(%s, %s): no such order", tenant, id)
	}
	o.Status = st
	m.putOrder(k(tenant, id), o)
}

func (m *memStore) CancelOrder(ctx context.Context, tenant, id, reason string, idem order.Idempotency) (order.Order, bool, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, false, fmt.Errorf("mem: CancelOrder: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[k(tenant, id)]
	if !ok {
		return order.Order{}, false, fmt.Errorf("mem: cancel order %s: %w", id, order.ErrNotFound)
	}
	now := m.now()
	replayed, err := order.ReplayCancel(o, m.marks[k(tenant, id)], idem, now)
	if err != nil || replayed {
		return copyOrder(o), replayed, err
	}
	if err := order.Cancellable(o.Status); err != nil {
		return order.Order{}, false, fmt.Errorf("mem: cancel order %s: %w", id, err)
	}
	settles := order.CountsPending(o.Status)
	o = order.Cancel(o, reason, now)
	m.putOrder(k(tenant, id), o)
	m.marks[k(tenant, id)] = order.MarkOf(idem)
	if settles {
		c := m.customers[k(tenant, o.Customer.CustomerID)]
		m.putCustomer(k(tenant, c.CustomerID), order.Settle(c))
	}
	return copyOrder(o), false, nil
}

func (m *memStore) UpdateOrderNotes(ctx context.Context, tenant, id, notes string) (order.Order, error) {
	if err := ctx.Err(); err != nil {
		return order.Order{}, fmt.Errorf("mem: UpdateOrderNotes: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[k(tenant, id)]
	if !ok {
		return order.Order{}, fmt.Errorf("mem: update notes of order %s: %w", id, order.ErrNotFound)
	}
	o = order.SetNotes(o, notes, m.now())
	m.putOrder(k(tenant, id), o)
	return copyOrder(o), nil
}

func (m *memStore) APIKey(ctx context.Context, hash string) (auth.Key, error) {
	if err := ctx.Err(); err != nil {
		return auth.Key{}, fmt.Errorf("mem: APIKey: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key, ok := m.keys[hash]
	if !ok {
		return auth.Key{}, fmt.Errorf("mem: api key: %w", auth.ErrKeyNotFound)
	}
	return key, nil
}

func (m *memStore) PutAPIKey(ctx context.Context, key auth.Key) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mem: PutAPIKey: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[key.Hash] = key
	return nil
}

func (m *memStore) RevokeAPIKey(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mem: RevokeAPIKey: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, key := range m.keys {
		if key.ID == id {
			key.Status = auth.StatusRevoked
			m.keys[h] = key
			return nil
		}
	}
	return fmt.Errorf("mem: revoke api key %s: %w", id, auth.ErrKeyNotFound)
}

func (m *memStore) ListAPIKeys(ctx context.Context, tenant string) ([]auth.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mem: ListAPIKeys: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []auth.Key
	for _, key := range m.keys {
		if slices.Contains(key.Tenants, tenant) {
			out = append(out, key)
		}
	}
	slices.SortFunc(out, func(a, b auth.Key) int { return cmp.Compare(a.CreatedAt, b.CreatedAt) })
	return out, nil
}
