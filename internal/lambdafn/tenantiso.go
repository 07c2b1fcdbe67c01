package lambdafn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
)

// tenantActions are the DynamoDB actions each route's function performs on a tenant's items:
// the actions of its tenant sessions (sessionPolicy). TestTemplateTenantIsolation holds them to
// the actions the function's policy in template.yaml lists, which the e2e test holds to the
// requests the function really makes.
var tenantActions = map[string][]string{
	"list-customers":     {"dynamodb:GetItem", "dynamodb:Query"},
	"get-customer":       {"dynamodb:GetItem"},
	"update-customer":    {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:TransactWriteItems", "dynamodb:UpdateItem"},
	"delete-customer":    {"dynamodb:GetItem", "dynamodb:UpdateItem"},
	"create-order":       {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:TransactWriteItems", "dynamodb:UpdateItem"},
	"list-orders":        {"dynamodb:GetItem", "dynamodb:Query"},
	"get-order":          {"dynamodb:GetItem"},
	"cancel-order":       {"dynamodb:GetItem", "dynamodb:TransactWriteItems", "dynamodb:UpdateItem"},
	"update-order-notes": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
	"erase-customer":     {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:TransactWriteItems", "dynamodb:UpdateItem"},
	"export-customer":    {"dynamodb:GetItem", "dynamodb:Query"},
}

// sessionPolicy returns the session policy of tenant's sessions for a function performing
// actions: those actions, on items whose partition key (of the table or of the index queried)
// is the tenant's — TENANT#<tenant>, or TENANT#<tenant>#... for the index keys. The role it is
// passed with limits the resources to the table and its indexes; a session can do only what
// both allow. Tenant ids hold no * or ? (auth.ValidTenant), so the patterns match only the
// tenant's own keys.
func sessionPolicy(tenant string, actions []string) string {
	type statement struct {
		Effect    string
		Action    []string
		Resource  string
		Condition map[string]map[string][]string
	}
	doc := struct {
		Version   string
		Statement []statement
	}{"2012-10-17", []statement{{
		Effect: "Allow", Action: actions, Resource: "*",
		Condition: map[string]map[string][]string{
			"ForAllValues:StringLike": {"dynamodb:LeadingKeys": {"TENANT#" + tenant, "TENANT#" + tenant + "#*"}},
		},
	}}}
	b, _ := json.Marshal(doc) // strings and slices only: cannot fail
	return string(b)
}

// sessionName is the role session name of tenant's sessions, which CloudTrail shows: t- and
// the tenant (':' becomes '@', which no tenant id holds), cut to the 64 characters STS allows.
func sessionName(tenant string) string {
	s := "t-" + strings.ReplaceAll(tenant, ":", "@")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// Tenant credentials are asked for this long, and renewed this long before they expire. Role
// chaining (a Lambda role's session assuming another role) allows at most one hour.
const (
	tenantSessionDuration = 15 * time.Minute
	tenantSessionRenew    = time.Minute
	// maxTenantSessions bounds the tenants whose credentials a container keeps.
	maxTenantSessions = 256
)

// tenantClient is a dynamo.Client that sends every request of an authenticated request with
// credentials for that request's tenant alone: the tenant role assumed with the tenant's
// session policy. The tenant comes from the request's authentication
// (httpapi.AuthenticatedTenant), never from the keys of the request, so a request that names
// another tenant's items — whatever the bug — is refused by DynamoDB. Requests made before
// authentication (the API key lookup) use the function's own role, which reaches API key items
// only. Each tenant's credentials are cached (aws.CredentialsCache) until a minute before they
// expire: a warm request makes no STS request.
type tenantClient struct {
	dynamo   *dynamodb.Client
	assume   func(tenant string) aws.CredentialsProvider
	tenantOf func(context.Context) string // httpapi.AuthenticatedTenant
	mu       sync.Mutex
	tenants  map[string]aws.CredentialsProvider
}

// newTenantClient returns the tenant-scoped client of a function performing actions on tenant
// data, on client, assuming role through sts.
func newTenantClient(client *dynamodb.Client, sts *assumeRole, role string, actions []string) *tenantClient {
	return &tenantClient{
		dynamo:   client,
		tenantOf: httpapi.AuthenticatedTenant,
		tenants:  map[string]aws.CredentialsProvider{},
		assume: func(tenant string) aws.CredentialsProvider {
			return aws.NewCredentialsCache(sts.provider(session{
				role: role, name: sessionName(tenant), policy: sessionPolicy(tenant, actions), duration: tenantSessionDuration,
			}), func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = tenantSessionRenew })
		},
	}
}

var (
	_ dynamo.Client         = (*tenantClient)(nil)
	_ dynamo.TransactGetter = (*tenantClient)(nil)
)

// credentials returns the options that send a request of ctx with its tenant's credentials, or
// none (the function's own role) before authentication.
func (c *tenantClient) credentials(ctx context.Context, optFns []func(*dynamodb.Options)) []func(*dynamodb.Options) {
	tenant := c.tenantOf(ctx)
	if tenant == "" {
		return optFns
	}
	c.mu.Lock()
	p, ok := c.tenants[tenant]
	if !ok {
		if len(c.tenants) >= maxTenantSessions {
			for t := range c.tenants { // any one: a container rarely serves this many tenants
				delete(c.tenants, t)
				break
			}
		}
		p = c.assume(tenant)
		c.tenants[tenant] = p
	}
	c.mu.Unlock()
	return append(optFns, func(o *dynamodb.Options) { o.Credentials = p })
}

func (c *tenantClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return c.dynamo.GetItem(ctx, in, c.credentials(ctx, optFns)...)
}

func (c *tenantClient) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return c.dynamo.BatchGetItem(ctx, in, c.credentials(ctx, optFns)...)
}

func (c *tenantClient) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	return c.dynamo.TransactGetItems(ctx, in, c.credentials(ctx, optFns)...)
}

func (c *tenantClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return c.dynamo.PutItem(ctx, in, c.credentials(ctx, optFns)...)
}

func (c *tenantClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return c.dynamo.UpdateItem(ctx, in, c.credentials(ctx, optFns)...)
}

func (c *tenantClient) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return c.dynamo.Query(ctx, in, c.credentials(ctx, optFns)...)
}

func (c *tenantClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return c.dynamo.TransactWriteItems(ctx, in, c.credentials(ctx, optFns)...)
}

// routeStore returns the DynamoDB client the store of route name's function uses: client
// itself, or with TENANT_ROLE_ARN set, the tenant-scoped client over it.
func routeStore(name string, cfg Config, client *dynamodb.Client, getenv func(string) string) (dynamo.Client, error) {
	if cfg.TenantRoleARN == "" {
		return client, nil
	}
	actions, ok := tenantActions[name]
	if !ok || len(actions) == 0 {
		return nil, fmt.Errorf("lambdafn: route %s has no tenant actions", name)
	}
	sts, err := newAssumeRole(getenv)
	if err != nil {
		return nil, err
	}
	return newTenantClient(client, sts, cfg.TenantRoleARN, actions), nil
}
