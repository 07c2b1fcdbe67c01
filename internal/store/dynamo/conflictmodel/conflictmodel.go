// Package conflictmodel wraps a dynamo.Client so that tests running on an emulator see the
// transaction conflicts real DynamoDB reports. Emulators (dynoxide, moto) apply every request
// atomically and never answer TransactionConflictException or a cancellation for
// TransactionConflict, so a store's handling of them is otherwise never exercised.
//
// The rules modelled are those of "Transaction conflict handling in DynamoDB" in the DynamoDB
// Developer Guide (docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html):
//
//	Transaction conflicts can occur in the following scenarios:
//	- A PutItem, UpdateItem, or DeleteItem request for an item conflicts with an ongoing
//	  TransactWriteItems request that includes the same item.
//	- An item within a TransactWriteItems request is part of another ongoing
//	  TransactWriteItems request.
//	- An item within a TransactGetItems request is part of an ongoing TransactWriteItems,
//	  BatchWriteItem, PutItem, UpdateItem, or DeleteItem request.
//
//	When a PutItem, UpdateItem, or DeleteItem request is rejected, the request fails with a
//	TransactionConflictException. If any item-level request within TransactWriteItems or
//	TransactGetItems is rejected, the request fails with a TransactionCanceledException.
//	[...] If an ongoing TransactWriteItems or TransactGetItems operation conflicts with a
//	concurrent GetItem request, both operations can succeed.
//
// So, in this model:
//
//   - A TransactWriteItems holds every item it names (Put, Update, Delete and ConditionCheck
//     alike, keyed by table and primary key) from the moment it is accepted until its inner
//     call returns. Options.Hold is slept between the two: it stands for the time a real
//     transaction spends between prepare and commit, and is what makes conflicts likely.
//   - A PutItem or UpdateItem of a held item fails with *types.TransactionConflictException,
//     without reaching the inner client.
//   - A TransactWriteItems naming a held item is cancelled at once, without reaching the inner
//     client: *types.TransactionCanceledException whose CancellationReasons have Code
//     "TransactionConflict" at each held item's position and "None" elsewhere. The transaction
//     in flight goes on.
//   - A single-item write in flight holds nothing: the guide lists a conflict between an
//     ongoing single-item write and a TransactGetItems only (which the store does not use),
//     not with a TransactWriteItems, and two single-item writes never conflict.
//   - GetItem, BatchGetItem and Query are never refused.
//
// Not modelled: DynamoDB may also cancel the transaction already in flight rather than (or as
// well as) the newcomer, and a cancelled transaction may report other reasons (say
// ConditionalCheckFailed) beside TransactionConflict; here the newcomer alone is cancelled and
// only for the conflict. The errors are shaped as the SDK returns them (an
// *smithy.OperationError around an HTTP 400 response error around the typed exception), so
// errors.As and status-based classification treat them as they treat the SDK's own; the SDK
// does not retry either exception, and neither does this client.
//
// Options.Inject adds conflicts chosen by the test (every write, the first attempt, one item).
// The client counts the conflicts it reported (Conflicts), so a test can say how many it survived.
//
// # Index lag
//
// The same guide says changes "are propagated to global secondary indexes (GSIs) [...]
// eventually", and emulators update them at once. With Options.Lag, a Query of an index sees
// the writes this client made only Lag after they returned: before each write, the client reads
// the item (consistently, holding a lock of its own on the item so no write of it through the
// client comes between) and, when the write succeeds, records that image. A Query of an index
// then answers each item it returns that was written in the last Lag with the item as it was
// before the first of those writes: left out when it did not exist then or had other index key
// values then (a new item, or one that moved within or out of the index, is not seen yet), and
// otherwise with its old attributes (assuming the index projects all attributes, as the store's
// do). So "write, then read the index" fails visibly. Simplifications: an item that has left a
// partition in the last Lag is not shown in its old one (only the inner Query's items are
// rewritten, and the key condition is not evaluated on old images), a FilterExpression was
// evaluated on the current item, a page shortened by left-out items is not filled up, and
// writes made other than through this client are seen at once.
package conflictmodel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// Op names a write operation, as Inject and Counts see it.
type Op string

// The write operations the client models.
const (
	OpPutItem            Op = "PutItem"
	OpUpdateItem         Op = "UpdateItem"
	OpTransactWriteItems Op = "TransactWriteItems"
)

// Request is one item of a write about to be sent, as Options.Inject sees it.
type Request struct {
	Op    Op
	Table string
	Key   map[string]types.AttributeValue // the item's primary key
	Index int                             // position in TransactItems; 0 for PutItem and UpdateItem
}

