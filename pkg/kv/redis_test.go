package kv_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/kv/kvtest"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// redisClient opens a client on a Redis database leased to tb, closed when
// tb ends.
func redisClient(tb testing.TB) rueidis.Client {
	tb.Helper()
	opts, err := kv.ParseRedisURL(patchmontest.RedisURL(tb))
	require.NoError(tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := kv.OpenRedis(ctx, opts)
	require.NoError(tb, err)
	tb.Cleanup(client.Close)
	return client
}

// uniquePrefix keeps stores apart on one database and, since pub/sub
// channels are not per database, across tests and test binaries.
func uniquePrefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "kvtest:" + hex.EncodeToString(b) + ":"
}

func TestRedis(t *testing.T) {
	// One leased database for the whole suite; subtests are kept apart by
	// prefix, which is exactly what the prefix is for.
	client := redisClient(t)
	kvtest.Run(t, func(t *testing.T) kv.Store { return kv.NewRedis(client, uniquePrefix()) })
}

func BenchmarkRedis(b *testing.B) {
	client := redisClient(b)
	kvtest.Benchmark(b, func(b *testing.B) kv.Store { return kv.NewRedis(client, uniquePrefix()) })
}

func TestRedisPrefixIsolation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client := redisClient(t)
	pa, pb := uniquePrefix(), uniquePrefix()
	a, b := kv.NewRedis(client, pa), kv.NewRedis(client, pb)
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)

	require.NoError(t, a.Set(ctx, "k", []byte("a"), time.Minute))
	require.NoError(t, b.Set(ctx, "k", []byte("b"), time.Minute))
	got, _, err := a.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "a", string(got))

	require.NoError(t, a.Put(ctx, "tok", []byte("a"), time.Minute))
	_, ok, err := b.Take(ctx, "tok")
	require.NoError(t, err)
	assert.False(t, ok)

	_, err = a.Allow(ctx, "ip", 1, time.Hour)
	require.NoError(t, err)
	d, err := b.Allow(ctx, "ip", 1, time.Hour)
	require.NoError(t, err)
	assert.True(t, d.Allowed)

	gotB := make(chan string, 4)
	cancel, err := b.Subscribe(ctx, "ch", func(m []byte) { gotB <- string(m) })
	require.NoError(t, err)
	defer cancel()
	require.NoError(t, a.Publish(ctx, "ch", []byte("from a")))
	require.NoError(t, b.Publish(ctx, "ch", []byte("from b")))
	select {
	case m := <-gotB:
		assert.Equal(t, "from b", m)
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}

	// The database is leased to this test, so every key in it is ours and
	// must carry one of the two prefixes.
	keys, err := client.Do(ctx, client.B().Keys().Pattern("*").Build()).AsStrSlice()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, pa) || strings.HasPrefix(k, pb), "key %q has no store prefix", k)
	}
}

// killBusConnection kills the bus's pub/sub connection, which it names
// kv-bus:<prefix>, and reports whether it found one.
func killBusConnection(t *testing.T, client rueidis.Client, prefix string) bool {
	t.Helper()
	ctx := t.Context()
	list, err := client.Do(ctx, client.B().ClientList().Build()).ToString()
	require.NoError(t, err)
	for line := range strings.Lines(list) {
		var id, name string
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			} else if v, ok := strings.CutPrefix(f, "name="); ok {
				name = v
			}
		}
		if name == "kv-bus:"+prefix {
			n, err := strconv.ParseInt(id, 10, 64)
			require.NoError(t, err)
			require.NoError(t, client.Do(ctx, client.B().ClientKill().Id(n).Build()).Error())
			return true
		}
	}
	return false
}

func TestRedisBusSurvivesReconnect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client := redisClient(t)
	prefix := uniquePrefix()
	s := kv.NewRedis(client, prefix)
	t.Cleanup(s.Close)

	got := make(chan string, 1024)
	for _, ch := range []string{"a", "b"} {
		cancel, err := s.Subscribe(ctx, ch, func(m []byte) { got <- ch + "=" + string(m) })
		require.NoError(t, err)
		t.Cleanup(cancel)
	}
	require.NoError(t, s.Publish(ctx, "a", []byte("before")))
	require.Equal(t, "a=before", <-got)

	for round := range 3 {
		require.True(t, killBusConnection(t, client, prefix), "bus connection not found")
		// Messages published while it reconnects are lost; keep publishing
		// until both channels come through again.
		seen := map[string]bool{}
		end := time.Now().Add(10 * time.Second)
		for i := 0; !seen["a"] || !seen["b"]; i++ {
			require.True(t, time.Now().Before(end), "round %d: subscriptions not restored", round)
			msg := "r" + strconv.Itoa(round) + "-" + strconv.Itoa(i)
			require.NoError(t, s.Publish(ctx, "a", []byte(msg)))
			require.NoError(t, s.Publish(ctx, "b", []byte(msg)))
			drain := time.After(20 * time.Millisecond)
		collect:
			for {
				select {
				case m := <-got:
					ch, body, _ := strings.Cut(m, "=")
					if strings.HasPrefix(body, "r"+strconv.Itoa(round)+"-") {
						seen[ch] = true
					}
				case <-drain:
					break collect
				}
			}
		}
	}

	// New subscriptions work on the replacement connection too.
	late := make(chan string, 1)
	cancel, err := s.Subscribe(ctx, "c", func(m []byte) { late <- string(m) })
	require.NoError(t, err)
	defer cancel()
	require.NoError(t, s.Publish(ctx, "c", []byte("late")))
	select {
	case m := <-late:
		assert.Equal(t, "late", m)
	case <-time.After(10 * time.Second):
		t.Fatal("no message on a channel subscribed after reconnecting")
	}
}

