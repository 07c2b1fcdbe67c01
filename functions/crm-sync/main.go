// Command crm-sync is the Lambda function consuming the CRM's customer changes from an SQS FIFO
// queue: each message is applied like PUT /v1/customers/{customerId}, with a partial batch
// response; a change that cannot succeed is moved to the dead-letter queue (package crmsync).
// Configuration comes from the environment: TABLE_NAME, DEAD_LETTER_QUEUE_URL (required),
// DYNAMODB_ENDPOINT and SQS_ENDPOINT (optional, only for local and test runs) and LOG_LEVEL; see
// package lambdafn.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/flexportal-compat/customers-api/internal/crmsync"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
)

func main() {
	lambdafn.ServeEvents("crm-sync", func(log *slog.Logger, getenv func(string) string) (func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), error) {
		cfg, err := crmsync.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		store, err := lambdafn.StoreFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		sdk, err := lambdafn.AWSConfig(getenv("SQS_ENDPOINT"), getenv)
		if err != nil {
			return nil, err
		}
		return crmsync.New(store, sqs.NewFromConfig(sdk), cfg, log).Handle, nil
	})
}
