package crmsync

import (
	"errors"
	"strings"
	"testing"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
)

func TestParseMessage(t *testing.T) {
	const id = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
	tests := []struct {
		name        string
		body        string
		wantIfMatch int64 // 0: none
		wantChanges string
		wantErr     string // "" for success
	}{
		{"minimal", `{"tenantId":"t1","customerId":"` + id + `","changes":{"firstName":"A"}}`, 0, `{"firstName":"A"}`, ""},
		{"changes kept byte for byte", `{"changes":{ "customFields" : {"n": 1.50} },"customerId":"` + id + `","tenantId":"t1"}`, 0, `{ "customFields" : {"n": 1.50} }`, ""},
		{"ifMatch", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":12}`, 12, `{}`, ""},
		{"ifMatch null", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":null}`, 0, `{}`, ""},
		{"empty", ``, 0, "", "body is empty"},
		{"not UTF-8", "{\"tenantId\":\"\xff\"}", 0, "", "not valid UTF-8"},
		{"trailing data", `{"tenantId":"t1","customerId":"` + id + `","changes":{}} {}`, 0, "", "not valid JSON"},
		{"array", `[]`, 0, "", "must be a JSON object"},
		{"duplicate envelope key", `{"tenantId":"t1","tenantId":"t2","customerId":"` + id + `","changes":{}}`, 0, "", "duplicate key"},
		{"unknown field", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"etag":"\"1\""}`, 0, "", `unknown field "etag"`},
		{"field names are case-sensitive", `{"TenantId":"t1","customerId":"` + id + `","changes":{}}`, 0, "", `unknown field "TenantId"`},
		{"tenantId missing", `{"customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be a string"},
		{"tenantId null", `{"tenantId":null,"customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be a string"},
		{"tenantId empty", `{"tenantId":"","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"tenantId padded", `{"tenantId":" t1","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"tenantId control character", `{"tenantId":"t\u00001","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"tenantId with a comma", `{"tenantId":"t1,t2","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"tenantId blank", `{"tenantId":"  ","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"tenantId with a key separator", `{"tenantId":"t#1","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"tenantId too long", `{"tenantId":"` + strings.Repeat("t", auth.MaxTenantLen+1) + `","customerId":"` + id + `","changes":{}}`, 0, "", "tenantId must be 1 to 64"},
		{"customerId missing", `{"tenantId":"t1","changes":{}}`, 0, "", "customerId must be a string"},
		{"customerId a number", `{"tenantId":"t1","customerId":1,"changes":{}}`, 0, "", "customerId must be a string"},
		{"customerId not an id", `{"tenantId":"t1","customerId":"cust_1","changes":{}}`, 0, "", "customerId must be a customer id"},
		{"changes missing", `{"tenantId":"t1","customerId":"` + id + `"}`, 0, "", "changes must be a JSON object"},
		{"changes a string", `{"tenantId":"t1","customerId":"` + id + `","changes":"{}"}`, 0, "", "changes must be a JSON object"},
		{"changes too large", `{"tenantId":"t1","customerId":"` + id + `","changes":{"firstName":"` + strings.Repeat("a", customer.MaxBodyBytes) + `"}}`, 0, "", "changes must be at most"},
		{"ifMatch a string", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":"1"}`, 0, "", "ifMatch must be a version"},
		{"ifMatch zero", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":0}`, 0, "", "ifMatch must be a version"},
		{"ifMatch negative", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":-1}`, 0, "", "ifMatch must be a version"},
		{"ifMatch fraction", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":1.5}`, 0, "", "ifMatch must be a version"},
		{"ifMatch exponent", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":1e2}`, 0, "", "ifMatch must be a version"},
		{"ifMatch too large", `{"tenantId":"t1","customerId":"` + id + `","changes":{},"ifMatch":99999999999999999999}`, 0, "", "ifMatch must be a version"},
		{"several problems", `{"tenantId":1,"customerId":2,"changes":3}`, 0, "", "changes must be a JSON object; customerId must be a string; tenantId must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage([]byte(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseMessage(%.80s) error = %v, want ErrMalformed containing %q", tt.body, err, tt.wantErr)
				}
				if !Permanent(err) {
					t.Errorf("Permanent(%v) = false, want true", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMessage(%s) = %v", tt.body, err)
			}
			if m.TenantID != "t1" || m.CustomerID != id || string(m.Changes) != tt.wantChanges {
				t.Errorf("ParseMessage(%s) = %+v (changes %s), want t1, %s, changes %s", tt.body, m, m.Changes, id, tt.wantChanges)
			}
			switch {
			case tt.wantIfMatch == 0 && m.IfMatch != nil:
				t.Errorf("ifMatch = %d, want none", *m.IfMatch)
			case tt.wantIfMatch != 0 && (m.IfMatch == nil || *m.IfMatch != tt.wantIfMatch):
				t.Errorf("ifMatch = %v, want %d", m.IfMatch, tt.wantIfMatch)
			}
		})
	}
}

// FuzzParseMessage: any body either parses into a message whose fields hold the rules, or fails
// as malformed; it never panics.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(`{"tenantId":"t1","customerId":"cust_01JD5X9K3M4N5P6Q7R8S9T0V1W","changes":{"firstName":"A"},"ifMatch":3}`))
	f.Add([]byte(`{"tenantId":"t1","customerId":"cust_01JD5X9K3M4N5P6Q7R8S9T0V1W","changes":{"a":{"a":1,"a":2}}}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseMessage(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseMessage(%q) error %v does not wrap ErrMalformed", body, err)
			}
			return
		}
		if !auth.ValidTenant(m.TenantID) || len(m.Changes) == 0 || (m.IfMatch != nil && *m.IfMatch < 1) {
			t.Fatalf("ParseMessage(%q) = %+v, which breaks the envelope rules", body, m)
		}
	})
}

// TestParseMessageTenantRule: a message names its tenant by the rule every key is granted
// tenants by (auth.ValidTenant), up to its longest.
func TestParseMessageTenantRule(t *testing.T) {
	const id = "cust_01JD5X9K3M4N5P6Q7R8S9T0V1W"
	for _, tenant := range []string{strings.Repeat("t", auth.MaxTenantLen), "acme.eu:prod-1_a"} {
		m, err := ParseMessage([]byte(`{"tenantId":"` + tenant + `","customerId":"` + id + `","changes":{}}`))
		if err != nil || m.TenantID != tenant {
			t.Errorf("ParseMessage(tenant %q) = %q, %v; want it, nil", tenant, m.TenantID, err)
		}
	}
}
