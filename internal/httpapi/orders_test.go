package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
)

func TestCreateOrderResponse(t *testing.T) {
	e := newEnv(t)
	got := e.do(req{method: "POST", path: "/v1/orders", body: orderBody("a@example.com")})
	got.expect(t, http.StatusCreated, "")
	oid := got.str("orderId")
	if got.body["success"] != true || got.str("message") != "Order created" || !strings.HasPrefix(oid, "ord_") {
		t.Errorf("POST envelope = %s", got.Body)
	}
	o, _ := got.body["order"].(map[string]any)
	if o["orderId"] != oid || o["status"] != "pending" || o["tenantId"] != "t1" || o["orderType"] != "standard" {
		t.Errorf("order = %v", o)
	}
	if _, ok := o["customFields"].(map[string]any); !ok {
		t.Errorf("order customFields = %v, want an object", o["customFields"])
	}
	if got.Header().Get("ETag") != "" {
		t.Errorf("order response has ETag %q; only customer responses do", got.Header().Get("ETag"))
	}

	g := e.do(req{method: "GET", path: "/v1/orders/" + oid})
	g.expect(t, http.StatusOK, "")
	if g.str("orderId") != oid || g.str("customer", "email") != "a@example.com" {
		t.Errorf("GET order = %s", g.Body)
	}
	e.do(req{method: "GET", path: "/v1/orders/ord_missing"}).expect(t, http.StatusNotFound, "NOT_FOUND")
}

func TestCancelOrder(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for range 5 {
		oid, _ := e.order(keyT1, "t1", "a@example.com")
		ids = append(ids, oid)
	}
	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantCode   string
	}{
		{"no body", req{method: "POST", path: "/v1/orders/" + ids[0] + "/cancel", contentType: "-"}, 200, ""},
		{"again", req{method: "POST", path: "/v1/orders/" + ids[0] + "/cancel", contentType: "-"}, 400, "ALREADY_CANCELLED"},
		{"reason", req{method: "POST", path: "/v1/orders/" + ids[1] + "/cancel", body: `{"reason":"changed my mind"}`}, 200, ""},
		{"empty object", req{method: "POST", path: "/v1/orders/" + ids[2] + "/cancel", body: `{}`}, 200, ""},
		{"bad reason", req{method: "POST", path: "/v1/orders/" + ids[2] + "/cancel", body: `{"reason":"` + strings.Repeat("x", 1001) + `"}`}, 400, "VALIDATION_ERROR"},
		{"unknown field, strict", req{method: "POST", path: "/v1/orders/" + ids[3] + "/cancel", body: `{"why":"x"}`, header: http.Header{"Prefer": {"handling=strict"}}}, 400, "VALIDATION_ERROR"},
		{"unknown field ignored", req{method: "POST", path: "/v1/orders/" + ids[3] + "/cancel", body: `{"why":"x"}`}, 200, ""},
		{"empty reason is none", req{method: "POST", path: "/v1/orders/" + ids[4] + "/cancel", body: `{"reason":""}`}, 200, ""},
		{"not JSON", req{method: "POST", path: "/v1/orders/" + ids[2] + "/cancel", body: `x`}, 400, "INVALID_REQUEST"},
		{"missing", req{method: "POST", path: "/v1/orders/ord_missing/cancel", contentType: "-"}, 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do(tt.r)
			got.expect(t, tt.wantStatus, tt.wantCode)
			if tt.wantStatus == 200 {
				want := fmt.Sprint(map[string]any{"success": true, "message": "Order cancelled", "orderId": got.str("orderId")})
				if fmt.Sprint(got.body) != want || !strings.Contains(tt.r.path, got.str("orderId")) {
					t.Errorf("cancel body = %v, want %s", got.body, want)
				}
			}
		})
	}
	if o := e.do(req{method: "GET", path: "/v1/orders/" + ids[4]}); o.str("status") != "cancelled" || o.body["cancellationReason"] != nil {
		t.Errorf("order cancelled with an empty reason = %s, want cancelled without cancellationReason", o.Body)
	}
}

