package lambdafn

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// ServeEvents runs the event-driven function called name (one with no HTTP route: a queue or
// stream consumer) and never returns. The JSON logger (LOG_LEVEL) is made first and becomes the
// default; build then makes the handler once per container, from the environment (getenv is
// os.Getenv), so SDK clients are shared by every invocation. An error from build fails the init
// phase, so Lambda reports it. The handler is called through WithReserve.
func ServeEvents[In, Out any](name string, build func(log *slog.Logger, getenv func(string) string) (func(context.Context, In) (Out, error), error)) {
	level, err := parseLevel(os.Getenv("LOG_LEVEL"))
	log := functionLogger(Config{LogLevel: level, Function: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Version: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION")})
	if err != nil {
		exit(log, name, err)
	}
	slog.SetDefault(log)
	h, err := build(log, os.Getenv)
	if err != nil {
		exit(log, name, err)
	}
	lambda.Start(WithReserve(h))
}

// Reserve is the time an event-driven function keeps, before its invocation's deadline, to answer.
// A handler that stops starting work at its context's deadline then still sends its partial batch
// response (what failed, what to retry from) rather than be cut off by the timeout, which would
// make the event source deliver the whole batch again, work already done included.
const Reserve = 500 * time.Millisecond

// WithReserve returns h called with a context whose deadline, if it has one, is Reserve before
// the invocation's.
func WithReserve[In, Out any](h func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-Reserve))
			defer cancel()
		}
		return h(ctx, in)
	}
}

// StoreFromEnv returns the DynamoDB store of an event-driven function: the table TABLE_NAME
// (required) through the client NewClient makes (DYNAMODB_ENDPOINT optional).
func StoreFromEnv(getenv func(string) string) (*dynamo.Store, error) {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	client, err := NewClient(cfg.Endpoint, getenv)
	if err != nil {
		return nil, err
	}
	return dynamo.New(client, cfg.Table), nil
}
