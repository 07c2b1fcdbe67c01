package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

// TestBackfillIndexes runs the backfill tests on each backend whose endpoint is set (as
// TestStore does, but under its own name, so that -run Backfill selects them).
func TestBackfillIndexes(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			endpoint := os.Getenv(b.env)
			if endpoint == "" {
				t.Skipf("%s not set: no %s server (scripts/with-%s.sh go test ./internal/store/dynamo/ -run Backfill starts one)", b.env, b.name, b.name)
			}
			client, err := dynamosetup.Connect(context.Background(), endpoint)
			if err != nil {
				t.Fatalf("Connect(%q): %v", endpoint, err)
			}
			b.client = client
			t.Run("OldItems", func(t *testing.T) { testBackfillOldItems(t, &b) })
			t.Run("ChangedMeanwhile", func(t *testing.T) { testBackfillChangedMeanwhile(t, &b) })
			t.Run("InvalidItems", func(t *testing.T) { testBackfillInvalidItems(t, &b) })
			t.Run("OldOrderRents", func(t *testing.T) { testBackfillOldOrderRents(t, &b) })
		})
	}
}

// legacyTable holds customers and orders written through the store, and strips index attributes
// from them as the previous version, which did not write them, would have left them.
type legacyTable struct {
	b     *backend
	table string
	st    *dynamo.Store
}

// remove deletes attrs from the item with key k, behind the store's back.
func (l legacyTable) remove(t *testing.T, k map[string]types.AttributeValue, attrs ...string) {
	t.Helper()
	names := map[string]string{}
	var paths []string
	for i, a := range attrs {
		n := fmt.Sprintf("#a%d", i)
		names[n] = a
		paths = append(paths, n)
	}
	_, err := l.b.client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.table),
		Key:                      k,
		UpdateExpression:         aws.String("REMOVE " + strings.Join(paths, ", ")),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: names,
	})
	if err != nil {
		t.Fatalf("REMOVE %v: %v", attrs, err)
	}
}

// set sets a string attribute of the item with key k, behind the store's back.
func (l legacyTable) set(t *testing.T, k map[string]types.AttributeValue, name, value string) {
	t.Helper()
	_, err := l.b.client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.table),
		Key:                       k,
		UpdateExpression:          aws.String("SET #a = :v"),
		ExpressionAttributeNames:  map[string]string{"#a": name},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}},
	})
	if err != nil {
		t.Fatalf("SET %s: %v", name, err)
	}
}

// item reads the item with key k.
func (l legacyTable) item(t *testing.T, k map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	out, err := l.b.client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(l.table), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	return out.Item
}

// listQueries are every customer list: each sortBy in each status, each direction of two, the
// type and rentals filters in each status (one-Query and bounded alike), and both filters.
func listQueries() []customer.ListQuery {
	var qs []customer.ListQuery
	yes, no := true, false
	for _, st := range []customer.Status{"", customer.Active, customer.Inactive} {
		for _, s := range customer.Sorts {
			qs = append(qs, customer.ListQuery{Status: st, SortBy: s}, customer.ListQuery{Status: st, SortBy: s, Desc: true})
		}
		for _, s := range []customer.Sort{customer.ByCreatedAt, customer.ByLastName} {
			for _, typ := range []customer.Type{customer.Individual, customer.Business} {
				qs = append(qs, customer.ListQuery{Status: st, Type: typ, SortBy: s})
			}
			qs = append(qs, customer.ListQuery{Status: st, HasActiveRentals: &yes, SortBy: s},
				customer.ListQuery{Status: st, HasActiveRentals: &no, SortBy: s},
				customer.ListQuery{Status: st, Type: customer.Individual, HasActiveRentals: &no, SortBy: s})
		}
	}
	return qs
}

// orderQueries are every order list: each sortBy, each status of the test's orders and all, of
// every customer and of one.
func orderQueries(customerID string) []order.ListQuery {
	var qs []order.ListQuery
	for _, c := range []string{"", customerID} {
		for _, st := range []order.Status{"", order.Pending, order.Cancelled, order.Fulfilled} {
			for _, s := range order.Sorts {
				qs = append(qs, order.ListQuery{CustomerID: c, Status: st, SortBy: s}, order.ListQuery{CustomerID: c, Status: st, SortBy: s, Desc: true})
			}
		}
	}
	return qs
}

