// Package embedded is the store for local runs: one bbolt file, no server. It keeps the same data
// as the DynamoDB store in a layout that mirrors the table's (per tenant: customers by id, email
// reservations, orders by id, orders by customer, idempotency records, the latest order of each
// order fingerprint; API keys by hash), and
// behaves the same way: both pass the contract suite of package storetest.
//
// Every write is one bbolt read-write transaction. bbolt runs those one at a time, so each
// operation is atomic and serialised: concurrent updates never lose each other's changes, and the
// conditions that DynamoDB checks in a conditional write (version, email uniqueness, idempotency)
// are plain reads inside the same transaction.
package embedded

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// Bucket names. The top level holds the tenants and the API keys; each tenant's bucket holds the
// buckets below, so that every data lookup is within one tenant and another tenant's id is simply
// absent.
var (
	bucketTenants       = []byte("tenants")
	bucketAPIKeys       = []byte("apikeys")           // key hash → key record
	bucketAPIKeyIDs     = []byte("apikeys_by_id")     // key id → key hash
	bucketAPIKeyTenants = []byte("apikeys_by_tenant") // tenant → bucket of key ids granted it

	bucketCustomers   = []byte("customers")          // customerId → customer record (ULID ids: key order = creation order)
	bucketEmails      = []byte("emails")             // customer.EmailKey(email) → customerId (see bucketMeta)
	bucketOrders      = []byte("orders")             // orderId → order
	bucketByCustomer  = []byte("orders_by_customer") // customerId + "#" + orderId → nothing
	bucketIdempotency = []byte("idempotency")        // Idempotency-Key → idempotency record
	bucketLatest      = []byte("latest_orders")      // order.Fingerprint → the latest order made with it

	// The list indexes (lists.go): index name, partition and position → nothing.
	bucketCustomerIndex = []byte("customer_index")
	bucketOrderIndex    = []byte("order_index")

	// At the top level: keyIndexes → the fingerprint of the index layout; metaEmailKeys → the
	// version of the email key the emails buckets are keyed by.
	bucketMeta = []byte("meta")
	keyIndexes = []byte("indexes")
)

var tenantBucketNames = [][]byte{bucketCustomers, bucketEmails, bucketOrders, bucketByCustomer, bucketIdempotency,
	bucketLatest, bucketCustomerIndex, bucketOrderIndex}

// lockTimeout is how long Open waits for another process to release the file: long enough for a
// restart, short enough that a second server on the same file fails clearly instead of hanging.
const lockTimeout = time.Second

// ErrLocked is returned by Open when another process (or another Open in this one) holds the file.
var ErrLocked = errors.New("embedded: data file is in use by another process")

// Store is the embedded store. Its methods are safe for concurrent use.
type Store struct {
	db *bolt.DB
	// Now returns the current time; tests replace it. Nil means time.Now.
	Now func() time.Time
	// AfterEraseStep, when set, is called after each committed step of an erasure (erase.go)
	// with the step's name; an error ends the erasure there, as a crash would. For tests.
	AfterEraseStep func(step string) error
	// eraseBatch is how many orders one erasure step erases (0: defaultEraseBatch); tests make
	// it small to have many steps.
	eraseBatch int

	// migration is what Open's email key migration did, when migrated (see EmailKeyMigration).
	migration customer.EmailKeyReport
	migrated  bool
}

// Open opens the bbolt file at path, creating it and its buckets when absent. A file written
// before customer.EmailKey (it has no format marker) has its email reservations rebuilt under the
// new key first (MigrateEmailKeys; EmailKeyMigration reports what it did); then the list indexes
// are built when the file has none or was indexed by another version of them (ensureIndexes), so
// that the data file of an earlier version keeps working. It fails with ErrLocked after about a
// second when the file is already open elsewhere.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	s := &Store{db: db}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketTenants, bucketAPIKeys, bucketAPIKeyIDs, bucketAPIKeyTenants, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		var err error
		s.migration, s.migrated, err = upgrade(tx)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded: prepare %s: %w", path, err)
	}
	if err := db.Update(ensureIndexes); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded: build the list indexes of %s: %w", path, err)
	}
	return s, nil
}

