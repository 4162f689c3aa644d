package agenthub_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lxzan/gws"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

func TestMain(m *testing.M) {
	if conf := os.Getenv(helperEnv); conf != "" {
		runHelperReplica(conf)
		return
	}
	patchmontest.Main(m)
}

// fakeAuth is an Authenticator over a map, for tests of the hub on its own; the
// server tests use the real inventory.
type fakeAuth struct {
	mu    sync.Mutex
	hosts map[string]fakeHost
	calls int
	fail  error // returned for every call when set
}

type fakeHost struct {
	ref agenthub.HostRef
	key string
}

func (f *fakeAuth) AuthenticateAgent(_ context.Context, apiID, apiKey string) (agenthub.HostRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return agenthub.HostRef{}, f.fail
	}
	h, ok := f.hosts[apiID]
	if !ok || h.key != apiKey {
		return agenthub.HostRef{}, agenthub.ErrInvalidCredentials
	}
	return h.ref, nil
}

// testDB is a migrated database of its own.
func testDB(t *testing.T) (*db.DB, string) {
	t.Helper()
	url := patchmontest.DatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	return db.New(pool, db.Options{}), url
}

// env is a database shared by one or more hubs, as by the replicas of a server.
type env struct {
	t     *testing.T
	db    *db.DB
	auth  *fakeAuth
	redis string // redis URL, or "" for in-process stores
	// prefix keeps the Redis keys and channels of this test apart.
	prefix string
	memory *kv.Memory // shared in-process store when redis == ""
}

