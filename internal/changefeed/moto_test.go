package changefeed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
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
// records back, hands them to the publisher as Lambda would, and reads what EventBridge delivered
// through a rule to a queue (all on moto): customer.created for the order's new customer, two
// customer.updated (a name, then an email), nothing for the pendingOrders-only change of an order
// cancellation nor for the order, reservation and idempotency items, and customer.deactivated.
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

	// The bus, a rule on it for the customer events and a queue it delivers them to.
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
		EventPattern: aws.String(`{"source":["` + changefeed.DefaultSource + `"],"detail-type":[{"prefix":"customer."}]}`)})
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
	// What cancelling the order does to the customer: pendingOrders only, an internal attribute.
	_, err = ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]ddbtypes.AttributeValue{dynamo.AttrPK: &ddbtypes.AttributeValueMemberS{Value: "TENANT#" + tenant}, dynamo.AttrSK: &ddbtypes.AttributeValueMemberS{Value: dynamo.PrefixCustomerSK + id}},
		UpdateExpression:          aws.String("SET pendingOrders = :zero"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":zero": &ddbtypes.AttributeValueMemberN{Value: "0"}},
	})
	if err != nil {
		t.Fatalf("UpdateItem pendingOrders: %v", err)
	}
	if _, err := store.DeactivateCustomer(ctx, tenant, id, nil); err != nil {
		t.Fatalf("DeactivateCustomer: %v", err)
	}

	// The stream, as Lambda would deliver it (unfiltered: the handler must skip other items).
	ev := readStream(t, ctx, cfg, ddb, table)
	if len(ev.Records) < 6 {
		t.Fatalf("%d stream records, want at least 6 (order, reservation, customer insert and 4 modifies)", len(ev.Records))
	}
	h := changefeed.New(eb, changefeed.Config{Bus: bus, Source: changefeed.DefaultSource}, slog.New(slog.DiscardHandler))
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v, want no failures", resp, err)
	}

	// What the bus delivered.
	type delivered struct {
		DetailType string            `json:"detail-type"`
		Source     string            `json:"source"`
		Detail     changefeed.Detail `json:"detail"`
	}
	var got []delivered
	for range 10 {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			var d delivered
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &d); err != nil {
				t.Fatalf("delivered event %s: %v", aws.ToString(m.Body), err)
			}
			got = append(got, d)
		}
		if len(got) >= 4 && len(out.Messages) == 0 {
			break
		}
	}
	slices.SortFunc(got, func(a, b delivered) int { return int(a.Detail.Version - b.Detail.Version) })
	type want struct {
		kind     string
		version  int64
		changed  []string
		previous string
	}
	wants := []want{
		{changefeed.Created, 1, nil, ""},
		{changefeed.Updated, 2, []string{"firstName", "phone"}, `{"firstName":"Ada","phone":"+44 20 7946 0000"}`},
		{changefeed.Updated, 3, []string{"email"}, `{"email":"ada@example.com"}`},
		{changefeed.Deactivated, 4, []string{"status"}, `{"status":"active"}`},
	}
	if len(got) != len(wants) {
		t.Fatalf("delivered %d events %+v, want %d", len(got), got, len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.DetailType != w.kind || g.Source != changefeed.DefaultSource || g.Detail.Version != w.version ||
			g.Detail.CustomerID != id || g.Detail.TenantID != tenant || customerOf(t, g.Detail).Version != w.version {
			t.Errorf("event %d = %s from %s, version %d of %s/%s, want %s from %s, version %d of %s/%s", i,
				g.DetailType, g.Source, g.Detail.Version, g.Detail.TenantID, g.Detail.CustomerID, w.kind, changefeed.DefaultSource, w.version, tenant, id)
		}
		for _, name := range changefeed.Unlisted {
			_, inCustomer := g.Detail.Customer[name]
			_, inPrevious := g.Detail.Previous[name]
			if inCustomer || inPrevious {
				t.Errorf("%s v%d: %s in customer %v, in previous %v, want in neither", w.kind, w.version, name, inCustomer, inPrevious)
			}
		}
		if w.changed == nil {
			if !slices.Contains(g.Detail.ChangedFields, "email") || !slices.Contains(g.Detail.ChangedFields, "orderIds") ||
				string(g.Detail.Previous["email"]) != "null" {
				t.Errorf("created: changedFields %v, previous %v, want every field, previously null", g.Detail.ChangedFields, g.Detail.Previous)
			}
			continue
		}
		prev, _ := json.Marshal(g.Detail.Previous)
		if !slices.Equal(g.Detail.ChangedFields, w.changed) || string(prev) != w.previous {
			t.Errorf("%s v%d: changedFields %v, previous %s, want %v, %s", w.kind, w.version, g.Detail.ChangedFields, prev, w.changed, w.previous)
		}
	}
	if c := customerOf(t, got[3].Detail); c.Status != customer.Inactive || c.Email != "augusta@example.com" || c.FirstName != "Augusta" {
		t.Errorf("deactivated customer = %+v, want inactive Augusta, augusta@example.com", c)
	}
}

// customerOf decodes the customer of d.
func customerOf(t *testing.T, d changefeed.Detail) customer.Customer {
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
