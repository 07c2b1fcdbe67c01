package conflictmodel_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/conflictmodel"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// injector is the Options.Inject of a test: the rule it applies can change between calls.
type injector struct {
	mu   sync.Mutex
	rule func(conflictmodel.Request) bool // nil injects nothing
}

func (in *injector) inject(r conflictmodel.Request) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.rule != nil && in.rule(r)
}

func (in *injector) set(rule func(conflictmodel.Request) bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rule = rule
}

// firstRequests conflicts every item of the first n write requests, then none.
func firstRequests(n int) func(conflictmodel.Request) bool {
	seen := 0
	return func(r conflictmodel.Request) bool {
		if r.Index == 0 { // a request's first item: Inject sees a transaction's items in order
			seen++
		}
		return seen <= n
	}
}

// every conflicts every item of every write except those whose sort key starts with one of
// spared.
func every(spared ...string) func(conflictmodel.Request) bool {
	return func(r conflictmodel.Request) bool {
		sk, _ := r.Key[dynamo.AttrSK].(*types.AttributeValueMemberS)
		for _, p := range spared {
			if sk != nil && strings.HasPrefix(sk.Value, p) {
				return false
			}
		}
		return true
	}
}

// writePath is one store method that writes, on a store seeded for it; call makes the write and
// check reads back that it took effect.
type writePath struct {
	name  string
	op    conflictmodel.Op // the write request it makes
	seed  func(t *testing.T, s *dynamo.Store) seeded
	call  func(ctx context.Context, s *dynamo.Store, d seeded) error
	check func(t *testing.T, s *dynamo.Store, d seeded)
}

// seeded is what a write path's seed made.
type seeded struct {
	customer customer.Customer
	order    order.Order
	key      auth.Key
}

const tenant = "t1"

func seedOrder(t *testing.T, s *dynamo.Store, email string) seeded {
	t.Helper()
	o, _, err := s.CreateOrder(context.Background(), tenant, orderInput(email), order.Idempotency{})
	if err != nil {
		t.Fatalf("seed CreateOrder: %v", err)
	}
	c, err := s.GetCustomer(context.Background(), tenant, o.Customer.CustomerID)
	if err != nil {
		t.Fatalf("seed GetCustomer: %v", err)
	}
	return seeded{customer: c, order: o}
}

func seedIdle(t *testing.T, s *dynamo.Store) seeded {
	t.Helper()
	d := seedOrder(t, s, "idle@example.com")
	if _, _, err := s.CancelOrder(context.Background(), tenant, d.order.OrderID, "", order.Idempotency{}); err != nil {
		t.Fatalf("seed CancelOrder: %v", err)
	}
	return d
}

func seedKey(t *testing.T, s *dynamo.Store) seeded {
	t.Helper()
	k := auth.Key{ID: "key_1", Hash: "hash1", Tenants: []string{tenant}, CreatedAt: "2024-05-06T07:08:09.000Z"}
	if err := s.PutAPIKey(context.Background(), k); err != nil {
		t.Fatalf("seed PutAPIKey: %v", err)
	}
	return seeded{key: k}
}

func orderInput(email string) order.Input {
	return order.Input{
		Customer:       order.NewCustomer{Email: email, FirstName: "Ada", LastName: "Lovelace", CustomerType: customer.Individual},
		BillingAddress: customer.Address{ContactName: "Ada", StreetAddress: "1 Main Street", City: "London", Country: "GB"},
		Items:          []order.Item{{SKU: "LAPTOP-14", Quantity: 1, ContractLength: 12}},
		OrderType:      order.Standard,
		CustomFields:   map[string]any{},
	}
}

func mustCustomer(t *testing.T, s *dynamo.Store, id string) customer.Customer {
	t.Helper()
	c, err := s.GetCustomer(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("GetCustomer(%s): %v", id, err)
	}
	return c
}

