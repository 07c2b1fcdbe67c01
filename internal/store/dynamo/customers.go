package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// errRace tells a retry loop that the state it read changed before its write; it never leaves
// the package.
var errRace = errors.New("dynamo: lost a race, read again")

// GetCustomer returns the customer, or customer.ErrNotFound: one consistent GetItem.
func (s *Store) GetCustomer(ctx context.Context, tenant, id string) (customer.Customer, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            customerKey(tenant, id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return customer.Customer{}, fail("get customer "+id, err)
	}
	if out.Item == nil {
		return customer.Customer{}, fmt.Errorf("dynamo: get customer %s: %w", id, customer.ErrNotFound)
	}
	c, err := decodeCustomer(out.Item)
	if err != nil {
		return customer.Customer{}, fmt.Errorf("dynamo: decode customer %s: %w", id, err)
	}
	return c, nil
}

// UpdateCustomer applies p. Without an email change it is exactly one UpdateItem and no read:
// the patch becomes one update expression conditioned on what customer.CheckUpdate requires (the
// customer exists, its version is one ifMatch accepts, no pending orders for status inactive),
// and a failed condition's ALL_OLD item lets CheckUpdate tell 404 from 412 from 409. An email
// change reads the customer once and moves the email reservation in one transaction. A lost race
// (a transaction conflict, or the customer changed since it was read) is retried within s.Retry.
func (s *Store) UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
	r := s.retrier(ctx)
	if p.Email == nil {
		return s.update(ctx, r, tenant, id, p, ifMatch, guard{versions: ifMatch})
	}
	for {
		cur, err := s.GetCustomer(ctx, tenant, id)
		if err != nil {
			return customer.Customer{}, err
		}
		if err := customer.CheckUpdate(cur, p, ifMatch); err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, err)
		}
		var c customer.Customer
		switch {
		case customer.EmailKey(cur.Email) == customer.EmailKey(*p.Email):
			// Same reservation (the same EmailKey: another case, ß for ss, a domain's punycode):
			// a plain update, as long as nobody moved the email in between.
			c, err = s.update(ctx, r, tenant, id, p, ifMatch, guard{versions: ifMatch, email: &cur.Email})
		case r.attempts > 0:
			// A retry: the race lost is most often to another customer taking the email, which a
			// read of the reservation tells without sending (and holding the items of) a
			// transaction that can only fail.
			c, err = s.moveEmailAgain(ctx, tenant, cur, p, ifMatch)
		default:
			c, err = s.moveEmail(ctx, tenant, cur, p, ifMatch)
		}
		if !errors.Is(err, errRace) {
			return c, err
		}
		if err := r.retry("update customer " + id); err != nil {
			return customer.Customer{}, err
		}
	}
}

// moveEmailAgain is moveEmail after a lost race: customer.ErrEmailExists at once when another
// customer holds the new email now.
func (s *Store) moveEmailAgain(ctx context.Context, tenant string, cur customer.Customer, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
	holder, err := s.reservedBy(ctx, tenant, *p.Email)
	if err != nil {
		return customer.Customer{}, err
	}
	if holder != "" && holder != cur.CustomerID {
		return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", cur.CustomerID, customer.ErrEmailExists)
	}
	return s.moveEmail(ctx, tenant, cur, p, ifMatch)
}

