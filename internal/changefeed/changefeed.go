// Package changefeed turns the table's DynamoDB stream (new and old images) into customer events
// on an EventBridge bus:
//
//   - customer.created: a customer item was inserted;
//   - customer.deactivated: a customer's status became inactive;
//   - customer.updated: any other change of a field the API shows.
//
// Every event's detail is a Detail: the customer as the API shows it (but for its order and rental
// id lists), which of its fields changed and their previous values. Other items of the table (email reservations, orders, idempotency
// records, API keys) and changes of internal attributes only (pendingOrders, index keys) publish
// nothing.
//
// Delivery is at least once and in stream order per customer: a batch is published in order, and
// a failure is answered with the sequence number of the first record not published, from which
// Lambda retries (records after it that went out are published again). Consumers deduplicate on
// customerId and version.
package changefeed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// The detail types of the events.
const (
	Created     = "customer.created"
	Updated     = "customer.updated"
	Deactivated = "customer.deactivated"
)

// DefaultSource is the events' source when EVENT_SOURCE is not set.
const DefaultSource = "flexportal.customers"

// Detail is the detail of every customer event.
//
// ChangedFields are the JSON names of the customer's fields that changed, sorted; version and
// updatedAt, which every change moves, are not listed. Previous holds the value each of them had
// before (null when the field was absent). For customer.created, ChangedFields lists every field
// the new customer has, and Previous maps each of them to null.
//
// Customer is the customer as GET shows it, without the Unlisted fields; Previous never holds
// them either, though ChangedFields names them when they change.
type Detail struct {
	TenantID      string                     `json:"tenantId"`
	CustomerID    string                     `json:"customerId"`
	Version       int64                      `json:"version"`
	ChangedFields []string                   `json:"changedFields"`
	Previous      map[string]json.RawMessage `json:"previous"`
	Customer      map[string]json.RawMessage `json:"customer"`
}

// Unlisted are the customer's fields an event leaves out of Customer and Previous: the ids of all
// its orders and rentals, which grow without bound. Twice in one event (new and previous), a
// customer with a few thousand orders would go over EventBridge's 256 KB per event; a consumer
// reads them with GET /v1/customers/{customerId}.
var Unlisted = []string{"orderIds", "rentalIds"}

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
	// EventBridge reserves the aws. prefix for AWS services and refuses such entries one by one.
	if strings.HasPrefix(c.Source, "aws.") || len(c.Source) > 256 {
		errs = append(errs, fmt.Errorf("EVENT_SOURCE %q: want at most 256 characters, not starting with \"aws.\"", c.Source))
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

// PutEvents limits: entries per request, and bytes per request (and so per entry).
const (
	maxEntries      = 10
	maxRequestBytes = 256 * 1024
)

// pending is an event to publish, with the stream record it comes from.
type pending struct {
	seq     string // the record's sequence number: the checkpoint if it fails
	key     logKey
	version int64
	entry   ebtypes.PutEventsRequestEntry
	size    int
}

// logKey names a record's customer in the log.
type logKey struct{ tenant, customerID string }

func (k logKey) attrs() []slog.Attr {
	return []slog.Attr{slog.String("tenantId", k.tenant), slog.String("customerId", k.customerID)}
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
		p, ok, err := h.event(rec)
		if err != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "change events: stream record not readable; Lambda retries from it, then sends the batch to the failure destination",
				append(p.key.attrs(), slog.String("sequenceNumber", rec.Change.SequenceNumber),
					slog.String("eventId", rec.EventID), slog.String("error", err.Error()))...)
			stop = rec.Change.SequenceNumber
			break
		}
		if ok && p.size > maxRequestBytes {
			// EventBridge would refuse it however often it is sent: publishing it is given up, and
			// it holds up neither the shard nor the batch (no checkpoint on it).
			h.log.LogAttrs(ctx, slog.LevelError, "change events: event over EventBridge's size limit; not published",
				append(p.key.attrs(), slog.Int64("version", p.version), slog.Int("size", p.size), slog.Int("maxSize", maxRequestBytes),
					slog.String("detailType", aws.ToString(p.entry.DetailType)), slog.String("sequenceNumber", p.seq))...)
			continue
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
			slog.String("detailType", aws.ToString(batch[i].entry.DetailType)), slog.String("eventId", aws.ToString(r.EventId)))...)
	}
	return len(out.Entries), nil
}

// event returns the event of a stream record, and false when the record publishes none.
func (h *Handler) event(rec events.DynamoDBEventRecord) (pending, bool, error) {
	p := pending{seq: rec.Change.SequenceNumber}
	keys, err := Item(rec.Change.Keys)
	if err != nil {
		return p, false, err
	}
	if !dynamo.IsCustomerKey(keys) {
		return p, false, nil
	}
	p.key = keyOf(keys)
	var d Detail
	var kind string
	switch rec.EventName {
	case string(events.DynamoDBOperationTypeInsert):
		kind = Created
		d, err = created(rec.Change.NewImage)
	case string(events.DynamoDBOperationTypeModify):
		d, kind, err = modified(rec.Change.OldImage, rec.Change.NewImage)
	default:
		// The API never deletes a customer (DELETE deactivates): nothing to tell consumers.
		return p, false, nil
	}
	if err != nil || kind == "" {
		return p, false, err
	}
	detail, err := json.Marshal(d)
	if err != nil {
		return p, false, fmt.Errorf("changefeed: encode detail: %w", err)
	}
	p.version = d.Version
	p.entry = ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(h.cfg.Bus),
		Source:       aws.String(h.cfg.Source),
		DetailType:   aws.String(kind),
		Detail:       aws.String(string(detail)),
	}
	// The entry size as EventBridge counts it: source, detail type, detail, and 14 for a time.
	p.size = len(h.cfg.Source) + len(kind) + len(detail)
	if t := rec.Change.ApproximateCreationDateTime.Time; !t.IsZero() {
		p.entry.Time = aws.Time(t)
		p.size += 14
	}
	return p, true, nil
}

