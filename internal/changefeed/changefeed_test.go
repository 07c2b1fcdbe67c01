package changefeed

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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// fakeBus records PutEvents calls and answers them with answer (all accepted when nil).
type fakeBus struct {
	calls  [][]ebtypes.PutEventsRequestEntry
	answer func(call int, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error)
}

func (b *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.calls = append(b.calls, in.Entries)
	if b.answer != nil {
		return b.answer(len(b.calls), in.Entries)
	}
	return accepted(in.Entries), nil
}

func accepted(entries []ebtypes.PutEventsRequestEntry) *eventbridge.PutEventsOutput {
	out := &eventbridge.PutEventsOutput{}
	for i := range entries {
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("ev-%d", i))})
	}
	return out
}

// published is every entry the bus accepted, in order.
func (b *fakeBus) published() []ebtypes.PutEventsRequestEntry {
	var out []ebtypes.PutEventsRequestEntry
	for _, c := range b.calls {
		out = append(out, c...)
	}
	return out
}

var testConfig = Config{Bus: "customers-bus", Source: DefaultSource}

func newHandler(bus Publisher) (*Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	return New(bus, testConfig, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))), &logs
}

func readEvent(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "events", "change-events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(src, &ev); err != nil {
		t.Fatalf("events/change-events.json: %v", err)
	}
	return ev
}

func detailOfEntry(t *testing.T, e ebtypes.PutEventsRequestEntry) map[string]any {
	t.Helper()
	var d map[string]any
	dec := json.NewDecoder(strings.NewReader(aws.ToString(e.Detail)))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("detail %s: %v", aws.ToString(e.Detail), err)
	}
	return d
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHandleEventsFile publishes events/change-events.json, as Lambda delivers it: an INSERT, an
// update, a change of pendingOrders only (nothing to publish) and a deactivation.
func TestHandleEventsFile(t *testing.T) {
	ev := readEvent(t)
	bus := &fakeBus{}
	h, _ := newHandler(bus)
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v, want no failures", resp, err)
	}
	if len(bus.calls) != 1 {
		t.Errorf("%d PutEvents calls, want 1", len(bus.calls))
	}
	got := bus.published()
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, aws.ToString(e.DetailType))
		if aws.ToString(e.Source) != DefaultSource || aws.ToString(e.EventBusName) != "customers-bus" || e.Time == nil {
			t.Errorf("entry source %q, bus %q, time %v, want %q, customers-bus and the record's time", aws.ToString(e.Source), aws.ToString(e.EventBusName), e.Time, DefaultSource)
		}
	}
	if want := []string{Created, Updated, Deactivated}; !slices.Equal(kinds, want) {
		t.Fatalf("published %v, want %v", kinds, want)
	}
	if want := time.Unix(1795728600, 0); !got[0].Time.Equal(want) {
		t.Errorf("created event time %v, want the record's ApproximateCreationDateTime %v", got[0].Time, want)
	}

	tests := []struct {
		kind, changed, previous string
	}{
		{Created,
			`["createdAt","customFields","customerId","customerType","email","firstName","lastBillingAddress","lastName","lastShippingAddress","orderIds","phone","rentalIds","status","tenantId","totalDevicesRented","totalMonthlyRevenue","totalOrders"]`,
			`{"createdAt":null,"customFields":null,"customerId":null,"customerType":null,"email":null,"firstName":null,"lastBillingAddress":null,"lastName":null,"lastShippingAddress":null,"phone":null,"status":null,"tenantId":null,"totalDevicesRented":null,"totalMonthlyRevenue":null,"totalOrders":null}`},
		{Updated, `["customFields","firstName","phone"]`,
			`{"customFields":{"legacyId":"L-1815"},"firstName":"Ada","phone":"+44 20 7946 0000"}`},
		{Deactivated, `["status"]`, `{"status":"active"}`},
	}
	for i, tt := range tests {
		d := detailOfEntry(t, got[i])
		if c := jsonOf(d["changedFields"]); c != tt.changed {
			t.Errorf("%s changedFields = %s, want %s", tt.kind, c, tt.changed)
		}
		if p := jsonOf(d["previous"]); p != tt.previous {
			t.Errorf("%s previous = %s, want %s", tt.kind, p, tt.previous)
		}
		if d["tenantId"] != "tenant-demo" || d["customerId"] != "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W" {
			t.Errorf("%s tenantId, customerId = %v, %v, want tenant-demo, cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", tt.kind, d["tenantId"], d["customerId"])
		}
		c, _ := d["customer"].(map[string]any)
		for _, internal := range []string{"pendingOrders", "PK", "SK", "GSI2PK", "orderIds", "rentalIds"} {
			if _, ok := c[internal]; ok {
				t.Errorf("%s customer has internal attribute %s: %v", tt.kind, internal, c)
			}
		}
	}
	// The customer as the API shows it: version, the update's values, exact numbers.
	upd := detailOfEntry(t, got[1])
	c := upd["customer"].(map[string]any)
	if upd["version"] != json.Number("2") || c["firstName"] != "Augusta Ada" || c["phone"] != nil ||
		jsonOf(c["customFields"]) != `{"plan":"gold","seats":12.5}` || c["version"] != json.Number("2") {
		t.Errorf("updated detail = %s, want version 2, firstName Augusta Ada, no phone, customFields {plan gold, seats 12.5}", aws.ToString(got[1].Detail))
	}
	if c := detailOfEntry(t, got[2])["customer"].(map[string]any); c["status"] != "inactive" {
		t.Errorf("deactivated customer status %v, want inactive", c["status"])
	}
}

