package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

func TestParseIfMatch(t *testing.T) {
	none := customer.IfMatch{} // only tags that match no version
	tests := []struct {
		header []string
		want   customer.IfMatch // nil: no precondition
	}{
		{nil, nil},
		{[]string{"*"}, nil},
		{[]string{`"3", *`}, nil},
		{[]string{`"3"`}, customer.IfMatch{3}},
		{[]string{`W/"3"`}, none},
		{[]string{`W/"7"`}, none},
		{[]string{`W/"7", *`}, nil},
		{[]string{` "3" `}, customer.IfMatch{3}},
		{[]string{`"03"`}, none},
		{[]string{`"-3"`}, none},
		{[]string{`"0"`}, none},
		{[]string{`3`}, none},
		{[]string{`""`}, none},
		{[]string{`"x"`}, none},
		{[]string{`"99999999999999999999"`}, none},
		{[]string{`"3", "x"`}, customer.IfMatch{3}},
		{[]string{`"3", "7"`}, customer.IfMatch{3, 7}},
		{[]string{`"3", "3"`}, customer.IfMatch{3}},
		{[]string{`"3"`, `W/"7"`}, customer.IfMatch{3}},
		{[]string{`"3"`, `W/"7"`, `"7"`}, customer.IfMatch{3, 7}},
	}
	for _, tt := range tests {
		got, err := ifMatch(tt.header)
		if err != nil || !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("ifMatch(%q) = %#v, %v, want %#v, nil", tt.header, got, err, tt.want)
		}
	}
	tags := make([]string, customer.MaxIfMatchTags+1)
	for i := range tags {
		tags[i] = fmt.Sprintf(`"%d"`, i+1)
	}
	if got, err := ifMatch(tags[:customer.MaxIfMatchTags]); err != nil || len(got) != customer.MaxIfMatchTags {
		t.Errorf("ifMatch(%d tags) = %d versions, %v, want %d, nil", customer.MaxIfMatchTags, len(got), err, customer.MaxIfMatchTags)
	}
	if _, err := ifMatch(tags); fault.KindOf(err) != fault.BadRequest {
		t.Errorf("ifMatch(%d tags) error kind = %v, want BadRequest", len(tags), fault.KindOf(err))
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
		got, err := ifMatch([]string{h})
		if err != nil {
			if fault.KindOf(err) != fault.BadRequest || strings.Count(h, ",") < customer.MaxIfMatchTags {
				t.Fatalf("ifMatch(%q) = %v", h, err)
			}
			return
		}
		for _, v := range got {
			if v < 1 {
				t.Errorf("ifMatch(%q) = %v, want only positive versions", h, got)
			}
		}
		if len(got) > 0 && !strings.Contains(h, `"`) {
			t.Errorf("ifMatch(%q) = %v without a quoted tag", h, got)
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
