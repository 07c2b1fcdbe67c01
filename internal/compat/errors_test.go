package compat_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// codeStatus is the status of each error code: FlexPortal's codes table (API overview, Error
// Codes Reference), the codes its Customers and Orders pages name (statuses from docs/api.md),
// and docs/api.md's own.
var codeStatus = map[string]int{
	// FlexPortal's codes table.
	"AUTH_REQUIRED":            401,
	"INVALID_TOKEN":            401,
	"NO_TENANT_ACCESS":         403,
	"INSUFFICIENT_PERMISSIONS": 403,
	"NOT_FOUND":                404,
	"VALIDATION_ERROR":         400,
	"ASSET_EXISTS":             409,
	"VARIANT_IN_USE":           409,
	"ORDER_NOT_CANCELLABLE":    400,
	// Named on the Delete Customer and Cancel Order pages.
	"CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS": 409,
	"CUSTOMER_HAS_PENDING_ORDERS":       409,
	"ALREADY_CANCELLED":                 400,
	// docs/api.md's, for what FlexPortal's pages leave unsaid.
	"INVALID_REQUEST":        400,
	"METHOD_NOT_ALLOWED":     405,
	"EMAIL_ALREADY_EXISTS":   409,
	"CUSTOMER_INACTIVE":      409,
	"PRECONDITION_FAILED":    412,
	"PAYLOAD_TOO_LARGE":      413,
	"UNSUPPORTED_MEDIA_TYPE": 415,
	"IDEMPOTENCY_KEY_REUSED": 422,
}

// unreachable says, for each code above that no request can produce here, why.
var unreachable = map[string]string{
	"ASSET_EXISTS":   "assets are not served (docs/api.md: Customers and Orders only)",
	"VARIANT_IN_USE": "products are not served (docs/api.md: Customers and Orders only)",
}

// detail is an expected entry of a VALIDATION_ERROR's details; empty message or code is not
// checked.
type detail struct{ path, message, code string }

// errorCase is a request and the error it must get.
type errorCase struct {
	name    string
	before  func(t *testing.T, srv *server) // brings the store to the state the case needs
	r       request
	setup   func(t *testing.T, srv *server) request // if set, makes the state and the request, in place of r
	code    string
	details []detail // VALIDATION_ERROR's, all of them
	header  string   // a header the answer must carry
}

