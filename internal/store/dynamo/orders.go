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

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// idempotencyRecord is the stored first response of a POST with an Idempotency-Key.
// ExpiresAtMs is when it stops answering (order.Expires), to the millisecond, as order.Live
// judges it; ExpiresAt is the same instant rounded up to the second, for DynamoDB's TTL, which
// deletes expired records lazily (so a record may outlive it: it is then treated as absent).
// Records written before ExpiresAtMs existed have only ExpiresAt.
type idempotencyRecord struct {
	RequestHash string      `dynamodbav:"requestHash"`
	OrderID     string      `dynamodbav:"orderId"`
	Order       order.Order `dynamodbav:"order"`
	ExpiresAt   int64       `dynamodbav:"expiresAt"`
	ExpiresAtMs int64       `dynamodbav:"expiresAtMs,omitempty"`
	CreatedAt   string      `dynamodbav:"createdAt"`
}

// expires is when r stops answering.
func (r idempotencyRecord) expires() time.Time {
	if r.ExpiresAtMs != 0 {
		return time.UnixMilli(r.ExpiresAtMs)
	}
	return time.Unix(r.ExpiresAt, 0)
}

// CreateOrder finds the customer by email or creates it, and writes the order, the customer
// change (or the new customer and its email reservation), the idempotency record and the
// fingerprint item (natural idempotency, natural.go) in one transaction, so nothing is ever
// half-written. Its reads before the transaction are the email reservation and the customer
// (none for a new email); with an Idempotency-Key the first is one BatchGetItem of the key's
// record and the reservation, so a replay answers from that one read. A lost race re-reads and
// tries again, within s.Retry (each attempt with a key reads the record again: the race it lost
// is most often to the first request with the same key, whose order it then replays); a retry
// without one first reads the fingerprint item for the same reason.
//
// When the budget runs out, the answer is order.ErrIdempotencyInUse only if the last attempt lost
// on the idempotency record itself (a conflict on it, or its condition failing while the record
// it found is not readable yet): another request with the same key is in flight. Any other lost
// race is contention, fault.Unavailable.
func (s *Store) CreateOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency) (order.Order, bool, error) {
	r := s.retrier(ctx)
	fingerprint := in.Fingerprint()
	for {
		o, replayed, err := s.createOrder(ctx, tenant, in, idem, fingerprint, r.attempts > 0)
		if !errors.Is(err, errRace) {
			return o, replayed, err
		}
		var busy error
		if errors.Is(err, errFingerprintRace) {
			busy = r.retryNow("create order") // the attempt lost to no one: it read what to write on
		} else {
			busy = r.retry("create order")
		}
		if busy == nil {
			continue
		}
		if !errors.Is(err, errKeyRace) || ctx.Err() != nil {
			return order.Order{}, false, busy
		}
		o, found, err := s.replay(ctx, tenant, idem, nil)
		if err != nil || found {
			return o, found, err
		}
		return order.Order{}, false, fmt.Errorf("dynamo: create order: %w", order.ErrIdempotencyInUse)
	}
}

// errKeyRace is the errRace of an attempt that lost on the idempotency record.
var errKeyRace = fmt.Errorf("%w: on the idempotency record", errRace)

// errFingerprintRace is the errRace of an attempt whose fingerprint condition failed on an order
// that cannot answer the request (cancelled, or expired since): the next attempt reads the item
// and may replace it.
var errFingerprintRace = fmt.Errorf("%w: on the fingerprint record", errRace)

