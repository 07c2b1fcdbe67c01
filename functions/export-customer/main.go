// Command export-customer is the Lambda function of GET /v1/customers/{customerId}/export:
// everything held about a customer (GDPR articles 15 and 20), its orders paged. Configuration
// comes from the environment (TABLE_NAME, DYNAMODB_ENDPOINT, LOG_LEVEL, CURSOR_SECRET); see
// package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("export-customer")
}
