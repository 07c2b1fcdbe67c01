package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Steps of an erasure, as AfterEraseStep names them.
const (
	StepMarked   = "marked"
	StepOrders   = "orders"
	StepCustomer = "customer"
)

// Erasure's bounds: a page of a customer's orders is defaultEraseBatch orders, erased by
// eraseWorkers writes at a time (each order is its own transaction, so a page of 100 costs about
// what 13 sequential writes do).
const (
	defaultEraseBatch = 100
	eraseWorkers      = 8
)

// attrErasing is the mark of a customer whose erasure has begun (customer.Customer.Erasing).
const attrErasing = "erasing"

// attrIdempotencyKey, on an order item, is the Idempotency-Key it was created with: erasing its
// customer deletes that key's record, which holds a copy of the order.
const attrIdempotencyKey = "idempotencyKey"

// EraseCustomer erases the customer (docs/api.md, "Erasure") in steps that each leave a state a
// later call completes: one UpdateItem marks the customer erasing (every write to it is refused
// from then on: the update and order conditions require the mark absent); then its orders, a
// page of GSI1 at a time, each in one transaction with the deletion of its idempotency record and
// natural-idempotency record when they name it (order.Erase); last, one transaction erases the
// record (customer.Erase) and moves its email reservation to the placeholder. The orders found
// must add up to the customer's totalOrders before the record is erased, so an order the index
// does not show yet (GSI1 lags) is never left behind a customer that shows erased: the erasure
// answers fault.Unavailable then, and a later call finishes it.
// Errors: customer.ErrNotFound, customer.ErrActiveSubscriptions, customer.ErrPendingOrders.
func (s *Store) EraseCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	cur, err := s.markErasing(ctx, tenant, id)
	if err != nil || cur.ErasedAt != "" {
		return cur, err
	}
	if err := s.eraseStep(StepMarked); err != nil {
		return customer.Customer{}, fmt.Errorf("dynamo: erase customer %s: %w", id, err)
	}
	seen, err := s.eraseOrders(ctx, tenant, id)
	if err != nil {
		return customer.Customer{}, err
	}
	c, err := s.eraseRecord(ctx, tenant, id, seen)
	if err != nil {
		return customer.Customer{}, err
	}
	if err := s.eraseStep(StepCustomer); err != nil {
		return customer.Customer{}, fmt.Errorf("dynamo: erase customer %s: %w", id, err)
	}
	return c, nil
}

// eraseStep reports a committed step to AfterEraseStep.
func (s *Store) eraseStep(step string) error {
	if s.AfterEraseStep == nil {
		return nil
	}
	return s.AfterEraseStep(step)
}

// markErasing reads the customer and, unless its erasure has begun, marks it erasing as
// customer.CheckErase allows, pinned to the version read and to the counts CheckErase decided on.
// It returns the customer as read: erased already when ErasedAt is set.
func (s *Store) markErasing(ctx context.Context, tenant, id string) (customer.Customer, error) {
	r := s.retrier(ctx)
	for {
		cur, err := s.GetCustomer(ctx, tenant, id)
		if err != nil || cur.Erasing {
			return cur, err
		}
		if err := customer.CheckErase(cur); err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: erase customer %s: %w", id, err)
		}
		expr, err := expression.NewBuilder().
			WithUpdate(expression.Set(expression.Name(attrErasing), expression.Value(true))).
			WithCondition(expression.And(expression.Name(AttrPK).AttributeExists(),
				expression.Name("version").Equal(expression.Value(cur.Version)),
				// The counts CheckErase decided on, stated too: not every writer of them (a
				// rental event, a cancel) moves the version.
				atMostZeroOrAbsent("totalDevicesRented"), atMostZeroOrAbsent("pendingOrders"))).Build()
		if err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: erase customer %s: build mark: %w", id, err)
		}
		_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       customerKey(tenant, id),
			UpdateExpression:          expr.Update(),
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		})
		if err == nil {
			cur.Erasing = true
			return cur, nil
		}
		if _, ok := conditionFailed(err); !ok && !conflicted(err) {
			return customer.Customer{}, fail("erase customer "+id, err)
		}
		// The customer changed since it was read (an order, a rental): decide again.
		if err := r.retry("erase customer " + id); err != nil {
			return customer.Customer{}, err
		}
	}
}

