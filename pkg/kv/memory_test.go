package kv_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/kv/kvtest"
)

func TestMemory(t *testing.T) {
	kvtest.Run(t, func(t *testing.T) kv.Store { return kv.NewMemory() })
}

func BenchmarkMemory(b *testing.B) {
	kvtest.Benchmark(b, func(b *testing.B) kv.Store { return kv.NewMemory() })
}

func TestMemoryDropsForSlowSubscriber(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := kv.NewMemory()
	t.Cleanup(m.Close)

	release := make(chan struct{})
	var got atomic.Int64
	_, err := m.Subscribe(ctx, "ch", func([]byte) {
		<-release
		got.Add(1)
	})
	require.NoError(t, err)

	const n = 5000
	for range n {
		require.NoError(t, m.Publish(ctx, "ch", []byte("x")))
	}
	// The subscriber holds at most one message in its callback, one batch
	// being delivered and one queue: everything else was dropped.
	assert.GreaterOrEqual(t, m.Dropped(), uint64(n-2*1024-1))
	close(release)
	require.Eventually(t, func() bool {
		return uint64(got.Load())+m.Dropped() == n
	}, 10*time.Second, 5*time.Millisecond)
}

// Not parallel: it counts the process's goroutines.
func TestMemoryCloseLeavesNoGoroutines(t *testing.T) {
	ctx := t.Context()
	before := runtime.NumGoroutine()

	m := kv.NewMemory()
	release := make(chan struct{})
	for range 10 {
		_, err := m.Subscribe(ctx, "ch", func([]byte) { <-release })
		require.NoError(t, err)
	}
	require.NoError(t, m.Publish(ctx, "ch", []byte("x")))
	close(release)
	m.Close()

	assertNoGoroutineLeak(t, before)
}

// assertNoGoroutineLeak waits for the goroutine count to drop back to
// before. (Not with assert.Eventually, which runs its own goroutine.)
func assertNoGoroutineLeak(t *testing.T, before int) {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(end) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d now\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}
