// Command delete-customer is the Lambda function of DELETE /v1/customers/{customerId}: deactivates a customer.
// Configuration comes from the environment (TABLE_NAME, DYNAMODB_ENDPOINT, LOG_LEVEL); see
// package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("delete-customer")
}
