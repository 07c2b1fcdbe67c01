package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// memStore keeps the suite's LegacyEmails too, so that the migration test is known to be
// passable.
var _ LegacyEmails = (*memStore)(nil)

func (m *memStore) PutLegacyCustomer(t *testing.T, c customer.Customer) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.customers[k(c.TenantID, c.CustomerID)] = copyCustomer(c)
	m.emails[k(c.TenantID, strings.ToLower(c.Email))] = c.CustomerID
}

func (m *memStore) EmailReservations(t *testing.T, tenant string) map[string]string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for key, id := range m.emails {
		if e, ok := strings.CutPrefix(key, tenant+"/"); ok {
			out[e] = id
		}
	}
	return out
}

func (m *memStore) MigrateEmailKeys(ctx context.Context) (customer.EmailKeyReport, error) {
	if err := ctx.Err(); err != nil {
		return customer.EmailKeyReport{}, fmt.Errorf("mem: MigrateEmailKeys: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	owners := map[string][]customer.EmailOwner{}
	for _, c := range m.customers {
		owners[c.TenantID] = append(owners[c.TenantID], customer.EmailOwner{ID: c.CustomerID, Email: c.Email})
	}
	var rep customer.EmailKeyReport
	for _, tenant := range slices.Sorted(maps.Keys(owners)) {
		res := map[string]string{}
		for key, id := range m.emails {
			if e, ok := strings.CutPrefix(key, tenant+"/"); ok {
				res[e] = id
			}
		}
		moves, unchanged, collisions := customer.PlanEmailKeys(tenant, owners[tenant], res)
		for _, mv := range moves {
			for _, r := range mv.Release {
				delete(m.emails, k(tenant, r))
			}
			m.emails[k(tenant, mv.Key)] = mv.CustomerID
		}
		rep.Customers += len(owners[tenant])
		rep.Moved += len(moves)
		rep.Unchanged += unchanged
		rep.Collisions = append(rep.Collisions, collisions...)
	}
	slices.SortFunc(rep.Collisions, func(a, b customer.EmailKeyCollision) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.Key, b.Key))
	})
	return rep, nil
}
