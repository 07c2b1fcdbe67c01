package dynamo_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// fakeClient is a hand-written dynamo.Client: each method counts its calls, records its input and
// answers with its func field (an unexpected call is an error).
type fakeClient struct {
	getItem    func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
	putItem    func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error)
	updateItem func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	query      func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error)
	transact   func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error)

	mu        sync.Mutex
	calls     map[string]int
	updates   []*dynamodb.UpdateItemInput
	gets      []*dynamodb.GetItemInput
	transacts []*dynamodb.TransactWriteItemsInput
}

var errUnexpected = errors.New("fake: unexpected call")

func (f *fakeClient) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *fakeClient) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.count("GetItem")
	f.gets = append(f.gets, in)
	if f.getItem == nil {
		return nil, errUnexpected
	}
	return f.getItem(in)
}

// BatchGetItem answers each key as getItem does, in one call, each item with its key.
func (f *fakeClient) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.count("BatchGetItem")
	if f.getItem == nil {
		return nil, errUnexpected
	}
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			got, err := f.getItem(&dynamodb.GetItemInput{TableName: aws.String(table), Key: k, ConsistentRead: ka.ConsistentRead})
			if err != nil {
				return nil, err
			}
			if got.Item != nil {
				item := maps.Clone(got.Item)
				maps.Copy(item, k) // a real item holds its key; the fakes' items may not
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func (f *fakeClient) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.count("PutItem")
	if f.putItem == nil {
		return nil, errUnexpected
	}
	return f.putItem(in)
}

func (f *fakeClient) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.count("UpdateItem")
	f.updates = append(f.updates, in)
	if f.updateItem == nil {
		return nil, errUnexpected
	}
	return f.updateItem(in)
}

func (f *fakeClient) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.count("Query")
	if f.query == nil {
		return nil, errUnexpected
	}
	return f.query(in)
}

func (f *fakeClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.count("TransactWriteItems")
	f.transacts = append(f.transacts, in)
	if f.transact == nil {
		return nil, errUnexpected
	}
	return f.transact(in)
}

// checkCalls fails unless the fake saw exactly want (operation → count).
func checkCalls(t *testing.T, f *fakeClient, want map[string]int) {
	t.Helper()
	got := f.calls
	if got == nil {
		got = map[string]int{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DynamoDB requests = %v, want %v", got, want)
	}
}

var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func storedCustomer() customer.Customer {
	return customer.Customer{
		CustomerID: "cust_1", TenantID: "t1", Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace",
		Company: "Engines", CustomerType: customer.Individual, Status: customer.Active,
		CustomFields: map[string]any{"old": "x", "n": json.Number("1.50")},
		OrderIDs:     []string{}, RentalIDs: []string{},
		CreatedAt: "2024-01-01T00:00:00.000Z", UpdatedAt: "2024-01-01T00:00:00.000Z", CreatedBy: "apikey:key_1", Version: 3,
	}
}

func item(t *testing.T, c customer.Customer) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(c)
	if err != nil {
		t.Fatal(err)
	}
	m["PK"] = &types.AttributeValueMemberS{Value: "TENANT#" + c.TenantID}
	m["SK"] = &types.AttributeValueMemberS{Value: "CUSTOMER#" + c.CustomerID}
	return m
}

func fakeStore(f *fakeClient) *dynamo.Store {
	st := dynamo.New(f, "table")
	st.Now = func() time.Time { return fixedNow }
	st.Retry = fakeRetry
	return st
}

// fakeRetry is the retry policy of fakeStore: short, so a race lost throughout ends quickly.
var fakeRetry = dynamo.RetryPolicy{Budget: 50 * time.Millisecond, Base: time.Millisecond, Cap: 4 * time.Millisecond}

// clauses resolves an update expression into its clauses (SET, REMOVE, ADD), each a list of
// attribute paths whose elements are joined by "/", so that a custom field key containing a dot
// stays visibly one element.
func clauses(t *testing.T, expr string, names map[string]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for line := range strings.Lines(expr) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		verb, rest, _ := strings.Cut(line, " ")
		for action := range strings.SplitSeq(rest, ", ") {
			path, _, _ := strings.Cut(action, " ")
			var parts []string
			for alias := range strings.SplitSeq(path, ".") {
				name, ok := names[alias]
				if !ok {
					t.Fatalf("update expression %q uses undefined name %s", expr, alias)
				}
				parts = append(parts, name)
			}
			out[verb] = append(out[verb], strings.Join(parts, "/"))
		}
	}
	for _, paths := range out {
		slices.Sort(paths)
	}
	return out
}

func TestUpdateWithoutEmailIsOneUpdateItem(t *testing.T) {
	want := storedCustomer()
	want.FirstName, want.Company, want.Version = "Augusta", "", 4
	want.CustomFields = map[string]any{"n": json.Number("1.50"), "plan": "gold", "a.b": json.Number("7")}
	f := &fakeClient{updateItem: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
		return &dynamodb.UpdateItemOutput{Attributes: item(t, want)}, nil
	}}
	st := fakeStore(f)
	first := "Augusta"
	got, err := st.UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{
		FirstName:    &first,
		Company:      customer.Optional[string]{Set: true},
		CustomFields: map[string]any{"plan": "gold", "a.b": json.Number("7"), "old": nil},
	}, nil)
	if err != nil {
		t.Fatalf("UpdateCustomer: %v", err)
	}
	checkCalls(t, f, map[string]int{"UpdateItem": 1})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateCustomer = %+v, want %+v", got, want)
	}

	in := f.updates[0]
	if in.ReturnValues != types.ReturnValueAllNew || in.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld {
		t.Errorf("ReturnValues %q, on failure %q; want ALL_NEW, ALL_OLD", in.ReturnValues, in.ReturnValuesOnConditionCheckFailure)
	}
	if k := in.Key["SK"].(*types.AttributeValueMemberS).Value; k != "CUSTOMER#cust_1" {
		t.Errorf("Key SK = %q, want CUSTOMER#cust_1", k)
	}
	cond := aws.ToString(in.ConditionExpression)
	if !strings.Contains(cond, "attribute_exists") || !strings.Contains(cond, "size") {
		t.Errorf("ConditionExpression = %q, want attribute_exists(PK) and a size guard", cond)
	}
	gotClauses := clauses(t, aws.ToString(in.UpdateExpression), in.ExpressionAttributeNames)
	wantClauses := map[string][]string{
		// firstName with its sort key (for the lists by first name) and that key's stamp.
		"SET":    {"LSK1", "LSK1At", "customFields/a.b", "customFields/plan", "firstName", "updatedAt"},
		"REMOVE": {"company", "customFields/old"},
		"ADD":    {"version"},
	}
	if !reflect.DeepEqual(gotClauses, wantClauses) {
		t.Errorf("update clauses = %v, want %v", gotClauses, wantClauses)
	}
	set := assignments(t, aws.ToString(in.UpdateExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if want := "CUSTOMER#augusta\x01cust_1"; set["LSK1"] != want || set["LSK1At"] != "2024-05-06T07:08:09.000000Z" {
		t.Errorf("update sets LSK1 %q, LSK1At %q; want %q, the time of the update", set["LSK1"], set["LSK1At"], want)
	}
	// The number stays a DynamoDB number, not a string.
	foundN := false
	for _, v := range in.ExpressionAttributeValues {
		if n, ok := v.(*types.AttributeValueMemberN); ok && n.Value == "7" {
			foundN = true
		}
	}
	if !foundN {
		t.Errorf("ExpressionAttributeValues = %v, want the number 7 as N", in.ExpressionAttributeValues)
	}
}

func TestUpdateConditionFailures(t *testing.T) {
	first := "X"
	stored := storedCustomer()
	tests := []struct {
		name    string
		old     *customer.Customer // ALL_OLD, nil when the item does not exist
		ifMatch customer.IfMatch
		want    error
	}{
		{"not found", nil, nil, customer.ErrNotFound},
		{"not found with If-Match", nil, customer.IfMatch{0}, customer.ErrNotFound},
		{"version differs", &stored, customer.IfMatch{0}, customer.ErrPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{updateItem: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
				e := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
				if tt.old != nil {
					e.Item = item(t, *tt.old)
				}
				return nil, e
			}}
			_, err := fakeStore(f).UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{FirstName: &first}, tt.ifMatch)
			if !errors.Is(err, tt.want) {
				t.Errorf("UpdateCustomer = %v, want %v", err, tt.want)
			}
			checkCalls(t, f, map[string]int{"UpdateItem": 1})
			// Conditioned on the version exactly when If-Match is given (attribute_exists(PK)
			// and the erasure mark's absence always).
			in := f.updates[0]
			if cond := resolved(aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues); (tt.ifMatch != nil) != strings.Contains(cond, "<version>") ||
				!strings.Contains(cond, "attribute_not_exists (<erasing>)") {
				t.Errorf("ConditionExpression = %q with ifMatch %v", cond, tt.ifMatch)
			}
		})
	}
}

