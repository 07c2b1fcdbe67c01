// Package cursor makes the opaque paging cursors of the list endpoints: a store's raw "last id"
// sealed with an HMAC-SHA256 over the tenant and the query, so that a client can neither forge a
// cursor nor carry one to another tenant or another query.
//
// Every cursor names the key that sealed it (a key id byte), so the key can be rotated: a Codec
// seals with its current key and opens with any key it still holds, and a cursor made before a
// rotation keeps working for as long as its key is kept.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// ErrInvalid is returned for a cursor that was not made by this Codec for this tenant and query.
var ErrInvalid = errors.New("cursor: invalid")

// version prefixes every cursor so that the format can change without accepting old cursors as
// new ones. Version 1 had no key id; version 2 is followed by the key id.
const version = 2

// header is the version and key id bytes before the MAC.
const header = 2

// MinKeyLen is the shortest key accepted: an HMAC key shorter than this would be guessable.
const MinKeyLen = 32

// Keys is a key ring: every key a Codec may open cursors with, by id, and the id of the one it
// seals new cursors with. Ids are 1 to 255; 0 is never a key, so a zeroed byte names none.
type Keys struct {
	Current uint8
	ByID    map[uint8][]byte
}

// Codec seals and opens cursors with a key ring.
type Codec struct {
	current uint8
	keys    map[uint8][]byte
}

// New returns a Codec with the one key key, id 1. Any key works here (tests and single-process
// servers); NewKeyring checks lengths.
func New(key []byte) Codec {
	return Codec{current: 1, keys: map[uint8][]byte{1: append([]byte(nil), key...)}}
}

// NewKeyring returns a Codec that seals with k.Current and opens with any key of k. Each key
// must hold at least MinKeyLen bytes, and the current one must be among them.
func NewKeyring(k Keys) (Codec, error) {
	c := Codec{current: k.Current, keys: map[uint8][]byte{}}
	for id, key := range k.ByID {
		if id == 0 {
			return Codec{}, errors.New("cursor: key id 0 is not allowed")
		}
		if len(key) < MinKeyLen {
			return Codec{}, fmt.Errorf("cursor: key %d is %d bytes, want at least %d", id, len(key), MinKeyLen)
		}
		c.keys[id] = append([]byte(nil), key...)
	}
	if _, ok := c.keys[k.Current]; !ok {
		return Codec{}, fmt.Errorf("cursor: the current key %d is not in the key ring", k.Current)
	}
	return c, nil
}

// Encode returns the cursor for the page after last, valid only for tenant and query (any string
// that names the query's filters and order), sealed with the current key.
func (c Codec) Encode(tenant, query, last string) string {
	buf := make([]byte, 0, header+sha256.Size+len(last))
	buf = append(buf, version, c.current)
	buf = append(buf, c.mac(c.current, tenant, query, last)...)
	buf = append(buf, last...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode returns the last id sealed in token, or ErrInvalid when token is malformed, tampered
// with, was made for another tenant or query, or names a key this Codec does not hold.
func (c Codec) Decode(tenant, query, token string) (string, error) {
	buf, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(buf) <= header+sha256.Size || buf[0] != version {
		return "", ErrInvalid
	}
	id := buf[1]
	if _, ok := c.keys[id]; !ok {
		return "", ErrInvalid
	}
	sum, last := buf[header:header+sha256.Size], string(buf[header+sha256.Size:])
	if !hmac.Equal(sum, c.mac(id, tenant, query, last)) {
		return "", ErrInvalid
	}
	return last, nil
}

// mac authenticates the key id and the three parts, each length-prefixed so that no two
// different triples produce the same input.
func (c Codec) mac(id uint8, tenant, query, last string) []byte {
	h := hmac.New(sha256.New, c.keys[id])
	h.Write([]byte{version, id})
	for _, s := range []string{tenant, query, last} {
		n := len(s)
		h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

// KeyID returns the id of the key that token names, and false when token is not a cursor of
// this version at all.
func KeyID(token string) (uint8, bool) {
	buf, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(buf) <= header+sha256.Size || buf[0] != version {
		return 0, false
	}
	return buf[1], true
}

// Has reports whether c holds the key with id.
func (c Codec) Has(id uint8) bool {
	_, ok := c.keys[id]
	return ok
}
