// Command list-orders is the Lambda function of GET /v1/orders: one page of the tenant's orders.
// Configuration comes from the environment (TABLE_NAME, CURSOR_SECRET, DYNAMODB_ENDPOINT,
// LOG_LEVEL); see package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("list-orders")
}
