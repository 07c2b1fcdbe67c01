package customer

import (
	"strings"
	"testing"
	"time"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"cust_01JD5X9K3M4N5P6Q7R8S9T0V1W", true},
		{"cust_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", true},
		{"cust_00000000000000000000000000", true},
		{"cust_8ZZZZZZZZZZZZZZZZZZZZZZZZZ", false}, // over 128 bits
		{"cust_01jd5x9k3m4n5p6q7r8s9t0v1w", false}, // lower case: never issued
		{"cust_01JD5X9K3M4N5P6Q7R8S9T0V1", false},
		{"cust_01JD5X9K3M4N5P6Q7R8S9T0V1WX", false},
		{"cust_01JD5X9K3M4N5P6Q7R8S9T0V1I", false}, // I is not Crockford
		{"cust_01JD5X9K3M4N5P6Q7R8S9T0V1U", false},
		{"ord_01JD5X9K3M4N5P6Q7R8S9T0V1W", false},
		{"01JD5X9K3M4N5P6Q7R8S9T0V1W", false},
		{"cust_", false},
		{"", false},
		{"cust_1", false},
		{"cust_" + strings.Repeat("0", 2000), false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	for range 100 {
		if id := NewID(time.Now()); !ValidID(id) {
			t.Fatalf("ValidID(%q) = false for a NewID", id)
		}
	}
}
