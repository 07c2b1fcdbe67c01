package lambdafn

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/samtemplate"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// TestTemplateCrmSync checks the CRM queue and its consumer: FIFO with encryption and without
// content-based deduplication (which would drop a change repeating a recent one: A, B, A), a FIFO dead-letter queue after 10 receives (transient failures are
// retried) whose URL the function is given, batches of 10 with partial batch responses, the
// update path's table actions only (those of PUT), and sending to the dead-letter queue only.
func TestTemplateCrmSync(t *testing.T) {
	tmpl := readTemplate(t)
	ev := tmpl.Path("Resources", "CrmSyncFunction", "Properties", "Events", "CrmChanges")
	if q := ev.Path("Properties", "Queue"); q.Tag != "!GetAtt" || q.Value != "CrmChangesQueue.Arn" {
		t.Errorf("CrmSyncFunction SQS event Queue = %s %s, want !GetAtt CrmChangesQueue.Arn", q.Tag, q.Value)
	}
	scalars := []struct {
		node samtemplate.Node
		what string
		want string
	}{
		{ev.Path("Properties", "BatchSize"), "BatchSize", "10"},
		{tmpl.Path("Resources", "CrmChangesQueue", "Properties", "FifoQueue"), "queue FifoQueue", "true"},
		{tmpl.Path("Resources", "CrmChangesQueue", "Properties", "ContentBasedDeduplication"), "queue ContentBasedDeduplication", "false"},
		{tmpl.Path("Resources", "CrmChangesQueue", "Properties", "KmsMasterKeyId"), "queue KmsMasterKeyId", "alias/aws/sqs"},
		{tmpl.Path("Resources", "CrmChangesQueue", "Properties", "RedrivePolicy", "maxReceiveCount"), "queue maxReceiveCount", "10"},
		{tmpl.Path("Resources", "CrmChangesDeadLetterQueue", "Properties", "FifoQueue"), "dead-letter queue FifoQueue", "true"},
		{tmpl.Path("Resources", "CrmChangesDeadLetterQueue", "Properties", "KmsMasterKeyId"), "dead-letter queue KmsMasterKeyId", "alias/aws/sqs"},
	}
	for _, s := range scalars {
		if got := s.node.Str(); got != s.want {
			t.Errorf("%s = %q, want %q", s.what, got, s.want)
		}
	}
	if dlq := tmpl.Path("Resources", "CrmChangesQueue", "Properties", "RedrivePolicy", "deadLetterTargetArn"); dlq.Value != "CrmChangesDeadLetterQueue.Arn" {
		t.Errorf("queue deadLetterTargetArn = %s %s, want !GetAtt CrmChangesDeadLetterQueue.Arn", dlq.Tag, dlq.Value)
	}
	if got := strs(ev.Path("Properties", "FunctionResponseTypes")); !slices.Equal(got, []string{"ReportBatchItemFailures"}) {
		t.Errorf("FunctionResponseTypes = %v, want [ReportBatchItemFailures]", got)
	}
	// Exactly what PUT may do, and sending to the dead-letter queue.
	const deadLetterArn = "!GetAtt CrmChangesDeadLetterQueue.Arn"
	got, want := tmpl.Allowed("CrmSyncFunction"), tmpl.Allowed(logicalID("update-customer"))
	if len(got) != 2 || !sameSet(got[samtemplate.TableArn], want[samtemplate.TableArn]) ||
		!slices.Equal(got[deadLetterArn], []string{"sqs:SendMessage"}) {
		t.Errorf("CrmSyncFunction allows %v, want only %v on the table (UpdateCustomerFunction's) and sqs:SendMessage on %s",
			got, want[samtemplate.TableArn], deadLetterArn)
	}
	env := tmpl.Path("Resources", "CrmSyncFunction", "Properties", "Environment", "Variables", "DEAD_LETTER_QUEUE_URL")
	if env.Tag != "!Ref" || env.Value != "CrmChangesDeadLetterQueue" {
		t.Errorf("CrmSyncFunction DEAD_LETTER_QUEUE_URL = %s %s, want !Ref CrmChangesDeadLetterQueue", env.Tag, env.Value)
	}
	timeout := tmpl.Path("Resources", "CrmSyncFunction", "Properties", "Timeout").Str()
	visibility := tmpl.Path("Resources", "CrmChangesQueue", "Properties", "VisibilityTimeout").Str()
	if atoi(visibility) < 6*atoi(timeout) {
		t.Errorf("queue VisibilityTimeout %s, want at least 6 times the function's Timeout %s", visibility, timeout)
	}
}