// checkError fails t unless r is the error of c: the code's status, the code, FlexPortal's error
// shape (schemas/error.json) and, for VALIDATION_ERROR, exactly the details wanted.
func checkError(t *testing.T, r response, c errorCase) {
	t.Helper()
	status, ok := codeStatus[c.code]
	if !ok {
		t.Fatalf("code %s has no status in codeStatus", c.code)
	}
	if r.status != status {
		t.Errorf("status %d, want %d for %s (body %s)", r.status, status, c.code, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	validate(t, "error", r.body)
	b := r.object(t)
	if got := str(b, "error", "code"); got != c.code {
		t.Errorf("error.code %q, want %q (body %s)", got, c.code, r.body)
	}
	if str(b, "error", "message") == "" {
		t.Errorf("error.message is empty (body %s)", r.body)
	}
	got, _ := field(b, "error", "details").([]any)
	if len(got) != len(c.details) {
		t.Errorf("%d details, want %d %v (body %s)", len(got), len(c.details), c.details, r.body)
	}
	for _, d := range c.details {
		i := slices.IndexFunc(got, func(g any) bool { return str(g, "path") == d.path })
		if i < 0 {
			t.Errorf("no detail at path %q (body %s)", d.path, r.body)
			continue
		}
		if d.code != "" && str(got[i], "code") != d.code {
			t.Errorf("detail %s: code %q, want %q", d.path, str(got[i], "code"), d.code)
		}
		if d.message != "" && str(got[i], "message") != d.message {
			t.Errorf("detail %s: message %q, want %q", d.path, str(got[i], "message"), d.message)
		}
	}
	if c.header != "" && r.header.Get(c.header) == "" {
		t.Errorf("no %s header", c.header)
	}
}

// errorCases are the cases of TestErrorCodes, on the seed.
func errorCases(t *testing.T) []errorCase {
	t.Helper()
	const (
		missingCustomer = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W" // of the right form, naming nothing
		missingOrder    = "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"
	)
	newOrder := func(email string) []byte { // a valid order for a customer the seed does not have
		return jsonBody(t, seedOrderBody(email, "Eva", "Nieuw", "individual", "ERR-1"))
	}
	// A valid request of each operation, on the seed's records, so that only what a case
	// changes is wrong.
	valid := map[string]request{}
	for _, op := range operations {
		r := request{method: op.method, path: strings.NewReplacer("{customerId}", seed.john.id, "{orderId}", seed.johnOrder).Replace(op.path)}
		switch op.schema {
		case "update-customer":
			r.body = []byte(`{"firstName": "Johnny"}`)
		case "create-order":
			r.body = newOrder("new@example.com")
		case "cancel-order":
			r.body = []byte(`{"reason": "Ordered twice"}`)
		case "update-order-notes":
			r.body = []byte(`{"notes": "Leave at the door"}`)
		}
		if r.body != nil {
			r.header = jsonHeader
		}
		valid[op.String()] = r
	}
	with := func(op string, h http.Header) request { // valid[op] with its headers replaced by h
		r := valid[op]
		out := jsonHeader.Clone()
		if r.body == nil {
			out = http.Header{}
		}
		for k, v := range h {
			out[http.CanonicalHeaderKey(k)] = v
		}
		r.header = out
		return r
	}
	body := func(op, b string) request { r := valid[op]; r.body = []byte(b); return r }
	query := func(op string, kv ...string) request {
		r := valid[op]
		r.query = url.Values{}
		for i := 0; i < len(kv); i += 2 {
			r.query.Set(kv[i], kv[i+1])
		}
		return r
	}
	long := func(n int) string { return strings.Repeat("x", n) }

	var cases []errorCase
	for _, op := range operations {
		k := op.String()
		cases = append(cases,
			errorCase{name: k + "/no Authorization", r: with(k, http.Header{"Authorization": nil}), code: "AUTH_REQUIRED"},
			errorCase{name: k + "/not Bearer", r: with(k, http.Header{"Authorization": {"Basic " + keyAll}}), code: "INVALID_TOKEN"},
			errorCase{name: k + "/unknown key", r: with(k, http.Header{"Authorization": {"Bearer fp-no-such-key"}}), code: "INVALID_TOKEN"},
			errorCase{name: k + "/revoked key", r: with(k, http.Header{"Authorization": {"Bearer " + keyRevoked}}), code: "INVALID_TOKEN"},
			errorCase{name: k + "/no Tenant-ID", r: with(k, http.Header{"Tenant-ID": nil}), code: "NO_TENANT_ACCESS"},
			errorCase{name: k + "/empty Tenant-ID", r: with(k, http.Header{"Tenant-ID": {""}}), code: "NO_TENANT_ACCESS"},
			errorCase{name: k + "/Tenant-ID twice", r: with(k, http.Header{"Tenant-ID": {tenant, tenant}}), code: "NO_TENANT_ACCESS"},
			errorCase{name: k + "/tenant not granted", r: with(k, http.Header{"Tenant-ID": {otherTenant}}), code: "NO_TENANT_ACCESS"},
			errorCase{name: k + "/without " + string(op.scope), r: with(k, http.Header{"Authorization": {"Bearer " + keyWithout(op.scope)}}), code: "INSUFFICIENT_PERMISSIONS"},
		)
		if strings.Contains(op.path, "{") {
			missing := strings.NewReplacer("{customerId}", missingCustomer, "{orderId}", missingOrder).Replace(op.path)
			others := strings.NewReplacer("{customerId}", seed.otherCust, "{orderId}", seed.otherOrder).Replace(op.path)
			r := valid[k]
			r.path = missing
			cases = append(cases, errorCase{name: k + "/no such id", r: r, code: "NOT_FOUND"})
			r.path = others
			cases = append(cases, errorCase{name: k + "/another tenant's id", r: r, code: "NOT_FOUND"})
		}
	}
	const (
		put, del, create, cancel = "PUT /v1/customers/{customerId}", "DELETE /v1/customers/{customerId}", "POST /v1/orders", "POST /v1/orders/{orderId}/cancel"
		notes, listC, listO      = "PATCH /v1/orders/{orderId}/notes", "GET /v1/customers", "GET /v1/orders"
	)
	cases = append(cases,
		// No route is found before any auth: without a key or a tenant.
		errorCase{name: "route FlexPortal has and we do not", r: request{method: "GET", path: "/v1/subscriptions", header: withAuth("", "", nil)}, code: "NOT_FOUND"},

		// FlexPortal's overview shows this error body: it is the answer, to the letter.
		errorCase{name: "overview's invalid email", r: body(create, strings.Replace(string(newOrder("x@example.com")), `"x@example.com"`, `"not-an-email"`, 1)),
			code: "VALIDATION_ERROR", details: []detail{{"customer.email", "Invalid email format", "invalid_string"}}},
		errorCase{name: "order without items", r: body(create, `{"customer": {"email": "a@example.com", "firstName": "A", "lastName": "B"},
			"billingAddress": {"contactName": "A B", "streetAddress": "Damrak 1", "city": "Amsterdam", "country": "Netherlands"}}`),
			code: "VALIDATION_ERROR", details: []detail{{"items", "Required", "invalid_type"}}},
		errorCase{name: "order contract over 120", r: body(create, strings.Replace(string(newOrder("q@example.com")), `"contractLength":12`, `"contractLength":121`, 1)),
			code: "VALIDATION_ERROR", details: []detail{{path: "items.0.contractLength", code: "too_big"}}},
		errorCase{name: "order type unknown", r: body(create, strings.Replace(string(newOrder("t@example.com")), `{`, `{"orderType": "rental", `, 1)),
			code: "VALIDATION_ERROR", details: []detail{{path: "orderType", code: "invalid_enum_value"}}},
		errorCase{name: "order notes over 5000", r: body(create, strings.Replace(string(newOrder("n@example.com")), `{`, `{"notes": "`+long(5001)+`", `, 1)),
			code: "VALIDATION_ERROR", details: []detail{{path: "notes", code: "too_big"}}},
		errorCase{name: "update: every failing field", r: body(put, `{"email": "not-an-email", "firstName": "", "customerType": "vip"}`),
			code: "VALIDATION_ERROR", details: []detail{{path: "email", code: "invalid_string"}, {path: "firstName", code: "too_small"},
				{path: "customerType", code: "invalid_enum_value"}}},
		errorCase{name: "update: address without city", r: body(put, `{"billingAddress": {"contactName": "A", "streetAddress": "Damrak 1", "country": "Netherlands"}}`),
			code: "VALIDATION_ERROR", details: []detail{{"billingAddress.city", "Required", "invalid_type"}}},
		errorCase{name: "cancel reason over 1000", r: body(cancel, `{"reason": "`+long(1001)+`"}`),
			code: "VALIDATION_ERROR", details: []detail{{path: "reason", code: "too_big"}}},
		errorCase{name: "notes over 5000", r: body(notes, `{"notes": "`+long(5001)+`"}`),
			code: "VALIDATION_ERROR", details: []detail{{path: "notes", code: "too_big"}}},
		errorCase{name: "notes missing", r: body(notes, `{}`),
			code: "VALIDATION_ERROR", details: []detail{{"notes", "Required", "invalid_type"}}},
		errorCase{name: "customers: limit over 100", r: query(listC, "limit", "101"),
			code: "VALIDATION_ERROR", details: []detail{{path: "limit", code: "too_big"}}},
		errorCase{name: "customers: limit 0", r: query(listC, "limit", "0"),
			code: "VALIDATION_ERROR", details: []detail{{path: "limit", code: "too_small"}}},
		errorCase{name: "customers: unknown sort", r: query(listC, "sortBy", "totalOrders"),
			code: "VALIDATION_ERROR", details: []detail{{path: "sortBy", code: "invalid_enum_value"}}},
		errorCase{name: "customers: unknown status", r: query(listC, "status", "deleted"),
			code: "VALIDATION_ERROR", details: []detail{{path: "status", code: "invalid_enum_value"}}},
		errorCase{name: "customers: unknown parameter", r: query(listC, "search", "john"),
			code: "VALIDATION_ERROR", details: []detail{{path: "search"}}},
		errorCase{name: "orders: unknown status", r: query(listO, "status", "shipped"),
			code: "VALIDATION_ERROR", details: []detail{{path: "status", code: "invalid_enum_value"}}},
		errorCase{name: "orders: sort by totals.total (known deviation)", r: query(listO, "sortBy", "totals.total"),
			code: "VALIDATION_ERROR", details: []detail{{path: "sortBy"}}},

		errorCase{name: "cancel a cancelled order", r: func() request { r := valid[cancel]; r.path = "/v1/orders/" + seed.cancelled + "/cancel"; return r }(),
			code: "ALREADY_CANCELLED"},
		errorCase{name: "delete with a pending order", r: valid[del], code: "CUSTOMER_HAS_PENDING_ORDERS"},
		// A device rented (FlexPortal's subscription.created, applied as the rental-events function does).
		errorCase{name: "delete while renting", code: "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", setup: func(t *testing.T, srv *server) request {
			cust, _ := renting(t, srv, "renter-delete@example.com")
			r := valid[del]
			r.path = "/v1/customers/" + cust
			return r
		}},
		errorCase{name: "deactivate by PUT while renting", code: "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", setup: func(t *testing.T, srv *server) request {
			cust, _ := renting(t, srv, "renter-put@example.com")
			r := body(put, `{"status": "inactive"}`)
			r.path = "/v1/customers/" + cust
			return r
		}},
		errorCase{name: "cancel an order with a rented device", code: "ORDER_NOT_CANCELLABLE", setup: func(t *testing.T, srv *server) request {
			_, ord := renting(t, srv, "renter-cancel@example.com")
			r := valid[cancel]
			r.path = "/v1/orders/" + ord + "/cancel"
			return r
		}},
		errorCase{name: "deactivate by PUT with a pending order", r: body(put, `{"status": "inactive"}`), code: "CUSTOMER_HAS_PENDING_ORDERS"},
		errorCase{name: "order for an inactive customer", r: body(create, string(newOrder(seed.inactive.email))), code: "CUSTOMER_INACTIVE"},
		errorCase{name: "email of another customer", r: body(put, `{"email": "`+seed.customers[0].email+`"}`), code: "EMAIL_ALREADY_EXISTS"},
		errorCase{name: "PUT with a stale If-Match", r: with(put, http.Header{"If-Match": {`"999"`}}), code: "PRECONDITION_FAILED"},
		// 412 comes before 409 (docs/api.md): the pending order is not what is said.
		errorCase{name: "DELETE with a stale If-Match", r: with(del, http.Header{"If-Match": {`"999"`}}), code: "PRECONDITION_FAILED"},
		errorCase{name: "method FlexPortal does not have", r: request{method: "PATCH", path: "/v1/customers/" + seed.john.id, header: withAuth("", "", nil)},
			code: "METHOD_NOT_ALLOWED", header: "Allow"},
		errorCase{name: "body not JSON", r: body(create, `{"customer": `), code: "INVALID_REQUEST"},
		errorCase{name: "body not an object", r: body(put, `[]`), code: "INVALID_REQUEST"},
		errorCase{name: "body with a key twice", r: body(notes, `{"notes": "a", "notes": "b"}`), code: "INVALID_REQUEST"},
		errorCase{name: "customers: cursor not ours", r: query(listC, "startAfter", "cust_abc123"), code: "INVALID_REQUEST"},
		errorCase{name: "orders: cursor not ours", r: query(listO, "startAfter", "ord_abc123xyz"), code: "INVALID_REQUEST"},
		errorCase{name: "order: Idempotency-Key reused with another body",
			before: func(t *testing.T, srv *server) {
				r := with(create, http.Header{"Idempotency-Key": {"retry-1"}})
				srv.do(t, r).must(t, 201)
			},
			r: func() request {
				r := with(create, http.Header{"Idempotency-Key": {"retry-1"}})
				r.body = newOrder("someone-else@example.com")
				return r
			}(),
			code: "IDEMPOTENCY_KEY_REUSED"},
	)
	for _, k := range []string{put, create, cancel, notes} {
		cases = append(cases,
			errorCase{name: k + "/body over 64 KiB", r: body(k, `{"notes": "`+long(64<<10)+`"}`), code: "PAYLOAD_TOO_LARGE"},
			errorCase{name: k + "/text/plain", r: with(k, http.Header{"Content-Type": {"text/plain"}}), code: "UNSUPPORTED_MEDIA_TYPE"},
			errorCase{name: k + "/no Content-Type", r: with(k, http.Header{"Content-Type": nil}), code: "UNSUPPORTED_MEDIA_TYPE"},
		)
	}
	return cases
}

// TestErrorCodes makes each error code happen, on every endpoint that can produce it where the
// cause is the request's alone (auth, ids, bodies), and checks status, code and shape. A code of
// FlexPortal's that no request can produce here is a skipped subtest saying why.
func TestErrorCodes(t *testing.T) {
	srv := fresh(t)
	seen := map[string]bool{}
	for _, c := range errorCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.before != nil {
				c.before(t, srv)
			}
			r := c.r
			if c.setup != nil {
				r = c.setup(t, srv)
			}
			checkError(t, srv.do(t, r), c)
		})
		seen[c.code] = true
	}
	for code := range codeStatus {
		reason, skip := unreachable[code]
		switch {
		case skip && seen[code]:
			t.Errorf("%s is said to be unreachable, but a case produces it", code)
		case skip:
			t.Run(code, func(t *testing.T) { t.Skip(reason) })
		case !seen[code]:
			t.Errorf("no case produces %s", code)
		}
	}
}
