//go:build dynamodb

package main

import (
	"context"
	"errors"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
)

// withDynamoDB tells whether this build can serve on DynamoDB.
const withDynamoDB = true

// dynamoFlagNote completes the help of -dynamodb-endpoint: this build has DynamoDB.
const dynamoFlagNote = ""

// openDynamo returns the DynamoDB store on table at endpoint, creating the table first if asked.
func openDynamo(ctx context.Context, endpoint, table string, create bool) (store, error) {
	if table == "" {
		return nil, errors.New("-table is required with -dynamodb-endpoint")
	}
	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	if create {
		if err := dynamosetup.CreateTable(ctx, client, table); err != nil {
			return nil, err
		}
	}
	return dynamo.New(client, table), nil
}
