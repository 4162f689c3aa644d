// Command patchmon-loadgen simulates PatchMon agents against a server and prints
// throughput, latency percentiles and errors (see package loadgen and
// docs/performance.md). Hosts are created through the admin API (-admin-user and
// -admin-password, or -admin-token) or straight in the database (-database-url), and can
// be saved for later runs with -credentials.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "patchmon-loadgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fl := flag.NewFlagSet("patchmon-loadgen", flag.ContinueOnError)
	var cfg loadgen.Config
	var mode string
	fl.StringVar(&cfg.URL, "url", "http://127.0.0.1:3000", "server base URL")
	fl.StringVar(&mode, "mode", "ping", "ping, full, partial or mixed")
	hosts := fl.Int("hosts", 100, "simulated hosts")
	fl.IntVar(&cfg.Concurrency, "concurrency", 64, "requests in flight")
	fl.DurationVar(&cfg.Duration, "duration", 0, "measured run time (default 30s unless -requests)")
	fl.IntVar(&cfg.Requests, "requests", 0, "stop after this many operations")
	fl.IntVar(&cfg.Packages, "packages", 200, "packages per host")
	fl.IntVar(&cfg.PoolSize, "pool", 5000, "distinct package names shared by the hosts")
	fl.Float64Var(&cfg.ChangeShare, "change", 0.05, "share of packages changing per report")
	fl.BoolVar(&cfg.Prime, "prime", false, "send every host one full report before measuring")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "seed for package sets")
	credFile := fl.String("credentials", "", "JSON file to read host credentials from, or to save new ones to")
	adminUser := fl.String("admin-user", "", "create hosts through the admin API as this user")
	adminPassword := fl.String("admin-password", "", "password of -admin-user")
	adminToken := fl.String("admin-token", "", "create hosts through the admin API with this access token")
	dbURL := fl.String("database-url", "", "create hosts directly in this (migrated) database")
	enrollKey := fl.String("enroll-key", "", "create hosts through auto-enrollment with this token key (patchmon_ae_…)")
	enrollSecret := fl.String("enroll-secret", "", "secret of -enroll-key")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg.Mode = loadgen.Mode(mode)
	client := &http.Client{Timeout: time.Minute}

	creds, err := loadgen.ReadCredentials(*credFile)
	switch {
	case *credFile != "" && err == nil:
		if len(creds) < *hosts {
			return fmt.Errorf("%s holds %d hosts, -hosts asks for %d", *credFile, len(creds), *hosts)
		}
		creds = creds[:*hosts]
	case *credFile != "" && !errors.Is(err, fs.ErrNotExist):
		return err
	default:
		start := time.Now()
		if *enrollKey != "" {
			creds, err = loadgen.CreateHostsEnroll(ctx, client, cfg.URL, *enrollKey, *enrollSecret, "loadgen", *hosts)
		} else {
			creds, err = createHosts(ctx, client, cfg.URL, *hosts, *adminUser, *adminPassword, *adminToken, *dbURL)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created %d hosts in %s\n", len(creds), time.Since(start).Round(time.Millisecond))
		if *credFile != "" {
			if err := loadgen.WriteCredentials(*credFile, creds); err != nil {
				return err
			}
		}
	}
	cfg.Hosts = creds
	cfg.Progress = func(done, errs int64) { fmt.Fprintf(os.Stderr, "\r%d operations, %d errors", done, errs) }
	res, err := loadgen.Run(ctx, cfg)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprint(out, res.Format())
	if n := res.TotalErrors(); n > 0 {
		return fmt.Errorf("%d requests failed", n)
	}
	return nil
}

func createHosts(ctx context.Context, client *http.Client, url string, n int, user, password, token, dbURL string) ([]loadgen.Credentials, error) {
	if dbURL != "" {
		pool, err := pgxpool.New(ctx, dbURL)
		if err != nil {
			return nil, err
		}
		defer pool.Close()
		store := kv.NewMemory()
		defer store.Close()
		svc, err := inventory.New(inventory.Config{DB: db.New(pool, db.Options{}), Cache: store, Tokens: store,
			Secret: []byte("patchmon-loadgen-unused-secret"), PublicURL: url})
		if err != nil {
			return nil, err
		}
		return loadgen.CreateHostsStore(ctx, svc, "loadgen", n, 8)
	}
	if token == "" {
		if user == "" {
			return nil, errors.New("to create hosts give -admin-user/-admin-password, -admin-token, -enroll-key/-enroll-secret or -database-url (or -credentials with saved hosts)")
		}
		var err error
		if token, err = loadgen.Login(ctx, client, url, user, password); err != nil {
			return nil, err
		}
	}
	return loadgen.CreateHostsAPI(ctx, client, url, token, "loadgen", n, 8)
}
