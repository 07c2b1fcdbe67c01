package lambdafn

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// xmlText returns the text of the first element named tag in doc, and whether there is one:
// enough XML for STS's answers, whose elements carry no attributes (but the root's xmlns) and
// whose element names are unique within an answer. encoding/xml, which it replaces, was 40 KB
// of every route function (the 10 MB limit).
func xmlText(doc, tag string) (string, bool) {
	_, rest, ok := strings.Cut(doc, "<"+tag+">")
	if !ok {
		return "", false
	}
	text, _, ok := strings.Cut(rest, "</"+tag+">")
	if !ok {
		return "", false
	}
	return xmlUnescape(text), true
}

// xmlUnescape replaces XML's predefined entities and character references in s; anything else
// that starts with & is kept as it is.
func xmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		j := strings.IndexByte(s[max(i, 0):], ';') + max(i, 0)
		if i < 0 || j < i {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		switch ref := s[i+1 : j]; ref {
		case "amp":
			b.WriteByte('&')
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			var n uint64
			err := strconv.ErrSyntax
			if hex, ok := strings.CutPrefix(ref, "#x"); ok {
				n, err = strconv.ParseUint(hex, 16, 32)
			} else if dec, ok := strings.CutPrefix(ref, "#"); ok {
				n, err = strconv.ParseUint(dec, 10, 32)
			}
			if err != nil || !utf8.ValidRune(rune(n)) {
				b.WriteString(s[i : j+1]) // not a reference: kept
			} else {
				b.WriteRune(rune(n))
			}
		}
		s = s[j+1:]
	}
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
	doc := string(answer)
	if status != http.StatusOK {
		code, _ := xmlText(doc, "Code")
		msg, _ := xmlText(doc, "Message")
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: %d %s: %s %s", s.role, status, http.StatusText(status), code, msg)
	}
	var c aws.Credentials
	var id, secret, token, expiry bool
	c.AccessKeyID, id = xmlText(doc, "AccessKeyId")
	c.SecretAccessKey, secret = xmlText(doc, "SecretAccessKey")
	c.SessionToken, token = xmlText(doc, "SessionToken")
	exp, expiry := xmlText(doc, "Expiration")
	expires, err := time.Parse(time.RFC3339, exp)
	if !id || !secret || !token || !expiry || c.AccessKeyID == "" || err != nil {
		return aws.Credentials{}, fmt.Errorf("lambdafn: AssumeRole %s: no credentials in the answer", s.role)
	}
	c.Source, c.CanExpire, c.Expires = "AssumeRole", true, expires
	return c, nil
}
