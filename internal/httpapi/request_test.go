package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseIfMatch(t *testing.T) {
	const current = 7
	tests := []struct {
		header    []string
		want      int64 // 0: nil (no precondition)
		wantReads int
	}{
		{nil, 0, 0},
		{[]string{"*"}, 0, 0},
		{[]string{`"3", *`}, 0, 0},
		{[]string{`"3"`}, 3, 0},
		{[]string{`W/"3"`}, -1, 0},
		{[]string{`W/"7"`}, -1, 0},
		{[]string{`W/"7", *`}, 0, 0},
		{[]string{` "3" `}, 3, 0},
		{[]string{`"03"`}, -1, 0},
		{[]string{`"-3"`}, -1, 0},
		{[]string{`"0"`}, -1, 0},
		{[]string{`3`}, -1, 0},
		{[]string{`""`}, -1, 0},
		{[]string{`"x"`}, -1, 0},
		{[]string{`"99999999999999999999"`}, -1, 0},
		{[]string{`"3", "x"`}, 3, 0},
		{[]string{`"3", "7"`}, 7, 1},
		{[]string{`"3"`, `W/"7"`}, 3, 0},
		{[]string{`"3"`, `W/"7"`, `"7"`}, 7, 1},
		{[]string{`"3", "4"`}, -1, 1},
	}
	for _, tt := range tests {
		reads := 0
		got, err := ifMatch(tt.header, func() (int64, error) { reads++; return current, nil })
		var gotV int64
		if got != nil {
			gotV = *got
		}
		if err != nil || gotV != tt.want || reads != tt.wantReads {
			t.Errorf("ifMatch(%q) = %d, %v with %d reads, want %d, nil with %d reads", tt.header, gotV, err, reads, tt.want, tt.wantReads)
		}
	}
	boom := errors.New("boom")
	if _, err := ifMatch([]string{`"1", "2"`}, func() (int64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("ifMatch with failing read = %v, want %v", err, boom)
	}
}

func TestBearer(t *testing.T) {
	tests := []struct {
		header, want string
		ok           bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer a b", "", false},
		{"Basic abc", "", false},
		{"abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := bearer(tt.header); got != tt.want || ok != tt.ok {
			t.Errorf("bearer(%q) = %q, %v, want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzIfMatch(f *testing.F) {
	for _, s := range []string{`"1"`, `W/"2", "3"`, "*", `"`, `W/`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, err := ifMatch([]string{h}, func() (int64, error) { return 5, nil })
		if err != nil {
			t.Fatalf("ifMatch(%q) = %v", h, err)
		}
		if got != nil && *got != -1 && *got < 1 {
			t.Errorf("ifMatch(%q) = %d, want nil, -1 or a positive version", h, *got)
		}
		if got != nil && *got > 0 && !strings.Contains(h, `"`) {
			t.Errorf("ifMatch(%q) = %d without a quoted tag", h, *got)
		}
	})
}

func FuzzIdempotencyKey(f *testing.F) {
	f.Add("abc")
	f.Add("")
	f.Fuzz(func(t *testing.T, k string) {
		got, err := idempotencyKey(http.Header{"Idempotency-Key": {k}})
		if err == nil && (got != k || len(k) < 1 || len(k) > 255 || strings.ContainsFunc(k, func(r rune) bool { return r < 0x20 || r > 0x7e })) {
			t.Errorf("idempotencyKey(%q) accepted %q", k, got)
		}
	})
}
