package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// example is one request of internal/compat's examples: FlexPortal's documentation, as data.
type example struct {
	Name         string            `json:"name"`
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Query        map[string]string `json:"query"`
	Headers      map[string]string `json:"headers"`
	Body         json.RawMessage   `json:"body"`
	ExpectStatus int               `json:"expectStatus"`
}

// TestFlexPortalOrderExamples sends every order request FlexPortal's pages show, on the state
// each implies (a pending order to read, cancel or annotate), and expects FlexPortal's status;
// the harness checks every success body against FlexPortal's schema of it.
func TestFlexPortalOrderExamples(t *testing.T) {
	files, err := filepath.Glob("../compat/testdata/examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("examples: %v, %d files", err, len(files))
	}
	ran := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ex example
		if err := json.Unmarshal(raw, &ex); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		switch {
		case strings.HasPrefix(ex.Name, "create-order"), strings.HasPrefix(ex.Name, "cancel-order"),
			strings.HasPrefix(ex.Name, "get-order"), ex.Name == "update-order-notes":
		default:
			continue // lists and customers: not this test's
		}
		ran++
		t.Run(ex.Name, func(t *testing.T) {
			e := newEnv(t)
			oid, _ := e.order(keyT1, "t1", "example@example.com")
			r := req{method: ex.Method, path: strings.ReplaceAll(ex.Path, "{orderId}", oid), header: http.Header{}}
			if len(ex.Body) > 0 && string(ex.Body) != "null" {
				r.body = string(ex.Body)
			}
			for k, v := range ex.Headers {
				r.header.Set(k, v)
			}
			got := e.do(r)
			got.expect(t, ex.ExpectStatus, "")
			if ex.Name == "update-order-notes" {
				var body struct{ Notes string }
				_ = json.Unmarshal(ex.Body, &body)
				if o := e.do(req{method: "GET", path: "/v1/orders/" + oid}); o.str("notes") != body.Notes {
					t.Errorf("notes after the example = %q, want %q", o.str("notes"), body.Notes)
				}
			}
		})
	}
	if ran < 6 {
		t.Errorf("ran %d order examples, want every one of internal/compat (at least 6)", ran)
	}
}