// item returns a stored customer image: the base customer with attributes replaced (the zero
// value deletes one).
func item(changes map[string]events.DynamoDBAttributeValue) map[string]events.DynamoDBAttributeValue {
	const c, tn = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", "t1"
	img := map[string]events.DynamoDBAttributeValue{
		"PK": events.NewStringAttribute("TENANT#" + tn), "SK": events.NewStringAttribute("CUSTOMER#" + c),
		"GSI2PK": events.NewStringAttribute("TENANT#" + tn + "#STATUS#active"), "GSI2SK": events.NewStringAttribute("CUSTOMER#" + c),
		"customerId": events.NewStringAttribute(c), "tenantId": events.NewStringAttribute(tn),
		"email": events.NewStringAttribute("ada@example.com"), "firstName": events.NewStringAttribute("Ada"),
		"lastName": events.NewStringAttribute("Lovelace"), "customerType": events.NewStringAttribute("individual"),
		"status":       events.NewStringAttribute("active"),
		"customFields": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{}),
		"totalOrders":  events.NewNumberAttribute("0"), "totalDevicesRented": events.NewNumberAttribute("0"),
		"totalMonthlyRevenue": events.NewNumberAttribute("0"),
		"orderIds":            events.NewListAttribute(nil), "rentalIds": events.NewListAttribute(nil),
		"createdAt": events.NewStringAttribute("2026-01-01T00:00:00.000Z"), "updatedAt": events.NewStringAttribute("2026-01-01T00:00:00.000Z"),
		"version": events.NewNumberAttribute("1"), "pendingOrders": events.NewNumberAttribute("0"),
	}
	for k, v := range changes {
		if v == (events.DynamoDBAttributeValue{}) {
			delete(img, k)
		} else {
			img[k] = v
		}
	}
	return img
}

type attrs = map[string]events.DynamoDBAttributeValue

func s(v string) events.DynamoDBAttributeValue { return events.NewStringAttribute(v) }
func n(v string) events.DynamoDBAttributeValue { return events.NewNumberAttribute(v) }

// record is a stream record of name with the images, its sequence number seq.
func record(seq int, name string, old, new attrs) events.DynamoDBEventRecord {
	keys := attrs{"PK": s("TENANT#t1"), "SK": s("CUSTOMER#cust_01JD5X9K3M4N5P6Q7R8S9T0V1W")}
	if new != nil {
		keys = attrs{"PK": new["PK"], "SK": new["SK"]}
	} else if old != nil {
		keys = attrs{"PK": old["PK"], "SK": old["SK"]}
	}
	return events.DynamoDBEventRecord{
		EventID: fmt.Sprint("e", seq), EventName: name, EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{Keys: keys, OldImage: old, NewImage: new, SequenceNumber: fmt.Sprint(seq),
			StreamViewType: "NEW_AND_OLD_IMAGES"},
	}
}