// atMostZeroOrAbsent is the condition that the count name is absent or at most 0.
func atMostZeroOrAbsent(name string) expression.ConditionBuilder {
	return expression.Name(name).AttributeNotExists().Or(expression.Name(name).LessThanEqual(expression.Value(0)))
}

// eraseOrders erases every order of customer id that is not erased yet, a page of GSI1 at a
// time, and returns how many orders the customer has in the index, erased or not.
func (s *Store) eraseOrders(ctx context.Context, tenant, id string) (int64, error) {
	batch := s.eraseBatch
	if batch <= 0 {
		batch = defaultEraseBatch
	}
	var (
		seen  int64
		start map[string]types.AttributeValue
	)
	for {
		out, err := s.client.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			IndexName:              aws.String(IndexGSI1),
			KeyConditionExpression: aws.String("#pk = :pk"),
			ExpressionAttributeNames: map[string]string{
				"#pk": AttrGSI1PK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": attrS(customerOrdersPK(tenant, id)),
			},
			Limit:             aws.Int32(int32(batch)),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return 0, fail("erase orders of customer "+id, err)
		}
		seen += int64(len(out.Items))
		var todo []map[string]types.AttributeValue
		for _, item := range out.Items {
			o, err := decodeOrder(item)
			if err != nil {
				return 0, fmt.Errorf("dynamo: erase customer %s: decode order: %w", id, err)
			}
			if !order.Erased(o) {
				todo = append(todo, item)
			}
		}
		if err := s.eraseOrderPage(ctx, tenant, todo); err != nil {
			return 0, err
		}
		if len(todo) > 0 {
			if err := s.eraseStep(StepOrders); err != nil {
				return 0, fmt.Errorf("dynamo: erase customer %s: %w", id, err)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return seen, nil
		}
		start = out.LastEvaluatedKey
	}
}

