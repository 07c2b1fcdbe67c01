// Package dynamosetup connects to DynamoDB with the full default AWS configuration and creates
// the store's table. Only the commands (cmd/local, cmd/admin) and tests import it: the AWS shared
// configuration loader it needs (SSO, STS, IMDS clients) would add about 2 MB to every Lambda
// function, which builds its client from the environment instead (package lambdafn).
package dynamosetup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// Connect returns a DynamoDB client from the default AWS configuration. A non-empty endpoint
// (moto, DynamoDB Local) overrides the service endpoint; then, when no credentials or region are
// configured, dummy credentials and us-east-1 are used so local runs need no AWS setup.
// The SDK's default HTTP client (which honours AWS_CA_BUNDLE) and standard retryer are kept.
func Connect(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	var opts []func(*config.LoadOptions) error
	if endpoint != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		// Without this the credential chain would end at EC2 instance metadata, far from a local
		// emulator that ignores signatures anyway.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamosetup: load AWS configuration: %w", err)
	}
	if endpoint != "" && cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// TableDefinition is the table the store needs: on demand, PK/SK strings, the global secondary
// indexes of dynamo.Indexes (docs/indexes.md), each projecting all attributes, and a stream of
// new and old images for the events consumer. template.yaml and cmd/admin describe the same table.
func TableDefinition(table string) *dynamodb.CreateTableInput {
	keys := func(hash, rng string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange},
		}
	}
	var (
		attrs []types.AttributeDefinition
		seen  = map[string]bool{}
	)
	define := func(names ...string) {
		for _, name := range names {
			if !seen[name] {
				seen[name] = true
				attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS})
			}
		}
	}
	define(dynamo.AttrPK, dynamo.AttrSK)
	gsis := make([]types.GlobalSecondaryIndex, 0, len(dynamo.Indexes))
	for _, ix := range dynamo.Indexes {
		define(ix.Hash, ix.Range)
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keys(ix.Hash, ix.Range),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return &dynamodb.CreateTableInput{
		TableName:              aws.String(table),
		BillingMode:            types.BillingModePayPerRequest,
		AttributeDefinitions:   attrs,
		KeySchema:              keys(dynamo.AttrPK, dynamo.AttrSK),
		GlobalSecondaryIndexes: gsis,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
}

// CreateTable creates table as TableDefinition describes (an existing table is fine), waits until
// it is active, and enables TTL on expiresAt so expired idempotency records are deleted.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, TableDefinition(table))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamosetup: create table %s: %w", table, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 200 * time.Millisecond
		o.MaxDelay = 5 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Minute); err != nil {
		return fmt.Errorf("dynamosetup: wait for table %s: %w", table, err)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("dynamosetup: describe TTL of %s: %w", table, err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && aws.ToString(d.AttributeName) == dynamo.AttrExpires &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(dynamo.AttrExpires),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("dynamosetup: enable TTL on %s: %w", table, err)
	}
	return nil
}

// DeleteTable deletes table; a table already gone is fine. The SDK retries a DeleteTable whose
// answer it could not read (a CRC32 mismatch on a closed connection, seen against dynoxide under
// load), and the retry then finds the table deleted by the first attempt.
func DeleteTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	var missing *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("dynamosetup: delete table %s: %w", table, err)
	}
	return nil
}
