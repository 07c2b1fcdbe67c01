package embedded

import (
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var _ storetest.Store = (*Store)(nil)

// TestContract runs the contract suite shared with the DynamoDB store, on a fresh file per store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		s := newStore(t)
		s.Now = now
		return s
	})
}
