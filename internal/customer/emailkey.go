package customer

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// EmailKey is the form in which emails are compared and reserved (docs/api.md, Text):
// NFC(Fold(local)) + "@" + ToASCII(domain), lower-cased. Fold is Unicode full case folding
// (cases.Fold: ß and ss fold alike, İ and i do not), NFC composes what folding left decomposed,
// and ToASCII is IDNA's lookup profile (idna.Lookup: UTS #46, non-transitional), so that
// bücher.de and xn--bcher-kva.de are one domain. A customer keeps the email as given (composed);
// uniqueness per tenant, the email filter and find-by-email compare this key.
//
// EmailKey never fails: for a domain ToASCII refuses (which ParseEmail never lets through, but
// an email stored before these rules may have) the key holds the domain folded like the local
// part, so that such a customer still has exactly one key.
func EmailKey(email string) string {
	k, _ := emailKey(email)
	return k
}

// emailKey's errors for a string that is no valid email.
var (
	errNoDomain   = errors.New("no @domain")
	errLongDomain = errors.New("domain longer than an email")
)

// emailKey is EmailKey, with the error of a domain IDNA refuses (an invalid email).
func emailKey(email string) (string, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return fold(email), errNoDomain
	}
	local, domain := email[:at], email[at+1:]
	if utf8.RuneCountInString(domain) > MaxEmailLen {
		// Punycode takes time quadratic in a label's length (20,000 distinct characters: seconds),
		// and no email has a domain this long.
		return fold(local) + "@" + fold(domain), errLongDomain
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return fold(local) + "@" + fold(domain), fmt.Errorf("domain: %w", err)
	}
	return fold(local) + "@" + strings.ToLower(ascii), nil
}

// fold is NFC(Fold(s)). A Caser keeps state, so each call makes its own.
func fold(s string) string { return norm.NFC.String(cases.Fold().String(s)) }

// EmailOwner is a customer as the email key migration sees it: its id and its email as stored.
type EmailOwner struct {
	ID    string
	Email string
}

// EmailMove is one customer's reservations put right: Key (EmailKey of Email) is to be held by
// the customer, and every key in Release, a reservation of the customer under another key (the
// one of strings.ToLower, the key before docs/api.md's), deleted.
type EmailMove struct {
	CustomerID string
	Email      string
	Key        string
	Release    []string
}

// EmailKeyCollision is a key that more than one customer of a tenant now has: their emails were
// different addresses under the legacy key and are one address under EmailKey (Straße@ and
// strasse@). A migration reports it and changes none of their reservations: merging customers is
// a decision for a person, not for a migration. A key still held by a reservation of a customer
// that does not have it (one the migration cannot free) is reported so too, with that customer.
type EmailKeyCollision struct {
	Tenant      string
	Key         string
	CustomerIDs []string // sorted
}

// EmailKeyReport is what a migration of email reservations did.
type EmailKeyReport struct {
	Customers  int // customers read
	Moved      int // customers whose reservation was rebuilt under EmailKey
	Unchanged  int // customers whose reservation already was
	Skipped    int // customers whose email changed while the migration ran; the change reserved it
	Collisions []EmailKeyCollision
}

// PlanEmailKeys decides the migration of one tenant's email reservations to EmailKey: owners are
// the tenant's customers, reservations its reservations (key → customer id) as they stand. Every
// customer whose key no other customer has gets an EmailMove unless its reservations are already
// exactly {EmailKey: id} (counted in unchanged); the customers of a key that several have are
// collisions, left alone. moves are in an order that never takes a key before the move that
// frees it has run; a move whose key another customer holds and no move frees is a collision too.
// Running the moves and planning again gives no moves: the plan is safe to rerun.
func PlanEmailKeys(tenant string, owners []EmailOwner, reservations map[string]string) (moves []EmailMove, unchanged int, collisions []EmailKeyCollision) {
	byKey := map[string][]EmailOwner{}
	for _, o := range owners {
		k := EmailKey(o.Email)
		byKey[k] = append(byKey[k], o)
	}
	held := map[string][]string{} // customer id → the keys it holds
	for _, k := range slices.Sorted(maps.Keys(reservations)) {
		held[reservations[k]] = append(held[reservations[k]], k)
	}
	collide := func(k string, ids ...string) {
		slices.Sort(ids)
		collisions = append(collisions, EmailKeyCollision{Tenant: tenant, Key: k, CustomerIDs: slices.Compact(ids)})
	}
	var pending []EmailMove
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		group := byKey[k]
		if len(group) > 1 {
			ids := make([]string, len(group))
			for i, o := range group {
				ids[i] = o.ID
			}
			collide(k, ids...)
			continue
		}
		o := group[0]
		if slices.Equal(held[o.ID], []string{k}) {
			unchanged++
			continue
		}
		m := EmailMove{CustomerID: o.ID, Email: o.Email, Key: k}
		for _, h := range held[o.ID] {
			if h != k {
				m.Release = append(m.Release, h)
			}
		}
		pending = append(pending, m)
	}
	// Run the moves on a copy of the reservations: a move is ready once its key is free or its
	// own; each round runs every ready move, until none is left or none is ready.
	res := make(map[string]string, len(reservations))
	for k, id := range reservations {
		res[k] = id
	}
	for len(pending) > 0 {
		var blocked []EmailMove
		for _, m := range pending {
			if h, ok := res[m.Key]; ok && h != m.CustomerID {
				blocked = append(blocked, m)
				continue
			}
			for _, r := range m.Release {
				delete(res, r)
			}
			res[m.Key] = m.CustomerID
			moves = append(moves, m)
		}
		if len(blocked) == len(pending) {
			for _, m := range blocked {
				collide(m.Key, m.CustomerID, res[m.Key])
			}
			break
		}
		pending = blocked
	}
	slices.SortFunc(collisions, func(a, b EmailKeyCollision) int { return strings.Compare(a.Key, b.Key) })
	return moves, unchanged, collisions
}
