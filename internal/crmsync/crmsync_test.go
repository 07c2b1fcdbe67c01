package crmsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

const (
	tenant = "tenant-demo"
	custA  = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
	custB  = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1X"
)

// call is one UpdateCustomer the fake store received.
type call struct {
	tenant, id string
	patch      customer.Patch
	ifMatch    *int64
}

// fakeStore records updates and answers them with update (success when nil).
type fakeStore struct {
	calls  []call
	update func(c call) error
}

func (s *fakeStore) UpdateCustomer(_ context.Context, tenant, id string, p customer.Patch, ifMatch *int64) (customer.Customer, error) {
	c := call{tenant, id, p, ifMatch}
	s.calls = append(s.calls, c)
	if s.update != nil {
		if err := s.update(c); err != nil {
			return customer.Customer{}, err
		}
	}
	return customer.Customer{CustomerID: id, TenantID: tenant, Version: int64(len(s.calls)) + 1}, nil
}

// body is a message body for customer id with changes.
func body(id, changes string) string {
	return fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":%s}`, tenant, id, changes)
}

// batch is an SQS event of bodies, message ids m1, m2, ...
func batch(bodies ...string) events.SQSEvent {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: fmt.Sprintf("m%d", i+1), Body: b,
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "MessageGroupId": tenant + "#" + custA},
		})
	}
	return ev
}

func failedIDs(r events.SQSEventResponse) []string {
	out := []string{}
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func newHandler(s Store) (*Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	return New(s, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), &logs
}

// TestHandleEventsFile applies events/crm-sync.json, exactly as Lambda delivers it: both changes,
// in order, none failed.
func TestHandleEventsFile(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "events", "crm-sync.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(src, &ev); err != nil {
		t.Fatalf("events/crm-sync.json: %v", err)
	}
	for _, m := range ev.Records {
		if m.EventSource != "aws:sqs" || m.Attributes["MessageGroupId"] == "" || m.Attributes["MessageDeduplicationId"] == "" ||
			!strings.HasSuffix(m.EventSourceARN, ".fifo") {
			t.Errorf("events/crm-sync.json message %s: want an aws:sqs FIFO message with group and deduplication ids", m.MessageId)
		}
	}
	store := &fakeStore{}
	h, _ := newHandler(store)
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle(events/crm-sync.json) = %v, %v, want no failures", failedIDs(resp), err)
	}
	if len(store.calls) != 2 {
		t.Fatalf("%d updates, want 2", len(store.calls))
	}
	first, second := store.calls[0], store.calls[1]
	if first.tenant != tenant || first.id != custA || first.patch.FirstName == nil || *first.patch.FirstName != "Augusta Ada" ||
		first.patch.CustomFields["tier"] != json.Number("2") || first.ifMatch != nil {
		t.Errorf("first update = %+v, want firstName Augusta Ada, customFields.tier 2 for %s/%s", first, tenant, custA)
	}
	if second.patch.Phone.Value == nil || *second.patch.Phone.Value != "+44 20 7946 0958" || second.patch.CustomFields["tier"] != json.Number("3") {
		t.Errorf("second update = %+v, want the phone and customFields.tier 3", second)
	}
}

