package dynamo_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/order"
)

// fingerprintWrite returns the fingerprint Put of a CreateOrder transaction.
func fingerprintWrite(t *testing.T, in *dynamodb.TransactWriteItemsInput) *types.Put {
	t.Helper()
	for _, w := range in.TransactItems {
		if w.Put != nil && strings.HasPrefix(keyValue(w.Put.Item, "SK"), "FINGERPRINT#") {
			return w.Put
		}
	}
	t.Fatalf("the order transaction has no fingerprint Put: %+v", in.TransactItems)
	return nil
}

// TestNaturalIdempotencyCostsNoRead: the order that has nothing to be a duplicate of costs what
// it did before natural idempotency, reads and all (the email reservation, the customer, one
// transaction): the rule is the transaction's fingerprint Put and its condition. With an
// Idempotency-Key the Put is unconditional: a keyed request is never a duplicate (its first read
// is the key's record with the email reservation, one BatchGetItem).
func TestNaturalIdempotencyCostsNoRead(t *testing.T) {
	stored := storedCustomer()
	in := orderInput(stored.Email)
	cutoff := fmt.Sprint(fixedNow.Add(-order.DuplicateWindow).UnixMilli())
	for _, tt := range []struct {
		name     string
		existing bool
		idem     order.Idempotency
		reads    map[string]int
		cond     string
	}{
		{"new customer", false, order.Idempotency{}, map[string]int{"GetItem": 1}, "(attribute_not_exists (<PK>)) OR (<createdAtMs> <= " + cutoff + ")"},
		{"existing customer", true, order.Idempotency{}, map[string]int{"GetItem": 2}, "(attribute_not_exists (<PK>)) OR (<createdAtMs> <= " + cutoff + ")"},
		{"with a key", true, order.Idempotency{Key: "k1", RequestHash: "h1"}, map[string]int{"BatchGetItem": 1, "GetItem": 1}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{
				getItem: func(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					switch sk := keyValue(in.Key, "SK"); {
					case !tt.existing, strings.HasPrefix(sk, "IDEMPOTENCY#"):
						return &dynamodb.GetItemOutput{}, nil
					case strings.HasPrefix(sk, "EMAIL#"):
						return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
							"customerId": &types.AttributeValueMemberS{Value: stored.CustomerID}}}, nil
					case sk == "CUSTOMER#"+stored.CustomerID:
						return &dynamodb.GetItemOutput{Item: item(t, stored)}, nil
					}
					return nil, errUnexpected
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			o, replayed, err := fakeStore(f).CreateOrder(context.Background(), "t1", in, tt.idem)
			if err != nil || replayed {
				t.Fatalf("CreateOrder = replayed %v, %v; want a new order", replayed, err)
			}
			want := map[string]int{"TransactWriteItems": 1}
			maps.Copy(want, tt.reads)
			checkCalls(t, f, want)
			put := fingerprintWrite(t, f.transacts[0])
			if got, want := keyValue(put.Item, "SK"), "FINGERPRINT#"+in.Fingerprint(); got != want || keyValue(put.Item, "PK") != "TENANT#t1" {
				t.Errorf("fingerprint item key = %s %s, want TENANT#t1 %s", keyValue(put.Item, "PK"), got, want)
			}
			var rec struct {
				OrderID     string `dynamodbav:"orderId"`
				CreatedAtMs int64  `dynamodbav:"createdAtMs"`
				ExpiresAt   int64  `dynamodbav:"expiresAt"`
			}
			if err := attributevalue.UnmarshalMap(put.Item, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.OrderID != o.OrderID || rec.CreatedAtMs != fixedNow.UnixMilli() || rec.ExpiresAt != fixedNow.Add(order.DuplicateWindow).Unix() {
				t.Errorf("fingerprint record = %+v, want order %s created %d, TTL %d", rec, o.OrderID, fixedNow.UnixMilli(), fixedNow.Add(order.DuplicateWindow).Unix())
			}
			if got := resolved(aws.ToString(put.ConditionExpression), put.ExpressionAttributeNames, put.ExpressionAttributeValues); got != tt.cond {
				t.Errorf("fingerprint condition = %q, want %q", got, tt.cond)
			}
		})
	}
}

