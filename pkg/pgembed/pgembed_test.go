package pgembed

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// fastSettings trade durability for speed; fine for throwaway test clusters.
var fastSettings = map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

// testDataDir returns a fresh data directory path. t.TempDir's parent is created with
// mode 0700, which the postgres user cannot enter when the tests run as root, so both
// levels are opened up to search-only (0711) for others.
func testDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		require.NoError(t, os.Chmod(filepath.Dir(dir), 0o711))
		require.NoError(t, os.Chmod(dir, 0o711))
	}
	return filepath.Join(dir, "data")
}

// logBuffer is a concurrency-safe sink for a test's slog output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

type bundle struct {
	cluster *Cluster
	logs    *logBuffer
	cfg     Config
}

// setup builds (but does not start) a cluster in a fresh directory; Stop runs at cleanup.
func setup(t *testing.T, mutate ...func(*Config)) *bundle {
	t.Helper()
	logs := &logBuffer{}
	cfg := Config{
		DataDir:  testDataDir(t),
		Settings: fastSettings,
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, c.Stop(ctx))
		if t.Failed() {
			t.Logf("pgembed log:\n%s\npostgres.log tail:\n%s", logs.String(), c.logTail())
		}
	})
	return &bundle{cluster: c, logs: logs, cfg: cfg}
}

func startCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(ctx context.Context, t *testing.T, connStr string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, connStr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func postmasterPID(t *testing.T, c *Cluster) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.pgData, "postmaster.pid"))
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(first)
	require.NoError(t, err)
	return pid
}

func TestStartConnectRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := startCtx(t)
	require.NoError(t, b.cluster.Start(ctx))
	require.Contains(t, b.logs.String(), "running initdb")
	require.ErrorIs(t, b.cluster.Start(ctx), ErrAlreadyRunning)

	conn, err := pgx.Connect(ctx, b.cluster.ConnString(""))
	require.NoError(t, err)
	var db, user, encoding string
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_database(), current_user, pg_encoding_to_char(encoding)
		FROM pg_database WHERE datname = current_database()`).Scan(&db, &user, &encoding))
	require.Equal(t, "patchmon", db)
	require.Equal(t, Superuser, user)
	require.Equal(t, "UTF8", encoding)
	_, err = conn.Exec(ctx, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('across restarts')`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	fi, err := os.Stat(b.cluster.socketDir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	_, err = os.Stat(filepath.Join(b.cfg.DataDir, "postgres.log"))
	require.NoError(t, err)

	require.NoError(t, b.cluster.Stop(ctx))
	require.NoError(t, b.cluster.Stop(ctx), "Stop is idempotent")
	_, err = os.Stat(filepath.Join(b.cluster.pgData, "postmaster.pid"))
	require.ErrorIs(t, err, os.ErrNotExist, "fast shutdown removes the pid file")

	// The same Cluster starts again, reusing the data directory.
	b.logs.Reset()
	start := time.Now()
	require.NoError(t, b.cluster.Start(ctx))
	t.Logf("restart took %v", time.Since(start))
	require.NotContains(t, b.logs.String(), "running initdb")
	conn = connect(ctx, t, b.cluster.ConnString(""))
	var v string
	require.NoError(t, conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v))
	require.Equal(t, "across restarts", v)
	conn.Close(ctx)
	require.NoError(t, b.cluster.Stop(ctx))

	// So does a new Cluster on the same directory, with another database to create.
	logs := &logBuffer{}
	cfg := b.cfg
	cfg.Database = "second"
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	c2, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, c2.Start(ctx))
	t.Cleanup(func() { _ = c2.Stop(context.Background()) })
	require.NotContains(t, logs.String(), "running initdb")
	require.Contains(t, logs.String(), "created database")
	conn = connect(ctx, t, c2.ConnString(""))
	require.NoError(t, conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db))
	require.Equal(t, "second", db)
}

func TestStalePIDFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := startCtx(t)
	require.NoError(t, b.cluster.Start(ctx))
	require.NoError(t, b.cluster.Stop(ctx))

	// A pid file naming a process that has exited, as after a crash.
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	writePIDFile(t, b.cluster, dead.Process.Pid)
	require.NoError(t, b.cluster.Start(ctx))
	require.Contains(t, b.logs.String(), "removed stale postmaster.pid")
	require.NoError(t, b.cluster.Stop(ctx))

	// A pid file naming a live process that is not postgres, as when the pid was reused
	// after a container restart. PostgreSQL alone would refuse to start here.
	b.logs.Reset()
	sleeper := exec.Command("sleep", "60")
	require.NoError(t, sleeper.Start())
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	writePIDFile(t, b.cluster, sleeper.Process.Pid)
	require.NoError(t, b.cluster.Start(ctx))
	require.Contains(t, b.logs.String(), "removed stale postmaster.pid")
	conn := connect(ctx, t, b.cluster.ConnString(""))
	require.NoError(t, conn.Ping(ctx))
}

// writePIDFile mimics the postmaster.pid a crashed postgres leaves behind.
func writePIDFile(t *testing.T, c *Cluster, pid int) {
	t.Helper()
	content := fmt.Sprintf("%d\n%s\n%d\n%d\n%s\n\n  1234567         1\nready   \n",
		pid, c.pgData, time.Now().Unix(), c.socketPort, c.socketDir)
	p := filepath.Join(c.pgData, "postmaster.pid")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	if c.cred != nil {
		require.NoError(t, os.Chown(p, c.uid, c.gid))
	}
}

func TestRunningClusterIsNotDisturbed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := startCtx(t)
	require.NoError(t, b.cluster.Start(ctx))

	other, err := New(b.cfg)
	require.NoError(t, err)
	err = other.Start(ctx)
	require.ErrorIs(t, err, ErrAlreadyRunning)
	require.Contains(t, err.Error(), strconv.Itoa(postmasterPID(t, b.cluster)))

	conn := connect(ctx, t, b.cluster.ConnString(""))
	require.NoError(t, conn.Ping(ctx), "the first cluster keeps running")
}

func TestSupervisorRestartsCrashedPostgres(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := startCtx(t)
	require.NoError(t, b.cluster.Start(ctx))
	pid := postmasterPID(t, b.cluster)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, b.cluster.ConnString(""))
		if err == nil {
			var backendPID int
			err = conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&backendPID)
			conn.Close(ctx)
			if err == nil {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "postgres did not come back: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
	require.NotEqual(t, pid, postmasterPID(t, b.cluster))
	require.Contains(t, b.logs.String(), "exited unexpectedly")
	require.Contains(t, b.logs.String(), "embedded postgres restarted")
}

func TestTCPListen(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	b := setup(t, func(c *Config) { c.Port = port; c.Listen = "127.0.0.1" })
	ctx := startCtx(t)
	require.NoError(t, b.cluster.Start(ctx))
	require.Contains(t, b.cluster.ConnString(""), "port="+strconv.Itoa(port))

	conn := connect(ctx, t, b.cluster.ConnString(""))
	_, err = conn.Exec(ctx, `CREATE ROLE app LOGIN PASSWORD 'secret'`)
	require.NoError(t, err)
	tcp := connect(ctx, t, fmt.Sprintf("postgres://app:secret@127.0.0.1:%d/patchmon?sslmode=disable", port))
	require.NoError(t, tcp.Ping(ctx))

	_, err = pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/patchmon?sslmode=disable", port))
	require.Error(t, err, "TCP logins need a password")
}

func TestStopBeforeStart(t *testing.T) {
	t.Parallel()
	c, err := New(Config{DataDir: testDataDir(t)})
	require.NoError(t, err)
	require.NoError(t, c.Stop(context.Background()))
}

func TestMissingBinaries(t *testing.T) {
	t.Parallel()
	_, err := New(Config{DataDir: testDataDir(t), BinDir: t.TempDir()})
	require.ErrorIs(t, err, ErrBinariesNotFound)
	for _, want := range []string{"apt-get install postgresql", "PATCHMON_PG_BIN_DIR", "BinDir", "DATABASE_URL"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestUnreachableDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root switches to the postgres user")
	}
	private := t.TempDir() // mode 0700 under a 0700 parent: postgres cannot enter
	c, err := New(Config{DataDir: filepath.Join(private, "data")})
	require.NoError(t, err)
	err = c.Start(startCtx(t))
	require.ErrorIs(t, err, ErrDataDirUnreachable)
	require.Contains(t, err.Error(), "/var/lib/patchmon")
	require.Contains(t, err.Error(), `"postgres"`)
	require.Contains(t, err.Error(), filepath.Dir(private))
}

