package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
)

// TestErase: POST /v1/customers/{id}/erase is refused like DELETE, then answers 200 (again on
// a second call), leaves the placeholders, and makes every later change 409 CUSTOMER_ERASED.
func TestErase(t *testing.T) {
	e := newEnv(t)
	oid, cid := e.order(keyT1, "t1", "Erin.Erase@example.com")
	path := "/v1/customers/" + cid + "/erase"
	e.do(req{method: "POST", path: path}).expect(t, http.StatusConflict, "CUSTOMER_HAS_PENDING_ORDERS")
	e.do(req{method: "POST", path: path, key: keyOnly(auth.CustomersRead)}).expect(t, http.StatusForbidden, "INSUFFICIENT_PERMISSIONS")
	e.do(req{method: "POST", path: "/v1/customers/cust_01JAAAAAAAAAAAAAAAAAAAAAAA/erase"}).expect(t, http.StatusNotFound, "NOT_FOUND")
	e.do(req{method: "POST", path: path, tenant: "t2", key: keyT2}).expect(t, http.StatusNotFound, "NOT_FOUND")
	e.do(req{method: "GET", path: path}).expect(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	e.do(req{method: "POST", path: "/v1/orders/" + oid + "/cancel"}).expect(t, http.StatusOK, "")

	for range 2 {
		r := e.do(req{method: "POST", path: path})
		r.expect(t, http.StatusOK, "")
		if r.body["success"] != true || r.str("message") != "Customer erased" || r.str("customerId") != cid {
			t.Errorf("erase = %s, want success, \"Customer erased\" and the id", r.Body.String())
		}
	}
	g := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	g.expect(t, http.StatusOK, "")
	if g.str("email") != "erased+"+cid+"@erased.invalid" || g.str("firstName") != "erased" || g.str("status") != "inactive" ||
		g.str("erasedAt") == "" || g.str("lastBillingAddress", "city") != "erased" || g.str("lastBillingAddress", "country") != "GB" {
		t.Errorf("GET erased customer = %s", g.Body.String())
	}
	o := e.do(req{method: "GET", path: "/v1/orders/" + oid})
	if o.str("customer", "firstName") != "erased" || strings.Contains(o.Body.String(), "Erin") || strings.Contains(o.Body.String(), "1 Main St") {
		t.Errorf("GET order of an erased customer = %s", o.Body.String())
	}
	e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: `{"firstName":"Back"}`}).expect(t, http.StatusConflict, "CUSTOMER_ERASED")
	e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: `{"status":"active"}`}).expect(t, http.StatusConflict, "CUSTOMER_ERASED")
	e.do(req{method: "POST", path: "/v1/orders", body: orderBody("erased+" + cid + "@erased.invalid")}).expect(t, http.StatusConflict, "CUSTOMER_ERASED")
	// The email is free: an order with it makes a new customer.
	if _, again := e.order(keyT1, "t1", "erin.erase@example.com"); again == cid {
		t.Errorf("an order with the erased customer's email found the erased customer")
	}
}

// TestExport: GET /v1/customers/{id}/export answers the customer and exactly its orders, newest
// first, 100 a page, with a cursor bound to the customer; nothing of another customer.
func TestExport(t *testing.T) {
	e := newEnv(t)
	var mine []string
	_, cid := e.order(keyT1, "t1", "exp@example.com")
	_, other := e.order(keyT1, "t1", "other@example.com")
	for range 104 {
		e.order(keyT1, "t1", "exp@example.com")
		e.order(keyT1, "t1", "other@example.com")
	}
	list := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	total := int(list.body["totalOrders"].(float64))
	if total != 105 {
		t.Fatalf("totalOrders = %d, want 105", total)
	}
	e.do(req{method: "GET", path: "/v1/customers/" + cid + "/export", key: keyOnly(auth.OrdersRead)}).expect(t, http.StatusForbidden, "INSUFFICIENT_PERMISSIONS")
	e.do(req{method: "GET", path: "/v1/customers/cust_01JAAAAAAAAAAAAAAAAAAAAAAA/export"}).expect(t, http.StatusNotFound, "NOT_FOUND")
	e.do(req{method: "GET", path: "/v1/customers/" + cid + "/export?startAfter=nope"}).expect(t, http.StatusBadRequest, "INVALID_REQUEST")

	var pages int
	var cursor string
	for {
		path := "/v1/customers/" + cid + "/export"
		if cursor != "" {
			path += "?startAfter=" + url.QueryEscape(cursor)
		}
		r := e.do(req{method: "GET", path: path})
		r.expect(t, http.StatusOK, "")
		pages++
		var body struct {
			Customer   map[string]any   `json:"customer"`
			Orders     []map[string]any `json:"orders"`
			ExportedAt string           `json:"exportedAt"`
			HasMore    bool             `json:"hasMore"`
			NextCursor *string          `json:"nextCursor"`
		}
		if err := json.Unmarshal(r.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body.Customer["customerId"] != cid || body.Customer["email"] != "exp@example.com" || body.ExportedAt == "" {
			t.Errorf("export page %d: customer %v, exportedAt %q", pages, body.Customer["customerId"], body.ExportedAt)
		}
		if len(body.Orders) > 100 {
			t.Errorf("export page %d has %d orders, want at most 100", pages, len(body.Orders))
		}
		for _, o := range body.Orders {
			c, _ := o["customer"].(map[string]any)
			if c["customerId"] != cid {
				t.Errorf("export of %s holds an order of %v", cid, c["customerId"])
			}
			mine = append(mine, o["orderId"].(string))
		}
		if body.HasMore != (body.NextCursor != nil) {
			t.Errorf("hasMore %v with nextCursor %v", body.HasMore, body.NextCursor)
		}
		if body.NextCursor == nil {
			break
		}
		cursor = *body.NextCursor
		// The cursor is the customer's: another customer's export refuses it.
		e.do(req{method: "GET", path: "/v1/customers/" + other + "/export?startAfter=" + url.QueryEscape(cursor)}).
			expect(t, http.StatusBadRequest, "INVALID_REQUEST")
	}
	if pages != 2 || len(mine) != 105 {
		t.Errorf("export: %d orders in %d pages, want 105 in 2", len(mine), pages)
	}
	if !slices.IsSortedFunc(mine, func(a, b string) int { return strings.Compare(b, a) }) || len(slices.Compact(slices.Clone(mine))) != len(mine) {
		t.Errorf("export orders are not newest first, each once: %v", mine)
	}
}
