package patchmontest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestDatabaseURLIsolation(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		names []string
	)
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				conn := connect(t, patchmontest.DatabaseURL(t))
				ctx := t.Context()

				var name string
				require.NoError(t, conn.QueryRow(ctx, `SELECT current_database()`).Scan(&name))
				mu.Lock()
				names = append(names, name)
				mu.Unlock()

				var tables int
				require.NoError(t, conn.QueryRow(ctx,
					`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables))
				require.Zero(t, tables, "a new database is empty")

				// Every test uses the same table name; each must see only its own row.
				_, err := conn.Exec(ctx, `CREATE TABLE items (owner text)`)
				require.NoError(t, err)
				_, err = conn.Exec(ctx, `INSERT INTO items VALUES ($1)`, t.Name())
				require.NoError(t, err)
				var owners []string
				rows, err := conn.Query(ctx, `SELECT owner FROM items`)
				require.NoError(t, err)
				owners, err = pgx.CollectRows(rows, pgx.RowTo[string])
				require.NoError(t, err)
				require.Equal(t, []string{t.Name()}, owners)
			})
		}
	})

	require.Len(t, names, 8)
	seen := map[string]bool{}
	for _, n := range names {
		require.False(t, seen[n], "database %s handed out twice", n)
		seen[n] = true
	}
	conn := connect(t, patchmontest.DatabaseURL(t))
	var left int
	require.NoError(t, conn.QueryRow(t.Context(),
		`SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, names).Scan(&left))
	require.Zero(t, left, "databases are dropped when their tests end")
}

func TestDatabaseURLDropsWithOpenConnections(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("leaves a connection open", func(t *testing.T) {
		conn, err := pgx.Connect(t.Context(), patchmontest.DatabaseURL(t))
		require.NoError(t, err)
		// Deliberately not closed before the kit's cleanup: DROP ... WITH (FORCE) copes.
		t.Cleanup(func() { conn.Close(context.Background()) })
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT current_database()`).Scan(&name))
	})
	conn := connect(t, patchmontest.DatabaseURL(t))
	var exists bool
	require.NoError(t, conn.QueryRow(t.Context(),
		`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists))
	require.False(t, exists)
}

func redisClient(t *testing.T, redisURL string) rueidis.Client {
	t.Helper()
	opt, err := rueidis.ParseURL(redisURL)
	require.NoError(t, err)
	opt.DisableCache = true
	client, err := rueidis.NewClient(opt)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return client
}

func leasedDB(t *testing.T, redisURL string) int {
	t.Helper()
	u, err := url.Parse(redisURL)
	require.NoError(t, err)
	require.Equal(t, "redis", u.Scheme)
	db, err := strconv.Atoi(strings.TrimPrefix(u.Path, "/"))
	require.NoError(t, err, "URL %s names a database", redisURL)
	require.True(t, db >= 0 && db < 16)
	return db
}

func TestRedisURLLeases(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		active = map[int]string{}
	)
	for i := range 24 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			redisURL := patchmontest.RedisURL(t)
			db := leasedDB(t, redisURL)
			mu.Lock()
			holder, taken := active[db]
			active[db] = t.Name()
			mu.Unlock()
			require.False(t, taken, "database %d leased to %s and %s at once", db, holder, t.Name())
			// Registered after RedisURL's clean-up, so it runs before the lease is released.
			t.Cleanup(func() {
				mu.Lock()
				delete(active, db)
				mu.Unlock()
			})

			client := redisClient(t, redisURL)
			ctx := t.Context()
			size, err := client.Do(ctx, client.B().Dbsize().Build()).AsInt64()
			require.NoError(t, err)
			require.Zero(t, size, "a leased database starts empty")
			for j := range 20 {
				key := fmt.Sprintf("key-%d", j)
				require.NoError(t, client.Do(ctx, client.B().Set().Key(key).Value(t.Name()).Build()).Error())
			}
			owner, err := client.Do(ctx, client.B().Get().Key("key-0").Build()).ToString()
			require.NoError(t, err)
			require.Equal(t, t.Name(), owner)
			size, err = client.Do(ctx, client.B().Dbsize().Build()).AsInt64()
			require.NoError(t, err)
			require.EqualValues(t, 20, size, "no other test wrote here")
		})
	}
}

// TestRedisURLBlocksUntilFree leases all 16 databases, then checks that a 17th lease
// waits for one to be released and gets it flushed.
func TestRedisURLBlocksUntilFree(t *testing.T) {
	if os.Getenv("TEST_REDIS_URL") != "" {
		t.Skip("needs the kit's private redis-server: other test binaries may hold leases on a shared one")
	}
	full := make(chan struct{})
	release := make(chan struct{})
	var released atomic.Bool
	holderDone := make(chan struct{})
	go func() {
		defer close(holderDone)
		t.Run("holder", func(t *testing.T) {
			for range 16 {
				redisURL := patchmontest.RedisURL(t)
				client := redisClient(t, redisURL)
				require.NoError(t, client.Do(t.Context(), client.B().Set().Key("left-behind").Value("x").Build()).Error())
			}
			close(full)
			<-release
			released.Store(true)
		})
	}()

	select {
	case <-full:
	case <-holderDone:
		t.Fatal("holder ended before leasing every database")
	}
	// Give the waiter time to block before releasing; correctness does not depend on it.
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	t.Run("waiter", func(t *testing.T) {
		redisURL := patchmontest.RedisURL(t)
		require.True(t, released.Load(), "a lease was handed out while all 16 were held")
		client := redisClient(t, redisURL)
		size, err := client.Do(t.Context(), client.B().Dbsize().Build()).AsInt64()
		require.NoError(t, err)
		require.Zero(t, size, "the previous holder's keys were flushed")
	})
	<-holderDone
}

func TestLogger(t *testing.T) {
	t.Setenv("PATCHMON_TEST_LOG", "")
	require.False(t, patchmontest.Logger(t).Handler().Enabled(t.Context(), slog.LevelError), "discards when unset")

	t.Setenv("PATCHMON_TEST_LOG", "warn")
	logger := patchmontest.Logger(t)
	require.True(t, logger.Handler().Enabled(t.Context(), slog.LevelWarn))
	require.False(t, logger.Handler().Enabled(t.Context(), slog.LevelInfo))
	logger.Warn("visible with -v", "k", "v")

	t.Setenv("PATCHMON_TEST_LOG", "1")
	require.True(t, patchmontest.Logger(t).Handler().Enabled(t.Context(), slog.LevelDebug))
}
