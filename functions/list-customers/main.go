// Command list-customers is the Lambda function of GET /v1/customers: one page of the tenant's customers.
// Configuration comes from the environment (TABLE_NAME, CURSOR_SECRET, DYNAMODB_ENDPOINT,
// LOG_LEVEL); see package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("list-customers")
}