// writePaths are every write the store makes: each single-item UpdateItem and each transaction.
// (The store sends no PutItem or DeleteItem of its own.)
var writePaths = []writePath{
	{
		name: "UpdateCustomer", op: conflictmodel.OpUpdateItem,
		seed: func(t *testing.T, s *dynamo.Store) seeded { return seedOrder(t, s, "ada@example.com") },
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error {
			_, err := s.UpdateCustomer(ctx, tenant, d.customer.CustomerID, customer.Patch{FirstName: aws.String("Bea")}, customer.IfMatch{d.customer.Version})
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			if got := mustCustomer(t, s, d.customer.CustomerID); got.FirstName != "Bea" || got.Version != d.customer.Version+1 {
				t.Errorf("after the update: firstName %q version %d, want Bea %d", got.FirstName, got.Version, d.customer.Version+1)
			}
		},
	},
	{
		name: "UpdateCustomerEmail", op: conflictmodel.OpTransactWriteItems,
		seed: func(t *testing.T, s *dynamo.Store) seeded { return seedOrder(t, s, "ada@example.com") },
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error {
			_, err := s.UpdateCustomer(ctx, tenant, d.customer.CustomerID, customer.Patch{Email: aws.String("bea@example.com")}, nil)
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			page, err := s.ListCustomers(context.Background(), tenant, customer.ListQuery{Email: "bea@example.com", Limit: 10})
			if err != nil || len(page.Customers) != 1 || page.Customers[0].CustomerID != d.customer.CustomerID {
				t.Errorf("customers with the new email = %+v, %v; want %s", page.Customers, err, d.customer.CustomerID)
			}
		},
	},
	{
		name: "DeactivateCustomer", op: conflictmodel.OpUpdateItem,
		seed: seedIdle,
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error {
			_, err := s.DeactivateCustomer(ctx, tenant, d.customer.CustomerID, nil)
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			if got := mustCustomer(t, s, d.customer.CustomerID); got.Status != customer.Inactive {
				t.Errorf("status after deactivation = %s, want %s", got.Status, customer.Inactive)
			}
		},
	},
	{
		name: "CreateOrderNewCustomer", op: conflictmodel.OpTransactWriteItems,
		seed: func(*testing.T, *dynamo.Store) seeded { return seeded{} },
		call: func(ctx context.Context, s *dynamo.Store, _ seeded) error {
			_, _, err := s.CreateOrder(ctx, tenant, orderInput("new@example.com"), order.Idempotency{Key: "k1", RequestHash: "h1"})
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, _ seeded) {
			page, err := s.ListOrders(context.Background(), tenant, order.ListQuery{Limit: 10})
			if err != nil || len(page.Orders) != 1 || page.Orders[0].Customer.Email != "new@example.com" {
				t.Errorf("orders = %+v, %v; want one for new@example.com", page.Orders, err)
			}
		},
	},
	{
		name: "CreateOrderExistingCustomer", op: conflictmodel.OpTransactWriteItems,
		seed: func(t *testing.T, s *dynamo.Store) seeded { return seedOrder(t, s, "ada@example.com") },
		call: func(ctx context.Context, s *dynamo.Store, _ seeded) error {
			_, _, err := s.CreateOrder(ctx, tenant, orderInput("ada@example.com"), order.Idempotency{Key: "k1", RequestHash: "h1"})
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			if got := mustCustomer(t, s, d.customer.CustomerID); got.TotalOrders != 2 || len(got.OrderIDs) != 2 {
				t.Errorf("after the second order: totalOrders %d orderIds %v, want 2 and 2", got.TotalOrders, got.OrderIDs)
			}
		},
	},
	{
		name: "CancelOrder", op: conflictmodel.OpTransactWriteItems,
		seed: func(t *testing.T, s *dynamo.Store) seeded { return seedOrder(t, s, "ada@example.com") },
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error {
			_, _, err := s.CancelOrder(ctx, tenant, d.order.OrderID, "changed my mind", order.Idempotency{})
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			o, err := s.GetOrder(context.Background(), tenant, d.order.OrderID)
			if err != nil || o.Status != order.Cancelled {
				t.Errorf("order after cancelling = %s, %v; want %s", o.Status, err, order.Cancelled)
			}
			if got := mustCustomer(t, s, d.customer.CustomerID); got.PendingOrders != 0 {
				t.Errorf("pendingOrders after cancelling = %d, want 0", got.PendingOrders)
			}
		},
	},
	{
		// Without a key: the transaction also holds the fingerprint item of natural idempotency.
		name: "CreateOrderWithoutKey", op: conflictmodel.OpTransactWriteItems,
		seed: func(t *testing.T, s *dynamo.Store) seeded { return seedOrder(t, s, "ada@example.com") },
		call: func(ctx context.Context, s *dynamo.Store, _ seeded) error {
			in := orderInput("ada@example.com")
			in.Items[0].Quantity = 2 // not the seed's order again
			_, _, err := s.CreateOrder(ctx, tenant, in, order.Idempotency{})
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			if got := mustCustomer(t, s, d.customer.CustomerID); got.TotalOrders != 2 || len(got.OrderIDs) != 2 {
				t.Errorf("after the second order: totalOrders %d orderIds %v, want 2 and 2", got.TotalOrders, got.OrderIDs)
			}
		},
	},
	{
		name: "UpdateOrderNotes", op: conflictmodel.OpUpdateItem,
		seed: func(t *testing.T, s *dynamo.Store) seeded { return seedOrder(t, s, "ada@example.com") },
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error {
			_, err := s.UpdateOrderNotes(ctx, tenant, d.order.OrderID, "Call first")
			return err
		},
		check: func(t *testing.T, s *dynamo.Store, d seeded) {
			if o, err := s.GetOrder(context.Background(), tenant, d.order.OrderID); err != nil || o.Notes != "Call first" {
				t.Errorf("order after the notes update = notes %q, %v; want Call first", o.Notes, err)
			}
		},
	},
	{
		name: "PutAPIKey", op: conflictmodel.OpTransactWriteItems,
		seed: seedKey,
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error {
			k := d.key
			k.Hash, k.Tenants = "hash2", []string{tenant, "t2"}
			return s.PutAPIKey(ctx, k)
		},
		check: func(t *testing.T, s *dynamo.Store, _ seeded) {
			if k, err := s.APIKey(context.Background(), "hash2"); err != nil || !slices.Equal(k.Tenants, []string{tenant, "t2"}) {
				t.Errorf("APIKey(hash2) = %+v, %v; want the rotated key", k, err)
			}
			if _, err := s.APIKey(context.Background(), "hash1"); !errors.Is(err, auth.ErrKeyNotFound) {
				t.Errorf("APIKey(hash1) after rotation error = %v, want %v", err, auth.ErrKeyNotFound)
			}
		},
	},
	{
		name: "RevokeAPIKey", op: conflictmodel.OpTransactWriteItems,
		seed: seedKey,
		call: func(ctx context.Context, s *dynamo.Store, d seeded) error { return s.RevokeAPIKey(ctx, d.key.ID) },
		check: func(t *testing.T, s *dynamo.Store, _ seeded) {
			if k, err := s.APIKey(context.Background(), "hash1"); err != nil || k.Status != auth.StatusRevoked {
				t.Errorf("APIKey(hash1) = %+v, %v; want it revoked", k, err)
			}
		},
	},
}

