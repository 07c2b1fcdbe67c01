package lambdafn

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// assumeRole is the one STS call a function makes: AssumeRole with a session policy, as the
// query protocol spells it, at the regional endpoint (awsCall: why not the SDK's client).
type assumeRole struct{ call *awsCall }

// newAssumeRole returns the AssumeRole caller of a function, from AWSConfig; the SDK's own
// variable AWS_ENDPOINT_URL_STS overrides the endpoint (tests).
func newAssumeRole(getenv func(string) string) (*assumeRole, error) {
	c, err := newAWSCall("sts", "AWS_ENDPOINT_URL_STS", getenv)
	if err != nil {
		return nil, err
	}
	return &assumeRole{call: c}, nil
}

// session is one role session to assume: what an AssumeRole request names.
type session struct {
	role, name, policy string
	duration           time.Duration
}

// provider returns the credentials provider of s (wrap it in aws.NewCredentialsCache).
func (a *assumeRole) provider(s session) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) { return a.assume(ctx, s) })
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

func (a *assumeRole) assume(ctx context.Context, s session) (aws.Credentials, error) {
	form := url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {s.role}, "RoleSessionName": {s.name}, "Policy": {s.policy},
		"DurationSeconds": {strconv.Itoa(int(s.duration / time.Second))},
	}
	status, answer, err := a.call.post(ctx, []byte(form.Encode()), "Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: %w", s.role, err)
	}
	if status != http.StatusOK {
		var e stsError
		_ = xml.Unmarshal(answer, &e)
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: %d %s: %s %s", s.role, status, http.StatusText(status), e.Code, e.Message)
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
