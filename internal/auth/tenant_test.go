package auth

import (
	"errors"
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
