package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/rental"
)

// prefixSubscription is the sort key prefix of a tenant's subscriptions (rental.Subscription):
// one item each, holding its state.
const prefixSubscription = "SUBSCRIPTION#"

// TransactGetter is the TransactGetItems of *dynamodb.Client. Only ApplyRentalEvent reads several
// items at once, so it is not part of Client (whose fakes would all need it): a client without it
// (a test's fake) is read item by item with consistent GetItems instead.
type TransactGetter interface {
	TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error)
}

// getAll reads the items of gets, in one TransactGetItems when the client has it.
func (s *Store) getAll(ctx context.Context, gets []types.TransactGetItem) ([]types.ItemResponse, error) {
	if tg, ok := s.client.(TransactGetter); ok {
		out, err := tg.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: gets})
		if err != nil {
			return nil, err
		}
		return out.Responses, nil
	}
	resp := make([]types.ItemResponse, len(gets))
	for i, g := range gets {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: g.Get.TableName, Key: g.Get.Key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		resp[i].Item = out.Item
	}
	return resp, nil
}

func subscriptionKey(tenant, id string) map[string]types.AttributeValue {
	return key(tenantPK(tenant), prefixSubscription+id)
}

// ApplyRentalEvent applies a subscription event (rental.Apply): one TransactGetItems reads the
// customer, the event's subscriptions and its order, and one TransactWriteItems writes what the
// event changes — each subscription conditioned on its revision as read (not existing, for a new
// one), the customer's totals on its version, the order's progress on its status and the number
// of its subscriptions — so the totals always equal what the subscriptions' states add up to. A
// lost race (a condition failed because one of them changed since the read, or a transaction
// conflict) reads again, within s.Retry. An event that changes nothing (a repeat, a move a state
// cannot make) costs the read only.
// Errors: rental.ErrUnknownCustomer (no such customer in the tenant, or no such tenant),
// rental.ErrOtherCustomer, fault.Unavailable.
func (s *Store) ApplyRentalEvent(ctx context.Context, ev rental.Event) (rental.Change, error) {
	r := s.retrier(ctx)
	op := "apply event " + ev.ID
	for {
		ch, err := s.applyRental(ctx, ev)
		if !errors.Is(err, errRace) {
			return ch, err
		}
		if err := r.retry(op); err != nil {
			return rental.Change{}, err
		}
	}
}

