// Package crmsync applies the customer changes a CRM pushes to an SQS FIFO queue, through the same
// update path as PUT /v1/customers/{id}: customer.ParsePatch, then the store's UpdateCustomer (one
// UpdateItem when the email does not change).
//
// A batch is answered with a partial batch response. A change that cannot succeed however often it
// is retried (a malformed message, invalid changes, an unknown customer, a stale ifMatch, a taken
// email) is not retried: the handler sends it to the dead-letter queue itself and reports it done,
// so it holds up nothing. A change that failed for a reason that may pass (the table unavailable,
// an unexplained error) is reported failed, and so is every later message of its message group in
// the batch, unprocessed: the queue being FIFO with a message group per tenant and customer, no
// change of a customer is applied before an earlier one. Other groups of the batch go on.
// Every failure is logged (kind, tenant, customer and message id; never the body, an email or a
// phone number).
package crmsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Store is the customer update the consumer applies: the store's, as PUT uses it. Errors carry a
// fault.Kind (customer.ErrNotFound, customer.ErrPrecondition, customer.ErrEmailExists, ...).
type Store interface {
	UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error)
}

// Sender is the part of *sqs.Client the handler calls, to move rejected changes to the
// dead-letter queue; tests fake it.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Config is the consumer's configuration.
type Config struct {
	DeadLetterQueueURL string // DEAD_LETTER_QUEUE_URL, required: the FIFO queue of rejected changes
}

// ConfigFromEnv reads the Config through getenv.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{DeadLetterQueueURL: getenv("DEAD_LETTER_QUEUE_URL")}
	if c.DeadLetterQueueURL == "" {
		return Config{}, errors.New("crmsync: configuration: DEAD_LETTER_QUEUE_URL is required")
	}
	return c, nil
}

// Handler consumes batches of the CRM queue.
type Handler struct {
	store Store
	dlq   Sender
	cfg   Config
	log   *slog.Logger
}

// New returns the handler applying changes to s, sending rejected ones through dlq to the
// dead-letter queue of cfg, logging to log.
func New(s Store, dlq Sender, cfg Config, log *slog.Logger) *Handler {
	return &Handler{store: s, dlq: dlq, cfg: cfg, log: log}
}

// Handle applies the messages of a batch in order and reports the failed and unprocessed ones.
// It never returns an error: that would fail the whole batch, successes included. Once ctx is done
// it starts no more messages, and reports the rest failed (retried): lambdafn.ServeEvents sets
// ctx's deadline a little before the invocation's, so the answer is still sent.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	fail := func(m events.SQSMessage) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	// The message groups with a failed message in this batch, and the id of that message.
	blocked := map[string]string{}
	for i, msg := range ev.Records {
		if err := ctx.Err(); err != nil {
			h.log.WarnContext(ctx, "CRM sync: out of time; the rest of the batch is left for a retry",
				slog.Int("unprocessed", len(ev.Records)-i), slog.String("messageId", msg.MessageId))
			for _, m := range ev.Records[i:] {
				fail(m)
			}
			break
		}
		group := msg.Attributes["MessageGroupId"]
		if failed, ok := blocked[group]; ok {
			h.log.WarnContext(ctx, "CRM sync: message not processed after a failure in its message group (FIFO order); it is retried",
				slog.String("messageId", msg.MessageId), slog.String("failedMessageId", failed))
			fail(msg)
			continue
		}
		if !h.process(ctx, msg) {
			fail(msg)
			blocked[group] = msg.MessageId
		}
	}
	return resp, nil
}