func TestHandleKinds(t *testing.T) {
	v2 := func(more attrs) attrs {
		m := attrs{"version": n("2"), "updatedAt": s("2026-01-02T00:00:00.000Z")}
		for k, v := range more {
			m[k] = v
		}
		return item(m)
	}
	inactive := attrs{"status": s("inactive"), "GSI2PK": s("TENANT#t1#STATUS#inactive")}
	tests := []struct {
		name     string
		rec      events.DynamoDBEventRecord
		kind     string // "" publishes nothing
		changed  string
		previous string
	}{
		{"field added", record(1, "MODIFY", item(nil), v2(attrs{"phone": s("+1 555 0100")})), Updated, `["phone"]`, `{"phone":null}`},
		{"field removed", record(1, "MODIFY", item(attrs{"company": s("ACME")}), v2(nil)), Updated, `["company"]`, `{"company":"ACME"}`},
		{"custom field number", record(1, "MODIFY", item(nil), v2(attrs{"customFields": events.NewMapAttribute(attrs{"n": n("1.10")})})),
			Updated, `["customFields"]`, `{"customFields":{}}`},
		{"order counted", record(1, "MODIFY", item(attrs{"pendingOrders": n("0")}), v2(attrs{"pendingOrders": n("1"), "totalOrders": n("1"),
			"orderIds": events.NewListAttribute([]events.DynamoDBAttributeValue{s("ord_01JD5XA2B3C4D5E6F7G8H9J0KM")})})),
			Updated, `["orderIds","totalOrders"]`, `{"totalOrders":0}`},
		{"deactivated", record(1, "MODIFY", item(nil), v2(inactive)), Deactivated, `["status"]`, `{"status":"active"}`},
		{"deactivated with another change", record(1, "MODIFY", item(nil), v2(attrs{"status": s("inactive"), "firstName": s("Augusta")})),
			Deactivated, `["firstName","status"]`, `{"firstName":"Ada","status":"active"}`},
		{"reactivated", record(1, "MODIFY", item(inactive), v2(nil)), Updated, `["status"]`, `{"status":"inactive"}`},
		{"inactive customer updated", record(1, "MODIFY", item(inactive), v2(attrs{"status": s("inactive"), "lastName": s("King")})),
			Updated, `["lastName"]`, `{"lastName":"Lovelace"}`},
		{"pendingOrders only", record(1, "MODIFY", item(nil), item(attrs{"pendingOrders": n("2")})), "", "", ""},
		{"index attributes only", record(1, "MODIFY", item(nil), item(attrs{"GSI2PK": s("x"), "GSI2SK": s("y")})), "", "", ""},
		{"same values, new version", record(1, "MODIFY", item(nil), v2(nil)), "", "", ""},
		{"customer removed", record(1, "REMOVE", item(nil), nil), "", "", ""},
		{"email reservation", record(1, "INSERT", nil, attrs{"PK": s("TENANT#t1"), "SK": s("EMAIL#ada@example.com"), "customerId": s("cust_x"), "email": s("ada@example.com")}), "", "", ""},
		{"order", record(1, "INSERT", nil, attrs{"PK": s("TENANT#t1"), "SK": s("ORDER#ord_x"), "orderId": s("ord_x"), "status": s("pending")}), "", "", ""},
		{"order cancelled", record(1, "MODIFY", attrs{"PK": s("TENANT#t1"), "SK": s("ORDER#ord_x"), "status": s("pending")},
			attrs{"PK": s("TENANT#t1"), "SK": s("ORDER#ord_x"), "status": s("cancelled")}), "", "", ""},
		{"idempotency record", record(1, "INSERT", nil, attrs{"PK": s("TENANT#t1"), "SK": s("IDEMPOTENCY#k1"), "requestHash": s("h")}), "", "", ""},
		{"API key", record(1, "INSERT", nil, attrs{"PK": s("APIKEY#abc"), "SK": s("APIKEY"), "status": s("active")}), "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &fakeBus{}
			h, _ := newHandler(bus)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{tt.rec}})
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("Handle = %+v, %v, want no failures", resp, err)
			}
			got := bus.published()
			if tt.kind == "" {
				if len(got) != 0 || len(bus.calls) != 0 {
					t.Errorf("published %d events in %d calls, want none", len(got), len(bus.calls))
				}
				return
			}
			if len(got) != 1 || aws.ToString(got[0].DetailType) != tt.kind {
				t.Fatalf("published %d events (first %v), want one %s", len(got), got, tt.kind)
			}
			d := detailOfEntry(t, got[0])
			if c := jsonOf(d["changedFields"]); c != tt.changed {
				t.Errorf("changedFields = %s, want %s", c, tt.changed)
			}
			if p := jsonOf(d["previous"]); p != tt.previous {
				t.Errorf("previous = %s, want %s", p, tt.previous)
			}
		})
	}
}

