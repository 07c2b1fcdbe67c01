package compat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// example is one file of testdata/examples: a request FlexPortal's pages show (README.md).
type example struct {
	Name         string            `json:"name"`
	Source       string            `json:"source"`
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Query        map[string]string `json:"query"`
	Headers      map[string]string `json:"headers"`
	Body         json.RawMessage   `json:"body"`
	ExpectStatus int               `json:"expectStatus"`
}

// hasBody reports whether the example sends a body.
func (ex example) hasBody() bool {
	return len(ex.Body) > 0 && !bytes.Equal(bytes.TrimSpace(ex.Body), []byte("null"))
}

// deviations are the examples docs/api.md answers otherwise than FlexPortal (its Known
// deviations): 400 VALIDATION_ERROR naming the query parameter.
var deviations = map[string]string{
	"overview-custom-field-filter-siebel": "customField_siebelId",
	"overview-custom-field-filter-vendor": "customField_vendorCode",
}

// loadExamples reads every file of testdata/examples, failing t on a file that does not keep
// README.md's format.
func loadExamples(t *testing.T) []example {
	t.Helper()
	files, err := filepath.Glob("testdata/examples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/examples/*.json")
	}
	var out []example
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b, &keys); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(keys) != 8 {
			t.Errorf("%s has %d keys, want README.md's eight", f, len(keys))
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var ex example
		if err := dec.Decode(&ex); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); ex.Name != want {
			t.Errorf("%s is named %q, want %q", f, ex.Name, want)
		}
		if page, heading, ok := strings.Cut(ex.Source, "#"); !ok || !strings.HasPrefix(page, "docs/") || heading == "" {
			t.Errorf("%s: source %q is not <page under docs/>#<heading>", f, ex.Source)
		}
		op, ok := operationOf(ex.Method, ex.Path)
		if !ok {
			t.Errorf("%s: %s %s is none of FlexPortal's Customers and Orders operations", f, ex.Method, ex.Path)
		} else if ex.ExpectStatus != op.status {
			t.Errorf("%s: expectStatus %d, but FlexPortal documents %d for %v", f, ex.ExpectStatus, op.status, op)
		}
		if ex.hasBody() && !strings.HasPrefix(ex.Headers["Content-Type"], "application/json") {
			t.Errorf("%s sends a body without Content-Type: application/json", f)
		}
		out = append(out, ex)
	}
	return out
}

// TestExampleFiles: every operation has an example, every schema serves an operation, and every
// deviation names an example.
func TestExampleFiles(t *testing.T) {
	examples := loadExamples(t)
	for _, op := range operations {
		if !slices.ContainsFunc(examples, func(ex example) bool { return ex.Method == op.method && ex.Path == op.path }) {
			t.Errorf("no example of %v", op)
		}
	}
	all, err := schemas()
	if err != nil {
		t.Fatal(err)
	}
	for name := range all {
		if name != "error" && !slices.ContainsFunc(operations, func(op operation) bool { return op.schema == name }) {
			t.Errorf("schema %s.json describes no operation", name)
		}
	}
	for name := range deviations {
		if !slices.ContainsFunc(examples, func(ex example) bool { return ex.Name == name }) {
			t.Errorf("deviation %s names no example", name)
		}
	}
}