// update is the one-UpdateItem path. The 50-key limit is on the merged result, which the
// condition cannot compute: size(customFields) <= 50 - added is sufficient, and when only that
// fails the ALL_OLD item gives the exact result — too many keys, or a retry pinned to that state.
// A transaction conflict sends the same update again after a backoff: its condition states all
// it relies on, so nothing needs reading again.
func (s *Store) update(ctx context.Context, r *retrier, tenant, id string, p customer.Patch, ifMatch customer.IfMatch, g guard) (customer.Customer, error) {
	added := addedKeys(p)
	if added > customer.MaxCustomFields {
		return customer.Customer{}, customer.TooManyCustomFields()
	}
	if added > 0 {
		limit := customer.MaxCustomFields - added
		g.sizeLimit = &limit
	}
	op := "update customer " + id
	for {
		now := s.now()
		expr, err := customerUpdate(tenant, id, p, now, g)
		if err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, err)
		}
		out, err := s.updateItem(ctx, tenant, id, expr)
		if err == nil {
			c, err := decodeCustomer(out.Attributes)
			if err != nil {
				return customer.Customer{}, fmt.Errorf("dynamo: decode customer %s: %w", id, err)
			}
			return c, nil
		}
		if conflicted(err) {
			if err := r.retry(op); err != nil {
				return customer.Customer{}, err
			}
			continue
		}
		oldItem, ok := conditionFailed(err)
		if !ok {
			return customer.Customer{}, fail(op, err)
		}
		old, err := refusal(oldItem, ifMatch, p)
		if err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, err)
		}
		if g.email != nil && old.Email != *g.email {
			return customer.Customer{}, errRace
		}
		// The size guard (or an earlier pin) failed: the old item tells the exact merged result.
		if _, err := p.Apply(old, now); err != nil {
			return customer.Customer{}, err
		}
		g.versions, g.sizeLimit = []int64{old.Version}, nil
		// The pin is fresh news, not a collision: try it at once (within the budget).
		if err := r.retryNow(op); err != nil {
			return customer.Customer{}, err
		}
	}
}

// moveEmail changes the email to one with another reservation: one transaction that updates the
// customer (pinned to the version read, so the response built in memory is exactly what is
// written), deletes the old reservation and creates the new one.
func (s *Store) moveEmail(ctx context.Context, tenant string, cur customer.Customer, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
	id := cur.CustomerID
	now := s.now()
	next, err := p.Apply(cur, now)
	if err != nil {
		return customer.Customer{}, err
	}
	expr, err := customerUpdate(tenant, id, p, now, guard{versions: []int64{cur.Version}, email: &cur.Email})
	if err != nil {
		return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, err)
	}
	release, err := expression.NewBuilder().WithCondition(
		expression.Name(AttrPK).AttributeNotExists().Or(expression.Name("customerId").Equal(expression.Value(id))),
	).Build()
	if err != nil {
		return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: build condition: %w", id, err)
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:                           aws.String(s.table),
			Key:                                 customerKey(tenant, id),
			UpdateExpression:                    expr.Update(),
			ConditionExpression:                 expr.Condition(),
			ExpressionAttributeNames:            expr.Names(),
			ExpressionAttributeValues:           expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Delete: &types.Delete{
			TableName:                 aws.String(s.table),
			Key:                       emailKey(tenant, cur.Email),
			ConditionExpression:       release.Condition(),
			ExpressionAttributeNames:  release.Names(),
			ExpressionAttributeValues: release.Values(),
		}},
		{Put: s.reservation(tenant, next.Email, id)},
	}})
	if err == nil {
		return next, nil
	}
	reasons, ok := cancelled(err)
	if !ok || throttled(reasons) {
		return customer.Customer{}, fail("update customer "+id, err)
	}
	if reason(reasons, 0) == codeConditionFailed {
		if _, err := refusal(reasons[0].Item, ifMatch, p); err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, err)
		}
		return customer.Customer{}, errRace
	}
	if reason(reasons, 2) == codeConditionFailed {
		return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, customer.ErrEmailExists)
	}
	if cancelledBy(reasons, codeConflict) {
		return customer.Customer{}, errRace
	}
	return customer.Customer{}, fmt.Errorf("dynamo: update customer %s: %w", id, err)
}