func TestUpdateInactiveWithPendingOrders(t *testing.T) {
	busy := storedCustomer()
	busy.PendingOrders = 2
	inactive := customer.Inactive
	tests := []struct {
		name    string
		old     *customer.Customer // ALL_OLD, nil when the item does not exist
		ifMatch customer.IfMatch
		want    error
	}{
		{"not found", nil, customer.IfMatch{1}, customer.ErrNotFound},
		{"stale If-Match first", &busy, customer.IfMatch{1}, customer.ErrPrecondition},
		{"pending orders", &busy, customer.IfMatch{busy.Version}, customer.ErrPendingOrders},
		{"pending orders without If-Match", &busy, nil, customer.ErrPendingOrders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{updateItem: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
				e := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
				if tt.old != nil {
					e.Item = item(t, *tt.old)
				}
				return nil, e
			}}
			_, err := fakeStore(f).UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Status: &inactive}, tt.ifMatch)
			if !errors.Is(err, tt.want) {
				t.Errorf("UpdateCustomer(status inactive) = %v, want %v", err, tt.want)
			}
			checkCalls(t, f, map[string]int{"UpdateItem": 1})
			in := f.updates[0]
			if cond := resolved(aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues); !strings.Contains(cond, pendingGuard) {
				t.Errorf("ConditionExpression = %q, want the pendingOrders guard %q", cond, pendingGuard)
			}
		})
	}
}

func TestUpdateCustomFieldLimit(t *testing.T) {
	full := storedCustomer()
	full.CustomFields = map[string]any{}
	for i := range 48 {
		full.CustomFields[fmt.Sprintf("k%02d", i)] = "v"
	}
	tests := []struct {
		name      string
		patch     map[string]any
		wantCalls int
		wantErr   bool
	}{
		// 48 + 2 existing + 2 new = 50: the guard (48 <= 46) fails, the exact count allows a retry.
		{"fits exactly", map[string]any{"k00": "w", "k01": "w", "new1": "v", "new2": "v"}, 2, false},
		{"one too many", map[string]any{"new1": "v", "new2": "v", "new3": "v"}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{updateItem: func(in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
				if strings.Contains(aws.ToString(in.ConditionExpression), "size") {
					return nil, &types.ConditionalCheckFailedException{Item: item(t, full)}
				}
				return &dynamodb.UpdateItemOutput{Attributes: item(t, full)}, nil
			}}
			_, err := fakeStore(f).UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{CustomFields: tt.patch}, nil)
			if gotErr := fault.KindOf(err) == fault.Validation; gotErr != tt.wantErr || (err != nil && !gotErr) {
				t.Errorf("UpdateCustomer error = %v, want validation error %v", err, tt.wantErr)
			}
			checkCalls(t, f, map[string]int{"UpdateItem": tt.wantCalls})
			if tt.wantCalls == 2 {
				retry := f.updates[1]
				// The retry is pinned to the version the ALL_OLD item had (3).
				if !hasNumber(retry.ExpressionAttributeValues, "3") || strings.Contains(aws.ToString(retry.ConditionExpression), "size") {
					t.Errorf("retry condition %q %v, want pinned to version 3 without the size guard",
						aws.ToString(retry.ConditionExpression), retry.ExpressionAttributeValues)
				}
			}
		})
	}
}

func hasNumber(values map[string]types.AttributeValue, n string) bool {
	for _, v := range values {
		if x, ok := v.(*types.AttributeValueMemberN); ok && x.Value == n {
			return true
		}
	}
	return false
}

func TestEmailChangeIsOneReadOneTransaction(t *testing.T) {
	cur := storedCustomer()
	f := &fakeClient{
		getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: item(t, cur)}, nil
		},
		transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
			return &dynamodb.TransactWriteItemsOutput{}, nil
		},
	}
	email := "ada@new.example"
	got, err := fakeStore(f).UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Email: &email}, customer.IfMatch{cur.Version})
	if err != nil {
		t.Fatalf("UpdateCustomer: %v", err)
	}
	checkCalls(t, f, map[string]int{"GetItem": 1, "TransactWriteItems": 1})
	want, _ := customer.Patch{Email: &email}.Apply(cur, fixedNow)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateCustomer = %+v, want %+v", got, want)
	}
	if !aws.ToBool(f.gets[0].ConsistentRead) {
		t.Errorf("the read before an email change is not consistent")
	}
	items := f.transacts[0].TransactItems
	if len(items) != 3 || items[0].Update == nil || items[1].Delete == nil || items[2].Put == nil {
		t.Fatalf("transaction = %+v, want Update, Delete, Put", items)
	}
	if sk := items[1].Delete.Key["SK"].(*types.AttributeValueMemberS).Value; sk != "EMAIL#ada@example.com" {
		t.Errorf("deleted reservation %q, want EMAIL#ada@example.com", sk)
	}
	if sk := items[2].Put.Item["SK"].(*types.AttributeValueMemberS).Value; sk != "EMAIL#ada@new.example" ||
		aws.ToString(items[2].Put.ConditionExpression) != "attribute_not_exists(PK)" {
		t.Errorf("new reservation %q with condition %q", sk, aws.ToString(items[2].Put.ConditionExpression))
	}
	if items[0].Update.ReturnValuesOnConditionCheckFailure != types.ReturnValuesOnConditionCheckFailureAllOld {
		t.Errorf("customer update in the transaction does not return ALL_OLD on failure")
	}

	// The new email taken: 409, still one read and one transaction.
	f.calls = nil
	f.transact = func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		return nil, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{Code: aws.String("None")}, {Code: aws.String("None")}, {Code: aws.String("ConditionalCheckFailed")},
		}}
	}
	if _, err := fakeStore(f).UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Email: &email}, nil); !errors.Is(err, customer.ErrEmailExists) {
		t.Errorf("UpdateCustomer(taken email) = %v, want %v", err, customer.ErrEmailExists)
	}
	checkCalls(t, f, map[string]int{"GetItem": 1, "TransactWriteItems": 1})
}

func TestGetIsOneGetItem(t *testing.T) {
	f := &fakeClient{getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
		return &dynamodb.GetItemOutput{Item: item(t, storedCustomer())}, nil
	}}
	got, err := fakeStore(f).GetCustomer(context.Background(), "t1", "cust_1")
	if err != nil || !reflect.DeepEqual(got, storedCustomer()) {
		t.Errorf("GetCustomer = %+v, %v; want %+v", got, err, storedCustomer())
	}
	checkCalls(t, f, map[string]int{"GetItem": 1})

	f = &fakeClient{getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) { return &dynamodb.GetItemOutput{}, nil }}
	if _, err := fakeStore(f).GetCustomer(context.Background(), "t1", "cust_1"); !errors.Is(err, customer.ErrNotFound) {
		t.Errorf("GetCustomer(missing) = %v, want %v", err, customer.ErrNotFound)
	}
}

