package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

// memKeys is an in-memory keyStore.
type memKeys struct{ keys []auth.Key }

func (m *memKeys) PutAPIKey(_ context.Context, k auth.Key) error {
	m.keys = append(m.keys, k)
	return nil
}

func (m *memKeys) RevokeAPIKey(_ context.Context, id string) error {
	for i := range m.keys {
		if m.keys[i].ID == id {
			m.keys[i].Status = auth.StatusRevoked
			return nil
		}
	}
	return fmt.Errorf("mem: revoke %s: %w", id, auth.ErrKeyNotFound)
}

func (m *memKeys) ListAPIKeys(_ context.Context, tenant string) ([]auth.Key, error) {
	var out []auth.Key
	for _, k := range m.keys {
		if slices.Contains(k.Tenants, tenant) {
			out = append(out, k)
		}
	}
	return out, nil
}

// cli runs the admin command line args against open and returns its outputs.
func cli(t *testing.T, open connector, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] }, open)
	return out.String(), errOut.String(), err
}

func memConnector(m *memKeys, tables *[]string) connector {
	return func(_ context.Context, endpoint, table string) (backend, error) {
		return backend{
			createTable: func(context.Context) error { *tables = append(*tables, endpoint+"|"+table); return nil },
			keys:        m,
			emails:      fakeMigration{},
			indexes:     &fakeBackfill{},
		}, nil
	}
}

// fakeMigration reports one move and one collision.
type fakeMigration struct{}

func (fakeMigration) MigrateEmailKeys(context.Context) (customer.EmailKeyReport, error) {
	return customer.EmailKeyReport{Customers: 3, Moved: 1, Collisions: []customer.EmailKeyCollision{
		{Tenant: "t1", Key: "strasse@example.com", CustomerIDs: []string{"cust_A", "cust_B"}},
	}}, nil
}

func TestMigrateEmailKeysReport(t *testing.T) {
	var tables []string
	out, errOut, err := cli(t, memConnector(&memKeys{}, &tables), map[string]string{"TABLE_NAME": "x"}, "migrate-email-keys")
	if err != nil {
		t.Fatalf("migrate-email-keys: %v", err)
	}
	want := "customers 3, moved 1, already right 0, changed meanwhile 0, collisions 1\n" +
		"collision\ttenant t1\tkey \"strasse@example.com\"\tcustomers cust_A,cust_B\n"
	if out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if !strings.Contains(errOut, "never merged") {
		t.Errorf("stderr = %q, want a note on what to do about collisions", errOut)
	}
}

// TestMigrateEmailKeysData runs migrate-email-keys on an embedded store's file.
func TestMigrateEmailKeysData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	s, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ann@bücher.de", "bob@example.com"} {
		if _, _, err := s.CreateOrder(t.Context(), "t1", orderFor(email), order.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, _, err := cli(t, nil, nil, "migrate-email-keys", "-data", path)
		if want := "customers 2, moved 0, already right 2, changed meanwhile 0, collisions 0\n"; err != nil || out != want {
			t.Errorf("migrate-email-keys -data = %q, %v; want %q", out, err, want)
		}
	}
}