// TestCancelOrderIdempotencyKey: a cancel retried with the same Idempotency-Key and reason
// answers 200 as the first did; the same key with another reason is 422; another key or none
// finds the order already cancelled; a malformed key is refused before anything is done.
func TestCancelOrderIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	oid, _ := e.order(keyT1, "t1", "a@example.com")
	cancel := func(key, body string) resp {
		r := req{method: "POST", path: "/v1/orders/" + oid + "/cancel", body: body, contentType: "-"}
		if body != "" {
			r.contentType = ""
		}
		if key != "-" {
			r.header = http.Header{"Idempotency-Key": {key}}
		}
		return e.do(r)
	}
	for _, bad := range []string{"", strings.Repeat("k", 256), "ключ", "a\tb"} {
		t.Run(fmt.Sprintf("bad key %.12q len %d", bad, len(bad)), func(t *testing.T) {
			cancel(bad, `{"reason":"moved"}`).expect(t, http.StatusBadRequest, "INVALID_REQUEST")
		})
	}
	if st := e.do(req{method: "GET", path: "/v1/orders/" + oid}).str("status"); st != "pending" {
		t.Fatalf("status after refused keys = %q, want pending", st)
	}

	first := cancel("c-1", `{"reason":"moved"}`)
	first.expect(t, http.StatusOK, "")
	if first.Header().Get("Idempotent-Replayed") != "" {
		t.Errorf("first cancel has Idempotent-Replayed %q", first.Header().Get("Idempotent-Replayed"))
	}
	for _, body := range []string{`{"reason":"moved"}`, `{ "reason" : " moved " }`} {
		again := cancel("c-1", body)
		again.expect(t, http.StatusOK, "")
		if again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry %s = %s (Idempotent-Replayed %q), want the first %s and true", body, again.Body, again.Header().Get("Idempotent-Replayed"), first.Body)
		}
	}
	cancel("c-1", `{"reason":"other"}`).expect(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
	cancel("c-1", "").expect(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
	cancel("c-2", `{"reason":"moved"}`).expect(t, http.StatusBadRequest, "ALREADY_CANCELLED")
	cancel("-", `{"reason":"moved"}`).expect(t, http.StatusBadRequest, "ALREADY_CANCELLED")
	if got := e.do(req{method: "GET", path: "/v1/orders/" + oid}); got.str("status") != "cancelled" || got.str("cancellationReason") != "moved" {
		t.Errorf("order after retries = %s, want cancelled with reason moved", got.Body)
	}
}

func TestInactiveCustomerOrder(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	e.do(req{method: "DELETE", path: "/v1/customers/" + cid}).expect(t, 200, "")
	e.do(req{method: "POST", path: "/v1/orders", body: orderBody("A@example.com")}).
		expect(t, http.StatusConflict, "CUSTOMER_INACTIVE")
	e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: `{"status":"active"}`}).expect(t, 200, "")
	e.do(req{method: "POST", path: "/v1/orders", body: orderBody("a@example.com")}).expect(t, http.StatusCreated, "")
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	post := func(key, body string, tenant ...string) resp {
		r := req{method: "POST", path: "/v1/orders", body: body, header: http.Header{"Idempotency-Key": {key}}}
		if len(tenant) > 0 {
			r.key, r.tenant = keyT2, tenant[0]
		}
		return e.do(r)
	}
	body := orderBody("a@example.com")
	first := post("k-1", body)
	first.expect(t, http.StatusCreated, "")
	replay := post("k-1", body)
	replay.expect(t, http.StatusCreated, "")
	if replay.Body.String() != first.Body.String() {
		t.Errorf("replay body = %s, want the first %s", replay.Body, first.Body)
	}
	// Semantically equal bodies are the same request.
	spaced := strings.ReplaceAll(body, `"firstName":"Ada"`, `"firstName": " Ada "`)
	if again := post("k-1", spaced); again.Body.String() != first.Body.String() {
		t.Errorf("replay with equivalent body = %s, want %s", again.Body, first.Body)
	}
	post("k-1", orderBody("b@example.com")).expect(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")

	// One order and one customer were made.
	list := e.do(req{method: "GET", path: "/v1/orders"})
	if list.body["count"] != 1.0 {
		t.Errorf("orders after replays: count %v, want 1", list.body["count"])
	}
	// The replay is the first response as it was, also once the order has changed.
	e.do(req{method: "POST", path: "/v1/orders/" + first.str("orderId") + "/cancel"}).expect(t, http.StatusOK, "")
	if again := post("k-1", body); again.Code != http.StatusCreated || again.Body.String() != first.Body.String() {
		t.Errorf("replay after a cancel = %d %s, want 201 and the first response %s", again.Code, again.Body, first.Body)
	}
	// Keys are scoped to the tenant.
	other := post("k-1", body, "t2")
	other.expect(t, http.StatusCreated, "")
	if other.str("orderId") == first.str("orderId") {
		t.Errorf("t2 got t1's order for the same Idempotency-Key")
	}
	// Two keys are two orders, even of the same body.
	a, b := post("k-a", body), post("k-b", body)
	if a.Code != http.StatusCreated || b.Code != http.StatusCreated || a.str("orderId") == b.str("orderId") {
		t.Errorf("the same body with two keys: %d %s, %d %s; want two orders", a.Code, a.str("orderId"), b.Code, b.str("orderId"))
	}

	for _, bad := range []string{"", strings.Repeat("k", 256), "ключ", "a\tb"} {
		t.Run(fmt.Sprintf("bad key %.12q len %d", bad, len(bad)), func(t *testing.T) {
			post(bad, orderBody("c@example.com")).expect(t, http.StatusBadRequest, "INVALID_REQUEST")
		})
	}
	post(strings.Repeat("k", 255), orderBody("c@example.com")).expect(t, http.StatusCreated, "")
	post("with space ~!", orderBody("c@example.com")).expect(t, http.StatusCreated, "")
}