// Close releases the file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("embedded: close: %w", err)
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// stamp is the customer.Stamp of a write now.
func (s *Store) stamp() string { return customer.Stamp(s.now()) }

// tenantBuckets are one tenant's buckets within a transaction. In a read-only transaction on a
// file made before a bucket existed, that bucket is nil (get treats it as empty).
type tenantBuckets struct {
	customers, emails, orders, byCustomer, idempotency, latest *bolt.Bucket
	customerIndex, orderIndex                                  *bolt.Bucket
}

// readTenant returns the tenant's buckets, or false when the tenant has never been written to.
func readTenant(tx *bolt.Tx, tenant string) (tenantBuckets, bool) {
	if tenant == "" {
		return tenantBuckets{}, false
	}
	t := tx.Bucket(bucketTenants).Bucket([]byte(tenant))
	if t == nil {
		return tenantBuckets{}, false
	}
	return tenantBuckets{
		customers:     t.Bucket(bucketCustomers),
		emails:        t.Bucket(bucketEmails),
		orders:        t.Bucket(bucketOrders),
		byCustomer:    t.Bucket(bucketByCustomer),
		idempotency:   t.Bucket(bucketIdempotency),
		latest:        t.Bucket(bucketLatest),
		customerIndex: t.Bucket(bucketCustomerIndex),
		orderIndex:    t.Bucket(bucketOrderIndex),
	}, true
}

// writeTenant returns the tenant's buckets, creating them when absent.
func writeTenant(tx *bolt.Tx, tenant string) (tenantBuckets, error) {
	if tenant == "" {
		return tenantBuckets{}, errors.New("empty tenant id")
	}
	t, err := tx.Bucket(bucketTenants).CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return tenantBuckets{}, err
	}
	for _, name := range tenantBucketNames {
		if _, err := t.CreateBucketIfNotExists(name); err != nil {
			return tenantBuckets{}, err
		}
	}
	tb, _ := readTenant(tx, tenant)
	return tb, nil
}

// decode unmarshals a stored record. UseNumber keeps customFields numbers as json.Number, exact,
// as the domain holds them.
func decode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}

// put stores v as JSON under key.
func put(b *bolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), data)
}

// get decodes the record under key into v and reports whether there was one.
func get(b *bolt.Bucket, key string, v any) (bool, error) {
	if b == nil {
		return false, nil
	}
	data := b.Get([]byte(key))
	if data == nil {
		return false, nil
	}
	return true, decode(data, v)
}

// scan calls fn with the id (key without prefix) and value of every key of b that starts with
// prefix, in key order or, when desc, in reverse; when after is non-empty it starts just after the
// key prefix+after, whether or not that key exists. It stops when fn returns false or an error.
func scan(b *bolt.Bucket, prefix, after string, desc bool, fn func(id string, v []byte) (bool, error)) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	p := []byte(prefix)
	var k, v []byte
	if !desc {
		if after == "" {
			k, v = c.Seek(p)
		} else {
			start := []byte(prefix + after)
			k, v = c.Seek(start)
			if bytes.Equal(k, start) {
				k, v = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			more, err := fn(string(k[len(p):]), v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	}
	// Descending: position on the last key below start (start itself excluded).
	var start []byte
	if after != "" {
		start = []byte(prefix + after)
	} else {
		start = prefixEnd(p)
	}
	switch {
	case start == nil:
		k, v = c.Last()
	case seekKey(c, start) == nil:
		k, v = c.Last()
	default:
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
		more, err := fn(string(k[len(p):]), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// seekKey moves c to the first key at or after start and returns it (nil when there is none).
func seekKey(c *bolt.Cursor, start []byte) []byte {
	k, _ := c.Seek(start)
	return k
}

// prefixEnd returns the smallest key greater than every key starting with p, or nil when there is
// none (p empty or all 0xff).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