// injectedStore starts a store on a fresh dynoxide table whose requests go through a conflict
// model with rule-controlled injection and no hold time, and returns a scan of the whole table.
func injectedStore(t *testing.T) (*dynamo.Store, *conflictmodel.Client, *injector, func() []map[string]types.AttributeValue) {
	t.Helper()
	endpoint := os.Getenv("DYNOXIDE_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNOXIDE_ENDPOINT not set: no dynoxide server (scripts/with-dynoxide.sh go test ... starts one)")
	}
	ctx := context.Background()
	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		t.Fatalf("Connect(%q): %v", endpoint, err)
	}
	name := fmt.Sprintf("inject-%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	if err := dynamosetup.CreateTable(ctx, client, name); err != nil {
		t.Fatalf("CreateTable(%s): %v", name, err)
	}
	t.Cleanup(func() {
		if err := dynamosetup.DeleteTable(context.Background(), client, name); err != nil {
			t.Error(err)
		}
	})
	inj := &injector{}
	model := conflictmodel.New(client, conflictmodel.Options{Inject: inj.inject})
	scan := func() []map[string]types.AttributeValue {
		t.Helper()
		out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("Scan(%s): %v", name, err)
		}
		if out.LastEvaluatedKey != nil {
			t.Fatalf("Scan(%s): more than one page", name)
		}
		items := out.Items
		slices.SortFunc(items, func(a, b map[string]types.AttributeValue) int {
			return strings.Compare(itemID(a), itemID(b))
		})
		return items
	}
	return dynamo.New(model, name), model, inj, scan
}

func itemID(item map[string]types.AttributeValue) string {
	pk, _ := item[dynamo.AttrPK].(*types.AttributeValueMemberS)
	sk, _ := item[dynamo.AttrSK].(*types.AttributeValueMemberS)
	return pk.Value + "\x00" + sk.Value
}

