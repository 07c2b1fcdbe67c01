// Command update-order-notes is the Lambda function of PATCH /v1/orders/{orderId}/notes: replaces
// an order's notes. Configuration comes from the environment (TABLE_NAME, DYNAMODB_ENDPOINT,
// LOG_LEVEL); see package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("update-order-notes")
}