func newEnv(t *testing.T, withRedis bool) *env {
	t.Helper()
	d, _ := testDB(t)
	e := &env{t: t, db: d, auth: &fakeAuth{hosts: map[string]fakeHost{}}, prefix: "agenthubtest:" + randHex(6) + ":"}
	if withRedis {
		e.redis = patchmontest.RedisURL(t)
	} else {
		e.memory = kv.NewMemory()
		t.Cleanup(e.memory.Close)
	}
	return e
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// store returns a kv store for one replica: its own Redis client (as a separate
// process would have), or the shared in-process store.
func (e *env) store() kv.Store {
	e.t.Helper()
	if e.redis == "" {
		return e.memory
	}
	opts, err := kv.ParseRedisURL(e.redis)
	require.NoError(e.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := kv.OpenRedis(ctx, opts)
	require.NoError(e.t, err)
	st := kv.NewRedis(client, e.prefix)
	e.t.Cleanup(func() { st.Close(); client.Close() })
	return st
}

// host creates a host row and registers its credentials with the fake
// authenticator.
func (e *env) host(name string, groups ...uuid.UUID) (agenthub.HostRef, string) {
	e.t.Helper()
	ctx := context.Background()
	apiID := "patchmon_" + randHex(8)
	key := randHex(32)
	var id uuid.UUID
	err := e.db.Pool.QueryRow(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash) VALUES ($1, $2, 'x') RETURNING id`,
		name, apiID).Scan(&id)
	require.NoError(e.t, err)
	for _, g := range groups {
		_, err := e.db.Pool.Exec(ctx, `INSERT INTO host_group_memberships (host_id, host_group_id) VALUES ($1, $2)`, id, g)
		require.NoError(e.t, err)
	}
	ref := agenthub.HostRef{ID: id, APIID: apiID}
	e.auth.mu.Lock()
	e.auth.hosts[apiID] = fakeHost{ref: ref, key: key}
	e.auth.mu.Unlock()
	return ref, key
}

func (e *env) group(name string) uuid.UUID {
	e.t.Helper()
	var id uuid.UUID
	require.NoError(e.t, e.db.Pool.QueryRow(context.Background(), `INSERT INTO host_groups (name) VALUES ($1) RETURNING id`, name).Scan(&id))
	return id
}

// testViewer is a browser stream user with a fixed permission set.
type testViewer map[string]bool

func (v testViewer) Can(p string) bool { return v[p] }

type viewerKey struct{}

// replica is one started hub behind an HTTP server.
type replica struct {
	hub   *agenthub.Hub
	srv   *httptest.Server
	store kv.Store
	url   string // ws://host:port
}

// replica starts a hub on the env's database with fast test timings, tweaked
// by opts, and serves it over HTTP. The browser stream takes its viewer's
// permissions from the X-Test-Perms header (comma-separated).
func (e *env) replica(opts ...func(*agenthub.Config)) *replica {
	e.t.Helper()
	st := e.store()
	cfg := agenthub.Config{
		DB: e.db, Bus: st, Cache: st, Auth: e.auth,
		Logger:            patchmontest.Logger(e.t),
		PingInterval:      200 * time.Millisecond,
		IdleTimeout:       2 * time.Second,
		ReplicaTTL:        600 * time.Millisecond,
		CommandTimeout:    2 * time.Second,
		FlushInterval:     20 * time.Millisecond,
		ReconcileInterval: 500 * time.Millisecond,
		ViewerFrom: func(ctx context.Context) (agenthub.Viewer, bool) {
			v, ok := ctx.Value(viewerKey{}).(testViewer)
			return v, ok
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	hub, err := agenthub.New(cfg)
	require.NoError(e.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(e.t, hub.Start(ctx))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/agents/ws", hub.ServeAgent)
	mux.HandleFunc("GET /api/v1/ws/events", func(w http.ResponseWriter, r *http.Request) {
		if p := r.Header.Get("X-Test-Perms"); p != "" {
			v := testViewer{}
			for _, perm := range strings.Split(p, ",") {
				v[perm] = true
			}
			r = r.WithContext(context.WithValue(r.Context(), viewerKey{}, v))
		}
		hub.ServeStream(w, r)
	})
	srv := httptest.NewServer(mux)
	r := &replica{hub: hub, srv: srv, store: st, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
	e.t.Cleanup(func() { r.stop() })
	return r
}

func (r *replica) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = r.hub.Shutdown(ctx)
	r.srv.Close()
}

// agent is a test WebSocket client speaking as an agent.
type agent struct {
	conn   *gws.Conn
	frames chan []byte
	closed chan error
	// answerPings is false to play an agent that has stopped responding.
	answerPings bool
}

func (a *agent) OnOpen(*gws.Conn) {}
func (a *agent) OnPing(c *gws.Conn, p []byte) {
	if a.answerPings {
		_ = c.WritePong(p)
	}
}
func (a *agent) OnPong(*gws.Conn, []byte) {}
func (a *agent) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := append([]byte(nil), m.Bytes()...)
	m.Close()
	select {
	case a.frames <- b:
	default:
	}
}
func (a *agent) OnClose(_ *gws.Conn, err error) { a.closed <- err }

// dial connects an agent to url (ws://host:port) with header; it returns the
// handshake response also on failure.
func dial(t *testing.T, base string, header http.Header, answerPings bool) (*agent, *http.Response, error) {
	t.Helper()
	a := &agent{frames: make(chan []byte, 64), closed: make(chan error, 1), answerPings: answerPings}
	// Generous: with the race detector, the server's first bcrypt takes seconds.
	conn, resp, err := gws.NewClient(a, &gws.ClientOption{Addr: base + "/api/v1/agents/ws", RequestHeader: header,
		HandshakeTimeout: 30 * time.Second})
	if err != nil {
		return nil, resp, err
	}
	a.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() { _ = conn.WriteClose(1000, nil) })
	return a, resp, nil
}

func creds(apiID, key string) http.Header {
	h := http.Header{}
	h.Set("X-API-ID", apiID)
	h.Set("X-API-KEY", key)
	return h
}

// connect dials as host and fails the test on error.
func connect(t *testing.T, r *replica, host agenthub.HostRef, key string) *agent {
	t.Helper()
	a, _, err := dial(t, r.url, creds(host.APIID, key), true)
	require.NoError(t, err)
	return a
}

// next returns the next frame the agent receives, skipping none.
func (a *agent) next(t *testing.T, within time.Duration) []byte {
	t.Helper()
	select {
	case f := <-a.frames:
		return f
	case <-time.After(within):
		t.Fatalf("no frame within %s", within)
		return nil
	}
}

// waitClosed returns the close error once the connection ends.
func (a *agent) waitClosed(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-a.closed:
		return err
	case <-time.After(within):
		t.Fatalf("connection not closed within %s", within)
		return nil
	}
}

func closeCode(err error) uint16 {
	var ce *gws.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// presence reads a host's recorded status and reason.
func (e *env) presence(host uuid.UUID) (status, reason string) {
	e.t.Helper()
	err := e.db.Pool.QueryRow(context.Background(), `SELECT status, disconnect_reason FROM agent_presence WHERE host_id = $1`, host).
		Scan(&status, &reason)
	if err != nil {
		return "", ""
	}
	return status, reason
}

// transitions lists a host's recorded transitions, oldest first, as "status/reason".
func (e *env) transitions(host uuid.UUID) []string {
	e.t.Helper()
	rows, err := e.db.Pool.Query(context.Background(), `SELECT status || '/' || reason FROM agent_status_events WHERE host_id = $1 ORDER BY id`, host)
	require.NoError(e.t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(e.t, rows.Scan(&s))
		out = append(out, s)
	}
	return out
}

// subscribe collects the messages of a bus channel.
func subscribe(t *testing.T, bus kv.Bus, channel string) <-chan []byte {
	t.Helper()
	ch := make(chan []byte, 256)
	cancel, err := bus.Subscribe(context.Background(), channel, func(b []byte) {
		select {
		case ch <- b:
		default:
		}
	})
	require.NoError(t, err)
	t.Cleanup(cancel)
	return ch
}

// nextStatus waits for a StatusEvent about host with the given status.
func nextStatus(t *testing.T, ch <-chan []byte, host uuid.UUID, status agenthub.Status, within time.Duration) agenthub.StatusEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case b := <-ch:
			var ev agenthub.StatusEvent
			require.NoError(t, json.Unmarshal(b, &ev))
			if ev.HostID == host && ev.Status == status {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event for %s within %s", status, host, within)
		}
	}
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }
