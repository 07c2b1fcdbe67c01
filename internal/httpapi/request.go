package httpapi

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
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

// readBody applies docs/api.md's Content-Type and size rules to any request with a body, whatever its
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

// query reads a list endpoint's query parameters. Every failing parameter is recorded (docs/api.md:
// 400 VALIDATION_ERROR, "Invalid query parameters", the parameter's name as the path); err
// reports them once all are read.
type query struct {
	values url.Values
	v      fault.ValidationError
}

// deviation returns, for a parameter that docs/api.md lists among the known deviations, why it is not
// supported, and "" for any other.
type deviation func(name string, values []string) string

// parseQuery reads r's query string: each parameter at most once, only the allowed ones. A
// parameter unsupported names is refused with its reason (custom) instead of as unknown.
func parseQuery(r *http.Request, unsupported deviation, allowed ...string) (*query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fault.Wrap(fault.BadRequest, "The query string is malformed", err)
	}
	q := &query{values: values, v: fault.ValidationError{Message: fault.QueryInvalid}}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		var why string
		if unsupported != nil {
			why = unsupported(name, values[name])
		}
		switch {
		case why != "":
			q.v.Add(name, fault.Custom, why)
		case !slices.Contains(allowed, name):
			q.v.UnknownKey(name, name)
		case len(values[name]) != 1:
			// What a query schema sees of a repeated parameter is an array.
			q.v.WrongType(name, "string", "array")
		}
	}
	return q, nil
}

// err returns the failures recorded, in the order of their parameters' names, or nil.
func (q *query) err() error {
	slices.SortStableFunc(q.v.Fields, func(a, b fault.FieldError) int { return strings.Compare(a.Path, b.Path) })
	return q.v.Err()
}

// get returns the parameter's value and whether it was given (once: a repeated one has failed).
func (q *query) get(name string) (string, bool) {
	v := q.values[name]
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// plainInt is an integer as a client that means it writes it: "+5", "05" and "5.0" are not.
var plainInt = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// limit returns the page size: 1 to customer.MaxLimit, default customer.DefaultLimit (also when
// the parameter fails).
func (q *query) limit() int {
	s, ok := q.get("limit")
	if !ok {
		return customer.DefaultLimit
	}
	if !plainInt.MatchString(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && f != math.Trunc(f) {
			q.v.WrongType("limit", "integer", "float")
		} else {
			q.v.WrongType("limit", "number", "string")
		}
		return customer.DefaultLimit
	}
	// A plain integer that overflows is far out of range on the side of its sign.
	n, err := strconv.Atoi(s)
	switch {
	case err != nil && s[0] == '-', err == nil && n < 1:
		q.v.Add("limit", fault.TooSmall, "Number must be greater than or equal to 1")
	case err != nil, n > customer.MaxLimit:
		q.v.Addf("limit", fault.TooBig, "Number must be less than or equal to %d", customer.MaxLimit)
	default:
		return n
	}
	return customer.DefaultLimit
}

// oneOf returns the parameter's value, which must be one of allowed; def when absent (or bad).
func (q *query) oneOf(name, def string, allowed ...string) string {
	s, ok := q.get(name)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, s) {
		q.v.BadEnum(name, s, allowed...)
		return def
	}
	return s
}

// desc reads sortDir: desc (default) or asc.
func (q *query) desc() bool { return q.oneOf("sortDir", "desc", "desc", "asc") == "desc" }

// binding is the part of a list query a cursor is bound to: every filter and the order, not the
// limit, so that pages may differ in size.
func binding(route string, filters url.Values) string {
	return route + "?" + filters.Encode()
}
