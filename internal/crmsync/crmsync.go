// Package crmsync applies the customer changes a CRM pushes to an SQS FIFO queue, through the same
// update path as PUT /v1/customers/{id}: customer.ParsePatch, then the store's UpdateCustomer (one
// UpdateItem when the email does not change).
//
// A batch is answered with a partial batch response: every message that failed, and — the queue
// being FIFO, with a message group per tenant and customer — every message after the first
// failure, unprocessed, so that no change of a customer is applied before an earlier one. Failures
// are retried by SQS; a permanent one (a malformed message, invalid changes, an unknown customer, a
// stale ifMatch, a taken email) fails again on each receive and reaches the dead-letter queue
// after the queue's maxReceiveCount, and is logged as such (kind, tenant, customer and message id;
// never the body, an email or a phone number).
package crmsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Store is the customer update the consumer applies: the store's, as PUT uses it. Errors carry a
// fault.Kind (customer.ErrNotFound, customer.ErrPrecondition, customer.ErrEmailExists, ...).
type Store interface {
	UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch *int64) (customer.Customer, error)
}

// Handler consumes batches of the CRM queue.
type Handler struct {
	store Store
	log   *slog.Logger
}

// New returns the handler applying changes to s, logging to log.
func New(s Store, log *slog.Logger) *Handler {
	return &Handler{store: s, log: log}
}

// reserve is the time kept, before the invocation's deadline, to answer: a message not started by
// then is reported failed (and retried) rather than cut off by the timeout, which would make SQS
// redeliver the whole batch, changes already applied included.
const reserve = 500 * time.Millisecond

// Handle applies the messages of a batch in order and reports the failed and unprocessed ones.
// It never returns an error: that would fail the whole batch, successes included.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	work := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		work, cancel = context.WithDeadline(ctx, dl.Add(-reserve))
		defer cancel()
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, msg := range ev.Records {
		if err := work.Err(); err != nil {
			h.log.WarnContext(ctx, "CRM sync: out of time; the rest of the batch is left for a retry",
				slog.Int("unprocessed", len(ev.Records)-i), slog.String("messageId", msg.MessageId))
			resp.BatchItemFailures = append(resp.BatchItemFailures, failures(ev.Records[i:])...)
			break
		}
		if err := h.apply(work, ctx, msg); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, failures(ev.Records[i:])...)
			if rest := len(ev.Records) - i - 1; rest > 0 {
				h.log.WarnContext(ctx, "CRM sync: later messages of the batch not processed after a failure (FIFO order); they are retried",
					slog.Int("unprocessed", rest), slog.String("failedMessageId", msg.MessageId))
			}
			break
		}
	}
	return resp, nil
}

// apply applies one message through the update path, logging the outcome on logCtx (the
// invocation's context, which carries the request id).
func (h *Handler) apply(ctx, logCtx context.Context, msg events.SQSMessage) error {
	attrs := []slog.Attr{
		slog.String("messageId", msg.MessageId),
		slog.String("receiveCount", msg.Attributes["ApproximateReceiveCount"]),
	}
	m, err := ParseMessage([]byte(msg.Body))
	if err == nil {
		attrs = append(attrs, slog.String("tenantId", m.TenantID), slog.String("customerId", m.CustomerID))
		err = h.update(ctx, m)
	}
	if err == nil {
		return nil
	}
	kind := kindName(err)
	attrs = append(attrs, slog.String("kind", kind), slog.String("error", err.Error()))
	var v *fault.ValidationError
	if errors.As(err, &v) {
		fields := make([]string, 0, len(v.Fields))
		for _, f := range v.Fields {
			fields = append(fields, f.Field+": "+f.Issue)
		}
		attrs = append(attrs, slog.Any("fields", fields))
	}
	if Permanent(err) {
		attrs = append(attrs, slog.Bool("permanent", true))
		h.log.LogAttrs(logCtx, slog.LevelError,
			"CRM sync: change rejected; it fails on every receive and goes to the dead-letter queue after maxReceiveCount", attrs...)
	} else {
		attrs = append(attrs, slog.Bool("permanent", false))
		h.log.LogAttrs(logCtx, slog.LevelWarn, "CRM sync: change failed; it is retried", attrs...)
	}
	return err
}

// update is the PUT path: the changes validated as a PUT body for the customer, then one store
// update, conditioned on IfMatch when given.
func (h *Handler) update(ctx context.Context, m Message) error {
	p, err := customer.ParsePatch(m.Changes, m.CustomerID)
	if err != nil {
		return fmt.Errorf("crmsync: changes of customer %s: %w", m.CustomerID, err)
	}
	c, err := h.store.UpdateCustomer(ctx, m.TenantID, m.CustomerID, p, m.IfMatch)
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

// kindNames name the kinds a change can fail with, for the log.
var kindNames = map[fault.Kind]string{
	fault.Internal:         "internal",
	fault.Unavailable:      "unavailable",
	fault.BadRequest:       "bad_request",
	fault.Validation:       "validation",
	fault.CustomerNotFound: "customer_not_found",
	fault.Precondition:     "precondition_failed",
	fault.EmailExists:      "email_taken",
	fault.PendingOrders:    "pending_orders",
	fault.CustomerInactive: "customer_inactive",
}

// kindName is the log name of err's kind.
func kindName(err error) string {
	if errors.Is(err, ErrMalformed) {
		return "malformed_message"
	}
	if n, ok := kindNames[fault.KindOf(err)]; ok {
		return n
	}
	return fmt.Sprintf("kind_%d", fault.KindOf(err))
}

// failures lists msgs as batch item failures.
func failures(msgs []events.SQSMessage) []events.SQSBatchItemFailure {
	out := make([]events.SQSBatchItemFailure, len(msgs))
	for i, m := range msgs {
		out[i] = events.SQSBatchItemFailure{ItemIdentifier: m.MessageId}
	}
	return out
}
