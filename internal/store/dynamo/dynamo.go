// Package dynamo is the DynamoDB store: one table whose partition keys start with the tenant,
// customers updated by one conditional UpdateItem, and orders written in one transaction with
// their customer change, email reservation and idempotency record.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Client is the part of *dynamodb.Client the store calls, so tests and benchmarks can fake it.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store is the DynamoDB implementation of the service's storage (storetest.Store).
type Store struct {
	client Client
	table  string

	// Now is the clock; tests may replace it. Nil means time.Now.
	Now func() time.Time

	// Retry bounds the retries of lost races; the zero value means DefaultRetry.
	Retry RetryPolicy

	// AfterEraseStep, when set, is called after each committed step of an erasure (erase.go)
	// with the step's name; an error ends the erasure there, as a crash would. For tests.
	AfterEraseStep func(step string) error
	// eraseBatch is the page of orders one erasure step reads (0: defaultEraseBatch); tests
	// make it small to have many steps.
	eraseBatch int
}

// New returns a store on table through client.
func New(client Client, table string) *Store {
	return &Store{client: client, table: table}
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// msgUnavailable is the client-safe message of every transient failure.
const msgUnavailable = "The service is temporarily unavailable"

// fail wraps err, from operation op, for the caller: throttling and unreachable endpoints (after
// the SDK's own retries) become fault.Unavailable; anything else stays internal. The AWS error
// text only ever reaches the log, never a client message.
func fail(op string, err error) error {
	wrapped := fmt.Errorf("dynamo: %s: %w", op, err)
	if transient(err) {
		return fault.Wrap(fault.Unavailable, msgUnavailable, wrapped)
	}
	return wrapped
}

// transient reports whether err is throttling, a failure to reach DynamoDB at all, or a
// request the context ended.
func transient(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable":
			return true
		}
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true
	}
	// Any other 5xx answer the SDK gave up retrying (a proxy's, or one it could not parse) is the
	// database being unavailable too.
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	// A request cut short by the caller's deadline (or cancellation) did not get an answer in
	// time, which to the client is the database being unavailable as well.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// conditionFailed returns the ALL_OLD item of a failed conditional write (nil when the item does
// not exist) and whether err is such a failure.
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}

// writeSet collects the writes of one transaction, at most one per item: DynamoDB refuses a
// transaction that touches an item twice. A later write of an item replaces the earlier one in
// its place.
type writeSet struct {
	index map[string]int // item → position in items
	items []types.TransactWriteItem
}

// itemID names the item with primary key k.
func itemID(k map[string]types.AttributeValue) string {
	pk, _ := k[AttrPK].(*types.AttributeValueMemberS)
	sk, _ := k[AttrSK].(*types.AttributeValueMemberS)
	return pk.Value + "\x00" + sk.Value
}

// put sets the write of the item with primary key k.
func (w *writeSet) put(k map[string]types.AttributeValue, item types.TransactWriteItem) {
	if w.index == nil {
		w.index = map[string]int{}
	}
	id := itemID(k)
	if i, ok := w.index[id]; ok {
		w.items[i] = item
		return
	}
	w.index[id] = len(w.items)
	w.items = append(w.items, item)
}

// cancelled returns the cancellation reasons of a cancelled transaction, one per item in order.
func cancelled(err error) ([]types.CancellationReason, bool) {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return tce.CancellationReasons, true
	}
	return nil, false
}

// reason returns the code of reasons[i], or "" when there is none.
func reason(reasons []types.CancellationReason, i int) string {
	if i < 0 || i >= len(reasons) || reasons[i].Code == nil {
		return ""
	}
	if c := *reasons[i].Code; c != "None" {
		return c
	}
	return ""
}

// Reason codes of a cancelled transaction.
const (
	codeConditionFailed = "ConditionalCheckFailed"
	codeConflict        = "TransactionConflict"
)

// cancelledBy reports whether any reason is code.
func cancelledBy(reasons []types.CancellationReason, code string) bool {
	for i := range reasons {
		if reason(reasons, i) == code {
			return true
		}
	}
	return false
}

// throttled reports whether a cancelled transaction was throttled rather than refused.
func throttled(reasons []types.CancellationReason) bool {
	for i := range reasons {
		switch reason(reasons, i) {
		case "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			return true
		}
	}
	return false
}
