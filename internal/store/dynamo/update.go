package dynamo

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// guard is what a customer write is conditioned on, besides the customer existing.
type guard struct {
	// versions: the versions the write accepts (customer.IfMatch, or a state the caller has
	// checked): version IN (:v1, :v2, ...), one element version = :v, nil no condition. Empty
	// but not nil accepts none: version = 0, which no customer has (versions start at 1).
	// DynamoDB takes at most 100 operands after IN (customer.MaxIfMatchTags).
	versions customer.IfMatch

	email     *string // email = :old (the email the caller read)
	sizeLimit *int    // size(customFields) <= :max, so the merged result cannot pass 50 keys

	// notStatus: status <> :s, so that a customer already in that status is not written at all
	// (DeactivateCustomer of an inactive customer changes nothing, not even its version).
	notStatus *customer.Status
}

// clause is one part of a customer update expression or of its condition.
type clause uint8

const (
	set            clause = iota // SET path = value
	remove                       // REMOVE path
	add                          // ADD path value
	exists                       // condition attribute_exists(path)
	equal                        // condition path = value
	notEqual                     // condition path <> value
	oneOf                        // condition path IN (value, ...): one step per value, in a row
	sizeAtMost                   // condition size(path) <= value
	atMostOrAbsent               // condition attribute_not_exists(path) OR path <= value
	absent                       // condition attribute_not_exists(path)
)

// step is one clause on one path. A custom field's path is customFields.<key>, key being an index
// into the patch's sorted custom field keys; every other path is the top-level attribute name.
type step struct {
	clause clause
	name   string
	key    int // custom field key index, or -1
	value  any
}

// plan lists the steps of p, on customer id of tenant, at now under g: SET for every value given
// (with the index keys derived from it, docs/indexes.md: a name or email with its sort key and
// stamp, a type with TPK, a status with GSI2PK, GSI2SK and SSK), REMOVE for every null, one path
// per custom field key (never the whole map, so concurrent updates of other keys survive), SET
// updatedAt and ADD version 1; then the condition, attribute_exists(PK), no erasure begun, and g,
// and for status inactive the rules of UpdateCustomer and DeactivateCustomer alike: no active
// subscription (totalDevicesRented <= 0), no pending orders.
func plan(tenant, id string, p customer.Patch, now time.Time, g guard) (steps []step, keys []string) {
	steps = make([]step, 0, 8+len(p.CustomFields))
	do := func(c clause, name string, v any) {
		steps = append(steps, step{clause: c, name: name, key: -1, value: v})
	}
	required := func(name string, v *string) {
		if v != nil {
			do(set, name, *v)
		}
	}
	optional := func(name string, o customer.Optional[string]) {
		switch {
		case !o.Set:
		case o.Value == nil:
			do(remove, name, nil)
		default:
			do(set, name, *o.Value)
		}
	}
	address := func(name string, o customer.Optional[customer.Address]) {
		switch {
		case !o.Set:
		case o.Value == nil:
			do(remove, name, nil)
		default:
			do(set, name, *o.Value)
		}
	}
	ts, stamp := customer.Timestamp(now), customer.Stamp(now)
	// sorted sets the sort key of order s (and its stamp) from the field v that p sets.
	sorted := func(s customer.Sort, v *string) {
		if v == nil {
			return
		}
		c := customer.Customer{CustomerID: id, FirstName: *v, LastName: *v, Email: *v}
		lsk := customerSortKeys[s]
		do(set, lsk, prefixCustomer+c.Position(s))
		do(set, stampOf(lsk), stamp)
	}
	required("email", p.Email)
	sorted(customer.ByEmail, p.Email)
	required("firstName", p.FirstName)
	sorted(customer.ByFirstName, p.FirstName)
	required("lastName", p.LastName)
	sorted(customer.ByLastName, p.LastName)
	optional("company", p.Company)
	optional("phone", p.Phone)
	if p.CustomerType != nil {
		do(set, "customerType", string(*p.CustomerType))
		do(set, AttrTPK, customerTypePK(tenant, *p.CustomerType))
	}
	if p.Status != nil {
		do(set, "status", string(*p.Status))
		do(set, AttrGSI2PK, customerStatusPK(tenant, *p.Status))
		do(set, AttrGSI2SK, prefixCustomer+id)
		do(set, AttrSSK, statusSK(*p.Status, id))
	}
	address("lastBillingAddress", p.BillingAddress)
	address("lastShippingAddress", p.ShippingAddress)
	keys = slices.Sorted(maps.Keys(p.CustomFields)) // a stable expression for the same patch
	for i, k := range keys {
		if v := p.CustomFields[k]; v == nil {
			steps = append(steps, step{clause: remove, name: "customFields", key: i})
		} else {
			steps = append(steps, step{clause: set, name: "customFields", key: i, value: v})
		}
	}
	do(set, "updatedAt", ts)
	do(add, "version", int64(1))

	do(exists, AttrPK, nil)
	do(absent, attrErasing, nil) // an erasure has not begun: it refuses every write (erase.go)
	switch len(g.versions) {
	case 0:
		if g.versions != nil {
			do(equal, "version", int64(0))
		}
	case 1:
		do(equal, "version", g.versions[0])
	default:
		for _, v := range g.versions {
			do(oneOf, "version", v)
		}
	}
	if g.email != nil {
		do(equal, "email", *g.email)
	}
	if g.sizeLimit != nil {
		do(sizeAtMost, "customFields", int64(*g.sizeLimit))
	}
	if g.notStatus != nil {
		do(notEqual, "status", string(*g.notStatus))
	}
	if p.Deactivates() {
		// DELETE's rules, in the write itself: no active subscription, no pending order.
		do(atMostOrAbsent, "totalDevicesRented", int64(0))
		do(atMostOrAbsent, "pendingOrders", int64(0))
	}
	return steps, keys
}

