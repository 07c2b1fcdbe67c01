package lambdafn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/tracing"
	"github.com/aws/smithy-go/tracing/smithyoteltracing"
	"go.opentelemetry.io/otel/attribute"

	"github.com/flexportal-compat/customers-api/internal/telemetry"
)

// countRequests is an AWS SDK middleware that counts each operation of a client in the
// telemetry.Request of its context, with its retries (the attempts the SDK's retryer made after
// the first), for the request's log line and metrics.
func countRequests(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("CountRequests",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			retries := 0
			if res, ok := retry.GetAttemptResults(md); ok && len(res.Results) > 1 {
				retries = len(res.Results) - 1
			}
			telemetry.FromContext(ctx).CountDynamoDB(retries)
			return out, md, err
		}), middleware.Before)
}

// observability is what a function's HTTP handler reports besides its answer: the request
// metrics' namespace and the tracing.
type observability struct {
	namespace string
	tracing   *telemetry.Tracing
	name      string // the server span's name: the route
	coldStart *telemetry.ColdStart
}

// sdkTracer returns the tracer provider of the function's AWS SDK clients: nil (the SDK's own
// no-op) when tracing is off, so an untraced call costs nothing more than before.
func (o observability) sdkTracer() tracing.TracerProvider {
	if o.tracing == nil || !o.tracing.Recording() {
		return nil
	}
	return smithyoteltracing.Adapt(o.tracing.Provider)
}

// observabilityFromConfig returns the function's observability: EMF metrics in cfg's
// namespace, and tracing as cfg.Tracing says — off, or spans sent to the X-Ray OTLP endpoint of
// the function's region (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT overrides it, for tests), signed
// with the function's role (xray:PutSpans).
func observabilityFromConfig(name string, cfg Config, log *slog.Logger, getenv func(string) string) (observability, error) {
	o := observability{namespace: cfg.MetricsNamespace, name: name, tracing: telemetry.Off(), coldStart: &process}
	if cfg.Tracing != TracingXRay {
		return o, nil
	}
	awsCfg, err := AWSConfig("", getenv)
	if err != nil {
		return observability{}, err
	}
	url := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if url == "" {
		url = "https://xray." + awsCfg.Region + ".amazonaws.com/v1/traces"
	}
	exp := &telemetry.OTLPExporter{URL: url, Client: awsCfg.HTTPClient, Sign: signXRay(awsCfg)}
	o.tracing = telemetry.NewTracing(exp, name,
		attribute.String("cloud.provider", "aws"), attribute.String("cloud.platform", "aws_lambda"),
		attribute.String("cloud.region", awsCfg.Region),
		attribute.String("faas.name", cfg.Function), attribute.String("faas.version", cfg.Version))
	o.tracing.Log = log
	return o, nil
}

// signXRay signs a span export with SigV4 for the X-Ray OTLP endpoint (service "xray").
func signXRay(cfg aws.Config) func(context.Context, *http.Request, []byte) error {
	signer := v4.NewSigner()
	return func(ctx context.Context, req *http.Request, body []byte) error {
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		return signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "xray", cfg.Region, time.Now())
	}
}

// lambdaTraceHeader returns the X-Ray trace header of the invocation, which aws-lambda-go puts
// in the context: the function's own segment, so the function's spans are its children.
func lambdaTraceHeader(ctx context.Context) string {
	h, _ := ctx.Value("x-amzn-trace-id").(string)
	return h
}
