package customer

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewULID returns a 26-character ULID for time t. IDs made in one process are strictly increasing,
// even within one millisecond, so sort keys built from them keep creation order.
func NewULID(t time.Time) string {
	idMu.Lock()
	defer idMu.Unlock()
	return ulid.MustNew(ulid.Timestamp(t), idEntropy).String()
}

// NewID returns a new customer id: "cust_" and a ULID.
func NewID(t time.Time) string { return "cust_" + NewULID(t) }
