package rentalevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/rental"
	"github.com/flexportal-compat/customers-api/internal/rentalevents"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

// Placeholders of events/rental-events.json.
const (
	placeholderTenant   = "tenant-demo"
	placeholderCustomer = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
	placeholderOrder    = "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"
)

// fakeSQS records the messages sent to the dead-letter queue.
type fakeSQS struct {
	mu   sync.Mutex
	sent []*sqs.SendMessageInput
	err  error
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.sent = append(f.sent, in)
	return &sqs.SendMessageOutput{}, nil
}

func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func sampleEvent(t *testing.T, customerID, orderID string) events.SQSEvent {
	t.Helper()
	src, err := os.ReadFile("../../events/rental-events.json")
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.NewReplacer(placeholderCustomer, customerID, placeholderOrder, orderID).Replace(string(src)))
	var ev events.SQSEvent
	if err := json.Unmarshal(src, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestSampleEvent applies events/rental-events.json (created, extended, upgraded, ended, each in
// EventBridge's envelope) to a seeded customer and order, then again (every event a repeat), and
// a batch for an unknown customer, which goes to the dead-letter queue with its reason.
func TestSampleEvent(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	o, _, err := s.CreateOrder(ctx, placeholderTenant, order.Input{
		Customer:       order.NewCustomer{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"},
		Items:          []order.Item{{SKU: "MBP-14-M3", Quantity: 2, ContractLength: 12}},
		OrderType:      order.Standard,
	}, order.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	cid := o.Customer.CustomerID
	dlq := &fakeSQS{}
	var logs bytes.Buffer
	h := rentalevents.New(s, dlq, rentalevents.Config{DeadLetterQueueURL: "https://sqs.example/dlq"}, slog.New(slog.NewJSONHandler(&logs, nil)))
	for round := range 2 {
		resp, _ := h.Handle(ctx, sampleEvent(t, cid, o.OrderID))
		if len(resp.BatchItemFailures) != 0 || len(dlq.sent) != 0 {
			t.Fatalf("round %d: failures %+v, dead letters %d; want none", round, resp.BatchItemFailures, len(dlq.sent))
		}
		c, err := s.GetCustomer(ctx, placeholderTenant, cid)
		if err != nil {
			t.Fatal(err)
		}
		if c.TotalDevicesRented != 0 || c.TotalMonthlyRevenue != 0 || len(c.RentalIDs) != 2 {
			t.Errorf("round %d: customer devices %d revenue %v rentalIds %v, want 0 0 and both subscriptions", round, c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs)
		}
		got, err := s.GetOrder(ctx, placeholderTenant, o.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != order.Fulfilled || got.RentalProgress.RentedDevices != 2 {
			t.Errorf("round %d: order %s %+v, want fulfilled with 2 devices", round, got.Status, got.RentalProgress)
		}
	}
	if !strings.Contains(logs.String(), "a repeat") {
		t.Errorf("log: want the repeats logged as such:\n%s", logs.String())
	}

	unknown := "cust_01JD5X9K3M4N5P6Q7R8S9T0V1Z"
	resp, _ := h.Handle(ctx, sampleEvent(t, unknown, o.OrderID))
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("unknown customer: failures %+v, want none (dead-lettered)", resp.BatchItemFailures)
	}
	if len(dlq.sent) != 4 {
		t.Fatalf("unknown customer: %d dead letters, want 4", len(dlq.sent))
	}
	m := dlq.sent[0]
	if k := aws.ToString(m.MessageAttributes[rentalevents.AttrFailureKind].StringValue); k != "NOT_FOUND" ||
		!strings.Contains(aws.ToString(m.MessageAttributes[rentalevents.AttrFailureReason].StringValue), "customer does not exist") ||
		!strings.Contains(aws.ToString(m.MessageBody), unknown) {
		t.Errorf("dead letter = kind %s, reason %s, body %s", k, aws.ToString(m.MessageAttributes[rentalevents.AttrFailureReason].StringValue), aws.ToString(m.MessageBody))
	}
}

// failingStore fails every event with err.
type failingStore struct{ err error }

func (f failingStore) ApplyRentalEvent(context.Context, rental.Event) (rental.Change, error) {
	return rental.Change{}, f.err
}

// TestFailures: a transient failure is reported (retried by SQS, then redriven); a malformed
// message is dead-lettered; a dead-letter queue that cannot be reached leaves the message to a
// retry.
func TestFailures(t *testing.T) {
	ev := sampleEvent(t, placeholderCustomer, placeholderOrder)
	ev.Records = ev.Records[:1]
	malformed := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: `{"id":`}}}
	tests := []struct {
		name       string
		store      rentalevents.Store
		dlqErr     error
		ev         events.SQSEvent
		wantFailed int
		wantDead   int
	}{
		{"unavailable", failingStore{fault.Wrap(fault.Unavailable, "busy", fmt.Errorf("throttled"))}, nil, ev, 1, 0},
		{"internal", failingStore{fmt.Errorf("boom")}, nil, ev, 1, 0},
		{"malformed", failingStore{}, nil, malformed, 0, 1},
		{"dead-letter queue down", failingStore{rental.ErrUnknownCustomer}, fmt.Errorf("no route"), ev, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dlq := &fakeSQS{err: tt.dlqErr}
			h := rentalevents.New(tt.store, dlq, rentalevents.Config{DeadLetterQueueURL: "u"}, slog.New(slog.DiscardHandler))
			resp, err := h.Handle(t.Context(), tt.ev)
			if err != nil || len(resp.BatchItemFailures) != tt.wantFailed || len(dlq.sent) != tt.wantDead {
				t.Errorf("Handle = %v failures %+v, %d dead letters; want %d failures, %d dead letters", err, resp.BatchItemFailures, len(dlq.sent), tt.wantFailed, tt.wantDead)
			}
		})
	}
}