// Options configure a Client. The zero value models conflicts with no hold time, so only
// requests that overlap on the inner client itself conflict.
type Options struct {
	// Hold is how long a transaction holds its items before its inner call (which holds them
	// too): the window in which other writes of those items conflict.
	Hold time.Duration

	// Inject, when set, is asked about every item of every PutItem, UpdateItem and
	// TransactWriteItems (concurrently, when requests are); true fails that item with a
	// conflict as if another transaction held it. It holds nothing.
	Inject func(Request) bool

	// KeyAttributes are the table's primary key attributes; nil means dynamo.AttrPK and
	// dynamo.AttrSK.
	KeyAttributes []string

	// Lag, when positive, makes a Query of an index see an item's writes only Lag after they
	// returned (see "Index lag" in the package documentation).
	Lag time.Duration

	// IndexKeys are the key attributes of each index a lagged Query may name; nil means the
	// store's (dynamo.Indexes). A lagged Query of another index fails.
	IndexKeys map[string][]string
}

// Counts are conflicts reported, per operation: one per refused request, however many of its
// items conflicted.
type Counts struct {
	PutItem            int
	UpdateItem         int
	TransactWriteItems int
}

// Total is the number of conflicts of all operations.
func (c Counts) Total() int { return c.PutItem + c.UpdateItem + c.TransactWriteItems }

func (c Counts) String() string {
	return fmt.Sprintf("%d (PutItem %d, UpdateItem %d, TransactWriteItems %d)",
		c.Total(), c.PutItem, c.UpdateItem, c.TransactWriteItems)
}

// Client is a dynamo.Client that reports DynamoDB's transaction conflicts on top of inner.
type Client struct {
	inner     dynamo.Client
	opts      Options
	keyAttrs  []string
	indexKeys map[string][]string

	mu        sync.Mutex
	held      map[string]bool // items of transactions in flight
	conflicts Counts

	lag *lagLog          // nil without Options.Lag
	now func() time.Time // the lag's clock; tests replace it
}

var _ dynamo.Client = (*Client)(nil)

// New returns a client that sends requests to inner under the conflict rules of opts.
func New(inner dynamo.Client, opts Options) *Client {
	c := &Client{
		inner:     inner,
		opts:      opts,
		keyAttrs:  opts.KeyAttributes,
		indexKeys: opts.IndexKeys,
		held:      map[string]bool{},
		now:       time.Now,
	}
	if c.keyAttrs == nil {
		c.keyAttrs = []string{dynamo.AttrPK, dynamo.AttrSK}
	}
	if c.indexKeys == nil {
		c.indexKeys = map[string][]string{}
		for _, ix := range dynamo.Indexes {
			c.indexKeys[ix.Name] = []string{ix.Hash, ix.Range}
		}
	}
	if opts.Lag > 0 {
		c.lag = newLagLog(opts.Lag)
	}
	return c
}

// Conflicts returns the conflicts the client has reported so far, modelled and injected.
func (c *Client) Conflicts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conflicts
}

func (c *Client) count(op Op) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch op {
	case OpPutItem:
		c.conflicts.PutItem++
	case OpUpdateItem:
		c.conflicts.UpdateItem++
	case OpTransactWriteItems:
		c.conflicts.TransactWriteItems++
	}
}

// GetItem is never refused: a read of an item a transaction holds sees its committed state.
func (c *Client) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return c.inner.GetItem(ctx, in, opts...)
}

// BatchGetItem is never refused, as GetItem.
func (c *Client) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return c.inner.BatchGetItem(ctx, in, opts...)
}

// TransactGetItems is cancelled, as DynamoDB cancels it, when a transaction in flight holds any of
// its items (TransactionConflict on those); otherwise it passes the read on to inner, which must
// have it (dynamo.TransactGetter). These cancellations are not counted in Conflicts, which counts
// refused writes.
func (c *Client) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	tg, ok := c.inner.(dynamo.TransactGetter)
	if !ok {
		return nil, fmt.Errorf("conflictmodel: %T cannot TransactGetItems", c.inner)
	}
	conflicting := make([]bool, len(in.TransactItems))
	refused := false
	c.mu.Lock()
	for i, it := range in.TransactItems {
		if it.Get != nil && c.held[c.itemID(deref(it.Get.TableName), it.Get.Key)] {
			conflicting[i], refused = true, true
		}
	}
	c.mu.Unlock()
	if refused {
		return nil, cancelError(conflicting)
	}
	return tg.TransactGetItems(ctx, in, opts...)
}

// PutItem fails with a TransactionConflictException when a transaction holds the item.
func (c *Client) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	table := deref(in.TableName)
	if err := c.admitSingle(OpPutItem, table, c.primaryKey(in.Item)); err != nil {
		return nil, err
	}
	var out *dynamodb.PutItemOutput
	err := c.logged(ctx, []itemRef{{table: table, key: c.primaryKey(in.Item)}}, func() error {
		var err error
		out, err = c.inner.PutItem(ctx, in, opts...)
		return err
	})
	return out, err
}

// UpdateItem fails with a TransactionConflictException when a transaction holds the item.
func (c *Client) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	table := deref(in.TableName)
	if err := c.admitSingle(OpUpdateItem, table, in.Key); err != nil {
		return nil, err
	}
	var out *dynamodb.UpdateItemOutput
	err := c.logged(ctx, []itemRef{{table: table, key: in.Key}}, func() error {
		var err error
		out, err = c.inner.UpdateItem(ctx, in, opts...)
		return err
	})
	return out, err
}

