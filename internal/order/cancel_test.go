package order_test

import (
	"errors"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/order"
)

func TestCancellable(t *testing.T) {
	tests := []struct {
		status order.Status
		want   error
	}{
		{order.Pending, nil},
		{order.Cancelled, order.ErrAlreadyCancelled},
		{order.Confirmed, order.ErrNotCancellable},
		{order.Partial, order.ErrNotCancellable},
		{order.Fulfilled, order.ErrNotCancellable},
		{"", order.ErrNotCancellable},
	}
	for _, tt := range tests {
		if got := order.Cancellable(tt.status); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Cancellable(%q) = %v, want %v", tt.status, got, tt.want)
		}
	}
}