// orderFor is a valid order of a new customer with email.
func orderFor(email string) order.Input {
	return order.Input{
		Customer:       order.NewCustomer{Email: email, FirstName: "Ann", LastName: "Lee", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Ann", StreetAddress: "1 Main St", City: "Bonn", Country: "DE"},
		Items:          []order.Item{{SKU: "A", Quantity: 1, ContractLength: 12}},
		OrderType:      order.Standard,
		CustomFields:   map[string]any{},
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	m := &memKeys{}
	var tables []string
	open := memConnector(m, &tables)
	env := map[string]string{"TABLE_NAME": "customers", "DYNAMODB_ENDPOINT": "http://127.0.0.1:1"}

	if _, _, err := cli(t, open, env, "create-table"); err != nil {
		t.Fatalf("create-table: %v", err)
	}
	if want := []string{"http://127.0.0.1:1|customers"}; !slices.Equal(tables, want) {
		t.Errorf("tables created = %v, want %v", tables, want)
	}

	out, _, err := cli(t, open, env, "apikey", "create", "--tenant", "t1", "--tenant", "t2",
		"--scopes", "orders:read,customers:read", "--name", "crm sync")
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	secret := strings.TrimSpace(out)
	if !strings.HasPrefix(secret, "fpk_") || len(secret) != 4+43 {
		t.Fatalf("apikey create printed %q, want fpk_ and 43 characters", secret)
	}
	if len(m.keys) != 1 {
		t.Fatalf("%d keys stored, want 1", len(m.keys))
	}
	k := m.keys[0]
	want := auth.Key{ID: k.ID, Hash: auth.Hash(secret), Name: "crm sync", Tenants: []string{"t1", "t2"},
		Scopes: []auth.Scope{auth.CustomersRead, auth.OrdersRead}, Status: auth.StatusActive, CreatedAt: k.CreatedAt}
	if fmt.Sprint(k) != fmt.Sprint(want) {
		t.Errorf("stored key = %+v, want %+v", k, want)
	}
	if !strings.HasPrefix(k.ID, "key_") {
		t.Errorf("key id = %q, want key_ prefix", k.ID)
	}
	if _, err := time.Parse(time.RFC3339, k.CreatedAt); err != nil {
		t.Errorf("createdAt %q: %v", k.CreatedAt, err)
	}

	list, _, err := cli(t, open, env, "apikey", "list", "--tenant", "t2")
	if err != nil {
		t.Fatalf("apikey list: %v", err)
	}
	if !strings.Contains(list, k.ID) || !strings.Contains(list, "active") {
		t.Errorf("apikey list = %q, want the key id and status", list)
	}
	if strings.Contains(list, secret) || strings.Contains(list, k.Hash) {
		t.Errorf("apikey list = %q shows the key or its hash", list)
	}

	if _, _, err := cli(t, open, env, "apikey", "revoke", k.ID); err != nil {
		t.Fatalf("apikey revoke: %v", err)
	}
	if m.keys[0].Status != auth.StatusRevoked {
		t.Errorf("status after revoke = %q, want %q", m.keys[0].Status, auth.StatusRevoked)
	}
	if _, _, err := cli(t, open, env, "apikey", "revoke", "key_missing"); err == nil || !strings.Contains(err.Error(), "no API key key_missing") {
		t.Errorf("apikey revoke key_missing = %v, want no API key", err)
	}
}

func TestAPIKeyCreateSecretsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := newSecret()
		if seen[s] {
			t.Fatalf("newSecret repeated %q", s)
		}
		seen[s] = true
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no command", nil, nil, "no command"},
		{"unknown command", nil, []string{"apikey", "rotate"}, "unknown command"},
		{"no table", nil, []string{"create-table"}, "no table"},
		{"no tenant", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "create", "--scopes", "all"}, "--tenant"},
		{"no scopes", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "create", "--tenant", "t"}, "no scope"},
		{"bad tenant", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "create", "--tenant", "a#CUSTOMER#b", "--scopes", "all"}, `tenant "a#CUSTOMER#b"`},
		{"blank tenant", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "create", "--tenant", " ", "--scopes", "all"}, `tenant ""`},
		{"bad scope", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "create", "--tenant", "t", "--scopes", "admin"}, `unknown scope "admin"`},
		{"revoke without id", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "revoke"}, "one KEY-ID"},
		{"list without tenant", map[string]string{"TABLE_NAME": "x"}, []string{"apikey", "list"}, "--tenant"},
		{"flag after command", nil, []string{"create-table", "-table"}, "flag needs an argument"},
		{"migrate without table or data", nil, []string{"migrate-email-keys"}, "no table"},
		{"migrate with an argument", map[string]string{"TABLE_NAME": "x"}, []string{"migrate-email-keys", "now"}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tables []string
			_, _, err := cli(t, memConnector(&memKeys{}, &tables), tt.env, tt.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want a usage error containing %q", tt.args, err, tt.want)
			}
			if len(tables) > 0 {
				t.Errorf("run(%q) created a table", tt.args)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in   string
		want []auth.Scope
	}{
		{"all", []auth.Scope{auth.CustomersRead, auth.CustomersWrite, auth.OrdersRead, auth.OrdersWrite}},
		{" orders:write , customers:read,orders:write", []auth.Scope{auth.CustomersRead, auth.OrdersWrite}},
	}
	for _, tt := range tests {
		got, err := parseScopes(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseScopes(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestAgainstDynamoDB runs the commands against a DynamoDB emulator (moto), end to end.
func TestAgainstDynamoDB(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: no DynamoDB emulator to run against (make test starts moto)")
	}
	ctx := context.Background()
	table := fmt.Sprintf("admin-test-%d", time.Now().UnixNano())
	env := map[string]string{"TABLE_NAME": table, "DYNAMODB_ENDPOINT": endpoint}

	if _, _, err := cli(t, connect, env, "create-table"); err != nil {
		t.Fatalf("create-table: %v", err)
	}
	// Creating it again is fine.
	if _, _, err := cli(t, connect, env, "-table", table, "create-table"); err != nil {
		t.Fatalf("create-table again: %v", err)
	}
	out, _, err := cli(t, connect, env, "apikey", "create", "--tenant", "acme", "--scopes", "all")
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	secret := strings.TrimSpace(out)

	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(client, table)
	k, err := store.APIKey(ctx, auth.Hash(secret))
	if err != nil {
		t.Fatalf("APIKey(hash of the printed key): %v", err)
	}
	if !k.Granted("acme", auth.OrdersWrite) || k.Granted("other", auth.OrdersWrite) {
		t.Errorf("stored key %+v: want granted acme only", k)
	}

	list, _, err := cli(t, connect, env, "apikey", "list", "--tenant", "acme")
	if err != nil {
		t.Fatalf("apikey list: %v", err)
	}
	if !strings.Contains(list, k.ID) || strings.Contains(list, secret) || strings.Contains(list, k.Hash) {
		t.Errorf("apikey list = %q, want key id %s and neither key nor hash", list, k.ID)
	}
	if _, _, err := cli(t, connect, env, "apikey", "revoke", k.ID); err != nil {
		t.Fatalf("apikey revoke: %v", err)
	}
	if k, err := store.APIKey(ctx, auth.Hash(secret)); err != nil || k.Status != auth.StatusRevoked {
		t.Errorf("after revoke: APIKey = %+v, %v, want status revoked", k, err)
	}

	// A customer whose reservation an earlier version made under the lower-cased email.
	o, _, err := store.CreateOrder(ctx, "acme", orderFor("ann@bücher.de"), order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	reservation := func(key string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			dynamo.AttrPK: &types.AttributeValueMemberS{Value: "TENANT#acme"},
			dynamo.AttrSK: &types.AttributeValueMemberS{Value: "EMAIL#" + key},
		}
	}
	if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: reservation("ann@xn--bcher-kva.de")}); err != nil {
		t.Fatal(err)
	}
	old := reservation("ann@bücher.de")
	old["customerId"] = &types.AttributeValueMemberS{Value: o.Customer.CustomerID}
	old["email"] = &types.AttributeValueMemberS{Value: "ann@bücher.de"}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: old}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"customers 1, moved 1, already right 0, changed meanwhile 0, collisions 0\n",
		"customers 1, moved 0, already right 1, changed meanwhile 0, collisions 0\n",
	} {
		if out, _, err := cli(t, connect, env, "migrate-email-keys"); err != nil || out != want {
			t.Errorf("migrate-email-keys = %q, %v; want %q", out, err, want)
		}
	}
	again, _, err := store.CreateOrder(ctx, "acme", orderFor("ANN@xn--bcher-kva.de"), order.Idempotency{})
	if err != nil || again.Customer.CustomerID != o.Customer.CustomerID {
		t.Errorf("order after the migration went to %s (%v), want %s", again.Customer.CustomerID, err, o.Customer.CustomerID)
	}
}