// eraseOrderPage erases the orders of items (GSI1 images), eraseWorkers at a time, and returns
// the first failure.
func (s *Store) eraseOrderPage(ctx context.Context, tenant string, items []map[string]types.AttributeValue) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan map[string]types.AttributeValue)
	)
	for range min(eraseWorkers, len(items)) {
		wg.Go(func() {
			for item := range next {
				if err := s.eraseOrder(ctx, tenant, item); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, item := range items {
		next <- item
	}
	close(next)
	wg.Wait()
	return first
}

// eraseOrder erases one order, read from the index as item: one transaction updates the order
// (order.Erase of the fields that hold personal data; its status, items, rentals and timestamps
// are left to whatever else writes them) and deletes the idempotency record of its key and the
// fingerprint record of its request when they still name it. Those are read first, consistently;
// a record that changed in between fails its condition, and the order is tried again.
func (s *Store) eraseOrder(ctx context.Context, tenant string, item map[string]types.AttributeValue) error {
	o, err := decodeOrder(item)
	if err != nil {
		return fmt.Errorf("dynamo: erase order: decode: %w", err)
	}
	var idemKey string
	if v, ok := item[attrIdempotencyKey].(*types.AttributeValueMemberS); ok {
		idemKey = v.Value
	}
	op := "erase order " + o.OrderID
	r := s.retrier(ctx)
	for {
		writes, err := s.eraseOrderWrites(ctx, tenant, o, idemKey)
		if err != nil {
			return err
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if err == nil {
			return nil
		}
		reasons, ok := cancelled(err)
		if !ok || throttled(reasons) {
			return fail(op, err)
		}
		if !cancelledBy(reasons, codeConditionFailed) && !cancelledBy(reasons, codeConflict) {
			return fmt.Errorf("dynamo: %s: %w", op, err)
		}
		if reason(reasons, 0) == codeConditionFailed {
			return fmt.Errorf("dynamo: %s: the order is gone", op) // orders are never deleted
		}
		if err := r.retry(op); err != nil {
			return err
		}
	}
}

// eraseOrderWrites are the writes of eraseOrder: the order's update first.
func (s *Store) eraseOrderWrites(ctx context.Context, tenant string, o order.Order, idemKey string) ([]types.TransactWriteItem, error) {
	e := order.Erase(o)
	upd := expression.Set(expression.Name("customer"), expression.Value(e.Customer)).
		Set(expression.Name("billingAddress"), expression.Value(e.BillingAddress)).
		Set(expression.Name("customFields"), expression.Value(map[string]any{})).
		Remove(expression.Name("notes")).
		Remove(expression.Name("cancellationReason")).
		Remove(expression.Name(attrIdempotencyKey))
	// Written whole from the index's image: these never change after the order is made.
	if e.ShippingAddress != nil {
		upd = upd.Set(expression.Name("shippingAddress"), expression.Value(*e.ShippingAddress))
	}
	if e.ExtensionDetails != nil {
		upd = upd.Set(expression.Name("extensionDetails"), expression.Value(*e.ExtensionDetails))
	}
	if e.UpgradeDetails != nil {
		upd = upd.Set(expression.Name("upgradeDetails"), expression.Value(*e.UpgradeDetails))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name(AttrPK).AttributeExists()).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: erase order %s: build: %w", o.OrderID, err)
	}
	writes := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       orderKey(tenant, o.OrderID),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}}
	records := []map[string]types.AttributeValue{fingerprintKey(tenant, o.Fingerprint())}
	if idemKey != "" {
		records = append(records, idempotencyKey(tenant, idemKey))
	}
	for _, k := range records {
		names, err := s.recordOrderID(ctx, k)
		if err != nil {
			return nil, err
		}
		if names != o.OrderID {
			continue // absent, or another order's now
		}
		cond, err := expression.NewBuilder().
			WithCondition(expression.Name("orderId").Equal(expression.Value(o.OrderID))).Build()
		if err != nil {
			return nil, fmt.Errorf("dynamo: erase order %s: build: %w", o.OrderID, err)
		}
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 aws.String(s.table),
			Key:                       k,
			ConditionExpression:       cond.Condition(),
			ExpressionAttributeNames:  cond.Names(),
			ExpressionAttributeValues: cond.Values(),
		}})
	}
	return writes, nil
}

// recordOrderID returns the orderId of the item with key k (an idempotency or fingerprint
// record), "" when there is none.
func (s *Store) recordOrderID(ctx context.Context, k map[string]types.AttributeValue) (string, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            aws.String(s.table),
		Key:                  k,
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("orderId"),
	})
	if err != nil {
		return "", fail("get record of erased order", err)
	}
	var rec struct {
		OrderID string `dynamodbav:"orderId"`
	}
	if out.Item != nil {
		if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
			return "", fmt.Errorf("dynamo: decode record of erased order: %w", err)
		}
	}
	return rec.OrderID, nil
}

// errIndexLag is the cause of an erasure that found fewer orders in GSI1 than the customer has.
var errIndexLag = errors.New("the orders index does not show every order of the customer yet")

