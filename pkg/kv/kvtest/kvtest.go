// Package kvtest is the contract every kv.Store implementation must pass.
// Run it from an implementation's tests:
//
//	func TestMemory(t *testing.T) {
//		kvtest.Run(t, func(t *testing.T) kv.Store { return kv.NewMemory() })
//	}
//
// Timing-dependent checks use short windows and poll with generous
// deadlines, so they hold on slow or loaded machines; checks that something
// does not happen wait a short grace period and can only pass spuriously,
// never fail spuriously.
//
// API stability: Run and Benchmark are stable; the set of subtests grows as
// the contract is sharpened.
package kvtest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/kv"
)

const (
	// deadline bounds every wait for something that should happen.
	deadline = 10 * time.Second
	// grace is how long to watch for something that should not happen.
	grace = 150 * time.Millisecond
	poll  = 5 * time.Millisecond
)

// Run runs the contract suite. newStore must return a new store that shares
// no state with any other store it returned (for Redis: a unique prefix);
// Run closes it at the end of the subtest. Subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) kv.Store) {
	setup := func(t *testing.T) (context.Context, kv.Store) {
		t.Helper()
		t.Parallel()
		s := newStore(t)
		require.NotNil(t, s)
		t.Cleanup(s.Close)
		return t.Context(), s
	}

	t.Run("Ping", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Ping(ctx))
	})

	t.Run("Cache", func(t *testing.T) { runCache(t, setup) })
	t.Run("Bus", func(t *testing.T) { runBus(t, setup) })
	t.Run("Limiter", func(t *testing.T) { runLimiter(t, setup) })
	t.Run("Tokens", func(t *testing.T) { runTokens(t, setup) })

	t.Run("Closed", func(t *testing.T) {
		ctx, s := setup(t)
		got := make(chan []byte, 16)
		_, err := s.Subscribe(ctx, "ch", func(m []byte) { got <- m })
		require.NoError(t, err)

		s.Close()
		s.Close() // idempotent

		assert.ErrorIs(t, s.Ping(ctx), kv.ErrClosed)
		_, _, err = s.Get(ctx, "k")
		assert.ErrorIs(t, err, kv.ErrClosed)
		assert.ErrorIs(t, s.Set(ctx, "k", nil, time.Minute), kv.ErrClosed)
		assert.ErrorIs(t, s.Delete(ctx, "k"), kv.ErrClosed)
		assert.ErrorIs(t, s.Publish(ctx, "ch", []byte("x")), kv.ErrClosed)
		_, err = s.Subscribe(ctx, "ch", func([]byte) {})
		assert.ErrorIs(t, err, kv.ErrClosed)
		_, err = s.Allow(ctx, "k", 1, time.Minute)
		assert.ErrorIs(t, err, kv.ErrClosed)
		assert.ErrorIs(t, s.Put(ctx, "k", nil, time.Minute), kv.ErrClosed)
		_, _, err = s.Take(ctx, "k")
		assert.ErrorIs(t, err, kv.ErrClosed)
	})
}

type setupFunc func(t *testing.T) (context.Context, kv.Store)

