package dynamo

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

// guard is what a customer write is conditioned on, besides the customer existing.
type guard struct {
	version   *int64  // version = :v (If-Match, or a state the caller has checked)
	email     *string // email = :old (the email the caller read)
	sizeLimit *int    // size(customFields) <= :max, so the merged result cannot pass 50 keys
}

// condition is attribute_exists(PK) and whatever g asks for.
func (g guard) condition() expression.ConditionBuilder {
	conds := []expression.ConditionBuilder{expression.Name(AttrPK).AttributeExists()}
	if g.version != nil {
		conds = append(conds, expression.Name("version").Equal(expression.Value(*g.version)))
	}
	if g.email != nil {
		conds = append(conds, expression.Name("email").Equal(expression.Value(*g.email)))
	}
	if g.sizeLimit != nil {
		conds = append(conds, expression.Name("customFields").Size().LessThanEqual(expression.Value(*g.sizeLimit)))
	}
	return and(conds)
}

func and(conds []expression.ConditionBuilder) expression.ConditionBuilder {
	if len(conds) == 1 {
		return conds[0]
	}
	return expression.And(conds[0], conds[1], conds[2:]...)
}

// patchUpdate is p as an update expression: SET for every value given, REMOVE for every null, one
// path per custom field key (never the whole map, so concurrent updates of other keys survive),
// SET updatedAt and ADD version 1. Custom field keys are free text (dots, brackets), which the
// builder would parse as paths, so each key enters as a plain placeholder name and literal maps
// placeholders back to the key after building. added counts the custom field keys set.
func patchUpdate(p customer.Patch, now time.Time) (upd expression.UpdateBuilder, literal map[string]string, added int) {
	upd = expression.Set(expression.Name("updatedAt"), expression.Value(customer.Timestamp(now))).
		Add(expression.Name("version"), expression.Value(1))
	set := func(name string, v any) { upd = upd.Set(expression.Name(name), expression.Value(v)) }
	if p.Email != nil {
		set("email", *p.Email)
	}
	if p.FirstName != nil {
		set("firstName", *p.FirstName)
	}
	if p.LastName != nil {
		set("lastName", *p.LastName)
	}
	optional := func(name string, set bool, v any, null bool) {
		switch {
		case !set:
		case null:
			upd = upd.Remove(expression.Name(name))
		default:
			upd = upd.Set(expression.Name(name), expression.Value(v))
		}
	}
	optional("company", p.Company.Set, deref(p.Company.Value), p.Company.Value == nil)
	optional("phone", p.Phone.Set, deref(p.Phone.Value), p.Phone.Value == nil)
	if p.CustomerType != nil {
		set("customerType", string(*p.CustomerType))
	}
	if p.Status != nil {
		set("status", string(*p.Status))
	}
	optional("lastBillingAddress", p.BillingAddress.Set, deref(p.BillingAddress.Value), p.BillingAddress.Value == nil)
	optional("lastShippingAddress", p.ShippingAddress.Set, deref(p.ShippingAddress.Value), p.ShippingAddress.Value == nil)

	keys := make([]string, 0, len(p.CustomFields))
	for k := range p.CustomFields {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable expression for the same patch
	literal = make(map[string]string, len(keys))
	for i, k := range keys {
		// NUL cannot start any attribute name this store writes, so placeholders never collide.
		ph := "\x00" + strconv.Itoa(i)
		literal[ph] = k
		path := expression.Name("customFields").AppendName(expression.NameNoDotSplit(ph))
		if v := p.CustomFields[k]; v == nil {
			upd = upd.Remove(path)
		} else {
			upd = upd.Set(path, expression.Value(v))
			added++
		}
	}
	return upd, literal, added
}

// buildUpdate builds upd under cond and puts the literal custom field keys in place.
func buildUpdate(upd expression.UpdateBuilder, cond expression.ConditionBuilder, literal map[string]string) (expression.Expression, error) {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return expression.Expression{}, err
	}
	names := expr.Names()
	for alias, name := range names {
		if k, ok := literal[name]; ok {
			names[alias] = k
		}
	}
	return expr, nil
}

// customerUpdate is the update expression of p at now under g.
func customerUpdate(p customer.Patch, now time.Time, g guard) (expression.Expression, error) {
	if p.Empty() {
		// An empty builder fails in the SDK; the HTTP layer rejects {} before it gets here.
		return expression.Expression{}, errors.New("empty patch")
	}
	upd, literal, _ := patchUpdate(p, now)
	expr, err := buildUpdate(upd, g.condition(), literal)
	if err != nil {
		return expression.Expression{}, fmt.Errorf("build update: %w", err)
	}
	return expr, nil
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

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
