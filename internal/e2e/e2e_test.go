package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/samtemplate"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// The placeholders of the events/ files (events/README.md).
const (
	placeholderKey      = "fpk_test_placeholder"
	placeholderTenant   = "tenant-demo"
	placeholderCustomer = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
	placeholderOrder    = "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"
)

// Keys provisioned besides the placeholder.
const (
	revokedKey     = "fpk_test_revoked"
	otherTenantKey = "fpk_test_other_tenant"
	unknownKey     = "fpk_test_never_stored"
)

// logicalID returns the template's logical id of the function called name.
func logicalID(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Function"
}

// TestFunctions builds every function, runs each under the Runtime Interface Emulator against a
// fresh table, and walks the customer lifecycle through them with the events/ files: order,
// read, list, update (read back from the table), email change, delete refused then allowed,
// cancel, the auth failures, and the $default route. Every DynamoDB request each function makes
// is recorded and must be allowed by that function's policy in template.yaml.
func TestFunctions(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: no DynamoDB emulator (make e2e / make test start moto)")
	}
	rie := rieBinary()
	if rie == "" {
		t.Skip("AWS Lambda Runtime Interface Emulator not found (set AWS_LAMBDA_RIE, or run make rie to install .tools/bin/aws-lambda-rie)")
	}
	ctx := context.Background()

	// The table, and the keys the events use.
	table := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamosetup.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(client, table)
	keys := []struct {
		secret, id, tenant string
		revoke             bool
	}{
		{placeholderKey, "key_e2e_demo", placeholderTenant, false},
		{revokedKey, "key_e2e_revoked", placeholderTenant, true},
		{otherTenantKey, "key_e2e_other", "tenant-other", false},
	}
	for _, k := range keys {
		err := store.PutAPIKey(ctx, auth.Key{ID: k.id, Hash: auth.Hash(k.secret), Tenants: []string{k.tenant},
			Scopes: auth.AllScopes, Status: auth.StatusActive, CreatedAt: customer.Timestamp(time.Now())})
		if err != nil {
			t.Fatalf("PutAPIKey %s: %v", k.id, err)
		}
		if k.revoke {
			if err := store.RevokeAPIKey(ctx, k.id); err != nil {
				t.Fatalf("RevokeAPIKey %s: %v", k.id, err)
			}
		}
	}

	// The cursor keys, in a secret as template.yaml makes it: the list functions read it from their first invocation on.
	secretARN := createCursorSecret(t, ctx, endpoint, `{"current": "1", "1": "`+strings.Repeat("e2e-cursor-secret-", 4)+`"}`)

	// Every function, built and started under its own emulator, talking to the table through a
	// proxy that records its requests.
	bin := t.TempDir()
	buildFunctions(t, bin)
	names := []string{"not-found"}
	pages := map[string]bool{}
	for _, r := range httpapi.Routes {
		names = append(names, r.Name)
		pages[r.Name] = r.Pages
	}
	fns := map[string]*function{}
	for _, name := range names {
		calls := &recorder{}
		env := []string{
			"TABLE_NAME=" + table,
			"DYNAMODB_ENDPOINT=" + recordingProxy(t, endpoint, calls),
			"LOG_LEVEL=INFO",
			"AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=test",
			"AWS_SECRET_ACCESS_KEY=test",
			"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
			"AWS_LAMBDA_FUNCTION_NAME=" + name,
		}
		// As in template.yaml, the route functions use tenant sessions (moto's STS makes them;
		// it does not evaluate their policies: docs/security.md).
		if name != "not-found" {
			env = append(env, "TENANT_ROLE_ARN=arn:aws:iam::123456789012:role/e2e/tenant/TenantDataRole", "AWS_ENDPOINT_URL_STS="+endpoint)
		}
		// As in template.yaml: only the functions that sign paging cursors get the secret, so a
		// function that asked for it without paging would fail to start here.
		if pages[name] {
			env = append(env, "CURSOR_SECRET_ARN="+secretARN, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+endpoint)
		}
		fns[name] = startFunction(t, rie, name, filepath.Join(bin, name), env, calls)
	}

	var custID, orderID string
	ids := func() []string {
		return []string{placeholderCustomer, custID, placeholderOrder, orderID}
	}

	t.Run("create-order", func(t *testing.T) {
		r := fns["create-order"].invoke(t, event(t, "create-order"))
		wantStatus(t, "create-order", r, http.StatusCreated)
		var body struct {
			Success bool        `json:"success"`
			OrderID string      `json:"orderId"`
			Order   order.Order `json:"order"`
		}
		decode(t, "create-order", r, &body)
		if !body.Success || body.OrderID == "" || body.Order.OrderID != body.OrderID || body.Order.Customer.CustomerID == "" {
			t.Fatalf("create-order: body %s, want success with orderId and order.customer.customerId", r.Body)
		}
		custID, orderID = body.Order.Customer.CustomerID, body.OrderID

		// The same Idempotency-Key and body: the first order again, nothing new.
		again := fns["create-order"].invoke(t, event(t, "create-order"))
		wantStatus(t, "create-order replay", again, http.StatusCreated)
		var replay struct {
			OrderID string `json:"orderId"`
		}
		decode(t, "create-order replay", again, &replay)
		if replay.OrderID != orderID {
			t.Errorf("create-order replay: orderId %q, want %q", replay.OrderID, orderID)
		}
	})
	if custID == "" {
		t.Fatal("no order was created; the other functions have nothing to work on")
	}

	t.Run("get-customer", func(t *testing.T) {
		r := fns["get-customer"].invoke(t, event(t, "get-customer", ids()...))
		wantStatus(t, "get-customer", r, http.StatusOK)
		var c customer.Customer
		decode(t, "get-customer", r, &c)
		if c.CustomerID != custID || c.Email != "ada@example.com" || c.TotalOrders != 1 || c.Version != 1 {
			t.Errorf("get-customer: %s, want %s with email ada@example.com, 1 order, version 1", r.Body, custID)
		}
		if got := header(r, "ETag"); got != `"1"` {
			t.Errorf("get-customer: ETag %q, want %q", got, `"1"`)
		}
	})

	t.Run("list-customers", func(t *testing.T) {
		r := fns["list-customers"].invoke(t, event(t, "list-customers"))
		wantStatus(t, "list-customers", r, http.StatusOK)
		var page struct {
			Customers []customer.Customer `json:"customers"`
			Count     int                 `json:"count"`
			HasMore   bool                `json:"hasMore"`
		}
		decode(t, "list-customers", r, &page)
		if page.Count != 1 || len(page.Customers) != 1 || page.Customers[0].CustomerID != custID || page.HasMore {
			t.Errorf("list-customers: %s, want exactly customer %s", r.Body, custID)
		}
	})

	t.Run("update-customer", func(t *testing.T) {
		r := fns["update-customer"].invoke(t, event(t, "update-customer", ids()...))
		wantStatus(t, "update-customer", r, http.StatusOK)
		var body struct {
			Success    bool              `json:"success"`
			CustomerID string            `json:"customerId"`
			Customer   customer.Customer `json:"customer"`
		}
		decode(t, "update-customer", r, &body)
		if !body.Success || body.CustomerID != custID || body.Customer.Version != 2 {
			t.Errorf("update-customer: %s, want success for %s at version 2", r.Body, custID)
		}

		// The effect, read back from the table.
		c, err := store.GetCustomer(ctx, placeholderTenant, custID)
		if err != nil {
			t.Fatalf("GetCustomer after update: %v", err)
		}
		if c.FirstName != "Ada" || c.LastName != "Lovelace" || c.Phone != "" || c.CustomFields["plan"] != "gold" ||
			c.Version != 2 || c.Email != "ada@example.com" {
			t.Errorf("stored after update = %+v, want firstName Ada, lastName kept, phone removed, customFields.plan gold, version 2", c)
		}

		// An email change goes through the transaction path.
		r = fns["update-customer"].invoke(t, withBody(t, event(t, "update-customer", ids()...), `{"email":"ada.lovelace@example.com"}`))
		wantStatus(t, "update-customer email", r, http.StatusOK)
		c, err = store.GetCustomer(ctx, placeholderTenant, custID)
		if err != nil || c.Email != "ada.lovelace@example.com" || c.Version != 3 {
			t.Errorf("stored after email change = %+v, %v, want email ada.lovelace@example.com, version 3", c, err)
		}
	})

	t.Run("auth", func(t *testing.T) {
		// The header lines of the events, which a case may leave out.
		const authLine, tenantLine = `"authorization": "Bearer ` + placeholderKey + `",`, `"tenant-id": "` + placeholderTenant + `",`
		tests := []struct {
			name   string
			fn     string
			key    string // in place of the event's key
			drop   string // a header line of the event left out
			status int
			code   string
		}{
			{"revoked key", "get-customer", revokedKey, "", http.StatusUnauthorized, "INVALID_TOKEN"},
			{"unknown key", "update-customer", unknownKey, "", http.StatusUnauthorized, "INVALID_TOKEN"},
			{"key of another tenant", "update-customer", otherTenantKey, "", http.StatusForbidden, "NO_TENANT_ACCESS"},
			{"key of another tenant", "list-orders", otherTenantKey, "", http.StatusForbidden, "NO_TENANT_ACCESS"},
			{"no Authorization header", "get-customer", placeholderKey, authLine, http.StatusUnauthorized, "AUTH_REQUIRED"},
			{"no Tenant-ID header", "delete-customer", placeholderKey, tenantLine, http.StatusForbidden, "NO_TENANT_ACCESS"},
		}
		for _, tt := range tests {
			t.Run(tt.name+" on "+tt.fn, func(t *testing.T) {
				var replace []string
				if tt.drop != "" {
					replace = append(replace, tt.drop, "")
				}
				replace = append(append(replace, ids()...), placeholderKey, tt.key)
				r := fns[tt.fn].invoke(t, event(t, tt.fn, replace...))
				wantError(t, tt.fn, r, tt.status, tt.code)
			})
		}
		// Nothing changed through the refused update.
		if c, err := store.GetCustomer(ctx, placeholderTenant, custID); err != nil || c.Version != 3 {
			t.Errorf("customer after refused updates: version %d, %v, want 3", c.Version, err)
		}
	})

	t.Run("list-orders", func(t *testing.T) {
		r := fns["list-orders"].invoke(t, event(t, "list-orders", ids()...))
		wantStatus(t, "list-orders", r, http.StatusOK)
		var page struct {
			Orders []order.Order `json:"orders"`
			Count  int           `json:"count"`
		}
		decode(t, "list-orders", r, &page)
		if page.Count != 1 || len(page.Orders) != 1 || page.Orders[0].OrderID != orderID {
			t.Errorf("list-orders: %s, want exactly order %s", r.Body, orderID)
		}
	})

	t.Run("get-order", func(t *testing.T) {
		r := fns["get-order"].invoke(t, event(t, "get-order", ids()...))
		wantStatus(t, "get-order", r, http.StatusOK)
		var o order.Order
		decode(t, "get-order", r, &o)
		// The snapshot keeps the email the order was made with.
		if o.OrderID != orderID || o.Status != order.Pending || o.Customer.Email != "ada@example.com" {
			t.Errorf("get-order: %s, want pending order %s for ada@example.com", r.Body, orderID)
		}
	})

	t.Run("update-order-notes", func(t *testing.T) {
		r := fns["update-order-notes"].invoke(t, event(t, "update-order-notes", ids()...))
		wantStatus(t, "update-order-notes", r, http.StatusOK)
		var body struct {
			Success bool   `json:"success"`
			Message string `json:"message"`
			OrderID string `json:"orderId"`
		}
		decode(t, "update-order-notes", r, &body)
		if !body.Success || body.Message != "Order notes updated" || body.OrderID != orderID {
			t.Errorf("update-order-notes: %s, want success for %s", r.Body, orderID)
		}
		// The effect, read back from the table.
		o, err := store.GetOrder(ctx, placeholderTenant, orderID)
		if err != nil || o.Notes != "Customer requested delivery after 2pm. Contact before arrival." || o.Status != order.Pending {
			t.Errorf("stored after update-order-notes = %+v, %v, want the event's notes on the pending order", o, err)
		}
		r = fns["update-order-notes"].invoke(t, event(t, "update-order-notes", append(ids(), placeholderKey, otherTenantKey)...))
		wantError(t, "update-order-notes with another tenant's key", r, http.StatusForbidden, "NO_TENANT_ACCESS")
		r = fns["update-order-notes"].invoke(t, withBody(t, event(t, "update-order-notes", ids()...), `{"notes":null}`))
		wantError(t, "update-order-notes with null notes", r, http.StatusBadRequest, "VALIDATION_ERROR")
	})

	t.Run("delete-customer with a pending order", func(t *testing.T) {
		r := fns["delete-customer"].invoke(t, event(t, "delete-customer", ids()...))
		wantError(t, "delete-customer", r, http.StatusConflict, "CUSTOMER_HAS_PENDING_ORDERS")
	})

	t.Run("cancel-order", func(t *testing.T) {
		r := fns["cancel-order"].invoke(t, event(t, "cancel-order", ids()...))
		wantStatus(t, "cancel-order", r, http.StatusOK)
		o, err := store.GetOrder(ctx, placeholderTenant, orderID)
		if err != nil || o.Status != order.Cancelled {
			t.Errorf("stored order after cancel = %+v, %v, want status cancelled", o, err)
		}
		r = fns["cancel-order"].invoke(t, event(t, "cancel-order", ids()...))
		wantError(t, "cancel-order again", r, http.StatusBadRequest, "ALREADY_CANCELLED")
	})

	t.Run("delete-customer", func(t *testing.T) {
		r := fns["delete-customer"].invoke(t, event(t, "delete-customer", ids()...))
		wantStatus(t, "delete-customer", r, http.StatusOK)
		c, err := store.GetCustomer(ctx, placeholderTenant, custID)
		if err != nil || c.Status != customer.Inactive {
			t.Errorf("stored after delete = %+v, %v, want status inactive", c, err)
		}
	})

	t.Run("export-customer", func(t *testing.T) {
		r := fns["export-customer"].invoke(t, event(t, "export-customer", ids()...))
		wantStatus(t, "export-customer", r, http.StatusOK)
		var body struct {
			Customer   customer.Customer `json:"customer"`
			Orders     []order.Order     `json:"orders"`
			ExportedAt string            `json:"exportedAt"`
			HasMore    bool              `json:"hasMore"`
		}
		decode(t, "export-customer", r, &body)
		if body.Customer.CustomerID != custID || len(body.Orders) != 1 || body.Orders[0].OrderID != orderID || body.ExportedAt == "" || body.HasMore {
			t.Errorf("export-customer: %s, want the customer and its one order", r.Body)
		}
	})

	t.Run("erase-customer", func(t *testing.T) {
		for range 2 { // again: 200 as well
			r := fns["erase-customer"].invoke(t, event(t, "erase-customer", ids()...))
			wantStatus(t, "erase-customer", r, http.StatusOK)
		}
		c, err := store.GetCustomer(ctx, placeholderTenant, custID)
		if err != nil || c.ErasedAt == "" || c.Email != customer.ErasedEmail(custID) {
			t.Errorf("stored after erase = %+v, %v, want erased", c, err)
		}
		o, err := store.GetOrder(ctx, placeholderTenant, orderID)
		if err != nil || !order.Erased(o) || o.Notes != "" {
			t.Errorf("stored order after erase = %+v, %v, want erased", o, err)
		}
		r := fns["update-customer"].invoke(t, event(t, "update-customer", ids()...))
		wantError(t, "update-customer of an erased customer", r, http.StatusConflict, "CUSTOMER_ERASED")
	})

	t.Run("not-found", func(t *testing.T) {
		r := fns["not-found"].invoke(t, event(t, "not-found"))
		wantError(t, "not-found", r, http.StatusNotFound, "NOT_FOUND")
		r = fns["not-found"].invoke(t, withRequest(t, event(t, "not-found"), "PATCH", "/v1/customers/"+custID))
		wantError(t, "not-found PATCH customer", r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		if allow := header(r, "Allow"); !strings.Contains(allow, "PUT") {
			t.Errorf("not-found PATCH customer: Allow %q, want PUT among the methods", allow)
		}
	})

	t.Run("least privilege", func(t *testing.T) {
		tmpl, err := samtemplate.Read(filepath.Join(root, "template.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			id := logicalID(name)
			allowed := tmpl.Allowed(id)
			used := fns[name].calls.list()
			slices.Sort(used)
			for _, u := range used {
				action, res, _ := strings.Cut(u, "@")
				if !slices.Contains(allowed[res], action) {
					t.Errorf("%s called %s on %s, which its policy in template.yaml does not allow (allowed: %v)", id, action, res, allowed)
				}
			}
			t.Logf("%s used %v", id, used)
		}
	})
}

// createCursorSecret stores value as a new secret on the emulator at endpoint (moto serves
// Secrets Manager beside DynamoDB) and returns its ARN.
func createCursorSecret(t *testing.T, ctx context.Context, endpoint, value string) string {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(endpoint) })
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(fmt.Sprintf("e2e-cursor-%d", time.Now().UnixNano())), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("create the cursor secret on %s: %v", endpoint, err)
	}
	return aws.ToString(out.ARN)
}