func runCache(t *testing.T, setup setupFunc) {
	t.Run("SetGet", func(t *testing.T) {
		ctx, s := setup(t)
		_, ok, err := s.Get(ctx, "missing")
		require.NoError(t, err)
		assert.False(t, ok)

		in := []byte("value")
		require.NoError(t, s.Set(ctx, "k", in, time.Minute))
		in[0] = 'X' // the store must have kept its own copy
		got, ok, err := s.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "value", string(got))
		got[0] = 'Y' // and hand out copies
		got, _, err = s.Get(ctx, "k")
		require.NoError(t, err)
		assert.Equal(t, "value", string(got))

		require.NoError(t, s.Set(ctx, "k", []byte("other"), time.Minute))
		got, ok, err = s.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "other", string(got))
	})

	t.Run("BinaryAndEmpty", func(t *testing.T) {
		ctx, s := setup(t)
		bin := []byte{0, 1, 2, 0xff, '\r', '\n', 0}
		require.NoError(t, s.Set(ctx, "bin", bin, time.Minute))
		require.NoError(t, s.Set(ctx, "empty", nil, time.Minute))
		got, ok, err := s.Get(ctx, "bin")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, bin, got)
		got, ok, err = s.Get(ctx, "empty")
		require.NoError(t, err)
		assert.True(t, ok, "an empty value is still a value")
		assert.Empty(t, got)
	})

	t.Run("Expiry", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Set(ctx, "short", []byte("v"), 300*time.Millisecond))
		require.NoError(t, s.Set(ctx, "long", []byte("v"), time.Hour))
		eventually(t, func() bool {
			_, ok, err := s.Get(ctx, "short")
			require.NoError(t, err)
			return !ok
		}, "short-lived entry never expired")
		_, ok, err := s.Get(ctx, "long")
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("SetRenewsTTL", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Set(ctx, "k", []byte("v1"), 200*time.Millisecond))
		require.NoError(t, s.Set(ctx, "k", []byte("v2"), time.Hour))
		waitFor(300 * time.Millisecond)
		got, ok, err := s.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok, "the second Set's ttl applies")
		assert.Equal(t, "v2", string(got))
	})

	t.Run("Delete", func(t *testing.T) {
		ctx, s := setup(t)
		for _, k := range []string{"a", "b", "c"} {
			require.NoError(t, s.Set(ctx, k, []byte(k), time.Minute))
		}
		require.NoError(t, s.Delete(ctx, "a", "b", "missing"))
		require.NoError(t, s.Delete(ctx))
		for k, want := range map[string]bool{"a": false, "b": false, "c": true} {
			_, ok, err := s.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, want, ok, k)
		}
	})

	t.Run("InvalidTTL", func(t *testing.T) {
		ctx, s := setup(t)
		assert.ErrorIs(t, s.Set(ctx, "k", nil, 0), kv.ErrInvalidTTL)
		assert.ErrorIs(t, s.Set(ctx, "k", nil, -time.Second), kv.ErrInvalidTTL)
	})

	t.Run("CanceledContext", func(t *testing.T) {
		_, s := setup(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := s.Get(ctx, "k")
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, s.Set(ctx, "k", nil, time.Minute), context.Canceled)
	})
}

// collector gathers what a subscription receives.
type collector struct {
	mu   sync.Mutex
	msgs []string
}

func (c *collector) fn(m []byte) {
	c.mu.Lock()
	c.msgs = append(c.msgs, string(m))
	c.mu.Unlock()
}

func (c *collector) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// waitLen waits until c has at least n messages and returns them.
func (c *collector) waitLen(t *testing.T, n int) []string {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		got := c.get()
		if len(got) >= n {
			return got
		}
		if time.Now().After(end) {
			t.Fatalf("wanted %d messages, have %d: %q", n, len(got), got)
		}
		time.Sleep(poll)
	}
}

func subscribe(t *testing.T, ctx context.Context, s kv.Store, channel string) (*collector, func()) {
	t.Helper()
	c := &collector{}
	cancel, err := s.Subscribe(ctx, channel, c.fn)
	require.NoError(t, err)
	t.Cleanup(cancel)
	return c, cancel
}

func publishN(t *testing.T, ctx context.Context, s kv.Store, channel, prefix string, n int) []string {
	t.Helper()
	want := make([]string, n)
	for i := range want {
		want[i] = prefix + strconv.Itoa(i)
		require.NoError(t, s.Publish(ctx, channel, []byte(want[i])))
	}
	return want
}