func TestUnfilteredListPageIsOneQuery(t *testing.T) {
	f := &fakeClient{query: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		var out dynamodb.QueryOutput
		for i := range aws.ToInt32(in.Limit) {
			c := storedCustomer()
			c.CustomerID = fmt.Sprintf("cust_%02d", i)
			out.Items = append(out.Items, item(t, c))
		}
		out.LastEvaluatedKey = out.Items[len(out.Items)-1]
		return &out, nil
	}}
	page, err := fakeStore(f).ListCustomers(context.Background(), "t1", customer.ListQuery{Limit: 3, After: "cust_x", Desc: true})
	if err != nil {
		t.Fatalf("ListCustomers: %v", err)
	}
	checkCalls(t, f, map[string]int{"Query": 1})
	if len(page.Customers) != 3 || page.Next != "cust_02" {
		t.Errorf("page = %d customers, next %q; want 3, cust_02", len(page.Customers), page.Next)
	}
}

// keyValue is the string at attribute name of a key, "" when absent.
func keyValue(k map[string]types.AttributeValue, name string) string {
	if v, ok := k[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// TestStatusListIsOneIndexQuery: a list by status (the default list) is one Query of the
// status's GSI2 partition, without a filter, paging from the last customer's index and table keys.
func TestStatusListIsOneIndexQuery(t *testing.T) {
	for _, st := range []customer.Status{customer.Active, customer.Inactive} {
		var queries []*dynamodb.QueryInput
		f := &fakeClient{query: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
			queries = append(queries, in)
			var out dynamodb.QueryOutput
			for i := range aws.ToInt32(in.Limit) {
				c := storedCustomer()
				c.CustomerID, c.Status = fmt.Sprintf("cust_%02d", i), st
				out.Items = append(out.Items, item(t, c))
			}
			out.LastEvaluatedKey = out.Items[len(out.Items)-1]
			return &out, nil
		}}
		page, err := fakeStore(f).ListCustomers(context.Background(), "t1", customer.ListQuery{Limit: 2, Status: st, After: "cust_x"})
		if err != nil {
			t.Fatalf("ListCustomers(%s): %v", st, err)
		}
		checkCalls(t, f, map[string]int{"Query": 1})
		if len(page.Customers) != 2 || page.Next != "cust_01" {
			t.Errorf("ListCustomers(%s) = %d customers, next %q; want 2, cust_01", st, len(page.Customers), page.Next)
		}
		in := queries[0]
		if aws.ToString(in.IndexName) != "GSI2" || in.FilterExpression != nil || aws.ToBool(in.ConsistentRead) {
			t.Errorf("ListCustomers(%s) query: index %q, filter %q, consistent %v; want GSI2, none, false",
				st, aws.ToString(in.IndexName), aws.ToString(in.FilterExpression), aws.ToBool(in.ConsistentRead))
		}
		wantPK := "TENANT#t1#STATUS#" + string(st)
		found := false
		for _, v := range in.ExpressionAttributeValues {
			if s, ok := v.(*types.AttributeValueMemberS); ok && s.Value == wantPK {
				found = true
			}
		}
		if !found {
			t.Errorf("ListCustomers(%s) key condition values %v, want %s", st, in.ExpressionAttributeValues, wantPK)
		}
		start := in.ExclusiveStartKey
		want := map[string]string{"PK": "TENANT#t1", "SK": "CUSTOMER#cust_x", "GSI2PK": wantPK, "GSI2SK": "CUSTOMER#cust_x"}
		for name, v := range want {
			if got := keyValue(start, name); got != v {
				t.Errorf("ListCustomers(%s) ExclusiveStartKey %s = %q, want %q", st, name, got, v)
			}
		}
	}
}

// sortedItem is item(c) with its firstName sort key, as the lists by first name read it.
func sortedItem(t *testing.T, c customer.Customer) map[string]types.AttributeValue {
	m := item(t, c)
	m["LSK1"] = &types.AttributeValueMemberS{Value: "CUSTOMER#" + c.Position(customer.ByFirstName)}
	return m
}

// TestFilteredPageIsBounded: a bounded combination (a type filter with another sort) that matches
// little ends the page after a fixed number of Queries, with the cursor on the last customer read,
// not the last returned.
func TestFilteredPageIsBounded(t *testing.T) {
	since := customer.Stamp(fixedNow) // the first page's time, in every cursor of the paging
	tests := []struct {
		name      string
		matches   map[int]bool // Query call (1-based) → it returns one matching customer
		wantIDs   []string
		wantCalls int
	}{
		{"nothing matches", nil, nil, 10},
		{"one match early", map[int]bool{2: true}, []string{"match_2"}, 10},
		{"page fills", map[int]bool{1: true, 3: true, 4: true}, []string{"match_1", "match_3"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			var (
				queries []*dynamodb.QueryInput
				starts  []string // the SK each Query starts after (the store reuses its input)
			)
			f := &fakeClient{query: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
				n++
				queries = append(queries, in)
				starts = append(starts, keyValue(in.ExclusiveStartKey, "SK"))
				var out dynamodb.QueryOutput
				if tt.matches[n] {
					c := storedCustomer()
					c.CustomerID, c.CustomerType = fmt.Sprintf("match_%d", n), customer.Business
					out.Items = append(out.Items, sortedItem(t, c))
				}
				// Every Query read more customers than it returned; the last one read:
				last := storedCustomer()
				last.CustomerID = fmt.Sprintf("read_%d", n)
				out.LastEvaluatedKey = sortedItem(t, last)
				return &out, nil
			}}
			page, err := fakeStore(f).ListCustomers(context.Background(), "t1", customer.ListQuery{Limit: 2, Type: customer.Business, SortBy: customer.ByFirstName})
			if err != nil {
				t.Fatalf("ListCustomers: %v", err)
			}
			checkCalls(t, f, map[string]int{"Query": tt.wantCalls})
			var got []string
			for _, c := range page.Customers {
				got = append(got, c.CustomerID)
			}
			if !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("page = %v, want %v", got, tt.wantIDs)
			}
			wantNext := since + "ada\x01" + fmt.Sprintf("read_%d", tt.wantCalls)
			if len(tt.wantIDs) == 2 {
				wantNext = since + "ada\x01" + tt.wantIDs[1]
			}
			if page.Next != wantNext {
				t.Errorf("Next = %q, want %q", page.Next, wantNext)
			}
			if aws.ToString(queries[0].FilterExpression) == "" || aws.ToString(queries[0].IndexName) != "GSI8" {
				t.Errorf("first query: filter %q index %q, want a filter on GSI8", aws.ToString(queries[0].FilterExpression), aws.ToString(queries[0].IndexName))
			}
			for i, got := range starts[1:] {
				if want := fmt.Sprintf("CUSTOMER#read_%d", i+1); got != want {
					t.Errorf("Query %d starts after %s, want %s (the last read)", i+2, got, want)
				}
			}
		})
	}
}

// TestFilteredPageBudget: however large the page, a bounded page reads at most 10 Queries and
// 1,000 items (the sum of the Queries' Limits: DynamoDB's Limit counts items read before the
// filter), and the first Query reads only limit+1.
func TestFilteredPageBudget(t *testing.T) {
	for _, limit := range []int{1, 2, 50, 99, 100} {
		var limits []int32
		f := &fakeClient{query: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
			limits = append(limits, aws.ToInt32(in.Limit))
			last := storedCustomer()
			last.CustomerID = fmt.Sprintf("read_%d", len(limits))
			return &dynamodb.QueryOutput{LastEvaluatedKey: sortedItem(t, last)}, nil
		}}
		page, err := fakeStore(f).ListCustomers(context.Background(), "t1", customer.ListQuery{Limit: limit, Type: customer.Business, SortBy: customer.ByFirstName})
		if err != nil {
			t.Fatalf("ListCustomers(limit %d): %v", limit, err)
		}
		read := 0
		for _, l := range limits {
			read += int(l)
		}
		if len(limits) > 10 || read > 1000 || limits[0] != int32(limit+1) {
			t.Errorf("limit %d: Queries with Limit %v (%d read), want at most 10 Queries, 1000 read, the first reading %d", limit, limits, read, limit+1)
		}
		if len(page.Customers) != 0 || page.Next == "" {
			t.Errorf("limit %d: page of %d, next %q; want empty with a cursor", limit, len(page.Customers), page.Next)
		}
	}
}

