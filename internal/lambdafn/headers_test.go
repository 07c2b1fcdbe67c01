package lambdafn_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

const fidelityKey = "fpk_fidelity_test_key"

// newAPI is the API on a fresh embedded store with one key for tenant t1.
func newAPI(t *testing.T) http.Handler {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	k := auth.Key{ID: "k1", Hash: auth.Hash(fidelityKey), Tenants: []string{"t1"}, Scopes: auth.AllScopes, Status: auth.StatusActive}
	if err := s.PutAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return httpapi.New(s, httpapi.Options{Logger: slog.New(slog.DiscardHandler), CursorKey: []byte(strings.Repeat("k", 32))}).Handler()
}

// gatewayEvent is r as an API Gateway HTTP API hands it to a Lambda (payload 2.0): header names
// lower-cased, a repeated header's values joined by commas.
func gatewayEvent(r *http.Request, body string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{}
	for k, v := range r.Header {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	return events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: h, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path},
		},
	}
}

type answer struct {
	status   int
	code     string // the error code, "" on success
	replayed bool   // Idempotent-Replayed: true
	body     string
}

func decodeAnswer(status int, replayed string, body string) answer {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal([]byte(body), &e)
	return answer{status: status, code: e.Error.Code, replayed: replayed == "true", body: body}
}

// TestHeaderFidelity feeds the same hostile requests to the local server's handler and, as the
// gateway delivers them, to the Lambda adapter: each answers alike, and as the contract says.
func TestHeaderFidelity(t *testing.T) {
	order := `{"customer":{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"},` +
		`"billingAddress":{"contactName":"Ada","streetAddress":"1 Main St","city":"London","country":"GB"},` +
		`"items":[{"sku":"A","quantity":1,"contractLength":12}]}`
	type header struct{ name, value string }
	tests := []struct {
		name       string
		method     string
		path, body string
		headers    []header // added in order, after the defaults unless they replace them
		noDefaults bool     // send only headers, no default Authorization and Tenant-ID
		wantStatus int
		wantCode   string
		wantReplay bool
	}{
		{"Idempotency-Key with a comma", "POST", "/v1/orders", order,
			[]header{{"Content-Type", "application/json"}, {"Idempotency-Key", "order,1"}}, false, 201, "", false},
		{"the same key again replays", "POST", "/v1/orders", order,
			[]header{{"Content-Type", "application/json"}, {"Idempotency-Key", "order,1"}}, false, 201, "", true},
		{"two Idempotency-Keys are one key with a comma", "POST", "/v1/orders", order,
			[]header{{"Content-Type", "application/json"}, {"Idempotency-Key", "order"}, {"Idempotency-Key", "1"}}, false, 201, "", true},
		{"a key with a comma and a space is its own key", "POST", "/v1/orders", order,
			[]header{{"Content-Type", "application/json"}, {"Idempotency-Key", "order, 1"}}, false, 201, "", false},
		{"two Authorization headers", "GET", "/v1/customers", "",
			[]header{{"Authorization", "Bearer " + fidelityKey}, {"Authorization", "Bearer " + fidelityKey}, {"Tenant-ID", "t1"}}, true, 401, "INVALID_TOKEN", false},
		{"two Tenant-IDs", "GET", "/v1/customers", "",
			[]header{{"Authorization", "Bearer " + fidelityKey}, {"Tenant-ID", "t1"}, {"Tenant-ID", "t1"}}, true, 403, "NO_TENANT_ACCESS", false},
		{"a Tenant-ID with a comma", "GET", "/v1/customers", "",
			[]header{{"Authorization", "Bearer " + fidelityKey}, {"Tenant-ID", "t1,t2"}}, true, 403, "NO_TENANT_ACCESS", false},
		{"two Content-Types", "POST", "/v1/orders", order,
			[]header{{"Content-Type", "application/json"}, {"Content-Type", "text/plain"}, {"Idempotency-Key", "ct"}}, false, 415, "UNSUPPORTED_MEDIA_TYPE", false},
		{"a list query", "GET", "/v1/customers?limit=5", "", nil, false, 200, "", false},
	}
	local, lambda := newAPI(t), lambdafn.Adapt(newAPI(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if !tt.noDefaults {
				r.Header.Set("Authorization", "Bearer "+fidelityKey)
				r.Header.Set("Tenant-ID", "t1")
			}
			for _, h := range tt.headers {
				r.Header.Add(h.name, h.value)
			}
			ev := gatewayEvent(r, tt.body) // before serving: the local handler joins repeats in place
			w := httptest.NewRecorder()
			local.ServeHTTP(w, r)
			got := decodeAnswer(w.Code, w.Header().Get("Idempotent-Replayed"), w.Body.String())

			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req"})
			res, err := lambda(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			inLambda := decodeAnswer(res.StatusCode, res.Headers["Idempotent-Replayed"], res.Body)

			if got.status != tt.wantStatus || got.code != tt.wantCode || got.replayed != tt.wantReplay {
				t.Errorf("local: %d %s replayed %v, want %d %s replayed %v (%s)", got.status, got.code, got.replayed, tt.wantStatus, tt.wantCode, tt.wantReplay, got.body)
			}
			if inLambda.status != got.status || inLambda.code != got.code || inLambda.replayed != got.replayed {
				t.Errorf("Lambda: %d %s replayed %v, local: %d %s replayed %v; want the same (%s)",
					inLambda.status, inLambda.code, inLambda.replayed, got.status, got.code, got.replayed, inLambda.body)
			}
		})
	}
}
