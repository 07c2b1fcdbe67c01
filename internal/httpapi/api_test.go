package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// routeRequest is a well-formed request for each route, given a customer and an order of t1.
func routeRequest(rt httpapi.Route, cid, oid string) req {
	path := strings.NewReplacer("{customerId}", cid, "{orderId}", oid).Replace(rt.Pattern)
	r := req{method: rt.Method, path: path}
	switch rt.Name {
	case "update-customer":
		r.body = `{"firstName":"Grace"}`
	case "create-order":
		r.body = orderBody("new@example.com")
	case "update-order-notes":
		r.body = `{"notes":"Call before delivery"}`
	}
	return r
}

func TestAuthChecks(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	oid, _ := e.order(keyT1, "t1", "a2@example.com")
	tests := []struct {
		name       string
		auth       string // the whole Authorization header; "-" leaves it out
		tenant     string
		wantStatus int
		wantCode   string
	}{
		{"missing key", "-", "t1", 401, "AUTH_REQUIRED"},
		{"empty header", "", "t1", 401, "AUTH_REQUIRED"},
		{"blank header", "  ", "t1", 401, "AUTH_REQUIRED"},
		{"basic scheme", "Basic " + keyT1, "t1", 401, "INVALID_TOKEN"},
		{"no scheme", keyT1, "t1", 401, "INVALID_TOKEN"},
		{"bearer without key", "Bearer ", "t1", 401, "INVALID_TOKEN"},
		{"bearer with two tokens", "Bearer " + keyT1 + " x", "t1", 401, "INVALID_TOKEN"},
		{"unknown key", "Bearer nope", "t1", 401, "INVALID_TOKEN"},
		{"revoked key", "Bearer " + keyRevoked, "t1", 401, "INVALID_TOKEN"},
		{"401 before 403", "Bearer nope", "-", 401, "INVALID_TOKEN"},
		{"no key before no tenant", "-", "-", 401, "AUTH_REQUIRED"},
		{"missing tenant", "Bearer " + keyT1, "-", 403, "NO_TENANT_ACCESS"},
		{"empty tenant", "Bearer " + keyT1, "", 403, "NO_TENANT_ACCESS"},
		{"blank tenant", "Bearer " + keyT1, " ", 403, "NO_TENANT_ACCESS"},
		{"malformed tenant", "Bearer " + keyT1, "t1#x", 403, "NO_TENANT_ACCESS"},
		{"tenant too long", "Bearer " + keyT1, strings.Repeat("t", 65), 403, "NO_TENANT_ACCESS"},
		{"wrong tenant", "Bearer " + keyT1, "t2", 403, "NO_TENANT_ACCESS"},
		{"tenant of another key", "Bearer " + keyT2, "t1", 403, "NO_TENANT_ACCESS"},
		{"tenant with white space around", "Bearer " + keyT1, " t1 ", 200, ""},
		{"lowercase scheme", "bearer " + keyT1, "t1", 200, ""},
	}
	for _, rt := range httpapi.Routes {
		for _, tt := range tests {
			t.Run(rt.Name+"/"+tt.name, func(t *testing.T) {
				r := routeRequest(rt, cid, oid)
				if tt.wantStatus == 200 && rt.Name == "cancel-order" {
					o, _ := e.order(keyT1, "t1", "c@example.com") // each success cancels an order
					r = routeRequest(rt, cid, o)
				}
				r.key, r.tenant, r.header = "-", "-", http.Header{}
				if tt.auth != "-" {
					r.header["Authorization"] = []string{tt.auth}
				}
				if tt.tenant != "-" {
					r.header["Tenant-Id"] = []string{tt.tenant}
				}
				got := e.do(r)
				status := tt.wantStatus
				if status == 200 && rt.Name == "create-order" {
					status = 201
				}
				got.expect(t, status, tt.wantCode)
			})
		}
	}
}

// TestTwoAuthorizationHeaders: two keys name no one key, whether each is valid or not.
func TestTwoAuthorizationHeaders(t *testing.T) {
	e := newEnv(t)
	for _, keys := range [][]string{{"Bearer " + keyT1, "Bearer " + keyT1}, {"Bearer " + keyT1, "Bearer nope"}} {
		got := e.do(req{method: "GET", path: "/v1/customers", key: "-", header: http.Header{"Authorization": keys}})
		got.expect(t, http.StatusUnauthorized, "INVALID_TOKEN")
	}
}

