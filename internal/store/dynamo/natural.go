package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/order"
)

// Natural idempotency (order.Duplicate) is decided in the transaction that makes the order: it
// also puts the fingerprint's item (fingerprintKey), naming the new order, on condition that the
// item names no order that could still answer — there is none, or its order was created
// order.DuplicateWindow or more ago. Two racing identical requests both try that Put; one
// commits, the other's condition fails (or it conflicts) and it answers with the winner's
// order. So the common order, with nothing to be a duplicate of, costs no read more than before.
//
// A condition cannot read another item, so "its order was cancelled" is learnt after the fact:
// the failed condition's ALL_OLD item names the order, which is read (order.Duplicate decides);
// when it may not answer, the next attempt's condition also accepts the item as it was read
// (orderId = that order), so a racer that replaced it meanwhile still wins alone.

// fingerprintRecord is the fingerprint item: the latest order made with the fingerprint and when
// (CreatedAtMs, what the condition compares); ExpiresAt lets DynamoDB's TTL delete it once it can
// answer no request (TTL deletion is lazy: the condition never relies on it).
type fingerprintRecord struct {
	OrderID     string `dynamodbav:"orderId"`
	CreatedAt   string `dynamodbav:"createdAt"`
	CreatedAtMs int64  `dynamodbav:"createdAtMs"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"`
}

// fingerprintPut is the Put of the fingerprint item naming o, made from a request with idem at
// now. With an Idempotency-Key the request is never a duplicate, and its order replaces whatever
// the item named (a later request without a key finds it, as it would find any order).
// Without one the Put's condition is that no order the item names can still answer: the item is
// absent, or its order was created order.DuplicateWindow or more before now (!order.Live of
// order.DuplicateUntil, to the millisecond), or it names pinned, an order read and found unable
// to answer (cancelled). The condition failing returns the item (ALL_OLD).
func (s *Store) fingerprintPut(tenant, fingerprint string, idem order.Idempotency, o order.Order, pinned string, now time.Time) (*types.Put, error) {
	created, err := time.Parse(time.RFC3339, o.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("dynamo: create order: createdAt %q: %w", o.CreatedAt, err)
	}
	until := order.DuplicateUntil(created)
	item, err := attributevalue.MarshalMap(fingerprintRecord{
		OrderID:     o.OrderID,
		CreatedAt:   o.CreatedAt,
		CreatedAtMs: created.UnixMilli(),
		ExpiresAt:   until.Add(time.Second - time.Nanosecond).Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: create order: encode fingerprint record: %w", err)
	}
	for k, v := range fingerprintKey(tenant, fingerprint) {
		item[k] = v
	}
	put := &types.Put{TableName: aws.String(s.table), Item: item}
	if idem.Key != "" {
		return put, nil
	}
	cond := expression.Or(
		expression.Name(AttrPK).AttributeNotExists(),
		// Live(createdAt + window, now) is now < createdAt + window: dead when createdAt <= now - window.
		expression.Name("createdAtMs").LessThanEqual(expression.Value(now.Add(-order.DuplicateWindow).UnixMilli())),
	)
	if pinned != "" {
		cond = cond.Or(expression.Name("orderId").Equal(expression.Value(pinned)))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: create order: build fingerprint condition: %w", err)
	}
	put.ConditionExpression = expr.Condition()
	put.ExpressionAttributeNames = expr.Names()
	put.ExpressionAttributeValues = expr.Values()
	put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	return put, nil
}

// duplicate decides natural idempotency for a request with idem and fingerprint from the
// fingerprint item (item, such as a failed condition's ALL_OLD, or read when nil): found is true when the order it names, read now,
// answers the request (order.Duplicate), and o is that order as it is now. Otherwise pinned is
// the order the item names ("" when there is no item), which a Put may replace.
func (s *Store) duplicate(ctx context.Context, tenant, fingerprint string, idem order.Idempotency, item map[string]types.AttributeValue) (o order.Order, found bool, pinned string, err error) {
	if idem.Key != "" {
		return order.Order{}, false, "", nil
	}
	if item == nil {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(s.table),
			Key:            fingerprintKey(tenant, fingerprint),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return order.Order{}, false, "", fail("get fingerprint record", err)
		}
		if out.Item == nil {
			return order.Order{}, false, "", nil
		}
		item = out.Item
	}
	var rec fingerprintRecord
	if err := unmarshal(item, &rec); err != nil {
		return order.Order{}, false, "", fmt.Errorf("dynamo: decode fingerprint record: %w", err)
	}
	first, err := s.GetOrder(ctx, tenant, rec.OrderID)
	switch {
	case errors.Is(err, order.ErrNotFound):
		// Written with its order, never without: only a record of a deleted order. It answers nothing.
		return order.Order{}, false, rec.OrderID, nil
	case err != nil:
		return order.Order{}, false, "", err
	case order.Duplicate(first, idem, s.now()):
		return first, true, "", nil
	}
	return order.Order{}, false, rec.OrderID, nil
}
