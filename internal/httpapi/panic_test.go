package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// panickyStore panics in GetCustomer, as a bug in a store or handler would.
type panickyStore struct{ fakeStore }

func (panickyStore) GetCustomer(context.Context, string, string) (customer.Customer, error) {
	panic("secret-panic-value for user@example.com")
}

func TestPanicIsInternalError(t *testing.T) {
	var logs bytes.Buffer
	h := httpapi.New(&panickyStore{}, httpapi.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}).Handler()
	for i := range 2 { // the second request shows the handler still serves
		var got resp
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Fatalf("request %d: the panic escaped the handler: %v", i, v)
				}
			}()
			got = serve(t, h, req{method: "GET", path: "/v1/customers/" + missingCustomer})
		}()
		got.expect(t, http.StatusInternalServerError, "INTERNAL_ERROR")
		if got.errorMessage() != "An internal error occurred" || strings.Contains(got.Body.String(), "secret-panic-value") {
			t.Errorf("request %d: body %s, want the generic message only", i, got.Body)
		}
		rid := got.Header().Get("X-Request-Id")
		var line string
		for l := range strings.SplitSeq(logs.String(), "\n") {
			if strings.Contains(l, rid) && strings.Contains(l, "secret-panic-value") {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, "panic_test.go") {
			t.Errorf("request %d: no log line with request id %s, the panic value and the stack:\n%s", i, rid, logs.String())
		}
		if want := fmt.Sprintf(`"status":%d`, http.StatusInternalServerError); !strings.Contains(logs.String(), want) {
			t.Errorf("request %d: access log without %s:\n%s", i, want, logs.String())
		}
		logs.Reset()
	}
}
