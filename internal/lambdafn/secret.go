package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/flexportal-compat/customers-api/internal/cursor"
	"github.com/flexportal-compat/customers-api/internal/fault"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
)

// secretGetter reads a secret's text: one GetSecretValue at init, and again only when a cursor
// names a key the container does not hold yet.
type secretGetter interface {
	GetSecretValue(ctx context.Context, id string) (string, error)
}

// secretsClient is a function's Secrets Manager client: GetSecretValue alone, in the JSON 1.1
// protocol (awsCall: why not the SDK's client).
type secretsClient struct{ call *awsCall }

// newSecretsClient returns the Secrets Manager client of a function, from AWSConfig; the SDK's
// own variable AWS_ENDPOINT_URL_SECRETS_MANAGER overrides the endpoint (moto in tests).
func newSecretsClient(getenv func(string) string) (*secretsClient, error) {
	c, err := newAWSCall("secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER", getenv)
	if err != nil {
		return nil, err
	}
	return &secretsClient{call: c}, nil
}

// GetSecretValue returns the SecretString of the secret id (its ARN or name), current version.
func (c *secretsClient) GetSecretValue(ctx context.Context, id string) (string, error) {
	in, _ := json.Marshal(struct{ SecretId string }{id}) // a string: cannot fail
	status, answer, err := c.call.post(ctx, in,
		"Content-Type", "application/x-amz-json-1.1", "X-Amz-Target", "secretsmanager.GetSecretValue")
	if err != nil {
		return "", fmt.Errorf("GetSecretValue: %w", err)
	}
	var out struct {
		SecretString *string
		Type         string `json:"__type"`
		Message      string // "Message" or "message": encoding/json matches either
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return "", fmt.Errorf("GetSecretValue: %d %s: an answer that is not JSON", status, http.StatusText(status))
	}
	if status != http.StatusOK {
		_, code, _ := strings.Cut(out.Type, "#")
		if code == "" {
			code = out.Type
		}
		return "", fmt.Errorf("GetSecretValue: %d %s: %s %s", status, http.StatusText(status), code, out.Message)
	}
	if out.SecretString == nil {
		return "", errors.New("GetSecretValue: the secret has no SecretString (a binary secret?)")
	}
	return *out.SecretString, nil
}

// parseCursorKeys reads the cursor key ring from the secret's text: a JSON object naming the
// current key id and holding each key under its id,
//
//	{"current": "2", "1": "<previous key>", "2": "<current key>"}
//
// (ids 1 to 255; "current" may be a number or a string: the template generates the string), or
// a plain string, which is key 1 alone. Every key must be at least cursor.MinKeyLen bytes.
func parseCursorKeys(secret string) (cursor.Keys, error) {
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(secret), &fields) != nil {
		k := cursor.Keys{Current: 1, ByID: map[uint8][]byte{1: []byte(secret)}}
		if _, err := cursor.NewKeyring(k); err != nil {
			return cursor.Keys{}, err
		}
		return k, nil
	}
	k := cursor.Keys{ByID: map[uint8][]byte{}}
	for name, raw := range fields {
		var text string
		if name == "current" {
			if json.Unmarshal(raw, &text) != nil {
				text = string(raw) // a number
			}
			id, err := keyID(text)
			if err != nil {
				return cursor.Keys{}, fmt.Errorf(`"current": %w`, err)
			}
			k.Current = id
			continue
		}
		id, err := keyID(name)
		if err != nil {
			return cursor.Keys{}, fmt.Errorf("key %q: %w", name, err)
		}
		if json.Unmarshal(raw, &text) != nil {
			return cursor.Keys{}, fmt.Errorf("key %d: not a string", id)
		}
		k.ByID[id] = []byte(text)
	}
	if k.Current == 0 {
		return cursor.Keys{}, errors.New(`no "current" key id`)
	}
	if _, err := cursor.NewKeyring(k); err != nil {
		return cursor.Keys{}, err
	}
	return k, nil
}

