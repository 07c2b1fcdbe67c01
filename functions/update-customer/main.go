// Command update-customer is the Lambda function of PUT /v1/customers/{customerId}: a partial update of a customer.
// Configuration comes from the environment (TABLE_NAME, DYNAMODB_ENDPOINT, LOG_LEVEL); see
// package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("update-customer")
}
