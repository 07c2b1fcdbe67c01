package httpapi

import (
	"net/http"
	"testing"
)

func TestPreferStrict(t *testing.T) {
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"handling=strict"}, true},
		{[]string{"Handling=Strict"}, true},
		{[]string{"handling = strict"}, true},
		{[]string{`handling="strict"`}, true},
		{[]string{"respond-async, handling=strict"}, true},
		{[]string{"respond-async, wait=10, handling=strict;foo=bar"}, true},
		{[]string{"return=minimal", "handling=strict"}, true},
		{[]string{"handling=lenient"}, false},
		{[]string{"handling=lenient, handling=strict"}, false}, // only the first counts
		{[]string{"handling=strict", "handling=lenient"}, true},
		{[]string{"handling"}, false},
		{[]string{"handling="}, false},
		{[]string{"handling=stricter"}, false},
		{[]string{"xhandling=strict"}, false},
		{[]string{`foo="a,handling=strict", bar`}, false}, // inside a quoted value
		{[]string{`foo="a\",handling=strict"`}, false},    // an escaped quote does not end it
		{[]string{`foo="a\"", handling=strict`}, true},
		{[]string{"strict"}, false},
		{[]string{""}, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.header {
			h.Add("Prefer", v)
		}
		if got := preferStrict(h); got != tt.want {
			t.Errorf("preferStrict(Prefer: %q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
