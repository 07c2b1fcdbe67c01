package conflictmodel

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkError returns the error the real SDK client makes of a DynamoDB answer of HTTP 400 with
// body, for the operation call makes.
func sdkError(t *testing.T, body string, call func(*dynamodb.Client) error) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "REQUEST")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("id", "secret", ""),
		RetryMaxAttempts: 1,
	})
	err := call(client)
	if err == nil {
		t.Fatal("SDK call succeeded, want an error")
	}
	return err
}

// shape is what the store's error classification (and anyone's) can learn from an error.
type shape struct {
	Message       string // Error(), with the request id masked
	Service, Op   string // of the *smithy.OperationError
	Code, APIMsg  string // of the smithy.APIError
	Fault         smithy.ErrorFault
	Status        int  // of the *smithyhttp.ResponseError
	AWSResponse   bool // an *awshttp.ResponseError is found
	SendOrNetwork bool // a *smithyhttp.RequestSendError or net.Error is found
	Conflict      bool // a *types.TransactionConflictException is found
	Reasons       []types.CancellationReason
}

var requestID = regexp.MustCompile(`RequestID: [^,]*,`)

func shapeOf(err error) shape {
	s := shape{Message: requestID.ReplaceAllString(err.Error(), "RequestID: *,")}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		s.Service, s.Op = op.Service(), op.Operation()
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		s.Code, s.APIMsg, s.Fault = api.ErrorCode(), api.ErrorMessage(), api.ErrorFault()
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		s.Status = resp.HTTPStatusCode()
	}
	var awsResp *awshttp.ResponseError
	s.AWSResponse = errors.As(err, &awsResp)
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	s.SendOrNetwork = errors.As(err, &send) || errors.As(err, &netErr)
	var conflict *types.TransactionConflictException
	s.Conflict = errors.As(err, &conflict)
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		s.Reasons = cancelled.CancellationReasons
	}
	return s
}

// TestErrorsLikeSDK: the errors the client makes look, to errors.As and to every accessor the
// store's classification uses, exactly like the SDK's own for the same DynamoDB answer.
func TestErrorsLikeSDK(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		body  string
		call  func(*dynamodb.Client) error
		model error
	}{
		{
			"UpdateItem conflict",
			`{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}`,
			func(c *dynamodb.Client) error {
				_, err := c.UpdateItem(ctx, updateIn(table, "P", "A"))
				return err
			},
			conflictError(OpUpdateItem),
		},
		{
			"PutItem conflict",
			`{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}`,
			func(c *dynamodb.Client) error {
				_, err := c.PutItem(ctx, putIn(table, "P", "A"))
				return err
			},
			conflictError(OpPutItem),
		},
		{
			"transaction cancelled for a conflict",
			`{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",` +
				`"Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict, None]",` +
				`"CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"},{"Code":"None"}]}`,
			func(c *dynamodb.Client) error {
				_, err := c.TransactWriteItems(ctx, txn(put(table, "P", "A"), update(table, "P", "B"), check(table, "P", "C")))
				return err
			},
			cancelError([]bool{false, true, false}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := shapeOf(sdkError(t, tt.body, tt.call))
			if got := shapeOf(tt.model); !reflect.DeepEqual(got, want) {
				t.Errorf("model error\n  %+v\nwant, as the SDK's,\n  %+v", got, want)
			}
			if want.Status != http.StatusBadRequest || want.Code == "" {
				t.Errorf("SDK error %+v: not the 400 exception the test means to compare", want)
			}
		})
	}
}
