package auth

import (
	"testing"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// TestGrants checks the two halves of the decision apart: each has its own error code.
func TestGrants(t *testing.T) {
	active := Key{Tenants: []string{"t1", "t2"}, Scopes: []Scope{CustomersRead}, Status: StatusActive}
	revoked := active
	revoked.Status = StatusRevoked
	tests := []struct {
		name              string
		k                 Key
		tenant            string
		scope             Scope
		tenantOK, scopeOK bool
		granted           bool
	}{
		{"both", active, "t2", CustomersRead, true, true, true},
		{"other tenant", active, "t3", CustomersRead, false, true, false},
		{"other scope", active, "t1", CustomersWrite, true, false, false},
		{"neither", active, "t3", OrdersWrite, false, false, false},
		{"revoked", revoked, "t1", CustomersRead, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.k.HasTenant(tt.tenant); got != tt.tenantOK {
				t.Errorf("HasTenant(%q) = %v, want %v", tt.tenant, got, tt.tenantOK)
			}
			if got := tt.k.HasScope(tt.scope); got != tt.scopeOK {
				t.Errorf("HasScope(%q) = %v, want %v", tt.scope, got, tt.scopeOK)
			}
			if got := tt.k.Granted(tt.tenant, tt.scope); got != tt.granted {
				t.Errorf("Granted(%q, %q) = %v, want %v", tt.tenant, tt.scope, got, tt.granted)
			}
		})
	}
}

// TestErrorKinds pins which code each refusal of the decision carries.
func TestErrorKinds(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrAuthRequired, "AUTH_REQUIRED"},
		{ErrMalformedToken, "INVALID_TOKEN"},
		{ErrInvalidToken, "INVALID_TOKEN"},
		{ErrKeyNotFound, "INVALID_TOKEN"},
		{ErrNoTenantAccess, "NO_TENANT_ACCESS"},
		{ErrInsufficientPermissions(OrdersWrite), "INSUFFICIENT_PERMISSIONS"},
	}
	for _, tt := range tests {
		if got := fault.KindOf(tt.err).Code(); got != tt.want {
			t.Errorf("code of %v = %s, want %s", tt.err, got, tt.want)
		}
	}
}
