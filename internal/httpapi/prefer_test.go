package httpapi

import (
	"maps"
	"net/http/httptest"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/customer"
)

func TestPreferences(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  map[string]string
	}{
		{"none", nil, map[string]string{}},
		{"one", []string{"handling=strict"}, map[string]string{"handling": "strict"}},
		{"names are case-insensitive", []string{"Handling=strict"}, map[string]string{"handling": "strict"}},
		{"values keep their case", []string{"HANDLING=Strict"}, map[string]string{"handling": "Strict"}},
		{"white space around the =", []string{"handling = strict"}, map[string]string{"handling": "strict"}},
		{"quoted value", []string{`handling="strict"`}, map[string]string{"handling": "strict"}},
		{"quoted-pair", []string{`x="a\"b,c"`}, map[string]string{"x": `a"b,c`}},
		{"a list", []string{"respond-async, wait=10 ,handling=strict"}, map[string]string{"respond-async": "", "wait": "10", "handling": "strict"}},
		{"parameters are skipped", []string{`handling=strict; foo="a,b;c"; bar, return=minimal`}, map[string]string{"handling": "strict", "return": "minimal"}},
		{"the first of two counts", []string{"handling=lenient", "handling=strict"}, map[string]string{"handling": "lenient"}},
		{"the first of two in one line counts", []string{"handling=strict, handling=lenient"}, map[string]string{"handling": "strict"}},
		{"a name inside a quoted parameter is no preference", []string{`return=minimal; note="handling=strict"`}, map[string]string{"return": "minimal"}},
		{"empty elements", []string{" , ,handling=strict,"}, map[string]string{"handling": "strict"}},
		{"a bad preference is ignored, the next one read", []string{`handling=strict x, wait=5`, `a="unterminated`}, map[string]string{"wait": "5"}},
		{"empty value", []string{"handling="}, map[string]string{"handling": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := preferences(tt.lines); !maps.Equal(got, tt.want) {
				t.Errorf("preferences(%q) = %v, want %v", tt.lines, got, tt.want)
			}
		})
	}
}

func TestHandling(t *testing.T) {
	tests := []struct {
		prefer []string
		want   customer.Handling
	}{
		{nil, customer.Lenient},
		{[]string{"handling=strict"}, customer.Strict},
		{[]string{"HANDLING=STRICT"}, customer.Strict},
		{[]string{`respond-async, handling="strict"`}, customer.Strict},
		{[]string{"handling=lenient"}, customer.Lenient},
		{[]string{"handling=lenient", "handling=strict"}, customer.Lenient},
		{[]string{"handling=strictly"}, customer.Lenient},
		{[]string{"strict"}, customer.Lenient},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("PUT", "/", nil)
		r.Header["Prefer"] = tt.prefer
		w := httptest.NewRecorder()
		got := handling(w, r)
		applied := w.Header().Get("Preference-Applied")
		wantApplied := map[customer.Handling]string{customer.Strict: "handling=strict"}[tt.want]
		if got != tt.want || applied != wantApplied {
			t.Errorf("handling(Prefer: %q) = %v, Preference-Applied %q; want %v, %q", tt.prefer, got, applied, tt.want, wantApplied)
		}
	}
}
