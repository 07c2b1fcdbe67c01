package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// outcome is how one fault.Kind looks on the wire.
type outcome struct {
	status  int
	code    string
	message string // the default message, used when the error carries none
}

// outcomes is the one table from error kind to HTTP status and FlexPortal code.
var outcomes = map[fault.Kind]outcome{
	fault.Internal:          {http.StatusInternalServerError, "INTERNAL_ERROR", "An internal error occurred"},
	fault.BadRequest:        {http.StatusBadRequest, "INVALID_REQUEST", "The request is invalid"},
	fault.Unauthorized:      {http.StatusUnauthorized, "UNAUTHORIZED", "A valid API key is required"},
	fault.Forbidden:         {http.StatusForbidden, "FORBIDDEN", "This API key may not perform this request"},
	fault.NotFound:          {http.StatusNotFound, "NOT_FOUND", "No such route"},
	fault.CustomerNotFound:  {http.StatusNotFound, "CUSTOMER_NOT_FOUND", "Customer not found"},
	fault.OrderNotFound:     {http.StatusNotFound, "ORDER_NOT_FOUND", "Order not found"},
	fault.MethodNotAllowed:  {http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed"},
	fault.EmailExists:       {http.StatusConflict, "EMAIL_ALREADY_EXISTS", "A customer with this email already exists"},
	fault.PendingOrders:     {http.StatusConflict, "CUSTOMER_HAS_PENDING_ORDERS", "The customer has pending orders"},
	fault.CustomerInactive:  {http.StatusConflict, "CUSTOMER_INACTIVE", "The customer is inactive"},
	fault.NotCancellable:    {http.StatusConflict, "ORDER_NOT_CANCELLABLE", "Only a pending order can be cancelled"},
	fault.AlreadyCancelled:  {http.StatusConflict, "ALREADY_CANCELLED", "The order is already cancelled"},
	fault.IdempotencyInUse:  {http.StatusConflict, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still being processed"},
	fault.Precondition:      {http.StatusPreconditionFailed, "PRECONDITION_FAILED", "The resource has changed since the given ETag"},
	fault.TooLarge:          {http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "The request body is larger than 64 KiB"},
	fault.UnsupportedMedia:  {http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"},
	fault.Validation:        {http.StatusUnprocessableEntity, "VALIDATION_ERROR", "The request is invalid"},
	fault.IdempotencyReused: {http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request body"},
	fault.Unavailable:       {http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later"},
}

// retryAfter is the Retry-After of a 503, in seconds: the stores have already retried with
// backoff, so the client should wait a little longer than that.
const retryAfter = "2"

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Details []fault.FieldError `json:"details,omitempty"`
}

// writeError is the only writer of error bodies. The message shown is the error's client-safe
// message; for Internal and Unavailable it is always the generic one, and the cause is logged.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	kind := fault.KindOf(err)
	out, ok := outcomes[kind]
	if !ok {
		kind, out = fault.Internal, outcomes[fault.Internal]
	}
	body := errorDetail{Code: out.code, Message: out.message}
	var v *fault.ValidationError
	var fe *fault.Error
	switch {
	case kind == fault.Internal || kind == fault.Unavailable:
		level := slog.LevelError
		if kind == fault.Unavailable {
			level = slog.LevelWarn
			w.Header().Set("Retry-After", retryAfter)
		}
		log.LogAttrs(r.Context(), level, "request failed",
			slog.String("requestId", requestIDOf(r.Context())),
			slog.String("code", out.code),
			slog.String("error", err.Error()))
	case errors.As(err, &v):
		body.Message = v.Error()
		body.Details = v.Fields
	case errors.As(err, &fe) && fe.Message != "":
		body.Message = fe.Message
	}
	writeJSON(w, out.status, errorBody{Error: body})
}

// writeJSON writes v as the response body with status. Content-Type was set by begin.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a bug (a value that cannot be marshalled) gets here; answer in the contract's shape.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"INTERNAL_ERROR","message":"An internal error occurred"}}`)
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
