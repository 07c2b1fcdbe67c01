package lambdafn

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/telemetry"
)

// fakeDynamo is a dynamo.Client that keeps written items in memory by primary key, answers
// GetItem from them, and answers UpdateItem with the stored item unchanged as its ALL_NEW image:
// enough for the store's key lookups and the update path, without a server. It counts requests.
type fakeDynamo struct {
	mu    sync.Mutex
	items map[string]map[string]types.AttributeValue
	calls map[string]int
}

func newFakeDynamo() *fakeDynamo {
	return &fakeDynamo{items: map[string]map[string]types.AttributeValue{}, calls: map[string]int{}}
}

func primaryKey(item map[string]types.AttributeValue) string {
	pk, _ := item[dynamo.AttrPK].(*types.AttributeValueMemberS)
	sk, _ := item[dynamo.AttrSK].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return ""
	}
	return pk.Value + "\x00" + sk.Value
}

func (f *fakeDynamo) count(op string) {
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
}

// requests returns the requests counted so far, by operation, and forgets them.
func (f *fakeDynamo) requests() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = map[string]int{}
	return c
}

func (f *fakeDynamo) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.count("GetItem")
	f.mu.Lock()
	defer f.mu.Unlock()
	return &dynamodb.GetItemOutput{Item: f.items[primaryKey(in.Key)]}, nil
}

func (f *fakeDynamo) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.count("BatchGetItem")
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			if item := f.items[primaryKey(k)]; item != nil {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func (f *fakeDynamo) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	f.count("PutItem")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[primaryKey(in.Item)] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

func (f *fakeDynamo) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	f.count("UpdateItem")
	f.mu.Lock()
	defer f.mu.Unlock()
	item := f.items[primaryKey(in.Key)]
	if item == nil {
		return nil, &types.ConditionalCheckFailedException{Message: new(string)}
	}
	return &dynamodb.UpdateItemOutput{Attributes: item}, nil
}

func (f *fakeDynamo) Query(_ context.Context, _ *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	f.count("Query")
	return &dynamodb.QueryOutput{}, nil
}

