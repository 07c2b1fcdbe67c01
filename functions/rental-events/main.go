// Command rental-events is the Lambda function consuming subscription events from the SQS queue an
// EventBridge rule fills: each event is applied to its subscription, customer and order in one
// transaction, with a partial batch response; an event that cannot succeed is moved to the
// dead-letter queue with its reason (package rentalevents). Configuration comes from the
// environment: TABLE_NAME, DEAD_LETTER_QUEUE_URL (required), DYNAMODB_ENDPOINT and SQS_ENDPOINT
// (optional, only for local and test runs) and LOG_LEVEL; see package lambdafn.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/flexportal-compat/customers-api/internal/lambdafn"
	"github.com/flexportal-compat/customers-api/internal/rentalevents"
)

func main() {
	lambdafn.ServeEvents("rental-events", func(log *slog.Logger, getenv func(string) string) (func(context.Context, events.SQSEvent) (events.SQSEventResponse, error), error) {
		cfg, err := rentalevents.ConfigFromEnv(getenv)
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
		return rentalevents.New(store, sqs.NewFromConfig(sdk), cfg, log).Handle, nil
	})
}