func runBus(t *testing.T, setup setupFunc) {
	t.Run("Order", func(t *testing.T) {
		ctx, s := setup(t)
		c, _ := subscribe(t, ctx, s, "ch")
		want := publishN(t, ctx, s, "ch", "m", 200)
		assert.Equal(t, want, c.waitLen(t, len(want)))
	})

	t.Run("PublishWithoutSubscribers", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Publish(ctx, "nobody", []byte("x")))
	})

	t.Run("MultipleSubscribers", func(t *testing.T) {
		ctx, s := setup(t)
		cs := make([]*collector, 5)
		for i := range cs {
			cs[i], _ = subscribe(t, ctx, s, "ch")
		}
		want := publishN(t, ctx, s, "ch", "m", 50)
		for i, c := range cs {
			assert.Equal(t, want, c.waitLen(t, len(want)), "subscriber %d", i)
		}
	})

	t.Run("ConcurrentSubscribe", func(t *testing.T) {
		// Every Subscribe that has returned is live, even when others on
		// the same channel are still being set up.
		ctx, s := setup(t)
		cs := make([]*collector, 20)
		var wg sync.WaitGroup
		for i := range cs {
			cs[i] = &collector{}
			wg.Go(func() {
				cancel, err := s.Subscribe(ctx, "ch", cs[i].fn)
				if assert.NoError(t, err) {
					t.Cleanup(cancel)
				}
			})
		}
		wg.Wait()
		require.NoError(t, s.Publish(ctx, "ch", []byte("hello")))
		for i, c := range cs {
			assert.Equal(t, []string{"hello"}, c.waitLen(t, 1), "subscriber %d", i)
		}
	})

	t.Run("ChannelIsolation", func(t *testing.T) {
		ctx, s := setup(t)
		a, _ := subscribe(t, ctx, s, "a")
		b, _ := subscribe(t, ctx, s, "b")
		ab, _ := subscribe(t, ctx, s, "a:b") // no pattern matching either
		require.NoError(t, s.Publish(ctx, "a", []byte("for-a")))
		require.NoError(t, s.Publish(ctx, "b", []byte("for-b")))
		assert.Equal(t, []string{"for-a"}, a.waitLen(t, 1))
		assert.Equal(t, []string{"for-b"}, b.waitLen(t, 1))
		waitFor(grace)
		assert.Equal(t, []string{"for-a"}, a.get())
		assert.Equal(t, []string{"for-b"}, b.get())
		assert.Empty(t, ab.get())
	})

	t.Run("Cancel", func(t *testing.T) {
		ctx, s := setup(t)
		gone, cancel := subscribe(t, ctx, s, "ch")
		stays, _ := subscribe(t, ctx, s, "ch")
		require.NoError(t, s.Publish(ctx, "ch", []byte("before")))
		gone.waitLen(t, 1)
		stays.waitLen(t, 1)

		cancel()
		cancel() // idempotent
		require.NoError(t, s.Publish(ctx, "ch", []byte("after")))
		assert.Equal(t, []string{"before", "after"}, stays.waitLen(t, 2))
		waitFor(grace)
		assert.Equal(t, []string{"before"}, gone.get())
	})

	t.Run("CancelLastThenResubscribe", func(t *testing.T) {
		ctx, s := setup(t)
		first, cancel := subscribe(t, ctx, s, "ch")
		cancel()
		second, _ := subscribe(t, ctx, s, "ch")
		require.NoError(t, s.Publish(ctx, "ch", []byte("x")))
		assert.Equal(t, []string{"x"}, second.waitLen(t, 1))
		assert.Empty(t, first.get())
	})

	t.Run("CancelFromCallback", func(t *testing.T) {
		ctx, s := setup(t)
		var n atomic.Int32
		var cancel func()
		ready := make(chan struct{})
		cancel, err := s.Subscribe(ctx, "ch", func([]byte) {
			<-ready
			n.Add(1)
			cancel()
		})
		require.NoError(t, err)
		close(ready)
		witness, _ := subscribe(t, ctx, s, "ch")
		want := publishN(t, ctx, s, "ch", "m", 3)
		witness.waitLen(t, len(want))
		waitFor(grace)
		// The first message cancels; at most one more may race with it.
		assert.GreaterOrEqual(t, n.Load(), int32(1))
		assert.LessOrEqual(t, n.Load(), int32(2))
	})

	t.Run("ContextEndsSubscription", func(t *testing.T) {
		ctx, s := setup(t)
		subCtx, stop := context.WithCancel(ctx)
		gone := &collector{}
		_, err := s.Subscribe(subCtx, "ch", gone.fn)
		require.NoError(t, err)
		stays, _ := subscribe(t, ctx, s, "ch")
		require.NoError(t, s.Publish(ctx, "ch", []byte("before")))
		gone.waitLen(t, 1)

		stop()
		// The watcher runs asynchronously: keep publishing until the
		// canceled subscriber stops seeing messages.
		i := 0
		eventually(t, func() bool {
			seen := len(gone.get())
			i++
			require.NoError(t, s.Publish(ctx, "ch", []byte("after"+strconv.Itoa(i))))
			stays.waitLen(t, i+1)
			waitFor(grace / 3)
			return len(gone.get()) == seen
		}, "subscription outlived its context")
	})

	t.Run("SlowSubscriberBlocksNobody", func(t *testing.T) {
		ctx, s := setup(t)
		release := make(chan struct{})
		var slowGot atomic.Int32
		cancel, err := s.Subscribe(ctx, "ch", func([]byte) {
			<-release
			slowGot.Add(1)
		})
		require.NoError(t, err)
		defer cancel()
		fast, _ := subscribe(t, ctx, s, "ch")

		want := make([]string, 100)
		for i := range want {
			want[i] = "m" + strconv.Itoa(i)
		}
		done := make(chan error, 1)
		go func() {
			for _, m := range want {
				if err := s.Publish(ctx, "ch", []byte(m)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(deadline):
			close(release)
			t.Fatal("Publish blocked behind a slow subscriber")
		}
		assert.Equal(t, want, fast.waitLen(t, len(want)))
		close(release)
		eventually(t, func() bool { return slowGot.Load() == int32(len(want)) },
			"slow subscriber did not catch up")
	})

	t.Run("MessageOwnership", func(t *testing.T) {
		ctx, s := setup(t)
		var mu sync.Mutex
		var got []string
		_, err := s.Subscribe(ctx, "ch", func(m []byte) {
			mu.Lock()
			got = append(got, string(m))
			mu.Unlock()
			m[0] = '!' // fn owns m: must not affect other subscribers
		})
		require.NoError(t, err)
		other, _ := subscribe(t, ctx, s, "ch")
		buf := []byte("abc")
		require.NoError(t, s.Publish(ctx, "ch", buf))
		buf[0] = 'X' // the publisher may reuse its buffer at once
		require.NoError(t, s.Publish(ctx, "ch", buf))
		assert.Equal(t, []string{"abc", "Xbc"}, other.waitLen(t, 2))
		eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 }, "first subscriber")
		mu.Lock()
		assert.Equal(t, []string{"abc", "Xbc"}, got)
		mu.Unlock()
	})
}

