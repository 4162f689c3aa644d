// Package patchmontest is the public test kit for PatchMon and for programs that embed
// it: real PostgreSQL databases and Redis databases for tests, never mocks.
//
// Call Main from the package's TestMain so whatever the kit starts is stopped at the end:
//
//	func TestMain(m *testing.M) { patchmontest.Main(m) }
//
// DatabaseURL gives each test a brand-new empty database and RedisURL an exclusively
// leased Redis database; both are safe under t.Parallel. By default the kit starts one
// PostgreSQL cluster (from the system's PostgreSQL binaries, via pgembed) and one
// redis-server per test binary, on demand. Set TEST_DATABASE_URL (an admin connection
// URL) or TEST_REDIS_URL (redis://host:port) to use existing servers instead, and
// PATCHMON_TEST_LOG=1 (or a level such as "info") to see logs in test output.
//
// Stability: the functions here are a public API for embedders and are kept
// source-compatible; new helpers may be added.
package patchmontest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables the kit reads. Test kits read the environment so that one test
// binary can run against local throwaway servers or a CI's shared ones unchanged.
const (
	envDatabaseURL = "TEST_DATABASE_URL"
	envRedisURL    = "TEST_REDIS_URL"
	envLog         = "PATCHMON_TEST_LOG"
)

// Main runs the tests, stops the PostgreSQL cluster and redis-server the kit started (if
// any) and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, stop := range []func(context.Context) error{stopPostgres, stopRedis} {
		if err := stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "patchmontest:", err)
		}
	}
	os.Exit(code)
}

// Logger returns a logger that writes to t.Log when PATCHMON_TEST_LOG is set and
// discards everything otherwise. The variable's value may name a minimum level (debug,
// info, warn, error); any other value means debug. Records logged after the test has
// finished are dropped.
func Logger(t testing.TB) *slog.Logger {
	v := os.Getenv(envLog)
	if v == "" {
		return slog.New(slog.DiscardHandler)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(v)); err != nil {
		level = slog.LevelDebug
	}
	w := &testLogWriter{t: t}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testLogWriter forwards each slog record (one Write call) to t.Log until the test ends;
// t.Log after the end would panic, and late records from background goroutines are
// normal in servers under test.
type testLogWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testLogWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}

// kitLogger is for the kit's own servers: stderr when PATCHMON_TEST_LOG is set.
func kitLogger() *slog.Logger {
	if os.Getenv(envLog) == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "patchmontest")
}

var unsafeNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// nameFor turns a test name into a short lower-case identifier fragment.
func nameFor(t testing.TB, maxLen int) string {
	s := unsafeNameChars.ReplaceAllString(strings.ToLower(t.Name()), "_")
	s = strings.Trim(s, "_")
	if len(s) > maxLen {
		s = s[len(s)-maxLen:] // the end of a subtest name is the distinctive part
		s = strings.TrimLeft(s, "_")
	}
	return s
}

// tail returns the last lines of a file, for error messages.
func tail(path string, lines int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	parts := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
