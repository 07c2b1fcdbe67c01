// Command cancel-order is the Lambda function of POST /v1/orders/{orderId}/cancel: cancels a pending or confirmed order.
// Configuration comes from the environment (TABLE_NAME, DYNAMODB_ENDPOINT, LOG_LEVEL); see
// package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("cancel-order")
}
