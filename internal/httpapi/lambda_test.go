package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// TestLambdaEvents feeds each function's sample event (events/*.json, placeholders replaced)
// through aws-lambda-go-api-proxy to the route's own handler, as the Lambda functions serve them.
func TestLambdaEvents(t *testing.T) {
	e := newEnv(t)
	const placeholderKey = "fpk_test_placeholder"
	if err := e.store.PutAPIKey(context.Background(), auth.Key{ID: "events", Hash: auth.Hash(placeholderKey),
		Tenants: []string{"tenant-demo"}, Scopes: auth.AllScopes, Status: auth.StatusActive}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(e.store, httpapi.Options{Logger: slog.New(slog.DiscardHandler), CursorKey: []byte(strings.Repeat("k", 32))})

	load := func(name string) events.APIGatewayV2HTTPRequest {
		t.Helper()
		b, err := os.ReadFile("../../events/" + name + ".json")
		if err != nil {
			t.Skipf("sample events absent: %v", err)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s.json: %v", name, err)
		}
		return ev
	}
	invoke := func(h httpapi.Route, ev events.APIGatewayV2HTTPRequest, ids *strings.Replacer) events.APIGatewayV2HTTPResponse {
		t.Helper()
		b, _ := json.Marshal(ev)
		if err := json.Unmarshal([]byte(ids.Replace(string(b))), &ev); err != nil {
			t.Fatal(err)
		}
		handler, err := api.RouteHandler(h.Name)
		if err != nil {
			t.Fatal(err)
		}
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-" + h.Name})
		res, err := httpadapter.NewV2(handler).ProxyWithContext(ctx, ev)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		if res.Headers["Content-Type"] != "application/json" || res.Headers["X-Request-Id"] != "req-"+h.Name {
			t.Errorf("%s: headers %v, want application/json and X-Request-Id req-%s", h.Name, res.Headers, h.Name)
		}
		return res
	}

	// create-order first: its order and customer replace the id placeholders of the others.
	routes := map[string]httpapi.Route{}
	for _, rt := range httpapi.Routes {
		routes[rt.Name] = rt
	}
	none := strings.NewReplacer()
	created := invoke(routes["create-order"], load("create-order"), none)
	if created.StatusCode != 201 {
		t.Fatalf("create-order: %d %s", created.StatusCode, created.Body)
	}
	var body struct {
		OrderID string `json:"orderId"`
		Order   struct {
			Customer struct {
				CustomerID string `json:"customerId"`
			} `json:"customer"`
		} `json:"order"`
	}
	if err := json.Unmarshal([]byte(created.Body), &body); err != nil {
		t.Fatal(err)
	}
	ids := strings.NewReplacer("cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", body.Order.Customer.CustomerID,
		"ord_01JD5XA2B3C4D5E6F7G8H9J0KM", body.OrderID)

	tests := []struct {
		name       string
		wantStatus int
	}{
		{"get-customer", 200},
		{"update-customer", 200},
		{"list-customers", 200},
		{"get-order", 200},
		{"list-orders", 200},
		{"update-order-notes", 200},
		{"cancel-order", 200},
		{"export-customer", 200},
		{"delete-customer", 200}, // after the cancel: no pending order left
		{"erase-customer", 200},
	}
	if len(tests) != len(httpapi.Routes)-1 {
		t.Errorf("%d routes here besides create-order, %d in the table: every route's events file needs a line", len(tests), len(httpapi.Routes)-1)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(routes[tt.name], load(tt.name), ids)
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d (body %s)", res.StatusCode, tt.wantStatus, res.Body)
			}
		})
	}

	t.Run("not-found", func(t *testing.T) {
		res, err := httpadapter.NewV2(httpapi.NotFound()).ProxyWithContext(context.Background(), load("not-found"))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 404 || !strings.Contains(res.Body, `"NOT_FOUND"`) {
			t.Errorf("not-found: %d %s, want 404 NOT_FOUND", res.StatusCode, res.Body)
		}
	})
}
