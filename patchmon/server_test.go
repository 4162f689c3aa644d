package patchmon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())

	res, body := get(t, srv.URL+"/health")
	assert.Equal(t, 200, res.StatusCode)
	assert.Equal(t, "healthy", body)
	assert.Empty(t, res.Header.Get("RateLimit-Limit"), "health checks are not rate limited")

	hr, err := srv.Client.GetHealthWithResponse(t.Context(), &openapi.GetHealthParams{Format: ptr(openapi.GetHealthParamsFormatJson)})
	require.NoError(t, err)
	require.Equal(t, 200, hr.StatusCode())
	require.NotNil(t, hr.JSON200)
	assert.Equal(t, openapi.HealthStatusHealthy, hr.JSON200.Status)
	assert.Equal(t, openapi.DependencyHealthStatusUp, hr.JSON200.Database.Status)
	assert.Equal(t, "external", *hr.JSON200.Database.Mode)
	assert.Equal(t, openapi.DependencyHealthStatusDisabled, hr.JSON200.Redis.Status)
	assert.Equal(t, "in-process", *hr.JSON200.Redis.Mode)

	// Validation against the spec: an unknown enum value names the parameter.
	res, body = get(t, srv.URL+"/health?format=xml")
	assert.Equal(t, 400, res.StatusCode)
	var e map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, "format", e["field"])
	assert.Contains(t, e["error"], `"format"`)
}

func ptr[T any](v T) *T { return &v }

func TestHealthWithDatabaseDown(t *testing.T) {
	t.Parallel()
	url := patchmontest.DatabaseURL(t)
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = url
	srv := patchmontest.NewServer(t, cfg)
	res, _ := get(t, srv.URL+"/health")
	require.Equal(t, 200, res.StatusCode)

	// Refuse new connections to the server's database and end the existing ones.
	pc, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	dbname := pc.Database
	pc.Database = "postgres"
	admin, err := pgx.ConnectConfig(t.Context(), pc)
	require.NoError(t, err)
	_, err = admin.Exec(t.Context(), "ALTER DATABASE "+pgx.Identifier{dbname}.Sanitize()+" ALLOW_CONNECTIONS false")
	require.NoError(t, err)
	t.Cleanup(func() {
		// Let the server's shutdown and the kit's cleanup connect again.
		admin.Exec(context.Background(), "ALTER DATABASE "+pgx.Identifier{dbname}.Sanitize()+" ALLOW_CONNECTIONS true")
		admin.Close(context.Background())
	})
	_, err = admin.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", dbname)
	require.NoError(t, err)

	res, body := get(t, srv.URL+"/health")
	assert.Equal(t, 503, res.StatusCode)
	assert.Equal(t, "unhealthy", body)
	res, body = get(t, srv.URL+"/health?format=json")
	assert.Equal(t, 503, res.StatusCode)
	var h openapi.Health
	require.NoError(t, json.Unmarshal([]byte(body), &h))
	assert.Equal(t, openapi.HealthStatusUnhealthy, h.Status)
	assert.Equal(t, openapi.DependencyHealthStatusDown, h.Database.Status)
	assert.NotEmpty(t, *h.Database.Error)
}