// TestCreateOrderBody: the body rules of POST /v1/orders that FlexPortal clients rely on, and
// what the order shows of them.
func TestCreateOrderBody(t *testing.T) {
	e := newEnv(t)
	const (
		cust = `"customer":{"email":"body@example.com","firstName":"Ann","lastName":"Lee","company":"","phone":null}`
		bill = `"billingAddress":{"contactName":"Ann Lee","streetAddress":"1 Main St","city":"Leeds","country":"GB","postalCode":"","geo":{"lat":1}}`
	)
	billing := map[string]any{"contactName": "Ann Lee", "streetAddress": "1 Main St", "city": "Leeds", "country": "GB"}
	got := e.do(req{method: "POST", path: "/v1/orders", body: `{` + cust + `,` + bill + `,` +
		`"items":[{"sku":"A","quantity":2.0},{"sku":"B","quantity":1,"contractLength":2.4e1,"unitPrice":9.5}],` +
		`"notes":"Line 1\r\n\tLine 2","orderType":"","source":"shop"}`})
	got.expect(t, http.StatusCreated, "")
	o := got.body["order"].(map[string]any)
	wantItems := []any{
		map[string]any{"sku": "A", "quantity": 2.0, "contractLength": 12.0, "rentalIds": []any{}, "rentalStatus": "pending"},
		map[string]any{"sku": "B", "quantity": 1.0, "contractLength": 24.0, "rentalIds": []any{}, "rentalStatus": "pending"},
	}
	if !reflect.DeepEqual(o["items"], wantItems) {
		t.Errorf("items = %v, want %v", o["items"], wantItems)
	}
	if !reflect.DeepEqual(o["shippingAddress"], billing) || !reflect.DeepEqual(o["billingAddress"], billing) {
		t.Errorf("addresses = %v / %v, want the billing address %v for both", o["billingAddress"], o["shippingAddress"], billing)
	}
	if want := map[string]any{"totalDevices": 3.0, "rentedDevices": 0.0}; !reflect.DeepEqual(o["rentalProgress"], want) {
		t.Errorf("rentalProgress = %v, want %v", o["rentalProgress"], want)
	}
	if o["notes"] != "Line 1\r\n\tLine 2" || o["orderType"] != "standard" || o["createdBy"] != "apikey:k1" || !reflect.DeepEqual(o["rentalIds"], []any{}) {
		t.Errorf("order = %v, want the notes as sent, orderType standard, createdBy apikey:k1, rentalIds []", o)
	}
	snap := o["customer"].(map[string]any)
	if _, ok := snap["company"]; ok {
		t.Errorf("customer snapshot = %v, want no company (\"\" is absent)", snap)
	}
	if _, ok := o["extensionDetails"]; ok {
		t.Errorf("standard order has extensionDetails: %v", o)
	}

	ext := e.do(req{method: "POST", path: "/v1/orders", body: `{` + cust + `,` + bill + `,"items":[{"sku":"C","quantity":1}],"orderType":"extension",` +
		`"extensionDetails":{"originalOrderId":"ord_01JD5XA2B3C4D5E6F7G8H9J0KM","extensionMonths":6,"previousEndDate":"2026-01-31","newEndDate":"2026-07-31","reason":""}}`})
	ext.expect(t, http.StatusCreated, "")
	wantExt := map[string]any{"originalOrderId": "ord_01JD5XA2B3C4D5E6F7G8H9J0KM", "extensionMonths": 6.0, "previousEndDate": "2026-01-31", "newEndDate": "2026-07-31"}
	if g := e.do(req{method: "GET", path: "/v1/orders/" + ext.str("orderId")}); !reflect.DeepEqual(g.body["extensionDetails"], wantExt) || g.str("orderType") != "extension" {
		t.Errorf("extension order = %s, want extensionDetails %v", g.Body, wantExt)
	}
	up := e.do(req{method: "POST", path: "/v1/orders", body: `{` + cust + `,` + bill + `,"items":[{"sku":"D","quantity":1}],"orderType":"upgrade",` +
		`"upgradeDetails":{"previousDevice":"MBP 13","previousSerialNumber":"C02","previousMonthlyAmount":49.95,"previousRentalId":"rent_1","upgradeReason":"Faster"}}`})
	up.expect(t, http.StatusCreated, "")
	wantUp := map[string]any{"previousDevice": "MBP 13", "previousSerialNumber": "C02", "previousMonthlyAmount": 49.95, "previousRentalId": "rent_1", "upgradeReason": "Faster"}
	if g := e.do(req{method: "GET", path: "/v1/orders/" + up.str("orderId")}); !reflect.DeepEqual(g.body["upgradeDetails"], wantUp) {
		t.Errorf("upgrade order = %s, want upgradeDetails %v", g.Body, wantUp)
	}

	refused := []struct {
		name, body string
		want       []detail
	}{
		{"fractional quantity", `{` + cust + `,` + bill + `,"items":[{"sku":"A","quantity":1.5}]}`,
			[]detail{{"items.0.quantity", "Expected integer, received float", "invalid_type"}}},
		{"extension without its details", `{` + cust + `,` + bill + `,"items":[{"sku":"A","quantity":1}],"orderType":"extension"}`,
			[]detail{{"extensionDetails", "Required", "invalid_type"}}},
		{"notes over 5000", `{` + cust + `,` + bill + `,"items":[{"sku":"A","quantity":1}],"notes":"` + strings.Repeat("n", 5001) + `"}`,
			[]detail{{"notes", "String must contain at most 5000 character(s)", "too_big"}}},
	}
	for _, tt := range refused {
		got := e.do(req{method: "POST", path: "/v1/orders", body: tt.body})
		got.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
		if d := got.details(t); !reflect.DeepEqual(d, tt.want) {
			t.Errorf("%s: details %v, want %v", tt.name, d, tt.want)
		}
	}
}