// updates returns count MODIFY records, each changing firstName, sequence numbers 1, 2, ...
func updates(count int) []events.DynamoDBEventRecord {
	var recs []events.DynamoDBEventRecord
	for i := 1; i <= count; i++ {
		recs = append(recs, record(i, "MODIFY", item(nil), item(attrs{"firstName": s(fmt.Sprint("Ada", i)), "version": n(fmt.Sprint(i + 1))})))
	}
	return recs
}

func firstNames(t *testing.T, entries []ebtypes.PutEventsRequestEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, detailOfEntry(t, e)["customer"].(map[string]any)["firstName"].(string))
	}
	return out
}

func checkpoint(r events.DynamoDBEventResponse) []string {
	out := []string{}
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func TestHandleBatchesOfTen(t *testing.T) {
	bus := &fakeBus{}
	h, _ := newHandler(bus)
	resp, _ := h.Handle(context.Background(), events.DynamoDBEvent{Records: updates(25)})
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("checkpoint %v, want none", checkpoint(resp))
	}
	var sizes []int
	for _, c := range bus.calls {
		sizes = append(sizes, len(c))
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) {
		t.Errorf("PutEvents sizes %v, want [10 10 5]", sizes)
	}
	names := firstNames(t, bus.published())
	if len(names) != 25 || names[0] != "Ada1" || names[24] != "Ada25" || !slices.IsSortedFunc(names, func(a, b string) int { return len(a) - len(b) }) {
		t.Errorf("published in order %v, want Ada1 ... Ada25", names)
	}
}

// TestHandleCheckpoints checks which record Lambda is told to retry from.
func TestHandleCheckpoints(t *testing.T) {
	// Records 1..25; 3 and 7 publish nothing (pendingOrders only), so entries map to records
	// 1 2 4 5 6 8 9 10 11 12 | 13 ...
	recs := updates(25)
	for _, i := range []int{3, 7} {
		recs[i-1] = record(i, "MODIFY", item(nil), item(attrs{"pendingOrders": n("1")}))
	}
	refuse := func(call, entry int) func(int, []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
		return func(c int, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
			out := accepted(entries)
			if c == call {
				out.FailedEntryCount = 1
				out.Entries[entry] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")}
			}
			return out, nil
		}
	}
	tests := []struct {
		name       string
		recs       []events.DynamoDBEventRecord
		answer     func(int, []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error)
		checkpoint []string
		calls      int
	}{
		{"all published", recs, nil, []string{}, 3},
		{"first entry of the first call refused", recs, refuse(1, 0), []string{"1"}, 1},
		{"entry refused after skipped records", recs, refuse(1, 4), []string{"6"}, 1},
		{"last entry of a call refused", recs, refuse(1, 9), []string{"12"}, 1},
		{"entry of the second call refused", recs, refuse(2, 2), []string{"15"}, 2},
		{"call failed", recs, func(c int, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
			if c == 2 {
				return nil, errors.New("connection reset")
			}
			return accepted(entries), nil
		}, []string{"13"}, 2},
		{"fewer results than entries", recs, func(c int, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
			out := accepted(entries)
			out.Entries = out.Entries[:1]
			return out, nil
		}, []string{"1"}, 1},
		{"unreadable record", append(updates(4)[:2], record(3, "MODIFY", nil, item(nil)), updates(4)[3]), nil, []string{"3"}, 1},
		{"unreadable record first", []events.DynamoDBEventRecord{record(1, "INSERT", nil, item(attrs{"version": s("one")}))}, nil, []string{"1"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &fakeBus{answer: tt.answer}
			h, logs := newHandler(bus)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: tt.recs})
			if err != nil {
				t.Fatalf("Handle error = %v, want nil (a checkpoint instead)", err)
			}
			if got := checkpoint(resp); !slices.Equal(got, tt.checkpoint) {
				t.Errorf("checkpoint = %v, want %v", got, tt.checkpoint)
			}
			if len(bus.calls) != tt.calls {
				t.Errorf("%d PutEvents calls, want %d (none after a failure)", len(bus.calls), tt.calls)
			}
			if len(tt.checkpoint) > 0 && !strings.Contains(logs.String(), `"sequenceNumber":"`+tt.checkpoint[0]+`"`) {
				t.Errorf("no log line names the checkpoint %s:\n%s", tt.checkpoint[0], logs)
			}
			if strings.Contains(logs.String(), "ada@example.com") {
				t.Errorf("the log holds an email:\n%s", logs)
			}
		})
	}
}

