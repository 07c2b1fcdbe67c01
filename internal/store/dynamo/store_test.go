package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var _ storetest.Store = (*dynamo.Store)(nil)

// tableSeq makes table names unique within a run; the time part keeps them unique across runs
// against a long-lived server.
var tableSeq atomic.Int64

// connect returns a client for DYNAMODB_ENDPOINT, or skips the test when it is not set.
func connect(t *testing.T) *dynamodb.Client {
	t.Helper()
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: start moto_server (make test does) to run the DynamoDB store suite")
	}
	client, err := dynamosetup.Connect(context.Background(), endpoint)
	if err != nil {
		t.Fatalf("Connect(%q): %v", endpoint, err)
	}
	return client
}

// newTable creates a fresh uniquely named table, deleted when the test ends.
func newTable(t *testing.T, client *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("customers-test-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	ctx := context.Background()
	if err := dynamosetup.CreateTable(ctx, client, name); err != nil {
		t.Fatalf("CreateTable(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			t.Errorf("DeleteTable(%s): %v", name, err)
		}
	})
	return name
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

func (c *serialClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client.TransactWriteItems(ctx, in, opts...)
}

// openStore returns a store on a fresh table.
func openStore(t *testing.T) *dynamo.Store {
	t.Helper()
	client := connect(t)
	return dynamo.New(&serialClient{client: client}, newTable(t, client))
}

func TestStoreContract(t *testing.T) {
	connect(t)
	storetest.Run(t, func(t *testing.T) storetest.Store { return openStore(t) })
}

func TestCreateTableIsIdempotent(t *testing.T) {
	client := connect(t)
	name := newTable(t, client)
	if err := dynamosetup.CreateTable(context.Background(), client, name); err != nil {
		t.Fatalf("second CreateTable(%s) = %v, want nil", name, err)
	}
	ttl, err := client.DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
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

func TestRequestCountsMoto(t *testing.T) {
	base := connect(t)
	table := newTable(t, base)
	counter := &requestCounter{counts: map[string]int{}}
	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, counter.add)
	})
	st := dynamo.New(client, table)
	ctx := context.Background()
	c := newCustomer(t, st, "t1", "count@example.com")
	counter.take()

	steps := []struct {
		name string
		do   func() error
		want map[string]int
	}{
		{"update without email change", func() error {
			_, err := st.UpdateCustomer(ctx, "t1", c.CustomerID, customer.Patch{FirstName: ptr("Bea"), CustomFields: map[string]any{"k": "v"}}, ptr(c.Version))
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
		{"list page", func() error {
			_, err := st.ListCustomers(ctx, "t1", customer.ListQuery{Limit: 10})
			return err
		}, map[string]int{"Query": 1}},
		{"default list page (status active)", func() error {
			p, err := st.ListCustomers(ctx, "t1", customer.ListQuery{Limit: 10, Status: customer.Active})
			if err == nil && (len(p.Customers) != 1 || p.Customers[0].CustomerID != c.CustomerID) {
				err = fmt.Errorf("page = %+v, want only %s", p.Customers, c.CustomerID)
			}
			return err
		}, map[string]int{"Query": 1}},
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