// TestExamples sends each example to a fresh copy of the seed, as FlexPortal's client would, and
// checks the answer: FlexPortal's status, its schema of the operation's response, that the change
// the example asks for happened (read back), and for a list, every page to the end.
func TestExamples(t *testing.T) {
	for _, ex := range loadExamples(t) {
		t.Run(ex.Name, func(t *testing.T) {
			if _, ok := operationOf(ex.Method, ex.Path); !ok {
				t.Fatalf("no operation %s %s", ex.Method, ex.Path)
			}
			srv := fresh(t)
			ids := strings.NewReplacer("{customerId}", seed.john.id, "{orderId}", seed.johnOrder)
			prepare(t, srv, ex)
			r := srv.do(t, exampleRequest(ex, ids)) // a success is held to its schema there
			if param, ok := deviations[ex.Name]; ok {
				checkError(t, r, errorCase{code: "VALIDATION_ERROR", details: []detail{{path: param}}})
				return
			}
			if r.status != ex.ExpectStatus {
				t.Fatalf("%s %s: status %d, want %d (body %s)", ex.Method, ex.Path, r.status, ex.ExpectStatus, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			checkEffect(t, srv, ex, ids, r)
		})
	}
}

// exampleRequest is the example with its placeholders replaced by ids and the suite's key.
func exampleRequest(ex example, ids *strings.Replacer) request {
	r := request{method: ex.Method, path: ids.Replace(ex.Path), header: http.Header{}}
	if len(ex.Query) > 0 {
		r.query = url.Values{}
		for k, v := range ex.Query {
			r.query.Set(k, ids.Replace(v))
		}
	}
	for k, v := range ex.Headers {
		r.header.Set(k, v)
	}
	if ex.hasBody() {
		r.body = ex.Body
	}
	return r
}

// prepare brings the seed to the state the example implies (README.md, expectStatus), through
// the API as a client would: a customer deleted has no pending order (Delete Customer's
// prerequisites), and a customer reactivated is inactive.
func prepare(t *testing.T, srv *server, ex example) {
	t.Helper()
	if ex.Path != "/v1/customers/{customerId}" {
		return
	}
	var body struct{ Status string }
	if ex.hasBody() {
		if err := json.Unmarshal(ex.Body, &body); err != nil {
			t.Fatal(err)
		}
	}
	if ex.Method == "DELETE" || ex.Method == "PUT" && body.Status == "active" {
		srv.do(t, request{method: "POST", path: "/v1/orders/" + seed.johnOrder + "/cancel"}).must(t, 200)
	}
	if ex.Method == "PUT" && body.Status == "active" {
		srv.do(t, request{method: "DELETE", path: "/v1/customers/" + seed.john.id}).must(t, 200)
	}
}

// checkEffect checks what the example's answer says and what it changed, by reading it back.
func checkEffect(t *testing.T, srv *server, ex example, ids *strings.Replacer, r response) {
	t.Helper()
	got := r.object(t)
	var body map[string]any
	if ex.hasBody() {
		if err := json.Unmarshal(ex.Body, &body); err != nil {
			t.Fatal(err)
		}
	}
	path := ids.Replace(ex.Path)
	switch ex.Method + " " + ex.Path {
	case "GET /v1/customers/{customerId}":
		if id := str(got, "customerId"); id != seed.john.id {
			t.Errorf("customerId %q, want %q", id, seed.john.id)
		}
	case "GET /v1/orders/{orderId}":
		if id := str(got, "orderId"); id != seed.johnOrder {
			t.Errorf("orderId %q, want %q", id, seed.johnOrder)
		}
	case "PUT /v1/customers/{customerId}":
		want := map[string]any{}
		for k, v := range body {
			switch k {
			case "billingAddress", "shippingAddress": // a PUT sets the customer's last addresses
				k = "last" + strings.ToUpper(k[:1]) + k[1:]
			}
			want[k] = v
		}
		c := field(got, "customer")
		subset(t, "customer", want, c)
		if id := str(got, "customerId"); id != seed.john.id {
			t.Errorf("customerId %q, want %q", id, seed.john.id)
		}
		readBack(t, srv, path, c)
	case "DELETE /v1/customers/{customerId}":
		if id := str(got, "customerId"); id != seed.john.id {
			t.Errorf("customerId %q, want %q", id, seed.john.id)
		}
		if st := str(srv.do(t, request{method: "GET", path: path}).must(t, 200), "status"); st != "inactive" {
			t.Errorf("status after DELETE %q, want inactive", st)
		}
	case "POST /v1/orders":
		o := field(got, "order")
		subset(t, "order", body, o)
		// FlexPortal's defaults (Create Order): a standard order, shipped to the billing address,
		// each line 12 months; pending when placed.
		want := map[string]any{"status": "pending", "orderType": "standard"}
		if _, ok := body["shippingAddress"]; !ok {
			want["shippingAddress"] = body["billingAddress"]
		}
		subset(t, "order", want, o)
		items, _ := field(o, "items").([]any)
		for i, it := range items {
			if _, ok := field(body["items"].([]any)[i], "contractLength").(float64); !ok {
				subset(t, fmt.Sprintf("order.items.%d", i), map[string]any{"contractLength": 12.0}, it)
			}
		}
		id := str(got, "orderId")
		if loc := r.header.Get("Location"); loc != "/v1/orders/"+id {
			t.Errorf("Location %q, want /v1/orders/%s", loc, id)
		}
		readBack(t, srv, "/v1/orders/"+id, o)
		custPath := "/v1/customers/" + str(o, "customer", "customerId")
		cust := srv.do(t, request{method: "GET", path: custPath}).must(t, 200)
		subset(t, "the order's customer", body["customer"], cust)
		// A retried create is safe (API overview, Idempotency): the same request answers the
		// order it made, and makes no other.
		again := srv.do(t, exampleRequest(ex, ids))
		if id2 := str(again.must(t, 201), "orderId"); id2 != id {
			t.Errorf("the retried create answered order %s, want the first, %s", id2, id)
		}
		after := srv.do(t, request{method: "GET", path: custPath}).must(t, 200)
		if after["totalOrders"] != cust["totalOrders"] {
			t.Errorf("totalOrders %v after the retry, want %v", after["totalOrders"], cust["totalOrders"])
		}
	case "POST /v1/orders/{orderId}/cancel":
		if id := str(got, "orderId"); id != seed.johnOrder {
			t.Errorf("orderId %q, want %q", id, seed.johnOrder)
		}
		if st := str(srv.do(t, request{method: "GET", path: "/v1/orders/" + seed.johnOrder}).must(t, 200), "status"); st != "cancelled" {
			t.Errorf("status after cancel %q, want cancelled", st)
		}
	case "PATCH /v1/orders/{orderId}/notes":
		if id := str(got, "orderId"); id != seed.johnOrder {
			t.Errorf("orderId %q, want %q", id, seed.johnOrder)
		}
		o := srv.do(t, request{method: "GET", path: "/v1/orders/" + seed.johnOrder}).must(t, 200)
		subset(t, "order", map[string]any{"notes": body["notes"]}, o)
	case "GET /v1/customers", "GET /v1/orders":
		pageAll(t, srv, ex, ids, got)
	default:
		t.Fatalf("no effect check for %s %s", ex.Method, ex.Path)
	}
}

// readBack fails t unless a GET of path answers want, the record the change answered.
func readBack(t *testing.T, srv *server, path string, want any) {
	t.Helper()
	got := srv.do(t, request{method: "GET", path: path}).must(t, 200)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GET %s = %v, want the record the change answered, %v", path, got, want)
	}
}

// subset fails t unless every member of want is in got with the same value, recursively; arrays
// match element by element.
func subset(t *testing.T, at string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s = %v, want an object with %v", at, got, want)
			return
		}
		for k, v := range w {
			subset(t, at+"."+k, v, g[k])
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s = %v, want %d elements like %v", at, got, len(w), want)
			return
		}
		for i := range w {
			subset(t, fmt.Sprintf("%s.%d", at, i), w[i], g[i])
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s = %v, want %v", at, got, want)
		}
	}
}