// TestHandleSplitsBySize: PutEvents takes at most 256 KiB, so large events go in smaller calls.
func TestHandleSplitsBySize(t *testing.T) {
	big := strings.Repeat("x", 60*1024)
	var recs []events.DynamoDBEventRecord
	for i := 1; i <= 6; i++ {
		cf := events.NewMapAttribute(attrs{"blob": s(fmt.Sprint(big, i))})
		recs = append(recs, record(i, "MODIFY", item(nil), item(attrs{"customFields": cf, "version": n("2")})))
	}
	bus := &fakeBus{}
	h, _ := newHandler(bus)
	resp, _ := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
	var sizes []int
	for _, c := range bus.calls {
		total := 0
		for _, e := range c {
			total += len(aws.ToString(e.Detail))
		}
		if total > maxRequestBytes {
			t.Errorf("a PutEvents of %d bytes of detail, over %d", total, maxRequestBytes)
		}
		sizes = append(sizes, len(c))
	}
	if len(resp.BatchItemFailures) != 0 || !slices.Equal(sizes, []int{4, 2}) {
		t.Errorf("PutEvents sizes %v, checkpoint %v, want [4 2] and none", sizes, checkpoint(resp))
	}
}

// orderIDs returns a list attribute of n order ids.
func orderIDs(n int) events.DynamoDBAttributeValue {
	ids := make([]events.DynamoDBAttributeValue, n)
	for i := range ids {
		ids[i] = s(fmt.Sprintf("ord_01JD5XA2B3C4D5E6F7G8H%05d", i))
	}
	return events.NewListAttribute(ids)
}

// TestHandleManyOrders: a customer with thousands of orders gets an order more. Its order ids,
// twice in the event (customer and previous), would exceed EventBridge's 256 KB; the event leaves
// them out of both, names orderIds as changed, and is published.
func TestHandleManyOrders(t *testing.T) {
	const orders = 5000 // about 180 KB of ids
	old := item(attrs{"orderIds": orderIDs(orders), "totalOrders": n(fmt.Sprint(orders))})
	upd := item(attrs{"orderIds": orderIDs(orders + 1), "totalOrders": n(fmt.Sprint(orders + 1)), "version": n("2")})
	bus := &fakeBus{}
	h, _ := newHandler(bus)
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		record(1, "INSERT", nil, old), record(2, "MODIFY", old, upd)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %v, %v, want no checkpoint", checkpoint(resp), err)
	}
	got := bus.published()
	if len(got) != 2 {
		t.Fatalf("published %d events, want 2", len(got))
	}
	for _, e := range got {
		if size := len(aws.ToString(e.Detail)); size > 4096 {
			t.Errorf("%s detail of %d bytes, want the order ids left out", aws.ToString(e.DetailType), size)
		}
	}
	d := detailOfEntry(t, got[1])
	if c, p := jsonOf(d["changedFields"]), jsonOf(d["previous"]); c != `["orderIds","totalOrders"]` || p != `{"totalOrders":5000}` {
		t.Errorf("changedFields %s, previous %s, want [orderIds totalOrders], {totalOrders 5000}", c, p)
	}
	if c := d["customer"].(map[string]any); c["totalOrders"] != json.Number("5001") || c["orderIds"] != nil || c["rentalIds"] != nil {
		t.Errorf("customer %v, want totalOrders 5001 and no orderIds or rentalIds", c)
	}
}