// TestStatusWritesMoveTheIndexKey: every write of a status sets the GSI2 keys of the new status in
// the same request: the one UpdateItem of an update, DeactivateCustomer, and the customer Update of
// an email change's transaction. (The order transaction: TestOrderWritesKeepTheIndexKey.)
func TestStatusWritesMoveTheIndexKey(t *testing.T) {
	stored := storedCustomer()
	email := "ada@new.example"
	tests := []struct {
		name   string
		status customer.Status
		write  func(*dynamo.Store) error
	}{
		{"update inactive", customer.Inactive, func(st *dynamo.Store) error {
			_, err := st.UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Status: ptr(customer.Inactive)}, nil)
			return err
		}},
		{"update active", customer.Active, func(st *dynamo.Store) error {
			_, err := st.UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Status: ptr(customer.Active)}, nil)
			return err
		}},
		{"deactivate", customer.Inactive, func(st *dynamo.Store) error {
			_, err := st.DeactivateCustomer(context.Background(), "t1", "cust_1", nil)
			return err
		}},
		{"email change, inactive", customer.Inactive, func(st *dynamo.Store) error {
			_, err := st.UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Email: &email, Status: ptr(customer.Inactive)}, nil)
			return err
		}},
		{"email change, active", customer.Active, func(st *dynamo.Store) error {
			_, err := st.UpdateCustomer(context.Background(), "t1", "cust_1", customer.Patch{Email: &email, Status: ptr(customer.Active)}, nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{
				getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					return &dynamodb.GetItemOutput{Item: item(t, stored)}, nil
				},
				updateItem: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
					return &dynamodb.UpdateItemOutput{Attributes: item(t, stored)}, nil
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			if err := tt.write(fakeStore(f)); err != nil {
				t.Fatalf("write: %v", err)
			}
			var upd []*types.Update
			for _, in := range f.updates {
				upd = append(upd, &types.Update{UpdateExpression: in.UpdateExpression,
					ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues})
			}
			for _, in := range f.transacts {
				for _, w := range in.TransactItems {
					if w.Update != nil && keyValue(w.Update.Key, "SK") == "CUSTOMER#cust_1" {
						upd = append(upd, w.Update)
					}
				}
			}
			if len(upd) != 1 {
				t.Fatalf("customer updates = %d (requests %v), want 1", len(upd), f.calls)
			}
			set := assignments(t, aws.ToString(upd[0].UpdateExpression), upd[0].ExpressionAttributeNames, upd[0].ExpressionAttributeValues)
			if set["status"] != string(tt.status) {
				t.Errorf("update sets status %q, want %q", set["status"], tt.status)
			}
			checkIndexKeys(t, "the customer update", set, "cust_1", tt.status)
		})
	}
}

// assignments resolves the SET clause of an update expression: attribute path (elements joined
// by "/", as in clauses) → the string or number it is set to, or the operand as written when it is
// not a single value (list_append(...), if_not_exists(...)).
func assignments(t *testing.T, expr string, names map[string]string, values map[string]types.AttributeValue) map[string]string {
	t.Helper()
	out := map[string]string{}
	for line := range strings.Lines(expr) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "SET ")
		if !ok {
			continue
		}
		// Split at the commas outside parentheses: list_append(a, b) is one operand.
		var actions []string
		depth, start := 0, 0
		for i, r := range rest {
			switch r {
			case '(':
				depth++
			case ')':
				depth--
			case ',':
				if depth == 0 {
					actions = append(actions, rest[start:i])
					start = i + 1
				}
			}
		}
		actions = append(actions, rest[start:])
		for _, action := range actions {
			path, operand, ok := strings.Cut(strings.TrimSpace(action), " = ")
			if !ok {
				t.Fatalf("SET action %q of %q is not path = operand", action, expr)
			}
			var parts []string
			for alias := range strings.SplitSeq(path, ".") {
				name, ok := names[alias]
				if !ok {
					t.Fatalf("update expression %q uses undefined name %s", expr, alias)
				}
				parts = append(parts, name)
			}
			v := operand
			switch x := values[operand].(type) {
			case *types.AttributeValueMemberS:
				v = x.Value
			case *types.AttributeValueMemberN:
				v = x.Value
			}
			out[strings.Join(parts, "/")] = v
		}
	}
	return out
}

// checkIndexKeys fails unless set (from assignments) sets the status's index keys of customer id
// in status st of tenant t1: GSI2PK, GSI2SK and SSK.
func checkIndexKeys(t *testing.T, what string, set map[string]string, id string, st customer.Status) {
	t.Helper()
	wantPK, wantSK, wantSSK := "TENANT#t1#STATUS#"+string(st), "CUSTOMER#"+id, "STATUS#"+string(st)+"#CUSTOMER#"+id
	if set["GSI2PK"] != wantPK || set["GSI2SK"] != wantSK {
		t.Errorf("%s sets GSI2PK %q, GSI2SK %q; want %q, %q", what, set["GSI2PK"], set["GSI2SK"], wantPK, wantSK)
	}
	// The order transaction's update of an existing customer keeps it active without SSK: its
	// condition requires the status it already has.
	if ssk, ok := set["SSK"]; ok && ssk != wantSSK || !ok && !strings.Contains(what, "customer Update") {
		t.Errorf("%s sets SSK %q, want %q", what, ssk, wantSSK)
	}
}