func TestListOrders(t *testing.T) {
	e := newEnv(t)
	var all []string
	byCustomer := map[string][]string{}
	for i := range 6 {
		oid, cid := e.order(keyT1, "t1", fmt.Sprintf("c%d@example.com", i%2))
		all = append(all, oid)
		byCustomer[cid] = append(byCustomer[cid], oid)
	}
	e.do(req{method: "POST", path: "/v1/orders/" + all[4] + "/cancel"}).expect(t, 200, "")
	rev := slices.Clone(all)
	slices.Reverse(rev)
	got, _ := listAll(t, e, "/v1/orders", "orders", "orderId", 4)
	if !slices.Equal(got, rev) {
		t.Errorf("all orders = %v, want %v", got, rev)
	}
	// status=all is the documented default, said aloud; a cursor of one serves the other.
	got, _ = listAll(t, e, "/v1/orders?status=all", "orders", "orderId", 4)
	if !slices.Equal(got, rev) {
		t.Errorf("status=all orders = %v, want %v", got, rev)
	}
	first := e.do(req{method: "GET", path: "/v1/orders?status=all&limit=2"})
	first.expect(t, http.StatusOK, "")
	second := e.do(req{method: "GET", path: "/v1/orders?limit=2&startAfter=" + url.QueryEscape(first.str("nextCursor"))})
	second.expect(t, http.StatusOK, "")
	if orders, _ := second.body["orders"].([]any); len(orders) != 2 || orders[0].(map[string]any)["orderId"] != rev[2] {
		t.Errorf("page after a status=all cursor, without status: %s, want %s first", second.Body, rev[2])
	}
	got, _ = listAll(t, e, "/v1/orders?sortDir=asc&status=cancelled", "orders", "orderId", 1)
	if !slices.Equal(got, []string{all[4]}) {
		t.Errorf("cancelled orders = %v, want %v", got, []string{all[4]})
	}
	for cid, want := range byCustomer {
		got, _ = listAll(t, e, "/v1/orders?sortDir=asc&customerId="+cid, "orders", "orderId", 2)
		if !slices.Equal(got, want) {
			t.Errorf("orders of %s = %v, want %v", cid, got, want)
		}
	}
	empty := e.do(req{method: "GET", path: "/v1/orders?status=fulfilled"})
	if got := empty.Body.String(); got != `{"orders":[],"count":0,"limit":50,"hasMore":false,"nextCursor":null}`+"\n" {
		t.Errorf("empty list = %s", got)
	}
}