// TestRetriesConflicts: on every write path, transaction conflicts are retried until the write
// succeeds; past the retry budget, or the request's deadline when that comes first, the answer
// is fault.Unavailable (a 503, never a 500), given by then, and nothing is written.
func TestRetriesConflicts(t *testing.T) {
	const budget = 300 * time.Millisecond
	for _, wp := range writePaths {
		t.Run(wp.name, func(t *testing.T) {
			t.Run("ConflictsThenSuccess", func(t *testing.T) {
				s, model, inj, _ := injectedStore(t)
				d := wp.seed(t, s)
				const n = 3
				inj.set(firstRequests(n))
				before := model.Conflicts()
				if err := wp.call(context.Background(), s, d); err != nil {
					t.Fatalf("%s after %d conflicts: error = %v, want success", wp.name, n, err)
				}
				got := model.Conflicts()
				if c := count(got, wp.op) - count(before, wp.op); c != n || got.Total()-before.Total() != n {
					t.Errorf("conflicts reported = %v (from %v), want %d of %s", got, before, n, wp.op)
				}
				inj.set(nil)
				wp.check(t, s, d)
			})
			for _, limit := range []struct {
				name     string
				budget   time.Duration // the store's; 0 is the default
				deadline time.Duration // the context's; 0 is none
			}{
				{"PastTheBudget", budget, 0},
				{"PastTheDeadline", 0, budget},
			} {
				t.Run(limit.name, func(t *testing.T) {
					s, model, inj, scan := injectedStore(t)
					s.Retry.Budget = limit.budget
					d := wp.seed(t, s)
					before, conflicts := scan(), model.Conflicts()
					// Every item but an idempotency record conflicts: a conflict on the record is
					// another request with the key in flight, answered 409 (see below).
					inj.set(every("IDEMPOTENCY#"))
					ctx := context.Background()
					if limit.deadline > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, limit.deadline)
						defer cancel()
					}
					start := time.Now()
					err := wp.call(ctx, s, d)
					took := time.Since(start)
					inj.set(nil)
					if k := fault.KindOf(err); k != fault.Unavailable {
						t.Errorf("%s conflicting throughout: error = %v (kind %d), want fault.Unavailable (kind %d)", wp.name, err, k, fault.Unavailable)
					}
					// The store never sleeps past the limit; its last request may end a little after.
					if took > budget+200*time.Millisecond {
						t.Errorf("%s gave up after %v, want about %v", wp.name, took, budget)
					}
					if c := model.Conflicts().Total() - conflicts.Total(); c < 2 {
						t.Errorf("%s met %d conflicts before giving up, want retries", wp.name, c)
					}
					if after := scan(); !reflect.DeepEqual(after, before) {
						t.Errorf("%s answered 503 but the table changed:\nbefore %v\n after %v", wp.name, before, after)
					}
				})
			}
		})
	}
}

// TestKeyInFlightIsInUse: a keyed order whose idempotency record conflicts throughout (another
// request with the same key in flight) is answered order.ErrIdempotencyInUse once the budget is
// spent, and writes nothing; once the conflict is gone, the retry succeeds.
func TestKeyInFlightIsInUse(t *testing.T) {
	s, _, inj, scan := injectedStore(t)
	s.Retry.Budget = 200 * time.Millisecond
	before := scan()
	inj.set(func(r conflictmodel.Request) bool {
		sk, _ := r.Key[dynamo.AttrSK].(*types.AttributeValueMemberS)
		return sk != nil && strings.HasPrefix(sk.Value, "IDEMPOTENCY#")
	})
	idem := order.Idempotency{Key: "k1", RequestHash: "h1"}
	_, _, err := s.CreateOrder(context.Background(), tenant, orderInput("ada@example.com"), idem)
	if !errors.Is(err, order.ErrIdempotencyInUse) {
		t.Errorf("CreateOrder with its record conflicting throughout: error = %v, want %v", err, order.ErrIdempotencyInUse)
	}
	if after := scan(); !reflect.DeepEqual(after, before) {
		t.Errorf("CreateOrder answered 409 but the table changed: %v", after)
	}
	inj.set(nil)
	if _, replayed, err := s.CreateOrder(context.Background(), tenant, orderInput("ada@example.com"), idem); err != nil || replayed {
		t.Errorf("CreateOrder once the conflict is gone = replayed %v, error %v; want a new order", replayed, err)
	}
}

// count is the conflicts of op in c.
func count(c conflictmodel.Counts, op conflictmodel.Op) int {
	switch op {
	case conflictmodel.OpPutItem:
		return c.PutItem
	case conflictmodel.OpUpdateItem:
		return c.UpdateItem
	case conflictmodel.OpTransactWriteItems:
		return c.TransactWriteItems
	}
	return 0
}
