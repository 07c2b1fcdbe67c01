package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var _ storetest.ErasureProbe = contractStore{}

// RawItems scans the whole table, unfiltered by the store, and returns every item whose
// partition key starts with the tenant's (so also a tenant whose id it prefixes), each rendered
// with every attribute, index keys included.
func (s contractStore) RawItems(t *testing.T, tenant string) []string {
	t.Helper()
	var items []string
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("RawItems(%s): scan: %v", tenant, err)
		}
		for _, item := range out.Items {
			pk, _ := item[dynamo.AttrPK].(*types.AttributeValueMemberS)
			if pk == nil || !strings.HasPrefix(pk.Value, "TENANT#"+tenant) {
				continue
			}
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				t.Fatalf("RawItems(%s): decode: %v", tenant, err)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range m {
					if !yield(k) {
						return
					}
				}
			})
			var b strings.Builder
			for _, k := range keys {
				fmt.Fprintf(&b, "%s=%v ", k, m[k])
			}
			items = append(items, b.String())
		}
	}
	return items
}

// CrashEraseAfter makes erasures fail with storetest.ErrCrash after their n-th step, reading
// the orders two at a time, so that they take more than one step.
func (s contractStore) CrashEraseAfter(n int) {
	dynamo.SetEraseBatch(s.Store, 2)
	if n == 0 {
		s.AfterEraseStep = nil
		return
	}
	step := 0
	s.AfterEraseStep = func(string) error {
		if step++; step == n {
			return storetest.ErrCrash
		}
		return nil
	}
}

// laggingIndex is a dynamo.Client whose GSI1 Queries miss the customer's newest order, as
// DynamoDB's index may for a moment after a write.
type laggingIndex struct{ dynamo.Client }

func (c laggingIndex) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.Client.Query(ctx, in, opts...)
	if err == nil && aws.ToString(in.IndexName) == dynamo.IndexGSI1 && len(out.Items) > 0 && len(out.LastEvaluatedKey) == 0 {
		out.Items = out.Items[:len(out.Items)-1]
	}
	return out, err
}

// testEraseWaitsForTheIndex: when GSI1 shows fewer orders than the customer has, the erasure
// stops before the record (503, the customer still erasing and refusing writes, its record
// untouched) rather than leave an order with personal data behind an erased customer; a later
// call with the index caught up finishes it.
func testEraseWaitsForTheIndex(t *testing.T, b *backend) {
	ctx := t.Context()
	table := b.newTable(t)
	s := b.on(table)
	in := order.Input{
		Customer:       order.NewCustomer{Email: "lag@example.com", FirstName: "Lag", LastName: "Gard", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Lag", StreetAddress: "2 Slow Lane", City: "York", Country: "GB"},
		OrderType:      order.Standard,
	}
	var cid string
	for i := range 3 {
		in.Items = []order.Item{{SKU: fmt.Sprint("LAG-", i), Quantity: 1, ContractLength: 12}}
		o, _, err := s.CreateOrder(ctx, "t1", in, order.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CancelOrder(ctx, "t1", o.OrderID, "", order.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		cid = o.Customer.CustomerID
	}
	var client dynamo.Client = b.client
	if b.serial {
		client = &serialClient{client: b.client}
	}
	lagging := dynamo.New(laggingIndex{client}, table)
	_, err := lagging.EraseCustomer(ctx, "t1", cid)
	if fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("EraseCustomer with a lagging index = %v, want %v", err, fault.Unavailable)
	}
	c, err := s.GetCustomer(ctx, "t1", cid)
	if err != nil || c.ErasedAt != "" || !c.Erasing || c.FirstName != "Lag" {
		t.Fatalf("customer after the stopped erasure = %+v, %v; want it erasing, its record as it was", c, err)
	}
	if _, err := s.UpdateCustomer(ctx, "t1", cid, customer.Patch{FirstName: aws.String("X")}, nil); !errors.Is(err, customer.ErrErased) {
		t.Errorf("UpdateCustomer while erasing = %v, want %v", err, customer.ErrErased)
	}
	if c, err := s.EraseCustomer(ctx, "t1", cid); err != nil || c.ErasedAt == "" {
		t.Fatalf("EraseCustomer again = %+v, %v", c, err)
	}
	page, err := s.ListOrders(ctx, "t1", order.ListQuery{CustomerID: cid})
	if err != nil || len(page.Orders) != 3 {
		t.Fatalf("ListOrders = %d, %v", len(page.Orders), err)
	}
	for _, o := range page.Orders {
		if !order.Erased(o) {
			t.Errorf("order %s not erased", o.OrderID)
		}
	}
}

var _ storetest.RentalSetter = contractStore{}

// SetDevicesRented sets the customer item's totalDevicesRented, behind the store's back and
// without moving its version, as a rental event might.
func (s contractStore) SetDevicesRented(t *testing.T, tenant, id string, n int64) {
	t.Helper()
	_, err := s.client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{dynamo.AttrPK: &types.AttributeValueMemberS{Value: "TENANT#" + tenant}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: "CUSTOMER#" + id}},
		UpdateExpression:          aws.String("SET totalDevicesRented = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: fmt.Sprint(n)}},
	})
	if err != nil {
		t.Fatalf("SetDevicesRented(%s, %s): %v", tenant, id, err)
	}
}