// TestIdempotencyWindow moves the store's clock: within 24 h a retry with the same key and body
// answers with the first response (status and body) and creates nothing, and another body is
// IDEMPOTENCY_KEY_REUSED; after 24 h the key is free again, whatever the body. The steps run in
// order on one key.
func TestIdempotencyWindow(t *testing.T) {
	e := newEnv(t)
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	now := start
	e.store.Now = func() time.Time { return now }
	bodyA, bodyB := orderBody("a@example.com"), orderBody("b@example.com")
	post := func(body string) resp {
		return e.do(req{method: "POST", path: "/v1/orders", body: body, header: http.Header{"Idempotency-Key": {"window-1"}}})
	}
	first := post(bodyA)
	first.expect(t, http.StatusCreated, "")
	latest := first // the response the key currently replays
	steps := []struct {
		name       string
		at         time.Duration // since start
		body       string
		wantStatus int
		wantCode   string
		wantReplay bool // the latest first response, again
		wantOrders float64
	}{
		{"at once", 0, bodyA, 201, "", true, 1},
		{"an hour later", time.Hour, bodyA, 201, "", true, 1},
		{"a second before 24 h", 24*time.Hour - time.Second, bodyA, 201, "", true, 1},
		{"another body a second before 24 h", 24*time.Hour - time.Second, bodyB, 422, "IDEMPOTENCY_KEY_REUSED", false, 1},
		{"a second after 24 h, another body", 24*time.Hour + time.Second, bodyB, 201, "", false, 2},
		{"then that body replays", 25 * time.Hour, bodyB, 201, "", true, 2},
		{"and the first body is refused", 25 * time.Hour, bodyA, 422, "IDEMPOTENCY_KEY_REUSED", false, 2},
		{"two days later, the first body", 49 * time.Hour, bodyA, 201, "", false, 3},
	}
	for _, st := range steps {
		now = start.Add(st.at)
		got := post(st.body)
		got.expect(t, st.wantStatus, st.wantCode)
		replayed := got.Header().Get("Idempotent-Replayed") == "true"
		switch {
		case st.wantReplay && (!replayed || got.Body.String() != latest.Body.String()):
			t.Errorf("%s: body %s (Idempotent-Replayed %v), want the first response %s replayed", st.name, got.Body, replayed, latest.Body)
		case !st.wantReplay && replayed:
			t.Errorf("%s: Idempotent-Replayed = true, want a new request", st.name)
		case !st.wantReplay && st.wantStatus == 201:
			if got.str("orderId") == latest.str("orderId") {
				t.Errorf("%s: orderId %s, the expired key's order; want a new order", st.name, got.str("orderId"))
			}
			latest = got
		}
		if n := e.do(req{method: "GET", path: "/v1/orders"}).body["count"]; n != st.wantOrders {
			t.Errorf("%s: %v orders, want %v", st.name, n, st.wantOrders)
		}
	}
}

// TestCancelIdempotencyWindow: a cancel retried with its Idempotency-Key replays within 24 h of
// the cancel; after that, it is a new request and finds the order already cancelled.
func TestCancelIdempotencyWindow(t *testing.T) {
	e := newEnv(t)
	start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	now := start
	e.store.Now = func() time.Time { return now }
	oid, _ := e.order(keyT1, "t1", "a@example.com")
	tests := []struct {
		name       string
		at         time.Duration
		wantStatus int
		wantCode   string
		wantReplay bool
	}{
		{"first", 0, 200, "", false},
		{"a second before 24 h", 24*time.Hour - time.Second, 200, "", true},
		{"a second after 24 h", 24*time.Hour + time.Second, 400, "ALREADY_CANCELLED", false},
	}
	for _, tt := range tests {
		now = start.Add(tt.at)
		got := e.do(req{method: "POST", path: "/v1/orders/" + oid + "/cancel", body: `{"reason":"moved"}`,
			header: http.Header{"Idempotency-Key": {"cancel-window"}}})
		got.expect(t, tt.wantStatus, tt.wantCode)
		if replayed := got.Header().Get("Idempotent-Replayed") == "true"; replayed != tt.wantReplay {
			t.Errorf("%s: Idempotent-Replayed %v, want %v", tt.name, replayed, tt.wantReplay)
		}
	}
}

