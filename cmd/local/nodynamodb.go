//go:build !dynamodb

package main

import (
	"context"
	"errors"
)

// withDynamoDB tells whether this build can serve on DynamoDB.
const withDynamoDB = false

// dynamoFlagNote completes the help of -dynamodb-endpoint: this build has no DynamoDB.
const dynamoFlagNote = " (needs a build with -tags dynamodb)"

// errNoDynamoDB says how to get a build that serves on DynamoDB. The default build leaves the AWS
// SDK out, so that a first `go run ./cmd/local` compiles only what the embedded store needs.
var errNoDynamoDB = errors.New("-dynamodb-endpoint: this build serves the embedded store only; " +
	"for DynamoDB run: go run -tags dynamodb ./cmd/local -dynamodb-endpoint URL -table NAME " +
	"(the tag compiles the AWS SDK too: a longer first build)")

// openDynamo is the DynamoDB store of a build with -tags dynamodb; this one refuses.
func openDynamo(context.Context, string, string, bool) (store, error) {
	return nil, errNoDynamoDB
}