// process applies one message through the update path, or moves it to the dead-letter queue when
// it cannot succeed, and reports whether the message is done with. It logs the outcome.
func (h *Handler) process(ctx context.Context, msg events.SQSMessage) bool {
	attrs := []slog.Attr{
		slog.String("messageId", msg.MessageId),
		slog.String("receiveCount", msg.Attributes["ApproximateReceiveCount"]),
	}
	m, err := ParseMessage([]byte(msg.Body))
	if err == nil {
		attrs = append(attrs, slog.String("tenantId", m.TenantID), slog.String("customerId", m.CustomerID))
		if msg.Attributes["MessageGroupId"] != m.TenantID+"#"+m.CustomerID {
			// SQS orders messages within a group only. The group id is not logged: the sender
			// chose it, and it might hold personal data.
			h.log.LogAttrs(ctx, slog.LevelWarn,
				"CRM sync: MessageGroupId is not <tenantId>#<customerId>; this customer's changes may be applied out of order", attrs...)
		}
		err = h.update(ctx, m)
	}
	if err == nil {
		return true
	}
	kind := failureCode(err)
	attrs = append(attrs, slog.String("kind", kind), slog.String("error", logText(err)))
	var v *fault.ValidationError
	if errors.As(err, &v) {
		// Paths and issue codes only: a message may quote a value of the body.
		fields := make([]string, 0, len(v.Fields))
		for _, f := range v.Fields {
			fields = append(fields, logPath(f.Path)+": "+string(f.Code))
		}
		attrs = append(attrs, slog.Any("fields", fields))
	}
	if !Permanent(err) {
		attrs = append(attrs, slog.Bool("permanent", false))
		h.log.LogAttrs(ctx, slog.LevelWarn, "CRM sync: change failed; it is retried", attrs...)
		return false
	}
	attrs = append(attrs, slog.Bool("permanent", true))
	if dlqErr := h.deadLetter(ctx, msg, kind, err); dlqErr != nil {
		attrs = append(attrs, slog.String("deadLetterError", dlqErr.Error()))
		h.log.LogAttrs(ctx, slog.LevelError,
			"CRM sync: change rejected, and not sent to the dead-letter queue; it is retried", attrs...)
		return false
	}
	h.log.LogAttrs(ctx, slog.LevelError, "CRM sync: change rejected; sent to the dead-letter queue", attrs...)
	return true
}

// Message attributes of a change sent to the dead-letter queue, besides the sender's own.
const (
	AttrFailureKind   = "FailureKind"   // the failure's FlexPortal error code (failureCode), e.g. NOT_FOUND
	AttrFailureReason = "FailureReason" // the error, which names fields but holds no value of the body
	AttrMessageID     = "SourceMessageId"
	AttrSentTimestamp = "SourceSentTimestamp" // when the CRM sent it, epoch milliseconds
)

// maxAttributes is the number of message attributes SQS takes on one message.
const maxAttributes = 10

// deadLetter sends msg, rejected with cause of kind, to the dead-letter queue: the body unchanged,
// in the same message group, deduplicated on the message id (so a batch delivered again after the
// send does not send it twice), with the sender's message attributes and the failure's.
func (h *Handler) deadLetter(ctx context.Context, msg events.SQSMessage, kind string, cause error) error {
	str := func(v string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		AttrFailureKind:   str(kind),
		AttrFailureReason: str(clip(cause.Error(), 1000)),
		AttrMessageID:     str(msg.MessageId),
	}
	if sent := msg.Attributes["SentTimestamp"]; sent != "" {
		attrs[AttrSentTimestamp] = sqstypes.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(sent)}
	}
	var dropped []string
	for _, name := range slices.Sorted(maps.Keys(msg.MessageAttributes)) {
		if _, ours := attrs[name]; ours {
			dropped = append(dropped, name)
			continue
		}
		if len(attrs) == maxAttributes {
			dropped = append(dropped, name)
			continue
		}
		a := msg.MessageAttributes[name]
		attrs[name] = sqstypes.MessageAttributeValue{DataType: aws.String(a.DataType), StringValue: a.StringValue, BinaryValue: a.BinaryValue}
	}
	if len(dropped) > 0 {
		h.log.WarnContext(ctx, "CRM sync: message attributes not kept in the dead-letter queue (name taken, or over SQS's 10)",
			slog.String("messageId", msg.MessageId), slog.Any("attributes", dropped))
	}
	group := msg.Attributes["MessageGroupId"]
	if group == "" {
		// Only a FIFO queue's messages have one, and the dead-letter queue, being FIFO, needs one.
		group = "crm-sync"
	}
	_, err := h.dlq.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(h.cfg.DeadLetterQueueURL),
		MessageBody:            aws.String(msg.Body),
		MessageGroupId:         aws.String(group),
		MessageDeduplicationId: aws.String(msg.MessageId),
		MessageAttributes:      attrs,
	})
	if err != nil {
		return fmt.Errorf("crmsync: send message %s to the dead-letter queue: %w", msg.MessageId, err)
	}
	return nil
}

