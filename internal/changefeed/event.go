package changefeed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// The events: each entry's detail type, and the "event" of its detail.
const (
	CustomerCreated     = "customer.created"
	CustomerUpdated     = "customer.updated"
	CustomerDeactivated = "customer.deactivated"
	CustomerReactivated = "customer.reactivated"
	CustomerErased      = "customer.erased"
	OrderCreated        = "order.created"
	OrderCancelled      = "order.cancelled"
	OrderFulfilled      = "order.fulfilled"
)

// Event is the detail of every entry: FlexPortal's webhook shape {"event", "timestamp", "data"},
// in the envelope of the events this service consumes (docs/api.md, "Rental state"), which adds the
// event's id and tenant.
//
// ID is the DynamoDB stream record's eventID: the same on every delivery of the record (Lambda
// redelivers the record itself, and a replay from the failure queue reads it again from the
// stream), and unique per change, since each change is one stream record and a record makes at
// most one event. Consumers deduplicate on it. Timestamp is when the change was made: the item's
// updatedAt, in the API's format.
type Event struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	Timestamp string `json:"timestamp"`
	TenantID  string `json:"tenantId"`
	Data      Data   `json:"data"`
}

// Data is an event's data: which item, which of its fields changed and how.
//
// ChangedFields are the JSON names of the item's fields that changed, sorted; version and
// updatedAt, which every change moves, are not listed. Previous holds the value each of them had
// before (null when the field was absent). For customer.created and order.created, ChangedFields
// lists every field the new item has, and Previous maps each of them to null. Customer (customer
// events) or Order (order events) is the item as GET shows it, without the Unlisted fields;
// Previous never holds them either, though ChangedFields names them when they change.
//
// Truncated is true when the event with its values would not fit EventBridge's size limit: it is
// published slimmed, without Previous, Customer and Order, and its consumer reads the item with
// GET. Version is the customer's (customer events only): the order of a customer's events.
type Data struct {
	CustomerID    string                     `json:"customerId"`
	OrderID       string                     `json:"orderId,omitempty"`
	Version       int64                      `json:"version,omitempty"`
	ChangedFields []string                   `json:"changedFields"`
	Previous      map[string]json.RawMessage `json:"previous,omitzero"`
	Customer      map[string]json.RawMessage `json:"customer,omitzero"`
	Order         map[string]json.RawMessage `json:"order,omitzero"`
	Truncated     bool                       `json:"truncated"`
}

// Unlisted are the customer's fields an event leaves out of Customer and Previous: the ids of all
// its orders and rentals, which grow without bound. Twice in one event (new and previous), a
// customer with a few thousand orders would go over EventBridge's 256 KB per event; a consumer
// reads them with GET /v1/customers/{customerId}.
var Unlisted = []string{"orderIds", "rentalIds"}

// view is an item (customer or order) as the API shows it, with what its events need.
type view struct {
	tenant, status, updatedAt string
	ids                       Data                       // CustomerID, and OrderID or Version
	fields                    map[string]json.RawMessage // its JSON fields, each encoded
}

// A rule names the event of a MODIFY from old to new when it applies.
type rule struct {
	event   string
	applies func(old, new view) bool
}

// erased applies when the customer gets its erasedAt: the last step of its erasure.
func erased(old, new view) bool {
	_, was := old.fields["erasedAt"]
	_, is := new.fields["erasedAt"]
	return is && !was
}

// becomes applies when the item's status becomes s.
func becomes[S ~string](s S) func(old, new view) bool {
	return func(old, new view) bool { return old.status != string(s) && new.status == string(s) }
}

// A kind is a sort of item the table's stream tells of, and its events.
type kind struct {
	is      func(keys map[string]types.AttributeValue) bool
	decode  func(item map[string]types.AttributeValue) (view, error)
	created string // the event of an INSERT
	// The event of a MODIFY that changes a field the API shows: the first of rules that
	// applies, else otherwise ("" publishes nothing).
	rules     []rule
	otherwise string
	unlisted  []string                                       // fields left out of the item and Previous
	attach    func(d *Data, item map[string]json.RawMessage) // puts the item in d
}