// updateExpr is a built customer update, with the accessors of expression.Expression.
type updateExpr struct {
	update, condition string
	names             map[string]string
	values            map[string]types.AttributeValue
}

func (e updateExpr) Update() *string                         { return aws.String(e.update) }
func (e updateExpr) Condition() *string                      { return aws.String(e.condition) }
func (e updateExpr) Names() map[string]string                { return e.names }
func (e updateExpr) Values() map[string]types.AttributeValue { return e.values }

// customerUpdate is the update expression of p, on customer id of tenant, at now under g.
//
// The expression builder spends most of an update's CPU on strings that depend only on which
// paths the patch touches, not on its values, so each shape is built once (with marked values)
// and remembered as a template; a request then only marshals its values into the template's
// placeholders. Per request, the builder costs about half again the whole warm invocation
// (BenchmarkCustomerUpdate; docs/decisions.md has the numbers).
func customerUpdate(tenant, id string, p customer.Patch, now time.Time, g guard) (updateExpr, error) {
	if p.Empty() {
		// An empty builder fails in the SDK; the HTTP layer rejects {} before it gets here.
		return updateExpr{}, errors.New("empty patch")
	}
	steps, keys := plan(tenant, id, p, now, g)
	t, err := templates.get(steps)
	if err != nil {
		return updateExpr{}, fmt.Errorf("build update: %w", err)
	}
	e := updateExpr{update: t.update, condition: t.condition, names: t.names,
		values: make(map[string]types.AttributeValue, len(t.placeholders))}
	if len(keys) > 0 {
		// The template's names are shared by every request of its shape: copy before putting
		// this request's custom field keys in place of the stand-ins.
		e.names = maps.Clone(t.names)
		for alias, name := range e.names {
			if i, ok := keyIndex(name); ok {
				e.names[alias] = keys[i]
			}
		}
	}
	for i, ph := range t.placeholders {
		if ph == "" {
			continue
		}
		av, err := marshalValue(steps[i].value)
		if err != nil {
			return updateExpr{}, fmt.Errorf("marshal %s: %w", steps[i].name, err)
		}
		e.values[ph] = av
	}
	return e, nil
}

// template is one shape of customer update as the expression builder built it. Custom field keys
// appear in names as keyName(i); placeholders[i] is where step i's value goes ("" for none).
type template struct {
	update, condition string
	names             map[string]string
	placeholders      []string
}

// templateCache remembers templates by shape, up to a bound: shapes are few in practice, but a
// client choosing custom field keys could make many, and past the bound they are built each time.
type templateCache struct {
	mu sync.RWMutex
	m  map[string]*template
}

const maxTemplates = 1024

var templates = templateCache{m: map[string]*template{}}

