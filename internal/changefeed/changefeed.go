// Package changefeed turns the table's DynamoDB stream (new and old images) into events on an
// EventBridge bus, in FlexPortal's webhook shape (Event):
//
//   - customer.created: a customer item was inserted;
//   - customer.deactivated: a customer's status became inactive;
//   - customer.reactivated: a customer's status became active again;
//   - customer.updated: any other change of a customer's field the API shows;
//   - order.created: an order item was inserted;
//   - order.cancelled: an order's status became cancelled.
//
// An event's data is the item as the API shows it (but for a customer's order and rental id
// lists), which of its fields changed and their previous values. Other items of the table (email
// reservations, idempotency records, API keys), changes of internal attributes only
// (pendingOrders, index keys) and other changes of orders publish nothing. An event too large for
// EventBridge is published slimmed: names of the changed fields, no values, "truncated": true.
//
// Delivery is at least once and in stream order per item: a batch is published in order, and
// a failure is answered with the sequence number of the first record not published, from which
// Lambda retries (records after it that went out are published again). Consumers deduplicate on
// the event's id.
package changefeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// DefaultSource is the events' source when EVENT_SOURCE is not set.
const DefaultSource = "flexportal.customers"

// Config is the publisher's configuration.
type Config struct {
	Bus    string // EVENT_BUS_NAME, required: name or ARN of the bus
	Source string // EVENT_SOURCE, default DefaultSource
}

// ConfigFromEnv reads the Config through getenv.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Bus: getenv("EVENT_BUS_NAME"), Source: getenv("EVENT_SOURCE")}
	if c.Source == "" {
		c.Source = DefaultSource
	}
	var errs []error
	if c.Bus == "" {
		errs = append(errs, errors.New("EVENT_BUS_NAME is required"))
	}
	// EventBridge reserves the aws. prefix for AWS services and refuses such entries one by one;
	// entrySize counts the source's bytes as UTF-8.
	if strings.HasPrefix(c.Source, "aws.") || len(c.Source) > 256 || !utf8.ValidString(c.Source) {
		errs = append(errs, fmt.Errorf("EVENT_SOURCE %q: want at most 256 characters of UTF-8, not starting with \"aws.\"", c.Source))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("changefeed: configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// Publisher is the part of *eventbridge.Client the handler calls, so tests can fake it.
type Publisher interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Handler consumes batches of the table's stream.
type Handler struct {
	client Publisher
	cfg    Config
	log    *slog.Logger
}

// New returns the handler publishing through client to the bus of cfg.
func New(client Publisher, cfg Config, log *slog.Logger) *Handler {
	return &Handler{client: client, cfg: cfg, log: log}
}

// maxEntries is the most entries one PutEvents takes (maxRequestBytes, the most bytes).
const maxEntries = 10

// pending is an event to publish, with the stream record it comes from.
type pending struct {
	seq   string // the record's sequence number: the checkpoint if it fails
	key   logKey
	entry ebtypes.PutEventsRequestEntry
	size  int // entrySize(entry)
}

// logKey names a record's item in the log: its tenant, and customerId or orderId.
type logKey struct{ tenant, idName, id string }

func (k logKey) attrs() []slog.Attr {
	if k.idName == "" {
		return []slog.Attr{slog.String("tenantId", k.tenant)}
	}
	return []slog.Attr{slog.String("tenantId", k.tenant), slog.String(k.idName, k.id)}
}

// Handle publishes the events of a batch of stream records, in order. When something fails it
// answers with the sequence number of the first record whose event was not published (or that
// could not be read), so Lambda retries from there; it never returns an error, which would retry
// the whole batch. Publishing stops when ctx is done: lambdafn.ServeEvents sets ctx's deadline a
// little before the invocation's, so the checkpoint is still sent.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}

	var queue []pending
	stop := "" // sequence number of the first record that could not be read
	for _, rec := range ev.Records {
		p, ok, err := h.event(ctx, rec)
		if err != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "change events: stream record not readable; Lambda retries from it, then sends the batch to the failure destination",
				append(p.key.attrs(), slog.String("sequenceNumber", rec.Change.SequenceNumber),
					slog.String("eventId", rec.EventID), slog.String("error", err.Error()))...)
			stop = rec.Change.SequenceNumber
			break
		}
		if ok {
			queue = append(queue, p)
		}
	}

	published := 0
	for len(queue) > 0 {
		n := batchLen(queue)
		sent, err := h.publish(ctx, queue[:n])
		published += sent
		if err != nil {
			p := queue[sent]
			h.log.LogAttrs(ctx, slog.LevelWarn, "change events: not published; Lambda retries from this record",
				append(p.key.attrs(), slog.String("sequenceNumber", p.seq), slog.String("detailType", aws.ToString(p.entry.DetailType)),
					slog.String("error", err.Error()))...)
			stop = p.seq
			break
		}
		queue = queue[n:]
	}
	if stop != "" {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: stop})
	}
	h.log.InfoContext(ctx, "change events: batch done", slog.Int("records", len(ev.Records)), slog.Int("published", published),
		slog.Bool("checkpoint", stop != ""))
	return resp, nil
}

// batchLen is how many of the first events of queue one PutEvents can take.
func batchLen(queue []pending) int {
	n, size := 0, 0
	for n < len(queue) && n < maxEntries && (n == 0 || size+queue[n].size <= maxRequestBytes) {
		size += queue[n].size
		n++
	}
	return n
}

// publish sends batch in one PutEvents. It returns how many of its first entries were published
// before the first failure, and that failure.
func (h *Handler) publish(ctx context.Context, batch []pending) (int, error) {
	entries := make([]ebtypes.PutEventsRequestEntry, len(batch))
	for i, p := range batch {
		entries[i] = p.entry
	}
	out, err := h.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return 0, fmt.Errorf("changefeed: put events: %w", err)
	}
	if len(out.Entries) != len(entries) {
		return 0, fmt.Errorf("changefeed: put events: %d results for %d entries", len(out.Entries), len(entries))
	}
	for i, r := range out.Entries {
		if r.ErrorCode != nil || r.EventId == nil {
			return i, fmt.Errorf("changefeed: put events: entry %d refused: %s: %s", i, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
		}
		h.log.LogAttrs(ctx, slog.LevelDebug, "change events: published", append(batch[i].key.attrs(),
			slog.String("detailType", aws.ToString(batch[i].entry.DetailType)), slog.String("eventBridgeId", aws.ToString(r.EventId)))...)
	}
	return len(out.Entries), nil
}

// event returns the entry of a stream record's event, and false when the record makes none. An
// event over EventBridge's limit, which it would refuse however often it were sent, is published
// slimmed rather than dropped or made the checkpoint, which would block the shard on it.
func (h *Handler) event(ctx context.Context, rec events.DynamoDBEventRecord) (pending, bool, error) {
	p := pending{seq: rec.Change.SequenceNumber}
	keys, err := Item(rec.Change.Keys)
	if err != nil {
		return p, false, err
	}
	k, ok := kindOf(keys)
	if !ok {
		return p, false, nil
	}
	p.key = keyOf(keys)
	ev, ok, err := eventOf(k, rec)
	if err != nil || !ok {
		return p, false, err
	}
	if p.entry, err = h.entry(ev, rec); err != nil {
		return p, false, err
	}
	if p.size = entrySize(p.entry); p.size > maxRequestBytes {
		full := p.size
		if p.entry, err = h.entry(ev.slimmed(), rec); err != nil {
			return p, false, err
		}
		// A slimmed event holds ids and field names only, a few hundred bytes: it always fits.
		p.size = entrySize(p.entry)
		h.log.LogAttrs(ctx, slog.LevelWarn, "change events: event over EventBridge's size limit; published slimmed (truncated, without values)",
			append(p.key.attrs(), slog.String("detailType", ev.Event), slog.String("eventId", ev.ID), slog.Int("size", full),
				slog.Int("slimmedSize", p.size), slog.Int("maxSize", maxRequestBytes), slog.String("sequenceNumber", p.seq))...)
	}
	return p, true, nil
}

// entry is the PutEvents entry of ev, the event of rec.
func (h *Handler) entry(ev Event, rec events.DynamoDBEventRecord) (ebtypes.PutEventsRequestEntry, error) {
	detail, err := encode(ev)
	if err != nil {
		return ebtypes.PutEventsRequestEntry{}, err
	}
	e := ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(h.cfg.Bus),
		Source:       aws.String(h.cfg.Source),
		DetailType:   aws.String(ev.Event),
		Detail:       aws.String(string(detail)),
	}
	if t := rec.Change.ApproximateCreationDateTime.Time; !t.IsZero() {
		e.Time = aws.Time(t)
	}
	return e, nil
}

// keyOf names the item of a key: PK TENANT#<tenant>, SK CUSTOMER#<id> or ORDER#<id>.
func keyOf(k map[string]types.AttributeValue) logKey {
	str := func(name string) string {
		if v, ok := k[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	key := logKey{tenant: strings.TrimPrefix(str(dynamo.AttrPK), "TENANT#")}
	sk := str(dynamo.AttrSK)
	if id, ok := strings.CutPrefix(sk, dynamo.PrefixCustomerSK); ok {
		key.idName, key.id = "customerId", id
	} else if id, ok := strings.CutPrefix(sk, dynamo.PrefixOrderSK); ok {
		key.idName, key.id = "orderId", id
	}
	return key
}
