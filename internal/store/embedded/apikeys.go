package embedded

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/auth"
)

// keyRecord is an API key as stored: the domain type keeps its hash out of JSON.
type keyRecord struct {
	auth.Key
	Hash string `json:"hash"`
}

func getKey(tx *bolt.Tx, hash string) (auth.Key, bool, error) {
	var r keyRecord
	ok, err := get(tx.Bucket(bucketAPIKeys), hash, &r)
	if err != nil || !ok {
		return auth.Key{}, false, err
	}
	k := r.Key
	k.Hash = r.Hash
	return k, true, nil
}

// APIKey returns the key whose secret hashes to hash, or auth.ErrKeyNotFound.
func (s *Store) APIKey(ctx context.Context, hash string) (auth.Key, error) {
	if err := ctx.Err(); err != nil {
		return auth.Key{}, fmt.Errorf("embedded: get api key: %w", err)
	}
	var k auth.Key
	err := s.db.View(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		k, ok, err = getKey(tx, hash)
		if err == nil && !ok {
			err = auth.ErrKeyNotFound
		}
		return err
	})
	if err != nil {
		return auth.Key{}, fmt.Errorf("embedded: get api key: %w", err)
	}
	return k, nil
}

// PutAPIKey stores k by k.Hash, replacing any key with the same hash, and any key with the same id
// (a key id names one secret at a time), together with their index entries.
func (s *Store) PutAPIKey(ctx context.Context, k auth.Key) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: put api key %s: %w", k.ID, err)
	}
	if k.Hash == "" || k.ID == "" {
		return fmt.Errorf("embedded: put api key %q: id and hash are required", k.ID)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		ids, byTenant := tx.Bucket(bucketAPIKeyIDs), tx.Bucket(bucketAPIKeyTenants)
		// Drop what the replaced keys left in the indexes.
		replaced := []string{k.Hash}
		if old := ids.Get([]byte(k.ID)); old != nil && string(old) != k.Hash {
			replaced = append(replaced, string(old))
		}
		for _, hash := range replaced {
			old, ok, err := getKey(tx, hash)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := tx.Bucket(bucketAPIKeys).Delete([]byte(hash)); err != nil {
				return err
			}
			if err := ids.Delete([]byte(old.ID)); err != nil {
				return err
			}
			for _, t := range old.Tenants {
				if b := byTenant.Bucket([]byte(t)); b != nil {
					if err := b.Delete([]byte(old.ID)); err != nil {
						return err
					}
				}
			}
		}
		if err := put(tx.Bucket(bucketAPIKeys), k.Hash, keyRecord{Key: k, Hash: k.Hash}); err != nil {
			return err
		}
		if err := ids.Put([]byte(k.ID), []byte(k.Hash)); err != nil {
			return err
		}
		for _, t := range k.Tenants {
			if t == "" {
				continue
			}
			b, err := byTenant.CreateBucketIfNotExists([]byte(t))
			if err != nil {
				return err
			}
			if err := b.Put([]byte(k.ID), []byte(k.Hash)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded: put api key %s: %w", k.ID, err)
	}
	return nil
}

// RevokeAPIKey marks the key with this id revoked, or returns auth.ErrKeyNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: revoke api key %s: %w", id, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		hash := tx.Bucket(bucketAPIKeyIDs).Get([]byte(id))
		if hash == nil {
			return auth.ErrKeyNotFound
		}
		k, ok, err := getKey(tx, string(hash))
		if err != nil {
			return err
		}
		if !ok {
			return auth.ErrKeyNotFound
		}
		k.Status = auth.StatusRevoked
		return put(tx.Bucket(bucketAPIKeys), k.Hash, keyRecord{Key: k, Hash: k.Hash})
	})
	if err != nil {
		return fmt.Errorf("embedded: revoke api key %s: %w", id, err)
	}
	return nil
}

// ListAPIKeys returns the keys granted tenant, oldest first (by createdAt, then id).
func (s *Store) ListAPIKeys(ctx context.Context, tenant string) ([]auth.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: list api keys of %s: %w", tenant, err)
	}
	keys := []auth.Key{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tenant == "" {
			return nil
		}
		b := tx.Bucket(bucketAPIKeyTenants).Bucket([]byte(tenant))
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, hash []byte) error {
			k, ok, err := getKey(tx, string(hash))
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("tenant index points at missing key %s", hash)
			}
			keys = append(keys, k)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: list api keys of %s: %w", tenant, err)
	}
	slices.SortFunc(keys, func(a, b auth.Key) int {
		return cmp.Or(cmp.Compare(a.CreatedAt, b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return keys, nil
}