func keyID(s string) (uint8, error) {
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("key id %q: want 1 to 255", s)
	}
	return uint8(n), nil
}

// fetchCursorKeys reads the key ring from the secret arn: one GetSecretValue.
func fetchCursorKeys(ctx context.Context, sm secretGetter, arn string) (cursor.Codec, error) {
	text, err := sm.GetSecretValue(ctx, arn)
	if err != nil {
		return cursor.Codec{}, fmt.Errorf("lambdafn: read the cursor secret: %w", err)
	}
	keys, err := parseCursorKeys(text)
	if err != nil {
		// Never the secret's text: only what is wrong with it.
		return cursor.Codec{}, fmt.Errorf("lambdafn: the cursor secret: %w", err)
	}
	return cursor.NewKeyring(keys)
}

// cursorCodec returns the cursors of a function that pages: from CursorSecret, or from the
// secret CursorSecretARN, read from the first invocation on (reloadingCursors). Only a
// configuration error fails here; a secret that cannot be read or parsed is reported by the
// paging requests (Ready) and by the log.
func cursorCodec(cfg Config, log *slog.Logger, newClient func() (secretGetter, error)) (httpapi.Cursors, error) {
	if cfg.CursorSecretARN == "" {
		keys, err := parseCursorKeys(cfg.CursorSecret)
		if err != nil {
			return nil, fmt.Errorf("lambdafn: CURSOR_SECRET: %w", err)
		}
		c, err := cursor.NewKeyring(keys)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return newReloadingCursors(newClient, cfg.CursorSecretARN, log, time.Now), nil
}

// reloadMinInterval is the least time between two reads of the cursor secret after the first.
const reloadMinInterval = 30 * time.Second

// readTimeout bounds a read of the cursor secret made on a request's path, and
// firstReadTimeout the first one, which the first paging request waits for.
const (
	readTimeout      = 2 * time.Second
	firstReadTimeout = 5 * time.Second
)

// errNoCursorKeys is the cause of a paging request refused because the container holds no
// cursor keys: the secret's read failed, and reading it again is not due yet.
var errNoCursorKeys = errors.New("lambdafn: no cursor keys: the cursor secret was not read")

// reloadingCursors is a function's cursor codec from the secret, kept for the life of the
// container.
//
// The first read is neither at init nor on the request's path: it starts when the container's
// first invocation arrives (start, from the function's handler), in the background, so that
// init neither waits for it (a TLS handshake and a round trip to Secrets Manager, the list
// functions' whole excess over the other functions' init: docs/decisions.md) nor shares its
// CPU with it. The HTTP API calls Ready before a paging route's handler, after the request's
// authentication, whose API key read overlaps with this one; Ready waits for the first read
// and, if it failed, reads again (at most once per reloadMinInterval), answering 503
// SERVICE_UNAVAILABLE while there are no keys.
//
// When a cursor names a key id the ring lacks — sealed by a container that started after a new
// key was added — Decode reads the secret again (at most once per reloadMinInterval, so forged
// ids cannot make every request a read) and tries once more. Sealing never reads.
type reloadingCursors struct {
	newClient func() (secretGetter, error)
	arn       string
	log       *slog.Logger
	now       func() time.Time
	started   sync.Once
	first     chan struct{} // closed once the first read is over
	sm        secretGetter  // set by the first read, before first is closed

	mu      sync.Mutex
	codec   cursor.Codec
	loaded  bool      // codec holds the ring
	fetched time.Time // the last read after the first (or the first, when it succeeded)
}

// newReloadingCursors returns the cursors of the secret arn, read through the client newClient
// makes; nothing is read before start.
func newReloadingCursors(newClient func() (secretGetter, error), arn string, log *slog.Logger, now func() time.Time) *reloadingCursors {
	return &reloadingCursors{newClient: newClient, arn: arn, log: log, now: now, first: make(chan struct{})}
}

// start starts the first read, once, in the background.
func (r *reloadingCursors) start() { r.started.Do(func() { go r.readFirst() }) }

func (r *reloadingCursors) readFirst() {
	defer close(r.first)
	sm, err := r.newClient()
	if err != nil {
		r.log.Error("cursor secret not read", slog.Any("error", err))
		return
	}
	r.sm = sm
	ctx, cancel := context.WithTimeout(context.Background(), firstReadTimeout)
	defer cancel()
	c, err := fetchCursorKeys(ctx, sm, r.arn)
	if err != nil {
		r.log.Error("cursor secret not read", slog.Any("error", err))
		return
	}
	r.mu.Lock()
	r.codec, r.loaded, r.fetched = c, true, r.now()
	r.mu.Unlock()
}

// Ready returns once the container holds its cursor keys, or the reason it does not: a
// fault.Unavailable error (503), or ctx's error.
func (r *reloadingCursors) Ready(ctx context.Context) error {
	r.start()
	select {
	case <-r.first:
	case <-ctx.Done():
		return ctx.Err()
	}
	r.mu.Lock()
	if r.loaded {
		r.mu.Unlock()
		return nil
	}
	if !r.fetched.IsZero() && r.now().Sub(r.fetched) < reloadMinInterval {
		r.mu.Unlock()
		return fault.Wrap(fault.Unavailable, "", errNoCursorKeys)
	}
	r.fetched = r.now()
	r.mu.Unlock()
	if r.sm == nil { // no client: its configuration error is in the log
		return fault.Wrap(fault.Unavailable, "", errNoCursorKeys)
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	c, err := fetchCursorKeys(ctx, r.sm, r.arn)
	if err != nil {
		r.log.Error("cursor secret not read", slog.Any("error", err))
		return fault.Wrap(fault.Unavailable, "", err)
	}
	r.mu.Lock()
	r.codec, r.loaded = c, true
	r.mu.Unlock()
	return nil
}

// current returns the ring, and whether there is one yet.
func (r *reloadingCursors) current() (cursor.Codec, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.codec, r.loaded
}

// Encode seals with the current key. Ready must have succeeded first (the HTTP API sees to it):
// without a ring there is no key to seal with, and a panic (a 500) is the only safe answer.
func (r *reloadingCursors) Encode(tenant, query, last string) string {
	c, ok := r.current()
	if !ok {
		panic("lambdafn: a cursor sealed before the cursor keys were read (Ready)")
	}
	return c.Encode(tenant, query, last)
}

func (r *reloadingCursors) Decode(tenant, query, token string) (string, error) {
	c, ok := r.current()
	if !ok {
		return "", fault.Wrap(fault.Unavailable, "", errNoCursorKeys)
	}
	last, err := c.Decode(tenant, query, token)
	id, ok := cursor.KeyID(token)
	if err == nil || !ok || c.Has(id) {
		return last, err
	}
	r.mu.Lock()
	if r.now().Sub(r.fetched) < reloadMinInterval {
		r.mu.Unlock()
		return "", cursor.ErrInvalid
	}
	r.fetched = r.now()
	r.mu.Unlock()
	// Decode has no context of its own; the read is bounded instead.
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	fresh, ferr := fetchCursorKeys(ctx, r.sm, r.arn)
	if ferr != nil {
		r.log.Warn("cursor key ring not reloaded", slog.Any("error", ferr))
		return "", cursor.ErrInvalid
	}
	r.mu.Lock()
	r.codec = fresh
	r.mu.Unlock()
	return fresh.Decode(tenant, query, token)
}

// startingCursors returns h starting the first read of c's secret, if c reads one, when an
// invocation arrives and before h handles it: the read then overlaps the request's
// authentication instead of the init phase.
func startingCursors(h Handler, c httpapi.Cursors) Handler {
	r, ok := c.(*reloadingCursors)
	if !ok {
		return h
	}
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r.start()
		return h(ctx, ev)
	}
}
