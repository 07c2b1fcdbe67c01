package lambdafn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// assumeRole is the one STS call a function makes: AssumeRole with a session policy, as the
// query protocol spells it, signed with the function's credentials (SigV4, service sts) and sent
// to the regional endpoint.
//
// Why not the SDK's STS client (service/sts with credentials/stscreds): it added 655 KB to every
// function (measured: its operations, the query and XML protocol packages, SigV4a's ECDSA),
// taking them past the 10 MB limit beside tracing and the Secrets Manager client; this call is
// one form POST and one XML answer. aws.CredentialsCache still does the caching and renewal.
type assumeRole struct {
	cfg      aws.Config
	endpoint string // https://sts.<region>.amazonaws.com, or AWS_ENDPOINT_URL_STS
	signer   *v4.Signer
	now      func() time.Time
}

// newAssumeRole returns the AssumeRole caller of a function, from AWSConfig; the SDK's own
// variable AWS_ENDPOINT_URL_STS overrides the endpoint (tests).
func newAssumeRole(getenv func(string) string) (*assumeRole, error) {
	endpoint := getenv("AWS_ENDPOINT_URL_STS")
	cfg, err := AWSConfig(endpoint, getenv)
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		endpoint = "https://sts." + cfg.Region + ".amazonaws.com"
	}
	return &assumeRole{cfg: cfg, endpoint: strings.TrimSuffix(endpoint, "/"), signer: v4.NewSigner(), now: time.Now}, nil
}

// session is one role session to assume: what an AssumeRole request names.
type session struct {
	role, name, policy string
	duration           time.Duration
}

// provider returns the credentials provider of s (wrap it in aws.NewCredentialsCache).
func (a *assumeRole) provider(s session) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) { return a.call(ctx, s) })
}

// assumeRoleResponse is the part of AssumeRole's XML answer a function reads.
type assumeRoleResponse struct {
	Credentials struct {
		AccessKeyID     string    `xml:"AccessKeyId"`
		SecretAccessKey string    `xml:"SecretAccessKey"`
		SessionToken    string    `xml:"SessionToken"`
		Expiration      time.Time `xml:"Expiration"`
	} `xml:"AssumeRoleResult>Credentials"`
}

// stsError is STS's XML error answer.
type stsError struct {
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
}

func (a *assumeRole) call(ctx context.Context, s session) (aws.Credentials, error) {
	form := url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {s.role}, "RoleSessionName": {s.name}, "Policy": {s.policy},
		"DurationSeconds": {strconv.Itoa(int(s.duration / time.Second))},
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint+"/", strings.NewReader(body))
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := a.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole: the function's credentials: %w", err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := a.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", a.cfg.Region, a.now()); err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole: sign: %w", err)
	}
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: %w", s.role, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: %w", s.role, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e stsError
		_ = xml.Unmarshal(answer, &e)
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: %s: %s %s", s.role, resp.Status, e.Code, e.Message)
	}
	var out assumeRoleResponse
	if err := xml.Unmarshal(answer, &out); err != nil || out.Credentials.AccessKeyID == "" {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: no credentials in the answer (%v)", s.role, err)
	}
	c := out.Credentials
	return aws.Credentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Source: "AssumeRole", CanExpire: true, Expires: c.Expiration,
	}, nil
}