// TestTemplateChangeEvents checks the stream consumer: from the latest record, partial batch
// responses, bisection, bounded retries with a failure destination, a filter passing only
// customer items, and only events:PutEvents on its bus.
func TestTemplateChangeEvents(t *testing.T) {
	tmpl := readTemplate(t)
	props := tmpl.Path("Resources", "ChangeEventsFunction", "Properties")
	ev := props.Path("Events", "TableStream", "Properties")
	if s := ev.Get("Stream"); s.Tag != "!GetAtt" || s.Value != "Table.StreamArn" {
		t.Errorf("stream event Stream = %s %s, want !GetAtt Table.StreamArn", s.Tag, s.Value)
	}
	for key, want := range map[string]string{
		"StartingPosition": "LATEST", "BatchSize": "100", "BisectBatchOnFunctionError": "true",
	} {
		if got := ev.Get(key).Str(); got != want {
			t.Errorf("stream event %s = %q, want %q", key, got, want)
		}
	}
	if ev.Get("MaximumRetryAttempts").Node == nil {
		t.Errorf("stream event has no MaximumRetryAttempts: a failing record would block its shard until it expires")
	}
	if got := strs(ev.Get("FunctionResponseTypes")); !slices.Equal(got, []string{"ReportBatchItemFailures"}) {
		t.Errorf("FunctionResponseTypes = %v, want [ReportBatchItemFailures]", got)
	}
	dest := ev.Path("DestinationConfig", "OnFailure")
	if dest.Get("Type").Str() != "SQS" || dest.Get("Destination").Value != "ChangeEventsFailureQueue.Arn" {
		t.Errorf("OnFailure = %s %s, want SQS !GetAtt ChangeEventsFailureQueue.Arn", dest.Get("Type").Str(), dest.Get("Destination").Value)
	}

	filters := ev.Path("FilterCriteria", "Filters").Items()
	if len(filters) != 1 {
		t.Fatalf("%d filters, want 1", len(filters))
	}
	var pattern struct {
		EventName []string
		Dynamodb  struct {
			Keys map[string]struct {
				S []struct {
					Prefix string `json:"prefix"`
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(filters[0].Get("Pattern").Str()), &pattern); err != nil {
		t.Fatalf("filter pattern: %v", err)
	}
	var prefixes []string
	for _, p := range pattern.Dynamodb.Keys[dynamo.AttrSK].S {
		prefixes = append(prefixes, p.Prefix)
	}
	if want := []string{dynamo.PrefixCustomerSK, dynamo.PrefixOrderSK}; !sameSet(prefixes, want) || !sameSet(pattern.EventName, []string{"INSERT", "MODIFY"}) {
		t.Errorf("filter pattern %s, want INSERT and MODIFY of keys with SK prefixes %v (the items that make events)", filters[0].Get("Pattern").Str(), want)
	}

	if bus := props.Path("Environment", "Variables", "EVENT_BUS_NAME"); bus.Tag != "!Ref" || bus.Value != "CustomerEventBus" {
		t.Errorf("EVENT_BUS_NAME = %s %s, want !Ref CustomerEventBus", bus.Tag, bus.Value)
	}
	if typ := tmpl.Path("Resources", "CustomerEventBus", "Type").Str(); typ != "AWS::Events::EventBus" {
		t.Errorf("CustomerEventBus Type %q, want AWS::Events::EventBus", typ)
	}
	allowed := tmpl.Allowed("ChangeEventsFunction")
	if len(allowed) != 1 || !slices.Equal(allowed["!GetAtt CustomerEventBus.Arn"], []string{"events:PutEvents"}) {
		t.Errorf("ChangeEventsFunction allows %v, want only events:PutEvents on !GetAtt CustomerEventBus.Arn", allowed)
	}
}

func strs(n samtemplate.Node) []string {
	var out []string
	for _, it := range n.Items() {
		out = append(out, it.Str())
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return len(a) > 0 && slices.Equal(a, b)
}

// atoi is s as a number, -1 when it is none.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
