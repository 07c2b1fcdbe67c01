package conflictmodel

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeClient is an inner client whose operations are func fields; a nil field answers an empty
// success. It records the operations that reached it.
type fakeClient struct {
	getItem            func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
	putItem            func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error)
	updateItem         func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	query              func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error)
	transactWriteItems func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error)

	mu    sync.Mutex
	calls []string
}

func (f *fakeClient) called(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
}

// take returns the operations that reached the client since the last take.
func (f *fakeClient) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := f.calls
	f.calls = nil
	return got
}

func (f *fakeClient) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.called("GetItem")
	if f.getItem != nil {
		return f.getItem(in)
	}
	return &dynamodb.GetItemOutput{}, nil
}

// BatchGetItem answers each key as getItem does (nothing found without one).
func (f *fakeClient) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.called("BatchGetItem")
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	if f.getItem == nil {
		return out, nil
	}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			got, err := f.getItem(&dynamodb.GetItemInput{TableName: &table, Key: k, ConsistentRead: ka.ConsistentRead})
			if err != nil {
				return nil, err
			}
			if got.Item != nil {
				out.Responses[table] = append(out.Responses[table], got.Item)
			}
		}
	}
	return out, nil
}

func (f *fakeClient) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.called("PutItem")
	if f.putItem != nil {
		return f.putItem(in)
	}
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeClient) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.called("UpdateItem")
	if f.updateItem != nil {
		return f.updateItem(in)
	}
	return &dynamodb.UpdateItemOutput{}, nil
}

func (f *fakeClient) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.called("Query")
	if f.query != nil {
		return f.query(in)
	}
	return &dynamodb.QueryOutput{}, nil
}

func (f *fakeClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.called("TransactWriteItems")
	if f.transactWriteItems != nil {
		return f.transactWriteItems(in)
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

const table = "t"

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": s(pk), "SK": s(sk)}
}

// item is the item with key pk/sk and further attributes attrs (name, value, ...).
func item(pk, sk string, attrs ...string) map[string]types.AttributeValue {
	it := key(pk, sk)
	for i := 0; i+1 < len(attrs); i += 2 {
		it[attrs[i]] = s(attrs[i+1])
	}
	return it
}

func put(tbl, pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(tbl), Item: item(pk, sk, "a", "1")}}
}

func update(tbl, pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(tbl), Key: key(pk, sk), UpdateExpression: aws.String("SET a = :a")}}
}

func del(tbl, pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(tbl), Key: key(pk, sk)}}
}

func check(tbl, pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(tbl), Key: key(pk, sk), ConditionExpression: aws.String("attribute_exists(PK)")}}
}

func txn(items ...types.TransactWriteItem) *dynamodb.TransactWriteItemsInput {
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}
}

func putIn(tbl, pk, sk string) *dynamodb.PutItemInput {
	return &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item(pk, sk, "a", "1")}
}

func updateIn(tbl, pk, sk string) *dynamodb.UpdateItemInput {
	return &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key(pk, sk), UpdateExpression: aws.String("SET a = :a")}
}

// isConflict reports whether err is a single-item write's TransactionConflictException.
func isConflict(err error) bool {
	var tce *types.TransactionConflictException
	return errors.As(err, &tce)
}

// reasonCodes returns the cancellation reason codes of err, or nil when it is no cancellation.
func reasonCodes(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	codes := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		codes[i] = aws.ToString(r.Code)
	}
	return codes
}

// blocker makes the inner TransactWriteItems of one transaction (the one whose first item is
// first) wait until release is closed, signalling entered when it starts waiting.
type blocker struct {
	first   types.TransactWriteItem
	entered chan struct{}
	release chan struct{}
}

func newBlocker(first types.TransactWriteItem) *blocker {
	return &blocker{first: first, entered: make(chan struct{}), release: make(chan struct{})}
}