// TestWritesSetTheirIndexKeys: every write that sets a field an index key is derived from sets
// that key in the same request (docs/indexes.md), without a read: the one UpdateItem of an update,
// the customer Update of an email change, the Puts of an order for a new customer, a cancel.
func TestWritesSetTheirIndexKeys(t *testing.T) {
	stored := storedCustomer()
	at, ts := customer.Stamp(fixedNow), customer.Timestamp(fixedNow) // stamps, updatedAt
	updates := []struct {
		name  string
		patch customer.Patch
		want  map[string]string
	}{
		{"type", customer.Patch{CustomerType: ptr(customer.Business)}, map[string]string{"TPK": "TENANT#t1#TYPE#business"}},
		{"first name", customer.Patch{FirstName: ptr("ÅSA")}, map[string]string{"LSK1": "CUSTOMER#åsa\x01cust_1", "LSK1At": at}},
		{"last name", customer.Patch{LastName: ptr("Strauß")}, map[string]string{"LSK2": "CUSTOMER#strauss\x01cust_1", "LSK2At": at}},
		{"email, same reservation", customer.Patch{Email: ptr("ADA@example.com")}, map[string]string{"LSK3": "CUSTOMER#" + customer.EmailKey("ADA@example.com") + "\x01cust_1", "LSK3At": at}},
		{"email, new reservation", customer.Patch{Email: ptr("Ada@New.example")}, map[string]string{"LSK3": "CUSTOMER#" + customer.EmailKey("Ada@New.example") + "\x01cust_1", "LSK3At": at}},
		{"status", customer.Patch{Status: ptr(customer.Inactive)}, map[string]string{"GSI2PK": "TENANT#t1#STATUS#inactive", "SSK": "STATUS#inactive#CUSTOMER#cust_1"}},
		{"all indexed fields but the email", customer.Patch{Status: ptr(customer.Active), CustomerType: ptr(customer.Individual), FirstName: ptr("Bo"), LastName: ptr("Li")},
			map[string]string{"GSI2PK": "TENANT#t1#STATUS#active", "SSK": "STATUS#active#CUSTOMER#cust_1", "TPK": "TENANT#t1#TYPE#individual",
				"LSK1": "CUSTOMER#bo\x01cust_1", "LSK2": "CUSTOMER#li\x01cust_1"}},
	}
	for _, tt := range updates {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{
				getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					return &dynamodb.GetItemOutput{Item: item(t, stored)}, nil
				},
				updateItem: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
					return &dynamodb.UpdateItemOutput{Attributes: item(t, stored)}, nil
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			if _, err := fakeStore(f).UpdateCustomer(context.Background(), "t1", "cust_1", tt.patch, nil); err != nil {
				t.Fatalf("UpdateCustomer: %v", err)
			}
			if tt.patch.Email == nil {
				// Index keys or not, an update without an email change is one request.
				checkCalls(t, f, map[string]int{"UpdateItem": 1})
			}
			var expr, names, values = "", map[string]string{}, map[string]types.AttributeValue{}
			switch {
			case len(f.updates) == 1:
				expr, names, values = aws.ToString(f.updates[0].UpdateExpression), f.updates[0].ExpressionAttributeNames, f.updates[0].ExpressionAttributeValues
			case len(f.transacts) == 1:
				u := f.transacts[0].TransactItems[0].Update
				expr, names, values = aws.ToString(u.UpdateExpression), u.ExpressionAttributeNames, u.ExpressionAttributeValues
			default:
				t.Fatalf("requests %v, want one customer update", f.calls)
			}
			set := assignments(t, expr, names, values)
			for k, v := range tt.want {
				if set[k] != v {
					t.Errorf("update sets %s = %q, want %q", k, set[k], v)
				}
			}
			if tt.patch.FirstName == nil && set["LSK1"] != "" {
				t.Errorf("update sets LSK1 = %q without a first name", set["LSK1"])
			}
		})
	}

	t.Run("order for a new customer, and its cancel", func(t *testing.T) {
		f := &fakeClient{
			getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) { return &dynamodb.GetItemOutput{}, nil },
			transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
				return &dynamodb.TransactWriteItemsOutput{}, nil
			},
		}
		st := fakeStore(f)
		in := orderInput("New@Example.com")
		in.Customer.FirstName, in.Customer.CustomerType = "Émile", customer.Business
		o, _, err := st.CreateOrder(context.Background(), "t1", in, order.Idempotency{})
		if err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
		cid, oid := o.Customer.CustomerID, o.OrderID
		writes := f.transacts[0].TransactItems
		cust, ord := writes[0].Put.Item, writes[2].Put.Item
		wantCustomer := map[string]string{
			"GSI2PK": "TENANT#t1#STATUS#active", "GSI2SK": "CUSTOMER#" + cid, "SSK": "STATUS#active#CUSTOMER#" + cid,
			"TPK": "TENANT#t1#TYPE#business", "RPK": "TENANT#t1#RENTALS#false",
			"LSK1": "CUSTOMER#émile\x01" + cid, "LSK2": "CUSTOMER#lovelace\x01" + cid,
			"LSK3": "CUSTOMER#" + customer.EmailKey("New@Example.com") + "\x01" + cid,
			"LSK4": "CUSTOMER#" + customer.SortNumber(0) + "\x01" + cid, "LSK5": "CUSTOMER#" + customer.SortCount(0) + "\x01" + cid,
			"LSK1At": at, "LSK2At": at, "LSK3At": at, "LSK4At": at, "LSK5At": at,
		}
		wantOrder := map[string]string{
			"GSI1PK": "TENANT#t1#CUSTOMER#" + cid, "GSI1SK": "ORDER#" + oid,
			"GSI2PK": "TENANT#t1#ORDERSTATUS#pending", "GSI2SK": "ORDER#" + oid,
			"LSK1": "ORDER#" + ts + "\x01" + oid, "LSK2": "ORDER#pending\x01" + oid, "LSK1At": at, "LSK2At": at,
		}
		for _, c := range []struct {
			what string
			item map[string]types.AttributeValue
			want map[string]string
		}{{"customer Put", cust, wantCustomer}, {"order Put", ord, wantOrder}} {
			for k, v := range c.want {
				if got := keyValue(c.item, k); got != v {
					t.Errorf("%s: %s = %q, want %q", c.what, k, got, v)
				}
			}
		}

		stored, err := attributevalue.MarshalMap(o)
		if err != nil {
			t.Fatal(err)
		}
		stored["PK"], stored["SK"] = ord["PK"], ord["SK"]
		f.getItem = func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: stored}, nil
		}
		later := fixedNow.Add(time.Minute)
		st.Now = func() time.Time { return later }
		if _, _, err := st.CancelOrder(context.Background(), "t1", oid, "", order.Idempotency{}); err != nil {
			t.Fatalf("CancelOrder: %v", err)
		}
		u := f.transacts[1].TransactItems[0].Update
		set := assignments(t, aws.ToString(u.UpdateExpression), u.ExpressionAttributeNames, u.ExpressionAttributeValues)
		ts, at := customer.Timestamp(later), customer.Stamp(later)
		for k, v := range map[string]string{
			"status": "cancelled", "GSI2PK": "TENANT#t1#ORDERSTATUS#cancelled",
			"LSK1": "ORDER#" + ts + "\x01" + oid, "LSK2": "ORDER#cancelled\x01" + oid, "LSK1At": at, "LSK2At": at,
		} {
			if set[k] != v {
				t.Errorf("cancel sets %s = %q, want %q", k, set[k], v)
			}
		}
	})
}

// TestOrderWritesKeepTheIndexKey: the order transaction indexes the customer it writes in GSI2,
// under status active: the Put of a new customer and the Update of an existing one alike.
func TestOrderWritesKeepTheIndexKey(t *testing.T) {
	stored := storedCustomer()
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing customer %v", existing), func(t *testing.T) {
			f := &fakeClient{
				getItem: func(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					switch sk := keyValue(in.Key, "SK"); {
					case !existing:
						return &dynamodb.GetItemOutput{}, nil
					case strings.HasPrefix(sk, "EMAIL#"):
						return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
							"customerId": &types.AttributeValueMemberS{Value: stored.CustomerID},
							"email":      &types.AttributeValueMemberS{Value: stored.Email},
						}}, nil
					case sk == "CUSTOMER#"+stored.CustomerID:
						return &dynamodb.GetItemOutput{Item: item(t, stored)}, nil
					}
					return nil, errUnexpected
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			o, _, err := fakeStore(f).CreateOrder(context.Background(), "t1", orderInput(stored.Email), order.Idempotency{})
			if err != nil {
				t.Fatalf("CreateOrder: %v", err)
			}
			if len(f.transacts) != 1 {
				t.Fatalf("transactions = %d, want 1", len(f.transacts))
			}
			id := o.Customer.CustomerID
			w := f.transacts[0].TransactItems[0]
			switch {
			case existing && w.Update != nil:
				if id != stored.CustomerID {
					t.Errorf("order for customer %s, want %s", id, stored.CustomerID)
				}
				checkIndexKeys(t, "the customer Update", assignments(t, aws.ToString(w.Update.UpdateExpression),
					w.Update.ExpressionAttributeNames, w.Update.ExpressionAttributeValues), id, customer.Active)
			case !existing && w.Put != nil:
				if got := keyValue(w.Put.Item, "SK"); got != "CUSTOMER#"+id {
					t.Fatalf("first write puts %s, want CUSTOMER#%s", got, id)
				}
				set := map[string]string{"GSI2PK": keyValue(w.Put.Item, "GSI2PK"), "GSI2SK": keyValue(w.Put.Item, "GSI2SK"), "SSK": keyValue(w.Put.Item, "SSK")}
				checkIndexKeys(t, "the customer Put", set, id, customer.Active)
			default:
				t.Fatalf("first write of the transaction = %+v, want the customer's", w)
			}
		})
	}
}

