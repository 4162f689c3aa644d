package agentkit_test

import (
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// testLogger logs to t.Log when PATCHMON_TEST_LOG is set (as the server's
// test kit does) and discards otherwise. Records after the test ended are
// dropped: agents log from background goroutines.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("PATCHMON_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	w := &tWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
