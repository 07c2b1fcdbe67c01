package conflictmodel

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// memTable is an inner client on an in-memory table with an index "GSI2" (keys GSI2PK, GSI2SK)
// that, as on an emulator, is always up to date. Query of the index takes its partition from
// the value ":pk"; a Query of the table returns every item.
type memTable struct {
	fakeClient
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
}

func newMemTable() *memTable {
	m := &memTable{items: map[string]map[string]types.AttributeValue{}}
	id := func(k map[string]types.AttributeValue) string {
		return valueString(k["PK"]) + "/" + valueString(k["SK"])
	}
	m.getItem = func(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		return &dynamodb.GetItemOutput{Item: maps.Clone(m.items[id(in.Key)])}, nil
	}
	m.putItem = func(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
		if aws.ToString(in.ConditionExpression) == "fail" {
			return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.items[id(in.Item)] = maps.Clone(in.Item)
		return &dynamodb.PutItemOutput{}, nil
	}
	m.transactWriteItems = func(in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, w := range in.TransactItems {
			switch {
			case w.Put != nil:
				m.items[id(w.Put.Item)] = maps.Clone(w.Put.Item)
			case w.Delete != nil:
				delete(m.items, id(w.Delete.Key))
			}
		}
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	m.query = func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		var out []map[string]types.AttributeValue
		for _, it := range m.items {
			if in.IndexName == nil || valueString(it["GSI2PK"]) == valueString(in.ExpressionAttributeValues[":pk"]) {
				out = append(out, maps.Clone(it))
			}
		}
		slices.SortFunc(out, func(a, b map[string]types.AttributeValue) int {
			if x, y := valueString(a["GSI2SK"])+valueString(a["SK"]), valueString(b["GSI2SK"])+valueString(b["SK"]); x < y {
				return -1
			} else if x > y {
				return 1
			}
			return 0
		})
		return &dynamodb.QueryOutput{Items: out, Count: int32(len(out)), ScannedCount: int32(len(out))}, nil
	}
	return m
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// customer is a customer item with status st and name name, in GSI2's partition of st.
func customer(id, st, name string) map[string]types.AttributeValue {
	return item("T", "C#"+id, "GSI2PK", "T#"+st, "GSI2SK", "C#"+id, "status", st, "name", name)
}

// byStatus queries GSI2 for the customers of status st and returns "id:name" of each.
func byStatus(t *testing.T, c *Client, st string) []string {
	t.Helper()
	out, err := c.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		IndexName:                 aws.String("GSI2"),
		KeyConditionExpression:    aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s("T#" + st)},
	})
	if err != nil {
		t.Fatalf("Query GSI2 %s: %v", st, err)
	}
	if int(out.Count) != len(out.Items) {
		t.Errorf("Query GSI2 %s: Count %d, want %d, the items returned", st, out.Count, len(out.Items))
	}
	return names(out.Items)
}

func names(items []map[string]types.AttributeValue) []string {
	got := []string{}
	for _, it := range items {
		got = append(got, valueString(it["SK"])[len("S:C#"):]+":"+valueString(it["name"])[len("S:"):])
	}
	return got
}

