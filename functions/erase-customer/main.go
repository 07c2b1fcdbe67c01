// Command erase-customer is the Lambda function of POST /v1/customers/{customerId}/erase: erases
// a customer's personal data (GDPR article 17). Configuration comes from the environment
// (TABLE_NAME, DYNAMODB_ENDPOINT, LOG_LEVEL); see package lambdafn.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.Serve("erase-customer")
}