// TestHandleOversizedEvent: an event still over EventBridge's limit (a large custom field, in the
// customer and in previous) can never be published. It is logged — tenant, customer, version and
// size, no value — and skipped: the events around it are published, and it is never the checkpoint,
// which would block the shard on it.
func TestHandleOversizedEvent(t *testing.T) {
	big := func(c string) events.DynamoDBAttributeValue {
		return events.NewMapAttribute(attrs{"notes": s(strings.Repeat(c, 130*1024))})
	}
	oversized := record(2, "MODIFY", item(attrs{"customFields": big("a")}), item(attrs{"customFields": big("b"), "version": n("7")}))
	recs := append(updates(4)[:1], oversized)
	recs = append(recs, updates(4)[2:]...)
	tests := []struct {
		name       string
		answer     func(int, []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error)
		published  []string
		checkpoint []string
	}{
		{"skipped", nil, []string{"Ada1", "Ada3", "Ada4"}, []string{}},
		{"a later event refused", func(_ int, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
			out := accepted(entries)
			if len(entries) > 1 {
				out.FailedEntryCount = 1
				out.Entries[1] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException")}
			}
			return out, nil
		}, []string{"Ada1"}, []string{"3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &fakeBus{answer: tt.answer}
			h, logs := newHandler(bus)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
			if err != nil || !slices.Equal(checkpoint(resp), tt.checkpoint) {
				t.Errorf("Handle = %v, %v, want checkpoint %v", checkpoint(resp), err, tt.checkpoint)
			}
			for _, c := range bus.calls {
				for _, e := range c {
					if len(aws.ToString(e.Detail)) > maxRequestBytes {
						t.Errorf("an entry of %d bytes was sent", len(aws.ToString(e.Detail)))
					}
				}
			}
			// The entries accepted: up to the refused one, if any.
			sent := firstNames(t, bus.published())
			if tt.answer != nil {
				sent = sent[:len(tt.published)]
			}
			if !slices.Equal(sent, tt.published) {
				t.Errorf("published %v, want %v", sent, tt.published)
			}
			var line map[string]any
			for l := range strings.Lines(logs.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err == nil && rec["size"] != nil {
					line = rec
				}
			}
			if line == nil || line["level"] != "ERROR" || line["tenantId"] != "t1" || line["customerId"] != "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W" ||
				line["version"] != float64(7) || line["size"].(float64) <= maxRequestBytes || line["sequenceNumber"] != "2" {
				t.Errorf("log of the oversized event = %v, want ERROR with tenantId t1, the customer, version 7, its size and sequence number 2", line)
			}
			if strings.Contains(logs.String(), "aaaa") || strings.Contains(logs.String(), "bbbb") {
				t.Errorf("the log holds a custom field's value")
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{"default source", map[string]string{"EVENT_BUS_NAME": "b"}, Config{Bus: "b", Source: DefaultSource}, ""},
		{"source", map[string]string{"EVENT_BUS_NAME": "b", "EVENT_SOURCE": "acme.crm"}, Config{Bus: "b", Source: "acme.crm"}, ""},
		{"no bus", map[string]string{}, Config{}, "EVENT_BUS_NAME is required"},
		{"AWS source", map[string]string{"EVENT_BUS_NAME": "b", "EVENT_SOURCE": "aws.dynamodb"}, Config{}, "EVENT_SOURCE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ConfigFromEnv(%v) error = %v, want %q", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ConfigFromEnv(%v) = %+v, %v, want %+v", tt.env, got, err, tt.want)
			}
		})
	}
}
