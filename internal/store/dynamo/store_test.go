package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var _ storetest.Store = (*dynamo.Store)(nil)

// tableSeq makes table names unique within a run; the time part keeps them unique across runs
// against a long-lived server.
var tableSeq atomic.Int64

// backend is a server speaking the DynamoDB API that the store tests run against.
type backend struct {
	name string
	env  string // the variable that holds its endpoint
	// serial puts one request at a time through to the server (see serialClient).
	serial bool
	client *dynamodb.Client
}

// backends are the servers TestStore knows; make test starts both. DYNAMODB_ENDPOINT names moto,
// which the integration tests of other packages use too, for SQS, EventBridge and Streams.
// dynoxide (on SQLite) applies each request atomically whatever else is in flight, as DynamoDB
// does, so the store sends it requests as concurrently as its callers make them, and the
// concurrency tests race without a lock of the tests' own in between.
var backends = []backend{
	{name: "moto", env: "DYNAMODB_ENDPOINT", serial: true},
	{name: "dynoxide", env: "DYNOXIDE_ENDPOINT"},
}

// serverTests are the tests that need a DynamoDB server: the store contract suite and the
// DynamoDB-specific tests. TestStore runs each on every backend.
var serverTests = []struct {
	name string
	fn   func(t *testing.T, b *backend)
}{
	{"Contract", func(t *testing.T, b *backend) {
		var opts []storetest.Option
		if !b.serial {
			// dynoxide never reports a transaction conflict (the conflict model's suite is where
			// 503s are allowed), so here no racing write may answer one.
			opts = append(opts, storetest.NoUnavailable())
		} else {
			// moto copies its table in every transaction: the bulk tests run on dynoxide.
			opts = append(opts, storetest.NoBulk())
		}
		storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
			table := b.newTable(t)
			s := b.on(table)
			s.Now = now
			return contractStore{Store: s, client: b.client, table: table}
		}, opts...)
	}},
	{"CreateTableIsIdempotent", testCreateTableIsIdempotent},
	{"RequestCounts", testRequestCounts},
	{"ListRequestCounts", testListRequestCounts},
	{"NumbersAsStored", testNumbersAsStored},
	{"EraseWaitsForTheIndex", testEraseWaitsForTheIndex},
}

// contractStore is the store the suite runs on, with the suite's way to move an order to a
// status that only fulfilment sets (storetest.OrderStatusSetter).
type contractStore struct {
	*dynamo.Store
	client *dynamodb.Client
	table  string
}

// SetOrderStatus sets the order item's status, behind the store's back.
func (s contractStore) SetOrderStatus(t *testing.T, tenant, id string, st order.Status) {
	t.Helper()
	// The status and the index keys derived from it, as a write of the store would set them.
	var sets []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	for name, v := range dynamo.OrderStatusAttrs(tenant, id, st, customer.Stamp(time.Now())) {
		n := len(sets)
		sets = append(sets, fmt.Sprintf("#n%d = :v%d", n, n))
		names[fmt.Sprintf("#n%d", n)] = name
		values[fmt.Sprintf(":v%d", n)] = &types.AttributeValueMemberS{Value: v}
	}
	_, err := s.client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       dynamo.OrderKey(tenant, id),
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil {
		t.Fatalf("SetOrderStatus(%s, %s, %s): UpdateItem: %v", tenant, id, st, err)
	}
}

var _ storetest.LegacyEmails = contractStore{}

// PutLegacyCustomer writes c and its reservation under strings.ToLower(c.Email), as a version
// before customer.EmailKey did.
func (s contractStore) PutLegacyCustomer(t *testing.T, c customer.Customer) {
	t.Helper()
	item, err := dynamo.CustomerItem(c)
	if err != nil {
		t.Fatalf("PutLegacyCustomer(%s): %v", c.CustomerID, err)
	}
	reservation := map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: "TENANT#" + c.TenantID},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: "EMAIL#" + strings.ToLower(c.Email)},
		"customerId":  &types.AttributeValueMemberS{Value: c.CustomerID},
		"email":       &types.AttributeValueMemberS{Value: c.Email},
	}
	for _, it := range []map[string]types.AttributeValue{item, reservation} {
		if _, err := s.client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: it}); err != nil {
			t.Fatalf("PutLegacyCustomer(%s): PutItem: %v", c.CustomerID, err)
		}
	}
}