func (b *blocker) transactWriteItems(in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
	if len(in.TransactItems) > 0 && reflect.DeepEqual(in.TransactItems[0], b.first) {
		close(b.entered)
		<-b.release
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// TestTransactionHoldsItems: while a transaction is in flight, single-item writes of its items
// get TransactionConflictException and transactions naming them are cancelled with the reason
// at the right place, without reaching the inner client; other items, reads, and the same
// items once the transaction returned, pass.
func TestTransactionHoldsItems(t *testing.T) {
	holder := txn(put(table, "P", "customer"), update(table, "P", "order"), check(table, "P", "checked"), del(table, "P", "deleted"))
	b := newBlocker(holder.TransactItems[0])
	inner := &fakeClient{transactWriteItems: b.transactWriteItems}
	c := New(inner, Options{})
	ctx := context.Background()

	done := make(chan error)
	go func() {
		_, err := c.TransactWriteItems(ctx, holder)
		done <- err
	}()
	<-b.entered
	inner.take()

	tests := []struct {
		name      string
		do        func() error
		conflict  bool     // a TransactionConflictException
		reasons   []string // a cancellation with these reasons
		wantCalls []string // the inner calls made
	}{
		{"UpdateItem of a Put item", func() error { _, err := c.UpdateItem(ctx, updateIn(table, "P", "customer")); return err },
			true, nil, nil},
		{"PutItem of an Update item", func() error { _, err := c.PutItem(ctx, putIn(table, "P", "order")); return err },
			true, nil, nil},
		{"PutItem of a ConditionCheck item", func() error { _, err := c.PutItem(ctx, putIn(table, "P", "checked")); return err },
			true, nil, nil},
		{"UpdateItem of a Delete item", func() error { _, err := c.UpdateItem(ctx, updateIn(table, "P", "deleted")); return err },
			true, nil, nil},
		{"UpdateItem of another item", func() error { _, err := c.UpdateItem(ctx, updateIn(table, "P", "other")); return err },
			false, nil, []string{"UpdateItem"}},
		{"PutItem of the same key in another table", func() error { _, err := c.PutItem(ctx, putIn("t2", "P", "customer")); return err },
			false, nil, []string{"PutItem"}},
		{"transaction with held items at 1 and 2", func() error {
			_, err := c.TransactWriteItems(ctx, txn(put(table, "P", "free"), update(table, "P", "customer"), del(table, "P", "checked")))
			return err
		}, false, []string{"None", "TransactionConflict", "TransactionConflict"}, nil},
		{"transaction with a ConditionCheck of a held item", func() error {
			_, err := c.TransactWriteItems(ctx, txn(check(table, "P", "order"), put(table, "P", "free")))
			return err
		}, false, []string{"TransactionConflict", "None"}, nil},
		{"transaction of other items", func() error {
			_, err := c.TransactWriteItems(ctx, txn(put(table, "P", "free"), update(table, "Q", "customer")))
			return err
		}, false, nil, []string{"TransactWriteItems"}},
		{"GetItem of a held item", func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("P", "customer")})
			return err
		}, false, nil, []string{"GetItem"}},
		{"Query", func() error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table)})
			return err
		}, false, nil, []string{"Query"}},
	}
	for _, tt := range tests {
		err := tt.do()
		switch {
		case tt.conflict:
			if !isConflict(err) {
				t.Errorf("%s: error %v, want a TransactionConflictException", tt.name, err)
			}
		case tt.reasons != nil:
			if got := reasonCodes(err); !reflect.DeepEqual(got, tt.reasons) {
				t.Errorf("%s: error %v, reasons %q, want reasons %q", tt.name, err, got, tt.reasons)
			}
		case err != nil:
			t.Errorf("%s: error %v, want nil", tt.name, err)
		}
		if got := inner.take(); !reflect.DeepEqual(got, tt.wantCalls) {
			t.Errorf("%s: inner calls %q, want %q", tt.name, got, tt.wantCalls)
		}
	}
	counts := c.Conflicts()
	if want := (Counts{PutItem: 2, UpdateItem: 2, TransactWriteItems: 2}); counts != want {
		t.Errorf("Conflicts() = %v, want %v", counts, want)
	}

	close(b.release)
	if err := <-done; err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	// Released: the same items are free again.
	if _, err := c.UpdateItem(ctx, updateIn(table, "P", "customer")); err != nil {
		t.Errorf("UpdateItem after the transaction returned: %v, want nil", err)
	}
	if _, err := c.TransactWriteItems(ctx, txn(update(table, "P", "order"), check(table, "P", "checked"))); err != nil {
		t.Errorf("transaction after the transaction returned: %v, want nil", err)
	}
	if got := c.Conflicts(); got != counts {
		t.Errorf("Conflicts() after release = %v, want %v still", got, counts)
	}
}

