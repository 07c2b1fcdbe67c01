package customer

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestEmailKey(t *testing.T) {
	tests := []struct{ email, want string }{
		{"ada@example.com", "ada@example.com"},
		{"Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
		{"ÄDA@EXAMPLE.COM", "äda@example.com"},
		// The domain by IDNA: bücher.de and its punycode are one domain, in any case.
		{"a@bücher.de", "a@xn--bcher-kva.de"},
		{"a@BÜCHER.DE", "a@xn--bcher-kva.de"},
		{"a@xn--bcher-kva.de", "a@xn--bcher-kva.de"},
		{"a@XN--BCHER-KVA.DE", "a@xn--bcher-kva.de"},
		{"a@bu\u0308cher.de", "a@xn--bcher-kva.de"},
		// Non-transitional: ß in a domain stays ß (a domain of its own), unlike the local part.
		{"a@straße.de", "a@xn--strae-oqa.de"},
		// The local part by full case folding, then NFC.
		{"Straße@example.com", "strasse@example.com"},
		{"STRASSE@example.com", "strasse@example.com"},
		{"ẞ@example.com", "ss@example.com"},
		{"İ@example.com", "i\u0307@example.com"},
		{"I@example.com", "i@example.com"},
		{"Rene\u0301@example.com", "ren\u00e9@example.com"},
		{"REN\u00c9@example.com", "ren\u00e9@example.com"},
		{"ΌΣΟΣ@example.com", "όσοσ@example.com"},
		{"όσος@example.com", "όσοσ@example.com"},
		// Never fails: without a domain, or with one IDNA refuses, everything is folded.
		{"NoDomain", "nodomain"},
		{"A@B_C.COM", "a@b_c.com"},
		{"A@" + strings.Repeat("Ü", MaxEmailLen+1), "a@" + strings.Repeat("ü", MaxEmailLen+1)},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EmailKey(tt.email); got != tt.want {
			t.Errorf("EmailKey(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
	// ß and ss are one key, İ and i are not (full folding, no Turkic special case); NFC and NFD
	// are one key.
	for _, pair := range []struct {
		a, b string
		same bool
	}{
		{"straße@x.de", "STRASSE@x.de", true},
		{"İnci@x.de", "inci@x.de", false},
		{"\u00e9@x.de", "e\u0301@x.de", true},
		{"a@bücher.de", "a@xn--bcher-kva.de", true},
		{"a@straße.de", "a@strasse.de", false},
	} {
		if got := EmailKey(pair.a) == EmailKey(pair.b); got != pair.same {
			t.Errorf("EmailKey(%q) == EmailKey(%q) is %v, want %v", pair.a, pair.b, got, pair.same)
		}
	}
}

// TestEmailKeyLongDomain: EmailKey stays fast on a domain no email has. (Punycode is quadratic:
// 16,000 distinct characters took 13 s.)
func TestEmailKeyLongDomain(t *testing.T) {
	var b strings.Builder
	for i := range 16000 {
		b.WriteRune(rune(0x4E00 + i))
	}
	start := time.Now()
	if _, err := emailKey("a@" + b.String() + ".cn"); err == nil {
		t.Errorf("emailKey(a domain of 16,000 characters) = nil error, want one")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("emailKey(a domain of 16,000 characters) took %v, want well under a second", d)
	}
}

// FuzzEmailKey checks the properties the stores rely on: EmailKey never panics and always gives
// a key in NFC; a valid email's key is its own key, so that a key found in storage can be compared
// with one computed again; and the key does not depend on NFC versus NFD.
func FuzzEmailKey(f *testing.F) {
	for _, s := range []string{"ada@example.com", "Straße@Bücher.de", "a@xn--bcher-kva.de", "İ@x.de", "\u212a@x.de",
		"e\u0301@x.de", "a@b@c.de", "", "@", "a@", "@b", "a@xn--zz.com", "ΌΣΟΣ@example.com", "ǅ@x.de", "ﬀ@ｅ.com", "a@\u05d0b.com", "a@.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		key, err := emailKey(email)
		if !utf8.ValidString(email) {
			return // no parser hands such a string on; it must only not panic
		}
		if got := EmailKey(email); got != key {
			t.Fatalf("EmailKey(%q) = %q, emailKey %q", email, got, key)
		}
		if !norm.NFC.IsNormalString(key) {
			t.Fatalf("EmailKey(%q) = %q, not NFC", email, key)
		}
		if err != nil {
			return
		}
		// A valid email's key is a valid key whose key is itself.
		again, err := emailKey(key)
		if err != nil || again != key {
			t.Fatalf("EmailKey(%q) = %q, EmailKey of that = %q, %v; want the same key", email, key, again, err)
		}
		if d := norm.NFD.String(email); EmailKey(d) != key {
			t.Fatalf("EmailKey(%q) = %q, of its NFD form %q", email, key, EmailKey(d))
		}
	})
}

func TestPlanEmailKeys(t *testing.T) {
	type plan struct {
		moves      []EmailMove
		unchanged  int
		collisions []EmailKeyCollision
	}
	tests := []struct {
		name         string
		owners       []EmailOwner
		reservations map[string]string
		want         plan
	}{
		{"nothing", nil, nil, plan{}},
		{"ASCII emails keep their keys", []EmailOwner{{"c1", "Ada@Example.com"}, {"c2", "bob@example.com"}},
			map[string]string{"ada@example.com": "c1", "bob@example.com": "c2"}, plan{unchanged: 2}},
		{"an IDN domain moves to punycode", []EmailOwner{{"c1", "Ann@Bücher.de"}},
			map[string]string{"ann@bücher.de": "c1"},
			plan{moves: []EmailMove{{CustomerID: "c1", Email: "Ann@Bücher.de", Key: "ann@xn--bcher-kva.de", Release: []string{"ann@bücher.de"}}}}},
		{"a missing reservation is made", []EmailOwner{{"c1", "ann@x.de"}}, nil,
			plan{moves: []EmailMove{{CustomerID: "c1", Email: "ann@x.de", Key: "ann@x.de"}}}},
		{"a stray reservation of the customer is released", []EmailOwner{{"c1", "ann@x.de"}},
			map[string]string{"ann@x.de": "c1", "old@x.de": "c1"},
			plan{moves: []EmailMove{{CustomerID: "c1", Email: "ann@x.de", Key: "ann@x.de", Release: []string{"old@x.de"}}}}},
		{"ß and ss collide and are left alone", []EmailOwner{{"c2", "Straße@x.de"}, {"c1", "strasse@x.de"}, {"c3", "z@x.de"}},
			map[string]string{"straße@x.de": "c2", "strasse@x.de": "c1", "z@x.de": "c3"},
			plan{unchanged: 1, collisions: []EmailKeyCollision{{Tenant: "t", Key: "strasse@x.de", CustomerIDs: []string{"c1", "c2"}}}}},
		{"NFC and NFD of one email collide", []EmailOwner{{"c1", "ren\u00e9@x.de"}, {"c2", "rene\u0301@x.de"}},
			map[string]string{"ren\u00e9@x.de": "c1", "rene\u0301@x.de": "c2"},
			plan{collisions: []EmailKeyCollision{{Tenant: "t", Key: "ren\u00e9@x.de", CustomerIDs: []string{"c1", "c2"}}}}},
		{"a key held by a moving customer is taken after that move", []EmailOwner{{"c1", "ann@x.de"}, {"c2", "Ünï@x.de"}},
			map[string]string{"ann@x.de": "c2"},
			plan{moves: []EmailMove{
				{CustomerID: "c2", Email: "Ünï@x.de", Key: "ünï@x.de", Release: []string{"ann@x.de"}},
				{CustomerID: "c1", Email: "ann@x.de", Key: "ann@x.de"},
			}}},
		{"two customers holding each other's key are collisions", []EmailOwner{{"c1", "a@x.de"}, {"c2", "b@x.de"}},
			map[string]string{"a@x.de": "c2", "b@x.de": "c1"},
			plan{collisions: []EmailKeyCollision{{Tenant: "t", Key: "a@x.de", CustomerIDs: []string{"c1", "c2"}}, {Tenant: "t", Key: "b@x.de", CustomerIDs: []string{"c1", "c2"}}}}},
		{"a key held by no customer of the tenant is a collision", []EmailOwner{{"c1", "ann@bücher.de"}},
			map[string]string{"ann@xn--bcher-kva.de": "c9", "ann@bücher.de": "c1"},
			plan{collisions: []EmailKeyCollision{{Tenant: "t", Key: "ann@xn--bcher-kva.de", CustomerIDs: []string{"c1", "c9"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moves, unchanged, collisions := PlanEmailKeys("t", tt.owners, tt.reservations)
			got := plan{moves, unchanged, collisions}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("PlanEmailKeys = %+v, want %+v", got, tt.want)
			}
			// Carried out, the plan leaves nothing to do: a second run moves nothing and reports
			// the same collisions.
			res := map[string]string{}
			for k, id := range tt.reservations {
				res[k] = id
			}
			for _, m := range moves {
				for _, r := range m.Release {
					delete(res, r)
				}
				res[m.Key] = m.CustomerID
			}
			moves2, unchanged2, collisions2 := PlanEmailKeys("t", tt.owners, res)
			if len(moves2) != 0 || unchanged2 != unchanged+len(moves) || !reflect.DeepEqual(collisions2, collisions) {
				t.Errorf("PlanEmailKeys after the moves = %+v, %d, %+v; want no moves, %d unchanged, %+v", moves2, unchanged2, collisions2, unchanged+len(moves), collisions)
			}
		})
	}
}
