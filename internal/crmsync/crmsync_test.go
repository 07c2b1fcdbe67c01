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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
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
	ifMatch    customer.IfMatch
}

// fakeStore records updates and answers them with update (success when nil).
type fakeStore struct {
	calls  []call
	update func(c call) error
}

func (s *fakeStore) UpdateCustomer(_ context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error) {
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

// batch is an SQS event of bodies, message ids m1, m2, ..., each in the message group of its
// customer (<tenant>#<customerId>; custA's when the body names none).
func batch(bodies ...string) events.SQSEvent {
	var ev events.SQSEvent
	for i, b := range bodies {
		var m struct{ CustomerID string }
		if json.Unmarshal([]byte(b), &m) != nil || m.CustomerID == "" {
			m.CustomerID = custA
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: fmt.Sprintf("m%d", i+1), Body: b,
			Attributes: map[string]string{
				"ApproximateReceiveCount": "1", "MessageGroupId": tenant + "#" + m.CustomerID,
				"SentTimestamp": fmt.Sprint(1795728600000 + i), "MessageDeduplicationId": fmt.Sprint("crm-change-", i+1),
			},
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

// fakeDLQ records the messages sent to the dead-letter queue and answers them with err.
type fakeDLQ struct {
	sent []*sqs.SendMessageInput
	err  error
}

func (q *fakeDLQ) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.sent = append(q.sent, in)
	if q.err != nil {
		return nil, q.err
	}
	return &sqs.SendMessageOutput{MessageId: aws.String("dlq-" + aws.ToString(in.MessageDeduplicationId))}, nil
}

const dlqURL = "https://sqs.us-east-1.amazonaws.com/123456789012/crm-dlq.fifo"

func newHandler(s Store) (*Handler, *bytes.Buffer) {
	h, _, logs := newHandlerDLQ(s, &fakeDLQ{})
	return h, logs
}

func newHandlerDLQ(s Store, q *fakeDLQ) (*Handler, *fakeDLQ, *bytes.Buffer) {
	var logs bytes.Buffer
	return New(s, q, Config{DeadLetterQueueURL: dlqURL}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), q, &logs
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

// TestHandleFailures sends each kind of failing message between two good ones of the same
// customer. A permanent failure is sent to the dead-letter queue and reported done, so the message
// after it is applied; a transient one is reported failed with the message after it, unprocessed
// (FIFO). The log says whether the failure is permanent, without the message's personal data.
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
		updates   int    // updates reaching the store up to the failing one included
		reason    string // in the dead letter's FailureReason, when permanent
	}{
		{"not JSON", `{"tenantId":`, nil, "INVALID_REQUEST", true, 1, "malformed message"},
		{"not an object", `["ada.secret@example.com"]`, nil, "INVALID_REQUEST", true, 1, ""},
		{"unknown field", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":{"firstName":"A"},"email":"ada.secret@example.com"}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"no tenantId", `{"customerId":"` + custA + `","changes":{"firstName":"A"}}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"tenantId a number", `{"tenantId":7,"customerId":"` + custA + `","changes":{"firstName":"A"}}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"no customerId", `{"tenantId":"tenant-demo","changes":{"firstName":"A"}}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"customerId not an id", `{"tenantId":"tenant-demo","customerId":"ada.secret@example.com","changes":{"firstName":"A"}}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"changes null", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":null}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"ifMatch a string", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":{"firstName":"A"},"ifMatch":"3"}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"duplicate key in changes", `{"tenantId":"tenant-demo","customerId":"` + custA + `","changes":{"firstName":"A","firstName":"B"}}`, nil, "INVALID_REQUEST", true, 1, ""},
		{"invalid changes", body(custA, `{"email":"ada.secret@","phone":"call me"}`), nil, "VALIDATION_ERROR", true, 1, `"email" (invalid_string), "phone" (custom)`},
		{"read-only field", body(custA, `{"version":9}`), nil, "VALIDATION_ERROR", true, 1, `"version" (unrecognized_keys)`},
		{"no change", body(custA, `{}`), nil, "VALIDATION_ERROR", true, 1, `"" (custom)`},
		{"customer not found", failing, storeErr(fmt.Errorf("dynamo: update customer %s: %w", custA, customer.ErrNotFound)), "NOT_FOUND", true, 2, "Customer not found"},
		{"stale ifMatch", failing, storeErr(customer.ErrPrecondition), "PRECONDITION_FAILED", true, 2, ""},
		{"email taken", failing, storeErr(customer.ErrEmailExists), "EMAIL_ALREADY_EXISTS", true, 2, ""},
		{"pending orders", failing, storeErr(customer.ErrPendingOrders), "CUSTOMER_HAS_PENDING_ORDERS", true, 2, ""},
		{"throttled", failing, storeErr(fault.Wrap(fault.Unavailable, "The service is temporarily unavailable", errors.New("ThrottlingException"))), "SERVICE_UNAVAILABLE", false, 2, ""},
		{"internal", failing, storeErr(errors.New("dynamo: update customer: ResourceNotFoundException")), "INTERNAL_ERROR", false, 2, ""},
		{"timeout", failing, storeErr(fmt.Errorf("dynamo: update customer: %w", context.DeadlineExceeded)), "INTERNAL_ERROR", false, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{update: tt.store}
			h, dlq, logs := newHandlerDLQ(store, &fakeDLQ{})
			ev := batch(good, tt.body, good)
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("Handle error = %v, want nil (partial batch response)", err)
			}
			wantFailed, wantUpdates, wantSent := []string{"m2", "m3"}, tt.updates, 0
			if tt.permanent {
				wantFailed, wantUpdates, wantSent = []string{}, tt.updates+1, 1
			}
			if got := failedIDs(resp); !slices.Equal(got, wantFailed) {
				t.Errorf("failures = %v, want %v", got, wantFailed)
			}
			if len(store.calls) != wantUpdates {
				t.Errorf("%d updates reached the store, want %d", len(store.calls), wantUpdates)
			}
			if len(dlq.sent) != wantSent {
				t.Fatalf("%d messages sent to the dead-letter queue, want %d", len(dlq.sent), wantSent)
			}
			if tt.permanent {
				checkDeadLetter(t, dlq.sent[0], ev.Records[1], tt.wantKind)
				if reason := aws.ToString(dlq.sent[0].MessageAttributes[AttrFailureReason].StringValue); !strings.Contains(reason, tt.reason) {
					t.Errorf("%s = %q, want it to hold %q", AttrFailureReason, reason, tt.reason)
				}
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
				if tt.permanent && strings.Contains(aws.ToString(dlq.sent[0].MessageAttributes[AttrFailureReason].StringValue), secret) {
					t.Errorf("the dead-letter message's %s holds %q", AttrFailureReason, secret)
				}
			}
		})
	}
}