// EmailReservations returns the tenant's EMAIL# items, key → customerId.
func (s contractStore) EmailReservations(t *testing.T, tenant string) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :email)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: "TENANT#" + tenant},
			":email": &types.AttributeValueMemberS{Value: "EMAIL#"},
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("EmailReservations(%s): %v", tenant, err)
		}
		for _, it := range page.Items {
			sk, _ := it[dynamo.AttrSK].(*types.AttributeValueMemberS)
			id, _ := it["customerId"].(*types.AttributeValueMemberS)
			if sk == nil || id == nil {
				t.Fatalf("EmailReservations(%s): item %v without SK or customerId", tenant, it)
			}
			out[strings.TrimPrefix(sk.Value, "EMAIL#")] = id.Value
		}
	}
	return out
}

// TestStore runs serverTests on each backend whose endpoint is set, as TestStore/<backend>/...,
// and skips a backend without one, saying how to start it.
func TestStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			endpoint := os.Getenv(b.env)
			if endpoint == "" {
				t.Skipf("%s not set: no %s server to run the DynamoDB store suite on (make test starts one, as does scripts/with-%s.sh go test ./internal/store/dynamo/)",
					b.env, b.name, b.name)
			}
			client, err := dynamosetup.Connect(context.Background(), endpoint)
			if err != nil {
				t.Fatalf("Connect(%q): %v", endpoint, err)
			}
			b.client = client
			for _, tt := range serverTests {
				t.Run(tt.name, func(t *testing.T) { tt.fn(t, &b) })
			}
		})
	}
}

// newTable creates a fresh uniquely named table, deleted when the test ends.
func (b *backend) newTable(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("customers-test-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	ctx := context.Background()
	if err := dynamosetup.CreateTable(ctx, b.client, name); err != nil {
		t.Fatalf("CreateTable(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if err := dynamosetup.DeleteTable(context.Background(), b.client, name); err != nil {
			t.Error(err)
		}
	})
	return name
}

// open returns a store on a fresh table, its requests serialised when the backend needs it.
func (b *backend) open(t *testing.T) *dynamo.Store {
	t.Helper()
	return b.on(b.newTable(t))
}

// on returns a store on table, its requests serialised when the backend needs it.
func (b *backend) on(table string) *dynamo.Store {
	if b.serial {
		return dynamo.New(&serialClient{client: b.client}, table)
	}
	return dynamo.New(b.client, table)
}

// serialClient sends one request at a time. DynamoDB applies every request (a transaction
// included) atomically; moto does not under concurrent requests: a cancelled transaction restores a
// copy of the whole table taken when it started, undoing writes that other requests made since.
// One request at a time gives moto DynamoDB's atomicity while the store's own races (read, then
// conditional write) still interleave between requests.
type serialClient struct {
	mu     sync.Mutex
	client dynamo.Client
}

func (c *serialClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.GetItem(ctx, in, opts...)
}

func (c *serialClient) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.BatchGetItem(ctx, in, opts...)
}

func (c *serialClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.PutItem(ctx, in, opts...)
}

func (c *serialClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.UpdateItem(ctx, in, opts...)
}

func (c *serialClient) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.Query(ctx, in, opts...)
}

// Scan lets MigrateEmailKeys (which asks the client for a dynamo.Scanner) run on moto too.
func (c *serialClient) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc, ok := c.client.(dynamo.Scanner)
	if !ok {
		return nil, fmt.Errorf("serialClient: %T cannot Scan", c.client)
	}
	return sc.Scan(ctx, in, opts...)
}

// TransactGetItems lets ApplyRentalEvent read in one request on moto too.
func (c *serialClient) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tg, ok := c.client.(dynamo.TransactGetter)
	if !ok {
		return nil, fmt.Errorf("serialClient: %T cannot TransactGetItems", c.client)
	}
	return tg.TransactGetItems(ctx, in, opts...)
}

