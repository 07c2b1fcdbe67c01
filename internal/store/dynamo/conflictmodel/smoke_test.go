package conflictmodel_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/conflictmodel"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var tableSeq atomic.Int64

// durationEnv is the duration in variable name, or def when it is not set.
func durationEnv(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return d
}

// TestStoreContractWithConflicts runs the store contract suite on dynoxide with the DynamoDB
// store's requests going through the conflict model, so the store meets the conflicts real
// DynamoDB reports. It runs whenever a dynoxide server is there (make test starts one), for
// example
//
//	scripts/with-dynoxide.sh go test -race -count=1 \
//	    -run 'TestStoreContractWithConflicts/Concurrency' ./internal/store/dynamo/conflictmodel/
//
// CONFLICT_MODEL_HOLD (default 10ms) is the transactions' hold time and CONFLICT_MODEL_LAG
// (default none) the index lag; CONFLICT_MODEL_BUDGET (default dynamo.DefaultRetry's) is the
// store's retry budget, to see how much of it the races use. make test-conflicts runs the concurrency tests at several holds,
// many times. Each test logs the conflicts it met.
func TestStoreContractWithConflicts(t *testing.T) {
	endpoint := os.Getenv("DYNOXIDE_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNOXIDE_ENDPOINT not set: no dynoxide server (scripts/with-dynoxide.sh go test ... starts one)")
	}
	opts := conflictmodel.Options{
		Hold: durationEnv(t, "CONFLICT_MODEL_HOLD", 10*time.Millisecond),
		Lag:  durationEnv(t, "CONFLICT_MODEL_LAG", 0),
	}
	ctx := context.Background()
	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatalf("Connect(%q): %v", endpoint, err)
	}
	budget := durationEnv(t, "CONFLICT_MODEL_BUDGET", dynamo.DefaultRetry.Budget)
	model := conflictmodel.New(client, opts)
	t.Logf("hold %v, lag %v, retry budget %v", opts.Hold, opts.Lag, budget)
	t.Cleanup(func() { t.Logf("conflicts injected: %v", model.Conflicts()) })

	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		name := fmt.Sprintf("conflictmodel-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
		if err := dynamosetup.CreateTable(ctx, client, name); err != nil {
			t.Fatalf("CreateTable(%s): %v", name, err)
		}
		before := model.Conflicts()
		t.Cleanup(func() {
			if got := model.Conflicts(); got != before {
				t.Logf("conflicts injected: %d (PutItem %d, UpdateItem %d, TransactWriteItems %d)",
					got.Total()-before.Total(), got.PutItem-before.PutItem, got.UpdateItem-before.UpdateItem,
					got.TransactWriteItems-before.TransactWriteItems)
			}
			if err := dynamosetup.DeleteTable(context.Background(), client, name); err != nil {
				t.Error(err)
			}
		})
		s := dynamo.New(model, name)
		s.Now = now
		s.Retry.Budget = budget
		return s
	})
}
