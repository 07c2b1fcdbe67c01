package order_test

import (
	"testing"

	"github.com/flexportal-compat/customers-api/internal/order"
)

func TestSortEffective(t *testing.T) {
	tests := []struct {
		sort   order.Sort
		status order.Status
		want   order.Sort
	}{
		{"", "", order.ByCreatedAt},
		{order.ByCreatedAt, order.Pending, order.ByCreatedAt},
		{order.ByOrderID, "", order.ByCreatedAt},
		{order.ByUpdatedAt, "", order.ByUpdatedAt},
		{order.ByUpdatedAt, order.Cancelled, order.ByUpdatedAt},
		{order.ByStatus, "", order.ByStatus},
		{order.ByStatus, order.Pending, order.ByCreatedAt}, // one status: ties by creation
	}
	for _, tt := range tests {
		if got := tt.sort.Effective(tt.status); got != tt.want {
			t.Errorf("Sort(%q).Effective(%q) = %q, want %q", tt.sort, tt.status, got, tt.want)
		}
	}
}

func TestOrderPosition(t *testing.T) {
	a := order.Order{OrderID: "ord_1", Status: order.Pending, UpdatedAt: "2024-01-02T00:00:00.000Z"}
	b := order.Order{OrderID: "ord_2", Status: order.Cancelled, UpdatedAt: "2024-01-01T00:00:00.000Z"}
	c := order.Order{OrderID: "ord_3", Status: order.Pending, UpdatedAt: "2024-01-01T00:00:00.000Z"}
	tests := []struct {
		sort order.Sort
		want []order.Order // ascending
	}{
		{order.ByCreatedAt, []order.Order{a, b, c}},
		{order.ByOrderID, []order.Order{a, b, c}},
		{order.ByUpdatedAt, []order.Order{b, c, a}}, // ties by creation
		{order.ByStatus, []order.Order{b, a, c}},    // cancelled < pending, ties by creation
	}
	for _, tt := range tests {
		for i := 1; i < len(tt.want); i++ {
			if p, q := tt.want[i-1].Position(tt.sort), tt.want[i].Position(tt.sort); p >= q {
				t.Errorf("by %s: Position(%s) = %q, not before Position(%s) = %q", tt.sort, tt.want[i-1].OrderID, p, tt.want[i].OrderID, q)
			}
		}
	}
}
