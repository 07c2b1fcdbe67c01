// Package fault is the one error model of the service: every failure that a client may see carries
// a Kind, chosen where the failure happens, and a message that is safe to show. The kinds' table
// (Kind.Status, Kind.Code) is the one place that says how each looks to a client: the HTTP layer
// renders it, and the CRM-sync consumer names its dead letters with the same codes.
package fault

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Kind classifies an error for the client. The zero value is Internal.
type Kind uint8

// The kinds, one per distinct client-visible outcome of docs/api.md; outcomes below gives each its
// status and FlexPortal code.
const (
	Internal                Kind = iota
	BadRequest                   // not a request at all: not JSON, a bad cursor, a bad header
	Validation                   // a *ValidationError: the body or the query fails the field rules
	NotCancellable               // cancel of an order that has or had subscriptions
	AlreadyCancelled             // cancel of a cancelled order
	AuthRequired                 // no Authorization header
	InvalidToken                 // an Authorization header that names no active key
	NoTenantAccess               // Tenant-ID missing, malformed, repeated or not granted to the key
	InsufficientPermissions      // the key lacks the route's scope
	NotFound                     // no such customer, order or route (in this tenant)
	MethodNotAllowed             // a known path asked with another method
	EmailExists                  // the email belongs to another customer of the tenant
	PendingOrders                // deactivation while the customer has a pending order
	CustomerInactive             // an order for an inactive customer
	IdempotencyInUse             // the same Idempotency-Key is still being processed
	Precondition                 // If-Match does not match
	TooLarge                     // a body over 64 KiB
	UnsupportedMedia             // a body that is not declared JSON
	IdempotencyReused            // the same Idempotency-Key with another body
	Unavailable                  // the database stayed throttled or unreachable
	CustomerErased               // a change or an order for an erased (or erasing) customer
	ActiveSubscriptions          // deactivation or erasure while the customer has an active subscription

	numKinds // the number of kinds: every kind below it has a row in outcomes
)

// outcome is how one Kind looks to a client.
type outcome struct {
	status  int
	code    string
	message string // the default message, shown when the error carries none
}

