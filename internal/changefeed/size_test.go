package changefeed

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// TestEntrySize checks the size of entries against EventBridge's documented rule (User Guide,
// "Calculating Amazon EventBridge PutEvents event entry size"): Time 14 bytes if set, Source,
// DetailType, Detail and each of Resources their UTF-8 bytes; nothing else counts.
func TestEntrySize(t *testing.T) {
	now := time.Unix(1795728600, 0)
	tests := []struct {
		name  string
		entry ebtypes.PutEventsRequestEntry
		want  int
	}{
		{"nothing", ebtypes.PutEventsRequestEntry{}, 0},
		{"time only", ebtypes.PutEventsRequestEntry{Time: &now}, 14},
		{"source, detail type, detail", ebtypes.PutEventsRequestEntry{Source: aws.String("flexportal.customers"),
			DetailType: aws.String("customer.updated"), Detail: aws.String(`{"a":1}`)}, 20 + 16 + 7},
		{"with time", ebtypes.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}"), Time: &now}, 1 + 1 + 2 + 14},
		// "‹" is 3 bytes of UTF-8, "é" 2, "😀" 4: bytes, not characters (nor UTF-16 units).
		{"UTF-8 bytes", ebtypes.PutEventsRequestEntry{Source: aws.String("é"), DetailType: aws.String("‹"), Detail: aws.String(`{"x":"😀"}`)}, 2 + 3 + 12},
		{"resources", ebtypes.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"), Resources: []string{"arn:a", "é"}}, 1 + 1 + 5 + 2},
		{"bus and trace header do not count", ebtypes.PutEventsRequestEntry{Source: aws.String("s"), DetailType: aws.String("d"),
			EventBusName: aws.String("customers-bus"), TraceHeader: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := entrySize(tt.entry); got != tt.want {
				t.Errorf("entrySize(%s) = %d, want %d", tt.name, got, tt.want)
			}
		})
	}
}

// TestEncodeShortest encodes every Unicode character in a string of an event: each takes the
// bytes of its UTF-8 encoding, but for the escapes JSON requires (\", \\, the C0 controls). None
// is escaped as \u2028 or \u003c. The worst a custom field value may hold is then a character
// outside the Basic Multilingual Plane, 4 bytes (the API refuses C0 controls but tab, CR and LF).
func TestEncodeShortest(t *testing.T) {
	var all strings.Builder
	want := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue // surrogate halves are not characters
		}
		all.WriteRune(r)
		switch {
		case r == '"' || r == '\\' || r == '\b' || r == '\f' || r == '\n' || r == '\r' || r == '\t':
			want += 2
		case r < 0x20:
			want += 6 // \u00XX
		default:
			want += utf8.RuneLen(r)
		}
	}
	b, err := encode(Event{ID: all.String()})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := encode(Event{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(b) - len(empty); got != want {
		t.Errorf("every character encoded in %d bytes, want %d", got, want)
	}
	for _, escaped := range []string{`\u2028`, `\u2029`, `\u003c`, `\u003e`, `\u0026`, `\u2039`, `\ufffd`} {
		if strings.Contains(string(b), escaped) {
			t.Errorf("encoded with %s", escaped)
		}
	}
}

// customFields returns a custom fields attribute of count keys, each key of keyLen characters
// (a number, then pad) and each value value.
func customFields(count, keyLen int, pad, value string) events.DynamoDBAttributeValue {
	m := attrs{}
	for i := range count {
		k := fmt.Sprintf("%03d", i)
		m[k+strings.Repeat(pad, keyLen-len(k))] = s(value)
	}
	return events.NewMapAttribute(m)
}

// publishOne hands rec to a handler and returns the one entry it published.
func publishOne(t *testing.T, rec events.DynamoDBEventRecord) ebtypes.PutEventsRequestEntry {
	t.Helper()
	bus := &fakeBus{}
	h, _ := newHandler(bus)
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %v, %v, want no checkpoint", checkpoint(resp), err)
	}
	if got := bus.published(); len(got) == 1 {
		return got[0]
	}
	t.Fatalf("published %d events, want 1", len(bus.published()))
	return ebtypes.PutEventsRequestEntry{}
}