// resolved substitutes names (as <name>) and values (strings and numbers as they are) into expr,
// so a condition can be read whatever aliases the builder chose.
func resolved(expr string, names map[string]string, values map[string]types.AttributeValue) string {
	subst := map[string]string{}
	for alias, name := range names {
		subst[alias] = "<" + name + ">"
	}
	for ph, av := range values {
		switch v := av.(type) {
		case *types.AttributeValueMemberS:
			subst[ph] = v.Value
		case *types.AttributeValueMemberN:
			subst[ph] = v.Value
		default:
			subst[ph] = fmt.Sprintf("%v", av)
		}
	}
	// Longer aliases first, so that #10 is not read as #1 followed by 0.
	aliases := slices.SortedFunc(maps.Keys(subst), func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	r := make([]string, 0, 2*len(aliases))
	for _, a := range aliases {
		r = append(r, a, subst[a])
	}
	return strings.NewReplacer(r...).Replace(expr)
}

// The pending-orders rule of a deactivation, as resolved shows it.
const pendingGuard = "(attribute_not_exists (<pendingOrders>)) OR (<pendingOrders> <= 0)"

// TestDeactivateIsOneConditionalUpdate: DeactivateCustomer is one UpdateItem conditioned on the
// customer existing, not being inactive already, having no pending orders and (with ifMatch) its
// version; a failed condition's ALL_OLD item tells which, an inactive customer being a success
// that writes nothing.
func TestDeactivateIsOneConditionalUpdate(t *testing.T) {
	active := storedCustomer()
	busy := storedCustomer()
	busy.PendingOrders = 1
	inactive := storedCustomer()
	inactive.Status = customer.Inactive
	tests := []struct {
		name    string
		old     *customer.Customer // ALL_OLD of a failed condition, nil when the item does not exist
		fails   bool               // whether the condition fails
		ifMatch customer.IfMatch
		want    *customer.Customer // the result on success
		wantErr error
	}{
		{"active", nil, false, nil, &inactive, nil},
		{"active, current If-Match", nil, false, customer.IfMatch{active.Version}, &inactive, nil},
		{"not found", nil, true, customer.IfMatch{1}, nil, customer.ErrNotFound},
		{"already inactive", &inactive, true, nil, &inactive, nil},
		{"already inactive, current If-Match", &inactive, true, customer.IfMatch{inactive.Version}, &inactive, nil},
		{"already inactive, stale If-Match", &inactive, true, customer.IfMatch{1}, nil, customer.ErrPrecondition},
		{"stale If-Match", &active, true, customer.IfMatch{1}, nil, customer.ErrPrecondition},
		{"pending orders", &busy, true, nil, nil, customer.ErrPendingOrders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{updateItem: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
				if !tt.fails {
					return &dynamodb.UpdateItemOutput{Attributes: item(t, inactive)}, nil
				}
				e := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
				if tt.old != nil {
					e.Item = item(t, *tt.old)
				}
				return nil, e
			}}
			got, err := fakeStore(f).DeactivateCustomer(context.Background(), "t1", "cust_1", tt.ifMatch)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("DeactivateCustomer = %v, want %v", err, tt.wantErr)
			}
			if tt.want != nil && !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("DeactivateCustomer = %+v, want %+v", got, *tt.want)
			}
			checkCalls(t, f, map[string]int{"UpdateItem": 1})
			in := f.updates[0]
			cond := resolved(aws.ToString(in.ConditionExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues)
			want := []string{"attribute_exists (<PK>)", "<status> <> inactive", pendingGuard}
			if tt.ifMatch != nil {
				want = append(want, fmt.Sprintf("<version> = %d", tt.ifMatch[0]))
			}
			for _, w := range want {
				if !strings.Contains(cond, w) {
					t.Errorf("condition %q lacks %q", cond, w)
				}
			}
			if tt.ifMatch == nil && strings.Contains(cond, "<version>") {
				t.Errorf("condition %q without If-Match is on the version", cond)
			}
			set := assignments(t, aws.ToString(in.UpdateExpression), in.ExpressionAttributeNames, in.ExpressionAttributeValues)
			if set["status"] != "inactive" || set["updatedAt"] != customer.Timestamp(fixedNow) {
				t.Errorf("update sets %v, want status inactive and updatedAt %s", set, customer.Timestamp(fixedNow))
			}
			checkIndexKeys(t, "DeactivateCustomer", set, "cust_1", customer.Inactive)
		})
	}
}

func hasString(values map[string]types.AttributeValue, s string) bool {
	for _, v := range values {
		if x, ok := v.(*types.AttributeValueMemberS); ok && x.Value == s {
			return true
		}
	}
	return false
}

func TestThrottlingIsUnavailable(t *testing.T) {
	f := &fakeClient{getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("secret AWS detail")}
	}}
	_, err := fakeStore(f).GetCustomer(context.Background(), "t1", "cust_1")
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Unavailable || strings.Contains(fe.Message, "AWS") {
		t.Errorf("GetCustomer under throttling = %v, want fault.Unavailable with a client-safe message", err)
	}
}

func TestServerErrorIsUnavailable(t *testing.T) {
	answer := func(status int) error {
		return &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      errors.New("not JSON: <html>"),
		}
	}
	for _, tt := range []struct {
		status int
		want   fault.Kind
	}{{500, fault.Unavailable}, {502, fault.Unavailable}, {400, fault.Internal}} {
		f := &fakeClient{getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return nil, answer(tt.status)
		}}
		_, err := fakeStore(f).GetCustomer(context.Background(), "t1", "cust_1")
		if got := fault.KindOf(err); got != tt.want {
			t.Errorf("GetCustomer on an HTTP %d answer: kind %v (%v), want %v", tt.status, got, err, tt.want)
		}
	}
}

func TestUnreachableEndpointIsUnavailable(t *testing.T) {
	client, err := dynamosetup.Connect(context.Background(), "http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	_, err = dynamo.New(client, "table").GetCustomer(context.Background(), "t1", "cust_1")
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.Unavailable {
		t.Errorf("GetCustomer on an unreachable endpoint = %v, want fault.Unavailable", err)
	}
}

// keyItem is the stored form of k (any of its items: they share the body).
func keyItem(t *testing.T, k auth.Key) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(k)
	if err != nil {
		t.Fatal(err)
	}
	m["PK"] = &types.AttributeValueMemberS{Value: "APIKEYID#" + k.ID}
	m["SK"] = &types.AttributeValueMemberS{Value: "APIKEY"}
	return m
}

// transactItemKeys lists the PK/SK of every item a transaction writes, in order.
func transactItemKeys(in *dynamodb.TransactWriteItemsInput) []string {
	var keys []string
	for _, w := range in.TransactItems {
		var k map[string]types.AttributeValue
		switch {
		case w.Put != nil:
			k = w.Put.Item
		case w.Update != nil:
			k = w.Update.Key
		case w.Delete != nil:
			k = w.Delete.Key
		case w.ConditionCheck != nil:
			k = w.ConditionCheck.Key
		}
		keys = append(keys, k["PK"].(*types.AttributeValueMemberS).Value+" "+k["SK"].(*types.AttributeValueMemberS).Value)
	}
	return keys
}

// TestAPIKeyWritesTouchEachItemOnce: a key granted a tenant twice is still one item per tenant
// in the transactions of PutAPIKey (with the old key's deletes) and RevokeAPIKey.
func TestAPIKeyWritesTouchEachItemOnce(t *testing.T) {
	k := auth.Key{ID: "key_1", Hash: "h1", Tenants: []string{"t1", "t2", "t1"}, Scopes: auth.AllScopes, Status: auth.StatusActive}
	want := []string{"APIKEY#h1 APIKEY", "APIKEYID#key_1 APIKEY", "TENANT#t1 APIKEY#key_1", "TENANT#t2 APIKEY#key_1"}
	f := &fakeClient{
		getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			return &dynamodb.GetItemOutput{Item: keyItem(t, k)}, nil
		},
		transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
			return &dynamodb.TransactWriteItemsOutput{}, nil
		},
	}
	st := fakeStore(f)
	if err := st.PutAPIKey(context.Background(), k); err != nil {
		t.Fatalf("PutAPIKey: %v", err)
	}
	if err := st.RevokeAPIKey(context.Background(), k.ID); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	checkCalls(t, f, map[string]int{"GetItem": 3, "TransactWriteItems": 2})
	for i, what := range []string{"PutAPIKey", "RevokeAPIKey"} {
		if got := transactItemKeys(f.transacts[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s transaction items = %v, want %v", what, got, want)
		}
	}
	for _, w := range f.transacts[0].TransactItems {
		if w.Put == nil {
			t.Errorf("PutAPIKey of the same key: %+v, want a Put (the Delete of the old item replaced)", w)
		}
	}
}

