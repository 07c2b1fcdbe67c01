package rental

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// FuzzParse: Parse never panics, fails only with ErrMalformed or a validation error, and an event
// it accepts reads back the same from its own JSON.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"id":"evt_1","event":"subscription.created","timestamp":"2026-01-01T00:00:00Z","tenantId":"acme",
		"data":{"subscriptionId":"sub_1","customerId":"` + custID + `","orderId":"` + orderID + `","sku":"MBP-14","monthlyAmount":49.99}}`))
	f.Add([]byte(`{"id":"e","event":"subscription.upgraded","tenantId":"t","data":{"subscriptionId":"b","previousSubscriptionId":"a",
		"customerId":"` + custID + `","orderId":"` + orderID + `","sku":"X","monthlyAmount":0.000001}}`))
	f.Add([]byte(`{"id":"e","event":"subscription.ended","tenantId":"t","data":{"subscriptionId":"a","customerId":"` + custID + `"}}`))
	f.Add([]byte(`{"id":"e","event":"subscription.extended","tenantId":"t","data":{"subscriptionId":"a","customerId":"` + custID + `","newEndDate":"2027"}}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse(body)
		if err != nil {
			var v *fault.ValidationError
			if !errors.Is(err, ErrMalformed) && !errors.As(err, &v) {
				t.Fatalf("Parse(%q) = %v, want ErrMalformed or a validation error", body, err)
			}
			return
		}
		again, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(again)
		if err != nil || !reflect.DeepEqual(back, ev) {
			t.Fatalf("Parse(Marshal(%+v)) = %+v, %v; want the same event", ev, back, err)
		}
	})
}