func TestTenantIDOnce(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		key        string
		tenant     []string
		wantStatus int
		wantCode   string
	}{
		{"two headers", keyT1, []string{"t1", "t2"}, 403, "NO_TENANT_ACCESS"},
		{"the same twice", keyT1, []string{"t1", "t1"}, 403, "NO_TENANT_ACCESS"},
		{"joined by API Gateway", keyT1, []string{"t1,t2"}, 403, "NO_TENANT_ACCESS"},
		{"joined with a space", keyT1, []string{"t1, t1"}, 403, "NO_TENANT_ACCESS"},
		{"401 first", "nope", []string{"t1", "t2"}, 401, "INVALID_TOKEN"},
		{"once", keyT1, []string{"t1"}, 200, ""},
	}
	for _, rt := range httpapi.Routes {
		if rt.Method != "GET" {
			continue
		}
		for _, tt := range tests {
			t.Run(rt.Name+"/"+tt.name, func(t *testing.T) {
				r := routeRequest(rt, missingCustomer, missingOrder)
				r.key, r.tenant, r.header = tt.key, "-", http.Header{"Tenant-Id": tt.tenant}
				got := e.do(r)
				if tt.wantStatus == 200 {
					if got.Code == 401 || got.Code == 403 {
						t.Errorf("status %d, want the request served (body %s)", got.Code, got.Body)
					}
					return
				}
				got.expect(t, tt.wantStatus, tt.wantCode)
				if tt.wantStatus == 403 && got.errorMessage() != "Tenant-ID must be given once" {
					t.Errorf("message %q, want %q", got.errorMessage(), "Tenant-ID must be given once")
				}
			})
		}
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	oid, _ := e.order(keyT1, "t1", "b@example.com")
	for _, rt := range httpapi.Routes {
		t.Run(rt.Name, func(t *testing.T) {
			r := routeRequest(rt, cid, oid)
			r.key = keyWithout(rt.Scope)
			e.do(r).expect(t, http.StatusForbidden, "INSUFFICIENT_PERMISSIONS")
			// The tenant is checked before the scope.
			r.tenant = "-"
			e.do(r).expect(t, http.StatusForbidden, "NO_TENANT_ACCESS")
			r.tenant = "t2"
			e.do(r).expect(t, http.StatusForbidden, "NO_TENANT_ACCESS")

			r = routeRequest(rt, cid, oid)
			r.key = keyOnly(rt.Scope)
			if got := e.do(r); got.Code >= 400 {
				t.Errorf("%s with only scope %s: status %d, want success (body %s)", rt.Name, rt.Scope, got.Code, got.Body)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		wantStatus   int
		wantCode     string
		wantAllow    string
	}{
		{"GET", "/", 404, "NOT_FOUND", ""},
		{"GET", "/v1/customer", 404, "NOT_FOUND", ""},
		{"GET", "/v1/customers/", 404, "NOT_FOUND", ""},
		{"GET", "/v1/customers/a/b", 404, "NOT_FOUND", ""},
		{"POST", "/v2/orders", 404, "NOT_FOUND", ""},
		{"GET", "/v1//customers", 404, "NOT_FOUND", ""},
		{"POST", "/v1//customers", 404, "NOT_FOUND", ""},
		{"GET", "/v1/./customers", 404, "NOT_FOUND", ""},
		{"GET", "/v1/customers/../orders", 404, "NOT_FOUND", ""},
		{"PATCH", "/v1/customers/cust_1", 405, "METHOD_NOT_ALLOWED", "GET, PUT, DELETE"},
		{"POST", "/v1/customers/cust_1", 405, "METHOD_NOT_ALLOWED", "GET, PUT, DELETE"},
		{"HEAD", "/v1/customers/cust_1", 405, "METHOD_NOT_ALLOWED", "GET, PUT, DELETE"},
		{"POST", "/v1/customers", 405, "METHOD_NOT_ALLOWED", "GET"},
		{"DELETE", "/v1/orders", 405, "METHOD_NOT_ALLOWED", "POST, GET"},
		{"GET", "/v1/orders/ord_1/cancel", 405, "METHOD_NOT_ALLOWED", "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			// No credentials at all: routing answers before auth.
			r := req{method: tt.method, path: tt.path, key: "-", tenant: "-"}
			got := e.do(r)
			got.expect(t, tt.wantStatus, tt.wantCode)
			if allow := got.Header().Get("Allow"); allow != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", allow, tt.wantAllow)
			}
			// The $default function answers the same.
			w := httptest.NewRecorder()
			httpapi.NotFound().ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.wantStatus || w.Header().Get("Allow") != tt.wantAllow {
				t.Errorf("NotFound(): %d Allow %q, want %d Allow %q", w.Code, w.Header().Get("Allow"), tt.wantStatus, tt.wantAllow)
			}
		})
	}
}

func TestRouteHandler(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	api := httpapi.New(e.store, httpapi.Options{Logger: slog.New(slog.DiscardHandler), CursorKey: []byte(strings.Repeat("k", 32))})
	for _, rt := range httpapi.Routes {
		t.Run(rt.Name, func(t *testing.T) {
			h, err := api.RouteHandler(rt.Name)
			if err != nil {
				t.Fatal(err)
			}
			r := routeRequest(rt, cid, "ord_missing")
			r.key = "-"
			serve(t, h, r).expect(t, http.StatusUnauthorized, "AUTH_REQUIRED")
			// Every other route is absent from this function: 405 or 404, before auth.
			for _, other := range httpapi.Routes {
				if other.Pattern == rt.Pattern {
					continue
				}
				r := routeRequest(other, cid, "ord_missing")
				if got := serve(t, h, r); got.Code != 404 && got.Code != 405 {
					t.Errorf("%s serving %s: status %d, want 404 or 405", rt.Name, other.Name, got.Code)
				}
			}
		})
	}
	if _, err := api.RouteHandler("no-such-route"); err == nil {
		t.Errorf("RouteHandler(no-such-route) = nil error, want an error")
	}
}

// TestRouteHandlerCursorKey checks that a Lambda function of a list route cannot start without a
// cursor key (each container would sign with its own random one), and that no other needs one.
func TestRouteHandlerCursorKey(t *testing.T) {
	var logs strings.Builder
	api := httpapi.New(newEnv(t).store, httpapi.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	paging := 0
	for _, rt := range httpapi.Routes {
		_, err := api.RouteHandler(rt.Name)
		if rt.Pages {
			paging++
			if err == nil || !strings.Contains(err.Error(), "cursor key") {
				t.Errorf("RouteHandler(%s) without a cursor key = %v, want an error about the cursor key", rt.Name, err)
			}
		} else if err != nil {
			t.Errorf("RouteHandler(%s) without a cursor key = %v, want no error", rt.Name, err)
		}
	}
	if paging != 3 {
		t.Errorf("%d routes page, want 3 (list-customers, list-orders, export-customer)", paging)
	}
	if logs.Len() != 0 {
		t.Errorf("RouteHandler logged %q, want nothing", logs.String())
	}
	// One process serving every route may use a random key, and says so.
	api.Handler()
	if !strings.Contains(logs.String(), "no cursor key") {
		t.Errorf("Handler() without a cursor key logged %q, want a warning", logs.String())
	}
	for _, name := range []string{"list-customers", "list-orders"} {
		if rt, ok := httpapi.RouteNamed(name); !ok || !rt.Pages {
			t.Errorf("RouteNamed(%s) = %+v, %v, want a route that pages", name, rt, ok)
		}
	}
	if _, ok := httpapi.RouteNamed("nope"); ok {
		t.Errorf("RouteNamed(nope) found a route")
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	a := e.do(req{method: "GET", path: "/v1/customers"})
	b := e.do(req{method: "GET", path: "/v1/customers"})
	if a.Header().Get("X-Request-Id") == b.Header().Get("X-Request-Id") {
		t.Errorf("two requests got the same X-Request-Id %q", a.Header().Get("X-Request-Id"))
	}

	hr := httptest.NewRequest("GET", "/v1/customers", nil)
	hr.Header.Set("Authorization", "Bearer "+keyT1)
	hr.Header.Set("Tenant-ID", "t1")
	hr = hr.WithContext(lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"}))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	if got := w.Header().Get("X-Request-Id"); got != "lambda-req-1" {
		t.Errorf("X-Request-Id in Lambda = %q, want lambda-req-1", got)
	}
	if !strings.Contains(e.logs.String(), `"requestId":"lambda-req-1"`) {
		t.Errorf("logs do not carry the Lambda request id:\n%s", e.logs)
	}
}

func TestContentTypeAndSize(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	put := "/v1/customers/" + cid
	big := `{"firstName":"` + strings.Repeat("x", customer.MaxBodyBytes) + `"}`
	tests := []struct {
		name       string
		r          req
		wantStatus int
		wantCode   string
	}{
		{"PUT text/plain", req{method: "PUT", path: put, body: `{"firstName":"A"}`, contentType: "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PUT no content type", req{method: "PUT", path: put, body: `{"firstName":"A"}`, contentType: "-"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PUT malformed content type", req{method: "PUT", path: put, body: `{"firstName":"A"}`, contentType: "application/json; ="}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PUT json", req{method: "PUT", path: put, body: `{"firstName":"A"}`}, 200, ""},
		{"PUT json charset", req{method: "PUT", path: put, body: `{"firstName":"B"}`, contentType: "application/json; charset=utf-8"}, 200, ""},
		{"PUT JSON uppercase", req{method: "PUT", path: put, body: `{"firstName":"C"}`, contentType: "Application/JSON"}, 200, ""},
		{"PUT merge-patch", req{method: "PUT", path: put, body: `{"firstName":"D"}`, contentType: "application/merge-patch+json"}, 200, ""},
		{"POST order merge-patch", req{method: "POST", path: "/v1/orders", body: orderBody("x@example.com"), contentType: "application/merge-patch+json"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"POST order text/plain", req{method: "POST", path: "/v1/orders", body: orderBody("x@example.com"), contentType: "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"cancel text/plain", req{method: "POST", path: "/v1/orders/ord_x/cancel", body: `{}`, contentType: "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"PUT too large", req{method: "PUT", path: put, body: big}, 413, "PAYLOAD_TOO_LARGE"},
		{"POST order too large", req{method: "POST", path: "/v1/orders", body: big}, 413, "PAYLOAD_TOO_LARGE"},
		{"cancel too large", req{method: "POST", path: "/v1/orders/ord_x/cancel", body: big}, 413, "PAYLOAD_TOO_LARGE"},
		{"PUT not JSON", req{method: "PUT", path: put, body: `{"firstName":`}, 400, "INVALID_REQUEST"},
		{"PUT array", req{method: "PUT", path: put, body: `[]`}, 400, "INVALID_REQUEST"},
		{"PUT duplicate keys", req{method: "PUT", path: put, body: `{"firstName":"A","firstName":"B"}`}, 400, "INVALID_REQUEST"},
		{"PUT empty body", req{method: "PUT", path: put, contentType: "application/json"}, 400, "INVALID_REQUEST"},
		{"PUT no body at all", req{method: "PUT", path: put, contentType: "-"}, 400, "INVALID_REQUEST"},
		{"PUT two objects", req{method: "PUT", path: put, body: `{"firstName":"A"}{}`}, 400, "INVALID_REQUEST"},
		{"POST order empty", req{method: "POST", path: "/v1/orders", contentType: "application/json"}, 400, "INVALID_REQUEST"},
		// The Content-Type rule is for requests with a body: without one, the parser answers.
		{"PUT text/plain without a body", req{method: "PUT", path: put, contentType: "text/plain"}, 400, "INVALID_REQUEST"},
		{"POST order text/plain without a body", req{method: "POST", path: "/v1/orders", contentType: "text/plain"}, 400, "INVALID_REQUEST"},
		{"POST order not JSON", req{method: "POST", path: "/v1/orders", body: `nope`}, 400, "INVALID_REQUEST"},
		{"POST order duplicate keys", req{method: "POST", path: "/v1/orders", body: `{"notes":"a","notes":"b"}`}, 400, "INVALID_REQUEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do(tt.r).expect(t, tt.wantStatus, tt.wantCode)
		})
	}
}

// TestContentTypeOnAnyBody checks the Content-Type rule on every route: a request with a body,
// whatever its method, must declare JSON, and the check comes after auth and before the request.
func TestContentTypeOnAnyBody(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	oid, _ := e.order(keyT1, "t1", "b@example.com")
	big := `{"x":"` + strings.Repeat("x", customer.MaxBodyBytes) + `"}`
	for _, rt := range httpapi.Routes {
		base := routeRequest(rt, cid, oid)
		if base.body == "" {
			base.body = `{}`
		}
		success := http.StatusOK
		if rt.Name == "create-order" {
			success = http.StatusCreated
			base.body = orderBody("c-" + rt.Name + "@example.com")
		}
		// Only PUT accepts merge-patch.
		mergeStatus, mergeCode := http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE"
		if rt.Method == http.MethodPut {
			mergeStatus, mergeCode = success, ""
		}
		tests := []struct {
			name        string
			contentType string
			body        string
			key, tenant string
			wantStatus  int
			wantCode    string
		}{
			{"text/plain", "text/plain", base.body, "", "", 415, "UNSUPPORTED_MEDIA_TYPE"},
			{"no content type", "-", base.body, "", "", 415, "UNSUPPORTED_MEDIA_TYPE"},
			{"too large", "", big, "", "", 413, "PAYLOAD_TOO_LARGE"},
			{"401 before 415", "text/plain", base.body, "nope", "", 401, "INVALID_TOKEN"},
			{"tenant before 415", "text/plain", base.body, "", "-", 403, "NO_TENANT_ACCESS"},
			{"scope before 415", "text/plain", base.body, keyWithout(rt.Scope), "", 403, "INSUFFICIENT_PERMISSIONS"},
			{"merge-patch", "application/merge-patch+json", base.body, "", "", mergeStatus, mergeCode},
			{"json", "application/json; charset=utf-8", base.body, "", "", success, ""},
		}
		for _, tt := range tests {
			t.Run(rt.Name+"/"+tt.name, func(t *testing.T) {
				r := base
				r.body, r.contentType, r.key, r.tenant = tt.body, tt.contentType, tt.key, tt.tenant
				if rt.Name == "update-customer" && tt.wantStatus == success {
					r.body = `{"firstName":"Grace"}`
				}
				e.do(r).expect(t, tt.wantStatus, tt.wantCode)
			})
		}
	}
	// A chunked body has no Content-Length, but is a body all the same.
	for _, method := range []string{"GET", "DELETE"} {
		path := "/v1/customers/" + cid
		hr := httptest.NewRequest(method, path, struct{ *strings.Reader }{strings.NewReader("hello")})
		hr.ContentLength, hr.TransferEncoding = -1, []string{"chunked"}
		hr.Header.Set("Authorization", "Bearer "+keyT1)
		hr.Header.Set("Tenant-ID", "t1")
		hr.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, hr)
		if w.Code != http.StatusUnsupportedMediaType {
			t.Errorf("%s %s with a chunked text/plain body: status %d, want 415 (body %s)", method, path, w.Code, w.Body)
		}
	}
	// Without a body, no Content-Type is needed.
	e.do(req{method: "GET", path: "/v1/customers/" + cid, contentType: "-"}).expect(t, http.StatusOK, "")
}

func TestBodyOver64KiBWithoutContentLength(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	body := `{"firstName":"` + strings.Repeat("x", customer.MaxBodyBytes) + `"}`
	hr := httptest.NewRequest("PUT", "/v1/customers/"+cid, struct{ *strings.Reader }{strings.NewReader(body)})
	hr.ContentLength = -1 // chunked: the limit must hold while reading
	hr.Header.Set("Authorization", "Bearer "+keyT1)
	hr.Header.Set("Tenant-ID", "t1")
	hr.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 64 KiB+ body: status %d, want 413", w.Code)
	}
}

func TestValidationDetails(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	body := `{"customerType":"robot","billingAddress":{"contactName":"A","streetAddress":"1 St","country":"GB"},` +
		`"customFields":{"plan":{"nested":true}},"version":3,"email":"not-an-email"}`
	// Strict, so that the read-only version is reported too.
	got := e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: body, header: http.Header{"Prefer": {"handling=strict"}}})
	got.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
	if h := got.Header().Get("Preference-Applied"); h != "handling=strict" {
		t.Errorf("Preference-Applied = %q on the error, want handling=strict", h)
	}
	want := []detail{
		{"billingAddress.city", "Required", "invalid_type"},
		{"customFields.plan", "Expected string, number or boolean, received object", "invalid_type"},
		{"customerType", "Invalid enum value. Expected 'individual' | 'business', received 'robot'", "invalid_enum_value"},
		{"email", "Invalid email format", "invalid_string"},
		{"version", "Unrecognized key(s) in object: 'version'", "unrecognized_keys"},
	}
	if d := got.details(t); !slices.Equal(d, want) {
		t.Errorf("details = %+v, want %+v", d, want)
	}
	if msg := got.errorMessage(); msg != "Invalid request body" {
		t.Errorf("message = %q, want %q", msg, "Invalid request body")
	}

	// details appear only on VALIDATION_ERROR.
	nf := e.do(req{method: "GET", path: "/v1/customers/cust_missing"})
	if _, ok := nf.body["error"].(map[string]any)["details"]; ok {
		t.Errorf("404 body has details: %s", nf.Body)
	}

	// Order bodies report item paths with numeric indexes.
	bad := `{"customer":{"email":"a@example.com","firstName":"A","lastName":"B"},` +
		`"billingAddress":{"contactName":"A","streetAddress":"1 St","city":"X","country":"GB"},` +
		`"items":[{"sku":"S","quantity":1,"contractLength":12},{"sku":"S","quantity":0,"contractLength":12}]}`
	og := e.do(req{method: "POST", path: "/v1/orders", body: bad})
	og.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
	if d, want := og.details(t), []detail{{"items.1.quantity", "Number must be greater than or equal to 1", "too_small"}}; !slices.Equal(d, want) {
		t.Errorf("order details = %+v, want %+v", d, want)
	}
	// Without Prefer: handling=strict the same body's version is ignored.
	lenient := e.do(req{method: "PUT", path: "/v1/customers/" + cid, body: body})
	lenient.expect(t, http.StatusBadRequest, "VALIDATION_ERROR")
	if d := lenient.details(t); !slices.Equal(d, want[:len(want)-1]) {
		t.Errorf("details without strict handling = %+v, want %+v", d, want[:len(want)-1])
	}
	if h := lenient.Header().Get("Preference-Applied"); h != "" {
		t.Errorf("Preference-Applied = %q without a Prefer header, want none", h)
	}
}

func TestCrossTenantIsNotFound(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	oid, _ := e.order(keyT1, "t1", "b@example.com")
	t2 := func(r req) req { r.key, r.tenant = keyT2, "t2"; return r }
	tests := []struct {
		r        req
		wantCode string
	}{
		{req{method: "GET", path: "/v1/customers/" + cid}, "NOT_FOUND"},
		{req{method: "PUT", path: "/v1/customers/" + cid, body: `{"firstName":"Mallory"}`}, "NOT_FOUND"},
		{req{method: "PUT", path: "/v1/customers/" + cid, body: `{"firstName":"Mallory"}`, header: http.Header{"If-Match": {`"1"`}}}, "NOT_FOUND"},
		{req{method: "DELETE", path: "/v1/customers/" + cid}, "NOT_FOUND"},
		{req{method: "GET", path: "/v1/orders/" + oid}, "NOT_FOUND"},
		{req{method: "POST", path: "/v1/orders/" + oid + "/cancel"}, "NOT_FOUND"},
	}
	hide := strings.NewReplacer(cid, missingCustomer, oid, missingOrder)
	for _, tt := range tests {
		t.Run(tt.r.method+" "+tt.r.path, func(t *testing.T) {
			got := e.do(t2(tt.r))
			got.expect(t, http.StatusNotFound, tt.wantCode)
			// Indistinguishable: the same answer as for an id that names nothing.
			missing := tt.r
			missing.path = hide.Replace(tt.r.path)
			if m := e.do(t2(missing)); got.Body.String() != m.Body.String() {
				t.Errorf("another tenant's id: %s, want the answer for a missing id %s", got.Body, m.Body)
			}
		})
	}
	for _, path := range []string{"/v1/customers?status=all", "/v1/orders", "/v1/orders?customerId=" + cid} {
		got := e.do(t2(req{method: "GET", path: path}))
		got.expect(t, http.StatusOK, "")
		if got.body["count"] != 0.0 {
			t.Errorf("GET %s as t2: count %v, want 0", path, got.body["count"])
		}
	}
	// The t1 records are untouched.
	got := e.do(req{method: "GET", path: "/v1/customers/" + cid})
	if got.str("firstName") != "Ada" || got.str("status") != "active" {
		t.Errorf("t1 customer after t2's attempts: %s", got.Body)
	}
	if got := e.do(req{method: "GET", path: "/v1/orders/" + oid}); got.str("status") != "pending" {
		t.Errorf("t1 order after t2's cancel: %s", got.Body)
	}
}

func TestScopeConstants(t *testing.T) {
	// The route table names only scopes that exist.
	for _, rt := range httpapi.Routes {
		if !slices.Contains(auth.AllScopes, rt.Scope) {
			t.Errorf("route %s has scope %q, not one of %v", rt.Name, rt.Scope, auth.AllScopes)
		}
	}
}

// padTo pads a JSON object body with white space before its closing brace to exactly n bytes.
func padTo(body string, n int) string {
	return body[:len(body)-1] + strings.Repeat(" ", n-len(body)) + "}"
}

// TestBodyLimitIs64KiB: a body of exactly 64 KiB is served; one byte more is 413, on every
// route that takes a body, with a declared length and with a chunked one.
func TestBodyLimitIs64KiB(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	tests := []struct {
		name, method, path, body string
		success                  int
	}{
		{"update-customer", "PUT", "/v1/customers/" + cid, `{"firstName":"Grace"}`, 200},
		{"create-order", "POST", "/v1/orders", orderBody("b@example.com"), 201},
		{"cancel-order", "POST", "/v1/orders/ORDER/cancel", `{"reason":"moved"}`, 200},
	}
	for _, tt := range tests {
		for _, chunked := range []bool{false, true} {
			for _, size := range []int{customer.MaxBodyBytes, customer.MaxBodyBytes + 1} {
				t.Run(fmt.Sprintf("%s %d bytes chunked %v", tt.name, size, chunked), func(t *testing.T) {
					path := tt.path
					if strings.Contains(path, "ORDER") {
						oid, _ := e.order(keyT1, "t1", "c@example.com")
						path = strings.Replace(path, "ORDER", oid, 1)
					}
					body := padTo(tt.body, size)
					var rd io.Reader = strings.NewReader(body)
					if chunked {
						rd = struct{ io.Reader }{rd} // no length known to httptest
					}
					hr := httptest.NewRequest(tt.method, path, rd)
					hr.Header.Set("Authorization", "Bearer "+keyT1)
					hr.Header.Set("Tenant-ID", "t1")
					hr.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					e.h.ServeHTTP(w, hr)
					want := tt.success
					if size > customer.MaxBodyBytes {
						want = http.StatusRequestEntityTooLarge
					}
					if w.Code != want {
						t.Errorf("%d-byte body: status %d, want %d (body %.200s)", size, w.Code, want, w.Body)
					}
				})
			}
		}
	}
}

// TestScopesOfEachEndpoint pins the scopes of docs/api.md independently of the route table: a key
// holding only the endpoint's scope is served, a key holding any other single scope is 403.
func TestScopesOfEachEndpoint(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		scope        auth.Scope
	}{
		{"GET", "/v1/customers", "customers:read"},
		{"GET", "/v1/customers/{customerId}", "customers:read"},
		{"PUT", "/v1/customers/{customerId}", "customers:write"},
		{"DELETE", "/v1/customers/{customerId}", "customers:write"},
		{"GET", "/v1/orders", "orders:read"},
		{"GET", "/v1/orders/{orderId}", "orders:read"},
		{"POST", "/v1/orders", "orders:write"},
		{"POST", "/v1/orders/{orderId}/cancel", "orders:write"},
		{"PATCH", "/v1/orders/{orderId}/notes", "orders:write"},
		{"POST", "/v1/customers/{customerId}/erase", "customers:write"},
		{"GET", "/v1/customers/{customerId}/export", "customers:read"},
	}
	if len(tests) != len(httpapi.Routes) {
		t.Errorf("%d endpoints here, %d routes: every route needs its scope from docs/api.md here", len(tests), len(httpapi.Routes))
	}
	n := 0 // a fresh customer per request, so a DELETE or cancel is never a no-op
	for _, tt := range tests {
		for _, held := range auth.AllScopes {
			t.Run(tt.method+" "+tt.path+" with "+string(held), func(t *testing.T) {
				n++
				cid := e.customer(fmt.Sprintf("c%d@example.com", n))
				oid, _ := e.order(keyT1, "t1", "o@example.com")
				r := req{method: tt.method, path: strings.NewReplacer("{customerId}", cid, "{orderId}", oid).Replace(tt.path), key: keyOnly(held)}
				switch {
				case tt.method == "PUT":
					r.body = `{"firstName":"Grace"}`
				case tt.method == "POST" && tt.path == "/v1/orders":
					r.body = orderBody("p@example.com")
				case tt.method == "PATCH":
					r.body = `{"notes":"n"}`
				}
				got := e.do(r)
				if held != tt.scope {
					got.expect(t, http.StatusForbidden, "INSUFFICIENT_PERMISSIONS")
				} else if got.Code >= 400 {
					t.Errorf("status %d with the scope %s, want success (body %s)", got.Code, held, got.Body)
				}
			})
		}
	}
}

// TestChecksComeBeforeTheRequest: whatever is wrong with the request itself (query, body, path
// id, headers), the key is checked first (401), then the tenant (403 NO_TENANT_ACCESS), then the
// scope (403 INSUFFICIENT_PERMISSIONS).
func TestChecksComeBeforeTheRequest(t *testing.T) {
	e := newEnv(t)
	cid := e.customer("a@example.com")
	bad := []struct {
		name  string
		r     req
		scope auth.Scope
	}{
		{"bad query parameter", req{method: "GET", path: "/v1/customers?limit=0"}, auth.CustomersRead},
		{"unknown query parameter", req{method: "GET", path: "/v1/orders?page=2"}, auth.OrdersRead},
		{"bad cursor", req{method: "GET", path: "/v1/customers?startAfter=nope"}, auth.CustomersRead},
		{"malformed customer id", req{method: "GET", path: "/v1/customers/cust_1"}, auth.CustomersRead},
		{"missing customer", req{method: "DELETE", path: "/v1/customers/" + missingCustomer}, auth.CustomersWrite},
		{"missing order", req{method: "POST", path: "/v1/orders/" + missingOrder + "/cancel"}, auth.OrdersWrite},
		{"body not JSON", req{method: "PUT", path: "/v1/customers/" + cid, body: `{"firstName":`}, auth.CustomersWrite},
		{"invalid body", req{method: "POST", path: "/v1/orders", body: `{}`}, auth.OrdersWrite},
		{"stale If-Match", req{method: "PUT", path: "/v1/customers/" + cid, body: `{"firstName":"X"}`, header: http.Header{"If-Match": {`"99"`}}}, auth.CustomersWrite},
		{"bad Idempotency-Key", req{method: "POST", path: "/v1/orders", body: orderBody("b@example.com"), header: http.Header{"Idempotency-Key": {""}}}, auth.OrdersWrite},
	}
	type check struct {
		name        string
		key, tenant string
		wantStatus  int
		wantCode    string
	}
	for _, b := range bad {
		checks := []check{
			{"no key", "-", "", 401, "AUTH_REQUIRED"},
			{"revoked key and no tenant", keyRevoked, "-", 401, "INVALID_TOKEN"},
			{"no tenant", "", "-", 403, "NO_TENANT_ACCESS"},
			{"tenant not granted", "", "t2", 403, "NO_TENANT_ACCESS"},
			{"tenant not granted, scope not held", keyWithout(b.scope), "t2", 403, "NO_TENANT_ACCESS"},
			{"scope not held", keyWithout(b.scope), "", 403, "INSUFFICIENT_PERMISSIONS"},
		}
		for _, c := range checks {
			t.Run(b.name+"/"+c.name, func(t *testing.T) {
				r := b.r
				r.key, r.tenant = c.key, c.tenant
				e.do(r).expect(t, c.wantStatus, c.wantCode)
			})
		}
	}
}
