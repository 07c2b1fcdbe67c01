package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// Scanner is the Scan of *dynamodb.Client. Only MigrateEmailKeys reads a whole table, so Scan is
// not part of Client, which every request path, fake and wrapper implements; MigrateEmailKeys
// asks the store's client for it.
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// MigrateEmailKeys rebuilds every email reservation of the table under customer.EmailKey, for
// data written when the key was strings.ToLower of the email: each customer whose key no other
// customer of its tenant has gets its reservation under the new key, and its old one is deleted,
// in one transaction per customer (conditioned on the customer's email and on the reservations
// being as read, so a concurrent update or order is never undone). Customers whose keys now
// collide are reported (customer.PlanEmailKeys) and left as they are: never merged.
//
// It is safe to rerun, also after a failure or while the API serves requests: a customer whose
// reservations are right is not written again, and one that changed while the migration ran is
// counted Skipped and planned afresh by the next run.
//
// Cost: DynamoDB has no list of tenants, so this is one paginated Scan of the whole table. A
// Scan reads, and bills, every item, orders and idempotency records included (the filter applies
// after the read): eventually consistent, half a read capacity unit per 4 KB, about 1.3 million
// read units per 10 GB of table. Each moved customer costs one transaction of two or three items
// (twice the write units of plain writes). The customers and reservations are held in memory,
// about 200 bytes each. Run it once after deploying the new key, from cmd/admin.
func (s *Store) MigrateEmailKeys(ctx context.Context) (customer.EmailKeyReport, error) {
	var rep customer.EmailKeyReport
	sc, ok := s.client.(Scanner)
	if !ok {
		return rep, errors.New("dynamo: migrate email keys: the store's client cannot Scan")
	}
	tenants, err := s.scanEmails(ctx, sc)
	if err != nil {
		return rep, err
	}
	for _, tenant := range slices.Sorted(maps.Keys(tenants)) {
		t := tenants[tenant]
		moves, unchanged, collisions := customer.PlanEmailKeys(tenant, t.owners, t.reservations)
		rep.Customers += len(t.owners)
		rep.Unchanged += unchanged
		rep.Collisions = append(rep.Collisions, collisions...)
		for _, m := range moves {
			holder, err := s.moveReservation(ctx, tenant, m)
			switch {
			case errors.Is(err, errChanged):
				rep.Skipped++
			case err != nil:
				return rep, err
			case holder != "":
				rep.Collisions = append(rep.Collisions, customer.EmailKeyCollision{
					Tenant: tenant, Key: m.Key, CustomerIDs: slices.Sorted(slices.Values([]string{m.CustomerID, holder})),
				})
			default:
				rep.Moved++
			}
		}
	}
	slices.SortFunc(rep.Collisions, func(a, b customer.EmailKeyCollision) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.Key, b.Key))
	})
	return rep, nil
}

// tenantEmails are one tenant's customers and email reservations (key → customer id).
type tenantEmails struct {
	owners       []customer.EmailOwner
	reservations map[string]string
}