func runLimiter(t *testing.T, setup setupFunc) {
	t.Run("CountsDownAndDenies", func(t *testing.T) {
		ctx, s := setup(t)
		const limit = 5
		window := time.Hour
		for i := range limit {
			d, err := s.Allow(ctx, "k", limit, window)
			require.NoError(t, err)
			require.True(t, d.Allowed, "request %d", i+1)
			assert.Equal(t, limit, d.Limit)
			assert.Equal(t, limit-i-1, d.Remaining, "request %d", i+1)
			assert.Zero(t, d.RetryAfter)
			assertInWindow(t, d.ResetAfter, window, "ResetAfter")
		}
		for range 3 {
			d, err := s.Allow(ctx, "k", limit, window)
			require.NoError(t, err)
			assert.False(t, d.Allowed)
			assert.Equal(t, limit, d.Limit)
			assert.Zero(t, d.Remaining)
			assertInWindow(t, d.RetryAfter, window, "RetryAfter")
			assertInWindow(t, d.ResetAfter, window, "ResetAfter")
		}
	})

	t.Run("LimitOfOne", func(t *testing.T) {
		ctx, s := setup(t)
		d, err := s.Allow(ctx, "k", 1, time.Hour)
		require.NoError(t, err)
		assert.True(t, d.Allowed)
		assert.Zero(t, d.Remaining)
		d, err = s.Allow(ctx, "k", 1, time.Hour)
		require.NoError(t, err)
		assert.False(t, d.Allowed)
		assertInWindow(t, d.RetryAfter, time.Hour, "RetryAfter")
	})

	t.Run("KeyIsolation", func(t *testing.T) {
		ctx, s := setup(t)
		exhaust(t, ctx, s, "a", 3, time.Hour)
		d, err := s.Allow(ctx, "b", 3, time.Hour)
		require.NoError(t, err)
		assert.True(t, d.Allowed)
		assert.Equal(t, 2, d.Remaining)
	})

	t.Run("WindowSlides", func(t *testing.T) {
		// Denied requests do not count, so hammering a full key still
		// gets through once the window has moved on.
		ctx, s := setup(t)
		const limit = 3
		window := 400 * time.Millisecond
		exhaust(t, ctx, s, "k", limit, window)
		eventually(t, func() bool {
			d, err := s.Allow(ctx, "k", limit, window)
			require.NoError(t, err)
			if !d.Allowed {
				assertInWindow(t, d.RetryAfter, window, "RetryAfter")
			}
			return d.Allowed
		}, "never allowed again")
	})

	t.Run("FullyRecovers", func(t *testing.T) {
		// With no traffic for two windows, the whole quota is back.
		ctx, s := setup(t)
		const limit = 4
		window := 300 * time.Millisecond
		exhaust(t, ctx, s, "k", limit, window)
		waitFor(2*window + 50*time.Millisecond)
		d, err := s.Allow(ctx, "k", limit, window)
		require.NoError(t, err)
		assert.True(t, d.Allowed)
		assert.Equal(t, limit-1, d.Remaining)
	})

	t.Run("RetryAfterIsHonest", func(t *testing.T) {
		// A client that waits RetryAfter gets through (allowing for the
		// documented window/limit of approximation and a slow machine).
		ctx, s := setup(t)
		const limit = 4
		window := 500 * time.Millisecond
		d := exhaust(t, ctx, s, "k", limit, window)
		start := time.Now()
		waitFor(d.RetryAfter)
		eventually(t, func() bool {
			d, err := s.Allow(ctx, "k", limit, window)
			require.NoError(t, err)
			return d.Allowed
		}, "never allowed again")
		assert.Less(t, time.Since(start), d.RetryAfter+window/limit+2*time.Second)
	})

	t.Run("ConcurrentExactlyLimit", func(t *testing.T) {
		ctx, s := setup(t)
		const limit = 100
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				for range 4 {
					d, err := s.Allow(ctx, "k", limit, time.Hour)
					if assert.NoError(t, err) && d.Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(limit), allowed.Load())
	})

	t.Run("InvalidArguments", func(t *testing.T) {
		ctx, s := setup(t)
		for _, tc := range []struct {
			limit  int
			window time.Duration
		}{{0, time.Minute}, {-1, time.Minute}, {1, 0}, {1, -time.Second}, {1, time.Microsecond}} {
			_, err := s.Allow(ctx, "k", tc.limit, tc.window)
			assert.ErrorIs(t, err, kv.ErrInvalidLimit, "limit %d window %v", tc.limit, tc.window)
		}
	})
}

