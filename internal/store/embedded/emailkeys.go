package embedded

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// The format marker: bucketMeta holds metaEmailKeys, the version of the email key the emails
// buckets are keyed by. A file without it was written when the key was strings.ToLower of the
// email (version 1); emailKeyVersion is customer.EmailKey's.
var metaEmailKeys = []byte("emailKeys")

const emailKeyVersion = "2"

// MigrateEmailKeys rebuilds every tenant's emails bucket under customer.EmailKey, as
// customer.PlanEmailKeys decides: each customer whose key no other customer of its tenant has is
// reserved under it (its old reservation deleted); customers whose keys now collide are reported
// and left as they are, never merged. It runs in one transaction, so it is all or nothing, and
// safe to rerun: a second run changes nothing. Open runs it by itself on a file written before
// the new key (see Open); cmd/admin runs it on request.
func (s *Store) MigrateEmailKeys(ctx context.Context) (customer.EmailKeyReport, error) {
	if err := ctx.Err(); err != nil {
		return customer.EmailKeyReport{}, fmt.Errorf("embedded: migrate email keys: %w", err)
	}
	var rep customer.EmailKeyReport
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		rep, err = migrateEmailKeys(tx)
		return err
	})
	if err != nil {
		return customer.EmailKeyReport{}, fmt.Errorf("embedded: migrate email keys: %w", err)
	}
	return rep, nil
}

// migrateEmailKeys is MigrateEmailKeys within tx; it also sets the format marker.
func migrateEmailKeys(tx *bolt.Tx) (customer.EmailKeyReport, error) {
	var rep customer.EmailKeyReport
	var tenants []string
	err := tx.Bucket(bucketTenants).ForEachBucket(func(name []byte) error {
		tenants = append(tenants, string(name))
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, tenant := range tenants {
		tb, _ := readTenant(tx, tenant)
		if tb.customers == nil || tb.emails == nil {
			continue
		}
		var owners []customer.EmailOwner
		err := tb.customers.ForEach(func(id, v []byte) error {
			var r customerRecord
			if err := decode(v, &r); err != nil {
				return fmt.Errorf("customer %s of %s: %w", id, tenant, err)
			}
			owners = append(owners, customer.EmailOwner{ID: r.CustomerID, Email: r.Email})
			return nil
		})
		if err != nil {
			return rep, err
		}
		reservations := map[string]string{}
		if err := tb.emails.ForEach(func(k, id []byte) error {
			reservations[string(k)] = string(id)
			return nil
		}); err != nil {
			return rep, err
		}
		moves, unchanged, collisions := customer.PlanEmailKeys(tenant, owners, reservations)
		for _, m := range moves {
			for _, r := range m.Release {
				if err := tb.emails.Delete([]byte(r)); err != nil {
					return rep, err
				}
			}
			if err := tb.emails.Put([]byte(m.Key), []byte(m.CustomerID)); err != nil {
				return rep, err
			}
		}
		rep.Customers += len(owners)
		rep.Moved += len(moves)
		rep.Unchanged += unchanged
		rep.Collisions = append(rep.Collisions, collisions...)
	}
	slices.SortFunc(rep.Collisions, func(a, b customer.EmailKeyCollision) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.Key, b.Key))
	})
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return rep, err
	}
	return rep, meta.Put(metaEmailKeys, []byte(emailKeyVersion))
}

// upgrade brings a file written by an earlier version to the current format within tx, running
// the email key migration on one written before the new key: migrated is true, with its report,
// when that file held customers. A file already in the format is left as it is; a new one is
// only marked.
func upgrade(tx *bolt.Tx) (rep customer.EmailKeyReport, migrated bool, err error) {
	if meta := tx.Bucket(bucketMeta); meta != nil && string(meta.Get(metaEmailKeys)) == emailKeyVersion {
		return rep, false, nil
	}
	if rep, err = migrateEmailKeys(tx); err != nil {
		return rep, false, fmt.Errorf("migrate email keys: %w", err)
	}
	return rep, rep.Customers > 0, nil
}

// EmailKeyMigration returns the report of the email key migration Open ran on the file, and
// whether it ran one (on a file with customers written before customer.EmailKey: once).
func (s *Store) EmailKeyMigration() (customer.EmailKeyReport, bool) {
	return s.migration, s.migrated
}
