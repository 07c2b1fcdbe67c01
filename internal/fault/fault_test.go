package fault

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestEveryKindHasARow: the table covers every kind, and nothing else.
func TestEveryKindHasARow(t *testing.T) {
	for _, k := range Kinds() {
		if _, ok := outcomes[k]; !ok {
			t.Errorf("kind %d has no row in the table", k)
		}
	}
	if len(outcomes) != len(Kinds()) {
		t.Errorf("the table has %d rows, there are %d kinds", len(outcomes), len(Kinds()))
	}
}

// TestTable pins the rows docs/api.md's "Errors" decides, so that a slip in the table shows here.
func TestTable(t *testing.T) {
	tests := []struct {
		kind   Kind
		status int
		code   string
	}{
		{Internal, 500, "INTERNAL_ERROR"},
		{BadRequest, 400, "INVALID_REQUEST"},
		{Validation, 400, "VALIDATION_ERROR"},
		{NotCancellable, 400, "ORDER_NOT_CANCELLABLE"},
		{AlreadyCancelled, 400, "ALREADY_CANCELLED"},
		{AuthRequired, 401, "AUTH_REQUIRED"},
		{InvalidToken, 401, "INVALID_TOKEN"},
		{NoTenantAccess, 403, "NO_TENANT_ACCESS"},
		{InsufficientPermissions, 403, "INSUFFICIENT_PERMISSIONS"},
		{NotFound, 404, "NOT_FOUND"},
		{MethodNotAllowed, 405, "METHOD_NOT_ALLOWED"},
		{EmailExists, 409, "EMAIL_ALREADY_EXISTS"},
		{PendingOrders, 409, "CUSTOMER_HAS_PENDING_ORDERS"},
		{CustomerInactive, 409, "CUSTOMER_INACTIVE"},
		{IdempotencyInUse, 409, "IDEMPOTENCY_KEY_IN_USE"},
		{Precondition, 412, "PRECONDITION_FAILED"},
		{TooLarge, 413, "PAYLOAD_TOO_LARGE"},
		{UnsupportedMedia, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{IdempotencyReused, 422, "IDEMPOTENCY_KEY_REUSED"},
		{Unavailable, 503, "SERVICE_UNAVAILABLE"},
		{CustomerErased, 409, "CUSTOMER_ERASED"},
		{ActiveSubscriptions, 409, "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS"},
		{numKinds + 7, 500, "INTERNAL_ERROR"}, // a kind without a row shows as internal
	}
	if len(tests) != len(Kinds())+1 {
		t.Errorf("%d rows tested, %d kinds: test every kind", len(tests)-1, len(Kinds()))
	}
	for _, tt := range tests {
		if got, gotCode := tt.kind.Status(), tt.kind.Code(); got != tt.status || gotCode != tt.code {
			t.Errorf("kind %d: %d %s, want %d %s", tt.kind, got, gotCode, tt.status, tt.code)
		}
		if tt.kind.DefaultMessage() == "" {
			t.Errorf("kind %d has no default message", tt.kind)
		}
		if http.StatusText(tt.status) == "" {
			t.Errorf("kind %d: %d is not an HTTP status", tt.kind, tt.status)
		}
	}
}

func TestKindOf(t *testing.T) {
	v := &ValidationError{}
	v.Add("a", Custom, "bad")
	tests := []struct {
		err  error
		want Kind
	}{
		{nil, Internal},
		{errors.New("plain"), Internal},
		{fmt.Errorf("wrapped: %w", E(NotFound, "Customer not found")), NotFound},
		{fmt.Errorf("wrapped: %w", v), Validation},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestValidationError(t *testing.T) {
	var v ValidationError
	if v.Err() != nil {
		t.Errorf("empty ValidationError.Err() = %v, want nil", v.Err())
	}
	v.Add("customer.email", InvalidString, "Invalid email format")
	v.Addf("items.0.quantity", TooSmall, "Number must be greater than or equal to %d", 1)
	want := []FieldError{
		{Path: "customer.email", Message: "Invalid email format", Code: InvalidString},
		{Path: "items.0.quantity", Message: "Number must be greater than or equal to 1", Code: TooSmall},
	}
	if len(v.Fields) != 2 || v.Fields[0] != want[0] || v.Fields[1] != want[1] {
		t.Errorf("Fields = %+v, want %+v", v.Fields, want)
	}
	if got := v.Summary(); got != BodyInvalid {
		t.Errorf("Summary() = %q, want %q", got, BodyInvalid)
	}
	// The error text names paths and codes, never messages (which may quote what was sent).
	if got, want := v.Error(), `Invalid request body: "customer.email" (invalid_string), "items.0.quantity" (too_small)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	q := ValidationError{Message: QueryInvalid}
	q.Add("limit", TooBig, "Number must be less than or equal to 100")
	if got := q.Summary(); got != QueryInvalid {
		t.Errorf("Summary() = %q, want %q", got, QueryInvalid)
	}
}

func TestSharedRules(t *testing.T) {
	var v ValidationError
	v.Required("billingAddress.city")
	v.WrongType("firstName", "string", "number")
	v.BadEnum("customerType", "vip", "individual", "business")
	v.UnknownKey("nickname", "nickname")
	long := strings.Repeat("é", 150)
	v.UnknownKey(long, long)
	want := []FieldError{
		{"billingAddress.city", "Required", InvalidType},
		{"firstName", "Expected string, received number", InvalidType},
		{"customerType", "Invalid enum value. Expected 'individual' | 'business', received 'vip'", InvalidEnumValue},
		{"nickname", "Unrecognized key(s) in object: 'nickname'", UnrecognizedKeys},
		// The path is the key in full; the message quotes at most 100 characters of it.
		{long, "Unrecognized key(s) in object: '" + strings.Repeat("é", 100) + "…'", UnrecognizedKeys},
	}
	if !slices.Equal(v.Fields, want) {
		t.Errorf("Fields = %+v,\nwant %+v", v.Fields, want)
	}
}