// kinds are the items that make events; no other item of the table (email reservations,
// idempotency records, API keys) does. A new event is a line in rules, as customer.erased is
// (first: an erasure deactivates too; it applies when new.fields has erasedAt and old.fields has
// not); order.fulfilled is becomes(order.Fulfilled). An erasure's other writes publish nothing: its
// mark (erasing) is not a field the API shows, and an order's erasure is no event of FlexPortal's.
var kinds = []kind{
	{
		is: dynamo.IsCustomerKey, decode: customerView, created: CustomerCreated,
		rules: []rule{
			{CustomerErased, erased}, // first: an erasure deactivates too
			{CustomerDeactivated, becomes(customer.Inactive)},
			{CustomerReactivated, becomes(customer.Active)},
		},
		otherwise: CustomerUpdated,
		unlisted:  Unlisted,
		attach:    func(d *Data, item map[string]json.RawMessage) { d.Customer = item },
	},
	{
		is: dynamo.IsOrderKey, decode: orderView, created: OrderCreated,
		rules: []rule{
			{OrderCancelled, becomes(order.Cancelled)},
			// Its last line completed by a subscription event (docs/api.md, Rental state).
			{OrderFulfilled, becomes(order.Fulfilled)},
		},
		// Other changes of an order (its notes, a subscription that leaves it partial) publish
		// nothing: FlexPortal has no event for them.
		attach: func(d *Data, item map[string]json.RawMessage) { d.Order = item },
	},
}

func customerView(item map[string]types.AttributeValue) (view, error) {
	c, err := dynamo.DecodeCustomer(item)
	if err != nil {
		return view{}, err
	}
	fields, err := fieldsOf(c)
	if err != nil {
		return view{}, fmt.Errorf("customer %s: %w", c.CustomerID, err)
	}
	return view{tenant: c.TenantID, status: string(c.Status), updatedAt: c.UpdatedAt,
		ids: Data{CustomerID: c.CustomerID, Version: c.Version}, fields: fields}, nil
}

func orderView(item map[string]types.AttributeValue) (view, error) {
	o, err := dynamo.DecodeOrder(item)
	if err != nil {
		return view{}, err
	}
	fields, err := fieldsOf(o)
	if err != nil {
		return view{}, fmt.Errorf("order %s: %w", o.OrderID, err)
	}
	return view{tenant: o.TenantID, status: string(o.Status), updatedAt: o.UpdatedAt,
		ids: Data{CustomerID: o.Customer.CustomerID, OrderID: o.OrderID}, fields: fields}, nil
}

// kindOf returns the kind of the item with keys, false when its changes make no event.
func kindOf(keys map[string]types.AttributeValue) (kind, bool) {
	for _, k := range kinds {
		if k.is(keys) {
			return k, true
		}
	}
	return kind{}, false
}

// eventOf is the event of rec, a stream record of an item of kind k, and false when it makes
// none: a REMOVE (the API deletes neither customers, which DELETE deactivates, nor orders), or a
// MODIFY that changes no field the API shows or that no rule of k names.
func eventOf(k kind, rec events.DynamoDBEventRecord) (Event, bool, error) {
	var old, cur view
	var err error
	name := k.created
	switch rec.EventName {
	case string(events.DynamoDBOperationTypeInsert):
		if cur, err = decode(k, "new", rec.Change.NewImage); err != nil {
			return Event{}, false, err
		}
	case string(events.DynamoDBOperationTypeModify):
		if old, err = decode(k, "old", rec.Change.OldImage); err != nil {
			return Event{}, false, err
		}
		if cur, err = decode(k, "new", rec.Change.NewImage); err != nil {
			return Event{}, false, err
		}
		name = k.otherwise
		for _, r := range k.rules {
			if r.applies(old, cur) {
				name = r.event
				break
			}
		}
	default:
		return Event{}, false, nil
	}

	d := cur.ids
	d.ChangedFields, d.Previous = changes(old.fields, cur.fields, k.unlisted)
	if name == "" || len(d.ChangedFields) == 0 {
		return Event{}, false, nil
	}
	if name == CustomerErased {
		// The previous values are the personal data the erasure removed: the event names the
		// fields that changed, and shows the customer as it is now, placeholders only.
		d.Previous = nil
	}
	shown := maps.Clone(cur.fields)
	for _, f := range k.unlisted {
		delete(shown, f)
	}
	k.attach(&d, shown)

	if rec.EventID == "" {
		return Event{}, false, errors.New("changefeed: stream record without eventID")
	}
	ts := cur.updatedAt
	if ts == "" {
		t := rec.Change.ApproximateCreationDateTime.Time
		if t.IsZero() {
			return Event{}, false, errors.New("changefeed: item without updatedAt in a record without a time")
		}
		ts = customer.Timestamp(t)
	}
	return Event{ID: rec.EventID, Event: name, Timestamp: ts, TenantID: cur.tenant, Data: d}, true, nil
}