// exhaust uses up key's quota and returns the first denial.
func exhaust(t *testing.T, ctx context.Context, s kv.Store, key string, limit int, window time.Duration) kv.Decision {
	t.Helper()
	for i := 0; ; i++ {
		d, err := s.Allow(ctx, key, limit, window)
		require.NoError(t, err)
		if !d.Allowed {
			require.GreaterOrEqual(t, i, limit, "denied before the limit")
			return d
		}
		// A short window may slide while we fill it; that only delays.
		require.Less(t, i, 100*limit, "never denied")
	}
}

func assertInWindow(t *testing.T, d, window time.Duration, what string) {
	t.Helper()
	assert.Greater(t, d, time.Duration(0), what)
	assert.LessOrEqual(t, d, window, what)
}

func runTokens(t *testing.T, setup setupFunc) {
	t.Run("SingleUse", func(t *testing.T) {
		ctx, s := setup(t)
		_, ok, err := s.Take(ctx, "missing")
		require.NoError(t, err)
		assert.False(t, ok)

		in := []byte("secret")
		require.NoError(t, s.Put(ctx, "tok", in, time.Minute))
		in[0] = 'X'
		got, ok, err := s.Take(ctx, "tok")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "secret", string(got))
		_, ok, err = s.Take(ctx, "tok")
		require.NoError(t, err)
		assert.False(t, ok, "second Take must fail")
	})

	t.Run("PutReplaces", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Put(ctx, "tok", []byte("one"), time.Minute))
		require.NoError(t, s.Put(ctx, "tok", []byte("two"), time.Minute))
		got, ok, err := s.Take(ctx, "tok")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "two", string(got))
	})

	t.Run("SeparateFromCache", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Put(ctx, "k", []byte("token"), time.Minute))
		_, ok, err := s.Get(ctx, "k")
		require.NoError(t, err)
		assert.False(t, ok)
		require.NoError(t, s.Set(ctx, "k", []byte("cached"), time.Minute))
		got, ok, err := s.Take(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "token", string(got))
	})

	t.Run("ConcurrentTakeOneWinner", func(t *testing.T) {
		ctx, s := setup(t)
		for round := range 10 {
			key := fmt.Sprintf("tok%d", round)
			require.NoError(t, s.Put(ctx, key, []byte(key), time.Minute))
			var winners atomic.Int32
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(func() {
					<-start
					got, ok, err := s.Take(ctx, key)
					if assert.NoError(t, err) && ok {
						winners.Add(1)
						assert.Equal(t, key, string(got))
					}
				})
			}
			close(start)
			wg.Wait()
			assert.Equal(t, int32(1), winners.Load(), "round %d", round)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		ctx, s := setup(t)
		require.NoError(t, s.Put(ctx, "short", []byte("v"), 200*time.Millisecond))
		require.NoError(t, s.Put(ctx, "long", []byte("v"), time.Hour))
		// Take consumes, so the expiry cannot be polled for: let the ttl
		// pass, which is the very thing under test.
		waitFor(300 * time.Millisecond)
		_, ok, err := s.Take(ctx, "short")
		require.NoError(t, err)
		assert.False(t, ok, "expired token was taken")
		_, ok, err = s.Take(ctx, "long")
		require.NoError(t, err)
		assert.True(t, ok)
	})

	t.Run("InvalidTTL", func(t *testing.T) {
		ctx, s := setup(t)
		assert.ErrorIs(t, s.Put(ctx, "k", nil, 0), kv.ErrInvalidTTL)
		assert.ErrorIs(t, s.Put(ctx, "k", nil, -time.Second), kv.ErrInvalidTTL)
	})
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			if len(msgAndArgs) > 0 {
				t.Fatalf(msgAndArgs[0].(string), msgAndArgs[1:]...)
			}
			t.Fatal("condition not met before deadline")
		}
		time.Sleep(poll)
	}
}