// TestIndexLag: a Query of an index sees each write Lag after it; a Query of the table, and
// writes that failed, are not affected.
func TestIndexLag(t *testing.T) {
	const lag = time.Second
	inner := newMemTable()
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	c := New(inner, Options{Lag: lag, IndexKeys: map[string][]string{"GSI2": {"GSI2PK", "GSI2SK"}}})
	c.now = clk.now
	ctx := context.Background()
	putCustomer := func(it map[string]types.AttributeValue) {
		t.Helper()
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}

	steps := []struct {
		name           string
		do             func()
		active, closed []string // GSI2 by status, as the lagged index answers
	}{
		{"new customers are not in the index yet", func() {
			putCustomer(customer("1", "active", "Ada"))
			putCustomer(customer("2", "active", "Bea"))
		}, []string{}, []string{}},
		{"half the lag later, still not", func() { clk.advance(lag / 2) }, []string{}, []string{}},
		{"after the lag, they are", func() { clk.advance(lag / 2) }, []string{"1:Ada", "2:Bea"}, []string{}},
		{"a changed name shows its old value", func() {
			putCustomer(customer("1", "active", "Ada Lovelace"))
		}, []string{"1:Ada", "2:Bea"}, []string{}},
		{"a second change within the lag still shows the value before the first", func() {
			clk.advance(lag / 2)
			putCustomer(customer("1", "active", "Ada King"))
		}, []string{"1:Ada", "2:Bea"}, []string{}},
		{"the lag after the first change, the second's old value", func() { clk.advance(lag / 2) },
			[]string{"1:Ada Lovelace", "2:Bea"}, []string{}},
		{"the lag after the second, the current value", func() { clk.advance(lag / 2) },
			[]string{"1:Ada King", "2:Bea"}, []string{}},
		{"a customer that changed partition is not in the new one yet", func() {
			putCustomer(customer("2", "closed", "Bea"))
		}, []string{"1:Ada King"}, []string{}},
		{"a failed write changes nothing", func() {
			clk.advance(lag)
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: customer("1", "active", "Nobody"), ConditionExpression: aws.String("fail")})
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				t.Errorf("failing PutItem: error %v, want the inner ConditionalCheckFailedException", err)
			}
		}, []string{"1:Ada King"}, []string{"2:Bea"}},
		{"a transaction's new item lags too (its deleted one is gone at once: the model only rewrites what the inner Query returns)", func() {
			_, err := c.TransactWriteItems(ctx, txn(
				types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: customer("3", "closed", "Cy")}},
				del(table, "T", "C#1"),
			))
			if err != nil {
				t.Fatalf("TransactWriteItems: %v", err)
			}
		}, []string{}, []string{"2:Bea"}},
		{"after the lag, the transaction is seen", func() { clk.advance(lag) }, []string{}, []string{"2:Bea", "3:Cy"}},
	}
	for _, step := range steps {
		step.do()
		if got := byStatus(t, c, "active"); !reflect.DeepEqual(got, step.active) {
			t.Errorf("%s: active = %q, want %q", step.name, got, step.active)
		}
		if got := byStatus(t, c, "closed"); !reflect.DeepEqual(got, step.closed) {
			t.Errorf("%s: closed = %q, want %q", step.name, got, step.closed)
		}
	}
}

// TestIndexLagLeavesTableQueries: only index Queries lag, and an index without known keys is an
// error rather than silently up to date.
func TestIndexLagLeavesTableQueries(t *testing.T) {
	inner := newMemTable()
	c := New(inner, Options{Lag: time.Hour})
	ctx := context.Background()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: customer("1", "active", "Ada")}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk")})
	if err != nil {
		t.Fatalf("Query of the table: %v", err)
	}
	if got, want := names(out.Items), []string{"1:Ada"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Query of the table = %q, want %q", got, want)
	}
	if got, want := byStatus(t, c, "active"), []string{}; !reflect.DeepEqual(got, want) {
		t.Errorf("Query of GSI2 = %q, want %q", got, want)
	}
	if _, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("GSI99")}); err == nil {
		t.Error("Query of an index without keys in Options.IndexKeys: nil error, want one")
	}
}

// TestNoLagNoReads: without Options.Lag the client reads nothing before a write.
func TestNoLagNoReads(t *testing.T) {
	inner := newMemTable()
	c := New(inner, Options{})
	ctx := context.Background()
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: customer("1", "active", "Ada")}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	if got, want := byStatus(t, c, "active"), []string{"1:Ada"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Query of GSI2 = %q, want %q", got, want)
	}
	if got, want := inner.take(), []string{"PutItem", "Query"}; !reflect.DeepEqual(got, want) {
		t.Errorf("inner calls %q, want %q", got, want)
	}
}
