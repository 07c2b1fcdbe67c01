package httpapi_test

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

func TestUpdateCustomerResponse(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	got := e.do(req{method: "PUT", path: "/v1/customers/" + cid,
		body: `{"firstName":" Grace ","customFields":{"plan":"gold","seats":12,"vip":true}}`})
	got.expect(t, http.StatusOK, "")
	if got.body["success"] != true || got.str("message") != "Customer updated" || got.str("customerId") != cid {
		t.Errorf("PUT envelope = %s, want success, message, customerId %s", got.Body, cid)
	}
	c, _ := got.body["customer"].(map[string]any)
	if c["firstName"] != "Grace" || c["customerId"] != cid || c["tenantId"] != "t1" {
		t.Errorf("PUT customer = %v", c)
	}
	if !strings.Contains(got.Body.String(), `"customFields":{"plan":"gold","seats":12,"vip":true}`) {
		t.Errorf("customFields not kept exactly: %s", got.Body)
	}
	version := c["version"].(float64)
	if etag := got.Header().Get("ETag"); etag != fmt.Sprintf(`"%d"`, int64(version)) {
		t.Errorf("ETag = %q, want %q", etag, fmt.Sprintf(`"%d"`, int64(version)))
	}

	g := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	g.expect(t, http.StatusOK, "")
	if g.str("customerId") != cid || g.body["customer"] != nil {
		t.Errorf("GET customer is not the bare Customer object: %s", g.Body)
	}
	if g.Header().Get("ETag") != got.Header().Get("ETag") {
		t.Errorf("GET ETag %q, want %q", g.Header().Get("ETag"), got.Header().Get("ETag"))
	}
	for _, field := range []string{"orderIds", "rentalIds"} {
		if _, ok := g.body[field].([]any); !ok {
			t.Errorf("GET customer %s = %v, want an array", field, g.body[field])
		}
	}

	d := e.do(req{method: "DELETE", path: "/v1/customers/" + cid})
	d.expect(t, http.StatusOK, "")
	want := map[string]any{"success": true, "message": "Customer deactivated", "customerId": cid}
	if fmt.Sprint(d.body) != fmt.Sprint(want) {
		t.Errorf("DELETE body = %v, want %v", d.body, want)
	}
	if g := e.do(req{method: "GET", path: "/v1/customers/" + cid}); g.str("status") != "inactive" {
		t.Errorf("status after DELETE = %q, want inactive", g.str("status"))
	}
	// Deleting again succeeds; the update never creates.
	e.do(req{method: "DELETE", path: "/v1/customers/" + cid}).expect(t, http.StatusOK, "")
	e.do(req{method: "PUT", path: "/v1/customers/cust_01HZZZZZZZZZZZZZZZZZZZZZZZ", body: `{"firstName":"A"}`}).
		expect(t, http.StatusNotFound, "NOT_FOUND")
}

func TestIfMatch(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	path := "/v1/customers/" + cid
	current := func() string { return e.do(req{method: "GET", path: path}).Header().Get("ETag") }
	v := current()
	n := strings.Trim(v, `"`)
	tests := []struct {
		name       string
		ifMatch    []string
		wantStatus int
		wantCode   string
	}{
		{"stale", []string{`"999"`}, 412, "PRECONDITION_FAILED"},
		{"unquoted", []string{n}, 412, "PRECONDITION_FAILED"},
		{"garbage", []string{`"abc"`}, 412, "PRECONDITION_FAILED"},
		{"zero", []string{`"0"`}, 412, "PRECONDITION_FAILED"},
		{"list of stale", []string{`"998", "999"`}, 412, "PRECONDITION_FAILED"},
		{"current", []string{"CURRENT"}, 200, ""},
		{"weak current", []string{"W/CURRENT"}, 412, "PRECONDITION_FAILED"},
		{"list of stale and weak current", []string{`"999", W/CURRENT`}, 412, "PRECONDITION_FAILED"},
		{"weak current and current", []string{"W/CURRENT", "CURRENT"}, 200, ""},
		{"list with current", []string{`"999", CURRENT`}, 200, ""},
		{"two headers with current", []string{`"999"`, "CURRENT"}, 200, ""},
		{"star", []string{"*"}, 200, ""},
		{"old after change", []string{v}, 412, "PRECONDITION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			for _, s := range tt.ifMatch {
				h = append(h, strings.ReplaceAll(s, "CURRENT", current()))
			}
			before := current()
			got := e.do(req{method: "PUT", path: path, body: `{"lastName":"L` + tt.name + `"}`, header: http.Header{"If-Match": h}})
			got.expect(t, tt.wantStatus, tt.wantCode)
			if tt.wantStatus == 412 && current() != before {
				t.Errorf("a 412 changed the customer: ETag %s, was %s", current(), before)
			}
		})
	}
	// A missing customer is 404 whatever If-Match says (W/ included).
	for _, h := range []string{`"1"`, `"abc"`, "*", `"1", "2"`, `W/"1"`} {
		got := e.do(req{method: "PUT", path: "/v1/customers/" + missingCustomer, body: `{"lastName":"X"}`, header: http.Header{"If-Match": {h}}})
		got.expect(t, http.StatusNotFound, "NOT_FOUND")
		got = e.do(req{method: "DELETE", path: "/v1/customers/" + missingCustomer, header: http.Header{"If-Match": {h}}})
		got.expect(t, http.StatusNotFound, "NOT_FOUND")
	}
	// DELETE honours If-Match too.
	e.do(req{method: "DELETE", path: path, header: http.Header{"If-Match": {`"999"`}}}).expect(t, 412, "PRECONDITION_FAILED")
	d := e.do(req{method: "DELETE", path: path, header: http.Header{"If-Match": {current()}}})
	d.expect(t, 200, "")
	if d.Header().Get("ETag") != current() {
		t.Errorf("DELETE ETag %q, want the new version %q", d.Header().Get("ETag"), current())
	}
	e.do(req{method: "DELETE", path: path, header: http.Header{"If-Match": {"*"}}}).expect(t, 200, "")
}