// bookkeeping are the fields every change moves; they are not reported as changed.
var bookkeeping = map[string]bool{"version": true, "updatedAt": true}

var null = json.RawMessage("null")

// changes are the names of the fields that differ between before and after (nil before: an
// insert, every field new), sorted, and the previous value of each (null where absent) but for
// the unlisted.
func changes(before, after map[string]json.RawMessage, unlisted []string) ([]string, map[string]json.RawMessage) {
	changed, previous := []string{}, map[string]json.RawMessage{}
	note := func(name string, prev json.RawMessage) {
		changed = append(changed, name)
		if !slices.Contains(unlisted, name) {
			previous[name] = prev
		}
	}
	for name, v := range after {
		if prev, ok := before[name]; !bookkeeping[name] && (!ok || !bytes.Equal(prev, v)) {
			if !ok {
				prev = null
			}
			note(name, prev)
		}
	}
	for name, prev := range before {
		if _, ok := after[name]; !ok && !bookkeeping[name] {
			note(name, prev)
		}
	}
	slices.Sort(changed)
	return changed, previous
}

// decode reads an item image of kind k.
func decode(k kind, which string, img map[string]events.DynamoDBAttributeValue) (view, error) {
	if img == nil {
		return view{}, fmt.Errorf("changefeed: no %s image (the stream must have NEW_AND_OLD_IMAGES)", which)
	}
	item, err := Item(img)
	if err != nil {
		return view{}, fmt.Errorf("changefeed: %s image: %w", which, err)
	}
	v, err := k.decode(item)
	if err != nil {
		return view{}, fmt.Errorf("changefeed: decode %s image: %w", which, err)
	}
	return v, nil
}

// fieldsOf returns the JSON fields of v as the API shows it, each encoded: equal encodings are
// equal values (object keys are sorted, numbers kept as DynamoDB wrote them).
func fieldsOf(v any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("changefeed: encode: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("changefeed: encode: %w", err)
	}
	return fields, nil
}

// slimmed is ev without any value: the ids, the changed fields' names and Truncated.
func (ev Event) slimmed() Event {
	ev.Data.Previous, ev.Data.Customer, ev.Data.Order = nil, nil, nil
	ev.Data.Truncated = true
	return ev
}

// encode returns the JSON of ev with every string in its shortest form. encoding/json escapes
// <, > and & (for HTML) and U+2028 and U+2029 (for JavaScript) as \u003c and the like: 6 bytes
// for a character of 1 or 3, so a customer with custom fields full of "<" made events 6 times
// their size, over EventBridge's limit. Reformatted by jsontext, a string takes at most 2 bytes a
// byte (the escapes JSON requires: \", \\, \n, \t, \r), and a character at most 4 bytes (one
// outside the Basic Multilingual Plane, as in UTF-8). Numbers stay as they are.
func encode(ev Event) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("changefeed: encode event: %w", err)
	}
	v := jsontext.Value(b)
	if err := v.Format(); err != nil {
		return nil, fmt.Errorf("changefeed: encode event: %w", err)
	}
	return v, nil
}

// maxRequestBytes is the most the entries of one PutEvents may add up to, as entrySize counts
// them. The EventBridge User Guide says "less than 256KB", the API Reference "at most": the
// stricter reading costs one byte.
const maxRequestBytes = 256*1024 - 1

// entrySize is the size of e as EventBridge counts it against that limit (EventBridge User
// Guide, "Calculating Amazon EventBridge PutEvents event entry size"): 14 bytes for Time when it
// is set, and the bytes of the UTF-8 encodings of Source, DetailType, Detail and each of
// Resources. EventBusName does not count. Go's len is that length: the details are valid UTF-8
// (encode checks), the detail types are constants and ConfigFromEnv refuses a source that is not.
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	size := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		size += 14
	}
	for _, r := range e.Resources {
		size += len(r)
	}
	return size
}