// TestHoldTime: a transaction holds its items for Options.Hold before its inner call, and lets
// them go when the call returns, also when it failed.
func TestHoldTime(t *testing.T) {
	const hold = 300 * time.Millisecond
	var innerAt time.Time
	inner := &fakeClient{transactWriteItems: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		innerAt = time.Now()
		return nil, errors.New("inner failure")
	}}
	c := New(inner, Options{Hold: hold})
	ctx := context.Background()
	start := time.Now()
	done := make(chan error)
	go func() {
		_, err := c.TransactWriteItems(ctx, txn(put(table, "P", "A")))
		done <- err
	}()
	time.Sleep(hold / 6)
	if _, err := c.PutItem(ctx, putIn(table, "P", "A")); !isConflict(err) {
		t.Errorf("PutItem during the hold: error %v, want a TransactionConflictException", err)
	}
	if err := <-done; err == nil || err.Error() != "inner failure" {
		t.Errorf("transaction: error %v, want the inner failure", err)
	}
	if waited := innerAt.Sub(start); waited < hold {
		t.Errorf("inner call %v after the transaction started, want at least the hold %v", waited, hold)
	}
	if _, err := c.PutItem(ctx, putIn(table, "P", "A")); err != nil {
		t.Errorf("PutItem after the failed transaction: %v, want nil", err)
	}
}

// TestCancelledDuringHold: a transaction whose context ends during the hold returns its error,
// never reaches the inner client, and holds nothing afterwards.
func TestCancelledDuringHold(t *testing.T) {
	inner := &fakeClient{}
	c := New(inner, Options{Hold: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.TransactWriteItems(ctx, txn(put(table, "P", "A")))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("transaction: error %v, want context.Canceled", err)
	}
	if got := inner.take(); got != nil {
		t.Errorf("inner calls %q, want none", got)
	}
	if _, err := c.PutItem(context.Background(), putIn(table, "P", "A")); err != nil {
		t.Errorf("PutItem after the cancelled transaction: %v, want nil", err)
	}
}

// TestSingleWritesHoldNothing: the guide has a single-item write in flight conflict only with a
// TransactGetItems, so neither a transaction nor another write of its item conflicts with it.
func TestSingleWritesHoldNothing(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	inner := &fakeClient{updateItem: func(in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		if aws.ToString(in.UpdateExpression) == "SET slow = :s" {
			close(entered)
			<-release
		}
		return &dynamodb.UpdateItemOutput{}, nil
	}}
	c := New(inner, Options{})
	ctx := context.Background()
	done := make(chan error)
	go func() {
		in := updateIn(table, "P", "A")
		in.UpdateExpression = aws.String("SET slow = :s")
		_, err := c.UpdateItem(ctx, in)
		done <- err
	}()
	<-entered
	if _, err := c.UpdateItem(ctx, updateIn(table, "P", "A")); err != nil {
		t.Errorf("UpdateItem during another UpdateItem: %v, want nil", err)
	}
	if _, err := c.PutItem(ctx, putIn(table, "P", "A")); err != nil {
		t.Errorf("PutItem during an UpdateItem: %v, want nil", err)
	}
	if _, err := c.TransactWriteItems(ctx, txn(update(table, "P", "A"))); err != nil {
		t.Errorf("transaction during an UpdateItem: %v, want nil", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("slow UpdateItem: %v", err)
	}
	if got := c.Conflicts(); got != (Counts{}) {
		t.Errorf("Conflicts() = %v, want none", got)
	}
}

// TestOverlappingTransactions: of many transactions of one item started together, those that
// find it held are cancelled, at least one commits, and every one is either.
func TestOverlappingTransactions(t *testing.T) {
	const n = 20
	var mu sync.Mutex
	committed := 0
	inner := &fakeClient{transactWriteItems: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		mu.Lock()
		committed++
		mu.Unlock()
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}}
	c := New(inner, Options{Hold: 20 * time.Millisecond})
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = c.TransactWriteItems(context.Background(), txn(put(table, "P", "free"+string(rune('a'+i))), update(table, "P", "hot")))
		})
	}
	close(start)
	wg.Wait()
	cancelled := 0
	for i, err := range errs {
		switch got := reasonCodes(err); {
		case err == nil:
		case reflect.DeepEqual(got, []string{"None", "TransactionConflict"}):
			cancelled++
		default:
			t.Errorf("transaction %d: error %v, reasons %q, want nil or [None TransactionConflict]", i, err, got)
		}
	}
	if committed < 1 || committed+cancelled != n {
		t.Errorf("committed %d, cancelled %d, want at least 1 committed and %d in all", committed, cancelled, n)
	}
	if got := c.Conflicts().TransactWriteItems; got != cancelled {
		t.Errorf("Conflicts().TransactWriteItems = %d, want %d", got, cancelled)
	}
}