// waitFor lets time pass when the passing of time is what is being tested
// (expiry, windows) or when watching for something that must not happen.
func waitFor(d time.Duration) {
	<-time.After(d)
}

// Benchmark measures the hot paths of a store: Cache.Get hits and
// Limiter.Allow at the spec's default general limit (5000 per 15 minutes),
// on one contended key and spread over many keys. newStore is called once
// per sub-benchmark; Benchmark closes the store.
func Benchmark(b *testing.B, newStore func(b *testing.B) kv.Store) {
	const limit, window = 5000, 15 * time.Minute
	setup := func(b *testing.B) (context.Context, kv.Store) {
		b.Helper()
		s := newStore(b)
		b.Cleanup(s.Close)
		return b.Context(), s
	}

	b.Run("CacheGet", func(b *testing.B) {
		ctx, s := setup(b)
		val := make([]byte, 64)
		require.NoError(b, s.Set(ctx, "k", val, time.Hour))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, err := s.Get(ctx, "k"); err != nil || !ok {
					b.Errorf("Get: ok=%v err=%v", ok, err)
					return
				}
			}
		})
	})

	b.Run("LimiterAllow", func(b *testing.B) {
		ctx, s := setup(b)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Allow(ctx, "k", limit, window); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("LimiterAllowManyKeys", func(b *testing.B) {
		ctx, s := setup(b)
		keys := make([]string, 1024)
		for i := range keys {
			keys[i] = "ip-" + strconv.Itoa(i)
		}
		var next atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				k := keys[next.Add(1)%uint64(len(keys))]
				if _, err := s.Allow(ctx, k, limit, window); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
