package changefeed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/flexportal-compat/customers-api/internal/changefeed"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// TestChangeEventsMoto writes through the store to a table with a stream, reads the stream's
// records back, hands them to the publisher as Lambda would (twice: a redelivery), and reads what
// EventBridge delivered through a rule to a queue (all on moto): customer.created and
// order.created for an order's new customer, two customer.updated (a name, then an email),
// order.cancelled and nothing for the cancellation's pendingOrders-only change of the customer,
// customer.deactivated, customer.reactivated, a customer.updated of 50 custom fields of 500 "<"
// with its values, and one too large for EventBridge (written outside the API), slimmed. Nothing
// is published for the reservation and idempotency items, and every event comes twice with the
// same id.
func TestChangeEventsMoto(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: no moto server (make test starts one)")
	}
	ctx := context.Background()
	cfg, err := lambdafn.AWSConfig(endpoint, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ddb, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	suffix := time.Now().UnixNano()
	table := fmt.Sprintf("changefeed-%d", suffix)
	if err := dynamosetup.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(ddb, table)

	// The bus, a rule on it for the service's events and a queue it delivers them to.
	eb := eventbridge.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)
	bus := fmt.Sprintf("customers-%d", suffix)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatalf("CreateEventBus: %v", err)
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("customer-events-%d", suffix))})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("customers"), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["` + changefeed.DefaultSource + `"],"detail-type":[{"prefix":"customer."},{"prefix":"order."}]}`)})
	if err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("customers"), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(qa.Attributes["QueueArn"])}}})
	if err != nil {
		t.Fatalf("PutTargets: %v", err)
	}
	t.Cleanup(func() {
		_, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: queue.QueueUrl})
	})

	// The writes.
	const tenant = "tenant-events"
	o, _, err := store.CreateOrder(ctx, tenant, order.Input{
		Customer:       order.NewCustomer{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Phone: "+44 20 7946 0000"},
		BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"},
		Items:          []order.Item{{SKU: "LAPTOP-1", Quantity: 1, ContractLength: 12}},
	}, order.Idempotency{Key: "k-1", RequestHash: "h-1"})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	id := o.Customer.CustomerID
	ptr := func(s string) *string { return &s }
	if _, err := store.UpdateCustomer(ctx, tenant, id, customer.Patch{FirstName: ptr("Augusta"), Phone: customer.Optional[string]{Set: true}}, nil); err != nil {
		t.Fatalf("UpdateCustomer name: %v", err)
	}
	if _, err := store.UpdateCustomer(ctx, tenant, id, customer.Patch{Email: ptr("augusta@example.com")}, nil); err != nil {
		t.Fatalf("UpdateCustomer email: %v", err)
	}
	if _, _, err := store.CancelOrder(ctx, tenant, o.OrderID, "Ordered twice", order.Idempotency{}); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	if _, err := store.DeactivateCustomer(ctx, tenant, id, nil); err != nil {
		t.Fatalf("DeactivateCustomer: %v", err)
	}
	active := customer.Active
	if _, err := store.UpdateCustomer(ctx, tenant, id, customer.Patch{Status: &active}, nil); err != nil {
		t.Fatalf("UpdateCustomer status: %v", err)
	}
	// 50 custom fields of 500 "<": 6 bytes each once HTML-escaped, 1 as published.
	angles := map[string]any{}
	for i := range customer.MaxCustomFields {
		angles[fmt.Sprintf("f%02d", i)] = strings.Repeat("<", customer.MaxCustomFieldStrLen)
	}
	if _, err := store.UpdateCustomer(ctx, tenant, id, customer.Patch{CustomFields: angles}, nil); err != nil {
		t.Fatalf("UpdateCustomer custom fields: %v", err)
	}
	// Two custom fields of 140,000 characters, beyond the API's limits (and so beyond
	// EventBridge's), as only a write outside the API could make.
	_, err = ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(table),
		Key:              map[string]ddbtypes.AttributeValue{dynamo.AttrPK: &ddbtypes.AttributeValueMemberS{Value: "TENANT#" + tenant}, dynamo.AttrSK: &ddbtypes.AttributeValueMemberS{Value: dynamo.PrefixCustomerSK + id}},
		UpdateExpression: aws.String("SET customFields.huge1 = :v, customFields.huge2 = :v ADD version :one"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": &ddbtypes.AttributeValueMemberS{Value: strings.Repeat("x", 140_000)},
			":one": &ddbtypes.AttributeValueMemberN{Value: "1"}},
	})
	if err != nil {
		t.Fatalf("UpdateItem huge custom fields: %v", err)
	}

	// The stream, as Lambda would deliver it (unfiltered: the handler must skip other items), and
	// delivered again, as after a retry.
	ev := readStream(t, ctx, cfg, ddb, table)
	if len(ev.Records) < 10 {
		t.Fatalf("%d stream records, want at least 10 (order, reservation, idempotency record, customer insert, 6 customer and 1 order modifies)", len(ev.Records))
	}
	sent := &recordingBus{next: eb}
	h := changefeed.New(sent, changefeed.Config{Bus: bus, Source: changefeed.DefaultSource}, slog.New(slog.DiscardHandler))
	for range 2 {
		resp, err := h.Handle(ctx, ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v, want no failures", resp, err)
		}
	}
	recordIDs := map[string]bool{}
	for _, r := range ev.Records {
		recordIDs[r.EventID] = true
	}

	// What the bus delivered.
	type delivered struct {
		DetailType string           `json:"detail-type"`
		Source     string           `json:"source"`
		Detail     changefeed.Event `json:"detail"`
		raw        string
	}
	var got []delivered
	for range 20 {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			d := delivered{raw: aws.ToString(m.Body)}
			if err := json.Unmarshal([]byte(d.raw), &d); err != nil {
				t.Fatalf("delivered event %s: %v", aws.ToString(m.Body), err)
			}
			got = append(got, d)
		}
		if len(got) >= 18 && len(out.Messages) == 0 { // 9 events, twice
			break
		}
	}

	// Each event twice, with the same id (a stream record's) and detail.
	byID := map[string][]delivered{}
	for _, g := range got {
		byID[g.Detail.ID] = append(byID[g.Detail.ID], g)
		if !recordIDs[g.Detail.ID] || g.DetailType != g.Detail.Event || g.Source != changefeed.DefaultSource || g.Detail.TenantID != tenant {
			t.Errorf("delivered %s (event %s) id %q from %s for %s, want a stream record's eventID, the event as detail type, from %s for %s",
				g.DetailType, g.Detail.Event, g.Detail.ID, g.Source, g.Detail.TenantID, changefeed.DefaultSource, tenant)
		}
	}
	var distinct []delivered
	for evID, ds := range byID {
		if len(ds) != 2 || !reflect.DeepEqual(ds[0].Detail, ds[1].Detail) {
			t.Errorf("event %s delivered %d times (%+v), want twice, the same", evID, len(ds), ds)
		}
		distinct = append(distinct, ds[0])
	}

	type want struct {
		kind     string
		version  int64 // customer distinct; order distinct sort by their event, created first
		changed  []string
		previous string // "" not checked
	}
	wants := []want{
		{changefeed.CustomerCreated, 1, nil, ""},
		{changefeed.CustomerUpdated, 2, []string{"firstName", "phone"}, `{"firstName":"Ada","phone":"+44 20 7946 0000"}`},
		{changefeed.CustomerUpdated, 3, []string{"email"}, `{"email":"ada@example.com"}`},
		{changefeed.CustomerDeactivated, 4, []string{"status"}, `{"status":"active"}`},
		{changefeed.CustomerReactivated, 5, []string{"status"}, `{"status":"inactive"}`},
		{changefeed.CustomerUpdated, 6, []string{"customFields"}, `{"customFields":{}}`},
		{changefeed.CustomerUpdated, 7, []string{"customFields"}, ""},
		{changefeed.OrderCancelled, 0, []string{"cancellationReason", "status"}, `{"cancellationReason":null,"status":"pending"}`},
		{changefeed.OrderCreated, 0, nil, ""},
	}
	slices.SortFunc(distinct, func(a, b delivered) int {
		if a.Detail.Data.OrderID != b.Detail.Data.OrderID {
			return strings.Compare(a.Detail.Data.OrderID, b.Detail.Data.OrderID) // customer distinct first
		}
		if c := int(a.Detail.Data.Version - b.Detail.Data.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Detail.Event, b.Detail.Event)
	})
	if len(distinct) != len(wants) {
		for _, e := range distinct {
			t.Logf("delivered %s v%d %v", e.Detail.Event, e.Detail.Data.Version, e.Detail.Data.ChangedFields)
		}
		t.Fatalf("delivered %d distinct events, want %d", len(distinct), len(wants))
	}
	for i, w := range wants {
		g := distinct[i].Detail
		if g.Event != w.kind || g.Data.Version != w.version || g.Data.CustomerID != id {
			t.Errorf("event %d = %s, version %d of %s, want %s, version %d of %s", i, g.Event, g.Data.Version, g.Data.CustomerID, w.kind, w.version, id)
		}
		if strings.HasPrefix(w.kind, "order.") {
			if g.Data.OrderID != o.OrderID || g.Data.Order["orderId"] == nil || g.Data.Customer != nil {
				t.Errorf("%s: orderId %s, order %v, customer %v, want %s with its order only", w.kind, g.Data.OrderID, g.Data.Order, g.Data.Customer, o.OrderID)
			}
		} else if !g.Data.Truncated && customerOf(t, g.Data).Version != w.version {
			t.Errorf("%s v%d: customer %v, want the customer at version %d", w.kind, w.version, g.Data.Customer, w.version)
		}
		for _, name := range changefeed.Unlisted {
			if strings.HasPrefix(w.kind, "order.") {
				break // a customer's unbounded ids; an order's rentalIds are its own field
			}
			_, inCustomer := g.Data.Customer[name]
			_, inPrevious := g.Data.Previous[name]
			if inCustomer || inPrevious {
				t.Errorf("%s v%d: %s in customer %v, in previous %v, want in neither", w.kind, w.version, name, inCustomer, inPrevious)
			}
		}
		if w.changed == nil {
			if !slices.Contains(g.Data.ChangedFields, "status") || string(g.Data.Previous["status"]) != "null" {
				t.Errorf("%s: changedFields %v, previous %v, want every field, previously null", w.kind, g.Data.ChangedFields, g.Data.Previous)
			}
			continue
		}
		if !slices.Equal(g.Data.ChangedFields, w.changed) {
			t.Errorf("%s v%d: changedFields %v, want %v", w.kind, w.version, g.Data.ChangedFields, w.changed)
		}
		if prev, _ := json.Marshal(g.Data.Previous); w.previous != "" && string(prev) != w.previous {
			t.Errorf("%s v%d: previous %s, want %s", w.kind, w.version, prev, w.previous)
		}
	}
	if c := customerOf(t, distinct[4].Detail.Data); c.Status != customer.Active || c.Email != "augusta@example.com" || c.FirstName != "Augusta" {
		t.Errorf("reactivated customer = %+v, want active Augusta, augusta@example.com", c)
	}
	// The custom fields of "<", with their values, sent unescaped: 25,000 bytes of them where
	// encoding/json wrote 150,000. (The delivered copy says nothing of that: moto rewrites it.)
	angled := distinct[5]
	if c := customerOf(t, angled.Detail.Data); len(c.CustomFields) != customer.MaxCustomFields || c.CustomFields["f07"] != strings.Repeat("<", customer.MaxCustomFieldStrLen) ||
		angled.Detail.Data.Truncated {
		t.Errorf("customer.updated of the custom fields: %d fields, truncated %v, want 50 fields of 500 \"<\", not truncated",
			len(c.CustomFields), angled.Detail.Data.Truncated)
	}
	for _, e := range sent.entries {
		if d := aws.ToString(e.Detail); strings.Contains(d, angled.Detail.ID) && (strings.Contains(d, `\u003c`) || len(d) > 30_000) {
			t.Errorf("customer.updated of the custom fields sent as %d bytes, with \\u003c: %v; want about 26,000, unescaped", len(d), strings.Contains(d, `\u003c`))
		}
	}
	if huge := distinct[6].Detail; !huge.Data.Truncated || huge.Data.Customer != nil || huge.Data.Previous != nil || len(distinct[6].raw) > 2048 {
		t.Errorf("customer.updated beyond the limit: truncated %v, customer %v, previous %v, %d bytes delivered, want slimmed",
			huge.Data.Truncated, huge.Data.Customer != nil, huge.Data.Previous != nil, len(distinct[6].raw))
	}
}

// recordingBus is an EventBridge client that records the entries it sends.
type recordingBus struct {
	next    changefeed.Publisher
	entries []ebtypes.PutEventsRequestEntry
}

func (b *recordingBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.entries = append(b.entries, in.Entries...)
	return b.next.PutEvents(ctx, in, optFns...)
}

// customerOf decodes the customer of d.
func customerOf(t *testing.T, d changefeed.Data) customer.Customer {
	t.Helper()
	b, err := json.Marshal(d.Customer)
	if err != nil {
		t.Fatal(err)
	}
	var c customer.Customer
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("customer of the event: %v", err)
	}
	return c
}

// readStream returns every record of the table's stream as a Lambda DynamoDB event: built from
// the Streams API's records, then through JSON as Lambda sends it.
func readStream(t *testing.T, ctx context.Context, cfg aws.Config, ddb *dynamodb.Client, table string) events.DynamoDBEvent {
	t.Helper()
	desc, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := desc.Table.LatestStreamArn
	streams := dynamodbstreams.NewFromConfig(cfg)
	sd, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		t.Fatalf("DescribeStream: %v", err)
	}
	var ev events.DynamoDBEvent
	for _, shard := range sd.StreamDescription.Shards {
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: arn, ShardId: shard.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("GetShardIterator: %v", err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatalf("GetRecords: %v", err)
			}
			for _, r := range out.Records {
				ev.Records = append(ev.Records, lambdaRecord(t, r, aws.ToString(arn)))
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	// Through the wire format, as the Lambda runtime decodes it.
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var wire events.DynamoDBEvent
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatalf("stream event JSON: %v", err)
	}
	return wire
}

func lambdaRecord(t *testing.T, r streamtypes.Record, arn string) events.DynamoDBEventRecord {
	t.Helper()
	c := r.Dynamodb
	rec := events.DynamoDBEventRecord{
		AWSRegion: aws.ToString(r.AwsRegion), EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
		EventSource: aws.ToString(r.EventSource), EventVersion: aws.ToString(r.EventVersion), EventSourceArn: arn,
		Change: events.DynamoDBStreamRecord{
			Keys: lambdaImage(t, c.Keys), NewImage: lambdaImage(t, c.NewImage), OldImage: lambdaImage(t, c.OldImage),
			SequenceNumber: aws.ToString(c.SequenceNumber), SizeBytes: aws.ToInt64(c.SizeBytes), StreamViewType: string(c.StreamViewType),
		},
	}
	if c.ApproximateCreationDateTime != nil {
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *c.ApproximateCreationDateTime}
	}
	return rec
}

func lambdaImage(t *testing.T, img map[string]streamtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if img == nil {
		return nil
	}
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range img {
		out[k] = lambdaValue(t, v)
	}
	return out
}

func lambdaValue(t *testing.T, v streamtypes.AttributeValue) events.DynamoDBAttributeValue {
	t.Helper()
	switch v := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *streamtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *streamtypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *streamtypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *streamtypes.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *streamtypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *streamtypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *streamtypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *streamtypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = lambdaValue(t, e)
		}
		return events.NewListAttribute(l)
	case *streamtypes.AttributeValueMemberM:
		return events.NewMapAttribute(lambdaImage(t, v.Value))
	}
	t.Fatalf("stream attribute of type %T", v)
	return events.DynamoDBAttributeValue{}
}
