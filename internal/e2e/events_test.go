package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/samtemplate"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// TestEventFunctions runs the event-driven functions under the Runtime Interface Emulator with
// their events/ files: crm-sync applies events/crm-sync.json to a customer on a moto table (read
// back), and moves a batch for an unknown customer to its dead-letter queue (a FIFO queue on moto,
// read back); change-events publishes
// events/change-events.json (customer and order events) to an event bus on moto, whose rule
// delivers to a queue, and answers with a checkpoint when the bus does not exist.
func TestEventFunctions(t *testing.T) {
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
	buildFunctions(t, bin, "crm-sync", "change-events", "rental-events")
	baseEnv := []string{
		"LOG_LEVEL=INFO", "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
	}

	t.Run("crm-sync", func(t *testing.T) {
		table := fmt.Sprintf("e2e-crm-%d", time.Now().UnixNano())
		client, err := dynamosetup.Connect(ctx, endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if err := dynamosetup.CreateTable(ctx, client, table); err != nil {
			t.Fatal(err)
		}
		store := dynamo.New(client, table)
		o, _, err := store.CreateOrder(ctx, placeholderTenant, order.Input{
			Customer:       order.NewCustomer{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
			BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"},
			Items:          []order.Item{{SKU: "LAPTOP-1", Quantity: 1, ContractLength: 12}},
		}, order.Idempotency{})
		if err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
		id := o.Customer.CustomerID
		cfg, err := lambdafn.AWSConfig(endpoint, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		q := sqs.NewFromConfig(cfg)
		dead, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName:  aws.String(fmt.Sprintf("e2e-crm-dlq-%d.fifo", time.Now().UnixNano())),
			Attributes: map[string]string{"FifoQueue": "true"},
		})
		if err != nil {
			t.Fatalf("CreateQueue: %v", err)
		}
		t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: dead.QueueUrl}) })
		calls := &recorder{}
		sqsEndpoint := sqsProxy(t, endpoint, calls, map[string]string{aws.ToString(dead.QueueUrl): "!GetAtt CrmChangesDeadLetterQueue.Arn"})
		fn := startFunction(t, rie, "crm-sync", filepath.Join(bin, "crm-sync"), append(slices.Clone(baseEnv),
			"TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+recordingProxy(t, endpoint, calls), "AWS_LAMBDA_FUNCTION_NAME=crm-sync",
			"DEAD_LETTER_QUEUE_URL="+aws.ToString(dead.QueueUrl), "SQS_ENDPOINT="+sqsEndpoint), calls)

		var resp events.SQSEventResponse
		fn.invokeJSON(t, event(t, "crm-sync", placeholderCustomer, id), &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Errorf("crm-sync: failures %+v, want none", resp.BatchItemFailures)
		}
		c, err := store.GetCustomer(ctx, placeholderTenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.FirstName != "Augusta Ada" || c.Company != "Analytical Engines Ltd" || c.Phone != "+44 20 7946 0958" ||
			c.CustomFields["crmId"] != "CRM-0042" || fmt.Sprint(c.CustomFields["tier"]) != "3" || c.Version != 3 {
			t.Errorf("customer after crm-sync = %+v, want both changes of events/crm-sync.json applied in order, version 3", c)
		}

		// An unknown customer: both changes cannot succeed; they go to the dead-letter queue, in
		// order, and none is reported failed (which would have SQS deliver them again).
		var failed events.SQSEventResponse
		fn.invokeJSON(t, event(t, "crm-sync", placeholderCustomer, "cust_01JD5X9K3M4N5P6Q7R8S9T0V1Z"), &failed)
		if len(failed.BatchItemFailures) != 0 {
			t.Errorf("crm-sync for an unknown customer: failures %+v, want none", failed.BatchItemFailures)
		}
		var dlq []string
		for len(dlq) < 2 {
			out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dead.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
				MessageAttributeNames: []string{"All"}})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			if len(out.Messages) == 0 {
				break
			}
			for _, m := range out.Messages {
				dlq = append(dlq, aws.ToString(m.MessageAttributes["SourceMessageId"].StringValue)+" "+aws.ToString(m.MessageAttributes["FailureKind"].StringValue))
				if !strings.Contains(aws.ToString(m.Body), "cust_01JD5X9K3M4N5P6Q7R8S9T0V1Z") {
					t.Errorf("dead-letter message body %s, want the change for the unknown customer", aws.ToString(m.Body))
				}
			}
		}
		if want := []string{"059f36b4-87a3-44ab-83d2-661975830a7d NOT_FOUND", "2e1424d4-f796-459a-8184-9c92662be6da NOT_FOUND"}; !slices.Equal(dlq, want) {
			t.Errorf("crm-sync for an unknown customer: dead-letter queue holds %v, want %v", dlq, want)
		}
		if out := fn.output.String(); !strings.Contains(out, `"kind":"NOT_FOUND"`) || strings.Contains(out, "7946 0958") {
			t.Errorf("crm-sync log: want the permanent failure's kind, and no phone number:\n%s", out)
		}

		tmpl, err := samtemplate.Read(filepath.Join(root, "template.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		allowed := tmpl.Allowed(logicalID("crm-sync"))
		for _, u := range calls.list() {
			action, res, _ := strings.Cut(u, "@")
			if !slices.Contains(allowed[res], action) {
				t.Errorf("CrmSyncFunction called %s on %s, which its policy does not allow (allowed: %v)", action, res, allowed)
			}
		}
		if !slices.Contains(calls.list(), "sqs:SendMessage@!GetAtt CrmChangesDeadLetterQueue.Arn") {
			t.Errorf("CrmSyncFunction's calls %v: no sqs:SendMessage to the dead-letter queue recorded", calls.list())
		}
	})

	t.Run("rental-events", func(t *testing.T) {
		table := fmt.Sprintf("e2e-rentals-%d", time.Now().UnixNano())
		client, err := dynamosetup.Connect(ctx, endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if err := dynamosetup.CreateTable(ctx, client, table); err != nil {
			t.Fatal(err)
		}
		store := dynamo.New(client, table)
		o, _, err := store.CreateOrder(ctx, placeholderTenant, order.Input{
			Customer:       order.NewCustomer{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"},
			BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"},
			Items:          []order.Item{{SKU: "MBP-14-M3", Quantity: 2, ContractLength: 12}},
		}, order.Idempotency{})
		if err != nil {
			t.Fatalf("CreateOrder: %v", err)
		}
		id := o.Customer.CustomerID
		cfg, err := lambdafn.AWSConfig(endpoint, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		q := sqs.NewFromConfig(cfg)
		dead, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("e2e-rentals-dlq-%d", time.Now().UnixNano()))})
		if err != nil {
			t.Fatalf("CreateQueue: %v", err)
		}
		t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: dead.QueueUrl}) })
		calls := &recorder{}
		sqsEndpoint := sqsProxy(t, endpoint, calls, map[string]string{aws.ToString(dead.QueueUrl): "!GetAtt RentalEventsDeadLetterQueue.Arn"})
		fn := startFunction(t, rie, "rental-events", filepath.Join(bin, "rental-events"), append(slices.Clone(baseEnv),
			"TABLE_NAME="+table, "DYNAMODB_ENDPOINT="+recordingProxy(t, endpoint, calls), "AWS_LAMBDA_FUNCTION_NAME=rental-events",
			"DEAD_LETTER_QUEUE_URL="+aws.ToString(dead.QueueUrl), "SQS_ENDPOINT="+sqsEndpoint), calls)

		// events/rental-events.json: created, extended, upgraded, ended. Both subscriptions fill
		// the order's line of 2; the upgrade's end and the last end leave no device rented.
		var resp events.SQSEventResponse
		fn.invokeJSON(t, event(t, "rental-events", placeholderCustomer, id, placeholderOrder, o.OrderID), &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Errorf("rental-events: failures %+v, want none", resp.BatchItemFailures)
		}
		c, err := store.GetCustomer(ctx, placeholderTenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.TotalDevicesRented != 0 || c.TotalMonthlyRevenue != 0 || len(c.RentalIDs) != 2 {
			t.Errorf("customer after rental-events = devices %d, revenue %v, rentalIds %v; want 0, 0, two", c.TotalDevicesRented, c.TotalMonthlyRevenue, c.RentalIDs)
		}
		got, err := store.GetOrder(ctx, placeholderTenant, o.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != order.Fulfilled || got.RentalProgress.RentedDevices != 2 {
			t.Errorf("order after rental-events = %s %+v, want fulfilled, 2 rented", got.Status, got.RentalProgress)
		}

		// An unknown customer: every event goes to the dead-letter queue with its reason.
		var failed events.SQSEventResponse
		fn.invokeJSON(t, event(t, "rental-events", placeholderCustomer, "cust_01JD5X9K3M4N5P6Q7R8S9T0V1Z"), &failed)
		if len(failed.BatchItemFailures) != 0 {
			t.Errorf("rental-events for an unknown customer: failures %+v, want none", failed.BatchItemFailures)
		}
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dead.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 || aws.ToString(out.Messages[0].MessageAttributes["FailureKind"].StringValue) != "NOT_FOUND" {
			t.Errorf("dead-letter queue after an unknown customer: %d messages, want them NOT_FOUND", len(out.Messages))
		}

		tmpl, err := samtemplate.Read(filepath.Join(root, "template.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		allowed := tmpl.Allowed(logicalID("rental-events"))
		for _, u := range calls.list() {
			action, res, _ := strings.Cut(u, "@")
			if !slices.Contains(allowed[res], action) {
				t.Errorf("RentalEventsFunction called %s on %s, which its policy does not allow (allowed: %v)", action, res, allowed)
			}
		}
		if !slices.Contains(calls.list(), "dynamodb:TransactGetItems@"+samtemplate.TableArn) {
			t.Errorf("RentalEventsFunction's calls %v: no dynamodb:TransactGetItems recorded", calls.list())
		}
	})

	t.Run("change-events", func(t *testing.T) {
		cfg, err := lambdafn.AWSConfig(endpoint, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		eb, q := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
		suffix := time.Now().UnixNano()
		bus := fmt.Sprintf("e2e-customers-%d", suffix)
		if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
			t.Fatalf("CreateEventBus: %v", err)
		}
		queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("e2e-customer-events-%d", suffix))})
		if err != nil {
			t.Fatalf("CreateQueue: %v", err)
		}
		t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: queue.QueueUrl}) })
		qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("all"), EventBusName: aws.String(bus),
			EventPattern: aws.String(`{"source":["flexportal.customers"]}`)}); err != nil {
			t.Fatalf("PutRule: %v", err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("all"), EventBusName: aws.String(bus),
			Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(qa.Attributes["QueueArn"])}}}); err != nil {
			t.Fatalf("PutTargets: %v", err)
		}

		fn := startFunction(t, rie, "change-events", filepath.Join(bin, "change-events"), append(slices.Clone(baseEnv),
			"EVENT_BUS_NAME="+bus, "EVENTBRIDGE_ENDPOINT="+endpoint, "AWS_LAMBDA_FUNCTION_NAME=change-events"), &recorder{})
		var resp events.DynamoDBEventResponse
		fn.invokeJSON(t, event(t, "change-events"), &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Errorf("change-events: failures %+v, want none", resp.BatchItemFailures)
		}
		var kinds []string
		ids := map[string]bool{}
		for range 10 {
			out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			for _, m := range out.Messages {
				var e struct {
					DetailType string `json:"detail-type"`
					Detail     struct {
						ID        string `json:"id"`
						Event     string `json:"event"`
						Timestamp string `json:"timestamp"`
						TenantID  string `json:"tenantId"`
						Data      struct {
							CustomerID    string                     `json:"customerId"`
							OrderID       string                     `json:"orderId"`
							ChangedFields []string                   `json:"changedFields"`
							Previous      map[string]json.RawMessage `json:"previous"`
							Customer      map[string]json.RawMessage `json:"customer"`
							Order         map[string]json.RawMessage `json:"order"`
							Truncated     bool                       `json:"truncated"`
						} `json:"data"`
					} `json:"detail"`
				}
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
					t.Fatalf("delivered %s: %v", aws.ToString(m.Body), err)
				}
				d := e.Detail
				// FlexPortal's webhook shape, with the stream record's eventID as the event's id.
				if d.Event != e.DetailType || d.ID == "" || ids[d.ID] || d.TenantID != "tenant-demo" || d.Data.CustomerID != "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W" ||
					d.Data.Truncated || (d.Data.Customer == nil) == (d.Data.Order == nil) {
					t.Errorf("delivered %s: event %q, id %q (seen before: %v), tenant %q, customer %q, truncated %v, customer %v, order %v; want the detail type, a new id, tenant-demo, the customer, and its customer or its order",
						e.DetailType, d.Event, d.ID, ids[d.ID], d.TenantID, d.Data.CustomerID, d.Data.Truncated, d.Data.Customer != nil, d.Data.Order != nil)
				}
				ids[d.ID] = true
				if _, err := time.Parse(time.RFC3339, d.Timestamp); err != nil {
					t.Errorf("delivered %s: timestamp %q: %v", e.DetailType, d.Timestamp, err)
				}
				// A customer's order and rental ids, unbounded, are named as changed but never sent
				// (an order's rentalIds, bounded by its quantities, are sent like its other fields).
				for _, name := range []string{"orderIds", "rentalIds"} {
					if d.Data.Customer != nil && (d.Data.Customer[name] != nil || d.Data.Previous[name] != nil) {
						t.Errorf("delivered %s with %s in customer or previous, want it left out", e.DetailType, name)
					}
				}
				kinds = append(kinds, e.DetailType+" "+strings.Join(d.Data.ChangedFields, ","))
			}
			if len(kinds) >= 6 && len(out.Messages) == 0 {
				break
			}
		}
		slices.Sort(kinds)
		want := []string{
			"customer.created createdAt,createdBy,customFields,customerId,customerType,email,firstName,lastBillingAddress,lastName,lastShippingAddress,orderIds,phone,rentalIds,status,tenantId,totalDevicesRented,totalMonthlyRevenue,totalOrders",
			"customer.deactivated status",
			"customer.reactivated status",
			"customer.updated customFields,firstName,phone",
			"order.cancelled cancellationReason,status",
			"order.created billingAddress,createdAt,createdBy,customFields,customer,items,notes,orderId,orderType,rentalIds,rentalProgress,shippingAddress,status,tenantId",
		}
		if !slices.Equal(kinds, want) {
			t.Errorf("delivered %q, want %q", kinds, want)
		}

		// A bus that does not exist: nothing is published, Lambda is told to retry from the first record.
		missing := startFunction(t, rie, "change-events-no-bus", filepath.Join(bin, "change-events"), append(slices.Clone(baseEnv),
			"EVENT_BUS_NAME=no-such-bus", "EVENTBRIDGE_ENDPOINT="+endpoint, "AWS_LAMBDA_FUNCTION_NAME=change-events"), &recorder{})
		var checkpoint events.DynamoDBEventResponse
		missing.invokeJSON(t, event(t, "change-events"), &checkpoint)
		if len(checkpoint.BatchItemFailures) != 1 || checkpoint.BatchItemFailures[0].ItemIdentifier != "4421584500000000017450439091" {
			t.Errorf("change-events without its bus: failures %+v, want the first record's sequence number", checkpoint.BatchItemFailures)
		}
	})
}

// sqsProxy forwards to the SQS emulator at target, recording every request in rec as
// "sqs:<Action>@<queue>", the queue named as queues names its URL (as the template names it).
func sqsProxy(t *testing.T, target string, rec *recorder, queues map[string]string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("endpoint %q: %v", target, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// The SDK speaks SQS's JSON protocol: the action in X-Amz-Target, the queue in the body.
		var in struct{ QueueUrl string }
		_ = json.Unmarshal(body, &in)
		_, action, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		queue, ok := queues[in.QueueUrl]
		if !ok {
			queue = "unknown queue " + in.QueueUrl
		}
		rec.add("sqs:" + action + "@" + queue)
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// invokeJSON sends payload to the function, as an event source would, and decodes its response
// into out.
func (f *function) invokeJSON(t *testing.T, payload []byte, out any) {
	t.Helper()
	body := f.post(t, payload)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("invoke %s: response %s: %v", f.name, body, err)
	}
}