// createOrder is one attempt of CreateOrder (again: not the first); errRace means "read again"
// (errKeyRace: the race was on the idempotency record; errFingerprintRace: on the fingerprint
// item).
func (s *Store) createOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency, fingerprint string, again bool) (order.Order, bool, error) {
	// pinned is the order the fingerprint item named when read, which this attempt may replace.
	var pinned string
	if again && idem.Key == "" {
		o, found, pin, err := s.duplicate(ctx, tenant, fingerprint, idem, nil)
		if err != nil || found {
			return o, found, err
		}
		pinned = pin
	}
	now := s.now()
	var custID string
	if idem.Key != "" {
		// The key's record and the email reservation in one read: a replay answers from it.
		rec, reservation, err := s.keyAndReservation(ctx, tenant, idem.Key, in.Customer.Email)
		if err != nil {
			return order.Order{}, false, err
		}
		if rec != nil {
			if o, found, err := s.replay(ctx, tenant, idem, rec); err != nil || found {
				return o, found, err
			}
		}
		if custID, err = holderOf(reservation); err != nil {
			return order.Order{}, false, err
		}
	} else {
		var err error
		if custID, err = s.reservedBy(ctx, tenant, in.Customer.Email); err != nil {
			return order.Order{}, false, err
		}
	}
	orderID := order.NewID(now)
	var (
		writes []types.TransactWriteItem
		snap   order.Snapshot
	)
	if custID != "" {
		cur, err := s.GetCustomer(ctx, tenant, custID)
		if err != nil {
			// Reservation and customer are written together and customers are never deleted.
			return order.Order{}, false, fmt.Errorf("dynamo: create order: customer of reserved email: %w", err)
		}
		if err := order.CheckCustomer(cur); err != nil {
			return s.refuseInactive(ctx, tenant, fingerprint, idem, err)
		}
		snap = order.SnapshotOf(cur)
		update, err := s.recordOrder(tenant, cur, orderID, in, now)
		if err != nil {
			return order.Order{}, false, err
		}
		writes = append(writes, types.TransactWriteItem{Update: update})
	} else {
		c := in.NewCustomerRecord(tenant, customer.NewID(now), orderID, now)
		snap = order.SnapshotOf(c)
		item, err := customerItem(c)
		if err != nil {
			return order.Order{}, false, fmt.Errorf("dynamo: create order: encode customer: %w", err)
		}
		writes = append(writes,
			types.TransactWriteItem{Put: &types.Put{
				TableName:           aws.String(s.table),
				Item:                item,
				ConditionExpression: aws.String("attribute_not_exists(PK)"),
			}},
			types.TransactWriteItem{Put: s.reservation(tenant, c.Email, c.CustomerID)},
		)
	}
	o := order.New(tenant, orderID, in, snap, now)
	item, err := orderItem(o)
	if err != nil {
		return order.Order{}, false, fmt.Errorf("dynamo: create order: encode order: %w", err)
	}
	if idem.Key != "" {
		item[attrIdempotencyKey] = attrS(idem.Key) // so that an erasure finds the key's record
	}
	writes = append(writes, types.TransactWriteItem{Put: &types.Put{
		TableName:           aws.String(s.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}})
	idemAt := -1
	if idem.Key != "" {
		put, err := s.idempotencyPut(tenant, idem, o)
		if err != nil {
			return order.Order{}, false, err
		}
		writes = append(writes, types.TransactWriteItem{Put: put})
		idemAt = len(writes) - 1
	}
	fp, err := s.fingerprintPut(tenant, fingerprint, idem, o, pinned, now)
	if err != nil {
		return order.Order{}, false, err
	}
	writes = append(writes, types.TransactWriteItem{Put: fp})
	fpAt := len(writes) - 1

	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if err == nil {
		return o, false, nil
	}
	reasons, ok := cancelled(err)
	if !ok || throttled(reasons) {
		return order.Order{}, false, fail("create order", err)
	}
	switch reason(reasons, idemAt) {
	case codeConditionFailed:
		// The key is taken and not expired: replay the first order, or refuse another body.
		o, found, err := s.replay(ctx, tenant, idem, reasons[idemAt].Item)
		if err != nil || found {
			return o, found, err
		}
		return order.Order{}, false, errKeyRace
	case codeConflict:
		// Another request is writing this key right now.
		return order.Order{}, false, errKeyRace
	}
	if reason(reasons, fpAt) == codeConditionFailed {
		// An order of the same fingerprint that may still answer: answer with it, if it does.
		o, found, _, err := s.duplicate(ctx, tenant, fingerprint, idem, reasons[fpAt].Item)
		if err != nil || found {
			return o, found, err
		}
		return order.Order{}, false, errFingerprintRace
	}
	if custID != "" && reason(reasons, 0) == codeConditionFailed {
		if old, err := decodeCustomer(reasons[0].Item); err == nil {
			if err := order.CheckCustomer(old); err != nil {
				return order.Order{}, false, fmt.Errorf("dynamo: create order: %w", err)
			}
		}
	}
	if cancelledBy(reasons, codeConditionFailed) || cancelledBy(reasons, codeConflict) {
		// The customer changed, or someone else created it, since it was read.
		return order.Order{}, false, errRace
	}
	return order.Order{}, false, fmt.Errorf("dynamo: create order: %w", err)
}

// refuseInactive answers an order that order.CheckCustomer refused with refusal, unless the
// request is the replay of an order made before the customer was deactivated: by its key (which
// the attempt's first read already answered), or, without one, as a duplicate of it
// (order.Duplicate), as the embedded store decides before it looks at the customer.
func (s *Store) refuseInactive(ctx context.Context, tenant, fingerprint string, idem order.Idempotency, refusal error) (order.Order, bool, error) {
	if idem.Key == "" {
		o, found, _, err := s.duplicate(ctx, tenant, fingerprint, idem, nil)
		if err != nil || found {
			return o, found, err
		}
	}
	return order.Order{}, false, fmt.Errorf("dynamo: create order: %w", refusal)
}

// recordOrder is the update of an existing customer for a new order: it writes what order.Record
// makes of cur (the last addresses, totalOrders, the bounded orderIds) and ADDs the pending count
// and the version. Its condition is that the customer is still active, still has every field the
// order's snapshot took, and still has the totalOrders read — which pins orderIds, written only
// by orders, so no two orders replace the list from the same read and lose an id — rather than
// the whole version: updates of other fields (custom fields, addresses) then commute with orders
// instead of making them retry, and the snapshot is still exactly the customer as it stood when
// the order was written. Like every write of a customer it also sets the GSI2 keys (of the
// active partition, which its condition requires), so the status index is kept in step by
// whatever write touches the customer last.
func (s *Store) recordOrder(tenant string, cur customer.Customer, orderID string, in order.Input, now time.Time) (*types.Update, error) {
	next := order.Record(cur, in, orderID, now)
	upd := expression.Set(expression.Name("lastBillingAddress"), expression.Value(next.LastBillingAddress)).
		Set(expression.Name("lastShippingAddress"), expression.Value(next.LastShippingAddress)).
		Set(expression.Name("updatedAt"), expression.Value(next.UpdatedAt)).
		Set(expression.Name(AttrGSI2PK), expression.Value(customerStatusPK(tenant, customer.Active))).
		Set(expression.Name(AttrGSI2SK), expression.Value(prefixCustomer+cur.CustomerID)).
		Set(expression.Name("orderIds"), expression.Value(next.OrderIDs)).
		Set(expression.Name("totalOrders"), expression.Value(next.TotalOrders)).
		Add(expression.Name("pendingOrders"), expression.Value(1)).
		Add(expression.Name("version"), expression.Value(1))
	orders := expression.Name("totalOrders").Equal(expression.Value(cur.TotalOrders))
	if cur.TotalOrders == 0 {
		orders = orders.Or(expression.Name("totalOrders").AttributeNotExists())
	}
	same := func(name, v string) expression.ConditionBuilder {
		if v == "" {
			return expression.Name(name).AttributeNotExists()
		}
		return expression.Name(name).Equal(expression.Value(v))
	}
	cond := and([]expression.ConditionBuilder{
		expression.Name("status").Equal(expression.Value(string(customer.Active))),
		expression.Name(attrErasing).AttributeNotExists(),
		same("email", cur.Email),
		same("firstName", cur.FirstName),
		same("lastName", cur.LastName),
		same("company", cur.Company),
		same("phone", cur.Phone),
		same("customerType", string(cur.CustomerType)),
		orders,
	})
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: create order: build customer update: %w", err)
	}
	return &types.Update{
		TableName:                           aws.String(s.table),
		Key:                                 customerKey(tenant, cur.CustomerID),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

// idempotencyPut stores the first response under the key, on condition that no live record holds
// it: none, or one that order.Live finds expired (TTL deletion is lazy, up to days). The
// condition states !order.Live in the record's attributes: expiresAtMs <= now, or, for a record
// with whole seconds only, expiresAt <= now's second.
func (s *Store) idempotencyPut(tenant string, idem order.Idempotency, o order.Order) (*types.Put, error) {
	now := s.now()
	expires := order.Expires(now)
	item, err := attributevalue.MarshalMap(idempotencyRecord{
		RequestHash: idem.RequestHash,
		OrderID:     o.OrderID,
		Order:       o,
		ExpiresAt:   expires.Add(time.Second - time.Nanosecond).Unix(),
		ExpiresAtMs: expires.UnixMilli(),
		CreatedAt:   customer.Timestamp(now),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: create order: encode idempotency record: %w", err)
	}
	for k, v := range idempotencyKey(tenant, idem.Key) {
		item[k] = v
	}
	expr, err := expression.NewBuilder().WithCondition(expression.Or(
		expression.Name(AttrPK).AttributeNotExists(),
		expression.Name(attrExpiresMs).LessThanEqual(expression.Value(now.UnixMilli())),
		expression.Name(attrExpiresMs).AttributeNotExists().And(
			expression.Name(AttrExpires).LessThanEqual(expression.Value(now.Unix()))),
	)).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: create order: build idempotency condition: %w", err)
	}
	return &types.Put{
		TableName:                           aws.String(s.table),
		Item:                                item,
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

// keyAndReservation reads the idempotency record of key and the reservation of email in one
// consistent BatchGetItem; either item is nil when absent. Keys the server leaves unprocessed
// (it throttled them) are asked for again after a backoff, within s.Retry.
func (s *Store) keyAndReservation(ctx context.Context, tenant, key, email string) (rec, reservation map[string]types.AttributeValue, err error) {
	recKey, resKey := idempotencyKey(tenant, key), emailKey(tenant, email)
	sk := func(k map[string]types.AttributeValue) string {
		v, _ := k[AttrSK].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	request := map[string]types.KeysAndAttributes{s.table: {
		Keys:           []map[string]types.AttributeValue{recKey, resKey},
		ConsistentRead: aws.Bool(true),
	}}
	var r *retrier
	for {
		out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, nil, fail("get idempotency record and email reservation", err)
		}
		for _, item := range out.Responses[s.table] {
			switch sk(item) {
			case sk(recKey):
				rec = item
			case sk(resKey):
				reservation = item
			}
		}
		if len(out.UnprocessedKeys[s.table].Keys) == 0 {
			return rec, reservation, nil
		}
		request = out.UnprocessedKeys
		if r == nil {
			r = s.retrier(ctx)
		}
		if err := r.retry("get idempotency record and email reservation"); err != nil {
			return nil, nil, err
		}
	}
}

// replay returns the order stored under idem.Key (item, or read when nil) and found=true when
// the body hash matches, order.ErrIdempotencyReused when it does not, and found=false when there
// is no live record.
func (s *Store) replay(ctx context.Context, tenant string, idem order.Idempotency, item map[string]types.AttributeValue) (order.Order, bool, error) {
	if item == nil {
		out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(s.table),
			Key:            idempotencyKey(tenant, idem.Key),
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return order.Order{}, false, fail("get idempotency record", err)
		}
		item = out.Item
	}
	if item == nil {
		return order.Order{}, false, nil
	}
	var rec idempotencyRecord
	if err := unmarshal(item, &rec); err != nil {
		return order.Order{}, false, fmt.Errorf("dynamo: decode idempotency record: %w", err)
	}
	replay, err := order.ReplayCreate(rec.RequestHash, rec.expires(), idem, s.now())
	if err != nil {
		return order.Order{}, false, fmt.Errorf("dynamo: create order: %w", err)
	}
	if !replay {
		return order.Order{}, false, nil
	}
	o := rec.Order
	o.CustomFields = jsonNumbers(o.CustomFields)
	return o.Normalized(), true, nil
}

// GetOrder returns the order, or order.ErrNotFound: one consistent GetItem.
func (s *Store) GetOrder(ctx context.Context, tenant, id string) (order.Order, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            orderKey(tenant, id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return order.Order{}, fail("get order "+id, err)
	}
	if out.Item == nil {
		return order.Order{}, fmt.Errorf("dynamo: get order %s: %w", id, order.ErrNotFound)
	}
	o, err := decodeOrder(out.Item)
	if err != nil {
		return order.Order{}, fmt.Errorf("dynamo: decode order %s: %w", id, err)
	}
	return o, nil
}

// cancelMark is the part of an order item that records the request that cancelled it.
type cancelMark struct {
	Key         string `dynamodbav:"cancelKey"`
	RequestHash string `dynamodbav:"cancelHash"`
}

// decodeCancelled decodes an order item and the mark of the request that cancelled it.
func decodeCancelled(item map[string]types.AttributeValue) (order.Order, order.CancelMark, error) {
	o, err := decodeOrder(item)
	if err != nil {
		return order.Order{}, order.CancelMark{}, err
	}
	var m cancelMark
	if err := unmarshal(item, &m); err != nil {
		return order.Order{}, order.CancelMark{}, err
	}
	return o, order.CancelMark{Key: m.Key, RequestHash: m.RequestHash}, nil
}

// CancelOrder cancels an order that order.Cancellable allows (pending or confirmed): it reads the
// order (for its status and customer and, when it is cancelled already, the mark of the request
// that did it), then one transaction sets it cancelled with idem's mark, on condition it still
// has the status read, and, when that status counted (order.CountsPending), takes it off the
// customer's pending count, which DeactivateCustomer checks. A retry of the cancelling request is
// answered from the read (or, when it lost the race, from the ALL_OLD item) and writes nothing. A
// transaction conflict, or a status that changed to another cancellable one, reads again and
// retries within s.Retry.
func (s *Store) CancelOrder(ctx context.Context, tenant, id, reasonText string, idem order.Idempotency) (order.Order, bool, error) {
	r := s.retrier(ctx)
	for {
		o, replayed, err := s.cancelOrder(ctx, tenant, id, reasonText, idem)
		if !errors.Is(err, errRace) {
			return o, replayed, err
		}
		if err := r.retry("cancel order " + id); err != nil {
			return order.Order{}, false, err
		}
	}
}

// settleCancel answers a cancel of an order that, as read, is o with mark: a replay, or the reason
// it cannot be cancelled; nil, false when it can.
func (s *Store) settleCancel(id string, o order.Order, mark order.CancelMark, idem order.Idempotency) (bool, error) {
	replayed, err := order.ReplayCancel(o, mark, idem, s.now())
	if err == nil && !replayed {
		err = order.Cancellable(o.Status)
	}
	if err != nil {
		return false, fmt.Errorf("dynamo: cancel order %s: %w", id, err)
	}
	return replayed, nil
}

func (s *Store) cancelOrder(ctx context.Context, tenant, id, reasonText string, idem order.Idempotency) (order.Order, bool, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            orderKey(tenant, id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return order.Order{}, false, fail("get order "+id, err)
	}
	if out.Item == nil {
		return order.Order{}, false, fmt.Errorf("dynamo: cancel order %s: %w", id, order.ErrNotFound)
	}
	o, mark, err := decodeCancelled(out.Item)
	if err != nil {
		return order.Order{}, false, fmt.Errorf("dynamo: decode order %s: %w", id, err)
	}
	if replayed, err := s.settleCancel(id, o, mark, idem); err != nil {
		return order.Order{}, false, err
	} else if replayed {
		return o, true, nil
	}
	now := s.now()
	from := o.Status
	o = order.Cancel(o, reasonText, now)
	upd := expression.Set(expression.Name("status"), expression.Value(string(o.Status))).
		Set(expression.Name("updatedAt"), expression.Value(o.UpdatedAt))
	if reasonText != "" {
		upd = upd.Set(expression.Name("cancellationReason"), expression.Value(reasonText))
	}
	if idem.Key != "" {
		upd = upd.Set(expression.Name("cancelKey"), expression.Value(idem.Key)).
			Set(expression.Name("cancelHash"), expression.Value(idem.RequestHash))
	}
	upd = setIndexKeys(upd, orderIndexKeys(o, customer.Stamp(now))) // a new status and updatedAt
	// Pinned to the status read: whether the customer's count moves depends on it.
	orderExpr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(
		expression.Name("status").Equal(expression.Value(string(from)))).Build()
	if err != nil {
		return order.Order{}, false, fmt.Errorf("dynamo: cancel order %s: build: %w", id, err)
	}
	writes := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                           aws.String(s.table),
		Key:                                 orderKey(tenant, id),
		UpdateExpression:                    orderExpr.Update(),
		ConditionExpression:                 orderExpr.Condition(),
		ExpressionAttributeNames:            orderExpr.Names(),
		ExpressionAttributeValues:           orderExpr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	if order.CountsPending(from) {
		custExpr, err := expression.NewBuilder().
			WithUpdate(expression.Add(expression.Name("pendingOrders"), expression.Value(-1))).
			WithCondition(expression.Name(AttrPK).AttributeExists()).Build()
		if err != nil {
			return order.Order{}, false, fmt.Errorf("dynamo: cancel order %s: build: %w", id, err)
		}
		writes = append(writes, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(s.table),
			Key:                       customerKey(tenant, o.Customer.CustomerID),
			UpdateExpression:          custExpr.Update(),
			ConditionExpression:       custExpr.Condition(),
			ExpressionAttributeNames:  custExpr.Names(),
			ExpressionAttributeValues: custExpr.Values(),
		}})
	}
	// One transaction either way, so a cancel is one kind of write whatever the status.
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if err == nil {
		return o, false, nil
	}
	reasons, ok := cancelled(err)
	if !ok || throttled(reasons) {
		return order.Order{}, false, fail("cancel order "+id, err)
	}
	if reason(reasons, 0) == codeConditionFailed {
		item := reasons[0].Item
		if item == nil {
			return order.Order{}, false, fmt.Errorf("dynamo: cancel order %s: %w", id, order.ErrNotFound)
		}
		old, mark, err := decodeCancelled(item)
		if err != nil {
			return order.Order{}, false, fmt.Errorf("dynamo: decode order %s: %w", id, err)
		}
		if replayed, err := s.settleCancel(id, old, mark, idem); err != nil {
			return order.Order{}, false, err
		} else if replayed {
			return old, true, nil
		}
		// Still cancellable, in another status than read (pending became confirmed): read again.
		return order.Order{}, false, errRace
	}
	if cancelledBy(reasons, codeConflict) {
		return order.Order{}, false, errRace
	}
	return order.Order{}, false, fmt.Errorf("dynamo: cancel order %s: %w", id, err)
}