// TestUpdateWithNothingToChange: a PUT body with no updatable field answers the customer as it
// is with one read and no write, in the order 404, then 412; under Prefer: handling=strict every
// answer says Preference-Applied.
func TestUpdateWithNothingToChange(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	s := &countingStore{Store: e.store}
	h := httpapi.New(s, httpapi.Options{Logger: slog.New(slog.DiscardHandler)}).Handler()
	before := serve(t, h, req{method: "GET", path: "/v1/customers/" + cid})
	// What a client read, less the fields it could change: read-only fields only.
	readOnly := maps.Clone(before.body)
	for _, k := range []string{"email", "firstName", "lastName", "company", "phone", "customerType", "status", "customFields"} {
		delete(readOnly, k)
	}
	readOnlyBody, _ := json.Marshal(readOnly)
	strict := "handling=strict"
	tests := []struct {
		name, id, body, ifMatch, prefer string
		wantStatus                      int
		wantCode                        string
	}{
		{"empty body", cid, `{}`, "", "", 200, ""},
		{"only the customerId", cid, `{"customerId":"` + cid + `"}`, "", "", 200, ""},
		{"the read-only fields as read, sent back", cid, string(readOnlyBody), "", "", 200, ""},
		{"current If-Match", cid, `{}`, before.Header().Get("ETag"), "", 200, ""},
		{"stale If-Match", cid, `{}`, `"999"`, "", 412, "PRECONDITION_FAILED"},
		{"missing customer, stale If-Match", missingCustomer, `{}`, `"999"`, "", 404, "NOT_FOUND"},
		{"strict, empty body", cid, `{}`, "", strict, 200, ""},
		{"strict, stale If-Match", cid, `{"customFields":{}}`, `"999"`, strict, 412, "PRECONDITION_FAILED"},
		{"strict, missing customer", missingCustomer, `{}`, "", strict, 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.customerReads, s.updates = 0, 0
			r := req{method: "PUT", path: "/v1/customers/" + tt.id, body: tt.body, header: http.Header{}}
			if tt.ifMatch != "" {
				r.header.Set("If-Match", tt.ifMatch)
			}
			if tt.prefer != "" {
				r.header.Set("Prefer", tt.prefer)
			}
			got := serve(t, h, r)
			got.expect(t, tt.wantStatus, tt.wantCode)
			if s.customerReads != 1 || s.updates != 0 {
				t.Errorf("%d reads, %d updates; want 1 read, no update", s.customerReads, s.updates)
			}
			if applied, want := got.Header().Get("Preference-Applied"), map[string]string{strict: strict}[tt.prefer]; applied != want {
				t.Errorf("Preference-Applied = %q, want %q", applied, want)
			}
			if tt.wantStatus != 200 {
				return
			}
			c, _ := got.body["customer"].(map[string]any)
			if !reflect.DeepEqual(c, before.body) || got.Header().Get("ETag") != before.Header().Get("ETag") || got.str("message") != "Customer updated" {
				t.Errorf("PUT = %s (ETag %s), want the customer as it is, %s (ETag %s)", got.Body, got.Header().Get("ETag"), before.Body, before.Header().Get("ETag"))
			}
		})
	}
}

func TestCustomerConflicts(t *testing.T) {
	e := newEnv(t)
	a := e.customer("a@example.com")
	b := e.customer("b@example.com")
	conflict := e.do(req{method: "PUT", path: "/v1/customers/" + a, body: `{"email":"B@Example.com"}`})
	conflict.expect(t, http.StatusConflict, "EMAIL_ALREADY_EXISTS")
	// The answer names neither the customer holding the email nor its data.
	if body := conflict.Body.String(); strings.Contains(body, b) || strings.Contains(strings.ToLower(body), "b@example.com") {
		t.Errorf("EMAIL_ALREADY_EXISTS body %s shows the other customer", body)
	}
	if got := e.do(req{method: "GET", path: "/v1/customers/" + a}); got.str("email") != "a@example.com" {
		t.Errorf("email after a refused change = %q, want a@example.com", got.str("email"))
	}
	_, c := e.order(keyT1, "t1", "c@example.com")
	e.do(req{method: "DELETE", path: "/v1/customers/" + c}).expect(t, http.StatusConflict, "CUSTOMER_HAS_PENDING_ORDERS")
	// Another tenant may use the same email.
	e.order(keyT2, "t2", "b@example.com")
}