// applyRental is one read and one write of ApplyRentalEvent; errRace when the write lost.
func (s *Store) applyRental(ctx context.Context, ev rental.Event) (rental.Change, error) {
	op := "apply event " + ev.ID
	tenant := ev.TenantID
	gets := []types.TransactGetItem{{Get: &types.Get{TableName: aws.String(s.table), Key: customerKey(tenant, ev.Data.CustomerID)}}}
	for _, id := range ev.Subscriptions() {
		gets = append(gets, types.TransactGetItem{Get: &types.Get{TableName: aws.String(s.table), Key: subscriptionKey(tenant, id)}})
	}
	if id := ev.Order(); id != "" {
		gets = append(gets, types.TransactGetItem{Get: &types.Get{TableName: aws.String(s.table), Key: orderKey(tenant, id)}})
	}
	responses, err := s.getAll(ctx, gets)
	if err != nil {
		// A read that met a write in flight is cancelled for TransactionConflict: read again.
		if reasons, ok := cancelled(err); ok && !throttled(reasons) {
			return rental.Change{}, errRace
		}
		return rental.Change{}, fail(op, err)
	}
	if len(responses) != len(gets) {
		return rental.Change{}, fmt.Errorf("dynamo: %s: %d items read, %d asked", op, len(responses), len(gets))
	}
	item := func(i int) map[string]types.AttributeValue { return responses[i].Item }
	if item(0) == nil {
		return rental.Change{}, fmt.Errorf("dynamo: %s: customer %s: %w", op, ev.Data.CustomerID, rental.ErrUnknownCustomer)
	}
	c, err := decodeCustomer(item(0))
	if err != nil {
		return rental.Change{}, fmt.Errorf("dynamo: %s: decode customer: %w", op, err)
	}
	before := rental.Before{Customer: c, Subscriptions: map[string]rental.Subscription{}}
	for i, id := range ev.Subscriptions() {
		if it := item(1 + i); it != nil {
			var sub rental.Subscription
			if err := unmarshal(it, &sub); err != nil {
				return rental.Change{}, fmt.Errorf("dynamo: %s: decode subscription %s: %w", op, id, err)
			}
			before.Subscriptions[id] = sub
		}
	}
	if ev.Order() != "" {
		if it := item(len(gets) - 1); it != nil {
			o, err := decodeOrder(it)
			if err != nil {
				return rental.Change{}, fmt.Errorf("dynamo: %s: decode order: %w", op, err)
			}
			before.Order = &o
		}
	}
	now := s.now()
	ch, err := rental.Apply(ev, before, now)
	if err != nil {
		return rental.Change{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if ch.Empty() {
		return ch, nil
	}
	var writes []types.TransactWriteItem
	for _, sub := range ch.Subscriptions {
		w, err := s.subscriptionPut(tenant, sub)
		if err != nil {
			return rental.Change{}, fmt.Errorf("dynamo: %s: %w", op, err)
		}
		writes = append(writes, w)
	}
	stamp := customer.Stamp(now)
	if ch.Customer != nil {
		w, err := s.rentalCustomerUpdate(before.Customer, *ch.Customer, ch.Settles, stamp)
		if err != nil {
			return rental.Change{}, fmt.Errorf("dynamo: %s: %w", op, err)
		}
		writes = append(writes, w)
	}
	if ch.Order != nil {
		w, err := s.rentalOrderUpdate(*before.Order, *ch.Order, stamp)
		if err != nil {
			return rental.Change{}, fmt.Errorf("dynamo: %s: %w", op, err)
		}
		writes = append(writes, w)
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if err == nil {
		for i := range ch.Subscriptions {
			ch.Subscriptions[i].Rev++
		}
		return ch, nil
	}
	reasons, ok := cancelled(err)
	if !ok || throttled(reasons) {
		return rental.Change{}, fail(op, err)
	}
	if cancelledBy(reasons, codeConditionFailed) || cancelledBy(reasons, codeConflict) {
		return rental.Change{}, errRace
	}
	return rental.Change{}, fmt.Errorf("dynamo: %s: %w", op, err)
}

// subscriptionPut writes sub whole, one revision on, conditioned on the revision it was read at
// (not existing, for revision 0): two events of one subscription never both apply to one state.
func (s *Store) subscriptionPut(tenant string, sub rental.Subscription) (types.TransactWriteItem, error) {
	read := sub.Rev
	sub.Rev++
	item, err := attributevalue.MarshalMap(sub)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal subscription %s: %w", sub.ID, err)
	}
	for k, v := range subscriptionKey(tenant, sub.ID) {
		item[k] = v
	}
	cond := expression.Name(AttrPK).AttributeNotExists()
	if read > 0 {
		cond = expression.Name("rev").Equal(expression.Value(read))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("build subscription condition: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// rentalCustomerUpdate sets the rental fields of next (its totals, rentalIds and the index keys
// derived from them: RPK and the revenue and devices sort keys, stamped when they move),
// conditioned on the version read as old; settles takes one pending order off, relatively, since
// a cancel settles an order without a new version.
func (s *Store) rentalCustomerUpdate(old, next customer.Customer, settles bool, stamp string) (types.TransactWriteItem, error) {
	upd := expression.Set(expression.Name("totalDevicesRented"), expression.Value(next.TotalDevicesRented)).
		Set(expression.Name("totalMonthlyRevenue"), expression.Value(next.TotalMonthlyRevenue)).
		Set(expression.Name("rentalIds"), expression.Value(next.RentalIDs)).
		Set(expression.Name("updatedAt"), expression.Value(next.UpdatedAt)).
		Set(expression.Name(AttrRPK), expression.Value(customerRentalsPK(next.TenantID, next.HasActiveRentals()))).
		Add(expression.Name("version"), expression.Value(1))
	for _, st := range []customer.Sort{customer.ByMonthlyRevenue, customer.ByDevicesRented} {
		if old.Position(st) != next.Position(st) {
			lsk := customerSortKeys[st]
			upd = upd.Set(expression.Name(lsk), expression.Value(prefixCustomer+next.Position(st))).
				Set(expression.Name(stampOf(lsk)), expression.Value(stamp))
		}
	}
	if settles {
		upd = upd.Add(expression.Name("pendingOrders"), expression.Value(-1))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.Name("version").Equal(expression.Value(old.Version))).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("build customer update: %w", err)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       customerKey(next.TenantID, next.CustomerID),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// rentalOrderUpdate sets what rental.Fill changed from old to next — the lines that took a
// subscription, the order's rentalIds, rentalProgress, status and updatedAt, and the index keys
// that follow them — conditioned on the status and the number of subscriptions read: both only
// ever move one way, so no write in between can leave them as they were (an order without
// rentalIds, from before they existed, has none). Other fields (notes) are left to their own
// writers.
func (s *Store) rentalOrderUpdate(old, next order.Order, stamp string) (types.TransactWriteItem, error) {
	upd := expression.Set(expression.Name("rentalIds"), expression.Value(next.RentalIDs)).
		Set(expression.Name("rentalProgress"), expression.Value(next.RentalProgress)).
		Set(expression.Name("updatedAt"), expression.Value(next.UpdatedAt))
	for i, l := range next.Items {
		if len(l.RentalIDs) == len(old.Items[i].RentalIDs) {
			continue
		}
		line := "items[" + strconv.Itoa(i) + "]"
		upd = upd.Set(expression.Name(line+".rentalIds"), expression.Value(l.RentalIDs)).
			Set(expression.Name(line+".rentalStatus"), expression.Value(l.RentalStatus))
	}
	keys := orderIndexKeys(next, stamp)
	set := func(k string) { upd = upd.Set(expression.Name(k), expression.Value(keys[k])) }
	set(AttrLSK1)
	set(stampOf(AttrLSK1))
	if next.Status != old.Status {
		upd = upd.Set(expression.Name("status"), expression.Value(next.Status))
		set(AttrGSI2PK)
		set(AttrLSK2)
		set(stampOf(AttrLSK2))
	}
	subs := expression.Name("rentalIds").Size().Equal(expression.Value(len(old.RentalIDs)))
	if len(old.RentalIDs) == 0 {
		// An order stored before rentalIds existed has none, which size() cannot compare.
		subs = expression.Name("rentalIds").AttributeNotExists().Or(subs)
	}
	cond := expression.Name("status").Equal(expression.Value(old.Status)).And(subs)
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("build order update: %w", err)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       orderKey(next.TenantID, next.OrderID),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}}, nil
}
