package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// BackfillCounts are what BackfillIndexes did with the items of one kind (customers or orders).
type BackfillCounts struct {
	Scanned int64 // items of the kind the scan found
	Updated int64 // written with their index keys (in a dry run: that would be)
	Current int64 // already carrying every index key the code derives: not written
	// Retried counts the writes whose item changed between its read and the write: the item
	// was read again (the failed condition's ALL_OLD image) and settled from that.
	Retried int64
	Gone    int64 // deleted between the scan and the write
	// Skipped items kept changing until the retry budget ran out: a rerun settles them.
	Skipped int64
	// Invalid items cannot be decoded, or hold another tenantId than their partition key's
	// (BackfillReport.InvalidItems names them): they are left as they are.
	Invalid int64
}

// BackfillReport is the outcome of BackfillIndexes.
type BackfillReport struct {
	Customers, Orders BackfillCounts
	// Read is the number of items the Scan read, every kind of item of the table included (what
	// it is billed for; the filter applies after the read).
	Read int64
	// InvalidItems names the Invalid items (PK, SK and why), at most maxInvalid of them.
	InvalidItems []string
}

// Writes is the number of items written (or, in a dry run, that would be).
func (r BackfillReport) Writes() int64 { return r.Customers.Updated + r.Orders.Updated }

// maxInvalid bounds BackfillReport.InvalidItems.
const maxInvalid = 100

// BackfillOptions tune BackfillIndexes; the zero value is a real run with four segments.
type BackfillOptions struct {
	// DryRun reads and compares, counting what would be written, and writes nothing.
	DryRun bool
	// Segments is the number of parallel Scan segments (and workers); 0 means 4.
	Segments int
	// PageSize is each Scan request's Limit; 0 means DynamoDB's own (1 MB a page).
	PageSize int32
	// Progress, when set, is called with the counts so far each time another ProgressEvery
	// customers and orders (0 means 1,000) are settled, never from two goroutines at once.
	Progress      func(BackfillReport)
	ProgressEvery int64
}