func TestHealthWithRedis(t *testing.T) {
	t.Parallel()
	cfg := patchmon.DefaultConfig()
	cfg.RedisURL = patchmontest.RedisURL(t)
	srv := patchmontest.NewServer(t, cfg)
	hr, err := srv.Client.GetHealthWithResponse(t.Context(), &openapi.GetHealthParams{Format: ptr(openapi.GetHealthParamsFormatJson)})
	require.NoError(t, err)
	require.NotNil(t, hr.JSON200)
	assert.Equal(t, openapi.DependencyHealthStatusUp, hr.JSON200.Redis.Status)
	assert.Equal(t, "external", *hr.JSON200.Redis.Mode)
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	t.Parallel()
	for _, redis := range []bool{false, true} {
		t.Run(map[bool]string{false: "in-process", true: "redis"}[redis], func(t *testing.T) {
			cfg := patchmon.DefaultConfig()
			cfg.RateLimitMax = 3
			if redis {
				cfg.RedisURL = patchmontest.RedisURL(t)
			}
			srv := patchmontest.NewServer(t, cfg)
			for i := 0; i < 3; i++ {
				res, _ := get(t, srv.URL+"/api/v1/openapi.json")
				require.Equal(t, 200, res.StatusCode)
				assert.Equal(t, "3", res.Header.Get("RateLimit-Limit"))
				assert.Equal(t, []string{"2", "1", "0"}[i], res.Header.Get("RateLimit-Remaining"))
			}
			res, body := get(t, srv.URL+"/api/v1/openapi.json")
			require.Equal(t, 429, res.StatusCode)
			var e struct {
				Error      string `json:"error"`
				RetryAfter int    `json:"retryAfter"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &e))
			assert.NotEmpty(t, e.Error)
			assert.Greater(t, e.RetryAfter, 0)
			assert.LessOrEqual(t, e.RetryAfter, int(cfg.RateLimitWindow/time.Second))
		})
	}
}

func TestTwoServersInOneProcess(t *testing.T) {
	t.Parallel()
	a := patchmontest.NewServer(t, patchmon.DefaultConfig())
	b := patchmontest.NewServer(t, patchmon.DefaultConfig())
	require.NotEqual(t, a.Addr(), b.Addr())
	for _, s := range []*patchmontest.Server{a, b} {
		res, body := get(t, s.URL+"/health")
		assert.Equal(t, 200, res.StatusCode)
		assert.Equal(t, "healthy", body)
	}
	// Shutting one down leaves the other serving.
	require.NoError(t, a.Shutdown(t.Context()))
	res, _ := get(t, b.URL+"/health")
	assert.Equal(t, 200, res.StatusCode)
}

func TestAPIDescriptionAndReference(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())
	res, body := get(t, srv.URL+"/api/v1/openapi.json")
	require.Equal(t, 200, res.StatusCode)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, "3.0.3", doc["openapi"])
	assert.Contains(t, doc["paths"], "/health")

	res, body = get(t, srv.URL+"/api/v1/api-docs")
	require.Equal(t, 200, res.StatusCode)
	assert.Contains(t, body, "PatchMon API reference")
	csp := res.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "'nonce-")
	nonce := csp[strings.Index(csp, "'nonce-")+7:]
	nonce = nonce[:strings.Index(nonce, "'")]
	assert.Contains(t, body, `<script nonce="`+nonce+`">`, "the page's script carries this response's nonce")
}

func TestSecurityHeadersAndDashboardFallback(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())
	res, body := get(t, srv.URL+"/hosts/some-id")
	assert.Equal(t, 200, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, body, "PatchMon")
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	assert.NotEmpty(t, res.Header.Get("Content-Security-Policy"))

	res, body = get(t, srv.URL+"/api/v1/no/such/endpoint")
	assert.Equal(t, 404, res.StatusCode)
	assert.Contains(t, body, "Endpoint not found")

	res, _ = get(t, srv.URL+"/health", "Origin", "http://localhost:3000")
	assert.Equal(t, "http://localhost:3000", res.Header.Get("Access-Control-Allow-Origin"))
	res, _ = get(t, srv.URL+"/health", "Origin", "http://evil.example")
	assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
}

func TestStartFailsCleanlyAndExplains(t *testing.T) {
	t.Parallel()
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = "postgresql://nobody@127.0.0.1:1/none?sslmode=disable"
	cfg.DBConnMaxAttempts = 2
	cfg.DBConnWaitInterval = 10 * time.Millisecond
	cfg.JWTSecret = strings.Repeat("x", 40)
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Logger = patchmontest.Logger(t)
	srv, err := patchmon.New(cfg)
	require.NoError(t, err)
	err = srv.Start(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "PM_DB_CONN_MAX_ATTEMPTS")
	assert.Empty(t, srv.Addr(), "nothing is left listening")

	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.JWTSecret = ""
	srv, err = patchmon.New(cfg)
	require.NoError(t, err)
	assert.ErrorContains(t, srv.Start(t.Context()), "JWT_SECRET")
}

// The embedded default: no DATABASE_URL, a data directory, the system's PostgreSQL. The
// second start reuses the cluster and the generated secrets.
func TestEmbeddedDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The embedded cluster runs as the postgres user when tests run as root; it must be
	// able to reach the data directory, and the testing package makes temp dirs 0700.
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o711))
	require.NoError(t, os.Chmod(dir, 0o711))
	cfg := patchmon.DefaultConfig()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Logger = patchmontest.Logger(t)

	start := func() *patchmon.Server {
		srv, err := patchmon.New(cfg)
		require.NoError(t, err)
		require.NoError(t, srv.Start(t.Context()))
		return srv
	}
	srv := start()
	res, body := get(t, srv.URL()+"/health?format=json")
	require.Equal(t, 200, res.StatusCode, body)
	assert.Contains(t, body, `"mode":"embedded"`)
	secret := srv.Config().JWTSecret
	assert.Len(t, secret, 64)
	fi, err := os.Stat(filepath.Join(cfg.DataDir, "secrets", "jwt_secret"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	// Leave a row behind to prove the data survives a restart.
	_, err = srv.Pool().Exec(t.Context(), "CREATE TABLE survivor (v text); INSERT INTO survivor VALUES ('still here')")
	require.NoError(t, err)
	require.NoError(t, srv.Shutdown(t.Context()))

	srv = start()
	defer srv.Shutdown(context.Background())
	assert.Equal(t, secret, srv.Config().JWTSecret, "generated secrets are kept")
	var v string
	require.NoError(t, srv.Pool().QueryRow(t.Context(), "SELECT v FROM survivor").Scan(&v))
	assert.Equal(t, "still here", v)
}

func TestCommands(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = "postgresql://u:topsecret@db/x"
	require.NoError(t, patchmon.RunCommand(t.Context(), patchmon.CommandConfigDump, cfg, &out))
	assert.Contains(t, out.String(), "PORT=3000")
	assert.NotContains(t, out.String(), "topsecret")

	cfg = patchmon.DefaultConfig()
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.JWTSecret = strings.Repeat("j", 40)
	cfg.Logger = patchmontest.Logger(t)
	out.Reset()
	require.NoError(t, patchmon.RunCommand(t.Context(), patchmon.CommandMigrateStatus, cfg, &out))
	assert.Contains(t, out.String(), "0001 foundation")
	assert.Contains(t, out.String(), "pending")
	out.Reset()
	require.NoError(t, patchmon.RunCommand(t.Context(), patchmon.CommandMigrate, cfg, &out))
	out.Reset()
	require.NoError(t, patchmon.RunCommand(t.Context(), patchmon.CommandMigrateStatus, cfg, &out))
	assert.NotContains(t, out.String(), "pending")
	assert.Contains(t, out.String(), "up to date")
}