// TestPreferHandlingStrict: with Prefer: handling=strict, the keys an order body, a cancel body
// and a notes body may not have are refused (unrecognized_keys, each at its path), and every
// response says the preference was applied; without it they are ignored and nothing is said.
func TestPreferHandlingStrict(t *testing.T) {
	e := newEnv(t)
	strict := http.Header{"Prefer": {"respond-async, handling=strict"}}
	body := strings.Replace(orderBody("strict@example.com"), `"contractLength":12}`, `"contractLength":12,"unitPrice":1}`, 1)
	body = strings.Replace(body, `"country":"GB"}`, `"country":"GB","zip":"1"}`, 1)
	body = strings.TrimSuffix(body, "}") + `,"orderId":"ord_1"}`
	got := e.do(req{method: "POST", path: "/v1/orders", body: body, header: strict})
	got.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
	want := []detail{
		{"billingAddress.zip", "Unrecognized key(s) in object: 'zip'", "unrecognized_keys"},
		{"items.0.unitPrice", "Unrecognized key(s) in object: 'unitPrice'", "unrecognized_keys"},
		{"orderId", "Unrecognized key(s) in object: 'orderId'", "unrecognized_keys"},
	}
	if d := got.details(t); !reflect.DeepEqual(d, want) {
		t.Errorf("strict order details = %v, want %v", d, want)
	}
	if h := got.Header().Get("Preference-Applied"); h != "handling=strict" {
		t.Errorf("strict refusal: Preference-Applied = %q, want handling=strict", h)
	}
	lenient := e.do(req{method: "POST", path: "/v1/orders", body: body})
	lenient.expect(t, http.StatusCreated, "")
	if h := lenient.Header().Get("Preference-Applied"); h != "" {
		t.Errorf("lenient order: Preference-Applied = %q, want none", h)
	}
	oid := lenient.str("orderId")
	ok := e.do(req{method: "POST", path: "/v1/orders", body: orderBody("strict@example.com"), header: strict})
	ok.expect(t, http.StatusCreated, "")
	if h := ok.Header().Get("Preference-Applied"); h != "handling=strict" {
		t.Errorf("strict order: Preference-Applied = %q, want handling=strict", h)
	}
	for _, tt := range []struct{ path, body, key string }{
		{"/v1/orders/" + oid + "/notes", `{"notes":"n","orderId":"x"}`, "orderId"},
		{"/v1/orders/" + oid + "/cancel", `{"reason":"r","why":"x"}`, "why"},
	} {
		method := "PATCH"
		if strings.HasSuffix(tt.path, "/cancel") {
			method = "POST"
		}
		got := e.do(req{method: method, path: tt.path, body: tt.body, header: strict})
		got.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
		if d := got.details(t); len(d) != 1 || d[0].Path != tt.key || d[0].Code != "unrecognized_keys" || got.Header().Get("Preference-Applied") != "handling=strict" {
			t.Errorf("%s %s strict = %v (Preference-Applied %q), want %s unrecognized", method, tt.path, d, got.Header().Get("Preference-Applied"), tt.key)
		}
		e.do(req{method: method, path: tt.path, body: tt.body}).expect(t, http.StatusOK, "")
	}
}

// TestCreatedBy: an order, and the customer it creates, are created by the key that sent it:
// "apikey:" and the key's id, never the key; a later order by another key of the tenant is its
// own, and leaves the customer's.
func TestCreatedBy(t *testing.T) {
	e := newEnv(t)
	first := e.do(req{method: "POST", path: "/v1/orders", body: orderBody("who@example.com")})
	first.expect(t, http.StatusCreated, "")
	cid := first.str("order", "customer", "customerId")
	if got := first.str("order", "createdBy"); got != "apikey:k1" {
		t.Errorf("order createdBy = %q, want apikey:k1", got)
	}
	other := keyWithout("customers:read") // a key of t1, id "without-customers:read"
	second := e.do(req{method: "POST", path: "/v1/orders", body: orderBody("WHO@example.com"), key: other})
	second.expect(t, http.StatusCreated, "")
	if got := second.str("order", "createdBy"); got != "apikey:without-customers:read" {
		t.Errorf("second order createdBy = %q, want apikey:without-customers:read", got)
	}
	c := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	if got := c.str("createdBy"); got != "apikey:k1" {
		t.Errorf("customer createdBy = %q, want the first order's apikey:k1", got)
	}
	for _, r := range []resp{first, second, c} {
		if strings.Contains(r.Body.String(), keyT1) || strings.Contains(r.Body.String(), other) {
			t.Errorf("a response holds an API key: %s", r.Body)
		}
	}
}

