// Command change-events is the Lambda function consuming the table's DynamoDB stream: it publishes
// customer.created, customer.updated, customer.deactivated, customer.reactivated, order.created and
// order.cancelled to an EventBridge bus (package changefeed). Configuration comes from the environment: EVENT_BUS_NAME (required), EVENT_SOURCE
// (default flexportal.customers), EVENTBRIDGE_ENDPOINT (optional, only for local and test runs)
// and LOG_LEVEL.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/flexportal-compat/customers-api/internal/changefeed"
	"github.com/flexportal-compat/customers-api/internal/lambdafn"
)

func main() {
	lambdafn.ServeEvents("change-events", func(log *slog.Logger, getenv func(string) string) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
		cfg, err := changefeed.ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		sdk, err := lambdafn.AWSConfig(getenv("EVENTBRIDGE_ENDPOINT"), getenv)
		if err != nil {
			return nil, err
		}
		return changefeed.New(eventbridge.NewFromConfig(sdk), cfg, log).Handle, nil
	})
}