// TestListOrderCursors: an orders cursor is tamper-evident and serves only the tenant and the
// filters (status, customerId, sortDir) it was made for; the limit may change between pages.
func TestListOrderCursors(t *testing.T) {
	e := newEnv(t)
	var cid string
	var ofA []string // newest first
	for i := range 3 {
		var oid string
		oid, cid = e.order(keyT1, "t1", "a@example.com")
		ofA = append([]string{oid}, ofA...)
		e.order(keyT1, "t1", fmt.Sprintf("b%d@example.com", i))
	}
	e.order(keyT2, "t2", "a@example.com")
	base := "/v1/orders?status=pending&customerId=" + cid
	first := e.do(req{method: "GET", path: base + "&limit=1"})
	first.expect(t, http.StatusOK, "")
	cursor := first.str("nextCursor")
	if cursor == "" {
		t.Fatalf("no cursor: %s", first.Body)
	}
	tampered := []byte(cursor)
	tampered[len(tampered)/2] ^= 1
	q := url.QueryEscape
	tests := []struct {
		name, path, key, tenant string
		wantStatus              int
	}{
		{"same query", base + "&limit=1&startAfter=" + q(cursor), "", "", 200},
		{"other limit", base + "&limit=5&startAfter=" + q(cursor), "", "", 200},
		{"default sortDir said aloud", base + "&sortDir=desc&startAfter=" + q(cursor), "", "", 200},
		{"tampered", base + "&startAfter=" + q(string(tampered)), "", "", 400},
		{"truncated", base + "&startAfter=" + q(cursor[:len(cursor)-2]), "", "", 400},
		{"other tenant", base + "&startAfter=" + q(cursor), keyT2, "t2", 400},
		{"without status", "/v1/orders?customerId=" + cid + "&startAfter=" + q(cursor), "", "", 400},
		{"other status", "/v1/orders?status=cancelled&customerId=" + cid + "&startAfter=" + q(cursor), "", "", 400},
		{"without customerId", "/v1/orders?status=pending&startAfter=" + q(cursor), "", "", 400},
		{"other customerId", "/v1/orders?status=pending&customerId=" + missingCustomer + "&startAfter=" + q(cursor), "", "", 400},
		{"other sortDir", base + "&sortDir=asc&startAfter=" + q(cursor), "", "", 400},
		{"customers endpoint", "/v1/customers?startAfter=" + q(cursor), "", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do(req{method: "GET", path: tt.path, key: tt.key, tenant: tt.tenant})
			code := ""
			if tt.wantStatus == 400 {
				code = "INVALID_REQUEST"
			}
			got.expect(t, tt.wantStatus, code)
			if tt.wantStatus == 400 && !strings.Contains(got.errorMessage(), "startAfter") {
				t.Errorf("message %q does not name startAfter", got.errorMessage())
			}
			if tt.wantStatus == 200 {
				orders, _ := got.body["orders"].([]any)
				if len(orders) == 0 || orders[0].(map[string]any)["orderId"] != ofA[1] {
					t.Errorf("page after the cursor: %s, want %s first", got.Body, ofA[1])
				}
			}
		})
	}
}