// lists pages through every customer and order list of tenant, two a page, and returns the ids
// each lists, in order, by a description of the query.
func lists(t *testing.T, st *dynamo.Store, tenant, customerID string) map[string][]string {
	t.Helper()
	ctx := t.Context()
	out := map[string][]string{}
	for _, q := range listQueries() {
		shown := q
		shown.HasActiveRentals = nil // a pointer: shown by its value, below
		name := fmt.Sprintf("customers %+v", shown)
		if q.HasActiveRentals != nil {
			name = fmt.Sprintf("%s rentals=%v", name, *q.HasActiveRentals)
		}
		ids := []string{}
		for q.Limit = 2; ; {
			p, err := st.ListCustomers(ctx, tenant, q)
			if err != nil {
				t.Fatalf("ListCustomers(%s): %v", name, err)
			}
			for _, c := range p.Customers {
				ids = append(ids, c.CustomerID)
			}
			if q.After = p.Next; q.After == "" {
				break
			}
		}
		out[name] = ids
	}
	for _, q := range orderQueries(customerID) {
		name := fmt.Sprintf("orders %+v", q)
		ids := []string{}
		for q.Limit = 2; ; {
			p, err := st.ListOrders(ctx, tenant, q)
			if err != nil {
				t.Fatalf("ListOrders(%s): %v", name, err)
			}
			for _, o := range p.Orders {
				ids = append(ids, o.OrderID)
			}
			if q.After = p.Next; q.After == "" {
				break
			}
		}
		out[name] = ids
	}
	return out
}

// orderNamed is an order for a new (or existing) customer with email and names.
func orderNamed(email, first, last string) order.Input {
	in := orderInput(email)
	in.Customer.FirstName, in.Customer.LastName = first, last
	return in
}

