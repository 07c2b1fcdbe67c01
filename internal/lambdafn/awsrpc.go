package lambdafn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// awsCall is one AWS API request made without the service's SDK client: a POST signed with
// SigV4 by the function's credentials, sent through the SDK's HTTP client (AWS_CA_BUNDLE and
// all). A function makes two such calls, each once per container or tenant: GetSecretValue
// (secret.go) and AssumeRole (sts.go).
//
// Why not the SDK's service clients: measured on update-customer (linux/arm64), the Secrets
// Manager client added 262 KB and 0.26 ms of package initialisation to every function (the
// ones that never read a secret too), the STS client 655 KB; with tracing the functions went past
// the 10 MB limit, and their init past 1.5x a hello-world function. Each of these calls is a
// body in, a body out.
type awsCall struct {
	cfg      aws.Config
	service  string // the SigV4 signing name: sts, secretsmanager
	endpoint string
	signer   *v4.Signer
	now      func() time.Time
}

// newAWSCall returns the caller of service for a function, from AWSConfig: at endpoint (the
// SDK's AWS_ENDPOINT_URL_<SERVICE> variable, for tests) or the service's regional endpoint.
func newAWSCall(service, endpointVar string, getenv func(string) string) (*awsCall, error) {
	endpoint := getenv(endpointVar)
	cfg, err := AWSConfig(endpoint, getenv)
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		endpoint = "https://" + service + "." + cfg.Region + ".amazonaws.com"
	}
	return &awsCall{cfg: cfg, service: service, endpoint: strings.TrimSuffix(endpoint, "/") + "/", signer: v4.NewSigner(), now: time.Now}, nil
}

// post sends body with the headers given (name, value, ...) and returns the answer's status
// and body (at most 64 KiB).
func (c *awsCall) post(ctx context.Context, body []byte, headers ...string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("the function's credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.service, c.cfg.Region, c.now()); err != nil {
		return 0, nil, fmt.Errorf("sign: %w", err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, answer, nil
}