// TestHandleFailures sends each kind of failing message between two good ones: the failing one
// and the one after it are reported (FIFO), the one before is applied, and the log says whether
// the failure is permanent, without the message's personal data.
func TestHandleFailures(t *testing.T) {
	good := body(custA, `{"firstName":"Ada"}`)
	storeErr := func(err error) func(call) error {
		return func(c call) error {
			if c.patch.LastName != nil {
				return err
			}
			return nil
		}
	}
	failing := body(custA, `{"lastName":"Byron","email":"ada.secret@example.com","phone":"+1 555 0100"}`)
	tests := []struct {
		name      string
		body      string
		store     func(call) error
		wantKind  string
		permanent bool
		updates   int // updates reaching the store, the failing one included
	}{
		{"not JSON", `{"tenantId":`, nil, "malformed_message", true, 1},
		{"not an object", `["ada.secret@example.com"]`, nil, "malformed_message", true, 1},
		{"unknown field", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":{"firstName":"A"},"email":"ada.secret@example.com"}`, nil, "malformed_message", true, 1},
		{"no tenantId", `{"customerId":"` + custA + `","changes":{"firstName":"A"}}`, nil, "malformed_message", true, 1},
		{"tenantId a number", `{"tenantId":7,"customerId":"` + custA + `","changes":{"firstName":"A"}}`, nil, "malformed_message", true, 1},
		{"no customerId", `{"tenantId":"tenant-demo","changes":{"firstName":"A"}}`, nil, "malformed_message", true, 1},
		{"customerId not an id", `{"tenantId":"tenant-demo","customerId":"ada.secret@example.com","changes":{"firstName":"A"}}`, nil, "malformed_message", true, 1},
		{"changes null", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":null}`, nil, "malformed_message", true, 1},
		{"ifMatch a string", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":{"firstName":"A"},"ifMatch":"3"}`, nil, "malformed_message", true, 1},
		{"duplicate key in changes", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":{"firstName":"A","firstName":"B"}}`, nil, "malformed_message", true, 1},
		{"invalid changes", body(custA, `{"email":"ada.secret@","phone":"call me"}`), nil, "validation", true, 1},
		{"read-only field", body(custA, `{"version":9}`), nil, "validation", true, 1},
		{"no change", body(custA, `{}`), nil, "validation", true, 1},
		{"customer not found", failing, storeErr(fmt.Errorf("dynamo: update customer %s: %w", custA, customer.ErrNotFound)), "customer_not_found", true, 2},
		{"stale ifMatch", failing, storeErr(customer.ErrPrecondition), "precondition_failed", true, 2},
		{"email taken", failing, storeErr(customer.ErrEmailExists), "email_taken", true, 2},
		{"pending orders", failing, storeErr(customer.ErrPendingOrders), "pending_orders", true, 2},
		{"throttled", failing, storeErr(fault.Wrap(fault.Unavailable, "The service is temporarily unavailable", errors.New("ThrottlingException"))), "unavailable", false, 2},
		{"internal", failing, storeErr(errors.New("dynamo: update customer: ResourceNotFoundException")), "internal", false, 2},
		{"timeout", failing, storeErr(fmt.Errorf("dynamo: update customer: %w", context.DeadlineExceeded)), "internal", false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{update: tt.store}
			h, logs := newHandler(store)
			resp, err := h.Handle(context.Background(), batch(good, tt.body, good))
			if err != nil {
				t.Fatalf("Handle error = %v, want nil (partial batch response)", err)
			}
			if got := failedIDs(resp); !slices.Equal(got, []string{"m2", "m3"}) {
				t.Errorf("failures = %v, want [m2 m3]", got)
			}
			if len(store.calls) != tt.updates {
				t.Errorf("%d updates reached the store, want %d (the message after the failure is not processed)", len(store.calls), tt.updates)
			}
			line := logLine(t, logs, "m2")
			if line["kind"] != tt.wantKind || line["permanent"] != tt.permanent {
				t.Errorf("log of m2: kind %v, permanent %v, want %q, %v", line["kind"], line["permanent"], tt.wantKind, tt.permanent)
			}
			wantLevel := "WARN"
			if tt.permanent {
				wantLevel = "ERROR"
			}
			if line["level"] != wantLevel {
				t.Errorf("log of m2: level %v, want %s", line["level"], wantLevel)
			}
			if tt.updates == 2 && (line["tenantId"] != tenant || line["customerId"] != custA) {
				t.Errorf("log of m2: tenantId %v, customerId %v, want %s, %s", line["tenantId"], line["customerId"], tenant, custA)
			}
			for _, secret := range []string{"ada.secret", "555 0100", "call me", "Byron"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the log holds %q from a message:\n%s", secret, logs)
				}
			}
		})
	}
}

// logLine returns the failure log record of message id.
func logLine(t *testing.T, logs *bytes.Buffer, id string) map[string]any {
	t.Helper()
	for l := range strings.Lines(logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if rec["messageId"] == id && rec["kind"] != nil {
			return rec
		}
	}
	t.Fatalf("no failure log line for message %s in:\n%s", id, logs)
	return nil
}

// TestHandleStopsAtFirstFailure checks the FIFO rule: after a failure nothing more of the batch is
// applied — not even another customer's change — and everything from the failure on is reported.
func TestHandleStopsAtFirstFailure(t *testing.T) {
	store := &fakeStore{update: func(c call) error {
		if c.patch.FirstName != nil && *c.patch.FirstName == "Fail" {
			return customer.ErrNotFound
		}
		return nil
	}}
	h, _ := newHandler(store)
	ev := batch(
		body(custA, `{"firstName":"One"}`),
		body(custB, `{"firstName":"Two"}`),
		body(custA, `{"firstName":"Fail"}`),
		body(custB, `{"firstName":"Four"}`),
		body(custA, `{"firstName":"Five"}`),
	)
	resp, _ := h.Handle(context.Background(), ev)
	if got := failedIDs(resp); !slices.Equal(got, []string{"m3", "m4", "m5"}) {
		t.Errorf("failures = %v, want [m3 m4 m5]", got)
	}
	var applied []string
	for _, c := range store.calls {
		applied = append(applied, *c.patch.FirstName)
	}
	if !slices.Equal(applied, []string{"One", "Two", "Fail"}) {
		t.Errorf("updates = %v, want [One Two Fail]", applied)
	}
}

func TestHandleIfMatch(t *testing.T) {
	store := &fakeStore{}
	h, _ := newHandler(store)
	ev := batch(
		`{"tenantId":"tenant-demo","customerId":"`+custA+`","changes":{"firstName":"A"},"ifMatch":7}`,
		`{"tenantId":"tenant-demo","customerId":"`+custA+`","changes":{"firstName":"B"},"ifMatch":null}`,
	)
	resp, _ := h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 0 || len(store.calls) != 2 {
		t.Fatalf("failures %v, %d updates, want none and 2", failedIDs(resp), len(store.calls))
	}
	if m := store.calls[0].ifMatch; m == nil || *m != 7 {
		t.Errorf("ifMatch of the first update = %v, want 7", m)
	}
	if m := store.calls[1].ifMatch; m != nil {
		t.Errorf("ifMatch of the second update (null) = %v, want none", *m)
	}
}

// TestHandleOutOfTime: with the invocation's deadline (less the reserve to answer) gone, no
// change is started and the whole batch is reported for a retry.
func TestHandleOutOfTime(t *testing.T) {
	store := &fakeStore{}
	h, _ := newHandler(store)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(reserve/2))
	defer cancel()
	resp, err := h.Handle(ctx, batch(body(custA, `{"firstName":"A"}`), body(custB, `{"firstName":"B"}`)))
	if err != nil || !slices.Equal(failedIDs(resp), []string{"m1", "m2"}) || len(store.calls) != 0 {
		t.Errorf("Handle near the deadline = %v, %v with %d updates, want [m1 m2] and none", failedIDs(resp), err, len(store.calls))
	}
}

// TestHandleEmptyBatch answers an empty list, not null: Lambda reads null as "all succeeded" too,
// but the empty list is the documented shape.
func TestHandleEmptyBatch(t *testing.T) {
	h, _ := newHandler(&fakeStore{})
	resp, err := h.Handle(context.Background(), events.SQSEvent{})
	out, _ := json.Marshal(resp)
	if err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Errorf("Handle(empty) = %s, %v, want {\"batchItemFailures\":[]}", out, err)
	}
}

func TestMaxChangesBytesIsTheHTTPLimit(t *testing.T) {
	if MaxChangesBytes != httpapi.MaxBodyBytes {
		t.Errorf("MaxChangesBytes = %d, want httpapi.MaxBodyBytes (%d)", MaxChangesBytes, httpapi.MaxBodyBytes)
	}
}
