package dynamo

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// built is what updateExpr and expression.Expression have in common.
type built interface {
	Update() *string
	Condition() *string
	Names() map[string]string
	Values() map[string]types.AttributeValue
}

// resolve substitutes names and values into e's update and condition, giving expressions that
// can be compared whatever aliases the builder chose.
func resolve(t *testing.T, e built) (update, condition string) {
	t.Helper()
	subst := map[string]string{}
	for alias, name := range e.Names() {
		subst[alias] = "<" + name + ">"
	}
	for ph, av := range e.Values() {
		var v any
		if err := attributevalue.Unmarshal(av, &v); err != nil {
			t.Fatal(err)
		}
		subst[ph] = fmt.Sprintf("%v", v)
	}
	// Longer aliases first, so that #10 is not read as #1 followed by 0.
	aliases := slices.SortedFunc(maps.Keys(subst), func(a, b string) int { return len(b) - len(a) })
	r := make([]string, 0, 2*len(aliases))
	for _, a := range aliases {
		r = append(r, a, subst[a])
	}
	rep := strings.NewReplacer(r...)
	return rep.Replace(aws.ToString(e.Update())), rep.Replace(aws.ToString(e.Condition()))
}

// TestTemplatesCarryEachRequestsValues: two patches of one shape share a template, and each gets
// its own values and custom field keys, never the other's.
func TestTemplatesCarryEachRequestsValues(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	patch := func(first, key string, value any, version int64) (customer.Patch, guard) {
		return customer.Patch{FirstName: &first, CustomFields: map[string]any{key: value}}, guard{versions: customer.IfMatch{version}}
	}
	pa, ga := patch("Ada", "plan.tier", "gold", 3)
	pb, gb := patch("Grace", "seats", json.Number("25"), 7)
	a, err := customerUpdate("t1", "cust_1", pa, now, ga)
	if err != nil {
		t.Fatal(err)
	}
	b, err := customerUpdate("t1", "cust_1", pb, now.Add(time.Second), gb)
	if err != nil {
		t.Fatal(err)
	}
	if a.update != b.update || a.condition != b.condition {
		t.Fatalf("same shape built differently:\n%s / %s\n%s / %s", a.update, a.condition, b.update, b.condition)
	}
	for _, tt := range []struct {
		e               updateExpr
		want, wantNot   []string
		wantCondVersion string
	}{
		{a, []string{"<firstName> = Ada", "<customFields>.<plan.tier> = gold", "2026-11-26T12:00:00.000Z"}, []string{"Grace", "seats"}, "<version> = 3"},
		{b, []string{"<firstName> = Grace", "<customFields>.<seats> = 25", "2026-11-26T12:00:01.000Z"}, []string{"Ada", "plan.tier"}, "<version> = 7"},
	} {
		update, condition := resolve(t, tt.e)
		for _, w := range tt.want {
			if !strings.Contains(update, w) {
				t.Errorf("update %q lacks %q", update, w)
			}
		}
		for _, w := range tt.wantNot {
			if strings.Contains(update+condition, w) {
				t.Errorf("update %q / condition %q holds %q of the other request", update, condition, w)
			}
		}
		if !strings.Contains(condition, tt.wantCondVersion) || !strings.Contains(condition, "attribute_exists (<PK>)") {
			t.Errorf("condition = %q, want attribute_exists (<PK>) and %s", condition, tt.wantCondVersion)
		}
	}
	if n, ok := b.values[placeholderOf(t, b, "seats")].(*types.AttributeValueMemberN); !ok || n.Value != "25" {
		t.Errorf("seats value = %#v, want the number 25", b.values[placeholderOf(t, b, "seats")])
	}
}

