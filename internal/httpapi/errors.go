package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/flexportal-compat/customers-api/internal/fault"
)

// retryAfter is the Retry-After of a 503, in seconds: the DynamoDB store has already retried for
// up to its budget (dynamo.RetryPolicy, 2.5 s), so the client waits a little longer than that.
const retryAfter = "3"

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string             `json:"code"`
	Message string             `json:"message"`
	Details []fault.FieldError `json:"details,omitempty"`
}

// statusClientClosed is the status logged for a request whose client went away before it was
// answered (nginx's 499): not a failure of the service, so never a 500 in the logs or metrics.
const statusClientClosed = 499

// codeClientClosed is the error code logged with statusClientClosed; no client ever reads it.
const codeClientClosed = "CLIENT_CLOSED_REQUEST"

// writeError is the only writer of error bodies, rendering fault's table (Kind.Status,
// Kind.Code). The message shown is the error's client-safe message; for Internal and Unavailable
// it is always the generic one, and the cause is logged.
func writeError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client closed the connection (or the Lambda invocation was abandoned): whatever
		// failed failed because of that. Nobody reads this answer; the status is for the log.
		log.LogAttrs(r.Context(), slog.LevelInfo, "client closed the request",
			slog.String("requestId", requestIDOf(r.Context())))
		recordCode(w, codeClientClosed)
		w.WriteHeader(statusClientClosed)
		return
	}
	kind := fault.KindOf(err)
	body := errorDetail{Code: kind.Code(), Message: kind.DefaultMessage()}
	recordCode(w, body.Code)
	var v *fault.ValidationError
	var fe *fault.Error
	switch {
	case kind.Status() >= 500:
		// Internal, Unavailable, and any kind without a row: nothing of the cause is shown.
		level := slog.LevelError
		if kind == fault.Unavailable {
			level = slog.LevelWarn
			w.Header().Set("Retry-After", retryAfter)
		}
		log.LogAttrs(r.Context(), level, "request failed",
			slog.String("requestId", requestIDOf(r.Context())),
			slog.String("code", body.Code),
			slog.String("error", err.Error()))
	case errors.As(err, &v):
		body.Message = v.Summary()
		body.Details = v.Fields
	case errors.As(err, &fe) && fe.Message != "":
		body.Message = fe.Message
	}
	writeJSON(w, kind.Status(), errorBody{Error: body})
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