// testBackfillOldItems writes customers and orders through the store, strips their index
// attributes as the previous version would have left them, and checks that the lists miss
// them, that the backfill brings every list back as it was, and that a rerun writes nothing.
func testBackfillOldItems(t *testing.T, b *backend) {
	ctx := t.Context()
	table := b.newTable(t)
	l := legacyTable{b: b, table: table, st: b.on(table)}
	st := l.st

	type rec struct{ tenant, customer string }
	var customers []rec
	orders := map[rec][]string{}
	people := []struct{ tenant, email, first, last string }{
		{"t1", "ann@example.com", "Ann", "Young"},
		{"t1", "bob@example.com", "bob", "Xu"},
		{"t1", "cyd@example.com", "Cyd", "Webb"},
		{"t1", "dee@example.com", "Dee", "Vance"},
		{"t2", "eve@example.com", "Eve", "Ulm"},
	}
	for _, p := range people {
		var r rec
		for i := range 2 { // the second order is for the existing customer
			in := orderNamed(p.email, p.first, p.last)
			in.Items[0].SKU = fmt.Sprintf("LAPTOP-%d", i) // another order, not a natural duplicate
			o, _, err := st.CreateOrder(ctx, p.tenant, in, order.Idempotency{})
			if err != nil {
				t.Fatalf("CreateOrder(%s): %v", p.email, err)
			}
			r = rec{p.tenant, o.Customer.CustomerID}
			orders[r] = append(orders[r], o.OrderID)
		}
		customers = append(customers, r)
	}
	ann, bob, cyd, dee, eve := customers[0], customers[1], customers[2], customers[3], customers[4]
	business := customer.Business
	if _, err := st.UpdateCustomer(ctx, "t1", bob.customer, customer.Patch{CustomerType: &business}, nil); err != nil {
		t.Fatalf("UpdateCustomer(type): %v", err)
	}
	for _, id := range orders[dee] {
		if _, _, err := st.CancelOrder(ctx, "t1", id, "", order.Idempotency{}); err != nil {
			t.Fatalf("CancelOrder: %v", err)
		}
	}
	if _, err := st.DeactivateCustomer(ctx, "t1", dee.customer, nil); err != nil {
		t.Fatalf("DeactivateCustomer: %v", err)
	}
	if _, _, err := st.CancelOrder(ctx, "t1", orders[ann][0], "", order.Idempotency{}); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	if _, err := st.UpdateOrderNotes(ctx, "t1", orders[bob][1], "ring twice"); err != nil {
		t.Fatalf("UpdateOrderNotes: %v", err)
	}
	// ann rents a device: hasActiveRentals, the revenue and devices sorts, a fulfilled order.
	sub := storetest.SubscriptionCreated("evt_1", "t1", "sub_1", ann.customer, orders[ann][1], "LAPTOP-1", 9_990000)
	if _, err := st.ApplyRentalEvent(ctx, sub); err != nil {
		t.Fatalf("ApplyRentalEvent: %v", err)
	}

	want := map[string]map[string][]string{"t1": lists(t, st, "t1", ann.customer), "t2": lists(t, st, "t2", eve.customer)}
	for _, tenant := range []string{"t1", "t2"} {
		if got := want[tenant]["customers {Limit:0 After: Status: Type: Email: HasActiveRentals:<nil> SortBy:firstName Desc:false}"]; len(got) == 0 {
			t.Fatalf("%s: the customers by firstName list nobody before the strip: %v", tenant, want[tenant])
		}
	}
	if got := want["t1"]["customers {Limit:0 After: Status: Type: Email: HasActiveRentals:<nil> SortBy:createdAt Desc:false} rentals=true"]; !slices.Equal(got, []string{ann.customer}) {
		t.Fatalf("customers with active rentals before the strip = %v, want %s", got, ann.customer)
	}

	// Written by this version: every item carries its keys already.
	rep, err := st.BackfillIndexes(ctx, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatalf("BackfillIndexes on current items: %v", err)
	}
	if rep.Writes() != 0 || rep.Customers.Scanned != 5 || rep.Orders.Scanned != 10 {
		t.Fatalf("BackfillIndexes on items this version wrote = %+v, want 5 customers and 10 orders scanned, none written", rep)
	}

	// The previous version: no index key but GSI1's on orders and GSI2's on customers, which it
	// wrote; cyd and its orders are left as this version wrote them; eve has none at all, nor the
	// rental totals (written later than the indexes they feed, in some deployments); bob has a
	// wrong firstName key.
	var stripped struct{ customers, orders int64 }
	for _, c := range []rec{ann, bob, dee, eve} {
		drop := slices.DeleteFunc(dynamo.CustomerIndexAttrs(), func(a string) bool {
			return c != eve && (a == dynamo.AttrGSI2PK || a == dynamo.AttrGSI2SK)
		})
		if c == eve {
			drop = append(drop, "totalDevicesRented", "totalMonthlyRevenue")
		}
		l.remove(t, dynamo.CustomerKey(c.tenant, c.customer), drop...)
		stripped.customers++
		for _, id := range orders[c] {
			drop := slices.DeleteFunc(dynamo.OrderIndexAttrs(), func(a string) bool {
				return c != eve && (a == dynamo.AttrGSI1PK || a == dynamo.AttrGSI1SK)
			})
			l.remove(t, dynamo.OrderKey(c.tenant, id), drop...)
			stripped.orders++
		}
	}
	l.set(t, dynamo.CustomerKey("t1", bob.customer), dynamo.AttrLSK1, "CUSTOMER#zzz\x01"+bob.customer)

	// The lists miss them: every one but those the table itself serves.
	for tenant, lists0 := range map[string]map[string][]string{"t1": lists(t, st, "t1", ann.customer), "t2": lists(t, st, "t2", eve.customer)} {
		missing := 0
		for name, ids := range lists0 {
			if !reflect.DeepEqual(ids, want[tenant][name]) {
				missing++
			}
		}
		if missing == 0 {
			t.Fatalf("%s: every list is as before the strip: the test strips nothing the lists read", tenant)
		}
		if tenant == "t1" {
			if got := lists0["customers {Limit:0 After: Status:active Type: Email: HasActiveRentals:<nil> SortBy:firstName Desc:false}"]; !reflect.DeepEqual(got, []string{cyd.customer, bob.customer}) {
				t.Fatalf("t1 active customers by firstName after the strip = %v, want %s (unstripped) and %s (by its wrong key, last)", got, cyd.customer, bob.customer)
			}
		}
	}

	cydItem := l.item(t, dynamo.CustomerKey("t1", cyd.customer))

	// A dry run counts and writes nothing.
	dry, err := st.BackfillIndexes(ctx, dynamo.BackfillOptions{DryRun: true})
	if err != nil {
		t.Fatalf("BackfillIndexes(dry run): %v", err)
	}
	if dry.Customers.Updated != stripped.customers || dry.Orders.Updated != stripped.orders {
		t.Errorf("dry run = %+v, want %d customers and %d orders to write", dry, stripped.customers, stripped.orders)
	}
	if got := l.item(t, dynamo.CustomerKey("t2", eve.customer)); got[dynamo.AttrLSK1] != nil {
		t.Errorf("the dry run wrote %s", dynamo.AttrLSK1)
	}

	var (
		mu       sync.Mutex
		progress []int64
	)
	rep, err = st.BackfillIndexes(ctx, dynamo.BackfillOptions{Segments: 3, PageSize: 2, ProgressEvery: 4,
		Progress: func(r dynamo.BackfillReport) {
			mu.Lock()
			defer mu.Unlock()
			progress = append(progress, r.Customers.Scanned+r.Orders.Scanned)
		}})
	if err != nil {
		t.Fatalf("BackfillIndexes: %v", err)
	}
	wantRep := dynamo.BackfillReport{
		Customers: dynamo.BackfillCounts{Scanned: 5, Updated: stripped.customers, Current: 5 - stripped.customers},
		Orders:    dynamo.BackfillCounts{Scanned: 10, Updated: stripped.orders, Current: 10 - stripped.orders},
		Read:      rep.Read,
	}
	if !reflect.DeepEqual(rep, wantRep) {
		t.Errorf("BackfillIndexes = %+v, want %+v", rep, wantRep)
	}
	if rep.Read < 15 {
		t.Errorf("Read = %d, want at least the 15 customers and orders", rep.Read)
	}
	if len(progress) != 3 || !slices.IsSorted(progress) || progress[0] < 4 {
		t.Errorf("progress reported at %v items scanned, want 3 reports (every 4 of 15 settled)", progress)
	}
	for _, tenant := range []string{"t1", "t2"} {
		c := ann.customer
		if tenant == "t2" {
			c = eve.customer
		}
		got := lists(t, st, tenant, c)
		for name, ids := range want[tenant] {
			if !reflect.DeepEqual(got[name], ids) {
				t.Errorf("%s: after the backfill %s = %v, want %v (as before the strip)", tenant, name, got[name], ids)
			}
		}
	}
	// An item that was right is left as it was; a stamp the backfill sets is a stamp.
	if got := l.item(t, dynamo.CustomerKey("t1", cyd.customer)); !reflect.DeepEqual(got, cydItem) {
		t.Errorf("the backfill changed a customer whose keys were right: %v, was %v", got, cydItem)
	}
	evi := l.item(t, dynamo.CustomerKey("t2", eve.customer))
	if at, ok := evi[dynamo.AttrLSK1+"At"].(*types.AttributeValueMemberS); !ok || !customer.ValidStamp(at.Value) {
		t.Errorf("eve's %sAt = %v, want a stamp", dynamo.AttrLSK1, evi[dynamo.AttrLSK1+"At"])
	}

	// A second run writes nothing.
	again, err := st.BackfillIndexes(ctx, dynamo.BackfillOptions{Segments: 2})
	if err != nil {
		t.Fatalf("BackfillIndexes again: %v", err)
	}
	if again.Writes() != 0 || again.Customers.Current != 5 || again.Orders.Current != 10 {
		t.Errorf("BackfillIndexes again = %+v, want every item current and nothing written", again)
	}
}

