package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/flexportal-compat/customers-api/internal/cursor"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
)

// CustomerStore is what the customer handlers ask of storage (see storetest.Store for the
// errors each returns).
type CustomerStore interface {
	GetCustomer(ctx context.Context, tenant, id string) (customer.Customer, error)
	UpdateCustomer(ctx context.Context, tenant, id string, p customer.Patch, ifMatch customer.IfMatch) (customer.Customer, error)
	DeactivateCustomer(ctx context.Context, tenant, id string, ifMatch customer.IfMatch) (customer.Customer, error)
	ListCustomers(ctx context.Context, tenant string, q customer.ListQuery) (customer.Page, error)
	EraseCustomer(ctx context.Context, tenant, id string) (customer.Customer, error)
}

type updateCustomerResponse struct {
	Success    bool              `json:"success"`
	Message    string            `json:"message"`
	CustomerID string            `json:"customerId"`
	Customer   customer.Customer `json:"customer"`
}

type deleteCustomerResponse struct {
	Success    bool   `json:"success"`
	Message    string `json:"message"`
	CustomerID string `json:"customerId"`
}

type listCustomersResponse struct {
	Customers  []customer.Customer `json:"customers"`
	Count      int                 `json:"count"`
	Limit      int                 `json:"limit"`
	HasMore    bool                `json:"hasMore"`
	NextCursor *string             `json:"nextCursor"`
}

// updateCustomer is PUT /v1/customers/{customerId}. A body with nothing to change is answered
// with the customer as it is: one read, no write, the version stays. If-Match still applies,
// decided by customer.CheckUpdate as for a write, after the 404 of the read.
func (a *API) updateCustomer(w http.ResponseWriter, r *http.Request, body []byte) error {
	ctx, tenant, id := r.Context(), tenantOf(r.Context()), r.PathValue("customerId")
	p, err := customer.ParsePatch(body, id, handling(w, r))
	if err != nil {
		return err
	}
	version, err := ifMatch(r.Header.Values("If-Match"))
	if err != nil {
		return err
	}
	var c customer.Customer
	if p.Empty() {
		c, err = a.store.GetCustomer(ctx, tenant, id)
		if err == nil {
			err = customer.CheckUpdate(c, p, version)
		}
	} else {
		c, err = a.store.UpdateCustomer(ctx, tenant, id, p, version)
	}
	if err != nil {
		return err
	}
	c = c.Normalized()
	w.Header().Set("ETag", customer.ETag(c.Version))
	writeJSON(w, http.StatusOK, updateCustomerResponse{
		Success: true, Message: "Customer updated", CustomerID: c.CustomerID, Customer: c,
	})
	return nil
}

// getCustomer is GET /v1/customers/{customerId}.
func (a *API) getCustomer(w http.ResponseWriter, r *http.Request, _ []byte) error {
	c, err := a.store.GetCustomer(r.Context(), tenantOf(r.Context()), r.PathValue("customerId"))
	if err != nil {
		return err
	}
	c = c.Normalized()
	w.Header().Set("ETag", customer.ETag(c.Version))
	writeJSON(w, http.StatusOK, c)
	return nil
}

// deleteCustomer is DELETE /v1/customers/{customerId}: deactivation.
func (a *API) deleteCustomer(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ctx, tenant, id := r.Context(), tenantOf(r.Context()), r.PathValue("customerId")
	version, err := ifMatch(r.Header.Values("If-Match"))
	if err != nil {
		return err
	}
	c, err := a.store.DeactivateCustomer(ctx, tenant, id, version)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", customer.ETag(c.Version))
	writeJSON(w, http.StatusOK, deleteCustomerResponse{
		Success: true, Message: "Customer deactivated", CustomerID: c.CustomerID,
	})
	return nil
}

// listCustomers is GET /v1/customers.
func (a *API) listCustomers(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ctx, tenant := r.Context(), tenantOf(r.Context())
	q, err := parseQuery(r, nil, customerListParams...)
	if err != nil {
		return err
	}
	lq, bound, err := customerListQuery(q)
	if err != nil {
		return err
	}
	if token, ok := q.get("startAfter"); ok {
		if lq.After, err = a.cursors.Decode(tenant, bound, token); err != nil {
			return invalidCursor(err)
		}
	}
	page, err := a.store.ListCustomers(ctx, tenant, lq)
	if err != nil {
		return err
	}
	resp := listCustomersResponse{
		Customers: make([]customer.Customer, 0, len(page.Customers)),
		Count:     len(page.Customers),
		Limit:     lq.Limit,
		HasMore:   page.Next != "",
	}
	for _, c := range page.Customers {
		resp.Customers = append(resp.Customers, c.Normalized())
	}
	if page.Next != "" {
		next := a.cursors.Encode(tenant, bound, page.Next)
		resp.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// customerListQuery validates the query of GET /v1/customers and returns it with the binding a
// cursor for it must carry.
func customerListQuery(q *query) (customer.ListQuery, string, error) {
	var lq customer.ListQuery
	lq.Limit = q.limit()
	status := q.oneOf("status", "active", "active", "inactive", "all")
	if status != "all" {
		lq.Status = customer.Status(status)
	}
	typ := q.oneOf("customerType", "", string(customer.Individual), string(customer.Business))
	lq.Type = customer.Type(typ)
	if email, ok := q.get("email"); ok {
		lq.Email = strings.TrimSpace(email)
		switch n := utf8.RuneCountInString(lq.Email); {
		case n == 0:
			q.v.Add("email", fault.TooSmall, "String must contain at least 1 character(s)")
		case n > customer.MaxEmailLen:
			q.v.Addf("email", fault.TooBig, "String must contain at most %d character(s)", customer.MaxEmailLen)
		}
	}
	rentals := q.oneOf("hasActiveRentals", "", "true", "false")
	if rentals != "" {
		active := rentals == "true"
		lq.HasActiveRentals = &active
	}
	sort := q.oneOf("sortBy", string(customer.ByCreatedAt), sortNames(customer.Sorts)...)
	lq.SortBy = customer.Sort(sort)
	lq.Desc = q.desc()
	if err := q.err(); err != nil {
		return lq, "", err
	}
	filters := url.Values{
		"status":       {status},
		"customerType": {typ},
		"email":        {customer.EmailKey(lq.Email)},
		"desc":         {boolString(lq.Desc)},
	}
	// Said only when not the default, so that a cursor made before sortBy and hasActiveRentals
	// existed still serves the query it was made for.
	if lq.Sorted() {
		filters.Set("sortBy", sort)
	}
	if rentals != "" {
		filters.Set("hasActiveRentals", rentals)
	}
	return lq, binding("customers", filters), nil
}

// sortNames are the sortBy values of sorts.
func sortNames[S ~string](sorts []S) []string {
	names := make([]string, len(sorts))
	for i, s := range sorts {
		names[i] = string(s)
	}
	return names
}

func invalidCursor(err error) error {
	if errors.Is(err, cursor.ErrInvalid) {
		return fault.E(fault.BadRequest, `Query parameter "startAfter" is not a cursor of this query`)
	}
	return err
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