// BackfillIndexes writes the index keys of docs/indexes.md onto every customer and order item of
// the table, of every tenant, that lacks them or holds other values than customerIndexKeys and
// orderIndexKeys derive from it now: items written by a version that did not set them (before
// the indexes of this release) are otherwise in none of the new indexes, so every list that
// reads one silently misses them.
//
// Each item needing a change gets one UpdateItem that SETs only the keys that differ (a sort
// key together with its stamp, the stamp being the time of the backfill, so that pagings
// already under way do not show a customer twice: docs/indexes.md, "Cursors"), conditioned on
// the item being as read: for a customer its version (every write of a customer moves it), for
// an order the attributes its keys derive from (status, updatedAt, customer.customerId,
// tenantId). An item changed meanwhile is settled again from the failed condition's ALL_OLD
// image, within s.Retry's budget; one deleted meanwhile is left deleted. A stamp that is missing
// or malformed is set too, since the later pages of a sorted list compare it.
//
// It is safe to rerun, and to run while the API serves requests: an item that carries its keys
// is only read, so a second run writes nothing.
//
// Cost: one paginated, parallel Scan of the whole table with ConsistentRead (a strongly
// consistent Scan costs one read unit per 4 KB read, twice an eventual one: about 2.6 million
// read units per 10 GB of table); each item written costs its write units in the table and in
// every index it enters or moves within (docs/capacity.md). Memory holds one page per segment.
func (s *Store) BackfillIndexes(ctx context.Context, opts BackfillOptions) (BackfillReport, error) {
	sc, ok := s.client.(Scanner)
	if !ok {
		return BackfillReport{}, errors.New("dynamo: backfill indexes: the store's client cannot Scan")
	}
	segments := opts.Segments
	if segments <= 0 {
		segments = 4
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1000
	}
	b := &backfill{s: s, opts: opts, every: every, stamp: customer.Stamp(s.now())}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for seg := range segments {
		wg.Go(func() {
			if err := b.segment(ctx, sc, seg, segments); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return b.report(), err
	}
	return b.report(), nil
}

// backfill is the state of one BackfillIndexes run, shared by its segments.
type backfill struct {
	s     *Store
	opts  BackfillOptions
	every int64
	stamp string // the stamp of every sort key the run sets

	mu      sync.Mutex
	rep     BackfillReport
	settled int64 // customers and orders settled so far
}

func (b *backfill) report() BackfillReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rep
	r.InvalidItems = slices.Clone(r.InvalidItems)
	return r
}

// segment scans segment seg of total, and settles each customer and order it finds.
func (b *backfill) segment(ctx context.Context, sc Scanner, seg, total int) error {
	filter := expression.Name(AttrPK).BeginsWith(tenantPK("")).And(
		expression.Name(AttrSK).BeginsWith(prefixCustomer).Or(expression.Name(AttrSK).BeginsWith(prefixOrder)))
	expr, err := expression.NewBuilder().WithFilter(filter).Build()
	if err != nil {
		return fmt.Errorf("dynamo: backfill indexes: build scan: %w", err)
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(b.s.table),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
		Segment:                   aws.Int32(int32(seg)),
		TotalSegments:             aws.Int32(int32(total)),
	}
	if b.opts.PageSize > 0 {
		in.Limit = aws.Int32(b.opts.PageSize)
	}
	for {
		out, err := sc.Scan(ctx, in)
		if err != nil {
			return fail(fmt.Sprintf("backfill indexes: scan segment %d", seg), err)
		}
		b.count(func(r *BackfillReport) { r.Read += int64(out.ScannedCount) })
		for _, item := range out.Items {
			if err := b.settle(ctx, item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// count applies f to the report, under the lock.
func (b *backfill) count(f func(*BackfillReport)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&b.rep)
}

// outcome is what settle did with one item.
type outcome int

const (
	current outcome = iota
	updated
	gone
	skipped
	invalid
)

// settle brings one scanned item's index keys to what the code derives, and counts it.
func (b *backfill) settle(ctx context.Context, item map[string]types.AttributeValue) error {
	kind := kindOf(item)
	if kind == nil {
		return nil // the filter lets nothing else through; an odd key is no customer or order
	}
	b.count(func(r *BackfillReport) { kind.counts(r).Scanned++ })
	res, retried, err := b.write(ctx, kind, item)
	if errors.Is(err, errUndecodable) {
		res = invalid
		b.count(func(r *BackfillReport) {
			if len(r.InvalidItems) < maxInvalid {
				r.InvalidItems = append(r.InvalidItems, fmt.Sprintf("%s %s: %v", str(item[AttrPK]), str(item[AttrSK]), err))
			}
		})
	} else if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := kind.counts(&b.rep)
	c.Retried += int64(retried)
	switch res {
	case current:
		c.Current++
	case updated:
		c.Updated++
	case gone:
		c.Gone++
	case skipped:
		c.Skipped++
	case invalid:
		c.Invalid++
	}
	b.settled++
	if b.opts.Progress != nil && b.settled%b.every == 0 {
		r := b.rep
		r.InvalidItems = slices.Clone(r.InvalidItems)
		b.opts.Progress(r)
	}
	return nil
}

// errUndecodable marks an item BackfillIndexes cannot derive keys for.
var errUndecodable = errors.New("cannot derive its index keys")

// write settles item: nothing when its keys are right, else one conditional UpdateItem, again
// on the item's newer image as long as the condition fails and the retry budget lasts.
func (b *backfill) write(ctx context.Context, kind *itemKind, item map[string]types.AttributeValue) (res outcome, retried int, err error) {
	r := b.s.retrier(ctx)
	for {
		want, cond, err := kind.derive(item, b.stamp)
		if err != nil {
			return invalid, retried, fmt.Errorf("%w: %v", errUndecodable, err)
		}
		set := staleKeys(item, want, kind.sortKeys)
		if len(set) == 0 {
			return current, retried, nil
		}
		if b.opts.DryRun {
			return updated, retried, nil
		}
		expr, err := expression.NewBuilder().
			WithUpdate(setIndexKeys(expression.UpdateBuilder{}, set)).
			WithCondition(cond).Build()
		if err != nil {
			return skipped, retried, fmt.Errorf("dynamo: backfill indexes: build update: %w", err)
		}
		op := "backfill indexes: " + str(item[AttrPK]) + " " + str(item[AttrSK])
		_, err = b.s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(b.s.table),
			Key:                                 key(str(item[AttrPK]), str(item[AttrSK])),
			UpdateExpression:                    expr.Update(),
			ConditionExpression:                 expr.Condition(),
			ExpressionAttributeNames:            expr.Names(),
			ExpressionAttributeValues:           expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return updated, retried, nil
		}
		again := r.retry // a transaction conflict: the same write after a backoff
		if !conflicted(err) {
			old, ok := conditionFailed(err)
			switch {
			case !ok:
				return skipped, retried, fail(op, err)
			case old == nil:
				return gone, retried, nil
			}
			// The item changed: its image as it is now is fresh news, settled at once.
			item, again = old, r.retryNow
			retried++
		}
		if err := again(op); err != nil {
			if ctx.Err() != nil {
				return skipped, retried, err
			}
			return skipped, retried, nil // still changing when the budget ran out: a rerun settles it
		}
	}
}

// itemKind is how BackfillIndexes treats one kind of item.
type itemKind struct {
	counts func(*BackfillReport) *BackfillCounts
	// derive returns the index keys the code derives for item, stamped at, and the condition
	// that the item is still as read.
	derive   func(item map[string]types.AttributeValue, at string) (map[string]string, expression.ConditionBuilder, error)
	sortKeys []string // the sort key attributes the kind has, each with its stamp
}

var (
	customerKind = &itemKind{
		counts:   func(r *BackfillReport) *BackfillCounts { return &r.Customers },
		sortKeys: slices.Sorted(maps.Values(customerSortKeys)),
		derive: func(item map[string]types.AttributeValue, at string) (map[string]string, expression.ConditionBuilder, error) {
			c, err := decodeCustomer(item)
			if err != nil {
				return nil, expression.ConditionBuilder{}, err
			}
			if err := sameTenant(item, c.TenantID); err != nil {
				return nil, expression.ConditionBuilder{}, err
			}
			return customerIndexKeys(c, at), asRead(item, "version"), nil
		},
	}
	orderKind = &itemKind{
		counts:   func(r *BackfillReport) *BackfillCounts { return &r.Orders },
		sortKeys: slices.Sorted(maps.Values(orderSortKeys)),
		derive: func(item map[string]types.AttributeValue, at string) (map[string]string, expression.ConditionBuilder, error) {
			o, err := decodeOrder(item)
			if err != nil {
				return nil, expression.ConditionBuilder{}, err
			}
			if err := sameTenant(item, o.TenantID); err != nil {
				return nil, expression.ConditionBuilder{}, err
			}
			return orderIndexKeys(o, at), asRead(item, "status", "updatedAt", "tenantId", "customer.customerId"), nil
		},
	}
)

// kindOf is the kind of a scanned item, nil when it is neither a customer nor an order.
func kindOf(item map[string]types.AttributeValue) *itemKind {
	pk, sk := str(item[AttrPK]), str(item[AttrSK])
	if tenant, ok := strings.CutPrefix(pk, tenantPK("")); !ok || strings.Contains(tenant, "#") {
		return nil
	}
	switch {
	case strings.HasPrefix(sk, prefixCustomer):
		return customerKind
	case strings.HasPrefix(sk, prefixOrder):
		return orderKind
	}
	return nil
}

// sameTenant checks that the tenantId an item holds is the tenant of its partition key: the
// index keys derive from the former, and a list reads the latter's.
func sameTenant(item map[string]types.AttributeValue, tenant string) error {
	if pk := str(item[AttrPK]); pk != tenantPK(tenant) {
		return fmt.Errorf("tenantId %q in partition %s", tenant, pk)
	}
	return nil
}

// asRead is the condition that each of paths (top-level names, or a.b for a map's member) is as
// it is in item: equal to it, or absent as it is. attribute_exists(PK) comes with it, so a
// deleted item is not recreated as a bare set of keys.
func asRead(item map[string]types.AttributeValue, paths ...string) expression.ConditionBuilder {
	cond := expression.Name(AttrPK).AttributeExists()
	for _, p := range paths {
		v, ok := lookup(item, p)
		if ok {
			cond = cond.And(expression.Name(p).Equal(expression.Value(rawValue{v})))
		} else {
			cond = cond.And(expression.Name(p).AttributeNotExists())
		}
	}
	return cond
}

// rawValue marshals as the attribute value it holds, so that a condition compares an attribute
// with exactly what was read.
type rawValue struct{ av types.AttributeValue }

func (r rawValue) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) { return r.av, nil }

// lookup is the value at path (a or a.b) in item.
func lookup(item map[string]types.AttributeValue, path string) (types.AttributeValue, bool) {
	first, rest, nested := strings.Cut(path, ".")
	v, ok := item[first]
	if !ok || !nested {
		return v, ok
	}
	m, ok := v.(*types.AttributeValueMemberM)
	if !ok {
		return nil, false
	}
	return lookup(m.Value, rest)
}

// staleKeys are the keys of want that item lacks or holds otherwise: every index key that
// differs, a sort key with its stamp, and a stamp missing or malformed beside a right sort key.
// A stamp that is a Stamp is never rewritten on its own: it is when the sort key was set, not
// something derived.
func staleKeys(item map[string]types.AttributeValue, want map[string]string, sortKeys []string) map[string]string {
	stamps := make(map[string]bool, len(sortKeys))
	for _, lsk := range sortKeys {
		stamps[stampOf(lsk)] = true
	}
	set := map[string]string{}
	for k, v := range want {
		if stamps[k] {
			continue
		}
		if got, ok := item[k].(*types.AttributeValueMemberS); !ok || got.Value != v {
			set[k] = v
		}
	}
	for _, lsk := range sortKeys {
		at := stampOf(lsk)
		if _, moved := set[lsk]; moved || !customer.ValidStamp(str(item[at])) {
			set[at] = want[at]
		}
	}
	return set
}

// str is the string value of a string attribute, "" for anything else.
func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
