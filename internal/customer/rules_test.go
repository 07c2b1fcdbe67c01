package customer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

func TestIfMatchAllows(t *testing.T) {
	tests := []struct {
		m    customer.IfMatch
		v    int64
		want bool
	}{
		{nil, 3, true},
		{customer.IfMatch{}, 3, false},
		{customer.IfMatch{3}, 3, true},
		{customer.IfMatch{2}, 3, false},
		{customer.IfMatch{1, 2, 3}, 3, true},
		{customer.IfMatch{1, 2}, 3, false},
	}
	for _, tt := range tests {
		if got := tt.m.Allows(tt.v); got != tt.want {
			t.Errorf("%#v.Allows(%d) = %v, want %v", tt.m, tt.v, got, tt.want)
		}
	}
}

func TestCheckUpdate(t *testing.T) {
	inactive, active := customer.Inactive, customer.Active
	idle := customer.Customer{Version: 4, Status: customer.Active}
	busy := customer.Customer{Version: 4, Status: customer.Active, PendingOrders: 2}
	name := "Ada"
	tests := []struct {
		name    string
		cur     customer.Customer
		p       customer.Patch
		ifMatch customer.IfMatch
		want    error
	}{
		{"any version", busy, customer.Patch{FirstName: &name}, nil, nil},
		{"current version", busy, customer.Patch{FirstName: &name}, customer.IfMatch{4}, nil},
		{"stale version", busy, customer.Patch{FirstName: &name}, customer.IfMatch{3}, customer.ErrPrecondition},
		{"no version can match", idle, customer.Patch{FirstName: &name}, customer.IfMatch{}, customer.ErrPrecondition},
		{"deactivate idle", idle, customer.Patch{Status: &inactive}, nil, nil},
		{"deactivate with pending orders", busy, customer.Patch{Status: &inactive}, nil, customer.ErrPendingOrders},
		{"412 before 409", busy, customer.Patch{Status: &inactive}, customer.IfMatch{9}, customer.ErrPrecondition},
		{"reactivate with pending orders", busy, customer.Patch{Status: &active}, nil, nil},
	}
	for _, tt := range tests {
		if err := customer.CheckUpdate(tt.cur, tt.p, tt.ifMatch); !errors.Is(err, tt.want) {
			t.Errorf("%s: CheckUpdate = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDeactivate(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	idle := customer.Customer{CustomerID: "c", Version: 4, Status: customer.Active, UpdatedAt: "before"}
	busy := idle
	busy.PendingOrders = 1
	gone := idle
	gone.Status = customer.Inactive
	tests := []struct {
		name        string
		cur         customer.Customer
		ifMatch     customer.IfMatch
		wantChanged bool
		want        error
	}{
		{"active", idle, nil, true, nil},
		{"active, current version", idle, customer.IfMatch{2, 4}, true, nil},
		{"stale version", idle, customer.IfMatch{3}, false, customer.ErrPrecondition},
		{"pending orders", busy, nil, false, customer.ErrPendingOrders},
		{"412 before 409", busy, customer.IfMatch{3}, false, customer.ErrPrecondition},
		{"already inactive", gone, nil, false, nil},
		{"already inactive, stale version", gone, customer.IfMatch{3}, false, customer.ErrPrecondition},
	}
	for _, tt := range tests {
		next, changed, err := customer.Deactivate(tt.cur, tt.ifMatch, now)
		if !errors.Is(err, tt.want) || changed != tt.wantChanged {
			t.Errorf("%s: Deactivate = changed %v, %v; want %v, %v", tt.name, changed, err, tt.wantChanged, tt.want)
			continue
		}
		switch {
		case err != nil:
		case changed && (next.Status != customer.Inactive || next.Version != tt.cur.Version+1 || next.UpdatedAt != customer.Timestamp(now)):
			t.Errorf("%s: Deactivate = status %s, version %d, updatedAt %s; want inactive, %d, %s",
				tt.name, next.Status, next.Version, next.UpdatedAt, tt.cur.Version+1, customer.Timestamp(now))
		case !changed && (next.Version != tt.cur.Version || next.UpdatedAt != tt.cur.UpdatedAt):
			t.Errorf("%s: Deactivate of an inactive customer changed it: %+v", tt.name, next)
		}
	}
}
