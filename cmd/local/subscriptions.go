package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/rental"
)

// pathSubscriptionEvents is where cmd/local takes subscription events (docs/api.md, "Rental
// state") the way the rental-events function takes them from its queue in AWS: one event, or a
// JSON array of them, each applied by the store as the function applies it. Not an API route:
// a deployed stack has no such path.
const pathSubscriptionEvents = "/local/subscription-events"

// maxEventsBody bounds a POST to pathSubscriptionEvents.
const maxEventsBody = 1 << 20

// rentalApplier applies one subscription event: both stores' ApplyRentalEvent.
type rentalApplier interface {
	APIKey(ctx context.Context, hash string) (auth.Key, error)
	ApplyRentalEvent(ctx context.Context, ev rental.Event) (rental.Change, error)
}

// eventOutcome is what became of one event, in the answer of pathSubscriptionEvents.
type eventOutcome struct {
	ID      string `json:"id"`
	Event   string `json:"event"`
	Outcome string `json:"outcome"` // applied, repeat (its id was applied before), unchanged (a move its state cannot make)
}

// subscriptionEvents serves POST pathSubscriptionEvents: the events are applied in order, and
// each must be for a tenant the request's API key (Authorization: Bearer, customers:write) is
// granted. The first event that cannot be applied stops the batch with the error the
// rental-events function would dead-letter it with (400 VALIDATION_ERROR or INVALID_REQUEST, 404
// NOT_FOUND for an unknown customer); the events before it stay applied.
func subscriptionEvents(s rentalApplier) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || bearer == "" {
			writeLocalError(w, auth.ErrAuthRequired)
			return
		}
		key, err := s.APIKey(ctx, auth.Hash(bearer))
		if err != nil || key.Status != auth.StatusActive {
			writeLocalError(w, auth.ErrInvalidToken)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxEventsBody+1))
		if err != nil || len(body) > maxEventsBody {
			writeLocalError(w, fault.E(fault.TooLarge, "The events are larger than 1 MiB"))
			return
		}
		var raws []json.RawMessage
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
			if err := json.Unmarshal(trimmed, &raws); err != nil {
				writeLocalError(w, fault.E(fault.BadRequest, "The body is not a JSON array of events"))
				return
			}
		} else {
			raws = []json.RawMessage{body}
		}
		out := []eventOutcome{}
		for _, raw := range raws {
			ev, err := rental.Parse(raw)
			if errors.Is(err, rental.ErrMalformed) {
				err = fault.Wrap(fault.BadRequest, "An event is not a JSON object of the event's shape", err)
			}
			if err == nil && !key.Granted(ev.TenantID, auth.CustomersWrite) {
				err = auth.ErrNoTenantAccess
			}
			var ch rental.Change
			if err == nil {
				ch, err = s.ApplyRentalEvent(ctx, ev)
			}
			if err != nil {
				writeLocalError(w, err)
				return
			}
			o := eventOutcome{ID: ev.ID, Event: string(ev.Event), Outcome: "applied"}
			switch {
			case ch.Duplicate:
				o.Outcome = "repeat"
			case ch.Empty():
				o.Outcome = "unchanged"
			}
			out = append(out, o)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"events": out})
	}
}

// writeLocalError answers err in the API's error shape, with its kind's status and code.
func writeLocalError(w http.ResponseWriter, err error) {
	kind := fault.KindOf(err)
	msg := kind.DefaultMessage()
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Message != "" {
		msg = fe.Message
	}
	body := map[string]any{"code": kind.Code(), "message": msg}
	var v *fault.ValidationError
	if errors.As(err, &v) {
		body["message"] = "Invalid event"
		body["details"] = v.Fields
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(kind.Status())
	_ = json.NewEncoder(w).Encode(map[string]any{"error": body})
}
