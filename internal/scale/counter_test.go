package scale_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// cost is what one operation asked of DynamoDB: its requests by operation name, the items its
// Queries read (ScannedCount, before any filter) and returned (Count), the items its GetItems
// (and BatchGetItems) found, and the capacity units the server reported (when it reports them; dynoxide may not).
type cost struct {
	requests string // "GetItem×2 Query×1", sorted by name, so costs compare with ==
	read     int32
	returned int32
	got      int
	units    float64
}

// same reports whether c and d are the same counted cost (capacity units aside: they are
// printed, not asserted, since they follow item sizes, which the operations change).
func (c cost) same(d cost) bool {
	return c.requests == d.requests && c.read == d.read && c.returned == d.returned && c.got == d.got
}

// counter is a dynamo.Client that passes every request on and counts it. It asks every request
// for its consumed capacity (TOTAL), which changes nothing of what the request does.
type counter struct {
	next dynamo.Client

	mu       sync.Mutex
	requests map[string]int
	read     int32
	returned int32
	got      int
	units    float64
}

func newCounter(next dynamo.Client) *counter {
	return &counter{next: next, requests: map[string]int{}}
}

// take returns the cost counted since the last take and starts again.
func (c *counter) take() cost {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := cost{requests: formatCounts(c.requests), read: c.read, returned: c.returned, got: c.got, units: c.units}
	c.requests, c.read, c.returned, c.got, c.units = map[string]int{}, 0, 0, 0, 0
	return out
}

func (c *counter) note(op string, units ...*types.ConsumedCapacity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests[op]++
	for _, u := range units {
		if u != nil {
			c.units += aws.ToFloat64(u.CapacityUnits)
		}
	}
}

var total = types.ReturnConsumedCapacityTotal

func (c *counter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = total
	out, err := c.next.GetItem(ctx, &cp, opts...)
	if err != nil {
		c.note("GetItem")
		return out, err
	}
	c.note("GetItem", out.ConsumedCapacity)
	if out.Item != nil {
		c.mu.Lock()
		c.got++
		c.mu.Unlock()
	}
	return out, nil
}

func (c *counter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = total
	out, err := c.next.BatchGetItem(ctx, &cp, opts...)
	if err != nil {
		c.note("BatchGetItem")
		return out, err
	}
	units := make([]*types.ConsumedCapacity, len(out.ConsumedCapacity))
	for i := range out.ConsumedCapacity {
		units[i] = &out.ConsumedCapacity[i]
	}
	c.note("BatchGetItem", units...)
	c.mu.Lock()
	for _, items := range out.Responses {
		c.got += len(items)
	}
	c.mu.Unlock()
	return out, nil
}

func (c *counter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = total
	out, err := c.next.PutItem(ctx, &cp, opts...)
	if err != nil {
		c.note("PutItem")
		return out, err
	}
	c.note("PutItem", out.ConsumedCapacity)
	return out, nil
}

func (c *counter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = total
	out, err := c.next.UpdateItem(ctx, &cp, opts...)
	if err != nil {
		c.note("UpdateItem")
		return out, err
	}
	c.note("UpdateItem", out.ConsumedCapacity)
	return out, nil
}

func (c *counter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = total
	out, err := c.next.Query(ctx, &cp, opts...)
	if err != nil {
		c.note("Query")
		return out, err
	}
	c.note("Query", out.ConsumedCapacity)
	c.mu.Lock()
	c.read += out.ScannedCount
	c.returned += out.Count
	c.mu.Unlock()
	return out, nil
}

func (c *counter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	cp := *in
	cp.ReturnConsumedCapacity = total
	out, err := c.next.TransactWriteItems(ctx, &cp, opts...)
	if err != nil {
		c.note("TransactWriteItems")
		return out, err
	}
	units := make([]*types.ConsumedCapacity, len(out.ConsumedCapacity))
	for i := range out.ConsumedCapacity {
		units[i] = &out.ConsumedCapacity[i]
	}
	c.note("TransactWriteItems", units...)
	return out, nil
}

// formatCounts writes counts as "A×1 B×2", by name.
func formatCounts(counts map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, k+"×"+strconv.Itoa(counts[k]))
	}
	return strings.Join(parts, " ")
}