// admitSingle refuses a single-item write of a held (or injected) item.
func (c *Client) admitSingle(op Op, table string, key map[string]types.AttributeValue) error {
	injected := c.opts.Inject != nil && c.opts.Inject(Request{Op: op, Table: table, Key: key})
	id := c.itemID(table, key)
	c.mu.Lock()
	held := c.held[id]
	c.mu.Unlock()
	if !held && !injected {
		return nil
	}
	c.count(op)
	return conflictError(op)
}

// TransactWriteItems is cancelled when another transaction in flight holds any of its items;
// otherwise it holds them all for Options.Hold and its inner call.
func (c *Client) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	refs := make([]itemRef, len(in.TransactItems))
	ids := make([]string, len(in.TransactItems))
	for i, item := range in.TransactItems {
		refs[i] = c.transactRef(item)
		ids[i] = c.itemID(refs[i].table, refs[i].key)
	}

	// Inject is asked outside the lock, so it may take its time (or read Conflicts).
	conflicting := make([]bool, len(ids))
	refused := false
	if c.opts.Inject != nil {
		for i, r := range refs {
			if c.opts.Inject(Request{Op: OpTransactWriteItems, Table: r.table, Key: r.key, Index: i}) {
				conflicting[i], refused = true, true
			}
		}
	}
	// Check and hold in one step, so of two transactions that overlap one wins.
	c.mu.Lock()
	for i, id := range ids {
		if c.held[id] {
			conflicting[i], refused = true, true
		}
	}
	var mine []string // the items this transaction holds (each once, should it name one twice)
	if !refused {
		for _, id := range ids {
			if !c.held[id] {
				c.held[id] = true
				mine = append(mine, id)
			}
		}
	}
	c.mu.Unlock()
	if refused {
		c.count(OpTransactWriteItems)
		return nil, cancelError(conflicting)
	}
	defer func() {
		c.mu.Lock()
		for _, id := range mine {
			delete(c.held, id)
		}
		c.mu.Unlock()
	}()

	if err := sleep(ctx, c.opts.Hold); err != nil {
		return nil, operationError(OpTransactWriteItems, err)
	}
	var writes []itemRef // ConditionCheck writes nothing, so a lagged index has nothing to hide
	for i, item := range in.TransactItems {
		if item.ConditionCheck == nil {
			writes = append(writes, refs[i])
		}
	}
	var out *dynamodb.TransactWriteItemsOutput
	err := c.logged(ctx, writes, func() error {
		var err error
		out, err = c.inner.TransactWriteItems(ctx, in, opts...)
		return err
	})
	return out, err
}

// Query passes through, except that with Options.Lag a Query of an index sees recent writes late.
func (c *Client) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.inner.Query(ctx, in, opts...)
	if err != nil || c.lag == nil || in.IndexName == nil {
		return out, err
	}
	indexKeys, ok := c.indexKeys[*in.IndexName]
	if !ok {
		return nil, fmt.Errorf("conflictmodel: query of index %s: no key attributes in Options.IndexKeys", *in.IndexName)
	}
	lagged := *out
	lagged.Items = c.lag.rewrite(out.Items, c.now(), func(item map[string]types.AttributeValue) string {
		return c.itemID(deref(in.TableName), c.primaryKey(item))
	}, indexKeys)
	lagged.Count = int32(len(lagged.Items))
	return &lagged, nil
}

// itemRef is an item a write names: its table and primary key.
type itemRef struct {
	table string
	key   map[string]types.AttributeValue
}

// transactRef is the item one action of a transaction names.
func (c *Client) transactRef(item types.TransactWriteItem) itemRef {
	switch {
	case item.Put != nil:
		return itemRef{deref(item.Put.TableName), c.primaryKey(item.Put.Item)}
	case item.Update != nil:
		return itemRef{deref(item.Update.TableName), item.Update.Key}
	case item.Delete != nil:
		return itemRef{deref(item.Delete.TableName), item.Delete.Key}
	case item.ConditionCheck != nil:
		return itemRef{deref(item.ConditionCheck.TableName), item.ConditionCheck.Key}
	}
	return itemRef{}
}

// primaryKey is the primary key part of item.
func (c *Client) primaryKey(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := make(map[string]types.AttributeValue, len(c.keyAttrs))
	for _, a := range c.keyAttrs {
		if v, ok := item[a]; ok {
			k[a] = v
		}
	}
	return k
}

// itemID names the item with primary key key in table: the same item always gets the same id,
// whichever request (Put's Item, Update's Key) names it.
func (c *Client) itemID(table string, key map[string]types.AttributeValue) string {
	var b strings.Builder
	b.WriteString(table)
	for _, a := range c.keyAttrs {
		b.WriteByte(0)
		b.WriteString(valueString(key[a]))
	}
	return b.String()
}

// valueString spells a key attribute's value with its type, so S "1" and N "1" differ.
func valueString(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberB:
		return "B:" + string(v.Value)
	case nil:
		return "-"
	}
	// Not a valid key type: DynamoDB refuses the request, so any stable spelling will do.
	return fmt.Sprintf("?%T", v)
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sortedUnique returns ids sorted, each once.
func sortedUnique(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}
