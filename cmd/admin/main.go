// Command admin manages what the API itself cannot: the DynamoDB table and the API keys.
//
//	admin [-table NAME] [-dynamodb-endpoint URL] create-table
//	admin apikey create --tenant T [--tenant T2 ...] --scopes customers:read,orders:write [--name N]
//	admin apikey revoke KEY-ID
//	admin apikey list --tenant T
//	admin migrate-email-keys [-data FILE]
//	admin backfill-indexes [-dry-run] [-segments N] [-progress N]
//
// -table and -dynamodb-endpoint default to TABLE_NAME and DYNAMODB_ENDPOINT, and may also follow
// the command. A new key is printed once, alone on standard output; only its SHA-256 is stored,
// and no command ever shows a key or its hash again.
//
// migrate-email-keys rebuilds the email reservations of data written before customer.EmailKey
// (when the key was the lower-cased email) under the new key, and prints the customers whose keys
// now collide, which it leaves as they are. It is safe to rerun. It reads the whole table (one
// Scan: see dynamo.Store.MigrateEmailKeys for its cost); with -data it works on the embedded
// store's file instead (cmd/local's -data; cmd/local also migrates a file when it opens it).
//
// backfill-indexes writes the index keys of docs/indexes.md onto the customers and orders an
// earlier version stored without them (or with other values than this version derives), which
// the lists would otherwise miss: run it once after deploying a version that adds an index
// (docs/deploy.md). It reads the whole table (a parallel, consistent Scan: see
// dynamo.Store.BackfillIndexes for its cost), prints its progress to standard error every
// -progress items, and is safe to rerun: a second run writes nothing, and says so. -dry-run
// counts what it would write and writes nothing. The embedded store needs no backfill: it
// rebuilds its indexes when it opens a file.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flexportal-compat/customers-api/internal/auth"
	"github.com/flexportal-compat/customers-api/internal/customer"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo"
	"github.com/flexportal-compat/customers-api/internal/store/dynamo/dynamosetup"
	"github.com/flexportal-compat/customers-api/internal/store/embedded"
)

const usage = `usage:
  admin [-table NAME] [-dynamodb-endpoint URL] create-table
  admin apikey create --tenant T [--tenant T2 ...] --scopes SCOPE[,SCOPE...] [--name N]
  admin apikey revoke KEY-ID
  admin apikey list --tenant T
  admin [-table NAME] [-dynamodb-endpoint URL] migrate-email-keys [-data FILE]
  admin [-table NAME] [-dynamodb-endpoint URL] backfill-indexes [-dry-run] [-segments N] [-progress N]
scopes: customers:read, customers:write, orders:read, orders:write (or "all")
-table and -dynamodb-endpoint default to $TABLE_NAME and $DYNAMODB_ENDPOINT.`

// errUsage marks a command line that could not be understood; main prints the usage for it.
var errUsage = errors.New("bad usage")

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv, connect)
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "admin: %v\n%s\n", err, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "admin: %v\n", err)
		os.Exit(1)
	}
}

// keyStore is what the apikey commands ask of the store.
type keyStore interface {
	PutAPIKey(ctx context.Context, k auth.Key) error
	RevokeAPIKey(ctx context.Context, id string) error
	ListAPIKeys(ctx context.Context, tenant string) ([]auth.Key, error)
}

// emailKeyMigrator is what migrate-email-keys asks of a store.
type emailKeyMigrator interface {
	MigrateEmailKeys(ctx context.Context) (customer.EmailKeyReport, error)
}

// indexBackfiller is what backfill-indexes asks of a store.
type indexBackfiller interface {
	BackfillIndexes(ctx context.Context, opts dynamo.BackfillOptions) (dynamo.BackfillReport, error)
}

// backend is the table the commands act on.
type backend struct {
	createTable func(ctx context.Context) error
	keys        keyStore
	emails      emailKeyMigrator
	indexes     indexBackfiller
}

// connector opens the table named table at endpoint ("" for AWS).
type connector func(ctx context.Context, endpoint, table string) (backend, error)

func connect(ctx context.Context, endpoint, table string) (backend, error) {
	client, err := dynamosetup.Connect(ctx, endpoint)
	if err != nil {
		return backend{}, err
	}
	store := dynamo.New(client, table)
	return backend{
		createTable: func(ctx context.Context) error { return dynamosetup.CreateTable(ctx, client, table) },
		keys:        store,
		emails:      store,
		indexes:     store,
	}, nil
}