// listAll pages through path with limit and returns the ids in order and the number of pages.
func listAll(t *testing.T, e *env, path, field, idField string, limit int) ([]string, int) {
	t.Helper()
	var ids []string
	cursor := ""
	for pages := 1; ; pages++ {
		u := fmt.Sprintf("%s%slimit=%d", path, sep(path), limit)
		if cursor != "" {
			u += "&startAfter=" + url.QueryEscape(cursor)
		}
		got := e.do(req{method: "GET", path: u})
		got.expect(t, http.StatusOK, "")
		items, ok := got.body[field].([]any)
		if !ok {
			t.Fatalf("GET %s: %s is not an array: %s", u, field, got.Body)
		}
		for _, it := range items {
			ids = append(ids, it.(map[string]any)[idField].(string))
		}
		if got.body["count"] != float64(len(items)) || got.body["limit"] != float64(limit) {
			t.Errorf("GET %s: count %v limit %v, want %d %d", u, got.body["count"], got.body["limit"], len(items), limit)
		}
		next, isString := got.body["nextCursor"].(string)
		if _, present := got.body["nextCursor"]; !present {
			t.Fatalf("GET %s: nextCursor missing: %s", u, got.Body)
		}
		if got.body["hasMore"] != isString {
			t.Errorf("GET %s: hasMore %v with nextCursor %v", u, got.body["hasMore"], got.body["nextCursor"])
		}
		if !isString {
			return ids, pages
		}
		if pages > 100 {
			t.Fatal("more than 100 pages")
		}
		cursor = next
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func TestListCustomers(t *testing.T) {
	e := newEnv(t)
	empty := e.do(req{method: "GET", path: "/v1/customers"})
	empty.expect(t, http.StatusOK, "")
	if got := empty.Body.String(); got != `{"customers":[],"count":0,"limit":50,"hasMore":false,"nextCursor":null}`+"\n" {
		t.Errorf("empty list = %s", got)
	}

	var created []string
	for i := range 7 {
		created = append(created, e.customer(fmt.Sprintf("c%d@example.com", i)))
	}
	e.do(req{method: "DELETE", path: "/v1/customers/" + created[3]}).expect(t, 200, "")
	e.do(req{method: "PUT", path: "/v1/customers/" + created[5], body: `{"customerType":"business"}`}).expect(t, 200, "")
	active := slices.Delete(slices.Clone(created), 3, 4)
	reversed := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }

	tests := []struct {
		query string
		limit int
		want  []string
	}{
		{"", 3, reversed(active)},
		{"", 1, reversed(active)},
		{"", 100, reversed(active)},
		{"?sortDir=asc", 2, active},
		{"?sortDir=desc", 6, reversed(active)},
		{"?status=all&sortDir=asc", 3, created},
		{"?status=inactive", 3, []string{created[3]}},
		{"?customerType=business", 1, []string{created[5]}},
		{"?customerType=individual&sortDir=asc", 2, slices.Delete(slices.Clone(active), 4, 5)},
		{"?email=C2@EXAMPLE.com", 1, []string{created[2]}},
		{"?email=nobody@example.com", 5, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s limit %d", tt.query, tt.limit), func(t *testing.T) {
			got, pages := listAll(t, e, "/v1/customers"+tt.query, "customers", "customerId", tt.limit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
			if max := (len(tt.want) + tt.limit - 1) / tt.limit; pages > max+1 {
				t.Errorf("%d pages, want at most %d", pages, max+1)
			}
		})
	}
}

func TestListCursors(t *testing.T) {
	e := newEnv(t)
	for i := range 3 {
		e.customer(fmt.Sprintf("c%d@example.com", i))
	}
	first := e.do(req{method: "GET", path: "/v1/customers?limit=1&status=active"})
	cursor := first.str("nextCursor")
	if cursor == "" {
		t.Fatalf("no cursor: %s", first.Body)
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("cursor %q is not base64url: %v", cursor, err)
	}
	raw[len(raw)-1] ^= 1
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	q := url.QueryEscape
	tests := []struct {
		name, path, key, tenant string
		wantStatus              int
	}{
		{"same query", "/v1/customers?limit=1&startAfter=" + q(cursor), "", "", 200},
		{"default status is active", "/v1/customers?startAfter=" + q(cursor), "", "", 200},
		{"other limit", "/v1/customers?limit=50&status=active&startAfter=" + q(cursor), "", "", 200},
		{"tampered", "/v1/customers?limit=1&startAfter=" + q(tampered), "", "", 400},
		{"garbage", "/v1/customers?limit=1&startAfter=abc", "", "", 400},
		{"other tenant", "/v1/customers?limit=1&startAfter=" + q(cursor), keyT2, "t2", 400},
		{"other status", "/v1/customers?status=all&startAfter=" + q(cursor), "", "", 400},
		{"other sortDir", "/v1/customers?sortDir=asc&startAfter=" + q(cursor), "", "", 400},
		{"other type", "/v1/customers?customerType=individual&startAfter=" + q(cursor), "", "", 400},
		{"other email", "/v1/customers?email=c1@example.com&startAfter=" + q(cursor), "", "", 400},
		{"orders endpoint", "/v1/orders?startAfter=" + q(cursor), "", "", 400},
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
		})
	}
}