// keyOf names the customer of a customer item's key: PK TENANT#<tenant>, SK CUSTOMER#<id>.
func keyOf(k map[string]types.AttributeValue) logKey {
	str := func(name string) string {
		if v, ok := k[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	return logKey{
		tenant:     strings.TrimPrefix(str(dynamo.AttrPK), "TENANT#"),
		customerID: strings.TrimPrefix(str(dynamo.AttrSK), dynamo.PrefixCustomerSK),
	}
}

// created is the detail of an inserted customer: every field it has is new.
func created(newImage map[string]events.DynamoDBAttributeValue) (Detail, error) {
	c, err := decode("new", newImage)
	if err != nil {
		return Detail{}, err
	}
	fields, err := fieldsOf(c)
	if err != nil {
		return Detail{}, err
	}
	d := detailOf(c, fields)
	for name := range fields {
		if !bookkeeping[name] {
			d.ChangedFields = append(d.ChangedFields, name)
			d.setPrevious(name, null)
		}
	}
	slices.Sort(d.ChangedFields)
	return d, nil
}

// modified is the detail and kind of a modified customer, or kind "" when no field the API shows
// changed (pendingOrders, index attributes, or an update that set the values already there).
func modified(oldImage, newImage map[string]events.DynamoDBAttributeValue) (Detail, string, error) {
	old, err := decode("old", oldImage)
	if err != nil {
		return Detail{}, "", err
	}
	c, err := decode("new", newImage)
	if err != nil {
		return Detail{}, "", err
	}
	before, err := fieldsOf(old)
	if err != nil {
		return Detail{}, "", err
	}
	after, err := fieldsOf(c)
	if err != nil {
		return Detail{}, "", err
	}
	d := detailOf(c, after)
	for name, v := range after {
		if prev, ok := before[name]; !bookkeeping[name] && (!ok || !bytes.Equal(prev, v)) {
			d.ChangedFields = append(d.ChangedFields, name)
			d.setPrevious(name, valueOr(prev, ok))
		}
	}
	for name, prev := range before {
		if _, ok := after[name]; !ok && !bookkeeping[name] {
			d.ChangedFields = append(d.ChangedFields, name)
			d.setPrevious(name, prev)
		}
	}
	if len(d.ChangedFields) == 0 {
		return Detail{}, "", nil
	}
	slices.Sort(d.ChangedFields)
	kind := Updated
	if c.Status == customer.Inactive && old.Status != customer.Inactive {
		kind = Deactivated
	}
	return d, kind, nil
}

// bookkeeping are the fields every change moves; they are not reported as changed.
var bookkeeping = map[string]bool{"version": true, "updatedAt": true}

var null = json.RawMessage("null")

func valueOr(v json.RawMessage, ok bool) json.RawMessage {
	if !ok {
		return null
	}
	return v
}

// detailOf is the detail of customer c, whose JSON fields are fields, with no change yet.
func detailOf(c customer.Customer, fields map[string]json.RawMessage) Detail {
	shown := maps.Clone(fields)
	for _, name := range Unlisted {
		delete(shown, name)
	}
	return Detail{
		TenantID: c.TenantID, CustomerID: c.CustomerID, Version: c.Version,
		ChangedFields: []string{}, Previous: map[string]json.RawMessage{}, Customer: shown,
	}
}

// setPrevious records the previous value of field name, unless it is one of the Unlisted.
func (d *Detail) setPrevious(name string, v json.RawMessage) {
	if !slices.Contains(Unlisted, name) {
		d.Previous[name] = v
	}
}

// decode reads a customer image as the store does.
func decode(which string, img map[string]events.DynamoDBAttributeValue) (customer.Customer, error) {
	if img == nil {
		return customer.Customer{}, fmt.Errorf("changefeed: no %s image (the stream must have NEW_AND_OLD_IMAGES)", which)
	}
	item, err := Item(img)
	if err != nil {
		return customer.Customer{}, fmt.Errorf("changefeed: %s image: %w", which, err)
	}
	c, err := dynamo.DecodeCustomer(item)
	if err != nil {
		return customer.Customer{}, fmt.Errorf("changefeed: decode %s image: %w", which, err)
	}
	return c, nil
}

// fieldsOf returns the JSON fields of c as the API shows it, each encoded: equal encodings are
// equal values (object keys are sorted, numbers kept as DynamoDB wrote them).
func fieldsOf(c customer.Customer) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("changefeed: encode customer %s: %w", c.CustomerID, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("changefeed: encode customer %s: %w", c.CustomerID, err)
	}
	return fields, nil
}