// TestOrderSnapshot: an order for a known email (in any case) keeps the customer's profile and
// snapshots the record as it stands, changing only the last addresses, totalOrders and orderIds;
// later customer updates never change an order already made.
func TestOrderSnapshot(t *testing.T) {
	e := newEnv(t)
	first := e.do(req{method: "POST", path: "/v1/orders", body: `{"customer":{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace","company":"AE","phone":"+44 1234 567"},` +
		`"billingAddress":{"contactName":"Ada","streetAddress":"1 St","city":"London","country":"GB"},` +
		`"shippingAddress":{"contactName":"Ada","streetAddress":"2 St","city":"Bath","country":"GB"},"items":[{"sku":"A","quantity":1,"contractLength":12}]}`})
	first.expect(t, http.StatusCreated, "")
	cid := first.str("order", "customer", "customerId")
	before := e.do(req{method: "GET", path: "/v1/customers/" + cid})

	second := e.do(req{method: "POST", path: "/v1/orders", body: `{"customer":{"email":"ADA@Example.com","firstName":"Someone","lastName":"Else","customerType":"business"},` +
		`"billingAddress":{"contactName":"Bob","streetAddress":"3 Rd","city":"Paris","country":"FR"},"items":[{"sku":"B","quantity":2,"contractLength":24}]}`})
	second.expect(t, http.StatusCreated, "")
	wantSnapshot := map[string]any{"customerId": cid, "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
		"company": "AE", "phone": "+44 1234 567", "customerType": "individual"}
	if got := second.body["order"].(map[string]any)["customer"]; !reflect.DeepEqual(got, wantSnapshot) {
		t.Errorf("second order's customer = %v, want the record %v", got, wantSnapshot)
	}
	after := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	for _, k := range []string{"email", "firstName", "lastName", "company", "phone", "customerType", "status", "createdAt", "createdBy", "customFields"} {
		if !reflect.DeepEqual(after.body[k], before.body[k]) {
			t.Errorf("customer %s after an order = %v, want unchanged %v", k, after.body[k], before.body[k])
		}
	}
	// The second order, without a shipping address, ships to its billing address: the last
	// address shipped to.
	wantBilling := map[string]any{"contactName": "Bob", "streetAddress": "3 Rd", "city": "Paris", "country": "FR"}
	wantIDs := []any{first.str("orderId"), second.str("orderId")}
	if !reflect.DeepEqual(after.body["lastBillingAddress"], wantBilling) || !reflect.DeepEqual(after.body["lastShippingAddress"], wantBilling) ||
		after.body["totalOrders"] != 2.0 || !reflect.DeepEqual(after.body["orderIds"], wantIDs) {
		t.Errorf("customer after a second order: lastBillingAddress %v lastShippingAddress %v totalOrders %v orderIds %v, want %v twice, 2, %v",
			after.body["lastBillingAddress"], after.body["lastShippingAddress"], after.body["totalOrders"], after.body["orderIds"], wantBilling, wantIDs)
	}
	if got := second.body["order"].(map[string]any)["shippingAddress"]; !reflect.DeepEqual(got, wantBilling) {
		t.Errorf("second order's shippingAddress = %v, want its billing address %v", got, wantBilling)
	}

	e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: `{"email":"new@example.com","firstName":"Augusta","company":null,` +
		`"billingAddress":{"contactName":"C","streetAddress":"4 Ave","city":"Rome","country":"IT"},"shippingAddress":null}`}).expect(t, http.StatusOK, "")
	for _, o := range []resp{first, second} {
		got := e.do(req{method: "GET", path: "/v1/orders/" + o.str("orderId")})
		if want := o.body["order"]; !reflect.DeepEqual(got.body, want) {
			t.Errorf("order after a customer update = %s, want as made %v", got.Body, want)
		}
	}
}

// TestRefusedOrderWritesNothing: an order refused for any reason leaves no customer, no order and
// no change to an existing customer.
func TestRefusedOrderWritesNothing(t *testing.T) {
	e := newEnv(t)
	gone := e.customer("gone@example.com")
	e.do(req{method: "DELETE", path: "/v1/customers/" + gone}).expect(t, http.StatusOK, "")
	e.do(req{method: "POST", path: "/v1/orders", body: orderBody("k@example.com"), header: http.Header{"Idempotency-Key": {"used"}}}).expect(t, http.StatusCreated, "")
	invalid := strings.Replace(orderBody("new@example.com"), `"quantity":1`, `"quantity":0`, 1)
	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantCode   string
	}{
		{"invalid body", req{method: "POST", path: "/v1/orders", body: invalid}, 400, "VALIDATION_ERROR"},
		{"inactive customer", req{method: "POST", path: "/v1/orders", body: orderBody("GONE@example.com")}, 409, "CUSTOMER_INACTIVE"},
		{"reused key", req{method: "POST", path: "/v1/orders", body: orderBody("new@example.com"), header: http.Header{"Idempotency-Key": {"used"}}}, 422, "IDEMPOTENCY_KEY_REUSED"},
		{"bad key", req{method: "POST", path: "/v1/orders", body: orderBody("new@example.com"), header: http.Header{"Idempotency-Key": {""}}}, 400, "INVALID_REQUEST"},
		{"no scope", req{method: "POST", path: "/v1/orders", body: orderBody("new@example.com"), key: keyWithout(auth.OrdersWrite)}, 403, "INSUFFICIENT_PERMISSIONS"},
	}
	snapshot := func() string {
		c := e.do(req{method: "GET", path: "/v1/customers?status=all&limit=100"})
		o := e.do(req{method: "GET", path: "/v1/orders?limit=100"})
		return c.Body.String() + o.Body.String()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot()
			e.do(tt.r).expect(t, tt.wantStatus, tt.wantCode)
			if after := snapshot(); after != before {
				t.Errorf("a refused order changed the data:\n got %s\nwant %s", after, before)
			}
		})
	}
}
