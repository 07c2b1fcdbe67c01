// Package rentalevents applies the subscription events (package rental) that an EventBridge rule
// puts on an SQS queue: each message is one event, applied by the store in one transaction.
//
// A batch is answered with a partial batch response. An event that cannot succeed however often
// it is retried (malformed, invalid, for a customer or tenant the service does not hold, naming
// another customer's subscription) is sent to the dead-letter queue by the handler itself, with
// its reason, and reported done. An event that failed for a reason that may pass (the table
// unavailable, an unexplained error) is reported failed, so SQS delivers it again, and after the
// queue's maxReceiveCount its redrive policy moves it to the same dead-letter queue: nothing is
// retried forever. Order does not matter: a subscription's state only moves forward, so events
// that arrive late, twice or out of order change nothing they should not.
package rentalevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/rental"
)

// Store applies one event (the stores' ApplyRentalEvent).
type Store interface {
	ApplyRentalEvent(ctx context.Context, ev rental.Event) (rental.Change, error)
}

// Sender is the part of *sqs.Client the handler calls, to move rejected events to the
// dead-letter queue; tests fake it.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Config is the consumer's configuration.
type Config struct {
	DeadLetterQueueURL string // DEAD_LETTER_QUEUE_URL, required
}

// ConfigFromEnv reads the Config through getenv.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{DeadLetterQueueURL: getenv("DEAD_LETTER_QUEUE_URL")}
	if c.DeadLetterQueueURL == "" {
		return Config{}, errors.New("rentalevents: configuration: DEAD_LETTER_QUEUE_URL is required")
	}
	return c, nil
}

// Handler consumes batches of the subscription-event queue.
type Handler struct {
	store Store
	dlq   Sender
	cfg   Config
	log   *slog.Logger
}

// New returns the handler applying events to s, sending rejected ones through dlq.
func New(s Store, dlq Sender, cfg Config, log *slog.Logger) *Handler {
	return &Handler{store: s, dlq: dlq, cfg: cfg, log: log}
}

// Handle applies the messages of a batch and reports the failed ones. It never returns an error:
// that would fail the whole batch, successes included. Once ctx is done it starts no more
// messages and reports the rest failed.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, msg := range ev.Records {
		if ctx.Err() != nil {
			h.log.WarnContext(ctx, "rental events: out of time; the rest of the batch is left for a retry",
				slog.Int("unprocessed", len(ev.Records)-i))
			for _, m := range ev.Records[i:] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
			break
		}
		if !h.process(ctx, msg) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp, nil
}

// Body returns the subscription event a message carries: the body itself, or, when the rule
// delivered EventBridge's whole envelope (a target without InputPath $.detail), its detail.
func Body(body []byte) []byte {
	var env struct {
		DetailType *string         `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) == nil && env.DetailType != nil && len(env.Detail) > 0 {
		return env.Detail
	}
	return body
}

// process applies one message, or dead-letters it when it cannot succeed, and reports whether the
// message is done with.
func (h *Handler) process(ctx context.Context, msg events.SQSMessage) bool {
	attrs := []slog.Attr{slog.String("messageId", msg.MessageId), slog.String("receiveCount", msg.Attributes["ApproximateReceiveCount"])}
	ev, err := rental.Parse(Body([]byte(msg.Body)))
	var ch rental.Change
	if err == nil {
		attrs = append(attrs, slog.String("eventId", ev.ID), slog.String("event", string(ev.Event)),
			slog.String("tenantId", ev.TenantID), slog.String("customerId", ev.Data.CustomerID), slog.String("subscriptionId", ev.Data.SubscriptionID))
		ch, err = h.store.ApplyRentalEvent(ctx, ev)
	}
	if err == nil {
		outcome := "applied"
		switch {
		case ch.Duplicate:
			outcome = "a repeat; nothing to do"
		case ch.Empty():
			outcome = "nothing to change"
		}
		h.log.LogAttrs(ctx, slog.LevelInfo, "rental events: event "+outcome, attrs...)
		return true
	}
	code := FailureCode(err)
	attrs = append(attrs, slog.String("kind", code), slog.String("error", err.Error()))
	if !Permanent(err) {
		h.log.LogAttrs(ctx, slog.LevelWarn, "rental events: event failed; it is retried", attrs...)
		return false
	}
	if dlqErr := h.deadLetter(ctx, msg, code, err); dlqErr != nil {
		attrs = append(attrs, slog.String("deadLetterError", dlqErr.Error()))
		h.log.LogAttrs(ctx, slog.LevelError, "rental events: event rejected, and not sent to the dead-letter queue; it is retried", attrs...)
		return false
	}
	h.log.LogAttrs(ctx, slog.LevelError, "rental events: event rejected; sent to the dead-letter queue", attrs...)
	return true
}

// Message attributes of an event sent to the dead-letter queue.
const (
	AttrFailureKind   = "FailureKind"   // the failure's code, e.g. NOT_FOUND, VALIDATION_ERROR
	AttrFailureReason = "FailureReason" // the error's text
	AttrMessageID     = "SourceMessageId"
)

// deadLetter sends msg, rejected with cause, to the dead-letter queue with its reason.
func (h *Handler) deadLetter(ctx context.Context, msg events.SQSMessage, code string, cause error) error {
	str := func(v string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	reason := cause.Error()
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	_, err := h.dlq.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(h.cfg.DeadLetterQueueURL),
		MessageBody: aws.String(msg.Body),
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			AttrFailureKind:   str(code),
			AttrFailureReason: str(reason),
			AttrMessageID:     str(msg.MessageId),
		},
	})
	if err != nil {
		return fmt.Errorf("rentalevents: send message %s to the dead-letter queue: %w", msg.MessageId, err)
	}
	return nil
}

// Permanent reports whether err would recur however often the event is retried: anything but a
// transient (fault.Unavailable) or unexplained (fault.Internal) failure.
func Permanent(err error) bool {
	if errors.Is(err, rental.ErrMalformed) {
		return true
	}
	switch fault.KindOf(err) {
	case fault.Unavailable, fault.Internal:
		return false
	}
	return true
}

// FailureCode names err as the dead-letter queue shows it: the FlexPortal code of its kind, and
// INVALID_REQUEST for a message that is no event at all.
func FailureCode(err error) string {
	if errors.Is(err, rental.ErrMalformed) {
		return fault.BadRequest.Code()
	}
	return fault.KindOf(err).Code()
}