// raceClient changes the item of the first UpdateItem it is asked for just before it sends it,
// as a concurrent write of the API would.
type raceClient struct {
	dynamo.Client
	once  sync.Once
	write func(ctx context.Context, key map[string]types.AttributeValue)
}

func (c *raceClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.once.Do(func() { c.write(ctx, in.Key) })
	return c.Client.UpdateItem(ctx, in, opts...)
}

func (c *raceClient) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return c.Client.(dynamo.Scanner).Scan(ctx, in, opts...)
}

// testBackfillChangedMeanwhile renames a customer between the backfill's read and its write: the
// write's condition fails, and the backfill settles the customer from its new image, with the
// new name's sort key.
func testBackfillChangedMeanwhile(t *testing.T, b *backend) {
	ctx := t.Context()
	table := b.newTable(t)
	st := b.on(table)
	l := legacyTable{b: b, table: table, st: st}
	c := newCustomer(t, st, "t1", "ann@example.com")
	l.remove(t, dynamo.CustomerKey("t1", c.CustomerID), dynamo.CustomerIndexAttrs()...)

	// One client (serialised on moto) under both the backfill and the rename.
	var client dynamo.Client = b.client
	if b.serial {
		client = &serialClient{client: b.client}
	}
	api := dynamo.New(client, table)
	race := &raceClient{Client: client, write: func(ctx context.Context, _ map[string]types.AttributeValue) {
		zed := "Zed"
		if _, err := api.UpdateCustomer(ctx, "t1", c.CustomerID, customer.Patch{FirstName: &zed}, nil); err != nil {
			t.Errorf("UpdateCustomer meanwhile: %v", err)
		}
	}}
	rep, err := dynamo.New(race, table).BackfillIndexes(ctx, dynamo.BackfillOptions{})
	if err != nil {
		t.Fatalf("BackfillIndexes: %v", err)
	}
	if rep.Customers.Updated != 1 || rep.Customers.Retried != 1 || rep.Orders.Current != 1 {
		t.Errorf("BackfillIndexes = %+v, want the customer updated after one retry, its order current", rep)
	}
	item := l.item(t, dynamo.CustomerKey("t1", c.CustomerID))
	if got, want := item[dynamo.AttrLSK1], "CUSTOMER#zed\x01"+c.CustomerID; got == nil || got.(*types.AttributeValueMemberS).Value != want {
		t.Errorf("%s = %v, want %q (the name written meanwhile)", dynamo.AttrLSK1, got, want)
	}
	if item[dynamo.AttrGSI2PK] == nil || item[dynamo.AttrTPK] == nil {
		t.Errorf("item after the backfill lacks keys: %v", item)
	}
}