// reservation is the Put of the item that holds email for customer id; it fails when the email
// (compared by customer.EmailKey) is taken.
func (s *Store) reservation(tenant, email, id string) *types.Put {
	item := emailKey(tenant, email)
	item["customerId"] = attrS(id)
	item["email"] = attrS(email)
	return &types.Put{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
}

// DeactivateCustomer sets status inactive (and moves the customer to the inactive GSI2
// partition) in one UpdateItem: the update of the patch {status: inactive}, so its conditions
// (the customer exists, ifMatch, no pending orders) are UpdateCustomer's, with one more: the
// customer is not inactive already, which leaves an inactive customer as it is.
// When the condition fails, customer.Deactivate decides on the ALL_OLD item: not found, stale
// ifMatch, pending orders, or already inactive (a success that changes nothing).
func (s *Store) DeactivateCustomer(ctx context.Context, tenant, id string, ifMatch customer.IfMatch) (customer.Customer, error) {
	inactive := customer.Inactive
	r := s.retrier(ctx)
	var (
		now  time.Time
		expr updateExpr
		out  *dynamodb.UpdateItemOutput
		err  error
	)
	for {
		now = s.now()
		expr, err = customerUpdate(tenant, id, customer.Patch{Status: &inactive}, now, guard{versions: ifMatch, notStatus: &inactive})
		if err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: deactivate customer %s: %w", id, err)
		}
		out, err = s.updateItem(ctx, tenant, id, expr)
		if !conflicted(err) {
			break
		}
		// The condition states every rule, so the same update (at a new time) is sent again.
		if err := r.retry("deactivate customer " + id); err != nil {
			return customer.Customer{}, err
		}
	}
	if err == nil {
		c, err := decodeCustomer(out.Attributes)
		if err != nil {
			return customer.Customer{}, fmt.Errorf("dynamo: decode customer %s: %w", id, err)
		}
		return c, nil
	}
	item, ok := conditionFailed(err)
	switch {
	case !ok:
		return customer.Customer{}, fail("deactivate customer "+id, err)
	case item == nil:
		return customer.Customer{}, fmt.Errorf("dynamo: deactivate customer %s: %w", id, customer.ErrNotFound)
	}
	old, err := decodeCustomer(item)
	if err != nil {
		return customer.Customer{}, fmt.Errorf("dynamo: decode customer %s: %w", id, err)
	}
	_, changed, err := customer.Deactivate(old, ifMatch, now)
	switch {
	case err != nil:
		return customer.Customer{}, fmt.Errorf("dynamo: deactivate customer %s: %w", id, err)
	case changed:
		// The condition states the rules that customer.Deactivate applies; one failing while the
		// rules allow the write means the two disagree.
		return customer.Customer{}, fmt.Errorf("dynamo: deactivate customer %s: condition failed on a customer the rules let deactivate", id)
	}
	return old, nil
}

// reservedBy returns the id of the customer holding email, or "" when none does.
func (s *Store) reservedBy(ctx context.Context, tenant, email string) (string, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            emailKey(tenant, email),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fail("get email reservation", err)
	}
	return holderOf(out.Item)
}

// holderOf is the id of the customer an email reservation item names, "" when there is no item.
func holderOf(item map[string]types.AttributeValue) (string, error) {
	if item == nil {
		return "", nil
	}
	var r struct {
		CustomerID string `dynamodbav:"customerId"`
	}
	if err := unmarshal(item, &r); err != nil {
		return "", fmt.Errorf("dynamo: decode email reservation: %w", err)
	}
	return r.CustomerID, nil
}

// updateItem sends expr as the one UpdateItem of a customer: ALL_NEW on success, and ALL_OLD on a
// failed condition, so that the caller tells why without a second read.
func (s *Store) updateItem(ctx context.Context, tenant, id string, expr updateExpr) (*dynamodb.UpdateItemOutput, error) {
	return s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 customerKey(tenant, id),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
}

// refusal tells why a customer update with ifMatch and p was refused, from the ALL_OLD item of
// its failed condition (nil: there is no such customer): customer.ErrNotFound, or the refusal of
// customer.CheckUpdate. When CheckUpdate lets the update go ahead it returns the old customer and
// no error, for the caller to judge the guards only it knows.
func refusal(item map[string]types.AttributeValue, ifMatch customer.IfMatch, p customer.Patch) (customer.Customer, error) {
	if item == nil {
		return customer.Customer{}, customer.ErrNotFound
	}
	old, err := decodeCustomer(item)
	if err != nil {
		return customer.Customer{}, fmt.Errorf("decode: %w", err)
	}
	if err := customer.CheckUpdate(old, p, ifMatch); err != nil {
		return customer.Customer{}, err
	}
	return old, nil
}
