package cursor

import (
	"encoding/base64"
	"errors"
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
