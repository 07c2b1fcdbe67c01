// Command crm-sync is the Lambda function consuming the CRM's customer changes from an SQS FIFO
// queue: each message is applied like PUT /v1/customers/{customerId}, with a partial batch
// response (package crmsync). Configuration comes from the environment (TABLE_NAME,
// DYNAMODB_ENDPOINT, LOG_LEVEL); see package lambdafn.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/flexportal-compat/customers-api/internal/crmsync"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
)

func main() {
	lambdafn.ServeEvents("crm-sync", func(log *slog.Logger, getenv func(string) string) (func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), error) {
		store, err := lambdafn.StoreFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		return crmsync.New(store, log).Handle, nil
	})
}