// scanEmails reads every customer item and every email reservation of the table, by tenant.
func (s *Store) scanEmails(ctx context.Context, sc Scanner) (map[string]*tenantEmails, error) {
	expr, err := expression.NewBuilder().
		WithFilter(expression.Name(AttrPK).BeginsWith(tenantPK("")).And(
			expression.Name(AttrSK).BeginsWith(prefixCustomer).Or(expression.Name(AttrSK).BeginsWith(prefixEmail)))).
		WithProjection(expression.NamesList(expression.Name(AttrPK), expression.Name(AttrSK),
			expression.Name("customerId"), expression.Name("email"))).
		Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: migrate email keys: build scan: %w", err)
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          expr.Filter(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	tenants := map[string]*tenantEmails{}
	for {
		out, err := sc.Scan(ctx, in)
		if err != nil {
			return nil, fail("migrate email keys: scan", err)
		}
		for _, item := range out.Items {
			var it struct {
				PK         string `dynamodbav:"PK"`
				SK         string `dynamodbav:"SK"`
				CustomerID string `dynamodbav:"customerId"`
				Email      string `dynamodbav:"email"`
			}
			if err := unmarshal(item, &it); err != nil {
				return nil, fmt.Errorf("dynamo: migrate email keys: decode %v: %w", item[AttrSK], err)
			}
			tenant := strings.TrimPrefix(it.PK, tenantPK(""))
			t := tenants[tenant]
			if t == nil {
				t = &tenantEmails{reservations: map[string]string{}}
				tenants[tenant] = t
			}
			if k, ok := strings.CutPrefix(it.SK, prefixEmail); ok {
				t.reservations[k] = it.CustomerID
			} else {
				t.owners = append(t.owners, customer.EmailOwner{ID: it.CustomerID, Email: it.Email})
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return tenants, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// errChanged tells MigrateEmailKeys that a customer or one of its reservations changed after the
// scan read them: the move was not made, and a rerun plans it afresh.
var errChanged = errors.New("dynamo: changed while migrating")

// maxReleases bounds the reservations one move deletes: a transaction holds at most 100 items.
const maxReleases = 98

// moveReservation carries out m in one transaction: the customer still has m.Email, m.Key is free
// or already the customer's, and every key of m.Release is gone or still the customer's. It
// returns the id of another customer that took m.Key meanwhile (the move not made: a collision),
// errChanged when the customer or a released reservation changed, or another error.
func (s *Store) moveReservation(ctx context.Context, tenant string, m customer.EmailMove) (holder string, err error) {
	if len(m.Release) > maxReleases {
		return "", fmt.Errorf("dynamo: migrate email keys: customer %s holds %d reservations, at most %d can be released at once", m.CustomerID, len(m.Release), maxReleases)
	}
	same, err := expression.NewBuilder().WithCondition(expression.Name("email").Equal(expression.Value(m.Email))).Build()
	if err != nil {
		return "", fmt.Errorf("dynamo: migrate email keys: build condition: %w", err)
	}
	ours, err := expression.NewBuilder().WithCondition(
		expression.Name(AttrPK).AttributeNotExists().Or(expression.Name("customerId").Equal(expression.Value(m.CustomerID))),
	).Build()
	if err != nil {
		return "", fmt.Errorf("dynamo: migrate email keys: build condition: %w", err)
	}
	item := emailKey(tenant, m.Email)
	item["customerId"] = attrS(m.CustomerID)
	item["email"] = attrS(m.Email)
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName:                 aws.String(s.table),
			Key:                       customerKey(tenant, m.CustomerID),
			ConditionExpression:       same.Condition(),
			ExpressionAttributeNames:  same.Names(),
			ExpressionAttributeValues: same.Values(),
		}},
		{Put: &types.Put{
			TableName:                           aws.String(s.table),
			Item:                                item,
			ConditionExpression:                 ours.Condition(),
			ExpressionAttributeNames:            ours.Names(),
			ExpressionAttributeValues:           ours.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
	}
	for _, r := range m.Release {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 aws.String(s.table),
			Key:                       key(tenantPK(tenant), prefixEmail+r),
			ConditionExpression:       ours.Condition(),
			ExpressionAttributeNames:  ours.Names(),
			ExpressionAttributeValues: ours.Values(),
		}})
	}
	r := s.retrier(ctx)
	for {
		_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return "", nil
		}
		reasons, ok := cancelled(err)
		switch {
		case !ok || throttled(reasons):
			return "", fail("migrate email keys: customer "+m.CustomerID, err)
		case reason(reasons, 1) == codeConditionFailed:
			var r struct {
				CustomerID string `dynamodbav:"customerId"`
			}
			if err := unmarshal(reasons[1].Item, &r); err != nil || r.CustomerID == "" {
				return "", errChanged
			}
			return r.CustomerID, nil
		case cancelledBy(reasons, codeConditionFailed):
			return "", errChanged
		}
		if err := r.retry("migrate email keys: customer " + m.CustomerID); err != nil {
			return "", err
		}
	}
}
