// Command hello is the smallest Go Lambda function: the floor BenchmarkInit compares the
// functions' init duration with. It lives under testdata so that ./... does not build it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, in map[string]any) (map[string]any, error) { return in, nil })
}
