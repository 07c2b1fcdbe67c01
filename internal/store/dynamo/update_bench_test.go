package dynamo

import (
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// BenchmarkCustomerUpdate is the CPU cost of one customer update expression, for the patch of
// events/update-customer.json under the store's size guard: from a template ("template", what
// the store does) and from the expression builder run for the request ("builder", what the store
// would do without templates). docs/decisions.md has the numbers.
func BenchmarkCustomerUpdate(b *testing.B) {
	first, limit := "Ada", customer.MaxCustomFields-1
	p := customer.Patch{
		FirstName:    &first,
		Phone:        customer.Optional[string]{Set: true},
		CustomFields: map[string]any{"plan": "gold", "legacyId": nil},
	}
	g := guard{sizeLimit: &limit}
	now := time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	b.Run("template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := customerUpdate("tenant-demo", "cust_1", p, now, g); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("builder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			steps, keys := plan("tenant-demo", "cust_1", p, now, g)
			_, err := build(steps, func(i int) any { return steps[i].value }, func(k int) string { return keys[k] })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
