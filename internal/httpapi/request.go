package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

const mergePatchJSON = "application/merge-patch+json"

// hasBody reports whether r carries a body: a declared length, or an unknown one (a chunked
// body, whose length is known only once read).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody
}

// readBody applies API.md's Content-Type and size rules to any request with a body, whatever its
// method (a GET or DELETE may carry one too; it is then ignored), and returns the body, at most
// customer.MaxBodyBytes. A request without a body returns nil, whatever its Content-Type: the parsers
// decide whether that is allowed. mergePatch also accepts application/merge-patch+json.
func readBody(r *http.Request, mergePatch bool) ([]byte, error) {
	if !hasBody(r) {
		return nil, nil
	}
	if err := mediaType(r.Header.Get("Content-Type"), mergePatch); err != nil {
		return nil, err
	}
	return readLimited(r)
}

// mediaType checks a request's Content-Type: application/json, with any parameters, or with
// mergePatch also application/merge-patch+json.
func mediaType(ct string, mergePatch bool) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !(mt == "application/json" || mergePatch && mt == mergePatchJSON) {
		msg := "Content-Type must be application/json"
		if mergePatch {
			msg += " or " + mergePatchJSON
		}
		return fault.E(fault.UnsupportedMedia, msg)
	}
	return nil
}

// readLimited reads r's body, which must hold at most customer.MaxBodyBytes.
func readLimited(r *http.Request) ([]byte, error) {
	if r.ContentLength > customer.MaxBodyBytes {
		return nil, fault.E(fault.TooLarge, "The request body is larger than 64 KiB")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, customer.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fault.E(fault.TooLarge, "The request body is larger than 64 KiB")
	case err != nil:
		return nil, fault.Wrap(fault.BadRequest, "The request body could not be read", err)
	}
	return body, nil
}

// checkPathIDs answers "not found" for a {customerId} or {orderId} of the path that does not have
// the form of an id: no record can have it, and the store need not be asked (DynamoDB would
// refuse an over-long key with an error, not report a miss).
func checkPathIDs(r *http.Request) error {
	if id := r.PathValue("customerId"); id != "" && !customer.ValidID(id) {
		return customer.ErrNotFound
	}
	if id := r.PathValue("orderId"); id != "" && !order.ValidID(id) {
		return order.ErrNotFound
	}
	return nil
}

// ifMatch turns an If-Match header into the versions the store must find one of (the store
// checks them in its write: no read here). nil: no header or "*" (the customer must exist, which
// every update requires anyway). A header that can match no version (only weak tags, malformed
// ones) is an empty, non-nil list, so that the store answers 404 for a missing customer and 412
// for any other. More than customer.MaxIfMatchTags tags is a bad request.
func ifMatch(h []string) (customer.IfMatch, error) {
	if len(h) == 0 {
		return nil, nil
	}
	versions := customer.IfMatch{}
	for _, line := range h {
		for tag := range strings.SplitSeq(line, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" {
				return nil, nil
			}
			if strings.HasPrefix(tag, "W/") {
				continue // If-Match compares strongly (RFC 9110 13.1.1): a weak tag never matches
			}
			if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
				continue
			}
			v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
			if err == nil && v > 0 && strconv.FormatInt(v, 10) == tag[1:len(tag)-1] && !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
	}
	if len(versions) > customer.MaxIfMatchTags {
		return nil, fault.E(fault.BadRequest, fmt.Sprintf("If-Match lists more than %d entity tags", customer.MaxIfMatchTags))
	}
	return versions, nil
}

// idempotencyKey returns the Idempotency-Key header ("" when absent), which must be 1–255
// printable ASCII characters.
func idempotencyKey(h http.Header) (string, error) {
	values, ok := h[http.CanonicalHeaderKey("Idempotency-Key")]
	if !ok {
		return "", nil
	}
	bad := fault.E(fault.BadRequest, "Idempotency-Key must be 1 to 255 printable ASCII characters")
	if len(values) != 1 || len(values[0]) < 1 || len(values[0]) > 255 {
		return "", bad
	}
	for _, c := range []byte(values[0]) {
		if c < 0x20 || c > 0x7e {
			return "", bad
		}
	}
	return values[0], nil
}

// query reads a list endpoint's query parameters: each at most once, only the allowed ones.
type query struct {
	values url.Values
}

func parseQuery(r *http.Request, allowed ...string) (query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, fault.Wrap(fault.BadRequest, "The query string is malformed", err)
	}
	for name, v := range values {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return query{}, badParam(name, "is not a known parameter")
		}
		if len(v) != 1 {
			return query{}, badParam(name, "must be given at most once")
		}
		if v[0] == "" {
			return query{}, badParam(name, "must not be empty")
		}
	}
	return query{values: values}, nil
}

// badParam is the error of a bad query parameter. The parameter name is echoed only when it is
// short and plain, so that the message stays safe to show.
func badParam(name, issue string) error {
	if len(name) > 40 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		name = "(unprintable)"
	}
	return fault.E(fault.BadRequest, fmt.Sprintf("Query parameter %q %s", name, issue))
}

// get returns the parameter's value, "" when absent.
func (q query) get(name string) string { return q.values.Get(name) }

// limit returns the page size: 1 to customer.MaxLimit, default customer.DefaultLimit.
func (q query) limit() (int, error) {
	s := q.get("limit")
	if s == "" {
		return customer.DefaultLimit, nil
	}
	// Plain decimal digits only: "+5" and "05" are not how a client that means 5 writes it.
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > customer.MaxLimit || s[0] < '1' || s[0] > '9' {
		return 0, badParam("limit", fmt.Sprintf("must be an integer from 1 to %d", customer.MaxLimit))
	}
	return n, nil
}

// oneOf returns the parameter's value, which must be one of allowed; def when absent.
func (q query) oneOf(name, def string, allowed ...string) (string, error) {
	s := q.get(name)
	if s == "" {
		return def, nil
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", badParam(name, "must be one of: "+strings.Join(allowed, ", "))
}

// desc reads sortDir: desc (default) or asc.
func (q query) desc() (bool, error) {
	s, err := q.oneOf("sortDir", "desc", "desc", "asc")
	return s == "desc", err
}

// binding is the part of a list query a cursor is bound to: every filter and the order, not the
// limit, so that pages may differ in size.
func binding(route string, filters url.Values) string {
	return route + "?" + filters.Encode()
}
