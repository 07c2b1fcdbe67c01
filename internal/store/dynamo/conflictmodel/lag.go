package conflictmodel

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// lagLog remembers, for each item written through the client in the last lag, what it was
// before each write, so that a Query of an index can be answered as of lag ago.
type lagLog struct {
	lag time.Duration

	mu      sync.Mutex
	writes  map[string][]lagWrite // item id → its writes not yet lag old, oldest first
	records int                   // writes recorded since the last sweep
	locks   map[string]*keyLock
}

// lagWrite is one successful write of an item: when its call returned, and the item before it
// (nil when there was none).
type lagWrite struct {
	at     time.Time
	before map[string]types.AttributeValue
}

// keyLock serialises the writes of one item through the client, so the image read before a
// write is the one the write replaced.
type keyLock struct {
	mu   sync.Mutex
	refs int
}

// sweepEvery is how many recorded writes pass between sweeps of items no longer written.
const sweepEvery = 1024

func newLagLog(lag time.Duration) *lagLog {
	return &lagLog{lag: lag, writes: map[string][]lagWrite{}, locks: map[string]*keyLock{}}
}

// lock takes the lock of each of ids, which must be sorted and unique so that two writers never
// wait for each other's locks; it returns the function that releases them.
func (l *lagLog) lock(ids []string) func() {
	held := make([]*keyLock, len(ids))
	for i, id := range ids {
		l.mu.Lock()
		k := l.locks[id]
		if k == nil {
			k = &keyLock{}
			l.locks[id] = k
		}
		k.refs++
		l.mu.Unlock()
		k.mu.Lock()
		held[i] = k
	}
	return func() {
		for i, k := range held {
			k.mu.Unlock()
			l.mu.Lock()
			if k.refs--; k.refs == 0 {
				delete(l.locks, ids[i])
			}
			l.mu.Unlock()
		}
	}
}

// record notes that the items ids, which were befores[i], were written at at.
func (l *lagLog) record(ids []string, befores []map[string]types.AttributeValue, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cutoff := at.Add(-l.lag)
	for i, id := range ids {
		l.writes[id] = append(prune(l.writes[id], cutoff), lagWrite{at: at, before: befores[i]})
	}
	if l.records++; l.records >= sweepEvery {
		l.records = 0
		for id, ws := range l.writes {
			if ws = prune(ws, cutoff); len(ws) == 0 {
				delete(l.writes, id)
			} else {
				l.writes[id] = ws
			}
		}
	}
}

// prune drops the writes at or before cutoff, which no lagged read can see past any more.
func prune(ws []lagWrite, cutoff time.Time) []lagWrite {
	i := 0
	for i < len(ws) && !ws[i].at.After(cutoff) {
		i++
	}
	return ws[i:]
}

// rewrite answers the items of an index Query (as the table is now) as of lag before now. An item
// written since is replaced by what it was before the first such write; it is left out when it
// did not exist then, or had other index key values (indexKeys) then, since the index would then
// have had it elsewhere or not at all.
func (l *lagLog) rewrite(items []map[string]types.AttributeValue, now time.Time, id func(map[string]types.AttributeValue) string, indexKeys []string) []map[string]types.AttributeValue {
	cutoff := now.Add(-l.lag)
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]map[string]types.AttributeValue, 0, len(items))
	for _, item := range items {
		k := id(item)
		ws := prune(l.writes[k], cutoff)
		l.writes[k] = ws
		if len(ws) == 0 {
			out = append(out, item)
			continue
		}
		then := ws[0].before
		if len(then) == 0 || !sameValues(then, item, indexKeys) {
			continue
		}
		out = append(out, maps.Clone(then))
	}
	return out
}

// sameValues reports whether a and b have the same values (or absence) of attrs.
func sameValues(a, b map[string]types.AttributeValue, attrs []string) bool {
	for _, n := range attrs {
		if valueString(a[n]) != valueString(b[n]) {
			return false
		}
	}
	return true
}

// logged runs call, a write of refs, and with Options.Lag records what the items were before
// it: each is read (consistently) under its item lock just before the write, and recorded only
// when the write succeeds.
func (c *Client) logged(ctx context.Context, refs []itemRef, call func() error) error {
	if c.lag == nil || len(refs) == 0 {
		return call()
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = c.itemID(r.table, r.key)
	}
	unlock := c.lag.lock(sortedUnique(ids))
	defer unlock()
	befores := make([]map[string]types.AttributeValue, len(refs))
	for i, r := range refs {
		out, err := c.inner.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.table), Key: r.key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("conflictmodel: read item %q before writing it: %w", ids[i], err)
		}
		befores[i] = out.Item
	}
	if err := call(); err != nil {
		return err
	}
	c.lag.record(ids, befores, c.now())
	return nil
}