func TestRedisUnsubscribesOnServer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client := redisClient(t)
	prefix := uniquePrefix()
	s := kv.NewRedis(client, prefix)
	t.Cleanup(s.Close)

	numsub := func() int64 {
		ch := prefix + "bus:ch"
		m, err := client.Do(ctx, client.B().PubsubNumsub().Channel(ch).Build()).AsIntMap()
		require.NoError(t, err)
		return m[ch]
	}
	c1, err := s.Subscribe(ctx, "ch", func([]byte) {})
	require.NoError(t, err)
	c2, err := s.Subscribe(ctx, "ch", func([]byte) {})
	require.NoError(t, err)
	assert.Equal(t, int64(1), numsub(), "subscribers share one server subscription")
	c1()
	assert.Equal(t, int64(1), numsub())
	c2()
	assert.Equal(t, int64(0), numsub(), "the last cancel unsubscribes")
}

// Not parallel: it counts the process's goroutines.
func TestRedisCloseLeavesNoGoroutines(t *testing.T) {
	ctx := t.Context()
	client := redisClient(t)
	cycle := func() {
		s := kv.NewRedis(client, uniquePrefix())
		got := make(chan struct{}, 1)
		for range 5 {
			_, err := s.Subscribe(ctx, "ch", func([]byte) {
				select {
				case got <- struct{}{}:
				default:
				}
			})
			require.NoError(t, err)
		}
		for range 20 {
			_, err := s.Allow(ctx, "k", 10, time.Minute)
			require.NoError(t, err)
		}
		require.NoError(t, s.Publish(ctx, "ch", []byte("x")))
		<-got
		s.Close()
	}
	// The client opens its pipelined connections (and their goroutines)
	// lazily; let it do so before counting.
	cycle()
	before := runtime.NumGoroutine()
	cycle()
	assertNoGoroutineLeak(t, before)
	// The client is the caller's and still works.
	require.NoError(t, client.Do(ctx, client.B().Ping().Build()).Error())
}

func TestOpenRedisFails(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// A port nobody listens on: bind one, then close it.
	_, err := kv.OpenRedis(ctx, kv.RedisOptions{Addr: closedAddr(t)})
	assert.Error(t, err)
	_, err = kv.OpenRedis(ctx, kv.RedisOptions{Addr: "no-port"})
	assert.ErrorContains(t, err, "RedisOptions.Addr")
	_, err = kv.OpenRedis(ctx, kv.RedisOptions{Addr: "127.0.0.1:6379", DB: -1})
	assert.ErrorContains(t, err, "RedisOptions.DB")
}

func TestOpenRedisSelectsDB(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := patchmontest.RedisURL(t)
	opts, err := kv.ParseRedisURL(url)
	require.NoError(t, err)
	client, err := kv.OpenRedis(ctx, opts)
	require.NoError(t, err)
	defer client.Close()
	require.NoError(t, client.Do(ctx, client.B().Set().Key("marker").Value("x").Build()).Error())

	opts.DB = (opts.DB + 1) % 16
	other, err := kv.OpenRedis(ctx, opts)
	require.NoError(t, err)
	defer other.Close()
	n, err := other.Do(ctx, other.B().Exists().Key("marker").Build()).AsInt64()
	require.NoError(t, err)
	assert.Zero(t, n, "marker visible from database %d", opts.DB)
}

func TestParseRedisURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    kv.RedisOptions
		wantErr string
	}{
		{in: "redis://localhost", want: kv.RedisOptions{Addr: "localhost:6379"}},
		{in: "redis://", want: kv.RedisOptions{Addr: "localhost:6379"}},
		{in: "redis://10.0.0.5:6380/3", want: kv.RedisOptions{Addr: "10.0.0.5:6380", DB: 3}},
		{in: "rediss://redis.example.com", want: kv.RedisOptions{Addr: "redis.example.com:6379", TLS: true}},
		{in: "redis://:s3cret@h:1", want: kv.RedisOptions{Addr: "h:1", Password: "s3cret"}},
		{in: "redis://user:p%40ss@h:1/0", want: kv.RedisOptions{Addr: "h:1", Username: "user", Password: "p@ss"}},
		{in: "redis://[::1]:7000/2", want: kv.RedisOptions{Addr: "[::1]:7000", DB: 2}},
		{in: "http://h", wantErr: "scheme"},
		{in: "redis://h/x", wantErr: "database number"},
		{in: "redis://h/-1", wantErr: "database number"},
		{in: "::bad", wantErr: "redis URL"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := kv.ParseRedisURL(tc.in)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
