package cursor

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	tok := c.Encode("t1", "status=active", "cust_01J")
	got, err := c.Decode("t1", "status=active", tok)
	if err != nil || got != "cust_01J" {
		t.Errorf("Decode(Encode(cust_01J)) = %q, %v, want cust_01J, nil", got, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	c := New([]byte("0123456789abcdef0123456789abcdef"))
	tok := c.Encode("t1", "q", "cust_01J")
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name, tenant, query, token string
	}{
		{"other tenant", "t2", "q", tok},
		{"other query", "t1", "q2", tok},
		{"other key", "t1", "q", New([]byte("another key")).Encode("t1", "q", "cust_01J")},
		{"tampered id", "t1", "q", base64.RawURLEncoding.EncodeToString(flipped)},
		{"not base64", "t1", "q", "***"},
		{"padded base64", "t1", "q", tok + "=="},
		{"empty", "t1", "q", ""},
		{"too short", "t1", "q", base64.RawURLEncoding.EncodeToString(raw[:10])},
		{"empty id", "t1", "q", c.Encode("t1", "q", "")},
		{"length confusion", "t1q", "", c.Encode("t1", "q", "x")},
		{"version 1", "t1", "q", base64.RawURLEncoding.EncodeToString(append([]byte{1}, raw[2:]...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := c.Decode(tt.tenant, tt.query, tt.token); !errors.Is(err, ErrInvalid) {
				t.Errorf("Decode(%q) = %q, %v, want %v", tt.token, got, err, ErrInvalid)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	c := New([]byte("k"))
	f.Add(c.Encode("t", "q", "id"))
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		last, err := c.Decode("t", "q", token)
		if err == nil && c.Encode("t", "q", last) != token {
			t.Errorf("Decode accepted %q, which Encode would not produce", token)
		}
	})
}

var (
	oldKey = []byte("the key before the rotation, 32+")
	newKey = []byte("the key after the rotation, 32 b+")
)

func keyring(t *testing.T, current uint8, keys map[uint8][]byte) Codec {
	t.Helper()
	c, err := NewKeyring(Keys{Current: current, ByID: keys})
	if err != nil {
		t.Fatalf("NewKeyring(%d, ...) = %v", current, err)
	}
	return c
}

// TestRotation checks that a cursor made under the previous key is still accepted once a new key
// is current, that new cursors name the new key, and that one made under a key since dropped is
// refused.
func TestRotation(t *testing.T) {
	before := keyring(t, 1, map[uint8][]byte{1: oldKey})
	during := keyring(t, 2, map[uint8][]byte{1: oldKey, 2: newKey})
	after := keyring(t, 2, map[uint8][]byte{2: newKey})

	old := before.Encode("t1", "q", "cust_old")
	if got, err := during.Decode("t1", "q", old); err != nil || got != "cust_old" {
		t.Errorf("after rotation, Decode(cursor of key 1) = %q, %v, want cust_old, nil", got, err)
	}
	fresh := during.Encode("t1", "q", "cust_new")
	if raw, _ := base64.RawURLEncoding.DecodeString(fresh); raw[1] != 2 {
		t.Errorf("new cursor names key %d, want 2", raw[1])
	}
	if id, ok := KeyID(fresh); !ok || id != 2 || !after.Has(id) || before.Has(id) {
		t.Errorf("KeyID(new cursor) = %d, %v; want 2, true, held by the new ring only", id, ok)
	}
	if got, err := after.Decode("t1", "q", fresh); err != nil || got != "cust_new" {
		t.Errorf("Decode(cursor of key 2) = %q, %v, want cust_new, nil", got, err)
	}
	if got, err := after.Decode("t1", "q", old); !errors.Is(err, ErrInvalid) {
		t.Errorf("once key 1 is dropped, Decode(cursor of key 1) = %q, %v, want %v", got, err, ErrInvalid)
	}
	if got, err := before.Decode("t1", "q", fresh); !errors.Is(err, ErrInvalid) {
		t.Errorf("a ring without key 2: Decode(cursor of key 2) = %q, %v, want %v", got, err, ErrInvalid)
	}
}

// TestForgedKeyID checks that rewriting a cursor's key id is refused, whether the id names a key
// the ring holds (the MAC was made with another key) or none.
func TestForgedKeyID(t *testing.T) {
	ring := keyring(t, 2, map[uint8][]byte{1: oldKey, 2: newKey})
	raw, _ := base64.RawURLEncoding.DecodeString(ring.Encode("t1", "q", "cust_01J"))
	for _, id := range []uint8{0, 1, 3, 255} {
		forged := append([]byte(nil), raw...)
		forged[1] = id
		tok := base64.RawURLEncoding.EncodeToString(forged)
		if got, err := ring.Decode("t1", "q", tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("cursor of key 2 relabelled key %d: Decode = %q, %v, want %v", id, got, err, ErrInvalid)
		}
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	tests := []struct {
		name string
		keys Keys
		want string
	}{
		{"short key", Keys{Current: 1, ByID: map[uint8][]byte{1: []byte("short")}}, "key 1 is 5 bytes"},
		{"current missing", Keys{Current: 3, ByID: map[uint8][]byte{1: oldKey}}, "current key 3 is not in"},
		{"id 0", Keys{Current: 1, ByID: map[uint8][]byte{0: oldKey, 1: newKey}}, "key id 0"},
		{"empty", Keys{}, "current key 0"},
	}
	for _, tt := range tests {
		if _, err := NewKeyring(tt.keys); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewKeyring = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}