// TestRevokeAPIKeyRereadsAfterLostRaces: a transaction conflict or a failed condition (a
// concurrent PutAPIKey rotated the hash or took a tenant away) reads the key again and revokes
// what the fresh read finds; only a key the fresh read no longer finds is auth.ErrKeyNotFound,
// and a race lost on every attempt the budget allows is fault.Unavailable.
func TestRevokeAPIKeyRereadsAfterLostRaces(t *testing.T) {
	k := auth.Key{ID: "key_1", Hash: "h1", Tenants: []string{"t1", "t2"}, Status: auth.StatusActive}
	rotated := k
	rotated.Hash, rotated.Tenants = "h2", []string{"t1"}
	cancel := func(codes ...string) error {
		e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
		for _, c := range codes {
			e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
		}
		return e
	}
	conditionFailed := cancel("ConditionalCheckFailed", "None", "None", "ConditionalCheckFailed")
	tests := []struct {
		name      string
		reads     []*auth.Key // one per read; past the end, the last; nil: the key is gone
		answers   []error     // one per attempt; past the end, success (busy: the last, and wantCalls is the budget's)
		wantCalls int
		wantErr   error    // matched with errors.Is, when not nil
		busy      bool     // else, fault.Unavailable when true, success when false
		wantLast  []string // the items of the last transaction
	}{
		{"conflict, then success", []*auth.Key{&k}, []error{cancel("None", "TransactionConflict", "None", "None")}, 2, nil, false,
			[]string{"APIKEY#h1 APIKEY", "APIKEYID#key_1 APIKEY", "TENANT#t1 APIKEY#key_1", "TENANT#t2 APIKEY#key_1"}},
		{"hash rotated and tenant removed meanwhile", []*auth.Key{&k, &rotated}, []error{conditionFailed}, 2, nil, false,
			[]string{"APIKEY#h2 APIKEY", "APIKEYID#key_1 APIKEY", "TENANT#t1 APIKEY#key_1"}},
		{"condition failed beside a conflict", []*auth.Key{&k, &rotated}, []error{cancel("TransactionConflict", "ConditionalCheckFailed", "None", "None")}, 2, nil, false,
			[]string{"APIKEY#h2 APIKEY", "APIKEYID#key_1 APIKEY", "TENANT#t1 APIKEY#key_1"}},
		{"key gone meanwhile", []*auth.Key{&k, nil}, []error{conditionFailed}, 2, auth.ErrKeyNotFound, false, nil},
		{"condition failed throughout", []*auth.Key{&k}, []error{conditionFailed}, 0, nil, true, nil},
		{"conflicts throughout", []*auth.Key{&k}, []error{cancel("TransactionConflict", "None", "None", "None")}, 0, nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads, n := 0, 0
			f := &fakeClient{
				getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					reads++
					cur := tt.reads[min(reads, len(tt.reads))-1]
					if cur == nil {
						return &dynamodb.GetItemOutput{}, nil
					}
					return &dynamodb.GetItemOutput{Item: keyItem(t, *cur)}, nil
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					n++
					if n <= len(tt.answers) || tt.busy {
						return nil, tt.answers[min(n, len(tt.answers))-1]
					}
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			err := fakeStore(f).RevokeAPIKey(context.Background(), k.ID)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("RevokeAPIKey = %v, want %v", err, tt.wantErr)
			case tt.wantErr == nil && tt.busy && fault.KindOf(err) != fault.Unavailable:
				t.Errorf("RevokeAPIKey = %v (kind %v), want kind %v", err, fault.KindOf(err), fault.Unavailable)
			case tt.wantErr == nil && !tt.busy && err != nil:
				t.Errorf("RevokeAPIKey = %v, want success", err)
			}
			wantCalls, wantTransacts := tt.wantCalls, tt.wantCalls
			if tt.busy {
				wantCalls, wantTransacts = n, n // every attempt reads, then loses
				if n < 2 {
					t.Errorf("transactions = %d, want retries until the budget ran out", n)
				}
			}
			if tt.wantErr != nil {
				wantTransacts-- // the last read finds nothing to write
			}
			checkCalls(t, f, map[string]int{"GetItem": wantCalls, "TransactWriteItems": wantTransacts})
			if tt.wantLast != nil {
				last := f.transacts[len(f.transacts)-1]
				if got := transactItemKeys(last); !reflect.DeepEqual(got, tt.wantLast) {
					t.Errorf("last transaction items = %v, want %v", got, tt.wantLast)
				}
				want := tt.reads[len(tt.reads)-1].Hash
				for _, w := range last.TransactItems {
					if !hasString(w.Update.ExpressionAttributeValues, want) {
						t.Errorf("update of %v conditioned on %v, want hash %s", w.Update.Key, w.Update.ExpressionAttributeValues, want)
					}
				}
			}
		})
	}
}

// TestCreateOrderInUseOnlyForItsKey: after every attempt the budget allows lost a race, IDEMPOTENCY_KEY_IN_USE is
// the answer only when the idempotency record was what conflicted; any other contention is
// fault.Unavailable, with or without a key.
func TestCreateOrderInUseOnlyForItsKey(t *testing.T) {
	// A new customer's transaction: customer, email reservation, order, idempotency record.
	reasons := func(customer, reservation, idem string) error {
		return &types.TransactionCanceledException{
			Message: aws.String("Transaction cancelled"),
			CancellationReasons: []types.CancellationReason{
				{Code: aws.String(customer)}, {Code: aws.String(reservation)}, {Code: aws.String("None")}, {Code: aws.String(idem)},
			},
		}
	}
	tests := []struct {
		name   string
		cancel error
		key    string
		want   error      // matched with errors.Is, when not nil
		kind   fault.Kind // else the fault kind
	}{
		{"conflict on the record", reasons("None", "None", "TransactionConflict"), "k1", order.ErrIdempotencyInUse, 0},
		{"record taken, not readable yet", reasons("None", "None", "ConditionalCheckFailed"), "k1", order.ErrIdempotencyInUse, 0},
		{"conflict on the reservation", reasons("None", "TransactionConflict", "None"), "k1", nil, fault.Unavailable},
		{"email taken meanwhile", reasons("None", "ConditionalCheckFailed", "None"), "k1", nil, fault.Unavailable},
		{"conflict on the customer", reasons("TransactionConflict", "None", "None"), "k1", nil, fault.Unavailable},
		{"conflict without a key", &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{Code: aws.String("None")}, {Code: aws.String("TransactionConflict")}, {Code: aws.String("None")},
		}}, "", nil, fault.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{
				getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					return &dynamodb.GetItemOutput{}, nil // no reservation, no readable record
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					return nil, tt.cancel
				},
			}
			var idem order.Idempotency
			if tt.key != "" {
				idem = order.Idempotency{Key: tt.key, RequestHash: "h1"}
			}
			_, _, err := fakeStore(f).CreateOrder(context.Background(), "t1", orderInput("ada@example.com"), idem)
			switch {
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("CreateOrder = %v, want %v", err, tt.want)
			case tt.want == nil && (fault.KindOf(err) != tt.kind || errors.Is(err, order.ErrIdempotencyInUse)):
				t.Errorf("CreateOrder = %v (kind %v), want kind %v", err, fault.KindOf(err), tt.kind)
			}
			if n := f.calls["TransactWriteItems"]; n < 2 {
				t.Errorf("transactions = %d, want retries until the budget ran out", n)
			}
		})
	}
}

// orderItem is the stored form of o, cancelled by a request with mark when mark.Key is set.
func orderItem(t *testing.T, o order.Order, mark order.CancelMark) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(o)
	if err != nil {
		t.Fatal(err)
	}
	m["PK"] = &types.AttributeValueMemberS{Value: "TENANT#" + o.TenantID}
	m["SK"] = &types.AttributeValueMemberS{Value: "ORDER#" + o.OrderID}
	if mark.Key != "" {
		m["cancelKey"] = &types.AttributeValueMemberS{Value: mark.Key}
		m["cancelHash"] = &types.AttributeValueMemberS{Value: mark.RequestHash}
	}
	return m
}