// target holds the flags every command accepts.
type target struct {
	table, endpoint string
}

func (t *target) register(fs *flag.FlagSet) {
	fs.StringVar(&t.table, "table", t.table, "DynamoDB table (default $TABLE_NAME)")
	fs.StringVar(&t.endpoint, "dynamodb-endpoint", t.endpoint, "DynamoDB endpoint, e.g. moto (default $DYNAMODB_ENDPOINT; empty: AWS)")
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, and main prints the usage once
	return fs
}

// run executes the command line args.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, open connector) error {
	t := &target{table: getenv("TABLE_NAME"), endpoint: getenv("DYNAMODB_ENDPOINT")}
	fs := newFlagSet("admin")
	t.register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	args = fs.Args()
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", errUsage)
	}
	switch cmd := strings.Join(args[:min(2, len(args))], " "); {
	case args[0] == "create-table":
		return createTable(ctx, t, args[1:], stderr, open)
	case cmd == "apikey create":
		return createKey(ctx, t, args[2:], stdout, stderr, open)
	case cmd == "apikey revoke":
		return revokeKey(ctx, t, args[2:], stdout, open)
	case cmd == "apikey list":
		return listKeys(ctx, t, args[2:], stdout, open)
	case args[0] == "migrate-email-keys":
		return migrateEmailKeys(ctx, t, args[1:], stdout, stderr, open)
	case args[0] == "backfill-indexes":
		return backfillIndexes(ctx, t, args[1:], stdout, stderr, open)
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

// parse parses a command's own flags (and the common ones) and checks the table is named.
func (t *target) parse(fs *flag.FlagSet, args []string) error {
	t.register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if t.table == "" {
		return fmt.Errorf("%w: no table: set -table or TABLE_NAME", errUsage)
	}
	return nil
}

func createTable(ctx context.Context, t *target, args []string, stderr io.Writer, open connector) error {
	fs := newFlagSet("create-table")
	if err := t.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: create-table takes no arguments", errUsage)
	}
	b, err := open(ctx, t.endpoint, t.table)
	if err != nil {
		return err
	}
	if err := b.createTable(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "table %s is ready\n", t.table)
	return nil
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// parseScopes parses a comma-separated list of scopes; "all" stands for every scope.
func parseScopes(s string) ([]auth.Scope, error) {
	var out []auth.Scope
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
			continue
		case f == "all":
			out = append(out, auth.AllScopes...)
		case slices.Contains(auth.AllScopes, auth.Scope(f)):
			out = append(out, auth.Scope(f))
		default:
			return nil, fmt.Errorf("unknown scope %q", f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no scope given")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// newSecret returns a new API key: a prefix that makes leaked keys easy to find in code and logs,
// and 256 random bits.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never returns an error; it panics instead
	return "fpk_" + base64.RawURLEncoding.EncodeToString(b)
}

func createKey(ctx context.Context, t *target, args []string, stdout, stderr io.Writer, open connector) error {
	fs := newFlagSet("apikey create")
	var tenants list
	fs.Var(&tenants, "tenant", "tenant the key may act for (repeatable)")
	scopes := fs.String("scopes", "", "comma-separated scopes, or all")
	name := fs.String("name", "", "a label for the key")
	if err := t.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var granted []string
	for _, tn := range tenants {
		tn = strings.TrimSpace(tn)
		if !auth.ValidTenant(tn) {
			return fmt.Errorf("%w: tenant %q: want 1-%d characters of letters, digits and . _ : -", errUsage, tn, auth.MaxTenantLen)
		}
		if !slices.Contains(granted, tn) {
			granted = append(granted, tn)
		}
	}
	if len(granted) == 0 {
		return fmt.Errorf("%w: at least one --tenant is required", errUsage)
	}
	sc, err := parseScopes(*scopes)
	if err != nil {
		return fmt.Errorf("%w: --scopes: %v", errUsage, err)
	}
	b, err := open(ctx, t.endpoint, t.table)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	secret := newSecret()
	k := auth.Key{
		ID:        "key_" + customer.NewULID(now),
		Hash:      auth.Hash(secret),
		Name:      strings.TrimSpace(*name),
		Tenants:   granted,
		Scopes:    sc,
		Status:    auth.StatusActive,
		CreatedAt: customer.Timestamp(now),
	}
	if err := b.keys.PutAPIKey(ctx, k); err != nil {
		return fmt.Errorf("store key: %w", err)
	}
	fmt.Fprintf(stderr, "created API key %s for tenants %s with scopes %s.\n"+
		"The key is printed below, this once; only its SHA-256 is stored.\n",
		k.ID, strings.Join(k.Tenants, ","), joinScopes(k.Scopes))
	fmt.Fprintln(stdout, secret)
	return nil
}

func revokeKey(ctx context.Context, t *target, args []string, stdout io.Writer, open connector) error {
	fs := newFlagSet("apikey revoke")
	if err := t.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: apikey revoke takes one KEY-ID", errUsage)
	}
	id := fs.Arg(0)
	b, err := open(ctx, t.endpoint, t.table)
	if err != nil {
		return err
	}
	if err := b.keys.RevokeAPIKey(ctx, id); err != nil {
		if errors.Is(err, auth.ErrKeyNotFound) {
			return fmt.Errorf("no API key %s", id)
		}
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	fmt.Fprintf(stdout, "revoked %s (in effect everywhere within %v, the key cache's lifetime)\n", id, auth.MaxTTL)
	return nil
}

func listKeys(ctx context.Context, t *target, args []string, stdout io.Writer, open connector) error {
	fs := newFlagSet("apikey list")
	tenant := fs.String("tenant", "", "list the keys granted this tenant")
	if err := t.parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*tenant) == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: apikey list takes --tenant T", errUsage)
	}
	b, err := open(ctx, t.endpoint, t.table)
	if err != nil {
		return err
	}
	keys, err := b.keys.ListAPIKeys(ctx, strings.TrimSpace(*tenant))
	if err != nil {
		return fmt.Errorf("list keys: %w", err)
	}
	// Never the key or its hash: the id is how keys are named and revoked.
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY ID\tNAME\tSTATUS\tTENANTS\tSCOPES\tCREATED")
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, orDash(k.Name), k.Status,
			strings.Join(k.Tenants, ","), joinScopes(k.Scopes), k.CreatedAt)
	}
	return w.Flush()
}