// TestModelThroughConsumer runs storetest's model-based test with every delivery going through
// the consumer, in SQS batches of up to 10: on the embedded store, and on the DynamoDB store when
// DYNOXIDE_ENDPOINT names a server (scripts/with-dynoxide.sh).
func TestModelThroughConsumer(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		s := openStore(t)
		modelThrough(t, rentalStore{s}, s)
	})
	t.Run("dynamo", func(t *testing.T) {
		endpoint := os.Getenv("DYNOXIDE_ENDPOINT")
		if endpoint == "" {
			t.Skip("DYNOXIDE_ENDPOINT not set: no DynamoDB server (scripts/with-dynoxide.sh go test ./internal/rentalevents/)")
		}
		client, err := dynamosetup.Connect(t.Context(), endpoint)
		if err != nil {
			t.Fatal(err)
		}
		table := fmt.Sprintf("rentalevents-%d", time.Now().UnixNano())
		if err := dynamosetup.CreateTable(t.Context(), client, table); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dynamosetup.DeleteTable(context.Background(), client, table) })
		s := dynamo.New(client, table)
		modelThrough(t, s, s)
	})
}

func modelThrough(t *testing.T, rs storetest.RentalStore, s rentalevents.Store) {
	dlq := &fakeSQS{}
	h := rentalevents.New(s, dlq, rentalevents.Config{DeadLetterQueueURL: "u"}, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		for _, m := range dlq.sent {
			t.Errorf("dead-lettered %s: %s", aws.ToString(m.MessageBody), aws.ToString(m.MessageAttributes[rentalevents.AttrFailureReason].StringValue))
		}
	})
	storetest.RentalModel(t, rs, 7, func(t *testing.T, evs []rental.Event) {
		for start := 0; start < len(evs); start += 10 {
			var batch events.SQSEvent
			for i, ev := range evs[start:min(start+10, len(evs))] {
				body, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				batch.Records = append(batch.Records, events.SQSMessage{MessageId: fmt.Sprintf("m%d", start+i), Body: string(body)})
			}
			resp, _ := h.Handle(t.Context(), batch)
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("batch at %d: failures %+v", start, resp.BatchItemFailures)
			}
		}
	})
}

type rentalStore struct{ *embedded.Store }

var (
	_ storetest.RentalStore = rentalStore{}
	_ storetest.RentalStore = (*dynamo.Store)(nil)
)
