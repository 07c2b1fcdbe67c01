package customer

import (
	"testing"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

func TestDecodeBodyLoneSurrogates(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{`{"lastName":"a\ud83d\ude00b"}`, true}, // a pair: 😀
		{`{"lastName":"a\\ud800b"}`, true},      // an escaped backslash, then text
		{`{"lastName":"\u00e9\n\"\\"}`, true},
		{`{"lastName":"a\ud800b"}`, false},
		{`{"lastName":"a\udc00b"}`, false},
		{`{"lastName":"\ud800"}`, false},
		{`{"lastName":"\ud800\u0041"}`, false},
		{`{"\ud800":"x"}`, false},
		{`{"customFields":{"k":"\ude00\ud83d"}}`, false},
	}
	for _, tt := range tests {
		_, err := DecodeBody([]byte(tt.body))
		if tt.ok && err != nil {
			t.Errorf("DecodeBody(%s) = %v, want no error", tt.body, err)
		}
		if !tt.ok && fault.KindOf(err) != fault.BadRequest {
			t.Errorf("DecodeBody(%s) = %v, want a BadRequest error", tt.body, err)
		}
	}
}
