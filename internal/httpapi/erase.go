package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// eraseCustomer is POST /v1/customers/{customerId}/erase (docs/api.md, "Erasure"). Any body is
// ignored: the request has none.
func (a *API) eraseCustomer(w http.ResponseWriter, r *http.Request, _ []byte) error {
	c, err := a.store.EraseCustomer(r.Context(), tenantOf(r.Context()), r.PathValue("customerId"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", customer.ETag(c.Version))
	writeJSON(w, http.StatusOK, deleteCustomerResponse{
		Success: true, Message: "Customer erased", CustomerID: c.CustomerID,
	})
	return nil
}

// Export pages: at most exportLimit orders, and a response within exportBytes, so that an export
// never exceeds a Lambda response (6 MB).
const (
	exportLimit = 100
	exportBytes = 5_000_000
)

type exportResponse struct {
	Customer   customer.Customer `json:"customer"`
	Orders     []order.Order     `json:"orders"`
	ExportedAt string            `json:"exportedAt"`
	HasMore    bool              `json:"hasMore"`
	NextCursor *string           `json:"nextCursor"`
}

// exportCustomer is GET /v1/customers/{customerId}/export: the customer as GET shows it and one
// page of its orders, newest first. When the orders of a full page would take the response past
// exportBytes, the page is read again with as many as fit, so that its cursor (the store's)
// continues exactly after the last one shown.
func (a *API) exportCustomer(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ctx, tenant, id := r.Context(), tenantOf(r.Context()), r.PathValue("customerId")
	// Only startAfter is read; other parameters are ignored, as on GET of the customer.
	q, err := parseQuery(r, nil, exportParams...)
	if err != nil {
		return err
	}
	bound := binding("export", url.Values{"customerId": {id}})
	lq := order.ListQuery{CustomerID: id, Desc: true, Limit: exportLimit}
	if token, ok := q.get("startAfter"); ok {
		if lq.After, err = a.cursors.Decode(tenant, bound, token); err != nil {
			return invalidCursor(err)
		}
	}
	c, err := a.store.GetCustomer(ctx, tenant, id)
	if err != nil {
		return err
	}
	c = c.Normalized()
	page, err := a.store.ListOrders(ctx, tenant, lq)
	if err != nil {
		return err
	}
	cust, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if n := fitting(page.Orders, exportBytes-len(cust)-200); n < len(page.Orders) {
		lq.Limit = n
		if page, err = a.store.ListOrders(ctx, tenant, lq); err != nil {
			return err
		}
	}
	resp := exportResponse{
		Customer:   c,
		Orders:     make([]order.Order, 0, len(page.Orders)),
		ExportedAt: customer.Timestamp(time.Now()),
		HasMore:    page.Next != "",
	}
	for _, o := range page.Orders {
		resp.Orders = append(resp.Orders, o.Normalized())
	}
	if page.Next != "" {
		next := a.cursors.Encode(tenant, bound, page.Next)
		resp.NextCursor = &next
	}
	w.Header().Set("ETag", customer.ETag(c.Version))
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// fitting is how many of orders, from the first, take at most budget bytes as JSON (at least
// one: a single order is far below any budget, its body having been at most 64 KiB).
func fitting(orders []order.Order, budget int) int {
	used := 0
	for i, o := range orders {
		b, err := json.Marshal(o.Normalized())
		if err != nil {
			return max(i, 1)
		}
		if used += len(b) + 1; used > budget {
			return max(i, 1)
		}
	}
	return len(orders)
}