// outcomes is the one table from error kind to HTTP status and FlexPortal error code (docs/api.md,
// "Errors"). Nothing else maps kinds to statuses or codes.
var outcomes = map[Kind]outcome{
	Internal:                {http.StatusInternalServerError, "INTERNAL_ERROR", "An internal error occurred"},
	BadRequest:              {http.StatusBadRequest, "INVALID_REQUEST", "The request is invalid"},
	Validation:              {http.StatusBadRequest, "VALIDATION_ERROR", BodyInvalid},
	NotCancellable:          {http.StatusBadRequest, "ORDER_NOT_CANCELLABLE", "The order can no longer be cancelled"},
	AlreadyCancelled:        {http.StatusBadRequest, "ALREADY_CANCELLED", "The order is already cancelled"},
	AuthRequired:            {http.StatusUnauthorized, "AUTH_REQUIRED", "An Authorization header with a Bearer API key is required"},
	InvalidToken:            {http.StatusUnauthorized, "INVALID_TOKEN", "The API key is invalid or revoked"},
	NoTenantAccess:          {http.StatusForbidden, "NO_TENANT_ACCESS", "This API key has no access to the tenant"},
	InsufficientPermissions: {http.StatusForbidden, "INSUFFICIENT_PERMISSIONS", "This API key lacks the permission this request needs"},
	NotFound:                {http.StatusNotFound, "NOT_FOUND", "Not found"},
	MethodNotAllowed:        {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed"},
	EmailExists:             {http.StatusConflict, "EMAIL_ALREADY_EXISTS", "A customer with this email already exists"},
	PendingOrders:           {http.StatusConflict, "CUSTOMER_HAS_PENDING_ORDERS", "The customer has pending orders"},
	CustomerInactive:        {http.StatusConflict, "CUSTOMER_INACTIVE", "The customer is inactive"},
	IdempotencyInUse:        {http.StatusConflict, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still being processed"},
	Precondition:            {http.StatusPreconditionFailed, "PRECONDITION_FAILED", "The resource has changed since the given ETag"},
	TooLarge:                {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "The request body is larger than 64 KiB"},
	UnsupportedMedia:        {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"},
	IdempotencyReused:       {http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request body"},
	Unavailable:             {http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later"},
	CustomerErased:          {http.StatusConflict, "CUSTOMER_ERASED", "The customer is erased"},
	ActiveSubscriptions:     {http.StatusConflict, "CUSTOMER_HAS_ACTIVE_SUBSCRIPTIONS", "The customer has active subscriptions"},
}

// outcome returns k's row; a kind without one is shown as Internal.
func (k Kind) outcome() outcome {
	if o, ok := outcomes[k]; ok {
		return o
	}
	return outcomes[Internal]
}

// Status is the HTTP status of k.
func (k Kind) Status() int { return k.outcome().status }

// Code is the FlexPortal error code of k, such as NOT_FOUND.
func (k Kind) Code() string { return k.outcome().code }

// DefaultMessage is the message shown for k when the error carries none.
func (k Kind) DefaultMessage() string { return k.outcome().message }

// Kinds returns every kind of the table, in declaration order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds)
	for k := Internal; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// Error is a failure with a kind and a client-safe message. Err, when set, is the cause: it is
// logged, never shown.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

// E returns an *Error of kind k with a client-safe message.
func E(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Wrap returns an *Error of kind k with a client-safe message and a cause for the log.
func Wrap(k Kind, msg string, cause error) *Error { return &Error{Kind: k, Message: msg, Err: cause} }

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match two *Error values of the same kind and message, so package-level
// sentinels such as customer.ErrNotFound work through wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Message == e.Message
}

// KindOf returns the kind of the first *Error or *ValidationError in err's chain, or Internal.
func KindOf(err error) Kind {
	var v *ValidationError
	if errors.As(err, &v) {
		return Validation
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// IssueCode says what kind of rule a field broke: one of zod's issue codes, which FlexPortal
// answers in its validation details (docs/api.md, "Errors").
type IssueCode string

// The issue codes of docs/api.md.
const (
	InvalidType      IssueCode = "invalid_type"       // wrong JSON type, or a required key missing ("Required")
	InvalidString    IssueCode = "invalid_string"     // a string of the wrong format (an email)
	TooSmall         IssueCode = "too_small"          // a string, array or number under its minimum
	TooBig           IssueCode = "too_big"            // a string, array, object or number over its maximum
	InvalidEnumValue IssueCode = "invalid_enum_value" // a value outside an enumeration
	UnrecognizedKeys IssueCode = "unrecognized_keys"  // an unknown or read-only key
	Custom           IssueCode = "custom"             // any other rule
)

// IssueCodes lists every IssueCode.
var IssueCodes = []IssueCode{InvalidType, InvalidString, TooSmall, TooBig, InvalidEnumValue, UnrecognizedKeys, Custom}

// The top-level messages of a validation error.
const (
	BodyInvalid  = "Invalid request body"
	QueryInvalid = "Invalid query parameters"
)

// FieldError is one failing field of a request: its path (dotted, array indexes as numbers:
// items.0.quantity; a query parameter's name), what is wrong with it, and the rule's issue code.
type FieldError struct {
	Path    string    `json:"path"`
	Message string    `json:"message"`
	Code    IssueCode `json:"code"`
}

// ValidationError lists every failing field of a request, in the order they were found.
type ValidationError struct {
	// Message is the top-level message: BodyInvalid when empty.
	Message string
	Fields  []FieldError
}

// Add records that the field at path fails the rule of code, as message says.
func (v *ValidationError) Add(path string, code IssueCode, message string) {
	v.Fields = append(v.Fields, FieldError{Path: path, Message: message, Code: code})
}

// Addf records a failure with a formatted message.
func (v *ValidationError) Addf(path string, code IssueCode, format string, args ...any) {
	v.Add(path, code, fmt.Sprintf(format, args...))
}

// The rules below are shared by every parser; each records zod's own message for it, as
// FlexPortal answers it.

// Required records that the required key at path is missing: invalid_type, "Required".
func (v *ValidationError) Required(path string) { v.Add(path, InvalidType, "Required") }

// WrongType records that the value at path is of type received where expected is wanted:
// invalid_type, "Expected string, received number".
func (v *ValidationError) WrongType(path, expected, received string) {
	v.Add(path, InvalidType, "Expected "+expected+", received "+received)
}

// BadEnum records that the value at path, received, is none of allowed: invalid_enum_value,
// "Invalid enum value. Expected 'individual' | 'business', received 'vip'".
func (v *ValidationError) BadEnum(path, received string, allowed ...string) {
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = "'" + a + "'"
	}
	v.Add(path, InvalidEnumValue, "Invalid enum value. Expected "+strings.Join(quoted, " | ")+", received '"+clip(received)+"'")
}

// UnknownKey records that key, at path (its full path), is not one the object may have:
// unrecognized_keys, "Unrecognized key(s) in object: 'nickname'". Each key is its own detail, so
// that its path names it.
func (v *ValidationError) UnknownKey(path, key string) {
	v.Add(path, UnrecognizedKeys, "Unrecognized key(s) in object: '"+clip(key)+"'")
}

// maxQuoted is the most characters of a value sent that a message quotes: a message stays short
// whatever the request held.
const maxQuoted = 100

func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return string([]rune(s)[:maxQuoted]) + "…"
}

// Err returns v when it holds at least one field, and nil otherwise.
func (v *ValidationError) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

// Summary is the top-level message of v: Message, or BodyInvalid.
func (v *ValidationError) Summary() string {
	if v.Message == "" {
		return BodyInvalid
	}
	return v.Message
}

// Error is the summary with each failing path and its issue code, never the messages: those may
// quote the values sent, and this text goes to logs and dead-letter queues.
func (v *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(v.Summary())
	for i, f := range v.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q (%s)", f.Path, f.Code)
	}
	return b.String()
}

// Path joins JSON path elements: Path("billingAddress", "city") is "billingAddress.city".
func Path(parts ...string) string { return strings.Join(parts, ".") }