// checkDeadLetter checks that in sends msg to the dead-letter queue: its body unchanged, in its
// message group, deduplicated on its message id, with the failure's kind and the message's id and
// sent time as attributes.
func checkDeadLetter(t *testing.T, in *sqs.SendMessageInput, msg events.SQSMessage, kind string) {
	t.Helper()
	if aws.ToString(in.QueueUrl) != dlqURL || aws.ToString(in.MessageBody) != msg.Body ||
		aws.ToString(in.MessageGroupId) != msg.Attributes["MessageGroupId"] || aws.ToString(in.MessageDeduplicationId) != msg.MessageId {
		t.Errorf("sent to the dead-letter queue: queue %s, group %s, deduplication id %s, body %s; want %s, %s, %s and the body unchanged",
			aws.ToString(in.QueueUrl), aws.ToString(in.MessageGroupId), aws.ToString(in.MessageDeduplicationId), aws.ToString(in.MessageBody),
			dlqURL, msg.Attributes["MessageGroupId"], msg.MessageId)
	}
	str := func(name string) string { return aws.ToString(in.MessageAttributes[name].StringValue) }
	if str(AttrFailureKind) != kind || str(AttrMessageID) != msg.MessageId || str(AttrSentTimestamp) != msg.Attributes["SentTimestamp"] ||
		str(AttrFailureReason) == "" {
		t.Errorf("dead-letter attributes %s %q, %s %q, %s %q, %s %q; want %q, %q, %q and a reason",
			AttrFailureKind, str(AttrFailureKind), AttrMessageID, str(AttrMessageID), AttrSentTimestamp, str(AttrSentTimestamp),
			AttrFailureReason, str(AttrFailureReason), kind, msg.MessageId, msg.Attributes["SentTimestamp"])
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

// TestHandleMessageGroups checks the FIFO rule per message group: after a transient failure
// nothing more of that group is applied, and its later messages are reported with it, while the
// other groups of the batch go on. A permanent failure holds up nothing.
func TestHandleMessageGroups(t *testing.T) {
	failWith := func(err error) func(call) error {
		return func(c call) error {
			if c.patch.FirstName != nil && *c.patch.FirstName == "Fail" {
				return err
			}
			return nil
		}
	}
	ev := batch(
		body(custA, `{"firstName":"One"}`),
		body(custB, `{"firstName":"Two"}`),
		body(custA, `{"firstName":"Fail"}`),
		body(custB, `{"firstName":"Four"}`),
		body(custA, `{"firstName":"Five"}`),
		body(custB, `{"firstName":"Six"}`),
	)
	tests := []struct {
		name    string
		err     error
		dlqErr  error
		failed  []string
		applied []string // first names reaching the store, in order
		sent    int
	}{
		{"transient", fault.Wrap(fault.Unavailable, "unavailable", errors.New("ThrottlingException")), nil,
			[]string{"m3", "m5"}, []string{"One", "Two", "Fail", "Four", "Six"}, 0},
		{"permanent", customer.ErrNotFound, nil,
			[]string{}, []string{"One", "Two", "Fail", "Four", "Five", "Six"}, 1},
		{"permanent, dead-letter queue down", customer.ErrNotFound, errors.New("connection reset"),
			[]string{"m3", "m5"}, []string{"One", "Two", "Fail", "Four", "Six"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{update: failWith(tt.err)}
			h, dlq, logs := newHandlerDLQ(store, &fakeDLQ{err: tt.dlqErr})
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatalf("Handle error = %v, want nil", err)
			}
			if got := failedIDs(resp); !slices.Equal(got, tt.failed) {
				t.Errorf("failures = %v, want %v", got, tt.failed)
			}
			var applied []string
			for _, c := range store.calls {
				applied = append(applied, *c.patch.FirstName)
			}
			if !slices.Equal(applied, tt.applied) {
				t.Errorf("updates = %v, want %v", applied, tt.applied)
			}
			if len(dlq.sent) != tt.sent {
				t.Errorf("%d messages sent to the dead-letter queue, want %d", len(dlq.sent), tt.sent)
			}
			if tt.dlqErr != nil && !strings.Contains(logs.String(), "connection reset") {
				t.Errorf("the dead-letter queue's error is not logged:\n%s", logs)
			}
		})
	}
}

// TestDeadLetterAttributes: the sender's message attributes go to the dead-letter queue with the
// failure's, up to SQS's 10; those that do not fit, or whose name is taken, are logged as dropped.
func TestDeadLetterAttributes(t *testing.T) {
	ev := batch(body(custA, `{}`))
	ev.Records[0].MessageAttributes = map[string]events.SQSMessageAttribute{
		"traceId":       {DataType: "String", StringValue: aws.String("trace-1")},
		"crmRevision":   {DataType: "Number", StringValue: aws.String("42")},
		"signature":     {DataType: "Binary", BinaryValue: []byte{1, 2}},
		AttrFailureKind: {DataType: "String", StringValue: aws.String("forged")},
	}
	for i := range 6 {
		ev.Records[0].MessageAttributes[fmt.Sprint("z", i)] = events.SQSMessageAttribute{DataType: "String", StringValue: aws.String("v")}
	}
	h, dlq, logs := newHandlerDLQ(&fakeStore{}, &fakeDLQ{})
	resp, _ := h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 0 || len(dlq.sent) != 1 {
		t.Fatalf("failures %v, %d sent to the dead-letter queue, want none and 1", failedIDs(resp), len(dlq.sent))
	}
	checkDeadLetter(t, dlq.sent[0], ev.Records[0], "VALIDATION_ERROR")
	got := dlq.sent[0].MessageAttributes
	if len(got) != maxAttributes {
		t.Errorf("%d message attributes, want %d", len(got), maxAttributes)
	}
	if aws.ToString(got["traceId"].StringValue) != "trace-1" || aws.ToString(got["crmRevision"].DataType) != "Number" ||
		!bytes.Equal(got["signature"].BinaryValue, []byte{1, 2}) {
		t.Errorf("sender's attributes kept = %v, want traceId, crmRevision and signature", got)
	}
	for _, dropped := range []string{`"z3"`, `"z4"`, `"z5"`, `"` + AttrFailureKind + `"`} {
		if !strings.Contains(logs.String(), dropped) {
			t.Errorf("the log does not name the dropped attribute %s:\n%s", dropped, logs)
		}
	}
}

// TestHandleMessageGroupID: a message whose MessageGroupId is not <tenantId>#<customerId> is
// applied, with a warning naming it (ordering per customer depends on the group); one whose group
// is right is not warned about.
func TestHandleMessageGroupID(t *testing.T) {
	const warning = "MessageGroupId is not <tenantId>#<customerId>"
	tests := []struct {
		name  string
		group string
		warn  bool
	}{
		{"per customer", tenant + "#" + custA, false},
		{"per tenant", tenant, true},
		{"another customer", tenant + "#" + custB, true},
		{"another tenant", "tenant-other#" + custA, true},
		{"none", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := batch(body(custA, `{"firstName":"A"}`))
			ev.Records[0].Attributes["MessageGroupId"] = tt.group
			store := &fakeStore{}
			h, logs := newHandler(store)
			resp, _ := h.Handle(context.Background(), ev)
			if len(resp.BatchItemFailures) != 0 || len(store.calls) != 1 {
				t.Fatalf("failures %v, %d updates, want none and 1", failedIDs(resp), len(store.calls))
			}
			var warned bool
			for l := range strings.Lines(logs.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(fmt.Sprint(rec["msg"]), warning) {
					warned = true
					if rec["level"] != "WARN" || rec["messageId"] != "m1" || rec["tenantId"] != tenant || rec["customerId"] != custA {
						t.Errorf("warning %v, want WARN with messageId m1, tenantId and customerId", rec)
					}
				}
			}
			if warned != tt.warn {
				t.Errorf("group %q: warned %v, want %v:\n%s", tt.group, warned, tt.warn, logs)
			}
		})
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
	if m := store.calls[0].ifMatch; len(m) != 1 || m[0] != 7 {
		t.Errorf("ifMatch of the first update = %v, want 7", m)
	}
	if m := store.calls[1].ifMatch; m != nil {
		t.Errorf("ifMatch of the second update (null) = %v, want none", m)
	}
}

// TestHandleOutOfTime: with the context's deadline (the invocation's, less lambdafn.Reserve to
// answer) gone, no change is started and the whole batch is reported for a retry.
func TestHandleOutOfTime(t *testing.T) {
	store := &fakeStore{}
	h, _ := newHandler(store)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
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

// TestLogsHoldNoSenderChosenStrings: what a sender chose — an unknown field's name, a custom
// field key, a value — never reaches the log, whether the message is malformed or its changes
// invalid; the paths keep the schema's names and replace the sender's with "*".
func TestLogsHoldNoSenderChosenStrings(t *testing.T) {
	const secret = "ada.secret@example.com"
	bodies := []string{
		`{"tenantId":"` + tenant + `","customerId":"` + custA + `","changes":{},"` + secret + `":1}`,
		body(custA, `{"customFields":{"`+secret+`":{"nested":true}},"`+secret+`":1,"billingAddress":{"city":"`+secret+`"}}`),
	}
	for _, b := range bodies {
		h, logs := newHandler(&fakeStore{})
		if _, err := h.Handle(t.Context(), batch(b)); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.String(), "ada.secret") {
			t.Errorf("log holds a sender-chosen string:\n%s", logs.String())
		}
		if !strings.Contains(logs.String(), "rejected") {
			t.Errorf("no rejection logged for %s:\n%s", b, logs.String())
		}
	}
	for path, want := range map[string]string{
		"customFields.plan":     "customFields.*",
		"billingAddress.city":   "billingAddress.city",
		"items.0.sku":           "*.0.*",
		"nickname":              "*",
		"customFields.a.b":      "customFields.*.*",
		"shippingAddress.extra": "shippingAddress.*",
	} {
		if got := logPath(path); got != want {
			t.Errorf("logPath(%q) = %q, want %q", path, got, want)
		}
	}
}
