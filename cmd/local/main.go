// Command local serves the whole API on one local HTTP server, on the embedded store (a bbolt
// file) or, with -dynamodb-endpoint, on DynamoDB (an emulator such as moto, or AWS itself).
//
//	go run ./cmd/local                        # 127.0.0.1:3000, ./customers-local.db, a demo key
//	go run ./cmd/local -api-key acme=secret1  # your own key for tenant acme, all scopes
//	go run ./cmd/local -keys keys.json        # [{"key":"...","tenants":["acme"],"scopes":["customers:read"]}]
//	go run ./cmd/local -dynamodb-endpoint http://127.0.0.1:8000 -table customers -create-table
//
// Without -keys or -api-key it creates a key for tenant "demo" with every scope and prints it
// with curl lines: "local-demo-key" when the server listens on a loopback address (so the
// README's examples work as pasted), a random one otherwise. The random key and the cursor secret
// are kept next to the data file (in <data>.secrets.db, mode 0600), so both survive restarts.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/httpapi"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
	"github.com/flexportal-compat/customers-api/internal/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

// store is what the local server needs: the API's store and a way to install and revoke keys.
type store interface {
	httpapi.Store
	PutAPIKey(ctx context.Context, k auth.Key) error
	RevokeAPIKey(ctx context.Context, id string) error
}

// keySpec is one entry of the -keys file.
type keySpec struct {
	Key     string       `json:"key"`
	Tenants []string     `json:"tenants"`
	Scopes  []auth.Scope `json:"scopes"`
}

// LocalDemoKey is the demo key of a server that listens on a loopback address only.
const LocalDemoKey = "local-demo-key"

// loopback reports whether addr (host:port) can only be reached from this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// demoKeyFor is the demo key of a server listening on addr: the fixed LocalDemoKey on a loopback
// address, which makes the README's examples paste-ready; anything reachable from elsewhere gets
// the random key kept with the data.
func demoKeyFor(addr string, kept secrets) string {
	if loopback(addr) {
		return LocalDemoKey
	}
	return kept.DemoKey
}

// keyFlags collects repeated -api-key TENANT=KEY flags.
type keyFlags []keySpec

func (k *keyFlags) String() string { return fmt.Sprintf("%d keys", len(*k)) }

func (k *keyFlags) Set(s string) error {
	tenant, key, ok := strings.Cut(s, "=")
	if !ok || tenant == "" || key == "" {
		return errors.New("want TENANT=KEY")
	}
	if !auth.ValidTenant(tenant) {
		return fmt.Errorf("tenant %q: want 1-%d characters of letters, digits and . _ : -", tenant, auth.MaxTenantLen)
	}
	*k = append(*k, keySpec{Key: key, Tenants: []string{tenant}, Scopes: auth.AllScopes})
	return nil
}

// secrets are what the local server keeps next to its data file. Keys are the ids of the API
// keys the last run installed: each run revokes those it does not install again, so the keys
// given by flags (or the demo key, when none is given) are the only keys cmd/local has made that
// work.
type secrets struct {
	DemoKey      string   `json:"demoKey"`
	CursorSecret string   `json:"cursorSecret"`
	Keys         []string `json:"keys,omitempty"`
}