func TestNewValidation(t *testing.T) {
	t.Parallel()
	dir := testDataDir(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no data dir", Config{}, "DataDir"},
		{"listen without port", Config{DataDir: dir, Listen: "127.0.0.1"}, "Config.Port"},
		{"port out of range", Config{DataDir: dir, Port: 70000}, "Config.Port"},
		{"managed setting", Config{DataDir: dir, Settings: map[string]string{"port": "1"}}, "Config.Settings"},
		{"bad setting name", Config{DataDir: dir, Settings: map[string]string{"a b": "1"}}, "Config.Settings"},
		{"long database", Config{DataDir: dir, Database: strings.Repeat("d", 64)}, "Config.Database"},
		{"unknown user", Config{DataDir: dir, RunAsUser: "no-such-user-pgembed"}, "Config.RunAsUser"},
		{"root user", Config{DataDir: dir, RunAsUser: "root"}, "Config.RunAsUser"},
		{"long data dir", Config{DataDir: "/" + strings.Repeat("x", 100)}, "Config.DataDir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	settings := map[string]string{"work_mem": "8MB"}
	c, err := New(Config{DataDir: "relative/data", Settings: settings})
	require.NoError(t, err)
	cfg := c.Config()
	require.True(t, filepath.IsAbs(cfg.DataDir))
	require.Equal(t, "patchmon", cfg.Database)
	require.True(t, hasBinaries(cfg.BinDir))
	if os.Geteuid() == 0 {
		require.Equal(t, "postgres", cfg.RunAsUser)
	}
	settings["work_mem"] = "changed"
	require.Equal(t, "8MB", c.Config().Settings["work_mem"], "New copies Settings")
	_, err = os.Stat(cfg.DataDir)
	require.ErrorIs(t, err, os.ErrNotExist, "New has no side effects")
}

func TestConnString(t *testing.T) {
	t.Parallel()
	c, err := New(Config{DataDir: "/var/lib/patchmon"})
	require.NoError(t, err)
	require.Equal(t, "postgres://postgres@/patchmon?host=%2Fvar%2Flib%2Fpatchmon%2Fpgrun&port=5432&sslmode=disable", c.ConnString(""))
	require.Contains(t, c.ConnString("other"), "@/other?")
	parsed, err := pgx.ParseConfig(c.ConnString(""))
	require.NoError(t, err)
	require.Equal(t, "/var/lib/patchmon/pgrun", parsed.Host)
	require.Equal(t, "postgres", parsed.User)
}

func TestFindBinDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mkbin := func(dir string) string {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, name := range []string{"initdb", "postgres"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755))
		}
		return dir
	}
	notFound := func(string) (string, error) { return "", exec.ErrNotFound }

	versions := filepath.Join(root, "lib")
	require.Equal(t, "", findBinDir(notFound, versions))
	mkbin(filepath.Join(versions, "9.6", "bin"))
	newest := mkbin(filepath.Join(versions, "15", "bin"))
	mkbin(filepath.Join(versions, "13", "bin"))
	require.NoError(t, os.MkdirAll(filepath.Join(versions, "17", "bin"), 0o755)) // no binaries
	require.Equal(t, newest, findBinDir(notFound, versions))

	// initdb on PATH wins; a symlink is followed to the installation.
	real := mkbin(filepath.Join(root, "real"))
	onPath := filepath.Join(root, "path")
	require.NoError(t, os.MkdirAll(onPath, 0o755))
	require.NoError(t, os.Symlink(filepath.Join(real, "initdb"), filepath.Join(onPath, "initdb")))
	lookPath := func(string) (string, error) { return filepath.Join(onPath, "initdb"), nil }
	require.Equal(t, real, findBinDir(lookPath, versions))
}

func TestAncestors(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"/", "/a", "/a/b"}, ancestors("/a/b/c"))
	require.Equal(t, []string{"/"}, ancestors("/a"))
}
