package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// OrderStore is what the order handlers ask of storage (see storetest.Store for the errors each
// returns).
type OrderStore interface {
	CreateOrder(ctx context.Context, tenant string, in order.Input, idem order.Idempotency) (o order.Order, replayed bool, err error)
	GetOrder(ctx context.Context, tenant, id string) (order.Order, error)
	ListOrders(ctx context.Context, tenant string, q order.ListQuery) (order.Page, error)
	CancelOrder(ctx context.Context, tenant, id, reason string, idem order.Idempotency) (o order.Order, replayed bool, err error)
	UpdateOrderNotes(ctx context.Context, tenant, id, notes string) (order.Order, error)
}

type createOrderResponse struct {
	Success bool        `json:"success"`
	Message string      `json:"message"`
	OrderID string      `json:"orderId"`
	Order   order.Order `json:"order"`
}

// orderResponse is the answer of cancel and notes: which order, no body of it.
type orderResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	OrderID string `json:"orderId"`
}

type listOrdersResponse struct {
	Orders     []order.Order `json:"orders"`
	Count      int           `json:"count"`
	Limit      int           `json:"limit"`
	HasMore    bool          `json:"hasMore"`
	NextCursor *string       `json:"nextCursor"`
}

// createOrder is POST /v1/orders. A replay of an Idempotency-Key answers exactly as the first
// request did: 201 and the same order; so does an identical order without a key within
// order.DuplicateWindow of the first (natural idempotency), with the order as it is now. The order,
// and the customer it creates, are created by the request's API key.
func (a *API) createOrder(w http.ResponseWriter, r *http.Request, body []byte) error {
	ctx, tenant := r.Context(), tenantOf(r.Context())
	key, err := idempotencyKey(r.Header)
	if err != nil {
		return err
	}
	in, err := order.ParseInput(body, handling(w, r))
	if err != nil {
		return err
	}
	in.CreatedBy = createdBy(ctx)
	var idem order.Idempotency
	if key != "" {
		idem = order.Idempotency{Key: key, RequestHash: in.Hash()}
	}
	o, replayed, err := a.store.CreateOrder(ctx, tenant, in, idem)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/v1/orders/"+o.OrderID)
	writeJSON(w, http.StatusCreated, createOrderResponse{
		Success: true, Message: "Order created", OrderID: o.OrderID, Order: o.Normalized(),
	})
	return nil
}