// eraseRecord erases the customer record once its orders are (seen: how many the index showed):
// one transaction updates it (customer.Erase, with every index key derived from the erased
// fields), deletes the reservation of its email and reserves the placeholder, pinned to the
// version read. A customer erased meanwhile (a concurrent call) is returned as it is.
func (s *Store) eraseRecord(ctx context.Context, tenant, id string, seen int64) (customer.Customer, error) {
	op := "erase customer " + id
	r := s.retrier(ctx)
	for {
		cur, err := s.GetCustomer(ctx, tenant, id)
		if err != nil || cur.ErasedAt != "" {
			return cur, err
		}
		if seen < cur.TotalOrders {
			return customer.Customer{}, fault.Wrap(fault.Unavailable, msgUnavailable,
				fmt.Errorf("dynamo: %s: %d of %d orders found: %w", op, seen, cur.TotalOrders, errIndexLag))
		}
		writes, c, err := s.eraseRecordWrites(tenant, cur)
		if err != nil {
			return customer.Customer{}, err
		}
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if err == nil {
			return c, nil
		}
		reasons, ok := cancelled(err)
		if !ok || throttled(reasons) {
			return customer.Customer{}, fail(op, err)
		}
		if !cancelledBy(reasons, codeConditionFailed) && !cancelledBy(reasons, codeConflict) {
			return customer.Customer{}, fmt.Errorf("dynamo: %s: %w", op, err)
		}
		if err := r.retry(op); err != nil {
			return customer.Customer{}, err
		}
	}
}

// eraseRecordWrites are the writes of eraseRecord for cur, and the customer they make.
func (s *Store) eraseRecordWrites(tenant string, cur customer.Customer) ([]types.TransactWriteItem, customer.Customer, error) {
	id := cur.CustomerID
	c := customer.Erase(cur, s.now())
	upd := expression.Set(expression.Name("email"), expression.Value(c.Email)).
		Set(expression.Name("firstName"), expression.Value(c.FirstName)).
		Set(expression.Name("lastName"), expression.Value(c.LastName)).
		Set(expression.Name("customFields"), expression.Value(map[string]any{})).
		Set(expression.Name("status"), expression.Value(string(c.Status))).
		Set(expression.Name("erasedAt"), expression.Value(c.ErasedAt)).
		Set(expression.Name("updatedAt"), expression.Value(c.UpdatedAt)).
		Remove(expression.Name("company")).
		Remove(expression.Name("phone")).
		Add(expression.Name("version"), expression.Value(1))
	if c.LastBillingAddress != nil {
		upd = upd.Set(expression.Name("lastBillingAddress"), expression.Value(*c.LastBillingAddress))
	}
	if c.LastShippingAddress != nil {
		upd = upd.Set(expression.Name("lastShippingAddress"), expression.Value(*c.LastShippingAddress))
	}
	// The sort keys of names and email hold them (folded): they are derived anew, as is the
	// status partition.
	upd = setIndexKeys(upd, customerIndexKeys(c, customer.StampOf(c.UpdatedAt)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(
		expression.Name(attrErasing).Equal(expression.Value(true)).
			And(expression.Name("version").Equal(expression.Value(cur.Version)))).Build()
	if err != nil {
		return nil, customer.Customer{}, fmt.Errorf("dynamo: erase customer %s: build: %w", id, err)
	}
	held, err := expression.NewBuilder().WithCondition(
		expression.Name(AttrPK).AttributeNotExists().Or(expression.Name("customerId").Equal(expression.Value(id))),
	).Build()
	if err != nil {
		return nil, customer.Customer{}, fmt.Errorf("dynamo: erase customer %s: build: %w", id, err)
	}
	placeholder := s.reservation(tenant, c.Email, id)
	placeholder.ConditionExpression = held.Condition()
	placeholder.ExpressionAttributeNames = held.Names()
	placeholder.ExpressionAttributeValues = held.Values()
	placeholder.ReturnValuesOnConditionCheckFailure = ""
	return []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                 aws.String(s.table),
			Key:                       customerKey(tenant, id),
			UpdateExpression:          expr.Update(),
			ConditionExpression:       expr.Condition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}},
		{Delete: &types.Delete{
			TableName:                 aws.String(s.table),
			Key:                       emailKey(tenant, cur.Email),
			ConditionExpression:       held.Condition(),
			ExpressionAttributeNames:  held.Names(),
			ExpressionAttributeValues: held.Values(),
		}},
		{Put: placeholder},
	}, c, nil
}
