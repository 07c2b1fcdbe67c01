// Package fault is the one error model of the service: every failure that a client may see carries
// a Kind, chosen where the failure happens, and a message that is safe to show. The HTTP layer maps
// kinds to status codes and FlexPortal error codes in exactly one table.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for the client. The zero value is Internal.
type Kind uint8

// The kinds, one per distinct client-visible outcome of API.md.
const (
	Internal          Kind = iota // 500 INTERNAL_ERROR
	BadRequest                    // 400 INVALID_REQUEST
	Unauthorized                  // 401 UNAUTHORIZED
	Forbidden                     // 403 FORBIDDEN
	NotFound                      // 404 NOT_FOUND (unknown route)
	CustomerNotFound              // 404 CUSTOMER_NOT_FOUND
	OrderNotFound                 // 404 ORDER_NOT_FOUND
	MethodNotAllowed              // 405 METHOD_NOT_ALLOWED
	EmailExists                   // 409 EMAIL_ALREADY_EXISTS
	PendingOrders                 // 409 CUSTOMER_HAS_PENDING_ORDERS
	CustomerInactive              // 409 CUSTOMER_INACTIVE
	NotCancellable                // 409 ORDER_NOT_CANCELLABLE
	AlreadyCancelled              // 409 ALREADY_CANCELLED
	IdempotencyInUse              // 409 IDEMPOTENCY_KEY_IN_USE
	Precondition                  // 412 PRECONDITION_FAILED
	TooLarge                      // 413 PAYLOAD_TOO_LARGE
	UnsupportedMedia              // 415 UNSUPPORTED_MEDIA_TYPE
	Validation                    // 422 VALIDATION_ERROR
	IdempotencyReused             // 422 IDEMPOTENCY_KEY_REUSED
	Unavailable                   // 503 SERVICE_UNAVAILABLE
)

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

// FieldError is one failing field of a request: its JSON path and what is wrong with it.
type FieldError struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

// ValidationError lists every failing field of a request, in the order they were found.
type ValidationError struct {
	Fields []FieldError
}

// Add records that field fails with issue.
func (v *ValidationError) Add(field, issue string) {
	v.Fields = append(v.Fields, FieldError{Field: field, Issue: issue})
}

// Addf records that field fails with a formatted issue.
func (v *ValidationError) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Err returns v when it holds at least one field, and nil otherwise.
func (v *ValidationError) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	if len(v.Fields) == 1 {
		return "1 field is invalid"
	}
	return fmt.Sprintf("%d fields are invalid", len(v.Fields))
}

// Path joins JSON path elements: Path("billingAddress", "city") is "billingAddress.city".
func Path(parts ...string) string { return strings.Join(parts, ".") }