// getOrder is GET /v1/orders/{orderId}.
func (a *API) getOrder(w http.ResponseWriter, r *http.Request, _ []byte) error {
	o, err := a.store.GetOrder(r.Context(), tenantOf(r.Context()), r.PathValue("orderId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o.Normalized())
	return nil
}

// cancelOrder is POST /v1/orders/{orderId}/cancel. The body is optional. A retry with the
// Idempotency-Key and reason of the request that cancelled the order answers as that request did
// (200); the same key with another reason is 422 IDEMPOTENCY_KEY_REUSED.
func (a *API) cancelOrder(w http.ResponseWriter, r *http.Request, body []byte) error {
	ctx, tenant, id := r.Context(), tenantOf(r.Context()), r.PathValue("orderId")
	key, err := idempotencyKey(r.Header)
	if err != nil {
		return err
	}
	reason, err := order.ParseCancel(body, handling(w, r))
	if err != nil {
		return err
	}
	var idem order.Idempotency
	if key != "" {
		idem = order.Idempotency{Key: key, RequestHash: order.CancelHash(reason)}
	}
	o, replayed, err := a.store.CancelOrder(ctx, tenant, id, reason, idem)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, orderResponse{Success: true, Message: "Order cancelled", OrderID: o.OrderID})
	return nil
}

// updateOrderNotes is PATCH /v1/orders/{orderId}/notes: the notes are replaced ("" removes them).
func (a *API) updateOrderNotes(w http.ResponseWriter, r *http.Request, body []byte) error {
	notes, err := order.ParseNotes(body, handling(w, r))
	if err != nil {
		return err
	}
	o, err := a.store.UpdateOrderNotes(r.Context(), tenantOf(r.Context()), r.PathValue("orderId"), notes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orderResponse{Success: true, Message: "Order notes updated", OrderID: o.OrderID})
	return nil
}

// listOrders is GET /v1/orders.
func (a *API) listOrders(w http.ResponseWriter, r *http.Request, _ []byte) error {
	ctx, tenant := r.Context(), tenantOf(r.Context())
	q, err := parseQuery(r, orderDeviation, orderListParams...)
	if err != nil {
		return err
	}
	lq, bound, err := orderListQuery(q)
	if err != nil {
		return err
	}
	if token, ok := q.get("startAfter"); ok {
		if lq.After, err = a.cursors.Decode(tenant, bound, token); err != nil {
			return invalidCursor(err)
		}
	}
	var page order.Page
	if lq.CustomerID == "" || customer.ValidID(lq.CustomerID) {
		if page, err = a.store.ListOrders(ctx, tenant, lq); err != nil {
			return err
		}
	}
	resp := listOrdersResponse{
		Orders:  make([]order.Order, 0, len(page.Orders)),
		Count:   len(page.Orders),
		Limit:   lq.Limit,
		HasMore: page.Next != "",
	}
	for _, o := range page.Orders {
		resp.Orders = append(resp.Orders, o.Normalized())
	}
	if page.Next != "" {
		next := a.cursors.Encode(tenant, bound, page.Next)
		resp.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// orderDeviation names the order list parameters of docs/api.md's known deviations: they need
// FlexPortal's product catalog or dashboard configuration, which this service does not hold.
func orderDeviation(name string, values []string) string {
	switch {
	case name == "sortBy" && slices.Contains(values, "totals.total"):
		return "Sorting by totals.total is not supported: order totals belong to FlexPortal's product catalog, which this service does not hold"
	case strings.HasPrefix(name, "customField_"):
		return "Filtering by custom fields is not supported: it needs FlexPortal's dashboard configuration, which this service does not hold"
	}
	return ""
}

// orderListQuery validates the query of GET /v1/orders and returns it with the binding a cursor
// for it must carry.
func orderListQuery(q *query) (order.ListQuery, string, error) {
	var lq order.ListQuery
	lq.Limit = q.limit()
	// "all" is the default said aloud, as for customers.
	status := q.oneOf("status", "all", "all", string(order.Pending), string(order.Confirmed),
		string(order.Partial), string(order.Fulfilled), string(order.Cancelled))
	if status != "all" {
		lq.Status = order.Status(status)
	}
	// An id of another form (FlexPortal's pages filter by "cust_abc123") names no customer, as in
	// a path: the list is empty (listOrders asks no store). An empty value is a client's mistake.
	if id, ok := q.get("customerId"); ok {
		if lq.CustomerID = id; id == "" {
			q.v.Add("customerId", fault.Custom, "Must be a customer id (cust_ and 26 characters)")
		}
	}
	sort := string(order.ByCreatedAt)
	if s, _ := q.get("sortBy"); orderDeviation("sortBy", []string{s}) == "" { // refused by parseQuery already
		sort = q.oneOf("sortBy", sort, sortNames(order.Sorts)...)
	}
	lq.SortBy = order.Sort(sort)
	lq.Desc = q.desc()
	if err := q.err(); err != nil {
		return lq, "", err
	}
	filters := url.Values{
		"status":     {string(lq.Status)}, // "" for all: a cursor made with status=all serves without it
		"customerId": {lq.CustomerID},
		"desc":       {boolString(lq.Desc)},
	}
	// The order the list really has (orderId is createdAt's), said only when not the default, as
	// for customers.
	if eff := lq.SortBy.Effective(lq.Status); eff != order.ByCreatedAt {
		filters.Set("sortBy", string(eff))
	}
	return lq, binding("orders", filters), nil
}