func joinScopes(s []auth.Scope) string {
	out := make([]string, len(s))
	for i, sc := range s {
		out[i] = string(sc)
	}
	return strings.Join(out, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// migrateEmailKeys is migrate-email-keys: on the table, or with -data on an embedded store's file.
func migrateEmailKeys(ctx context.Context, t *target, args []string, stdout, stderr io.Writer, open connector) error {
	fs := newFlagSet("migrate-email-keys")
	data := fs.String("data", "", "the embedded store's data file to migrate instead of the table (cmd/local's -data)")
	t.register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: migrate-email-keys takes no arguments", errUsage)
	}
	var m emailKeyMigrator
	switch {
	case *data != "":
		// Open migrates a file of an earlier version by itself; the explicit run below then
		// finds nothing left to move and reports what is.
		s, err := embedded.Open(*data)
		if err != nil {
			return err
		}
		defer s.Close()
		m = s
	case t.table == "":
		return fmt.Errorf("%w: no table: set -table or TABLE_NAME, or -data", errUsage)
	default:
		b, err := open(ctx, t.endpoint, t.table)
		if err != nil {
			return err
		}
		m = b.emails
	}
	rep, err := m.MigrateEmailKeys(ctx)
	if err != nil {
		return fmt.Errorf("migrate email keys: %w", err)
	}
	printEmailKeyReport(stdout, stderr, rep)
	return nil
}

// printEmailKeyReport writes rep: the counts, then one line per collision (tenant, key, customer
// ids: what the person resolving it looks for), to stdout; what to do about them to stderr.
func printEmailKeyReport(stdout, stderr io.Writer, rep customer.EmailKeyReport) {
	fmt.Fprintf(stdout, "customers %d, moved %d, already right %d, changed meanwhile %d, collisions %d\n",
		rep.Customers, rep.Moved, rep.Unchanged, rep.Skipped, len(rep.Collisions))
	for _, c := range rep.Collisions {
		fmt.Fprintf(stdout, "collision\ttenant %s\tkey %q\tcustomers %s\n", c.Tenant, c.Key, strings.Join(c.CustomerIDs, ","))
	}
	if rep.Skipped > 0 {
		fmt.Fprintln(stderr, "Some customers changed while the migration ran; run it again to settle them.")
	}
	if len(rep.Collisions) > 0 {
		fmt.Fprintln(stderr, "Customers of a collision have emails that are one address under the new key (Straße@ and strasse@,\n"+
			"or an IDN domain and its punycode). They were left as they were, never merged: change the email of\n"+
			"all but one, or merge them, and run the migration again.")
	}
}

// backfillIndexes is backfill-indexes.
func backfillIndexes(ctx context.Context, t *target, args []string, stdout, stderr io.Writer, open connector) error {
	fs := newFlagSet("backfill-indexes")
	dryRun := fs.Bool("dry-run", false, "count what would be written, and write nothing")
	segments := fs.Int("segments", 4, "parallel Scan segments")
	every := fs.Int64("progress", 1000, "print the counts to standard error every N customers and orders")
	if err := t.parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: backfill-indexes takes no arguments", errUsage)
	case *segments < 1 || *segments > 1000:
		return fmt.Errorf("%w: -segments %d: want 1 to 1000", errUsage, *segments)
	case *every < 1:
		return fmt.Errorf("%w: -progress %d: want at least 1", errUsage, *every)
	}
	b, err := open(ctx, t.endpoint, t.table)
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := b.indexes.BackfillIndexes(ctx, dynamo.BackfillOptions{
		DryRun:        *dryRun,
		Segments:      *segments,
		ProgressEvery: *every,
		Progress: func(r dynamo.BackfillReport) {
			fmt.Fprintf(stderr, "%s: %d items read; customers %d, orders %d so far (%s)\n",
				time.Since(start).Round(time.Second), r.Read, r.Customers.Scanned, r.Orders.Scanned, written(*dryRun, r.Writes()))
		},
	})
	if err != nil {
		printBackfillReport(stdout, stderr, rep, *dryRun)
		return fmt.Errorf("backfill indexes (the counts above are of the items settled before the failure; a rerun carries on): %w", err)
	}
	printBackfillReport(stdout, stderr, rep, *dryRun)
	return nil
}

