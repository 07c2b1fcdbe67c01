// Package e2e holds the end-to-end tests of the Lambda functions: each function is built for the
// host, run under the AWS Lambda Runtime Interface Emulator with its table on a DynamoDB emulator
// (moto), and invoked with its events/ file. Run them with `make e2e` (or `make test`); without
// DYNAMODB_ENDPOINT or the emulator binary (AWS_LAMBDA_RIE, default .tools/bin/aws-lambda-rie)
// they skip.
package e2e
