package changefeed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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

// eventOfEntry decodes the detail of e, numbers as json.Number.
func eventOfEntry(t *testing.T, e ebtypes.PutEventsRequestEntry) map[string]any {
	t.Helper()
	var d map[string]any
	dec := json.NewDecoder(strings.NewReader(aws.ToString(e.Detail)))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("detail %s: %v", aws.ToString(e.Detail), err)
	}
	return d
}

// detailOfEntry is the data of e's event.
func detailOfEntry(t *testing.T, e ebtypes.PutEventsRequestEntry) map[string]any {
	t.Helper()
	d, ok := eventOfEntry(t, e)["data"].(map[string]any)
	if !ok {
		t.Fatalf("detail %s: no data object", aws.ToString(e.Detail))
	}
	return d
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHandleEventsFile publishes events/change-events.json, as Lambda delivers it: a customer's
// INSERT and its order's, an update, the order's cancellation and its pendingOrders-only change of
// the customer (nothing to publish), a deactivation and a reactivation.
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
	if want := []string{CustomerCreated, OrderCreated, CustomerUpdated, OrderCancelled, CustomerDeactivated, CustomerReactivated}; !slices.Equal(kinds, want) {
		t.Fatalf("published %v, want %v", kinds, want)
	}
	if want := time.Unix(1795728600, 0); !got[0].Time.Equal(want) {
		t.Errorf("created event time %v, want the record's ApproximateCreationDateTime %v", got[0].Time, want)
	}

	const cust, ord = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", "ord_01JD5XA2B3C4D5E6F7G8H9J0KM"
	tests := []struct {
		kind, id, timestamp, orderID string
		version                      string // "" for order events, which have none
		changed, previous            string
	}{
		{CustomerCreated, "c81e728d9d4c2f636f067f89cc14862c", "2026-11-26T21:30:00.000Z", "", "1",
			`["createdAt","createdBy","customFields","customerId","customerType","email","firstName","lastBillingAddress","lastName","lastShippingAddress","orderIds","phone","rentalIds","status","tenantId","totalDevicesRented","totalMonthlyRevenue","totalOrders"]`,
			`{"createdAt":null,"createdBy":null,"customFields":null,"customerId":null,"customerType":null,"email":null,"firstName":null,"lastBillingAddress":null,"lastName":null,"lastShippingAddress":null,"phone":null,"status":null,"tenantId":null,"totalDevicesRented":null,"totalMonthlyRevenue":null,"totalOrders":null}`},
		{OrderCreated, "1679091c5a880faf6fb5e6087eb1b2dc", "2026-11-26T21:30:00.000Z", ord, "",
			`["billingAddress","createdAt","createdBy","customFields","customer","items","notes","orderId","orderType","rentalIds","rentalProgress","shippingAddress","status","tenantId"]`,
			`{"billingAddress":null,"createdAt":null,"createdBy":null,"customFields":null,"customer":null,"items":null,"notes":null,"orderId":null,"orderType":null,"rentalIds":null,"rentalProgress":null,"shippingAddress":null,"status":null,"tenantId":null}`},
		{CustomerUpdated, "eccbc87e4b5ce2fe28308fd9f2a7baf3", "2026-11-26T21:31:00.000Z", "", "2", `["customFields","firstName","phone"]`,
			`{"customFields":{"legacyId":"L-1815"},"firstName":"Ada","phone":"+44 20 7946 0000"}`},
		{OrderCancelled, "8f14e45fceea167a5a36dedd4bea2543", "2026-11-26T21:32:00.000Z", ord, "", `["cancellationReason","status"]`,
			`{"cancellationReason":null,"status":"pending"}`},
		{CustomerDeactivated, "e4da3b7fbbce2345d7772b0674a318d5", "2026-11-26T21:33:00.000Z", "", "3", `["status"]`, `{"status":"active"}`},
		{CustomerReactivated, "c9f0f895fb98ab9159f51fd0297e236d", "2026-11-26T21:34:00.000Z", "", "4", `["status"]`, `{"status":"inactive"}`},
	}
	for i, tt := range tests {
		ev := eventOfEntry(t, got[i])
		if ev["id"] != tt.id || ev["event"] != tt.kind || ev["timestamp"] != tt.timestamp || ev["tenantId"] != "tenant-demo" {
			t.Errorf("%s envelope id %v, event %v, timestamp %v, tenantId %v, want %s, %s, %s, tenant-demo", tt.kind,
				ev["id"], ev["event"], ev["timestamp"], ev["tenantId"], tt.id, tt.kind, tt.timestamp)
		}
		if len(ev) != 5 {
			t.Errorf("%s envelope %v, want id, event, timestamp, tenantId and data only", tt.kind, slices.Sorted(maps.Keys(ev)))
		}
		d := detailOfEntry(t, got[i])
		if c := jsonOf(d["changedFields"]); c != tt.changed {
			t.Errorf("%s changedFields = %s, want %s", tt.kind, c, tt.changed)
		}
		if p := jsonOf(d["previous"]); p != tt.previous {
			t.Errorf("%s previous = %s, want %s", tt.kind, p, tt.previous)
		}
		var wantOrderID, wantVersion any // absent from the data when ""
		if tt.orderID != "" {
			wantOrderID = tt.orderID
		}
		if tt.version != "" {
			wantVersion = json.Number(tt.version)
		}
		if d["customerId"] != cust || d["orderId"] != wantOrderID || d["version"] != wantVersion || d["truncated"] != false {
			t.Errorf("%s data customerId %v, orderId %v, version %v, truncated %v, want %s, %q, %q, false", tt.kind,
				d["customerId"], d["orderId"], d["version"], d["truncated"], cust, tt.orderID, tt.version)
		}
		item, other := "customer", "order"
		if tt.orderID != "" {
			item, other = other, item
		}
		shown, _ := d[item].(map[string]any)
		if _, ok := d[other]; ok || shown == nil {
			t.Errorf("%s data has %s: %v and %s: %v, want only %s", tt.kind, item, shown, other, d[other], item)
		}
		internals := []string{"pendingOrders", "PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "cancelKey", "cancelHash"}
		if item == "customer" {
			internals = append(internals, Unlisted...) // an order's rentalIds are its own, bounded by its quantities
		}
		for _, internal := range internals {
			if _, ok := shown[internal]; ok {
				t.Errorf("%s %s has internal attribute %s: %v", tt.kind, item, internal, shown)
			}
		}
	}
	// The customer as the API shows it: version, the update's values, exact numbers.
	upd := detailOfEntry(t, got[2])
	c := upd["customer"].(map[string]any)
	if c["firstName"] != "Augusta Ada" || c["phone"] != nil || jsonOf(c["customFields"]) != `{"plan":"gold","seats":12.5}` || c["version"] != json.Number("2") {
		t.Errorf("updated detail = %s, want version 2, firstName Augusta Ada, no phone, customFields {plan gold, seats 12.5}", aws.ToString(got[2].Detail))
	}
	if c := detailOfEntry(t, got[4])["customer"].(map[string]any); c["status"] != "inactive" {
		t.Errorf("deactivated customer status %v, want inactive", c["status"])
	}
	// The order as GET /v1/orders/{orderId} shows it, its notes as written: no \u003c for "<".
	o := detailOfEntry(t, got[3])["order"].(map[string]any)
	if o["status"] != "cancelled" || o["cancellationReason"] != "Ordered twice" || o["customer"].(map[string]any)["email"] != "ada@example.com" {
		t.Errorf("cancelled order = %v, want status cancelled, its reason and the customer snapshot", o)
	}
	if notes := "Leave at reception <front desk> & ring twice"; !strings.Contains(aws.ToString(got[3].Detail), `"notes":"`+notes+`"`) {
		t.Errorf("order.cancelled detail %s, want the notes %q unescaped", aws.ToString(got[3].Detail), notes)
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

// orderImage returns a stored order image, pending, with attributes replaced (the zero value
// deletes one).
func orderImage(changes attrs) attrs {
	const o, c, tn = "ord_01JD5XA2B3C4D5E6F7G8H9J0KM", "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", "t1"
	addr := events.NewMapAttribute(attrs{"contactName": s("Ada"), "streetAddress": s("1 Main St"), "city": s("London"), "country": s("GB")})
	img := attrs{
		"PK": s("TENANT#" + tn), "SK": s("ORDER#" + o), "GSI1PK": s("TENANT#" + tn + "#CUSTOMER#" + c), "GSI1SK": s("ORDER#" + o),
		"orderId": s(o), "tenantId": s(tn), "status": s("pending"), "orderType": s("standard"),
		"customer": events.NewMapAttribute(attrs{"customerId": s(c), "email": s("ada@example.com"), "firstName": s("Ada"),
			"lastName": s("Lovelace"), "customerType": s("individual")}),
		"billingAddress": addr,
		"items":          events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewMapAttribute(attrs{"sku": s("LAPTOP-1"), "quantity": n("1"), "contractLength": n("12")})}),
		"customFields":   events.NewMapAttribute(attrs{}),
		"createdAt":      s("2026-01-01T00:00:00.000Z"), "updatedAt": s("2026-01-01T00:00:00.000Z"),
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

// erasedCustomer and erasedOrder are the changes an erasure makes to item(nil) and orderImage(nil).
var (
	erasedCustomer = attrs{"email": s("erased+cust_01JD5X9K3M4N5P6Q7R8S9T0V1W@erased.invalid"), "firstName": s("erased"),
		"lastName": s("erased"), "status": s("inactive"), "GSI2PK": s("TENANT#t1#STATUS#inactive"),
		"erasedAt": s("2026-01-02T00:00:00.000Z"), "erasing": events.NewBooleanAttribute(true), "phone": {}}
	erasedOrder = attrs{"customer": events.NewMapAttribute(attrs{"customerId": s("cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"),
		"email": s("erased+cust_01JD5X9K3M4N5P6Q7R8S9T0V1W@erased.invalid"), "firstName": s("erased"), "lastName": s("erased"),
		"customerType": s("individual")}),
		"billingAddress": events.NewMapAttribute(attrs{"contactName": s("erased"), "streetAddress": s("erased"), "city": s("erased"), "country": s("GB")})}
)

// TestErasedEventHoldsNoPersonalData: the customer.erased event names what changed and shows the
// erased customer, never a value the erasure removed.
func TestErasedEventHoldsNoPersonalData(t *testing.T) {
	bus := &fakeBus{}
	h, _ := newHandler(bus)
	old := item(attrs{"phone": s("+1 555 0100"), "company": s("Analytical Engines"),
		"lastBillingAddress": events.NewMapAttribute(attrs{"contactName": s("Ada"), "streetAddress": s("1 Main St"), "city": s("London"), "country": s("GB")})})
	gone := maps.Clone(erasedCustomer)
	gone["company"] = events.DynamoDBAttributeValue{}
	gone["lastBillingAddress"] = events.NewMapAttribute(attrs{"contactName": s("erased"), "streetAddress": s("erased"), "city": s("erased"), "country": s("GB")})
	if _, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{record(1, "MODIFY", old, item(gone))}}); err != nil {
		t.Fatal(err)
	}
	got := bus.published()
	if len(got) != 1 || aws.ToString(got[0].DetailType) != CustomerErased {
		t.Fatalf("published %v, want one %s", got, CustomerErased)
	}
	detail := aws.ToString(got[0].Detail)
	for _, datum := range []string{"ada@example.com", "Ada", "Lovelace", "555 0100", "Analytical", "1 Main St", "London"} {
		if strings.Contains(detail, datum) {
			t.Errorf("customer.erased holds %q: %s", datum, detail)
		}
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
	cancelled := orderImage(attrs{"status": s("cancelled"), "updatedAt": s("2026-01-02T00:00:00.000Z"), "cancelKey": s("k"), "cancelHash": s("h")})
	tests := []struct {
		name     string
		rec      events.DynamoDBEventRecord
		kind     string // "" publishes nothing
		changed  string
		previous string
	}{
		{"customer created", record(1, "INSERT", nil, item(nil)), CustomerCreated,
			`["createdAt","createdBy","customFields","customerId","customerType","email","firstName","lastName","orderIds","rentalIds","status","tenantId","totalDevicesRented","totalMonthlyRevenue","totalOrders"]`,
			`{"createdAt":null,"createdBy":null,"customFields":null,"customerId":null,"customerType":null,"email":null,"firstName":null,"lastName":null,"status":null,"tenantId":null,"totalDevicesRented":null,"totalMonthlyRevenue":null,"totalOrders":null}`},
		{"field added", record(1, "MODIFY", item(nil), v2(attrs{"phone": s("+1 555 0100")})), CustomerUpdated, `["phone"]`, `{"phone":null}`},
		{"field removed", record(1, "MODIFY", item(attrs{"company": s("ACME")}), v2(nil)), CustomerUpdated, `["company"]`, `{"company":"ACME"}`},
		{"custom field number", record(1, "MODIFY", item(nil), v2(attrs{"customFields": events.NewMapAttribute(attrs{"n": n("1.10")})})),
			CustomerUpdated, `["customFields"]`, `{"customFields":{}}`},
		{"order counted", record(1, "MODIFY", item(attrs{"pendingOrders": n("0")}), v2(attrs{"pendingOrders": n("1"), "totalOrders": n("1"),
			"orderIds": events.NewListAttribute([]events.DynamoDBAttributeValue{s("ord_01JD5XA2B3C4D5E6F7G8H9J0KM")})})),
			CustomerUpdated, `["orderIds","totalOrders"]`, `{"totalOrders":0}`},
		{"deactivated", record(1, "MODIFY", item(nil), v2(inactive)), CustomerDeactivated, `["status"]`, `{"status":"active"}`},
		{"deactivated with another change", record(1, "MODIFY", item(nil), v2(attrs{"status": s("inactive"), "firstName": s("Augusta")})),
			CustomerDeactivated, `["firstName","status"]`, `{"firstName":"Ada","status":"active"}`},
		{"reactivated", record(1, "MODIFY", item(inactive), v2(nil)), CustomerReactivated, `["status"]`, `{"status":"inactive"}`},
		{"reactivated with another change", record(1, "MODIFY", item(inactive), v2(attrs{"phone": s("+1 555 0100")})),
			CustomerReactivated, `["phone","status"]`, `{"phone":null,"status":"inactive"}`},
		{"inactive customer updated", record(1, "MODIFY", item(inactive), v2(attrs{"status": s("inactive"), "lastName": s("King")})),
			CustomerUpdated, `["lastName"]`, `{"lastName":"Lovelace"}`},
		{"pendingOrders only", record(1, "MODIFY", item(nil), item(attrs{"pendingOrders": n("2")})), "", "", ""},
		{"index attributes only", record(1, "MODIFY", item(nil), item(attrs{"GSI2PK": s("x"), "GSI2SK": s("y")})), "", "", ""},
		{"same values, new version", record(1, "MODIFY", item(nil), v2(nil)), "", "", ""},
		{"customer removed", record(1, "REMOVE", item(nil), nil), "", "", ""},
		{"email reservation", record(1, "INSERT", nil, attrs{"PK": s("TENANT#t1"), "SK": s("EMAIL#ada@example.com"), "customerId": s("cust_x"), "email": s("ada@example.com")}), "", "", ""},
		{"order created", record(1, "INSERT", nil, orderImage(nil)), OrderCreated,
			`["billingAddress","createdAt","createdBy","customFields","customer","items","orderId","orderType","rentalIds","rentalProgress","shippingAddress","status","tenantId"]`,
			`{"billingAddress":null,"createdAt":null,"createdBy":null,"customFields":null,"customer":null,"items":null,"orderId":null,"orderType":null,"rentalIds":null,"rentalProgress":null,"shippingAddress":null,"status":null,"tenantId":null}`},
		{"order cancelled", record(1, "MODIFY", orderImage(nil), cancelled), OrderCancelled, `["status"]`, `{"status":"pending"}`},
		{"order cancelled with a reason", record(1, "MODIFY", orderImage(nil), orderImage(attrs{"status": s("cancelled"), "cancellationReason": s("twice")})),
			OrderCancelled, `["cancellationReason","status"]`, `{"cancellationReason":null,"status":"pending"}`},
		{"order partial", record(1, "MODIFY", orderImage(nil), orderImage(attrs{"status": s("partial")})), "", "", ""},
		{"order fulfilled", record(1, "MODIFY", orderImage(attrs{"status": s("partial")}), orderImage(attrs{"status": s("fulfilled")})),
			OrderFulfilled, `["status"]`, `{"status":"partial"}`},
		{"order fulfilled from pending", record(1, "MODIFY", orderImage(nil), orderImage(attrs{"status": s("fulfilled")})),
			OrderFulfilled, `["status"]`, `{"status":"pending"}`},
		{"order notes", record(1, "MODIFY", orderImage(nil), orderImage(attrs{"notes": s("ring twice"), "updatedAt": s("2026-01-02T00:00:00.000Z")})), "", "", ""},
		{"cancelled order's notes", record(1, "MODIFY", cancelled, orderImage(attrs{"status": s("cancelled"), "notes": s("n")})), "", "", ""},
		{"order removed", record(1, "REMOVE", orderImage(nil), nil), "", "", ""},
		{"erasure begun", record(1, "MODIFY", item(nil), item(attrs{"erasing": events.NewBooleanAttribute(true)})), "", "", ""},
		{"erased", record(1, "MODIFY", item(attrs{"phone": s("+1 555 0100")}), v2(erasedCustomer)), CustomerErased,
			`["email","erasedAt","firstName","lastName","phone","status"]`, `null`},
		{"order erased", record(1, "MODIFY", orderImage(nil), orderImage(erasedOrder)), "", "", ""},
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
			if ev := eventOfEntry(t, got[0]); ev["event"] != tt.kind || ev["id"] != tt.rec.EventID || ev["tenantId"] != "t1" {
				t.Errorf("event %v, id %v, tenantId %v, want %s, the record's eventID %s and t1", ev["event"], ev["id"], ev["tenantId"], tt.kind, tt.rec.EventID)
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
			total += entrySize(e)
		}
		if total > maxRequestBytes {
			t.Errorf("a PutEvents of %d bytes, over %d", total, maxRequestBytes)
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

// TestHandleSlimsOversizedEvent: an event over EventBridge's limit (large custom fields, in the
// customer and in previous, as only a write outside the API could make) would be refused however
// often it were sent. It is published slimmed in its place: its ids and the changed fields'
// names, no values, truncated. It is never dropped, and never the checkpoint unless EventBridge
// refuses it like any other; a WARN names it (tenant, customer, id, sizes; no value).
func TestHandleSlimsOversizedEvent(t *testing.T) {
	big := func(c string) events.DynamoDBAttributeValue {
		return events.NewMapAttribute(attrs{"notes": s(strings.Repeat(c, 130*1024))})
	}
	oversized := record(2, "MODIFY", item(attrs{"customFields": big("a")}),
		item(attrs{"customFields": big("b"), "firstName": s("Augusta"), "version": n("7")}))
	recs := append(updates(4)[:1], oversized)
	recs = append(recs, updates(4)[2:]...)
	refuseSecond := func(_ int, entries []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error) {
		out := accepted(entries)
		out.FailedEntryCount = 1
		out.Entries[1] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException")}
		return out, nil
	}
	tests := []struct {
		name       string
		answer     func(int, []ebtypes.PutEventsRequestEntry) (*eventbridge.PutEventsOutput, error)
		published  int // entries accepted
		checkpoint []string
	}{
		{"published slimmed", nil, 4, []string{}},
		{"the slimmed event refused", refuseSecond, 1, []string{"2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := &fakeBus{answer: tt.answer}
			h, logs := newHandler(bus)
			resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: recs})
			if err != nil || !slices.Equal(checkpoint(resp), tt.checkpoint) {
				t.Errorf("Handle = %v, %v, want checkpoint %v", checkpoint(resp), err, tt.checkpoint)
			}
			sent := bus.published()
			if len(bus.calls) != 1 || len(sent) != 4 {
				t.Fatalf("%d calls of %d entries, want the 4 events in one call", len(bus.calls), len(sent))
			}
			for i, e := range sent {
				d := detailOfEntry(t, e)
				if i != 1 {
					if d["truncated"] != false || d["customer"] == nil {
						t.Errorf("entry %d: truncated %v, customer %v, want a whole event", i, d["truncated"], d["customer"])
					}
					continue
				}
				if size := entrySize(e); size > 1024 {
					t.Errorf("slimmed entry of %d bytes, want a few hundred", size)
				}
				if d["truncated"] != true || d["customer"] != nil || d["previous"] != nil || d["customerId"] != "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W" ||
					d["version"] != json.Number("7") || jsonOf(d["changedFields"]) != `["customFields","firstName"]` {
					t.Errorf("slimmed data = %s, want customerId, version 7, changedFields [customFields firstName], truncated, no customer or previous", jsonOf(d))
				}
				if ev := eventOfEntry(t, e); ev["id"] != "e2" || ev["event"] != CustomerUpdated || aws.ToString(e.DetailType) != CustomerUpdated {
					t.Errorf("slimmed event id %v, event %v, detail type %s, want e2 and %s", ev["id"], ev["event"], aws.ToString(e.DetailType), CustomerUpdated)
				}
			}
			var line map[string]any
			for l := range strings.Lines(logs.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err == nil && rec["slimmedSize"] != nil {
					line = rec
				}
			}
			if line == nil || line["level"] != "WARN" || line["tenantId"] != "t1" || line["customerId"] != "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W" ||
				line["eventId"] != "e2" || line["size"].(float64) <= maxRequestBytes || line["slimmedSize"].(float64) > 1024 || line["sequenceNumber"] != "2" {
				t.Errorf("log of the slimmed event = %v, want WARN with tenantId t1, the customer, eventId e2, both sizes and sequence number 2", line)
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
		{"source not UTF-8", map[string]string{"EVENT_BUS_NAME": "b", "EVENT_SOURCE": "acme.\xff"}, Config{}, "EVENT_SOURCE"},
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