// TestInject: Inject fails the writes it picks as conflicts, without reaching the inner client,
// and sees every item of every write.
func TestInject(t *testing.T) {
	ctx := context.Background()
	t.Run("every write", func(t *testing.T) {
		inner := &fakeClient{}
		c := New(inner, Options{Inject: func(Request) bool { return true }})
		if _, err := c.PutItem(ctx, putIn(table, "P", "A")); !isConflict(err) {
			t.Errorf("PutItem: error %v, want a TransactionConflictException", err)
		}
		if _, err := c.UpdateItem(ctx, updateIn(table, "P", "A")); !isConflict(err) {
			t.Errorf("UpdateItem: error %v, want a TransactionConflictException", err)
		}
		_, err := c.TransactWriteItems(ctx, txn(put(table, "P", "A"), check(table, "P", "B")))
		if got, want := reasonCodes(err), []string{"TransactionConflict", "TransactionConflict"}; !reflect.DeepEqual(got, want) {
			t.Errorf("TransactWriteItems: error %v, reasons %q, want %q", err, got, want)
		}
		if _, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key("P", "A")}); err != nil {
			t.Errorf("GetItem: %v, want nil", err)
		}
		if got, want := inner.take(), []string{"GetItem"}; !reflect.DeepEqual(got, want) {
			t.Errorf("inner calls %q, want %q", got, want)
		}
		if got, want := c.Conflicts(), (Counts{PutItem: 1, UpdateItem: 1, TransactWriteItems: 1}); got != want {
			t.Errorf("Conflicts() = %v, want %v", got, want)
		}
	})
	t.Run("one item, first attempt", func(t *testing.T) {
		var mu sync.Mutex
		var seen []Request
		failed := false
		inner := &fakeClient{}
		c := New(inner, Options{Inject: func(r Request) bool {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, r)
			if !failed && r.Index == 1 {
				failed = true
				return true
			}
			return false
		}})
		in := txn(put(table, "P", "A"), update(table, "P", "B"))
		_, err := c.TransactWriteItems(ctx, in)
		if got, want := reasonCodes(err), []string{"None", "TransactionConflict"}; !reflect.DeepEqual(got, want) {
			t.Errorf("first attempt: error %v, reasons %q, want %q", err, got, want)
		}
		if _, err := c.TransactWriteItems(ctx, in); err != nil {
			t.Errorf("second attempt: %v, want nil", err)
		}
		want := []Request{
			{Op: OpTransactWriteItems, Table: table, Key: key("P", "A"), Index: 0},
			{Op: OpTransactWriteItems, Table: table, Key: key("P", "B"), Index: 1},
		}
		want = append(want, want...)
		if !reflect.DeepEqual(seen, want) {
			t.Errorf("Inject saw %+v, want %+v", seen, want)
		}
		if got, want := inner.take(), []string{"TransactWriteItems"}; !reflect.DeepEqual(got, want) {
			t.Errorf("inner calls %q, want %q", got, want)
		}
	})
}

// TestCountsString: the summary a test prints.
func TestCountsString(t *testing.T) {
	got := Counts{PutItem: 1, UpdateItem: 2, TransactWriteItems: 4}.String()
	if want := "7 (PutItem 1, UpdateItem 2, TransactWriteItems 4)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