func (c *serialClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.TransactWriteItems(ctx, in, opts...)
}

func testCreateTableIsIdempotent(t *testing.T, b *backend) {
	name := b.newTable(t)
	if err := dynamosetup.CreateTable(context.Background(), b.client, name); err != nil {
		t.Fatalf("second CreateTable(%s) = %v, want nil", name, err)
	}
	ttl, err := b.client.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if got := aws.ToString(ttl.TimeToLiveDescription.AttributeName); got != dynamo.AttrExpires {
		t.Errorf("TTL attribute = %q, want %q", got, dynamo.AttrExpires)
	}
}

// requestCounter counts the HTTP requests a real client sends, per operation, retries included:
// the middleware sits after the retry step of the SDK's stack.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (r *requestCounter) add(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("countRequests",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.counts[middleware.GetOperationName(ctx)]++
			r.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (r *requestCounter) take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.counts
	r.counts = map[string]int{}
	return got
}

// testRequestCounts: each operation sends the requests its design says, retries included, to a
// real server: one UpdateItem for an update, one read and one transaction for an email change,
// one Query per list page.
func testRequestCounts(t *testing.T, b *backend) {
	table := b.newTable(t)
	counter := &requestCounter{counts: map[string]int{}}
	client := dynamodb.New(b.client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, counter.add)
	})
	st := dynamo.New(client, table)
	ctx := context.Background()
	c := newCustomer(t, st, "t1", "count@example.com")
	counter.take()
	second := orderInput("first@example.com")
	second.Items[0].SKU = "LAPTOP-2" // another order of the same customer
	third := orderInput("first@example.com")
	third.Items[0].SKU = "LAPTOP-3"
	keyed := order.Idempotency{Key: "count-key", RequestHash: "h3"}
	newKeyed := order.Idempotency{Key: "count-key-2", RequestHash: "h4"}

	steps := []struct {
		name string
		do   func() error
		want map[string]int
	}{
		{"update without email change", func() error {
			_, err := st.UpdateCustomer(ctx, "t1", c.CustomerID, customer.Patch{FirstName: ptr("Bea"), CustomFields: map[string]any{"k": "v"}}, customer.IfMatch{c.Version})
			return err
		}, map[string]int{"UpdateItem": 1}},
		{"update with email change", func() error {
			_, err := st.UpdateCustomer(ctx, "t1", c.CustomerID, customer.Patch{Email: ptr("moved@example.com")}, nil)
			return err
		}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		{"get", func() error {
			_, err := st.GetCustomer(ctx, "t1", c.CustomerID)
			return err
		}, map[string]int{"GetItem": 1}},
		// A page reads one item more than it holds, so the page that holds the last item knows it
		// and has no cursor: paging to the end takes no extra Query for an empty last page. (The
		// contract allows one; this store avoids it unless a filter spends its budget.)
		{"list page holding the last customer", func() error {
			p, err := st.ListCustomers(ctx, "t1", customer.ListQuery{Limit: 1})
			if err == nil && (len(p.Customers) != 1 || p.Next != "") {
				err = fmt.Errorf("page = %d customers, next %q; want 1 and none", len(p.Customers), p.Next)
			}
			return err
		}, map[string]int{"Query": 1}},
		{"orders page holding the customer's last order", func() error {
			p, err := st.ListOrders(ctx, "t1", order.ListQuery{Limit: 1, CustomerID: c.CustomerID})
			if err == nil && (len(p.Orders) != 1 || p.Next != "") {
				err = fmt.Errorf("page = %d orders, next %q; want 1 and none", len(p.Orders), p.Next)
			}
			return err
		}, map[string]int{"Query": 1}},
		{"default list page (status active)", func() error {
			p, err := st.ListCustomers(ctx, "t1", customer.ListQuery{Limit: 10, Status: customer.Active})
			if err == nil && (len(p.Customers) != 1 || p.Customers[0].CustomerID != c.CustomerID) {
				err = fmt.Errorf("page = %+v, want only %s", p.Customers, c.CustomerID)
			}
			return err
		}, map[string]int{"Query": 1}},
		// Natural idempotency adds no read to an order: it is a write of the transaction.
		{"order for a new customer", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", orderInput("first@example.com"), order.Idempotency{})
			if err == nil && replayed {
				err = errors.New("replayed, want a new order")
			}
			return err
		}, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		{"order for an existing customer", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", second, order.Idempotency{})
			if err == nil && replayed {
				err = errors.New("replayed, want a new order")
			}
			return err
		}, map[string]int{"GetItem": 2, "TransactWriteItems": 1}},
		{"identical order (natural idempotency)", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", second, order.Idempotency{})
			if err == nil && !replayed {
				err = errors.New("a new order, want the first replayed")
			}
			return err
		}, map[string]int{"GetItem": 3, "TransactWriteItems": 1}}, // the failed transaction, then the order it names
		// With an Idempotency-Key, the first read is the key's record and the email reservation
		// together (one BatchGetItem): a replay answers from it alone.
		{"order with a key, existing customer", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", third, keyed)
			if err == nil && replayed {
				err = errors.New("replayed, want a new order")
			}
			return err
		}, map[string]int{"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}},
		{"replay of the key", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", third, keyed)
			if err == nil && !replayed {
				err = errors.New("a new order, want the first replayed")
			}
			return err
		}, map[string]int{"BatchGetItem": 1}},
		{"order with a key, new customer", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", orderInput("keyed@example.com"), newKeyed)
			if err == nil && replayed {
				err = errors.New("replayed, want a new order")
			}
			return err
		}, map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}},
		{"replay of the key of a new customer's order", func() error {
			_, replayed, err := st.CreateOrder(ctx, "t1", orderInput("keyed@example.com"), newKeyed)
			if err == nil && !replayed {
				err = errors.New("a new order, want the first replayed")
			}
			return err
		}, map[string]int{"BatchGetItem": 1}},
		{"notes", func() error {
			_, err := st.UpdateOrderNotes(ctx, "t1", c.OrderIDs[0], "Call first")
			return err
		}, map[string]int{"UpdateItem": 1}},
		// A subscription event: one read of its items, one transaction (docs/api.md, Rental state).
		{"subscription created", func() error {
			o, err := st.GetOrder(ctx, "t1", c.OrderIDs[0])
			if err != nil {
				return err
			}
			counter.take()
			_, err = st.ApplyRentalEvent(ctx, storetest.SubscriptionCreated("evt_count_1", "t1", "sub_count", c.CustomerID, o.OrderID, o.Items[0].SKU, 9_990000))
			return err
		}, map[string]int{"TransactGetItems": 1, "TransactWriteItems": 1}},
		{"subscription created again (a repeat: the read only)", func() error {
			_, err := st.ApplyRentalEvent(ctx, storetest.SubscriptionCreated("evt_count_1", "t1", "sub_count", c.CustomerID, c.OrderIDs[0], "X", 9_990000))
			return err
		}, map[string]int{"TransactGetItems": 1}},
		// DELETE's rules are conditions of its one UpdateItem: no read, whichever refuses.
		{"delete refused for an active subscription", func() error {
			_, err := st.DeactivateCustomer(ctx, "t1", c.CustomerID, nil)
			if !errors.Is(err, customer.ErrActiveSubscriptions) {
				return fmt.Errorf("DeactivateCustomer = %v, want ErrActiveSubscriptions", err)
			}
			return nil
		}, map[string]int{"UpdateItem": 1}},
		{"subscription ended", func() error {
			_, err := st.ApplyRentalEvent(ctx, storetest.SubscriptionEnded("evt_count_2", "t1", "sub_count", c.CustomerID))
			return err
		}, map[string]int{"TransactGetItems": 1, "TransactWriteItems": 1}},
		// Its one order left pending with its first subscription: nothing holds the customer now.
		{"delete", func() error {
			_, err := st.DeactivateCustomer(ctx, "t1", c.CustomerID, nil)
			return err
		}, map[string]int{"UpdateItem": 1}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := counter.take(); !reflect.DeepEqual(got, step.want) {
			t.Errorf("%s: requests = %v, want %v", step.name, got, step.want)
		}
	}
}