// TestWorstCharacters: an update of the 50 custom fields a customer may have, each replacing a
// value of 500 characters by another (the most the API takes), of the characters whose encoding
// is longest: "<" (6 bytes once HTML-escaped, as encoding/json wrote it), "‹" (3 bytes of UTF-8),
// U+2028 (escaped for JavaScript), '"' and LF (escaped by JSON), characters outside the BMP (4
// bytes; 12 as UTF-16 escapes). Keys are 40 characters outside the BMP. The event is published
// with its values, under EventBridge's limit; encoded by encoding/json, some would not have been.
func TestWorstCharacters(t *testing.T) {
	for _, tt := range []struct {
		c      string
		v1Over bool // over the limit as encoding/json encodes it
	}{{"<", true}, {"&", true}, {"‹", false}, {"\u2028", true}, {`"`, false}, {"\n", false}, {"😀", false}, {"\U0010FFFD", false}} {
		c := tt.c
		t.Run(fmt.Sprintf("%+q", c), func(t *testing.T) {
			value := func(last string) string { return strings.Repeat(c, customer.MaxCustomFieldStrLen-1) + last }
			old := item(attrs{"customFields": customFields(customer.MaxCustomFields, customer.MaxCustomFieldKeyLen, "😀", value("a"))})
			upd := item(attrs{"customFields": customFields(customer.MaxCustomFields, customer.MaxCustomFieldKeyLen, "😀", value("b")), "version": n("2")})
			e := publishOne(t, record(1, "MODIFY", old, upd))
			size := entrySize(e)
			var v any
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &v); err != nil {
				t.Fatal(err)
			}
			v1, _ := json.Marshal(v)
			t.Logf("%d bytes (%d by encoding/json)", size, len(v1))
			if over := size-len(aws.ToString(e.Detail))+len(v1) > maxRequestBytes; over != tt.v1Over {
				t.Errorf("over the limit as encoding/json encodes it: %v, want %v", over, tt.v1Over)
			}
			d := detailOfEntry(t, e)
			cf, _ := d["customer"].(map[string]any)["customFields"].(map[string]any)
			prev, _ := d["previous"].(map[string]any)["customFields"].(map[string]any)
			key := "007" + strings.Repeat("😀", customer.MaxCustomFieldKeyLen-3)
			if d["truncated"] != false || len(cf) != customer.MaxCustomFields || cf[key] != value("b") || len(prev) != customer.MaxCustomFields || prev[key] != value("a") {
				t.Errorf("event of %d bytes: truncated %v, %d custom fields, %d previous, want the 50 new and 50 previous values", size, d["truncated"], len(cf), len(prev))
			}
			if size > maxRequestBytes {
				t.Errorf("entry of %d bytes, over %d", size, maxRequestBytes)
			}
		})
	}
}

// maxCustomer is a customer image with every field at the API's limits, its strings of
// characters c (4 bytes each when outside the BMP), and count custom fields.
func maxCustomer(c string, count int, version string) attrs {
	str := func(l int) events.DynamoDBAttributeValue { return s(strings.Repeat(c, l)) }
	addr := func() events.DynamoDBAttributeValue {
		m := attrs{}
		for _, f := range []string{"contactName", "company", "streetAddress", "buildingInfo", "locality", "city", "adminArea", "postalCode"} {
			m[f] = str(customer.MaxAddressFieldLen)
		}
		m["country"] = s("GB")
		return events.NewMapAttribute(m)
	}
	email := version + strings.Repeat("a", customer.MaxEmailLocalLen-len(version)) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	return item(attrs{
		"firstName": str(customer.MaxNameLen), "lastName": str(customer.MaxNameLen), "company": str(customer.MaxCompanyLen),
		"phone": s("+44 (20) 7946-0000 0000 000 0000"), "email": s(email),
		"lastBillingAddress": addr(), "lastShippingAddress": addr(),
		"customFields": customFields(count, customer.MaxCustomFieldKeyLen, c, strings.Repeat(c, customer.MaxCustomFieldStrLen)),
		"version":      n(version),
	})
}

// TestLargestEvents: the largest customer the API's limits allow, every string of it replaced
// (old and new values all in one event, which no single PUT can do), fits EventBridge's limit with
// its values. One beyond those limits (twice the custom fields, as a write outside the API or a
// later limit could make) does not, and is published slimmed.
func TestLargestEvents(t *testing.T) {
	tests := []struct {
		name      string
		fields    int
		truncated bool
	}{
		{"the API's largest", customer.MaxCustomFields, false},
		{"beyond the API's limits", 2 * customer.MaxCustomFields, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := publishOne(t, record(1, "MODIFY", maxCustomer("😀", tt.fields, "1"), maxCustomer("🙂", tt.fields, "2")))
			size := entrySize(e)
			t.Logf("%d bytes", size)
			d := detailOfEntry(t, e)
			want := `["company","customFields","email","firstName","lastBillingAddress","lastName","lastShippingAddress"]`
			if c := jsonOf(d["changedFields"]); d["truncated"] != tt.truncated || c != want || size > maxRequestBytes {
				t.Errorf("event of %d bytes: truncated %v, changedFields %s, want truncated %v, %s and at most %d bytes", size, d["truncated"], c, tt.truncated, want, maxRequestBytes)
			}
			if tt.truncated != (d["customer"] == nil) || tt.truncated != (d["previous"] == nil) {
				t.Errorf("truncated %v with customer %v and previous %v, want values only when not truncated", tt.truncated, d["customer"] != nil, d["previous"] != nil)
			}
		})
	}
}

// TestBatchLen: a PutEvents takes entries up to maxRequestBytes in all, and 10.
func TestBatchLen(t *testing.T) {
	sized := func(sizes ...int) []pending {
		var q []pending
		for _, s := range sizes {
			q = append(q, pending{size: s})
		}
		return q
	}
	tests := []struct {
		name  string
		queue []pending
		want  int
	}{
		{"one at the limit", sized(maxRequestBytes, 1), 1},
		{"two up to the limit", sized(maxRequestBytes-10, 10, 1), 2},
		{"one byte over", sized(maxRequestBytes-10, 11), 1},
		{"ten at most", sized(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := batchLen(tt.queue); got != tt.want {
				t.Errorf("batchLen = %d, want %d", got, tt.want)
			}
		})
	}
	if maxRequestBytes != 262143 {
		t.Errorf("maxRequestBytes = %d, want 262143: less than 256 KiB", maxRequestBytes)
	}
}
