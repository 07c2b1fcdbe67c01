package dynamo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/storetest"
)

var _ storetest.ErasureProbe = contractStore{}

// RawItems scans the whole table, unfiltered by the store, and returns every item whose
// partition key starts with the tenant's (so also a tenant whose id it prefixes), each rendered
// with every attribute, index keys included.
func (s contractStore) RawItems(t *testing.T, tenant string) []string {
	t.Helper()
	var items []string
	p := dynamodb.NewScanPaginator(s.client, &dynamodb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("RawItems(%s): scan: %v", tenant, err)
		}
		for _, item := range out.Items {
			pk, _ := item[dynamo.AttrPK].(*types.AttributeValueMemberS)
			if pk == nil || !strings.HasPrefix(pk.Value, "TENANT#"+tenant) {
				continue
			}
			var m map[string]any
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				t.Fatalf("RawItems(%s): decode: %v", tenant, err)
			}
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range m {
					if !yield(k) {
						return
					}
				}
			})
			var b strings.Builder
			for _, k := range keys {
				fmt.Fprintf(&b, "%s=%v ", k, m[k])
			}
			items = append(items, b.String())
		}
	}
	return items
}

// CrashEraseAfter makes erasures fail with storetest.ErrCrash after their n-th step, reading
// the orders two at a time, so that they take more than one step.
func (s contractStore) CrashEraseAfter(n int) {
	dynamo.SetEraseBatch(s.Store, 2)
	if n == 0 {
		s.AfterEraseStep = nil
		return
	}
	step := 0
	s.AfterEraseStep = func(string) error {
		if step++; step == n {
			return storetest.ErrCrash
		}
		return nil
	}
}
