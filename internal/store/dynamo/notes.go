package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// UpdateOrderNotes replaces the order's notes ("" removes them) and moves its updatedAt, as
// order.SetNotes says: one UpdateItem, on condition that the order exists, answered with the
// item as written (ALL_NEW), so it costs no read. A transaction holding the order (a cancel)
// makes it conflict: the same update is sent again after a backoff, within s.Retry, since its
// condition states all it relies on. Errors: order.ErrNotFound.
func (s *Store) UpdateOrderNotes(ctx context.Context, tenant, id, notes string) (order.Order, error) {
	op := "update notes of order " + id
	r := s.retrier(ctx)
	var out *dynamodb.UpdateItemOutput
	for {
		now := s.now()
		next := order.SetNotes(order.Order{OrderID: id}, notes, now)
		upd := expression.Set(expression.Name("updatedAt"), expression.Value(next.UpdatedAt))
		// updatedAt is a sort of the order lists: its sort key moves with it, freshly stamped.
		// (No other index key depends on what a notes change changes.)
		upd = setIndexKeys(upd, map[string]string{
			AttrLSK1:          prefixOrder + next.Position(order.ByUpdatedAt),
			stampOf(AttrLSK1): customer.Stamp(now),
		})
		if next.Notes == "" {
			upd = upd.Remove(expression.Name("notes"))
		} else {
			upd = upd.Set(expression.Name("notes"), expression.Value(next.Notes))
		}
		expr, err := expression.NewBuilder().WithUpdate(upd).
			WithCondition(expression.Name(AttrPK).AttributeExists()).Build()
		if err != nil {
			return order.Order{}, fmt.Errorf("dynamo: %s: build: %w", op, err)
		}
		out, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       orderKey(tenant, id),
			UpdateExpression:          expr.Update(),
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ReturnValues:              types.ReturnValueAllNew,
		})
		if err == nil {
			break
		}
		if conflicted(err) {
			if err := r.retry(op); err != nil {
				return order.Order{}, err
			}
			continue
		}
		if _, missing := conditionFailed(err); missing {
			return order.Order{}, fmt.Errorf("dynamo: %s: %w", op, order.ErrNotFound)
		}
		return order.Order{}, fail(op, err)
	}
	o, err := decodeOrder(out.Attributes)
	if err != nil {
		return order.Order{}, fmt.Errorf("dynamo: decode order %s: %w", id, err)
	}
	return o, nil
}