// placeholderOf finds the value placeholder set into customFields.<key> in e.
func placeholderOf(t *testing.T, e updateExpr, key string) string {
	t.Helper()
	for alias, name := range e.names {
		if name != key {
			continue
		}
		// "... #cf.#key = :v"
		i := strings.Index(e.update, "."+alias+" = ")
		if i < 0 {
			break
		}
		rest := e.update[i+len(alias)+4:]
		if j := strings.IndexAny(rest, ", "); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	t.Fatalf("no placeholder for customFields.%s in %q (names %v)", key, e.update, e.names)
	return ""
}

// TestTemplateCacheIsBounded: past maxTemplates shapes, updates are still built right, just not
// remembered.
func TestTemplateCacheIsBounded(t *testing.T) {
	now := time.Now()
	var last updateExpr
	for n := 1; n <= maxTemplates+5; n++ {
		// A different shape each time: n custom field keys, some set and some removed, by bits.
		fields := map[string]any{}
		for i := 0; i < 11; i++ {
			k := fmt.Sprintf("k%02d", i)
			if n&(1<<i) != 0 {
				fields[k] = "v"
			} else {
				fields[k] = nil
			}
		}
		e, err := customerUpdate("t1", "cust_1", customer.Patch{CustomFields: fields}, now, guard{})
		if err != nil {
			t.Fatalf("shape %d: %v", n, err)
		}
		last = e
	}
	templates.mu.RLock()
	size := len(templates.m)
	templates.mu.RUnlock()
	if size > maxTemplates {
		t.Errorf("template cache holds %d shapes, want at most %d", size, maxTemplates)
	}
	update, _ := resolve(t, last)
	n := maxTemplates + 5
	for i := 0; i < 11; i++ {
		set := n&(1<<i) != 0
		k := fmt.Sprintf("<customFields>.<k%02d>", i)
		if got := strings.Contains(update, k+" = v"); got != set {
			t.Errorf("uncached shape: %s set = %v, want %v (update %q)", k, got, set, update)
		}
		if !set && !strings.Contains(update, k) {
			t.Errorf("uncached shape: %s not removed (update %q)", k, update)
		}
	}
	if len(last.values) != 2+popcount(n) {
		t.Errorf("values = %d, want %d (updatedAt, version and each key set)", len(last.values), 2+popcount(n))
	}
}

// TestInactiveStatusIsConditionedOnNoPendingOrders: status inactive adds DeactivateCustomer's
// condition, and the shapes with and without it never share a template, whichever is built first.
func TestInactiveStatusIsConditionedOnNoPendingOrders(t *testing.T) {
	now := time.Now()
	const pending = "(attribute_not_exists (<pendingOrders>)) OR (<pendingOrders> <= 0)"
	for _, order := range [][]customer.Status{{customer.Active, customer.Inactive}, {customer.Inactive, customer.Active}} {
		// An empty cache each round (other tests may have filled it to its bound, and then
		// nothing would be remembered), so that the first status's template is cached first.
		templates.mu.Lock()
		templates.m = map[string]*template{}
		templates.mu.Unlock()
		for _, st := range order {
			for _, version := range []customer.IfMatch{nil, {0}} {
				first := "Ada"
				e, err := customerUpdate("t1", "cust_1", customer.Patch{Status: &st, FirstName: &first}, now, guard{versions: version})
				if err != nil {
					t.Fatal(err)
				}
				update, condition := resolve(t, e)
				if got, want := strings.Contains(condition, pending), st == customer.Inactive; got != want {
					t.Errorf("status %s (version pinned %v): condition %q holds %s = %v, want %v", st, version != nil, condition, pending, got, want)
				}
				if !strings.Contains(update, "<status> = "+string(st)) || !strings.Contains(condition, "attribute_exists (<PK>)") {
					t.Errorf("status %s: update %q, condition %q", st, update, condition)
				}
			}
		}
	}
	templates.mu.RLock()
	cached := len(templates.m)
	templates.mu.RUnlock()
	if cached != 4 {
		t.Errorf("template cache holds %d shapes, want 4 (status active and inactive, with and without a version)", cached)
	}
}

func popcount(n int) int {
	c := 0
	for ; n > 0; n &= n - 1 {
		c++
	}
	return c
}

// TestTemplatesMatchTheBuilder: a template filled with a request's values and keys resolves to
// the expression the builder makes from that request directly, whichever request of the shape
// built the template.
func TestTemplatesMatchTheBuilder(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	first, email, inactive, limit := "Ada", "ada@example.com", customer.Inactive, 48
	addr := customer.Address{ContactName: "Ada", StreetAddress: "1 Main St", City: "London", Country: "GB"}
	tests := []struct {
		name string
		p    customer.Patch
		g    guard
	}{
		{"values, nulls and keys", customer.Patch{
			FirstName:      &first,
			Phone:          customer.Optional[string]{Set: true},
			BillingAddress: customer.Optional[customer.Address]{Set: true, Value: &addr},
			CustomFields:   map[string]any{"plan.tier": "gold", "seats": json.Number("25"), "email": nil, "tags": []any{"a", true}},
		}, guard{sizeLimit: &limit}},
		{"status and every guard", customer.Patch{Status: &inactive, Email: &email},
			guard{versions: []int64{3, 4}, email: &email, notStatus: &inactive}},
		{"one acceptable version", customer.Patch{FirstName: &first}, guard{versions: []int64{7}}},
		{"three acceptable versions", customer.Patch{FirstName: &first}, guard{versions: []int64{7, 8, 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, keys := plan("t1", "cust_1", tt.p, now, tt.g)
			direct, err := build(steps, func(i int) any { return steps[i].value }, func(k int) string { return keys[k] })
			if err != nil {
				t.Fatal(err)
			}
			wantUpdate, wantCondition := resolve(t, direct)
			// Twice: the first may build the template, the second surely reads it.
			for range 2 {
				e, err := customerUpdate("t1", "cust_1", tt.p, now, tt.g)
				if err != nil {
					t.Fatal(err)
				}
				update, condition := resolve(t, e)
				if update != wantUpdate || condition != wantCondition {
					t.Errorf("template gives\n%s\n%s\nwant the builder's\n%s\n%s", update, condition, wantUpdate, wantCondition)
				}
				if len(e.Values()) != len(direct.Values()) || len(e.Names()) != len(direct.Names()) {
					t.Errorf("template gives %d values and %d names, want %d and %d",
						len(e.Values()), len(e.Names()), len(direct.Values()), len(direct.Names()))
				}
			}
		})
	}
}

// TestVersionsGuard: the acceptable versions of a multi-tag If-Match become version = :v for one
// and version IN (...) for several, and lists of different lengths never share a template.
func TestVersionsGuard(t *testing.T) {
	now := time.Now()
	first := "Ada"
	tests := []struct {
		name    string
		g       guard
		want    string // in the condition
		wantNot string // not in the condition
	}{
		{"nil", guard{}, "attribute_exists (<PK>)", "<version>"},
		{"empty: none can match", guard{versions: []int64{}}, "(<version> = 0)", "IN"},
		{"one", guard{versions: []int64{3}}, "(<version> = 3)", "IN"},
		{"two", guard{versions: []int64{3, 4}}, "(<version> IN (3, 4))", "<version> ="},
		{"three", guard{versions: []int64{5, 3, 4}}, "(<version> IN (5, 3, 4))", "<version> ="},
		{"two again", guard{versions: []int64{8, 9}}, "(<version> IN (8, 9))", "3"}, // the template of "two", with these values
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := customerUpdate("t1", "cust_1", customer.Patch{FirstName: &first}, now, tt.g)
			if err != nil {
				t.Fatal(err)
			}
			_, condition := resolve(t, e)
			if !strings.Contains(condition, tt.want) || strings.Contains(condition, tt.wantNot) {
				t.Errorf("condition = %q, want it to hold %q and not %q", condition, tt.want, tt.wantNot)
			}
		})
	}
}

// TestCustomFieldKeysAreOneName: a key is one attribute name whatever it holds, never document
// path syntax: dots, brackets and the builder's own characters stay in the name.
func TestCustomFieldKeysAreOneName(t *testing.T) {
	keys := []string{"a.b", "x[1]", "[0]", "k]", "y[", "#0", ":0", "key.0"}
	fields := map[string]any{}
	for _, k := range keys {
		fields[k] = k
	}
	e, err := customerUpdate("t1", "cust_1", customer.Patch{CustomFields: fields}, time.Now(), guard{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		alias := ""
		for a, name := range e.Names() {
			if name == k {
				alias = a
			}
		}
		if alias == "" {
			t.Errorf("key %q is not one of the names %q", k, e.Names())
			continue
		}
		if !regexp.MustCompile(`(^|[ ,])#\d+\.` + regexp.QuoteMeta(alias) + ` = :\d+(,|$)`).MatchString(e.update) {
			t.Errorf("update %q does not set customFields.%s (key %q)", e.update, alias, k)
		}
	}
}