// TestNaturalIdempotencyLostRace: when the fingerprint condition fails, the ALL_OLD item names
// the order that may answer; it is read, and returned if order.Duplicate says so. A cancelled one
// is not: the next attempt reads the fingerprint item and replaces it, its condition also
// accepting the item as read.
func TestNaturalIdempotencyLostRace(t *testing.T) {
	in := orderInput("ada@example.com")
	first := order.New("t1", "ord_01JD5XA2B3C4D5E6F7G8H9J0KM", in, order.Snapshot{CustomerID: "cust_1", Email: "ada@example.com"}, fixedNow)
	fpItem := func(o order.Order) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT#t1"}, "SK": &types.AttributeValueMemberS{Value: "FINGERPRINT#" + in.Fingerprint()},
			"orderId": &types.AttributeValueMemberS{Value: o.OrderID}, "createdAtMs": &types.AttributeValueMemberN{Value: fmt.Sprint(fixedNow.UnixMilli())},
		}
	}
	for _, st := range []order.Status{order.Pending, order.Cancelled} {
		t.Run(string(st), func(t *testing.T) {
			stored := first
			stored.Status = st
			lost := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
				{Code: aws.String("ConditionalCheckFailed")}, // the racer made the customer too
				{Code: aws.String("ConditionalCheckFailed")}, // and took the email
				{Code: aws.String("None")},
				{Code: aws.String("ConditionalCheckFailed"), Item: fpItem(stored)},
			}}
			reservation := false
			f := &fakeClient{
				getItem: func(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					switch sk := keyValue(in.Key, "SK"); {
					case strings.HasPrefix(sk, "EMAIL#") && !reservation:
						return &dynamodb.GetItemOutput{}, nil
					case strings.HasPrefix(sk, "EMAIL#"):
						return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
							"customerId": &types.AttributeValueMemberS{Value: "cust_1"}}}, nil
					case sk == "CUSTOMER#cust_1":
						c := storedCustomer()
						c.CustomerID = "cust_1"
						return &dynamodb.GetItemOutput{Item: item(t, c)}, nil
					case sk == "ORDER#"+stored.OrderID:
						return &dynamodb.GetItemOutput{Item: orderItem(t, stored, order.CancelMark{})}, nil
					case strings.HasPrefix(sk, "FINGERPRINT#"):
						return &dynamodb.GetItemOutput{Item: fpItem(stored)}, nil
					}
					return nil, errUnexpected
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					if !reservation {
						reservation = true
						return nil, lost
					}
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			o, replayed, err := fakeStore(f).CreateOrder(context.Background(), "t1", in, order.Idempotency{})
			if err != nil {
				t.Fatalf("CreateOrder = %v, want nil", err)
			}
			if st == order.Pending {
				if !replayed || o.OrderID != first.OrderID {
					t.Errorf("CreateOrder = %s replayed %v, want %s replayed", o.OrderID, replayed, first.OrderID)
				}
				// Reads: the reservation, the order the ALL_OLD item names; nothing written.
				checkCalls(t, f, map[string]int{"GetItem": 2, "TransactWriteItems": 1})
				return
			}
			if replayed || o.OrderID == first.OrderID {
				t.Fatalf("CreateOrder after a cancelled first = %s replayed %v, want a new order", o.OrderID, replayed)
			}
			if n := len(f.transacts); n != 2 {
				t.Fatalf("transactions = %d, want 2", n)
			}
			put := fingerprintWrite(t, f.transacts[1])
			cutoff := fmt.Sprint(fixedNow.Add(-order.DuplicateWindow).UnixMilli())
			want := "((attribute_not_exists (<PK>)) OR (<createdAtMs> <= " + cutoff + ")) OR (<orderId> = " + first.OrderID + ")"
			if got := resolved(aws.ToString(put.ConditionExpression), put.ExpressionAttributeNames, put.ExpressionAttributeValues); got != want {
				t.Errorf("second fingerprint condition = %q, want %q", got, want)
			}
			if got := f.transacts[1].TransactItems[0].Update; got == nil || keyValue(got.Key, "SK") != "CUSTOMER#cust_1" {
				t.Errorf("second transaction's first write = %+v, want the update of the customer the racer made", f.transacts[1].TransactItems[0])
			}
		})
	}
}