func (f *fakeDynamo) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.count("TransactWriteItems")
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range in.TransactItems {
		switch {
		case w.Put != nil:
			f.items[primaryKey(w.Put.Item)] = w.Put.Item
		case w.Delete != nil:
			delete(f.items, primaryKey(w.Delete.Key))
		}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

var _ dynamo.Client = (*fakeDynamo)(nil)

// readEvent reads events/<name>.json with each old string replaced by its new one.
func readEvent(tb testing.TB, name string, replace ...string) events.APIGatewayV2HTTPRequest {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join(root, "events", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(strings.NewReplacer(replace...).Replace(string(src))), &e); err != nil {
		tb.Fatalf("events/%s.json: %v", name, err)
	}
	return e
}

// The placeholders of the events/ files (events/README.md).
const (
	placeholderKey      = "fpk_test_placeholder"
	placeholderTenant   = "tenant-demo"
	placeholderCustomer = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
)

// invocationContext is the context Lambda gives an invocation: its request id, and the trace
// header of an invocation X-Ray did not sample (Lambda gives one to every invocation).
func invocationContext() context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8476a536-e9f4-11e8-9739-2dfe598c3fcd"})
	//lint:ignore SA1029 the key aws-lambda-go uses for the invocation's trace header
	return context.WithValue(ctx, "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
}

// updateFixture returns the update-customer function wired as Serve wires it, on a fake table
// holding the placeholder key and one customer made through the create-order function, and the
// update event for that customer.
func updateFixture(tb testing.TB) (Handler, events.APIGatewayV2HTTPRequest, *fakeDynamo) {
	tb.Helper()
	return updateFixtureTraced(tb, telemetry.Off())
}

// updateFixtureTraced is updateFixture with tracing.
func updateFixtureTraced(tb testing.TB, tracing *telemetry.Tracing) (Handler, events.APIGatewayV2HTTPRequest, *fakeDynamo) {
	tb.Helper()
	ctx := invocationContext()
	fake := newFakeDynamo()
	store := dynamo.New(fake, "customers")
	err := store.PutAPIKey(ctx, auth.Key{ID: "key_bench", Hash: auth.Hash(placeholderKey), Tenants: []string{placeholderTenant},
		Scopes: auth.AllScopes, Status: auth.StatusActive, CreatedAt: "2026-11-26T21:30:00.000Z"})
	if err != nil {
		tb.Fatal(err)
	}
	opts := httpapi.Options{Logger: slog.New(slog.DiscardHandler), CursorKey: []byte(strings.Repeat("k", 32))}

	create, err := New("create-order", store, opts)
	// The update's request line is formatted, as in a function, and thrown away.
	opts.Logger = slog.New(NewLogHandler(io.Discard, slog.LevelInfo))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := create(ctx, readEvent(tb, "create-order"))
	if err != nil || resp.StatusCode != http.StatusCreated {
		tb.Fatalf("create-order = %d %s, %v, want 201", resp.StatusCode, resp.Body, err)
	}
	var created struct {
		Order struct {
			Customer customer.Customer `json:"customer"`
		} `json:"order"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &created); err != nil || created.Order.Customer.CustomerID == "" {
		tb.Fatalf("create-order body %s: %v", resp.Body, err)
	}

	// As Serve wires it by default: request lines with their EMF block, tracing off.
	update, err := newHandler("update-customer", store, opts, observability{
		namespace: DefaultMetricsNamespace, tracing: tracing, name: "update-customer", coldStart: &telemetry.ColdStart{}})
	if err != nil {
		tb.Fatal(err)
	}
	fake.requests()
	return update, readEvent(tb, "update-customer", placeholderCustomer, created.Order.Customer.CustomerID), fake
}

// TestWarmUpdateIsOneRequest: once the key is cached, an update without an email change costs
// exactly one DynamoDB request, an UpdateItem, through the real wiring of the function.
func TestWarmUpdateIsOneRequest(t *testing.T) {
	h, ev, fake := updateFixture(t)
	ctx := invocationContext()
	want := []map[string]int{
		{"GetItem": 1, "UpdateItem": 1}, // cold: the key is read once
		{"UpdateItem": 1},               // warm
		{"UpdateItem": 1},
	}
	for i, w := range want {
		resp, err := h(ctx, ev)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: update-customer = %d %s, %v, want 200", i+1, resp.StatusCode, resp.Body, err)
		}
		got := fake.requests()
		if len(got) != len(w) {
			t.Errorf("request %d: DynamoDB requests %v, want %v", i+1, got, w)
			continue
		}
		for op, n := range w {
			if got[op] != n {
				t.Errorf("request %d: DynamoDB requests %v, want %v", i+1, got, w)
			}
		}
	}
}

// BenchmarkUpdateHandler is the CPU cost of the update function per warm request: an API Gateway
// v2 event through the adapter, auth (cached key), patch parsing, the UpdateItem built and its
// ALL_NEW answer decoded, the response encoded. docs/design.md's target: within 2x of
// BenchmarkBareAdapter. Measured on a 2-core machine: ~19 µs against ~7.7 µs (2.5x) — over the
// target; against BenchmarkBareAdapterSameResponse, which answers the same body, ~12.6 µs (1.5x).
// The rest is attributevalue decoding of the ALL_NEW item, body parsing and the update expression
// (see docs/decisions.md).
func BenchmarkUpdateHandler(b *testing.B) {
	h, ev, _ := updateFixture(b)
	ctx := invocationContext()
	if resp, err := h(ctx, ev); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("update-customer = %d %s, %v, want 200", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateHandlerTraced is BenchmarkUpdateHandler with tracing on (TRACING=xray) and
// every request sampled: the server span, and the spans encoded as OTLP JSON and handed to an
// HTTP client that answers at once (the network round trip to X-Ray is not in it). The store's
// client is a fake, so there are no DynamoDB spans here.
func BenchmarkUpdateHandlerTraced(b *testing.B) {
	tracing := telemetry.NewTracing(&telemetry.OTLPExporter{URL: "http://127.0.0.1:9/v1/traces", Client: answerAtOnce{}}, "update-customer")
	h, ev, _ := updateFixtureTraced(b, tracing)
	//lint:ignore SA1029 the key aws-lambda-go uses for the invocation's trace header
	ctx := context.WithValue(invocationContext(), "x-amzn-trace-id", invocationTrace)
	if resp, err := h(ctx, ev); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("update-customer = %d %s, %v, want 200", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// answerAtOnce is an HTTP client whose every request succeeds without leaving the process.
type answerAtOnce struct{}

func (answerAtOnce) Do(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

// BenchmarkBareAdapter is the floor BenchmarkUpdateHandler is measured against: the same event
// through the same adapter to a handler that only decodes the JSON body and encodes it back.
func BenchmarkBareAdapter(b *testing.B) {
	ev := readEvent(b, "update-customer")
	h := Adapt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
	ctx := invocationContext()
	if resp, err := h(ctx, ev); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("bare adapter = %d %s, %v, want 200", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareAdapterSameResponse is a second floor, to read BenchmarkUpdateHandler against: the
// same event through the same adapter to a handler that decodes the body and answers the body the
// update function answers (a customer, decoded from a real answer and encoded each time) — the
// adapter and JSON work any update handler has, without auth, validation or storage.
func BenchmarkBareAdapterSameResponse(b *testing.B) {
	update, ev, _ := updateFixture(b)
	ctx := invocationContext()
	first, err := update(ctx, ev)
	if err != nil || first.StatusCode != http.StatusOK {
		b.Fatalf("update-customer = %d %s, %v, want 200", first.StatusCode, first.Body, err)
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(first.Body), &answer); err != nil {
		b.Fatal(err)
	}
	h := Adapt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
	if resp, err := h(ctx, ev); err != nil || resp.StatusCode != http.StatusOK || len(resp.Body) < len(first.Body)-1 {
		b.Fatalf("bare adapter = %d %s, %v, want 200 and the update's body", resp.StatusCode, resp.Body, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
