package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// TestRentalFlowMoto is issue 10's end to end, on moto (SQS, EventBridge, DynamoDB and its
// stream). The test plays the event source mappings, which moto does not run: it reads the
// subscription-event queue and invokes rental-events (under the Runtime Interface Emulator) with
// the batch, and reads the table's stream into change-events (under the emulator too).
// subscription.created put on the bus (rule and target as template.yaml's RentalEventsRule) →
// the customer shows the rental, DELETE answers 409 CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS, the order
// is fulfilled and order.fulfilled reaches a test rule's queue; subscription.ended → DELETE 200.
func TestRentalFlowMoto(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: no emulator (make e2e / make test start moto)")
	}
	rie := rieBinary()
	if rie == "" {
		t.Skip("AWS Lambda Runtime Interface Emulator not found (set AWS_LAMBDA_RIE, or run make rie to install .tools/bin/aws-lambda-rie)")
	}
	ctx := context.Background()
	bin := t.TempDir()
	buildFunctions(t, bin, "rental-events", "change-events")
	cfg, err := lambdafn.AWSConfig(endpoint, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ddb, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	suffix := time.Now().UnixNano()
	table := fmt.Sprintf("e2e-rental-flow-%d", suffix)
	if err := dynamosetup.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(ddb, table)
	const tenant = placeholderTenant
	o, _, err := store.CreateOrder(ctx, tenant, order.Input{
		Customer:       order.NewCustomer{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"},
		BillingAddress: customer.Address{ContactName: "Grace", StreetAddress: "1 Main St", City: "Arlington", Country: "US"},
		Items:          []order.Item{{SKU: "MBP-14", Quantity: 1, ContractLength: 12}},
	}, order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	cid := o.Customer.CustomerID
	const secret = "fpk_test_rental_flow"
	if err := store.PutAPIKey(ctx, auth.Key{ID: "key_rental_flow", Hash: auth.Hash(secret), Tenants: []string{tenant},
		Scopes: auth.AllScopes, Status: auth.StatusActive, CreatedAt: customer.Timestamp(time.Now())}); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(httpapi.New(store, httpapi.Options{Logger: slog.New(slog.DiscardHandler)}).Handler())
	t.Cleanup(api.Close)
	deleteCustomer := func() (int, string) {
		r, _ := http.NewRequest("DELETE", api.URL+"/v1/customers/"+cid, nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Tenant-ID", tenant)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Error.Code
	}

	// The bus; the rule of template.yaml to the subscription-event queue; a test rule for
	// order.fulfilled to a queue of its own.
	eb, q := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	bus := fmt.Sprintf("e2e-rental-bus-%d", suffix)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatalf("CreateEventBus: %v", err)
	}
	queue := func(name string) (url, arn string) {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("%s-%d", name, suffix))})
		if err != nil {
			t.Fatalf("CreateQueue: %v", err)
		}
		t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
		qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), qa.Attributes["QueueArn"]
	}
	rule := func(name, pattern, arn string, inputPath *string) {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
			t.Fatalf("PutRule %s: %v", name, err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
			Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(arn), InputPath: inputPath}}}); err != nil {
			t.Fatalf("PutTargets %s: %v", name, err)
		}
	}
	rentalQueue, rentalArn := queue("e2e-rental-events")
	deadQueue, _ := queue("e2e-rental-events-dlq")
	fulfilledQueue, fulfilledArn := queue("e2e-order-fulfilled")
	rule("rental-events", `{"detail-type":["subscription.created","subscription.extended","subscription.upgraded","subscription.ended"]}`, rentalArn, aws.String("$.detail"))
	rule("order-fulfilled", `{"detail-type":["order.fulfilled"]}`, fulfilledArn, nil)

	baseEnv := []string{"LOG_LEVEL=INFO", "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_LAMBDA_FUNCTION_TIMEOUT=30"}
	consumer := startFunction(t, rie, "rental-events", filepath.Join(bin, "rental-events"), append(slices.Clone(baseEnv),
		"TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+endpoint, "AWS_LAMBDA_FUNCTION_NAME=rental-events",
		"DEAD_LETTER_QUEUE_URL="+deadQueue, "SQS_ENDPOINT="+endpoint), &recorder{})
	publisher := startFunction(t, rie, "change-events", filepath.Join(bin, "change-events"), append(slices.Clone(baseEnv),
		"EVENT_BUS_NAME="+bus, "EVENTBRIDGE_ENDPOINT="+endpoint, "AWS_LAMBDA_FUNCTION_NAME=change-events"), &recorder{})

	// publish puts a subscription event on the bus, as FlexPortal's subscription service would,
	// then plays the queue's event source mapping: the queue's messages, one batch, to the consumer.
	publish := func(id, name, data string) {
		t.Helper()
		detail := fmt.Sprintf(`{"id":%q,"event":%q,"timestamp":%q,"tenantId":%q,"data":%s}`, id, name, customer.Timestamp(time.Now()), tenant, data)
		out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(bus), Source: aws.String("flexportal.subscriptions"), DetailType: aws.String(name), Detail: aws.String(detail)}}})
		if err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("PutEvents %s: %v %+v", name, err, out)
		}
		msgs := receive(t, q, rentalQueue, 1)
		var batch events.SQSEvent
		for _, m := range msgs {
			batch.Records = append(batch.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), EventSource: "aws:sqs", EventSourceARN: rentalArn, AWSRegion: "us-east-1",
				Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
		}
		b, _ := json.Marshal(batch)
		var resp events.SQSEventResponse
		consumer.invokeJSON(t, b, &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("rental-events %s: failures %+v", name, resp.BatchItemFailures)
		}
		for _, m := range msgs { // what the mapping does with a batch that succeeded
			_, _ = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(rentalQueue), ReceiptHandle: m.ReceiptHandle})
		}
	}

	publish("evt_flow_1", "subscription.created", fmt.Sprintf(`{"subscriptionId":"sub_flow_1","customerId":%q,"orderId":%q,"sku":"MBP-14","monthlyAmount":49.99}`, cid, o.OrderID))
	c, err := store.GetCustomer(ctx, tenant, cid)
	if err != nil {
		t.Fatal(err)
	}
	if c.TotalDevicesRented != 1 || c.TotalMonthlyRevenue != 49.99 || !slices.Equal(c.RentalIDs, []string{"sub_flow_1"}) {
		t.Errorf("customer after subscription.created: devices %d revenue %v rentalIds %v, want 1 49.99 [sub_flow_1]", c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs)
	}
	if status, code := deleteCustomer(); status != 409 || code != "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS" {
		t.Errorf("DELETE while renting = %d %s, want 409 CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", status, code)
	}
	got, err := store.GetOrder(ctx, tenant, o.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != order.Fulfilled {
		t.Errorf("order after subscription.created = %s, want fulfilled", got.Status)
	}

	// The stream into the publisher, as its event source mapping would deliver it.
	var resp events.DynamoDBEventResponse
	b, _ := json.Marshal(streamEvent(t, ctx, cfg, ddb, table))
	publisher.invokeJSON(t, b, &resp)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("change-events: failures %+v", resp.BatchItemFailures)
	}
	var fulfilled []string
	for _, m := range receive(t, q, fulfilledQueue, 1) {
		var e struct {
			DetailType string `json:"detail-type"`
			Detail     struct {
				Event string `json:"event"`
				Data  struct {
					OrderID string `json:"orderId"`
				} `json:"data"`
			} `json:"detail"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
			t.Fatal(err)
		}
		fulfilled = append(fulfilled, e.Detail.Event+" "+e.Detail.Data.OrderID)
	}
	if want := []string{"order.fulfilled " + o.OrderID}; !slices.Equal(fulfilled, want) {
		t.Errorf("the test rule's queue holds %v, want %v", fulfilled, want)
	}

	publish("evt_flow_2", "subscription.ended", fmt.Sprintf(`{"subscriptionId":"sub_flow_1","customerId":%q}`, cid))
	if status, code := deleteCustomer(); status != 200 {
		t.Errorf("DELETE after subscription.ended = %d %s, want 200", status, code)
	}
}

// receive reads the queue until it has at least n messages or a read comes back empty.
func receive(t *testing.T, q *sqs.Client, url string, n int) []sqstypes.Message {
	t.Helper()
	var msgs []sqstypes.Message
	for range 10 {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		msgs = append(msgs, out.Messages...)
		if len(msgs) >= n && len(out.Messages) == 0 {
			break
		}
	}
	return msgs
}

// streamEvent is every record of the table's stream as a Lambda event.
func streamEvent(t *testing.T, ctx context.Context, cfg aws.Config, ddb *dynamodb.Client, table string) events.DynamoDBEvent {
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
		it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: shard.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatalf("GetShardIterator: %v", err)
		}
		for iter := it.ShardIterator; iter != nil; {
			out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatalf("GetRecords: %v", err)
			}
			for _, r := range out.Records {
				c := r.Dynamodb
				rec := events.DynamoDBEventRecord{AWSRegion: aws.ToString(r.AwsRegion), EventID: aws.ToString(r.EventID), EventName: string(r.EventName),
					EventSource: aws.ToString(r.EventSource), EventVersion: aws.ToString(r.EventVersion), EventSourceArn: aws.ToString(arn),
					Change: events.DynamoDBStreamRecord{Keys: streamImage(t, c.Keys), NewImage: streamImage(t, c.NewImage), OldImage: streamImage(t, c.OldImage),
						SequenceNumber: aws.ToString(c.SequenceNumber), SizeBytes: aws.ToInt64(c.SizeBytes), StreamViewType: string(c.StreamViewType)}}
				if c.ApproximateCreationDateTime != nil {
					rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *c.ApproximateCreationDateTime}
				}
				ev.Records = append(ev.Records, rec)
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return ev
}

func streamImage(t *testing.T, img map[string]streamtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if img == nil {
		return nil
	}
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range img {
		out[k] = streamValue(t, v)
	}
	return out
}

func streamValue(t *testing.T, v streamtypes.AttributeValue) events.DynamoDBAttributeValue {
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
	case *streamtypes.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = streamValue(t, e)
		}
		return events.NewListAttribute(l)
	case *streamtypes.AttributeValueMemberM:
		return events.NewMapAttribute(streamImage(t, v.Value))
	}
	t.Fatalf("stream attribute of type %T", v)
	return events.DynamoDBAttributeValue{}
}
