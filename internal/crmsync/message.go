package crmsync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// Message is one customer change sent by the CRM, the body of one SQS message:
//
//	{"tenantId": "...", "customerId": "cust_...", "changes": {...}, "ifMatch": 7}
//
// Changes is exactly a body of PUT /v1/customers/{customerId}; IfMatch, when given, is the version
// the customer must still have (the HTTP API's If-Match).
type Message struct {
	TenantID   string
	CustomerID string
	Changes    json.RawMessage
	IfMatch    *int64
}

// ErrMalformed is the error of a message whose envelope is not a Message. It is permanent: the
// same body fails the same way however often it is received.
var ErrMalformed = errors.New("crmsync: malformed message")

// ParseMessage strictly decodes the body of a message: one JSON object (no duplicate keys at any
// depth) with exactly the fields tenantId (a tenant id as auth.ParseTenant reads a Tenant-ID
// header — not empty, no comma — already trimmed, without control characters, at most 200
// characters), customerId (a customer id, cust_ + ULID),
// changes (a JSON object) and optionally ifMatch (a version, an integer ≥ 1; null is the same as
// absent). Any other field or type fails with an error wrapping ErrMalformed, whose text names
// fields but never echoes values. The changes themselves are validated by customer.ParsePatch.
func ParseMessage(body []byte) (Message, error) {
	obj, err := customer.DecodeBody(body)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return Message{}, fmt.Errorf("%w: %s", ErrMalformed, strings.Replace(fe.Message, "Request body", "body", 1))
		}
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var problems []string
	for k := range obj {
		switch k {
		case "tenantId", "customerId", "changes", "ifMatch":
		default:
			problems = append(problems, fmt.Sprintf("unknown field %q", clip(k, 40)))
		}
	}
	var m Message
	switch t, ok := obj["tenantId"].(string); {
	case !ok:
		problems = append(problems, "tenantId must be a string")
	case !auth.ValidTenant(t):
		problems = append(problems, fmt.Sprintf("tenantId must be 1 to %d ASCII letters, digits or . _ : - characters", auth.MaxTenantLen))
	default:
		m.TenantID = t
	}
	switch id, ok := obj["customerId"].(string); {
	case !ok:
		problems = append(problems, "customerId must be a string")
	case !customer.ValidID(id):
		problems = append(problems, "customerId must be a customer id (cust_ and a ULID)")
	default:
		m.CustomerID = id
	}
	if _, ok := obj["changes"].(map[string]any); !ok {
		problems = append(problems, "changes must be a JSON object")
	} else {
		// The keys are known to be unique, so this picks the one changes member, byte for byte.
		var raw struct {
			Changes json.RawMessage `json:"changes"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		// The HTTP API's body limit, so that the queue cannot write what PUT would refuse.
		if len(raw.Changes) > customer.MaxBodyBytes {
			problems = append(problems, fmt.Sprintf("changes must be at most %d bytes", customer.MaxBodyBytes))
		}
		m.Changes = raw.Changes
	}
	if v, ok := obj["ifMatch"]; ok && v != nil {
		n, ok := version(v)
		if !ok {
			problems = append(problems, "ifMatch must be a version number (an integer of at least 1)")
		}
		m.IfMatch = n
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return Message{}, fmt.Errorf("%w: %s", ErrMalformed, strings.Join(problems, "; "))
	}
	return m, nil
}

// version returns the integer ≥ 1 that v (a json.Number) holds.
func version(v any) (*int64, bool) {
	n, ok := v.(json.Number)
	if !ok || bytes.ContainsAny([]byte(n), ".eE-+") {
		return nil, false
	}
	i, err := n.Int64()
	if err != nil || i < 1 {
		return nil, false
	}
	return &i, true
}

// clip shortens s to at most n runes, for messages about client-chosen names.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