// update is the PUT path: the changes validated as a PUT body for the customer, then one store
// update, conditioned on IfMatch when given.
//
// The changes are parsed strictly (customer.Strict), and changes with nothing to update are
// refused, where PUT ignores unknown and read-only fields and answers an empty body with the
// customer as it is: PUT is lenient so that a FlexPortal client may send back what it read, but
// the CRM is this service's own producer, and an unknown field or an empty change from it is a
// mapping bug that the dead-letter queue should show rather than swallow.
func (h *Handler) update(ctx context.Context, m Message) error {
	p, err := customer.ParsePatch(m.Changes, m.CustomerID, customer.Strict)
	if err == nil && p.Empty() {
		var v fault.ValidationError
		v.Add("", fault.Custom, "The changes must contain at least one field to update")
		err = &v
	}
	if err != nil {
		return fmt.Errorf("crmsync: changes of customer %s: %w", m.CustomerID, err)
	}
	var ifMatch customer.IfMatch
	if m.IfMatch != nil {
		ifMatch = customer.IfMatch{*m.IfMatch}
	}
	c, err := h.store.UpdateCustomer(ctx, m.TenantID, m.CustomerID, p, ifMatch)
	if err != nil {
		return fmt.Errorf("crmsync: update customer %s: %w", m.CustomerID, err)
	}
	h.log.InfoContext(ctx, "CRM sync: change applied",
		slog.String("tenantId", m.TenantID), slog.String("customerId", m.CustomerID), slog.Int64("version", c.Version))
	return nil
}

// Permanent reports whether err, the failure of a message, would recur however often the message
// is retried: anything but a transient (fault.Unavailable) or unexplained (fault.Internal, which
// includes timeouts) failure.
func Permanent(err error) bool {
	if errors.Is(err, ErrMalformed) {
		return true
	}
	switch fault.KindOf(err) {
	case fault.Unavailable, fault.Internal:
		return false
	}
	return true
}

// failureCode is the FlexPortal error code of a change's failure: the code the HTTP API answers
// for the same failure of a PUT (fault's one table), such as NOT_FOUND or VALIDATION_ERROR. A
// malformed envelope is INVALID_REQUEST, like a body that is no request at all.
func failureCode(err error) string {
	if errors.Is(err, ErrMalformed) {
		return fault.BadRequest.Code()
	}
	return fault.KindOf(err).Code()
}

// quoted matches a Go-quoted string in an error's text: the only way our errors carry what a
// sender chose (an unknown field's name, a custom field key in a path).
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// logText is err's text as the log may hold it: every quoted part, which a sender chose, elided.
// The dead-letter queue keeps the whole reason beside the message, which holds the body anyway.
func logText(err error) string { return quoted.ReplaceAllString(err.Error(), `"…"`) }

// knownNames are the names a change's paths may hold that the sender did not choose: the fields
// of a PUT body and of an address.
var knownNames = map[string]bool{
	"email": true, "firstName": true, "lastName": true, "company": true, "phone": true,
	"customerType": true, "status": true, "billingAddress": true, "shippingAddress": true,
	"customFields": true, "customerId": true, "contactName": true, "streetAddress": true,
	"buildingInfo": true, "locality": true, "city": true, "adminArea": true, "postalCode": true,
	"country": true,
}

// logPath is path as the log may hold it: a name the sender chose (a custom field key, an unknown
// field) becomes "*"; field names of the schema and array indexes stay.
func logPath(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		if !knownNames[p] && strings.Trim(p, "0123456789") != "" {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, ".")
}
