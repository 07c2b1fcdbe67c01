// Package httpapi is the HTTP face of the service: the route table, the handlers, the auth
// middleware and the one writer of error bodies. It serves the same routes in each Lambda (one
// route per function, through aws-lambda-go-api-proxy) and in cmd/local (all routes on one mux).
package httpapi

import (
	"net/http"
	"slices"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/order"
)

// Route is one endpoint of the API. Name is also the function's folder (functions/<Name>) and
// the stem of its logical id in template.yaml.
type Route struct {
	Name    string
	Method  string
	Pattern string // net/http ServeMux pattern path, with {wildcards}
	Scope   auth.Scope
	// Pages is true for a list route, which signs paging cursors: its function needs
	// Options.CursorKey (CURSOR_SECRET), shared by every container. Other routes need no key.
	Pages bool
	// Query lists the query parameters the route reads (its handler reads exactly these); any
	// other is a validation error (unrecognized_keys). Nil for a route that reads none.
	Query []string
	// Response is a zero value of the type of the route's success body. It is for the tests
	// that hold openapi.yaml to the implementation (internal/apispec): they compare its JSON
	// fields with the spec's, and the body a request gets with it.
	Response any

	// handle serves the route once serve has authorized the request and accepted its body. A
	// Route made outside this package has none and cannot be served.
	handle handlerFunc
}

// handlerFunc is the one shape of a handler: a method of *API, given the request and its body as
// serve read and checked it (nil when there is none). It writes a success response itself and
// returns any failure, which serve renders through the one error writer.
type handlerFunc func(a *API, w http.ResponseWriter, r *http.Request, body []byte) error

// Routes is the single source of truth for routing: cmd/local mounts all of them, each Lambda
// serves one, and a test checks template.yaml against it.
var Routes = []Route{
	{Name: "list-customers", Method: "GET", Pattern: "/v1/customers", Scope: auth.CustomersRead, Pages: true,
		Query: customerListParams, Response: listCustomersResponse{}, handle: (*API).listCustomers},
	{Name: "get-customer", Method: "GET", Pattern: "/v1/customers/{customerId}", Scope: auth.CustomersRead,
		Response: customer.Customer{}, handle: (*API).getCustomer},
	{Name: "update-customer", Method: "PUT", Pattern: "/v1/customers/{customerId}", Scope: auth.CustomersWrite,
		Response: updateCustomerResponse{}, handle: (*API).updateCustomer},
	{Name: "delete-customer", Method: "DELETE", Pattern: "/v1/customers/{customerId}", Scope: auth.CustomersWrite,
		Response: deleteCustomerResponse{}, handle: (*API).deleteCustomer},
	{Name: "create-order", Method: "POST", Pattern: "/v1/orders", Scope: auth.OrdersWrite,
		Response: createOrderResponse{}, handle: (*API).createOrder},
	{Name: "list-orders", Method: "GET", Pattern: "/v1/orders", Scope: auth.OrdersRead, Pages: true,
		Query: orderListParams, Response: listOrdersResponse{}, handle: (*API).listOrders},
	{Name: "get-order", Method: "GET", Pattern: "/v1/orders/{orderId}", Scope: auth.OrdersRead,
		Response: order.Order{}, handle: (*API).getOrder},
	{Name: "cancel-order", Method: "POST", Pattern: "/v1/orders/{orderId}/cancel", Scope: auth.OrdersWrite,
		Response: orderResponse{}, handle: (*API).cancelOrder},
	{Name: "update-order-notes", Method: "PATCH", Pattern: "/v1/orders/{orderId}/notes", Scope: auth.OrdersWrite,
		Response: orderResponse{}, handle: (*API).updateOrderNotes},
	{Name: "erase-customer", Method: "POST", Pattern: "/v1/customers/{customerId}/erase", Scope: auth.CustomersWrite,
		Response: deleteCustomerResponse{}, handle: (*API).eraseCustomer},
	{Name: "export-customer", Method: "GET", Pattern: "/v1/customers/{customerId}/export", Scope: auth.CustomersRead, Pages: true,
		Query: exportParams, Response: exportResponse{}, handle: (*API).exportCustomer},
}

// The query parameters of the list routes (Route.Query), which their handlers read.
var (
	customerListParams = []string{"limit", "startAfter", "status", "customerType", "email", "hasActiveRentals", "sortBy", "sortDir"}
	orderListParams    = []string{"limit", "startAfter", "status", "customerId", "sortBy", "sortDir"}
	exportParams       = []string{"startAfter"}
)

// ErrorResponse is a zero value of the type of every error body (the one writer, writeError),
// for the same tests as Route.Response.
var ErrorResponse any = errorBody{}

// RouteNamed returns the route of Routes called name.
func RouteNamed(name string) (Route, bool) {
	i := slices.IndexFunc(Routes, func(rt Route) bool { return rt.Name == name })
	if i < 0 {
		return Route{}, false
	}
	return Routes[i], true
}
