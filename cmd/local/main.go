// Command local serves the whole API on one local HTTP server, on the embedded store (a bbolt
// file) or, in a build with -tags dynamodb, on DynamoDB (an emulator such as moto, or AWS itself).
//
//	go run ./cmd/local                        # 127.0.0.1:3000, ./customers-local.db, a demo key
//	go run ./cmd/local -seed                  # the same, with sample customers and orders
//	go run ./cmd/local -api-key acme=secret1  # your own key for tenant acme, all scopes
//	go run ./cmd/local -keys keys.json        # [{"key":"...","tenants":["acme"],"scopes":["customers:read"]}]
//	go run ./cmd/local -cors-origin http://localhost:5173  # let a page of that origin call the API
//	go run -tags dynamodb ./cmd/local -dynamodb-endpoint http://127.0.0.1:8000 -table customers -create-table
//
// Beside the API it serves, for people and tools on this machine only, /docs/ (Swagger UI, its
// assets embedded), /openapi.yaml and /healthz, and takes subscription events (docs/api.md,
// "Rental state") on POST /local/subscription-events, as the rental-events function takes them
// from its queue in AWS; none of them is an API route.
//
// The DynamoDB flags need the dynamodb build tag because the AWS SDK is most of what a first
// `go run` would otherwise compile, for a store the default run does not use (docs/local.md has
// the numbers).
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
	"github.com/flexportal-compat/customers-api/internal/rental"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
	"github.com/flexportal-compat/customers-api/internal/telemetry"
	"github.com/flexportal-compat/customers-api/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

// store is what the local server needs: the API's store and a way to install and revoke keys.
type store interface {
	httpapi.Store
	PutAPIKey(ctx context.Context, k auth.Key) error
	RevokeAPIKey(ctx context.Context, id string) error
	ApplyRentalEvent(ctx context.Context, ev rental.Event) (rental.Change, error)
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

// run parses args, serves until ctx is done, and shuts down gracefully. It prints its progress,
// the address and the demo key, when it made one, to stdout; logs go to stderr as JSON.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "listen address")
	data := fs.String("data", "customers-local.db", "embedded store file")
	keysFile := fs.String("keys", "", `JSON file of API keys: [{"key","tenants","scopes"}]`)
	var keys keyFlags
	fs.Var(&keys, "api-key", "TENANT=KEY: an API key for TENANT with every scope (repeatable)")
	endpoint := fs.String("dynamodb-endpoint", "", "serve on DynamoDB at this endpoint instead of the embedded store"+dynamoFlagNote)
	table := fs.String("table", "", "DynamoDB table name (with -dynamodb-endpoint)")
	createTable := fs.Bool("create-table", false, "create the DynamoDB table first")
	cursorSecret := fs.String("cursor-secret", "", "secret for signing list cursors (default: kept next to -data, or random)")
	corsOrigin := fs.String("cors-origin", "", "let pages of this origin (scheme://host[:port]) call the API from a browser; off by default")
	seedData := fs.Bool("seed", false, "fill the first key's tenant (\"demo\" with the demo key) with sample customers and orders, if it has none")
	showVersion := fs.Bool("version", false, "print the version and exit")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	trace := fs.Bool("trace", false, "trace each request: a span line in the log per request (off by default)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if *showVersion {
		fmt.Fprintf(stdout, "cmd/local %s\n", version.String())
		return nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	origin, err := parseOrigin(*corsOrigin)
	if err != nil {
		return fmt.Errorf("-cors-origin: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *keysFile != "" {
		fromFile, err := readKeys(*keysFile)
		if err != nil {
			return err
		}
		keys = append(keys, fromFile...)
	}

	fmt.Fprintf(stdout, "Customers API %s (cmd/local)\n", version.String())
	var s store
	keptAt := secretsPath(*data)
	storeName := "embedded"
	if *endpoint != "" {
		fmt.Fprintf(stdout, "Connecting to DynamoDB at %s, table %q...\n", *endpoint, *table)
		ds, err := openDynamo(ctx, *endpoint, *table, *createTable)
		if err != nil {
			return err
		}
		s, storeName = ds, "dynamodb"
		keptAt = dynamoSecretsPath(*data, *table)
	} else {
		fmt.Fprintf(stdout, "Opening the embedded store %s...\n", *data)
		es, err := embedded.Open(*data)
		if err != nil {
			return err
		}
		defer es.Close()
		if rep, migrated := es.EmailKeyMigration(); migrated {
			logEmailKeyMigration(log, *data, rep)
		}
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
		fmt.Fprintln(stdout, "Installing the demo API key...")
	} else {
		fmt.Fprintf(stdout, "Installing %d API key(s)...\n", len(keys))
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

	opts := httpapi.Options{Logger: log, CursorKey: []byte(kept.CursorSecret)}
	if *seedData {
		if err := seedTenant(ctx, s, opts, keys[0], stdout); err != nil {
			return err
		}
	}
	api := httpapi.New(s, opts)
	site := siteOptions{Store: storeName, CORSOrigin: origin, Rentals: s}
	if demo && loopback(*addr) {
		// The published demo key only: a page anyone can reach must not hand out a random key.
		site.DemoKey = demoKey
	}
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
		Handler: newSite(handler, log, site),
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
	fmt.Fprintf(stdout, "  API docs:     %s/docs/\n", url)
	fmt.Fprintf(stdout, "  OpenAPI spec: %s/openapi.yaml\n", url)
	fmt.Fprintf(stdout, "  health:       %s/healthz\n", url)
	fmt.Fprintf(stdout, "  subscription events: POST %s%s (README, Rental state)\n", url, pathSubscriptionEvents)
	if origin != "" {
		fmt.Fprintf(stdout, "  CORS:         pages of %s may call the API\n", origin)
	}
	fmt.Fprintln(stdout, "  Every request is logged to stderr; Ctrl-C stops the server.")
	if demo {
		fmt.Fprintln(stdout)
		printDemo(stdout, url, demoKey)
	}
	log.Info("listening", "addr", ln.Addr().String(), "store", storeName, "version", version.String())

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

// logEmailKeyMigration logs what Open did to a data file written before customer.EmailKey: the
// counts, and each collision by tenant and customer ids (never the emails, as no log line does).
func logEmailKeyMigration(log *slog.Logger, data string, rep customer.EmailKeyReport) {
	log.Info("email reservations rebuilt under the new email key",
		slog.Int("customers", rep.Customers), slog.Int("moved", rep.Moved), slog.Int("collisions", len(rep.Collisions)))
	for _, c := range rep.Collisions {
		log.Warn("customers whose emails are now one address were left as they were; change or merge them "+
			"(admin migrate-email-keys -data "+data+" lists the keys)",
			slog.String("tenantId", c.Tenant), slog.Any("customerIds", c.CustomerIDs))
	}
}
