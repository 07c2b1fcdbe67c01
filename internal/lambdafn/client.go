package lambdafn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/tracing"
)

// NewClient returns the DynamoDB client of a function, configured from the environment that Lambda
// gives every function (see AWSConfig). A non-empty endpoint (moto, DynamoDB Local) overrides the
// service endpoint.
//
// Why not config.LoadDefaultConfig (dynamosetup.Connect): its shared-config, SSO, STS and IMDS support
// adds about 2 MB to every function binary (the 10 MB budget) and work to every cold start, and a
// function has no use for it.
//
// Each operation is counted, with its retries, in the telemetry.Request of its context (the
// request's log line and metrics).
func NewClient(endpoint string, getenv func(string) string) (*dynamodb.Client, error) {
	return newDynamoClient(endpoint, getenv, nil)
}

// newDynamoClient is NewClient with its operations traced by tp (nil: not traced), and optFns
// applied last (tests).
func newDynamoClient(endpoint string, getenv func(string) string, tp tracing.TracerProvider, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := awsConfig(endpoint, getenv)
	if err != nil {
		return nil, fmt.Errorf("lambdafn: DynamoDB client: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, countRequests)
		if tp != nil {
			o.TracerProvider = tp
		}
	}, func(o *dynamodb.Options) {
		for _, fn := range optFns {
			fn(o)
		}
	}), nil
}

// AWSConfig returns the configuration of a function's AWS SDK clients (any service's
// NewFromConfig), from the environment that Lambda gives every function: AWS_REGION and the role's
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. A non-empty endpoint (an
// emulator) overrides the service endpoint; then missing credentials and region default to
// dummies, as emulators ignore signatures. AWS_CA_BUNDLE, which the SDK's default configuration
// honours, is honoured here too. The SDK's standard retryer is kept.
func AWSConfig(endpoint string, getenv func(string) string) (aws.Config, error) {
	cfg, err := awsConfig(endpoint, getenv)
	if err != nil {
		return aws.Config{}, fmt.Errorf("lambdafn: AWS configuration: %w", err)
	}
	return cfg, nil
}

func awsConfig(endpoint string, getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	id, secret, token := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	if endpoint != "" {
		if region == "" {
			region = "us-east-1"
		}
		if id == "" || secret == "" {
			id, secret, token = "local", "local", ""
		}
	}
	var errs []error
	if region == "" {
		errs = append(errs, errors.New("AWS_REGION is not set"))
	}
	if id == "" || secret == "" {
		errs = append(errs, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"))
	}
	httpClient := awshttp.NewBuildableClient()
	if path := getenv("AWS_CA_BUNDLE"); path != "" {
		pool, err := caPool(path)
		if err != nil {
			errs = append(errs, err)
		}
		httpClient = httpClient.WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig.RootCAs = pool
		})
	}
	if len(errs) > 0 {
		return aws.Config{}, errors.Join(errs...)
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, token),
		HTTPClient:  httpClient,
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}

// caPool returns the system roots plus the PEM certificates of path.
func caPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE %s: no PEM certificates", path)
	}
	return pool, nil
}