// run parses args, serves until ctx is done, and shuts down gracefully. It prints the address
// (and the demo key, when it made one) to stdout; logs go to stderr as JSON.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:3000", "listen address")
	data := fs.String("data", "customers-local.db", "embedded store file")
	keysFile := fs.String("keys", "", `JSON file of API keys: [{"key","tenants","scopes"}]`)
	var keys keyFlags
	fs.Var(&keys, "api-key", "TENANT=KEY: an API key for TENANT with every scope (repeatable)")
	endpoint := fs.String("dynamodb-endpoint", "", "serve on DynamoDB at this endpoint instead of the embedded store")
	table := fs.String("table", "", "DynamoDB table name (with -dynamodb-endpoint)")
	createTable := fs.Bool("create-table", false, "create the DynamoDB table first")
	cursorSecret := fs.String("cursor-secret", "", "secret for signing list cursors (default: kept next to -data, or random)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	trace := fs.Bool("trace", false, "trace each request: a span line in the log per request (off by default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if *keysFile != "" {
		fromFile, err := readKeys(*keysFile)
		if err != nil {
			return err
		}
		keys = append(keys, fromFile...)
	}

	var s store
	keptAt := secretsPath(*data)
	if *endpoint != "" {
		if *table == "" {
			return errors.New("-table is required with -dynamodb-endpoint")
		}
		client, err := dynamosetup.Connect(ctx, *endpoint)
		if err != nil {
			return err
		}
		if *createTable {
			if err := dynamosetup.CreateTable(ctx, client, *table); err != nil {
				return err
			}
		}
		s = dynamo.New(client, *table)
		keptAt = dynamoSecretsPath(*data, *table)
	} else {
		es, err := embedded.Open(*data)
		if err != nil {
			return err
		}
		defer es.Close()
		s = es
	}
	kept, err := loadSecrets(keptAt)
	if err != nil {
		return err
	}
	if *cursorSecret != "" {
		kept.CursorSecret = *cursorSecret
	}

	demo, demoKey := len(keys) == 0, demoKeyFor(*addr, kept)
	if demo {
		keys = keyFlags{{Key: demoKey, Tenants: []string{"demo"}, Scopes: auth.AllScopes}}
	}
	installed := make([]string, 0, len(keys))
	for _, k := range keys {
		id, err := installKey(ctx, s, k)
		if err != nil {
			return err
		}
		installed = append(installed, id)
	}
	for _, id := range kept.Keys {
		if slices.Contains(installed, id) {
			continue
		}
		if err := s.RevokeAPIKey(ctx, id); err != nil && !errors.Is(err, auth.ErrKeyNotFound) {
			return fmt.Errorf("revoke key %s of an earlier run: %w", id, err)
		}
		log.Info("revoked a key of an earlier run, not given this time", "keyId", id)
	}
	kept.Keys = installed
	if err := saveSecrets(keptAt, kept); err != nil {
		return err
	}

	api := httpapi.New(s, httpapi.Options{Logger: log, CursorKey: []byte(kept.CursorSecret)})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	handler := api.Handler()
	if *trace {
		// No collector locally: the spans are log lines. (Lambda sends them to X-Ray.)
		handler = telemetry.NewTracing(telemetry.LogExporter{Log: log}, "customers-api-local").Handler(handler, "request")
	}
	srv := &http.Server{
		Handler: handler,
		// net/http answers "OPTIONS *" itself (200, no body, none of the contract's headers);
		// the API answers it like any path it does not serve.
		DisableGeneralOptionsHandler: true,
		ReadHeaderTimeout:            10 * time.Second,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  2 * time.Minute,
		ErrorLog:                     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Customers API listening on %s\n", url)
	if demo {
		printDemo(stdout, url, demoKey)
	}
	log.Info("listening", "addr", ln.Addr().String())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func printDemo(w io.Writer, url, key string) {
	fmt.Fprintf(w, "Demo API key for tenant \"demo\" (every scope): %s\n\n", key)
	fmt.Fprintf(w, "  curl -s %s/v1/customers -H 'Authorization: Bearer %s' -H 'Tenant-ID: demo'\n\n", url, key)
	order := `{"customer":{"email":"ada@example.com","firstName":"Ada","lastName":"Lovelace"},` +
		`"billingAddress":{"contactName":"Ada Lovelace","streetAddress":"1 Main St","city":"London","country":"GB"},` +
		`"items":[{"sku":"LAPTOP-1","quantity":1,"contractLength":12}]}`
	fmt.Fprintf(w, "  curl -s -X POST %s/v1/orders -H 'Authorization: Bearer %s' -H 'Tenant-ID: demo' \\\n"+
		"    -H 'Content-Type: application/json' -d '%s'\n\n", url, key, order)
}

// readKeys reads a -keys file. Scopes default to every scope.
func readKeys(path string) ([]keySpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	var specs []keySpec
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("read keys %s: %w", path, err)
	}
	for i, k := range specs {
		if k.Key == "" || len(k.Tenants) == 0 {
			return nil, fmt.Errorf("read keys %s: entry %d: key and tenants are required", path, i)
		}
		for _, t := range k.Tenants {
			if !auth.ValidTenant(t) {
				return nil, fmt.Errorf("read keys %s: entry %d: tenant %q: want 1-%d characters of letters, digits and . _ : -", path, i, t, auth.MaxTenantLen)
			}
		}
		if len(k.Scopes) == 0 {
			specs[i].Scopes = auth.AllScopes
		}
		for _, s := range k.Scopes {
			if !slices.Contains(auth.AllScopes, s) {
				return nil, fmt.Errorf("read keys %s: entry %d: unknown scope %q", path, i, s)
			}
		}
	}
	return specs, nil
}

// installKey stores k, active, under an id derived from its hash, so that restarting with the
// same key replaces it instead of adding another, and returns that id.
func installKey(ctx context.Context, s store, k keySpec) (string, error) {
	hash := auth.Hash(k.Key)
	key := auth.Key{
		ID:        "key_local_" + hash[:16],
		Hash:      hash,
		Name:      "cmd/local",
		Tenants:   k.Tenants,
		Scopes:    k.Scopes,
		Status:    auth.StatusActive,
		CreatedAt: customer.Timestamp(time.Now()),
	}
	if err := s.PutAPIKey(ctx, key); err != nil {
		return "", fmt.Errorf("install key %s: %w", key.ID, err)
	}
	return key.ID, nil
}

// secretsPath is where the secrets of data are kept: a name that .gitignore's *.db also covers.
func secretsPath(data string) string {
	return strings.TrimSuffix(data, ".db") + ".secrets.db"
}

// dynamoSecretsPath is where a server on DynamoDB table keeps its secrets: beside the -data path,
// one file per table, so two tables' keys and cursors never mix.
func dynamoSecretsPath(data, table string) string {
	return strings.TrimSuffix(data, ".db") + "." + table + ".secrets.db"
}

// saveSecrets writes s to path, readable by this user only.
func saveSecrets(path string, s secrets) error {
	b, _ := json.Marshal(s)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	return nil
}

// loadSecrets reads the secrets kept at path, creating them on first use.
func loadSecrets(path string) (secrets, error) {
	var s secrets
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &s); err != nil || s.DemoKey == "" || s.CursorSecret == "" {
			return s, fmt.Errorf("secrets file %s is damaged; delete it to make new secrets", path)
		}
		return s, nil
	case !errors.Is(err, os.ErrNotExist):
		return s, fmt.Errorf("read secrets: %w", err)
	}
	s = secrets{DemoKey: randomHex("demo_", 20), CursorSecret: randomHex("", 32)}
	return s, saveSecrets(path, s)
}

func randomHex(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