func (c *templateCache) get(steps []step) (*template, error) {
	buf := make([]byte, 0, 256) // on the stack for the usual patch
	for _, s := range steps {
		buf = append(buf, byte(s.clause))
		buf = append(buf, s.name...)
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, int64(s.key), 10)
		buf = append(buf, 0)
	}
	c.mu.RLock()
	t, ok := c.m[string(buf)] // a lookup by string(buf) does not copy buf
	c.mu.RUnlock()
	if ok {
		return t, nil
	}
	shape := string(buf)
	t, err := buildTemplate(steps)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) < maxTemplates {
		c.m[shape] = t
	}
	c.mu.Unlock()
	return t, nil
}

// valueMark marks step i's value while a template is built, so that the placeholder the builder
// chose for it can be found afterwards whatever order the builder numbers values in.
const valueMark = "\x00value:"

// buildTemplate runs the expression builder over steps, with marked values and stand-in keys.
func buildTemplate(steps []step) (*template, error) {
	expr, err := build(steps, func(i int) any {
		return &types.AttributeValueMemberS{Value: valueMark + strconv.Itoa(i)}
	}, keyName)
	if err != nil {
		return nil, err
	}
	t := &template{update: *expr.Update(), condition: *expr.Condition(), names: expr.Names(),
		placeholders: make([]string, len(steps))}
	for ph, av := range expr.Values() {
		s, _ := av.(*types.AttributeValueMemberS)
		if s == nil || !strings.HasPrefix(s.Value, valueMark) {
			return nil, fmt.Errorf("unexpected value %s in built expression", ph)
		}
		i, err := strconv.Atoi(strings.TrimPrefix(s.Value, valueMark))
		if err != nil || i < 0 || i >= len(steps) {
			return nil, fmt.Errorf("unexpected value %s in built expression", ph)
		}
		t.placeholders[i] = ph
	}
	return t, nil
}

// build runs the expression builder over steps, value(i) being step i's value and key(k) the
// name of custom field key k. The builder aliases every name, so reserved words (status) are
// safe, and NameNoDotSplit keeps a name with dots one name (brackets it would still read as a
// list index, hence the stand-ins of templates).
func build(steps []step, value func(i int) any, key func(k int) string) (expression.Expression, error) {
	var (
		upd   expression.UpdateBuilder
		conds []expression.ConditionBuilder
		in    []expression.OperandBuilder // the values of a oneOf run so far
	)
	for i, s := range steps {
		path := expression.Name(s.name)
		if s.key >= 0 {
			path = path.AppendName(expression.NameNoDotSplit(key(s.key)))
		}
		val := expression.Value(value(i))
		switch s.clause {
		case set:
			upd = upd.Set(path, val)
		case remove:
			upd = upd.Remove(path)
		case add:
			upd = upd.Add(path, val)
		case exists:
			conds = append(conds, path.AttributeExists())
		case equal:
			conds = append(conds, path.Equal(val))
		case notEqual:
			conds = append(conds, path.NotEqual(val))
		case oneOf:
			in = append(in, val)
			if i+1 == len(steps) || steps[i+1].clause != oneOf || steps[i+1].name != s.name {
				conds = append(conds, path.In(in[0], in[1:]...))
				in = nil
			}
		case sizeAtMost:
			conds = append(conds, path.Size().LessThanEqual(val))
		case atMostOrAbsent:
			conds = append(conds, expression.Or(path.AttributeNotExists(), path.LessThanEqual(val)))
		case absent:
			conds = append(conds, path.AttributeNotExists())
		}
	}
	return expression.NewBuilder().WithUpdate(upd).WithCondition(and(conds)).Build()
}

// and joins conditions (at least one) with AND.
func and(conds []expression.ConditionBuilder) expression.ConditionBuilder {
	if len(conds) == 1 {
		return conds[0]
	}
	return expression.And(conds[0], conds[1], conds[2:]...)
}

// keyName is the stand-in name of custom field key i in a template. NUL cannot start any
// attribute name this store writes, so stand-ins never collide with real names.
func keyName(i int) string { return "\x00key:" + strconv.Itoa(i) }

// keyIndex is the inverse of keyName.
func keyIndex(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "\x00key:")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	return i, err == nil
}

// marshalValue is attributevalue.Marshal with the common scalar cases done directly.
func marshalValue(v any) (types.AttributeValue, error) {
	switch v := v.(type) {
	case string:
		return &types.AttributeValueMemberS{Value: v}, nil
	case int64:
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: v}, nil
	}
	return attributevalue.Marshal(v)
}

// addedKeys is how many custom field keys p sets (not removes).
func addedKeys(p customer.Patch) int {
	n := 0
	for _, v := range p.CustomFields {
		if v != nil {
			n++
		}
	}
	return n
}
