package conflictmodel

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// msgOngoing is DynamoDB's message for an item a transaction in flight holds.
const msgOngoing = "Transaction is ongoing for the item"

// Reason codes of a cancelled transaction, as DynamoDB spells them.
const (
	codeConflict = "TransactionConflict"
	codeNone     = "None"
)

// requestSeq numbers the request ids of the errors made here.
var requestSeq atomic.Int64

// conflictError is what DynamoDB answers a single-item write of a held item.
func conflictError(op Op) error {
	return responseError(op, &types.TransactionConflictException{Message: aws.String(msgOngoing)})
}

// cancelError is what DynamoDB answers a transaction some of whose items (conflicting[i]) are
// held: one reason per item, in order, as the SDK decodes them.
func cancelError(conflicting []bool) error {
	reasons := make([]types.CancellationReason, len(conflicting))
	codes := make([]string, len(conflicting))
	for i, c := range conflicting {
		codes[i] = codeNone
		if c {
			codes[i] = codeConflict
			reasons[i].Message = aws.String(msgOngoing)
		}
		reasons[i].Code = aws.String(codes[i])
	}
	msg := fmt.Sprintf("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", "))
	return responseError(OpTransactWriteItems, &types.TransactionCanceledException{
		Message:             aws.String(msg),
		CancellationReasons: reasons,
	})
}

// responseError wraps a DynamoDB exception as the SDK returns one it decoded from an HTTP 400
// answer, so errors.As finds the exception, smithy.APIError its code, and a
// *smithyhttp.ResponseError the status, exactly as they do on the SDK's own errors.
func responseError(op Op, exception error) error {
	id := fmt.Sprintf("conflictmodel-%d", requestSeq.Add(1))
	resp := &http.Response{
		StatusCode: http.StatusBadRequest,
		Status:     "400 Bad Request",
		Header:     http.Header{"X-Amzn-Requestid": {id}, "Content-Type": {"application/x-amz-json-1.0"}},
		Body:       http.NoBody,
	}
	return operationError(op, &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: exception},
		RequestID:     id,
	})
}

// operationError wraps err as the SDK wraps every failure of an operation.
func operationError(op Op, err error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: string(op), Err: err}
}
