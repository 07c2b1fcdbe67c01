package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// send sends method to url with the demo key and tenant and a JSON body, and decodes the answer.
func send(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	r, _ := http.NewRequest(method, url, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+key)
	r.Header.Set("Tenant-ID", "demo")
	r.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, url, b, err)
	}
	return res.StatusCode, out
}

// TestSubscriptionEvents is the README's worked example: an order, its subscription.created fed
// to /local/subscription-events, the customer renting and DELETE refused, the subscription.ended,
// and DELETE answering 200.
func TestSubscriptionEvents(t *testing.T) {
	url, _ := start(t, "-data", filepath.Join(t.TempDir(), "r.db"))
	status, created := send(t, "POST", url+"/v1/orders", LocalDemoKey, `{"customer":{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"},
		"billingAddress":{"contactName":"Ada Lovelace","streetAddress":"1 Main St","city":"London","country":"GB"},
		"items":[{"sku":"MBP-14","quantity":1}]}`)
	if status != 201 {
		t.Fatalf("POST /v1/orders = %d %v", status, created)
	}
	orderID := created["orderId"].(string)
	cid := created["order"].(map[string]any)["customer"].(map[string]any)["customerId"].(string)
	event := func(id, name, data string) string {
		return fmt.Sprintf(`{"id":%q,"event":%q,"timestamp":"2026-12-01T10:00:00.000Z","tenantId":"demo","data":%s}`, id, name, data)
	}
	createdEv := event("evt_1", "subscription.created", fmt.Sprintf(`{"subscriptionId":"sub_1","customerId":%q,"orderId":%q,"sku":"MBP-14","monthlyAmount":49.99}`, cid, orderID))
	status, out := send(t, "POST", url+pathSubscriptionEvents, LocalDemoKey, "["+createdEv+","+createdEv+"]")
	if status != 200 || fmt.Sprint(out["events"]) != "[map[event:subscription.created id:evt_1 outcome:applied] map[event:subscription.created id:evt_1 outcome:repeat]]" {
		t.Fatalf("POST %s = %d %v", pathSubscriptionEvents, status, out)
	}
	_, c := send(t, "GET", url+"/v1/customers/"+cid, LocalDemoKey, "")
	if c["totalDevicesRented"] != 1.0 || c["totalMonthlyRevenue"] != 49.99 {
		t.Errorf("customer after subscription.created = %v", c)
	}
	_, o := send(t, "GET", url+"/v1/orders/"+orderID, LocalDemoKey, "")
	if o["status"] != "fulfilled" {
		t.Errorf("order status = %v, want fulfilled", o["status"])
	}
	if status, out := send(t, "DELETE", url+"/v1/customers/"+cid, LocalDemoKey, ""); status != 409 ||
		out["error"].(map[string]any)["code"] != "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS" {
		t.Errorf("DELETE while renting = %d %v, want 409 CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", status, out)
	}
	ended := event("evt_2", "subscription.ended", fmt.Sprintf(`{"subscriptionId":"sub_1","customerId":%q}`, cid))
	if status, out := send(t, "POST", url+pathSubscriptionEvents, LocalDemoKey, ended); status != 200 {
		t.Fatalf("POST ended = %d %v", status, out)
	}
	if status, out := send(t, "DELETE", url+"/v1/customers/"+cid, LocalDemoKey, ""); status != 200 {
		t.Errorf("DELETE after subscription.ended = %d %v, want 200", status, out)
	}

	for _, tt := range []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", ended, 401, "AUTH_REQUIRED"},
		{"wrong key", "nope", ended, 401, "INVALID_TOKEN"},
		{"not JSON", LocalDemoKey, "{", 400, "INVALID_REQUEST"},
		{"invalid", LocalDemoKey, event("e", "subscription.paused", "{}"), 400, "VALIDATION_ERROR"},
		{"another tenant", LocalDemoKey, strings.Replace(ended, `"demo"`, `"acme"`, 1), 403, "NO_TENANT_ACCESS"},
		{"unknown customer", LocalDemoKey, strings.Replace(ended, cid, "cust_01JD5X9K3M4N5P6Q7R8S9T0V1Z", 1), 404, "NOT_FOUND"},
	} {
		status, out := send(t, "POST", url+pathSubscriptionEvents, tt.key, tt.body)
		if code, _ := out["error"].(map[string]any)["code"].(string); status != tt.status || code != tt.code {
			t.Errorf("%s: POST %s = %d %v, want %d %s", tt.name, pathSubscriptionEvents, status, out, tt.status, tt.code)
		}
	}
}
