package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTenant(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  error
	}{
		{"acme", "acme", nil},
		{" acme\t", "acme", nil},
		{"business unit 7", "business unit 7", nil},
		{"", "", ErrNoTenant},
		{"  ", "", ErrNoTenant},
		{"acme,globex", "", ErrTenantNotOneOnly},
		{"acme, ", "", ErrTenantNotOneOnly},
		{",", "", ErrTenantNotOneOnly},
	}
	for _, tt := range tests {
		got, err := ParseTenant(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("ParseTenant(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestValidTenant(t *testing.T) {
	tests := []struct {
		tenant string
		want   bool
	}{
		{"acme", true},
		{"tenant-demo", true},
		{"bu_01.eu:west", true},
		{"2f1c9a54-6c1e-4d0a-9d55-0b7f5d6f2a11", true},
		{strings.Repeat("a", MaxTenantLen), true},
		{"", false},
		{strings.Repeat("a", MaxTenantLen+1), false},
		{"a#CUSTOMER#b", false},
		{"a,b", false},
		{"a b", false},
		{"bücher", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		if got := ValidTenant(tt.tenant); got != tt.want {
			t.Errorf("ValidTenant(%q) = %v, want %v", tt.tenant, got, tt.want)
		}
	}
}
