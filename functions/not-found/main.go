// Command not-found is the Lambda function of the HTTP API's $default route: it answers every
// request no route matched with 404 NOT_FOUND, or 405 METHOD_NOT_ALLOWED on a known path with
// another method, in the API's error shape. It reads LOG_LEVEL and needs no table.
package main

import "github.com/flexportal-compat/customers-api/internal/lambdafn"

func main() {
	lambdafn.ServeNotFound()
}