// TestNaturalIdempotency: without an Idempotency-Key, the same customer and lines again within
// 10 minutes are the first order again: 201, its orderId, Idempotent-Replayed; once the first
// is cancelled, or 10 minutes have passed, it is a new order.
func TestNaturalIdempotency(t *testing.T) {
	e := newEnv(t)
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	now := start
	e.store.Now = func() time.Time { return now }
	body := orderBody("twice@example.com")
	post := func(b string) resp {
		r := e.do(req{method: "POST", path: "/v1/orders", body: b})
		r.expect(t, http.StatusCreated, "")
		return r
	}
	first := post(body)
	if first.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("first order: Idempotent-Replayed = %q, want none", first.Header().Get("Idempotent-Replayed"))
	}
	now = start.Add(9 * time.Minute)
	// Another name and address, the email in capitals: the same customer and lines.
	again := post(strings.NewReplacer(`"twice@`, `"TWICE@`, `"Ada"`, `"Augusta"`, `"London"`, `"Paris"`).Replace(body))
	if again.str("orderId") != first.str("orderId") || again.Header().Get("Idempotent-Replayed") != "true" ||
		again.Header().Get("Location") != "/v1/orders/"+first.str("orderId") || again.str("message") != "Order created" {
		t.Errorf("identical order = %s (Idempotent-Replayed %q, Location %q), want the first order %s replayed",
			again.Body, again.Header().Get("Idempotent-Replayed"), again.Header().Get("Location"), first.str("orderId"))
	}
	if n := e.do(req{method: "GET", path: "/v1/orders"}).body["count"]; n != 1.0 {
		t.Errorf("orders after the identical one = %v, want 1", n)
	}
	now = start.Add(10 * time.Minute)
	later := post(body)
	if later.str("orderId") == first.str("orderId") || later.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("identical order after 10 minutes = %s replayed %q, want a new order", later.str("orderId"), later.Header().Get("Idempotent-Replayed"))
	}
	e.do(req{method: "POST", path: "/v1/orders/" + later.str("orderId") + "/cancel"}).expect(t, http.StatusOK, "")
	afterCancel := post(body)
	if afterCancel.str("orderId") == later.str("orderId") || afterCancel.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("identical order after the first was cancelled = %s, want a new order", afterCancel.str("orderId"))
	}
}

// TestUpdateOrderNotes is PATCH /v1/orders/{orderId}/notes: notes replaced (not appended),
// updatedAt moved, "" clears them; FlexPortal's envelope; another tenant's order is not found.
func TestUpdateOrderNotes(t *testing.T) {
	e := newEnv(t)
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	now := start
	e.store.Now = func() time.Time { return now }
	oid, _ := e.order(keyT1, "t1", "notes@example.com")
	other, _ := e.order(keyT2, "t2", "notes@example.com")
	path := "/v1/orders/" + oid + "/notes"
	for i, notes := range []string{"First note", "Second note\n\nwith a blank line", ""} {
		now = start.Add(time.Duration(i+1) * time.Minute)
		got := e.do(req{method: "PATCH", path: path, body: fmt.Sprintf(`{"notes":%q}`, notes)})
		got.expect(t, http.StatusOK, "")
		want := map[string]any{"success": true, "message": "Order notes updated", "orderId": oid}
		if !reflect.DeepEqual(got.body, want) {
			t.Errorf("PATCH notes = %v, want %v", got.body, want)
		}
		o := e.do(req{method: "GET", path: "/v1/orders/" + oid})
		_, has := o.body["notes"]
		if o.str("notes") != notes || has != (notes != "") || o.str("updatedAt") != fmt.Sprintf("2030-01-01T12:%02d:00.000Z", i+1) || o.str("createdAt") != "2030-01-01T12:00:00.000Z" {
			t.Errorf("order after PATCH notes %q = %s, want those notes and updatedAt +%d min", notes, o.Body, i+1)
		}
	}
	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantCode   string
	}{
		{"another tenant's order", req{method: "PATCH", path: "/v1/orders/" + other + "/notes", body: `{"notes":"x"}`}, 404, "NOT_FOUND"},
		{"missing order", req{method: "PATCH", path: "/v1/orders/" + missingOrder + "/notes", body: `{"notes":"x"}`}, 404, "NOT_FOUND"},
		{"malformed id", req{method: "PATCH", path: "/v1/orders/ord_1/notes", body: `{"notes":"x"}`}, 404, "NOT_FOUND"},
		{"no notes", req{method: "PATCH", path: path, body: `{}`}, 400, "VALIDATION_ERROR"},
		{"null notes", req{method: "PATCH", path: path, body: `{"notes":null}`}, 400, "VALIDATION_ERROR"},
		{"too long", req{method: "PATCH", path: path, body: `{"notes":"` + strings.Repeat("x", 5001) + `"}`}, 400, "VALIDATION_ERROR"},
		{"no body", req{method: "PATCH", path: path}, 400, "INVALID_REQUEST"},
		{"merge patch media type", req{method: "PATCH", path: path, body: `{"notes":"x"}`, contentType: "application/merge-patch+json"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PUT", req{method: "PUT", path: path, body: `{"notes":"x"}`}, 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(tt.r).expect(t, tt.wantStatus, tt.wantCode)
		})
	}
	if o := e.do(req{method: "GET", path: "/v1/orders/" + other, key: keyT2, tenant: "t2"}); o.body["notes"] != nil {
		t.Errorf("another tenant's order after a refused PATCH = %s, want no notes", o.Body)
	}
}
