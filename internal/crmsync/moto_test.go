package crmsync_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/flexportal-compat/customers-api/internal/crmsync"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// TestCRMSyncMoto runs the consumer on a batch received from a real FIFO queue, against a real
// table (both on moto): a name change, an email change (the transaction path), a change with a
// stale ifMatch, and three more: company X, Y, then X again. The stale one is not applied but moved
// to the dead-letter queue (a FIFO queue on moto too), read back there; the others are applied and
// read back — the revert to X included, as the queue deduplicates on the sender's
// MessageDeduplicationId, not on content — and no message is reported failed. A message without a
// MessageDeduplicationId is refused.
func TestCRMSyncMoto(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT not set: no moto server (make test starts one)")
	}
	ctx := context.Background()
	ddb, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf("crmsync-%d", time.Now().UnixNano())
	if err := dynamosetup.CreateTable(ctx, ddb, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(ddb, table)
	const tenant = "tenant-crm"
	o, _, err := store.CreateOrder(ctx, tenant, order.Input{
		Customer: order.NewCustomer{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
		BillingAddress: customer.Address{
			ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB",
		},
		Items: []order.Item{{SKU: "LAPTOP-1", Quantity: 1, ContractLength: 12}},
	}, order.Idempotency{})
	if err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	id := o.Customer.CustomerID
	before, err := store.GetCustomer(ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}

	// The queue, as template.yaml makes it, and the CRM's messages.
	cfg, err := lambdafn.AWSConfig(endpoint, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(fmt.Sprintf("crm-changes-%d.fifo", time.Now().UnixNano())),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "messageGroup",
			"FifoThroughputLimit": "perMessageGroupId"},
	})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	url := created.QueueUrl
	t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: url}) })
	dead, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(fmt.Sprintf("crm-changes-dlq-%d.fifo", time.Now().UnixNano())),
		Attributes: map[string]string{"FifoQueue": "true"},
	})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: dead.QueueUrl}) })
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{
		fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":{"firstName":"Augusta","customFields":{"crmId":"CRM-1"}},"ifMatch":%d}`, tenant, id, before.Version),
		fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":{"email":"augusta@example.com"}}`, tenant, id),
		fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":{"lastName":"King"},"ifMatch":%d}`, tenant, id, before.Version),
		fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":{"company":"Analytical Engines"}}`, tenant, id),
		fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":{"company":"Difference Engines"}}`, tenant, id),
		fmt.Sprintf(`{"tenantId":%q,"customerId":%q,"changes":{"company":"Analytical Engines"}}`, tenant, id),
	}
	for i, b := range bodies {
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(b), MessageGroupId: aws.String(tenant + "#" + id),
			MessageDeduplicationId: aws.String(fmt.Sprint("crm-change-", i))})
		if err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(bodies[0]), MessageGroupId: aws.String(tenant + "#" + id)}); err == nil {
		t.Errorf("SendMessage without MessageDeduplicationId succeeded, want it refused")
	}

	// The batch as Lambda's poller would hand it over.
	var ev events.SQSEvent
	for len(ev.Records) < len(bodies) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("received %d messages, want %d", len(ev.Records), len(bodies))
		}
		for _, m := range out.Messages {
			sum := md5.Sum([]byte(aws.ToString(m.Body)))
			if got := hex.EncodeToString(sum[:]); got != aws.ToString(m.MD5OfBody) {
				t.Errorf("MD5OfBody %s, want %s", aws.ToString(m.MD5OfBody), got)
			}
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
				EventSource: "aws:sqs", EventSourceARN: attrs.Attributes["QueueArn"], AWSRegion: cfg.Region,
			})
		}
	}
	if g := ev.Records[0].Attributes["MessageGroupId"]; g != tenant+"#"+id {
		t.Errorf("MessageGroupId %q, want %q", g, tenant+"#"+id)
	}

	h := crmsync.New(store, q, crmsync.Config{DeadLetterQueueURL: aws.ToString(dead.QueueUrl)}, slog.New(slog.DiscardHandler))
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures = %+v, want none (the stale change is in the dead-letter queue)", resp.BatchItemFailures)
	}
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: dead.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage from the dead-letter queue: %v", err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages in the dead-letter queue, want 1 (the stale change)", len(out.Messages))
	}
	dl := out.Messages[0]
	if aws.ToString(dl.Body) != bodies[2] || dl.Attributes["MessageGroupId"] != tenant+"#"+id ||
		dl.Attributes["MessageDeduplicationId"] != ev.Records[2].MessageId ||
		aws.ToString(dl.MessageAttributes[crmsync.AttrFailureKind].StringValue) != "PRECONDITION_FAILED" ||
		aws.ToString(dl.MessageAttributes[crmsync.AttrMessageID].StringValue) != ev.Records[2].MessageId {
		t.Errorf("dead-letter message: body %s, attributes %v, message attributes %v; want the stale change in group %s, deduplicated on %s, kind PRECONDITION_FAILED",
			aws.ToString(dl.Body), dl.Attributes, dl.MessageAttributes, tenant+"#"+id, ev.Records[2].MessageId)
	}

	got, err := store.GetCustomer(ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.FirstName != "Augusta" || got.Email != "augusta@example.com" || got.CustomFields["crmId"] != "CRM-1" ||
		got.LastName != "Lovelace" || got.Company != "Analytical Engines" || got.Version != before.Version+5 {
		t.Errorf("customer after the batch = %+v, want firstName Augusta, email augusta@example.com, customFields.crmId CRM-1, lastName unchanged, company Analytical Engines (reverted), version %d",
			got, before.Version+5)
	}
	// The email moved with its reservation: an order for the old email makes a new customer
	// rather than finding this one. (Another sku: the seed's order again, within 10 minutes, would
	// be that order, by natural idempotency.)
	o2, _, err := store.CreateOrder(ctx, tenant, order.Input{
		Customer:       order.NewCustomer{Email: "ada@example.com", FirstName: "Other", LastName: "Customer"},
		BillingAddress: customer.Address{ContactName: "O", StreetAddress: "2 Main St", City: "London", Country: "GB"},
		Items:          []order.Item{{SKU: "LAPTOP-2", Quantity: 1, ContractLength: 12}},
	}, order.Idempotency{})
	if err != nil || o2.Customer.CustomerID == id {
		t.Errorf("CreateOrder for the old email ada@example.com: customer %s, %v, want a new customer", o2.Customer.CustomerID, err)
	}
}