// TestCancelWithKey: a cancel is one read and one transaction that keeps the request's key and
// hash on the order; its retry is the read alone, also when it lost the race to the first.
func TestCancelWithKey(t *testing.T) {
	pending := order.Order{OrderID: "ord_1", TenantID: "t1", Status: order.Pending, Customer: order.Snapshot{CustomerID: "cust_1"},
		Items: []order.Line{}, CustomFields: map[string]any{}, CreatedAt: "2024-05-06T07:00:00.000Z", UpdatedAt: "2024-05-06T07:00:00.000Z",
		CreatedBy: "apikey:key_1"}
	pending = pending.Normalized() // as the store writes orders
	done := pending
	done.Status, done.CancellationReason, done.UpdatedAt = order.Cancelled, "why", customer.Timestamp(fixedNow)
	idem := order.Idempotency{Key: "k1", RequestHash: order.CancelHash("why")}
	mark := order.MarkOf(idem)
	raceLost := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
		{Code: aws.String("ConditionalCheckFailed"), Item: orderItem(t, done, mark)}, {Code: aws.String("None")},
	}}
	tests := []struct {
		name         string
		stored       map[string]types.AttributeValue
		transactErr  error
		idem         order.Idempotency
		wantReplayed bool
		wantErr      error
		wantCalls    map[string]int
	}{
		{"first", orderItem(t, pending, order.CancelMark{}), nil, idem, false, nil, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		{"retry", orderItem(t, done, mark), nil, idem, true, nil, map[string]int{"GetItem": 1}},
		{"retry that lost the race", orderItem(t, pending, order.CancelMark{}), raceLost, idem, true, nil, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
		{"other reason", orderItem(t, done, mark), nil, order.Idempotency{Key: "k1", RequestHash: order.CancelHash("other")}, false, order.ErrIdempotencyReused, map[string]int{"GetItem": 1}},
		{"other key", orderItem(t, done, mark), nil, order.Idempotency{Key: "k2", RequestHash: idem.RequestHash}, false, order.ErrAlreadyCancelled, map[string]int{"GetItem": 1}},
		{"other key, lost the race", orderItem(t, pending, order.CancelMark{}), raceLost, order.Idempotency{Key: "k2", RequestHash: idem.RequestHash}, false, order.ErrAlreadyCancelled, map[string]int{"GetItem": 1, "TransactWriteItems": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeClient{
				getItem: func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
					return &dynamodb.GetItemOutput{Item: tt.stored}, nil
				},
				transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
					if tt.transactErr != nil {
						return nil, tt.transactErr
					}
					return &dynamodb.TransactWriteItemsOutput{}, nil
				},
			}
			got, replayed, err := fakeStore(f).CancelOrder(context.Background(), "t1", "ord_1", "why", tt.idem)
			if replayed != tt.wantReplayed || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("CancelOrder = replayed %v, error %v; want %v, %v", replayed, err, tt.wantReplayed, tt.wantErr)
			}
			checkCalls(t, f, tt.wantCalls)
			if err == nil && !reflect.DeepEqual(got, done) {
				t.Errorf("CancelOrder = %+v, want %+v", got, done)
			}
			if tt.name == "first" {
				upd := f.transacts[0].TransactItems[0].Update
				set := clauses(t, aws.ToString(upd.UpdateExpression), upd.ExpressionAttributeNames)["SET"]
				if !slices.Contains(set, "cancelKey") || !slices.Contains(set, "cancelHash") ||
					!hasString(upd.ExpressionAttributeValues, "k1") || !hasString(upd.ExpressionAttributeValues, idem.RequestHash) {
					t.Errorf("order update SET %v values %v, want cancelKey k1 and cancelHash", set, upd.ExpressionAttributeValues)
				}
			}
		})
	}
}

// TestOrderPastTheBoundIsOneUpdate: an order for a customer holding order.MaxOrderIDs ids is
// still one Update in its transaction, which SETs the list order.Record makes (the oldest id
// dropped, the new one last) on condition that totalOrders is what was read. When another order
// got in first, the condition fails and the store reads the customer again and writes the list
// from that read: no id is lost.
func TestOrderPastTheBoundIsOneUpdate(t *testing.T) {
	ids := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf("ord_%03d", i))
		}
		return out
	}
	before, after := storedCustomer(), storedCustomer()
	before.OrderIDs, before.TotalOrders = ids(0, order.MaxOrderIDs), order.MaxOrderIDs
	after.OrderIDs, after.TotalOrders = ids(1, order.MaxOrderIDs+1), order.MaxOrderIDs+1 // a racer's order
	reads := 0
	f := &fakeClient{
		getItem: func(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
			switch sk := keyValue(in.Key, "SK"); {
			case strings.HasPrefix(sk, "EMAIL#"):
				return &dynamodb.GetItemOutput{Item: map[string]types.AttributeValue{
					"customerId": &types.AttributeValueMemberS{Value: before.CustomerID}}}, nil
			case strings.HasPrefix(sk, "FINGERPRINT#"):
				return &dynamodb.GetItemOutput{}, nil
			case sk == "CUSTOMER#"+before.CustomerID:
				reads++
				if reads == 1 {
					return &dynamodb.GetItemOutput{Item: item(t, before)}, nil
				}
				return &dynamodb.GetItemOutput{Item: item(t, after)}, nil
			}
			return nil, errUnexpected
		},
	}
	f.transact = func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		if len(f.transacts) == 1 {
			return nil, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
				{Code: aws.String("ConditionalCheckFailed"), Item: item(t, after)},
				{Code: aws.String("None")}, {Code: aws.String("None")},
			}}
		}
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	o, _, err := fakeStore(f).CreateOrder(context.Background(), "t1", orderInput(before.Email), order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	// Each attempt: the reservation and the customer, then the transaction; the retry also reads
	// the fingerprint item (natural idempotency's retry read).
	checkCalls(t, f, map[string]int{"GetItem": 5, "TransactWriteItems": 2})
	for i, tt := range []struct {
		read customer.Customer
		want []string
	}{
		{before, ids(1, order.MaxOrderIDs)},
		{after, ids(2, order.MaxOrderIDs+1)},
	} {
		var upd *types.Update
		for _, w := range f.transacts[i].TransactItems {
			if w.Update != nil && keyValue(w.Update.Key, "SK") == "CUSTOMER#"+before.CustomerID {
				upd = w.Update
			}
		}
		if upd == nil {
			t.Fatalf("transaction %d: no customer Update in %+v", i+1, f.transacts[i].TransactItems)
		}
		var list []string
		for _, v := range upd.ExpressionAttributeValues {
			if l, ok := v.(*types.AttributeValueMemberL); ok {
				if err := attributevalue.Unmarshal(l, &list); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Each attempt makes its own order id; the second's is the order made.
		if n := len(list); n != order.MaxOrderIDs || !slices.Equal(list[:n-1], tt.want) || !strings.HasPrefix(list[n-1], "ord_01") ||
			(i == 1 && list[n-1] != o.OrderID) {
			t.Errorf("transaction %d SETs orderIds %v, want %v and the new order", i+1, list, tt.want)
		}
		set := assignments(t, aws.ToString(upd.UpdateExpression), upd.ExpressionAttributeNames, upd.ExpressionAttributeValues)
		if got, want := set["totalOrders"], fmt.Sprint(tt.read.TotalOrders+1); got != want {
			t.Errorf("transaction %d SETs totalOrders %s, want %s", i+1, got, want)
		}
		cond := resolved(aws.ToString(upd.ConditionExpression), upd.ExpressionAttributeNames, upd.ExpressionAttributeValues)
		if want := fmt.Sprintf("(<totalOrders> = %d)", tt.read.TotalOrders); !strings.Contains(cond, want) {
			t.Errorf("transaction %d condition %s, want it to hold %s", i+1, cond, want)
		}
	}
}
