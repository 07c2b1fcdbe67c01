// Package auth holds API keys and the allow/deny decision: a key is stored only as the SHA-256 of
// its secret, is granted a set of tenants and scopes, and can be revoked.
package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Scope is a permission a key may hold.
type Scope string

// The scopes of API.md.
const (
	CustomersRead  Scope = "customers:read"
	CustomersWrite Scope = "customers:write"
	OrdersRead     Scope = "orders:read"
	OrdersWrite    Scope = "orders:write"
)

// AllScopes lists every scope.
var AllScopes = []Scope{CustomersRead, CustomersWrite, OrdersRead, OrdersWrite}

// Key statuses.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
)

// Key is a stored API key. The secret itself is never stored: Hash is its SHA-256 in hex.
type Key struct {
	ID        string   `json:"keyId" dynamodbav:"keyId"`
	Hash      string   `json:"-" dynamodbav:"hash"`
	Name      string   `json:"name,omitempty" dynamodbav:"name,omitempty"`
	Tenants   []string `json:"tenants" dynamodbav:"tenants"`
	Scopes    []Scope  `json:"scopes" dynamodbav:"scopes"`
	Status    string   `json:"status" dynamodbav:"status"`
	CreatedAt string   `json:"createdAt" dynamodbav:"createdAt"`
}

// Hash returns the hex SHA-256 of an API key's secret: the only form in which keys are stored.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Errors of the auth decision.
var (
	ErrUnauthorized = fault.E(fault.Unauthorized, "A valid API key is required")
	ErrForbidden    = fault.E(fault.Forbidden, "This API key may not perform this request")
	// ErrKeyNotFound is what a key store answers for an unknown hash.
	ErrKeyNotFound = fault.E(fault.Unauthorized, "Unknown API key")
)

// Granted reports whether an active k may act for tenant with scope.
func (k Key) Granted(tenant string, s Scope) bool {
	return k.Status == StatusActive && slices.Contains(k.Tenants, tenant) && slices.Contains(k.Scopes, s)
}
