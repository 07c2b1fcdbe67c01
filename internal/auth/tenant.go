package auth

import (
	"errors"
	"strings"
)

// Errors of ParseTenant.
var (
	ErrNoTenant         = errors.New("auth: no tenant id")
	ErrTenantNotOneOnly = errors.New("auth: more than one tenant id")
)

// ParseTenant returns the tenant id that s (a Tenant-ID header's value, a message's tenantId)
// names: s without surrounding white space. A tenant id holds no comma — API Gateway joins
// repeated headers with commas, so "a,b" names two tenants (ErrTenantNotOneOnly) — and is not
// empty (ErrNoTenant). Every way into the service reads tenant ids through it.
func ParseTenant(s string) (string, error) {
	if strings.Contains(s, ",") {
		return "", ErrTenantNotOneOnly
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return "", ErrNoTenant
	}
	return t, nil
}

// MaxTenantLen is the longest tenant id a key can be granted.
const MaxTenantLen = 64

// ValidTenant reports whether t may be granted to a key: 1–64 characters of ASCII letters,
// digits and . _ : - . Tenant ids lead every data key (TENANT#<t>#...), so a tenant never holds
// the # that separates key parts, and they appear in headers, so they are plain ASCII.
func ValidTenant(t string) bool {
	if t == "" || len(t) > MaxTenantLen {
		return false
	}
	for _, c := range []byte(t) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}