// pageAll follows a list example as FlexPortal's pagination loop does (API overview, Iterating
// Through Pages): the same query with startAfter set to the last nextCursor until it is null.
// Every page keeps the envelope's rules and the schema; the pages together hold each record the
// query matches in the seed exactly once, in the order asked for.
func pageAll(t *testing.T, srv *server, ex example, ids *strings.Replacer, first map[string]any) {
	t.Helper()
	q := exampleRequest(ex, ids).query
	if q == nil {
		q = url.Values{}
	}
	listKey, idKey := "customers", "customerId"
	want, err := seed.customersMatching(q)
	if ex.Path == "/v1/orders" {
		listKey, idKey = "orders", "orderId"
		want, err = seed.ordersMatching(q)
	}
	if err != nil {
		t.Fatal(err)
	}
	limit := 50.0 // FlexPortal's default
	if q.Has("limit") {
		if _, err := fmt.Sscan(q.Get("limit"), &limit); err != nil {
			t.Fatal(err)
		}
	}
	var records []any
	seen := map[string]bool{}
	page := first
	for n := 1; ; n++ {
		items, _ := page[listKey].([]any)
		if c, _ := page["count"].(float64); int(c) != len(items) {
			t.Errorf("page %d: count %v, but %d %s", n, page["count"], len(items), listKey)
		}
		if page["limit"] != limit {
			t.Errorf("page %d: limit %v, want %v", n, page["limit"], limit)
		}
		if float64(len(items)) > limit {
			t.Errorf("page %d: %d %s, more than the limit %v", n, len(items), listKey, limit)
		}
		for _, it := range items {
			id := str(it, idKey)
			if seen[id] {
				t.Errorf("page %d: %s %s again", n, idKey, id)
			}
			seen[id] = true
		}
		records = append(records, items...)
		t.Logf("page %d: %d %s", n, len(items), listKey)
		cursor, isString := page["nextCursor"].(string)
		if hasMore, _ := page["hasMore"].(bool); hasMore != isString {
			t.Fatalf("page %d: hasMore %v with nextCursor %v: nextCursor is null exactly when hasMore is false", n, page["hasMore"], page["nextCursor"])
		}
		if !isString {
			break
		}
		if n > 100 {
			t.Fatalf("still paging after %d pages", n)
		}
		q.Set("startAfter", cursor)
		r := srv.do(t, request{method: "GET", path: ex.Path, query: q})
		page = r.must(t, 200) // and its schema, checked by do
	}
	var got []string
	for id := range seen {
		got = append(got, id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the pages hold %d %s, want the seed's %d matching %v:\ngot  %v\nwant %v", len(got), listKey, len(want), q, got, want)
	}
	checkOrder(t, records, q)
}

// checkOrder fails t unless records are in the order of the query's sortBy and sortDir
// (FlexPortal's defaults: createdAt, desc). Names and emails compare without case (docs/api.md).
func checkOrder(t *testing.T, records []any, q url.Values) {
	t.Helper()
	by, dir := q.Get("sortBy"), q.Get("sortDir")
	if by == "" {
		by = "createdAt"
	}
	if dir == "" {
		dir = "desc"
	}
	for i := 1; i < len(records); i++ {
		a, b := field(records[i-1], by), field(records[i], by)
		var c int
		switch a := a.(type) {
		case float64:
			bf, _ := b.(float64)
			c = cmpFloat(a, bf)
		case string:
			bs, _ := b.(string)
			if by != "createdAt" && by != "updatedAt" {
				a, bs = strings.ToLower(a), strings.ToLower(bs)
			}
			c = strings.Compare(a, bs)
		default:
			t.Fatalf("record %d: sort field %s is %v", i-1, by, a)
		}
		if c == 0 && by != "createdAt" { // ties go by creation time, in the same direction
			c = strings.Compare(str(records[i-1], "createdAt"), str(records[i], "createdAt"))
		}
		if dir == "desc" && c < 0 || dir == "asc" && c > 0 {
			t.Errorf("records %d and %d: %s %v then %v, not %s", i-1, i, by, a, b, dir)
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