func TestListQueryParameters(t *testing.T) {
	e := newEnv(t)
	const (
		orderStatuses   = "'all' | 'pending' | 'confirmed' | 'partial' | 'fulfilled' | 'cancelled'"
		notACustomerID  = "Must be a customer id (cust_ and 26 characters)"
		totalsDeviation = "Sorting by totals.total is not supported: order totals belong to FlexPortal's product catalog, which this service does not hold"
		customDeviation = "Filtering by custom fields is not supported: it needs FlexPortal's dashboard configuration, which this service does not hold"
	)
	tests := []struct {
		path string
		want []detail // every failing parameter, in name order
	}{
		{"/v1/customers?limit=0", []detail{{"limit", "Number must be greater than or equal to 1", "too_small"}}},
		{"/v1/customers?limit=-3", []detail{{"limit", "Number must be greater than or equal to 1", "too_small"}}},
		{"/v1/customers?limit=101", []detail{{"limit", "Number must be less than or equal to 100", "too_big"}}},
		{"/v1/customers?limit=99999999999999999999", []detail{{"limit", "Number must be less than or equal to 100", "too_big"}}},
		{"/v1/customers?limit=abc", []detail{{"limit", "Expected number, received string", "invalid_type"}}},
		{"/v1/customers?limit=%2B5", []detail{{"limit", "Expected number, received string", "invalid_type"}}},
		{"/v1/customers?limit=05", []detail{{"limit", "Expected number, received string", "invalid_type"}}},
		{"/v1/customers?limit=NaN", []detail{{"limit", "Expected number, received string", "invalid_type"}}},
		{"/v1/customers?limit=1.5", []detail{{"limit", "Expected integer, received float", "invalid_type"}}},
		{"/v1/customers?limit=", []detail{{"limit", "Expected number, received string", "invalid_type"}}},
		{"/v1/customers?limit=1&limit=2", []detail{{"limit", "Expected string, received array", "invalid_type"}}},
		{"/v1/customers?status=deleted", []detail{{"status", "Invalid enum value. Expected 'active' | 'inactive' | 'all', received 'deleted'", "invalid_enum_value"}}},
		{"/v1/customers?status=ACTIVE", []detail{{"status", "Invalid enum value. Expected 'active' | 'inactive' | 'all', received 'ACTIVE'", "invalid_enum_value"}}},
		{"/v1/customers?status=", []detail{{"status", "Invalid enum value. Expected 'active' | 'inactive' | 'all', received ''", "invalid_enum_value"}}},
		{"/v1/customers?customerType=robot", []detail{{"customerType", "Invalid enum value. Expected 'individual' | 'business', received 'robot'", "invalid_enum_value"}}},
		{"/v1/customers?sortDir=up", []detail{{"sortDir", "Invalid enum value. Expected 'desc' | 'asc', received 'up'", "invalid_enum_value"}}},
		{"/v1/customers?email=" + strings.Repeat("a", 250) + "%40example.com", []detail{{"email", "String must contain at most 254 character(s)", "too_big"}}},
		{"/v1/customers?email=%20", []detail{{"email", "String must contain at least 1 character(s)", "too_small"}}},
		{"/v1/customers?page=2", []detail{{"page", "Unrecognized key(s) in object: 'page'", "unrecognized_keys"}}},
		{"/v1/customers?customerId=x", []detail{{"customerId", "Unrecognized key(s) in object: 'customerId'", "unrecognized_keys"}}},
		// The customer list has no known deviations: these are unknown parameters there.
		{"/v1/customers?customField_plan=gold", []detail{{"customField_plan", "Unrecognized key(s) in object: 'customField_plan'", "unrecognized_keys"}}},
		{"/v1/customers?status=x&limit=0&nickname=a&sortDir=up&sortDir=down", []detail{
			{"limit", "Number must be greater than or equal to 1", "too_small"},
			{"nickname", "Unrecognized key(s) in object: 'nickname'", "unrecognized_keys"},
			{"sortDir", "Expected string, received array", "invalid_type"},
			{"status", "Invalid enum value. Expected 'active' | 'inactive' | 'all', received 'x'", "invalid_enum_value"},
		}},
		{"/v1/orders?status=active", []detail{{"status", "Invalid enum value. Expected " + orderStatuses + ", received 'active'", "invalid_enum_value"}}},
		{"/v1/orders?limit=500", []detail{{"limit", "Number must be less than or equal to 100", "too_big"}}},
		{"/v1/orders?sortDir=", []detail{{"sortDir", "Invalid enum value. Expected 'desc' | 'asc', received ''", "invalid_enum_value"}}},
		{"/v1/orders?email=a%40example.com", []detail{{"email", "Unrecognized key(s) in object: 'email'", "unrecognized_keys"}}},
		{"/v1/orders?customerType=business", []detail{{"customerType", "Unrecognized key(s) in object: 'customerType'", "unrecognized_keys"}}},
		{"/v1/orders?customerId=", []detail{{"customerId", notACustomerID, "custom"}}},
		// docs/api.md's known deviations: a clear 400 naming the parameter.
		{"/v1/orders?sortBy=totals.total", []detail{{"sortBy", totalsDeviation, "custom"}}},
		{"/v1/orders?sortBy=totals.total&sortDir=asc", []detail{{"sortBy", totalsDeviation, "custom"}}},
		{"/v1/orders?customField_siebelId=1-ABC", []detail{{"customField_siebelId", customDeviation, "custom"}}},
		{"/v1/orders?customField_vendor=acme&customField_region=eu&status=pending", []detail{
			{"customField_region", customDeviation, "custom"}, {"customField_vendor", customDeviation, "custom"}}},
		{"/v1/orders?sortBy=firstName", []detail{{"sortBy", "Invalid enum value. Expected 'createdAt' | 'updatedAt' | 'orderId' | 'status', received 'firstName'", "invalid_enum_value"}}},
		{"/v1/customers?sortBy=name&hasActiveRentals=yes", []detail{
			{"hasActiveRentals", "Invalid enum value. Expected 'true' | 'false', received 'yes'", "invalid_enum_value"},
			{"sortBy", "Invalid enum value. Expected 'createdAt' | 'firstName' | 'lastName' | 'email' | 'totalMonthlyRevenue' | 'totalDevicesRented', received 'name'", "invalid_enum_value"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path[:min(len(tt.path), 80)], func(t *testing.T) {
			got := e.do(req{method: "GET", path: tt.path})
			got.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
			if msg := got.errorMessage(); msg != "Invalid query parameters" {
				t.Errorf("message %q, want %q", msg, "Invalid query parameters")
			}
			if d := got.details(t); !slices.Equal(d, tt.want) {
				t.Errorf("details %+v, want %+v", d, tt.want)
			}
		})
	}
	// What is not a query at all, and a bad cursor, stay INVALID_REQUEST.
	for _, path := range []string{"/v1/customers?%zz=1", "/v1/customers?startAfter=nope", "/v1/customers?startAfter=", "/v1/orders?startAfter="} {
		got := e.do(req{method: "GET", path: path})
		got.expect(t, http.StatusBadRequest, "INVALID_REQUEST")
		if _, ok := got.body["error"].(map[string]any)["details"]; ok {
			t.Errorf("GET %s: INVALID_REQUEST with details: %s", path, got.Body)
		}
	}
	for _, ok := range []string{"/v1/customers?limit=1&status=all&customerType=business&sortDir=asc&email=a%40b.co",
		"/v1/customers?status=active&customerType=individual", "/v1/customers?status=inactive",
		"/v1/orders?limit=100&status=cancelled&customerId=" + missingCustomer + "&sortDir=desc",
		"/v1/orders?status=pending", "/v1/orders?status=confirmed", "/v1/orders?status=partial",
		"/v1/orders?status=fulfilled", "/v1/orders?status=all&sortDir=asc"} {
		e.do(req{method: "GET", path: ok}).expect(t, http.StatusOK, "")
	}
}

func TestErrorShape(t *testing.T) {
	e := newEnv(t)
	got := e.do(req{method: "GET", path: "/v1/customers/cust_missing"})
	got.expect(t, http.StatusNotFound, "NOT_FOUND")
	var shape map[string]map[string]json.RawMessage
	if err := json.Unmarshal(got.Body.Bytes(), &shape); err != nil || len(shape) != 1 || len(shape["error"]) != 2 {
		t.Errorf("error body %s, want exactly {\"error\":{\"code\",\"message\"}}", got.Body)
	}
}

func TestConcurrentUpdatesOfDifferentFields(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"customFields":{"k%d":%d}}`, i, i)
			if i == 0 {
				body = `{"company":"Acme","customFields":{"k0":0}}`
			}
			hr := httptest.NewRequest("PUT", "/v1/customers/"+cid, strings.NewReader(body))
			hr.Header.Set("Authorization", "Bearer "+keyT1)
			hr.Header.Set("Tenant-ID", "t1")
			hr.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, hr)
			if w.Code != 200 {
				t.Errorf("PUT %s: %d %s", body, w.Code, w.Body)
			}
		})
	}
	wg.Wait()
	got := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	fields, _ := got.body["customFields"].(map[string]any)
	if len(fields) != n || got.str("company") != "Acme" {
		t.Errorf("after %d concurrent updates: customFields %v, company %q; want %d keys and Acme", n, fields, got.str("company"), n)
	}
}

// jsonType names the JSON type of a decoded value as the tables below write it.
func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// checkFields checks that obj holds every required key with its JSON type, optional keys only
// with theirs, and no other key.
func checkFields(t *testing.T, what string, obj map[string]any, required, optional map[string]string) {
	t.Helper()
	for k, typ := range required {
		if v, ok := obj[k]; !ok || jsonType(v) != typ {
			t.Errorf("%s: %s = %v (%s), want a %s", what, k, v, jsonType(v), typ)
		}
	}
	for k, v := range obj {
		if _, ok := required[k]; ok {
			continue
		}
		if typ, ok := optional[k]; !ok || jsonType(v) != typ {
			t.Errorf("%s: unexpected field %s = %v (%s)", what, k, v, jsonType(v))
		}
	}
}

var (
	idPattern      = regexp.MustCompile(`^(cust|ord)_[0-9A-HJKMNP-TV-Z]{26}$`)
	customerFields = map[string]string{
		"customerId": "string", "tenantId": "string", "email": "string", "firstName": "string", "lastName": "string",
		"customerType": "string", "status": "string", "customFields": "object", "totalOrders": "number",
		"totalDevicesRented": "number", "totalMonthlyRevenue": "number", "orderIds": "array", "rentalIds": "array",
		"createdAt": "string", "updatedAt": "string", "createdBy": "string", "version": "number",
	}
	customerOptional = map[string]string{"company": "string", "phone": "string", "lastBillingAddress": "object", "lastShippingAddress": "object"}
	orderFields      = map[string]string{
		"orderId": "string", "tenantId": "string", "status": "string", "orderType": "string", "customer": "object",
		"billingAddress": "object", "shippingAddress": "object", "items": "array", "rentalProgress": "object", "rentalIds": "array",
		"customFields": "object", "createdAt": "string", "updatedAt": "string", "createdBy": "string",
	}
	orderOptional = map[string]string{"notes": "string", "cancellationReason": "string", "extensionDetails": "object", "upgradeDetails": "object"}
)

// TestCustomerAndOrderFields checks the Customer and Order objects of docs/api.md on the wire, on a
// clock that is neither UTC nor on a millisecond: ids of the documented form, timestamps RFC 3339
// in UTC with exactly milliseconds, version 1 on creation and +1 on every change, ETag "<version>",
// createdAt kept.
func TestCustomerAndOrderFields(t *testing.T) {
	e := newEnv(t)
	zone := time.FixedZone("UTC+5", 5*3600)
	now := time.Date(2030, 3, 4, 5, 6, 7, 123456789, zone)
	e.store.Now = func() time.Time { return now }

	created := e.do(req{method: "POST", path: "/v1/orders", body: orderBody("Ada@Example.com")})
	created.expect(t, http.StatusCreated, "")
	o, _ := created.body["order"].(map[string]any)
	checkFields(t, "created order", o, orderFields, orderOptional)
	oid, cid := created.str("orderId"), created.str("order", "customer", "customerId")
	if !idPattern.MatchString(oid) || !strings.HasPrefix(oid, "ord_") || !idPattern.MatchString(cid) || !strings.HasPrefix(cid, "cust_") {
		t.Errorf("orderId %q, customerId %q, want ord_ and cust_ with a 26-character ULID", oid, cid)
	}
	const createdAt = "2030-03-04T00:06:07.123Z"
	if o["createdAt"] != createdAt || o["updatedAt"] != createdAt || o["status"] != "pending" {
		t.Errorf("order createdAt %v updatedAt %v status %v, want %s, %s, pending", o["createdAt"], o["updatedAt"], o["status"], createdAt, createdAt)
	}
	if g := e.do(req{method: "GET", path: "/v1/orders/" + oid}); !reflect.DeepEqual(g.body, o) {
		t.Errorf("GET order = %s, want the created order %v", g.Body, o)
	}

	steps := []struct {
		name      string
		r         req
		at        time.Time
		updatedAt string
	}{
		{"created", req{method: "GET", path: "/v1/customers/" + cid}, now, createdAt},
		{"updated", req{method: "PUT", path: "/v1/customers/" + cid, body: `{"lastName":"King"}`},
			time.Date(2030, 3, 4, 23, 59, 59, 999999999, time.UTC), "2030-03-04T23:59:59.999Z"},
		{"ordered again", req{method: "POST", path: "/v1/orders", body: orderBody("ada@example.com")},
			time.Date(2030, 3, 5, 1, 0, 0, 1, zone), "2030-03-04T20:00:00.000Z"},
		{"status set again", req{method: "PUT", path: "/v1/customers/" + cid, body: `{"status":"active"}`},
			time.Date(2030, 3, 6, 0, 0, 0, 500000, time.UTC), "2030-03-06T00:00:00.000Z"},
	}
	for i, st := range steps {
		now = st.at
		e.do(st.r).expect(t, map[string]int{"GET": 200, "PUT": 200, "POST": 201}[st.r.method], "")
		g := e.do(req{method: "GET", path: "/v1/customers/" + cid})
		g.expect(t, http.StatusOK, "")
		checkFields(t, st.name+" customer", g.body, customerFields, customerOptional)
		wantVersion := float64(i + 1)
		if g.body["version"] != wantVersion || g.Header().Get("ETag") != fmt.Sprintf(`"%d"`, i+1) {
			t.Errorf("%s: version %v ETag %s, want %v and \"%d\"", st.name, g.body["version"], g.Header().Get("ETag"), wantVersion, i+1)
		}
		if g.str("createdAt") != createdAt || g.str("updatedAt") != st.updatedAt {
			t.Errorf("%s: createdAt %s updatedAt %s, want %s and %s", st.name, g.str("createdAt"), g.str("updatedAt"), createdAt, st.updatedAt)
		}
		if g.str("email") != "Ada@Example.com" || g.str("status") != "active" || g.str("customerType") != "individual" {
			t.Errorf("%s: email %q status %q customerType %q, want the email as given, active, individual", st.name, g.str("email"), g.str("status"), g.str("customerType"))
		}
	}
}

// normJSON re-encodes JSON text so that two texts of the same value compare equal ("" stays "").
func normJSON(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON in test table %q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// customFieldsBody returns a PUT body setting n custom fields named prefix0…prefixN-1, plus extra
// members of the customFields object.
func customFieldsBody(prefix string, n int, extra ...string) string {
	members := slices.Clone(extra)
	for i := range n {
		members = append(members, fmt.Sprintf(`"%s%d":%d`, prefix, i, i))
	}
	return `{"customFields":{` + strings.Join(members, ",") + `}}`
}

// TestUpdateCustomerRules walks one customer (who has a pending order) through the PUT rules of
// docs/api.md. The steps run in order; want lists fields of the customer afterwards as JSON text, ""
// meaning the field is absent. A refused step must change nothing (same ETag).
func TestUpdateCustomerRules(t *testing.T) {
	e := newEnv(t)
	_, cid := e.order(keyT1, "t1", "a@example.com")
	path := "/v1/customers/" + cid
	const (
		full  = `{"contactName":"Ada","company":"AE Ltd","streetAddress":"1 St","buildingInfo":"Fl 2","locality":"Soho","city":"London","adminArea":"LDN","postalCode":"W1","country":"GB"}`
		plain = `{"contactName":"Bob","streetAddress":"2 Rd","city":"Paris","country":"FR"}`
	)
	type step struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string // the failing field of a 400 VALIDATION_ERROR
		wantIssue  string // and its issue code
		want       map[string]string
		strict     bool // sent with Prefer: handling=strict
		unchanged  bool // a 200 that writes nothing: the version stays
	}
	steps := []step{
		{"trimmed", `{"firstName":"  Grace \t"}`, 200, "", "", "", map[string]string{"firstName": `"Grace"`, "lastName": `"Lovelace"`, "email": `"a@example.com"`}, false, false},
		{"100 characters, not bytes", `{"lastName":"` + strings.Repeat("é", 100) + `"}`, 200, "", "", "", map[string]string{"lastName": `"` + strings.Repeat("é", 100) + `"`, "firstName": `"Grace"`}, false, false},
		{"101 characters", `{"lastName":"` + strings.Repeat("é", 101) + `"}`, 400, "VALIDATION_ERROR", "lastName", "too_big", nil, false, false},
		{"blank after trimming", `{"firstName":"  "}`, 400, "VALIDATION_ERROR", "firstName", "too_small", nil, false, false},
		{"wrong JSON type", `{"firstName":1}`, 400, "VALIDATION_ERROR", "firstName", "invalid_type", nil, false, false},
		{"optional fields set", `{"company":" Acme ","phone":"+44 20 7946 0000"}`, 200, "", "", "", map[string]string{"company": `"Acme"`, "phone": `"+44 20 7946 0000"`}, false, false},
		{"null removes an optional field", `{"company":null}`, 200, "", "", "", map[string]string{"company": "", "phone": `"+44 20 7946 0000"`}, false, false},
		{"null phone", `{"phone":null}`, 200, "", "", "", map[string]string{"phone": ""}, false, false},
		{"phone with an extension", `{"phone":"+31 6 1234 5678 ext. 12","company":"Acme"}`, 200, "", "", "", map[string]string{"phone": `"+31 6 1234 5678 ext. 12"`}, false, false},
		{"phone without a digit", `{"phone":"ext."}`, 400, "VALIDATION_ERROR", "phone", "custom", nil, false, false},
		{"phone of 51 characters", `{"phone":"` + strings.Repeat("1", 51) + `"}`, 400, "VALIDATION_ERROR", "phone", "too_big", nil, false, false},
		{"empty strings remove company and phone", `{"company":"","phone":"  "}`, 200, "", "", "", map[string]string{"company": "", "phone": ""}, false, false},
		{"empty string for a required field", `{"lastName":""}`, 400, "VALIDATION_ERROR", "lastName", "too_small", nil, false, false},
		{"a name without a letter", `{"firstName":"123"}`, 400, "VALIDATION_ERROR", "firstName", "custom", nil, false, false},
		{"a bidi override in a name", `{"lastName":"Lee\u202e"}`, 400, "VALIDATION_ERROR", "lastName", "custom", nil, false, false},
		{"billing address set", `{"billingAddress":` + full + `}`, 200, "", "", "", map[string]string{"lastBillingAddress": full}, false, false},
		{"billing address replaced whole", `{"billingAddress":` + plain + `}`, 200, "", "", "", map[string]string{"lastBillingAddress": plain}, false, false},
		{"address with an unknown key, ignored", `{"shippingAddress":{"contactName":"A","streetAddress":"S","city":"C","country":"X","zip":"1"}}`, 200, "", "", "", map[string]string{"lastShippingAddress": `{"contactName":"A","streetAddress":"S","city":"C","country":"X"}`}, false, false},
		{"address with an unknown key, strict", `{"shippingAddress":{"contactName":"B","streetAddress":"S","city":"C","country":"X","zip":"1"}}`, 400, "VALIDATION_ERROR", "shippingAddress.zip", "unrecognized_keys", nil, true, false},
		{"address with empty optional parts", `{"shippingAddress":{"contactName":"A","company":"","streetAddress":"S","city":"C","country":"X","postalCode":" "}}`, 200, "", "", "", map[string]string{"lastShippingAddress": `{"contactName":"A","streetAddress":"S","city":"C","country":"X"}`}, false, false},
		{"address with an empty required part", `{"shippingAddress":{"contactName":"A","streetAddress":"S","city":"","country":"X"}}`, 400, "VALIDATION_ERROR", "shippingAddress.city", "too_small", nil, false, false},
		{"address missing a required key", `{"shippingAddress":{"contactName":"A","streetAddress":"S","country":"X"}}`, 400, "VALIDATION_ERROR", "shippingAddress.city", "invalid_type", nil, false, false},
		{"shipping address set", `{"shippingAddress":` + full + `}`, 200, "", "", "", map[string]string{"lastShippingAddress": full, "lastBillingAddress": plain}, false, false},
		{"null removes an address", `{"shippingAddress":null}`, 200, "", "", "", map[string]string{"lastShippingAddress": "", "lastBillingAddress": plain}, false, false},
		{"null billing address", `{"billingAddress":null}`, 200, "", "", "", map[string]string{"lastBillingAddress": ""}, false, false},
		{"custom fields set", `{"customFields":{"plan":"silver","old":"x","seats":3}}`, 200, "", "", "", map[string]string{"customFields": `{"plan":"silver","old":"x","seats":3}`}, false, false},
		{"custom fields merged", `{"customFields":{"plan":"gold","old":null}}`, 200, "", "", "", map[string]string{"customFields": `{"plan":"gold","seats":3}`}, false, false},
		{"50 custom fields in the result", customFieldsBody("k", 48), 200, "", "", "", nil, false, false},
		{"51 custom fields in the result", `{"customFields":{"one":"more"}}`, 400, "VALIDATION_ERROR", "customFields", "too_big", nil, false, false},
		{"51 set, 1 removed", `{"customFields":{"one":"more","plan":null}}`, 200, "", "", "", nil, false, false},
		{"customerId of the path is ignored", `{"customerId":"` + cid + `","customerType":"business"}`, 200, "", "", "", map[string]string{"customerType": `"business"`}, false, false},
		{"only the customerId of the path: nothing to change", `{"customerId":"` + cid + `"}`, 200, "", "", "", map[string]string{"customerType": `"business"`}, false, true},
		{"another customerId", `{"customerId":"` + missingCustomer + `","firstName":"X"}`, 400, "VALIDATION_ERROR", "customerId", "custom", nil, false, false},
		{"nothing to change", `{}`, 200, "", "", "", nil, false, true},
		{"nothing to change, strict", `{}`, 200, "", "", "", nil, true, true},
		{"only an unknown field: nothing to change", `{"nickname":"Al"}`, 200, "", "", "", nil, false, true},
		{"an unknown field is ignored", `{"nickname":"Al","firstName":"Al"}`, 200, "", "", "", map[string]string{"firstName": `"Al"`}, false, false},
		{"unknown field, strict", `{"nickname":"Al","firstName":"Grace"}`, 400, "VALIDATION_ERROR", "nickname", "unrecognized_keys", nil, true, false},
		{"another customerId, strict", `{"customerId":"` + missingCustomer + `"}`, 400, "VALIDATION_ERROR", "customerId", "custom", nil, true, false},
		{"back to Grace", `{"firstName":"Grace"}`, 200, "", "", "", map[string]string{"firstName": `"Grace"`}, true, false},
		{"bad enum", `{"status":"deleted"}`, 400, "VALIDATION_ERROR", "status", "invalid_enum_value", nil, false, false},
		{"bad email", `{"email":"Ada <a@example.com>"}`, 400, "VALIDATION_ERROR", "email", "invalid_string", nil, false, false},
		{"an email with KELVIN SIGN", `{"email":"\u212a@example.com"}`, 400, "VALIDATION_ERROR", "email", "invalid_string", nil, false, false},
		{"an email with a zero-width space", `{"email":"a\u200b@example.com"}`, 400, "VALIDATION_ERROR", "email", "invalid_string", nil, false, false},
		{"a decomposed email, stored composed", `{"email":"Rene\u0301@example.com"}`, 200, "", "", "", map[string]string{"email": `"Ren\u00e9@example.com"`}, false, false},
		{"own email in another case, stored as given", `{"email":"A@Example.COM"}`, 200, "", "", "", map[string]string{"email": `"A@Example.COM"`}, false, false},
		{"inactive while an order is pending", `{"status":"inactive","firstName":"Gone"}`, 409, "CUSTOMER_HAS_PENDING_ORDERS", "", "", map[string]string{"status": `"active"`, "firstName": `"Grace"`}, false, false},
	}
	for _, required := range []string{"email", "firstName", "lastName", "customerType", "status"} {
		steps = append(steps, step{"null " + required, `{"` + required + `":null}`, 400, "VALIDATION_ERROR", required, "invalid_type", nil, false, false})
	}
	for _, ro := range customer.ReadOnlyFields {
		steps = append(steps,
			step{"read-only " + ro + " ignored", `{"` + ro + `":{"x":1},"firstName":"X"}`, 200, "", "", "", map[string]string{"firstName": `"X"`}, false, false},
			step{"read-only " + ro + ", strict", `{"` + ro + `":null,"firstName":"Y"}`, 400, "VALIDATION_ERROR", ro, "unrecognized_keys", nil, true, false})
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := e.do(req{method: "GET", path: path})
			r := req{method: "PUT", path: path, body: st.body}
			if st.strict {
				r.header = http.Header{"Prefer": {"handling=strict"}}
			}
			got := e.do(r)
			got.expect(t, st.wantStatus, st.wantCode)
			if applied, want := got.Header().Get("Preference-Applied"), map[bool]string{true: "handling=strict"}[st.strict]; applied != want {
				t.Errorf("Preference-Applied = %q, want %q", applied, want)
			}
			if st.wantIssue != "" {
				var parsed struct {
					Error struct{ Details []struct{ Path, Code string } }
				}
				_ = json.Unmarshal(got.Body.Bytes(), &parsed)
				if d := parsed.Error.Details; len(d) != 1 || d[0].Path != st.wantField || d[0].Code != st.wantIssue {
					t.Errorf("details %+v, want the one field %q, code %s", d, st.wantField, st.wantIssue)
				}
			}
			after := e.do(req{method: "GET", path: path})
			if (st.wantStatus >= 400 || st.unchanged) && after.Body.String() != before.Body.String() {
				t.Errorf("the PUT changed the customer:\n got %s\nwant %s", after.Body, before.Body)
			}
			if st.unchanged {
				// The customer as it is, in the envelope of an update, with its ETag.
				c, _ := got.body["customer"].(map[string]any)
				if !reflect.DeepEqual(c, before.body) || got.Header().Get("ETag") != before.Header().Get("ETag") || got.str("message") != "Customer updated" {
					t.Errorf("PUT answered %s (ETag %s), want the customer as it is %s (ETag %s)", got.Body, got.Header().Get("ETag"), before.Body, before.Header().Get("ETag"))
				}
			}
			if v, _ := before.body["version"].(float64); st.wantStatus == 200 && !st.unchanged && after.body["version"] != v+1 {
				t.Errorf("version %v after an update of version %v, want %v", after.body["version"], v, v+1)
			}
			for field, want := range st.want {
				gotJSON := ""
				if v, ok := after.body[field]; ok {
					b, _ := json.Marshal(v)
					gotJSON = string(b)
				}
				if gotJSON != normJSON(t, want) {
					t.Errorf("%s = %s, want %s", field, gotJSON, cmp.Or(want, "(absent)"))
				}
			}
		})
	}
	if n := len(e.do(req{method: "GET", path: path}).body["customFields"].(map[string]any)); n != 50 {
		t.Errorf("customFields has %d keys at the end, want 50", n)
	}
}

// TestListDefaultLimit: without limit a page holds 50 items; limit=100 holds up to 100.
func TestListDefaultLimit(t *testing.T) {
	e := newEnv(t)
	for i := range 51 {
		e.order(keyT1, "t1", fmt.Sprintf("c%02d@example.com", i))
	}
	tests := []struct {
		path, field string
		wantItems   int
		wantLimit   float64
		wantMore    bool
	}{
		{"/v1/customers", "customers", 50, 50, true},
		{"/v1/customers?limit=100", "customers", 51, 100, false},
		{"/v1/orders", "orders", 50, 50, true},
		{"/v1/orders?limit=100", "orders", 51, 100, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := e.do(req{method: "GET", path: tt.path})
			got.expect(t, http.StatusOK, "")
			items, _ := got.body[tt.field].([]any)
			if len(items) != tt.wantItems || got.body["count"] != float64(tt.wantItems) || got.body["limit"] != tt.wantLimit || got.body["hasMore"] != tt.wantMore {
				t.Errorf("%d %s, count %v, limit %v, hasMore %v; want %d, %d, %v, %v",
					len(items), tt.field, got.body["count"], got.body["limit"], got.body["hasMore"], tt.wantItems, tt.wantItems, tt.wantLimit, tt.wantMore)
			}
		})
	}
}
