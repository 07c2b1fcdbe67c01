// Command get-order is the Lambda function of GET /v1/orders/{orderId}: one order.
// Configuration comes from the environment (TABLE_NAME, DYNAMODB_ENDPOINT, LOG_LEVEL); see
// package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("get-order")
}