// written says how many items a backfill wrote, or in a dry run would write.
func written(dryRun bool, n int64) string {
	if dryRun {
		return fmt.Sprintf("%d to write", n)
	}
	return fmt.Sprintf("%d written", n)
}

// printBackfillReport writes the counts of rep, per kind, and what they mean, to stdout; what to
// do about items left unsettled to stderr.
func printBackfillReport(stdout, stderr io.Writer, rep dynamo.BackfillReport, dryRun bool) {
	verb := "updated"
	if dryRun {
		verb = "to update"
	}
	for _, k := range []struct {
		name string
		c    dynamo.BackfillCounts
	}{{"customers", rep.Customers}, {"orders", rep.Orders}} {
		fmt.Fprintf(stdout, "%s: scanned %d, %s %d, already current %d, changed meanwhile %d, deleted meanwhile %d, still changing %d, invalid %d\n",
			k.name, k.c.Scanned, verb, k.c.Updated, k.c.Current, k.c.Retried, k.c.Gone, k.c.Skipped, k.c.Invalid)
	}
	fmt.Fprintf(stdout, "table items read %d\n", rep.Read)
	for _, inv := range rep.InvalidItems {
		fmt.Fprintf(stdout, "invalid\t%s\n", inv)
	}
	switch {
	case rep.Writes() == 0:
		fmt.Fprintln(stdout, "nothing to write: every customer and order carries the index keys this version derives")
	case dryRun:
		fmt.Fprintf(stdout, "dry run: nothing written; %d items need their index keys\n", rep.Writes())
	}
	if rep.Customers.Skipped+rep.Orders.Skipped > 0 {
		fmt.Fprintln(stderr, "Some items kept changing while the backfill ran; run it again to settle them.")
	}
	if rep.Customers.Invalid+rep.Orders.Invalid > 0 {
		fmt.Fprintln(stderr, "Invalid items could not be decoded, or hold another tenantId than their partition's; they were\n"+
			"left as they are, in no index: repair or remove them, and run the backfill again.")
	}
}
