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
