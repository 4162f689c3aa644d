package inventory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// fakeAgent is a stand-in agent binary: a shell script that carries the version banner
// the server reads and succeeds at `ping`, which is all the installer asks of it.
const fakeAgent = "#!/bin/sh\n# PatchMon Agent v1.4.2\nexit 0\n"

// env is one test's server: the inventory behind the real route table (spec validation,
// body limits, the agent permission) on a fresh database.
type env struct {
	t     testing.TB
	svc   *inventory.Service
	db    *db.DB
	pool  *pgxpool.Pool
	store kv.Store
	url   string
	http  *http.Client
}

type options struct {
	cfg       inventory.Config
	bodyLimit int64
}

// setup starts an env. Every mounted operation that is not part of the inventory answers
// 404: those belong to other packages and have their own tests.
func setup(t testing.TB, opts ...func(*options)) *env {
	t.Helper()
	ctx := context.Background()
	pcfg, err := pgxpool.ParseConfig(patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	pcfg.MaxConns = 30 // the server's default DB_CONNECTION_LIMIT
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	store := kv.NewMemory()
	t.Cleanup(store.Close)

	o := options{cfg: inventory.Config{
		DB:            db.New(pool, db.Options{}),
		Cache:         store,
		Tokens:        store,
		Secret:        []byte("0123456789abcdef0123456789abcdef"),
		AgentBinaries: fstest.MapFS{"patchmon-agent-linux-amd64": {Data: []byte(fakeAgent), Mode: 0o755}},
		Logger:        patchmontest.Logger(t),
		// Real cost in production; the minimum here, where the race detector makes
		// every bcrypt run dozens of times slower.
		APIKeyCost: bcrypt.MinCost,
	}}
	for _, f := range opts {
		f(&o)
	}
	e := &env{t: t, db: o.cfg.DB, pool: pool, store: store, http: &http.Client{Timeout: 5 * time.Minute}}
	api := inventory.NewAPI()

	spec, err := openapi.LoadSpec()
	require.NoError(t, err)
	router, err := httpx.NewRouter(httpx.RouterConfig{
		Spec:           spec,
		AgentBodyLimit: o.bodyLimit,
		RouteMiddleware: []func(httpx.RouteInfo, http.Handler) (http.Handler, error){
			func(info httpx.RouteInfo, next http.Handler) (http.Handler, error) {
				switch info.Permission {
				case "agent":
					return api.RequireAgent(next), nil
				case "public":
					return next, nil
				}
				return http.NotFoundHandler(), nil
			},
		},
	})
	require.NoError(t, err)
	strict := openapi.NewStrictHandlerWithOptions(testAPI{API: api}, nil, openapi.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			if httpx.IsBodyTooLarge(err) {
				httpx.WriteError(w, http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "Request body too large")
				return
			}
			httpx.WriteError(w, http.StatusBadRequest, httpx.CodeValidation, "Invalid JSON body")
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			var ae *httpx.APIError
			if errors.As(err, &ae) {
				httpx.WriteJSON(w, ae.Status, httpx.Error{Message: ae.Message, Code: ae.Code, Field: ae.Field})
				return
			}
			t.Errorf("%s %s: internal error: %v", r.Method, r.URL.Path, err)
			httpx.WriteError(w, http.StatusInternalServerError, httpx.CodeInternal, "Internal server error")
		},
	})
	openapi.HandlerWithOptions(strict, openapi.StdHTTPServerOptions{BaseRouter: router})
	require.NoError(t, router.Err())

	// The server binds the API only once the service exists, exactly as patchmon does.
	ts := httptest.NewServer(router)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	if o.cfg.PublicURL == "" {
		o.cfg.PublicURL = ts.URL
	}
	e.svc, err = inventory.New(o.cfg)
	require.NoError(t, err)
	api.Bind(e.svc)
	return e
}

// unimplemented supplies the operations of other packages; they are never routed here.
type unimplemented struct{ openapi.StrictServerInterface }

// testAPI is the inventory API completed to the full generated interface: its own
// methods, being shallower, win over unimplemented's.
type testAPI struct {
	*inventory.API
	unimplemented
}

// host is a created host with its credentials.
type host struct {
	id     uuid.UUID
	apiID  string
	apiKey string
}

func (e *env) newHost(name string) host {
	e.t.Helper()
	h, err := e.svc.CreateHost(context.Background(), inventory.NewHost{FriendlyName: name})
	require.NoError(e.t, err)
	return host{id: h.ID, apiID: h.Credentials.APIID, apiKey: h.Credentials.APIKey}
}

// response is a decoded reply.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// do sends a request as h (no credentials when h is nil). body may be nil, []byte, a
// string or a value to encode as JSON.
func (e *env) do(h *host, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if h != nil {
		req.Header.Set(agentproto.HeaderAPIID, h.apiID)
		req.Header.Set(agentproto.HeaderAPIKey, h.apiKey)
	}
	resp, err := e.http.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// scalar reads one value.
func (e *env) scalar(dst any, sql string, args ...any) {
	e.t.Helper()
	require.NoError(e.t, e.pool.QueryRow(context.Background(), sql, args...).Scan(dst))
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	e.scalar(&n, sql, args...)
	return n
}
