package order

import (
	"testing"
	"time"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"ord_01JD5XA2B3C4D5E6F7G8H9J0KM", true},
		{"ord_01JD5XA2B3C4D5E6F7G8H9J0K", false},
		{"ord_01jd5xa2b3c4d5e6f7g8h9j0km", false},
		{"cust_01JD5XA2B3C4D5E6F7G8H9J0KM", false},
		{"ord_", false},
		{"ord_1", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if id := NewID(time.Now()); !ValidID(id) {
		t.Errorf("ValidID(%q) = false for a NewID", id)
	}
}
