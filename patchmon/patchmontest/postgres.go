package patchmontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchmon-go/patchmon/pkg/pgembed"
)

// Databases are copied from template0: it is guaranteed pristine even on a shared
// TEST_DATABASE_URL server, and because it accepts no connections, a session left open
// on template1 cannot make CREATE DATABASE fail.
const (
	sqlCreateDatabase = `CREATE DATABASE %s TEMPLATE template0` // %s is a sanitized identifier
	sqlDropDatabase   = `DROP DATABASE IF EXISTS %s WITH (FORCE)`
)

// testClusterSettings make the throwaway cluster fast; durability does not matter.
var testClusterSettings = map[string]string{
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"max_connections":    "300",
}

// pgState is the per-test-binary PostgreSQL server: started at most once, stopped by Main.
var pgState struct {
	once     sync.Once
	mu       sync.Mutex
	err      error
	cluster  *pgembed.Cluster // nil when TEST_DATABASE_URL is used
	dir      string
	admin    *pgxpool.Pool
	adminURL string
}

// DatabaseURL creates a brand-new empty database for this test and returns a pgx
// connection URL for it; the database is dropped (WITH (FORCE), so open connections do
// not block it) when the test ends. Safe under t.Parallel.
//
// The server is TEST_DATABASE_URL's when set (an admin connection URL to an existing
// PostgreSQL 13 or newer), otherwise one embedded cluster per test binary, started on
// first use in a temporary directory and stopped by Main.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	pgState.once.Do(startPostgres)
	if pgState.err != nil {
		t.Fatalf("patchmontest: %v", pgState.err)
	}

	name := "pmt_" + nameFor(t, 40) + "_" + randomHex(4)
	ident := pgx.Identifier{name}.Sanitize()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pgState.admin.Exec(ctx, fmt.Sprintf(sqlCreateDatabase, ident)); err != nil {
		t.Fatalf("patchmontest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := pgState.admin.Exec(ctx, fmt.Sprintf(sqlDropDatabase, ident)); err != nil {
			t.Errorf("patchmontest: dropping database %s: %v", name, err)
		}
	})

	u, err := withDatabase(pgState.adminURL, name)
	if err != nil {
		t.Fatalf("patchmontest: %v", err)
	}
	return u
}

// startPostgres connects to TEST_DATABASE_URL or starts the embedded cluster, and opens
// the admin pool used to create and drop databases.
func startPostgres() {
	pgState.mu.Lock()
	defer pgState.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	adminURL := os.Getenv(envDatabaseURL)
	if adminURL == "" {
		dir, err := os.MkdirTemp("", "patchmontest-pg-")
		if err != nil {
			pgState.err = err
			return
		}
		pgState.dir = dir
		cluster, err := pgembed.New(pgembed.Config{
			DataDir:  dir,
			Settings: testClusterSettings,
			Logger:   kitLogger(),
		})
		if err == nil {
			err = cluster.Start(ctx)
		}
		if err != nil {
			if errors.Is(err, pgembed.ErrBinariesNotFound) {
				err = fmt.Errorf("%w (or set %s to an admin URL of an existing server)", err, envDatabaseURL)
			}
			pgState.err = fmt.Errorf("starting the test PostgreSQL cluster: %w", err)
			_ = os.RemoveAll(dir)
			return
		}
		pgState.cluster = cluster
		adminURL = cluster.ConnString("postgres")
	}

	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		pgState.err = fmt.Errorf("parsing %s: %w", envDatabaseURL, err)
		return
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		pgState.err = fmt.Errorf("connecting to the test PostgreSQL server: %w", err)
		return
	}
	pgState.admin = pool
	pgState.adminURL = adminURL
}

// stopPostgres closes the admin pool and stops and removes the embedded cluster.
func stopPostgres(ctx context.Context) error {
	pgState.mu.Lock()
	defer pgState.mu.Unlock()
	if pgState.admin != nil {
		pgState.admin.Close()
		pgState.admin = nil
	}
	var err error
	if pgState.cluster != nil {
		err = pgState.cluster.Stop(ctx)
		pgState.cluster = nil
	}
	if pgState.dir != "" {
		if rmErr := os.RemoveAll(pgState.dir); err == nil {
			err = rmErr
		}
		pgState.dir = ""
	}
	pgState.err = errors.New("the test PostgreSQL server was stopped by Main")
	return err
}

// withDatabase returns connStr pointing at database name instead. It accepts URLs and
// keyword/value DSNs, as pgx does.
func withDatabase(connStr, name string) (string, error) {
	if strings.HasPrefix(connStr, "postgres://") || strings.HasPrefix(connStr, "postgresql://") {
		u, err := url.Parse(connStr)
		if err != nil {
			return "", fmt.Errorf("parsing %s: %w", envDatabaseURL, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		q.Del("dbname") // either would override the path
		q.Del("database")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In a DSN the last occurrence of a keyword wins. Names made here need no quoting.
	return connStr + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
