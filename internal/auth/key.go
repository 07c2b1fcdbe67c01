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

// The scopes of docs/api.md.
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

// Errors of the auth decision, in the order they are checked: the key (401), the tenant, the
// scope (403).
var (
	// ErrAuthRequired: the request has no Authorization header.
	ErrAuthRequired = fault.E(fault.AuthRequired, "An Authorization header with a Bearer API key is required")
	// ErrMalformedToken: an Authorization header that is not "Bearer <api key>".
	ErrMalformedToken = fault.E(fault.InvalidToken, `The Authorization header must be "Bearer <api key>"`)
	// ErrInvalidToken: a key that is unknown or revoked (which of the two is not said).
	ErrInvalidToken = fault.E(fault.InvalidToken, "The API key is invalid or revoked")
	// ErrKeyNotFound is what a key store answers for an unknown hash.
	ErrKeyNotFound = fault.E(fault.InvalidToken, "Unknown API key")
	// ErrNoTenantAccess: the key is not granted the request's tenant.
	ErrNoTenantAccess = fault.E(fault.NoTenantAccess, "This API key has no access to this tenant")
)

// ErrInsufficientPermissions is the error of a key that lacks scope s.
func ErrInsufficientPermissions(s Scope) error {
	return fault.E(fault.InsufficientPermissions, "This API key lacks the "+string(s)+" permission this request needs")
}

// HasTenant reports whether an active k may act for tenant.
func (k Key) HasTenant(tenant string) bool {
	return k.Status == StatusActive && slices.Contains(k.Tenants, tenant)
}

// HasScope reports whether an active k holds scope s.
func (k Key) HasScope(s Scope) bool {
	return k.Status == StatusActive && slices.Contains(k.Scopes, s)
}

// Granted reports whether an active k may act for tenant with scope s. A request checks the two
// apart (HasTenant, then HasScope), since each has its own error code.
func (k Key) Granted(tenant string, s Scope) bool { return k.HasTenant(tenant) && k.HasScope(s) }
