// Package cursor makes the opaque paging cursors of the list endpoints: a store's raw "last id"
// sealed with an HMAC-SHA256 over the tenant and the query, so that a client can neither forge a
// cursor nor carry one to another tenant or another query.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// ErrInvalid is returned for a cursor that was not made by this Codec for this tenant and query.
var ErrInvalid = errors.New("cursor: invalid")

// version prefixes every cursor so that the format can change without accepting old cursors as
// new ones.
const version = 1

// Codec seals and opens cursors with one secret key.
type Codec struct {
	key []byte
}

// New returns a Codec keyed by key, which should hold at least 32 random bytes.
func New(key []byte) Codec { return Codec{key: append([]byte(nil), key...)} }

// Encode returns the cursor for the page after last, valid only for tenant and query (any string
// that names the query's filters and order).
func (c Codec) Encode(tenant, query, last string) string {
	buf := make([]byte, 0, 1+sha256.Size+len(last))
	buf = append(buf, version)
	buf = append(buf, c.mac(tenant, query, last)...)
	buf = append(buf, last...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode returns the last id sealed in token, or ErrInvalid when token is malformed, tampered
// with, or was made for another tenant or query.
func (c Codec) Decode(tenant, query, token string) (string, error) {
	buf, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(buf) <= 1+sha256.Size || buf[0] != version {
		return "", ErrInvalid
	}
	sum, last := buf[1:1+sha256.Size], string(buf[1+sha256.Size:])
	if !hmac.Equal(sum, c.mac(tenant, query, last)) {
		return "", ErrInvalid
	}
	return last, nil
}

// mac authenticates the three parts, each length-prefixed so that no two different triples
// produce the same input.
func (c Codec) mac(tenant, query, last string) []byte {
	h := hmac.New(sha256.New, c.key)
	for _, s := range []string{tenant, query, last} {
		n := len(s)
		h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}