// testBackfillInvalidItems: an item in one tenant's partition that says it is another tenant's
// is counted and named, and left as it is.
func testBackfillInvalidItems(t *testing.T, b *backend) {
	table := b.newTable(t)
	st := b.on(table)
	item, err := dynamo.CustomerItem(customer.Customer{CustomerID: "cust_x", TenantID: "t2", Status: customer.Active, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	item[dynamo.AttrPK] = &types.AttributeValueMemberS{Value: "TENANT#t1"}
	delete(item, dynamo.AttrTPK)
	if _, err := b.client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	rep, err := st.BackfillIndexes(t.Context(), dynamo.BackfillOptions{})
	if err != nil {
		t.Fatalf("BackfillIndexes: %v", err)
	}
	if rep.Customers.Invalid != 1 || rep.Writes() != 0 || len(rep.InvalidItems) != 1 || !strings.Contains(rep.InvalidItems[0], "TENANT#t1 CUSTOMER#cust_x") {
		t.Errorf("BackfillIndexes = %+v, want the item counted invalid and named, nothing written", rep)
	}
	got := legacyTable{b: b, table: table}.item(t, dynamo.CustomerKey("t1", "cust_x"))
	if got[dynamo.AttrTPK] != nil {
		t.Errorf("the invalid item was written: %v", got[dynamo.AttrTPK])
	}
}

// testBackfillOldOrderRents: an order as the first version stored it (no index keys but GSI1's,
// no rentalIds, rentalProgress, createdBy or shippingAddress, lines without rentalIds and
// rentalStatus) is backfilled into the status lists, and then takes a subscription.
func testBackfillOldOrderRents(t *testing.T, b *backend) {
	ctx := t.Context()
	table := b.newTable(t)
	st := b.on(table)
	l := legacyTable{b: b, table: table, st: st}
	c := newCustomer(t, st, "t1", "ann@example.com")
	oid := c.OrderIDs[0]
	k := dynamo.OrderKey("t1", oid)
	drop := slices.DeleteFunc(dynamo.OrderIndexAttrs(), func(a string) bool { return a == dynamo.AttrGSI1PK || a == dynamo.AttrGSI1SK })
	l.remove(t, k, append(drop, "rentalIds", "rentalProgress", "createdBy", "shippingAddress", "items[0].rentalIds", "items[0].rentalStatus")...)
	pending := order.ListQuery{Status: order.Pending}
	if p, err := st.ListOrders(ctx, "t1", pending); err != nil || len(p.Orders) != 0 {
		t.Fatalf("pending orders after the strip = %v, %v; want none", p.Orders, err)
	}
	rep, err := st.BackfillIndexes(ctx, dynamo.BackfillOptions{})
	if err != nil || rep.Orders.Updated != 1 {
		t.Fatalf("BackfillIndexes = %+v, %v; want the order updated", rep, err)
	}
	if p, err := st.ListOrders(ctx, "t1", pending); err != nil || len(p.Orders) != 1 || p.Orders[0].OrderID != oid {
		t.Fatalf("pending orders after the backfill = %v, %v; want %s", p.Orders, err, oid)
	}
	if _, err := st.ApplyRentalEvent(ctx, storetest.SubscriptionCreated("evt_1", "t1", "sub_1", c.CustomerID, oid, "LAPTOP-1", 9_990000)); err != nil {
		t.Fatalf("ApplyRentalEvent on an order stored without rentalIds: %v", err)
	}
	o, err := st.GetOrder(ctx, "t1", oid)
	if err != nil || o.Status != order.Fulfilled || len(o.RentalIDs) != 1 {
		t.Errorf("order after its subscription = %+v, %v; want fulfilled with one rental", o, err)
	}
	if p, err := st.ListOrders(ctx, "t1", order.ListQuery{Status: order.Fulfilled}); err != nil || len(p.Orders) != 1 {
		t.Errorf("fulfilled orders = %v, %v; want the order", p.Orders, err)
	}
}