// fakeBackfill reports progress twice, and then what is in rep (writes, unless a dry run).
type fakeBackfill struct{ opts dynamo.BackfillOptions }

func (f *fakeBackfill) BackfillIndexes(_ context.Context, opts dynamo.BackfillOptions) (dynamo.BackfillReport, error) {
	f.opts = opts
	rep := dynamo.BackfillReport{Read: 40,
		Customers: dynamo.BackfillCounts{Scanned: 10, Updated: 7, Current: 3, Retried: 1},
		Orders:    dynamo.BackfillCounts{Scanned: 20, Current: 19, Skipped: 1},
	}
	opts.Progress(dynamo.BackfillReport{Read: 15, Customers: dynamo.BackfillCounts{Scanned: 10}})
	opts.Progress(dynamo.BackfillReport{Read: 30, Customers: dynamo.BackfillCounts{Scanned: 10}, Orders: dynamo.BackfillCounts{Scanned: 10}})
	return rep, nil
}

func TestBackfillIndexesReport(t *testing.T) {
	fake := &fakeBackfill{}
	open := func(context.Context, string, string) (backend, error) { return backend{indexes: fake}, nil }
	env := map[string]string{"TABLE_NAME": "x"}
	for _, dry := range []bool{false, true} {
		args := []string{"backfill-indexes", "-segments", "8", "-progress", "10"}
		verb := "updated"
		if dry {
			args, verb = append(args, "-dry-run"), "to update"
		}
		out, errOut, err := cli(t, open, env, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		want := "customers: scanned 10, " + verb + " 7, already current 3, changed meanwhile 1, deleted meanwhile 0, still changing 0, invalid 0\n" +
			"orders: scanned 20, " + verb + " 0, already current 19, changed meanwhile 0, deleted meanwhile 0, still changing 1, invalid 0\n" +
			"table items read 40\n"
		if dry {
			want += "dry run: nothing written; 7 items need their index keys\n"
		}
		if out != want {
			t.Errorf("%v: stdout = %q, want %q", args, out, want)
		}
		if fake.opts.DryRun != dry || fake.opts.Segments != 8 || fake.opts.ProgressEvery != 10 {
			t.Errorf("%v: options %+v", args, fake.opts)
		}
		if n := strings.Count(errOut, "items read"); n != 2 || !strings.Contains(errOut, "customers 10, orders 10") {
			t.Errorf("%v: stderr = %q, want two progress lines", args, errOut)
		}
		if !strings.Contains(errOut, "run it again") {
			t.Errorf("%v: stderr = %q, want a note to rerun for the item still changing", args, errOut)
		}
	}
	for _, bad := range [][]string{
		{"backfill-indexes", "extra"},
		{"backfill-indexes", "-segments", "0"},
		{"backfill-indexes", "-progress", "0"},
		{"backfill-indexes", "-dry-run=maybe"},
	} {
		if _, _, err := cli(t, open, env, bad...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", bad, err)
		}
	}
	if _, _, err := cli(t, open, nil, "backfill-indexes"); !errors.Is(err, errUsage) {
		t.Errorf("backfill-indexes without a table: err = %v, want a usage error", err)
	}
}

// TestBackfillIndexesAgainstDynamoDB strips the index keys of a customer and its orders, as the
// version before the indexes wrote them, and runs backfill-indexes against moto: a dry run, the
// run, and a rerun that writes nothing.
func TestBackfillIndexesAgainstDynamoDB(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: no DynamoDB emulator to run against (scripts/with-moto.sh starts moto)")
	}
	ctx := t.Context()
	table := fmt.Sprintf("admin-backfill-%d", time.Now().UnixNano())
	env := map[string]string{"TABLE_NAME": table, "DYNAMODB_ENDPOINT": endpoint}
	if _, _, err := cli(t, connect, env, "create-table"); err != nil {
		t.Fatalf("create-table: %v", err)
	}
	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamosetup.DeleteTable(context.Background(), client, table) })
	store := dynamo.New(client, table)
	o, _, err := store.CreateOrder(ctx, "acme", orderFor("ann@example.com"), order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	strip := func(sk string, attrs ...string) {
		t.Helper()
		names := map[string]string{}
		var paths []string
		for i, a := range attrs {
			names[fmt.Sprintf("#a%d", i)] = a
			paths = append(paths, fmt.Sprintf("#a%d", i))
		}
		_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: "TENANT#acme"},
				dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk},
			},
			UpdateExpression:         aws.String("REMOVE " + strings.Join(paths, ", ")),
			ExpressionAttributeNames: names,
		})
		if err != nil {
			t.Fatalf("strip %s: %v", sk, err)
		}
	}
	strip("CUSTOMER#"+o.Customer.CustomerID, dynamo.AttrTPK, dynamo.AttrRPK, dynamo.AttrSSK, dynamo.AttrLSK1, dynamo.AttrLSK1+"At")
	strip("ORDER#"+o.OrderID, dynamo.AttrGSI2PK, dynamo.AttrGSI2SK, dynamo.AttrLSK1, dynamo.AttrLSK2)
	byType := customer.ListQuery{Type: customer.Individual}
	if p, err := store.ListCustomers(ctx, "acme", byType); err != nil || len(p.Customers) != 0 {
		t.Fatalf("customers of type individual after the strip = %v, %v; want none", p.Customers, err)
	}

	for _, run := range []struct {
		args []string
		want string
	}{
		{[]string{"backfill-indexes", "-dry-run"}, "customers: scanned 1, to update 1, already current 0, changed meanwhile 0, deleted meanwhile 0, still changing 0, invalid 0\n" +
			"orders: scanned 1, to update 1, already current 0, changed meanwhile 0, deleted meanwhile 0, still changing 0, invalid 0\n" +
			"dry run: nothing written; 2 items need their index keys\n"},
		{[]string{"backfill-indexes", "-progress", "1"}, "customers: scanned 1, updated 1, already current 0, changed meanwhile 0, deleted meanwhile 0, still changing 0, invalid 0\n" +
			"orders: scanned 1, updated 1, already current 0, changed meanwhile 0, deleted meanwhile 0, still changing 0, invalid 0\n"},
		{[]string{"backfill-indexes"}, "customers: scanned 1, updated 0, already current 1, changed meanwhile 0, deleted meanwhile 0, still changing 0, invalid 0\n" +
			"orders: scanned 1, updated 0, already current 1, changed meanwhile 0, deleted meanwhile 0, still changing 0, invalid 0\n" +
			"nothing to write: every customer and order carries the index keys this version derives\n"},
	} {
		out, errOut, err := cli(t, connect, env, run.args...)
		if err != nil {
			t.Fatalf("%v: %v", run.args, err)
		}
		// The items read count every item of the table (the email reservation too).
		var kept []string
		for line := range strings.SplitAfterSeq(out, "\n") {
			if !strings.HasPrefix(line, "table items read ") {
				kept = append(kept, line)
			}
		}
		if got := strings.Join(kept, ""); got != run.want {
			t.Errorf("%v: stdout = %q, want %q", run.args, got, run.want)
		}
		if slices.Contains(run.args, "-progress") && strings.Count(errOut, "items read") != 2 {
			t.Errorf("%v: stderr = %q, want a progress line per item", run.args, errOut)
		}
	}
	p, err := store.ListCustomers(ctx, "acme", byType)
	if err != nil || len(p.Customers) != 1 || p.Customers[0].CustomerID != o.Customer.CustomerID {
		t.Errorf("customers of type individual after the backfill = %v, %v; want %s", p.Customers, err, o.Customer.CustomerID)
	}
	op, err := store.ListOrders(ctx, "acme", order.ListQuery{Status: order.Pending, SortBy: order.ByUpdatedAt})
	if err != nil || len(op.Orders) != 1 || op.Orders[0].OrderID != o.OrderID {
		t.Errorf("pending orders by updatedAt after the backfill = %v, %v; want %s", op.Orders, err, o.OrderID)
	}
}
