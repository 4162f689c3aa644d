package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

type obj = map[string]any

type env struct {
	url   string
	admin authtest.Session
	pool  *pgxpool.Pool
}

func setup(t *testing.T) *env {
	t.Helper()
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.RateLimitMax, cfg.AuthRateLimitMax, cfg.AgentRateLimitMax = 1_000_000, 1_000_000, 1_000_000
	cfg.PasswordHashCost = 4
	srv := patchmontest.NewServer(t, cfg)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &env{url: srv.URL, admin: authtest.Setup(t, srv.URL), pool: pool}
}

// call sends a request as the session and decodes the JSON answer.
func (e *env) call(t *testing.T, s authtest.Session, method, path string, body any) (int, obj) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.url+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", s.Header())
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out obj
	require.NoError(t, json.Unmarshal(b, &out), "%s %s: %s", method, path, b)
	return res.StatusCode, out
}

// host creates a host and, when r is given, sends r as its agent's full report.
func (e *env) host(t *testing.T, name string, r *agentproto.Report) string {
	t.Helper()
	status, out := e.call(t, e.admin, http.MethodPost, "/api/v1/hosts", obj{"friendly_name": name})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	if r != nil {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.url+"/api/v1/hosts/update", bytes.NewReader(b))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-ID", out["apiId"].(string))
		req.Header.Set("X-API-KEY", out["apiKey"].(string))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", body)
	}
	return out["hostId"].(string)
}

func report(osType, osVersion string, reboot bool, pkgs ...agentproto.Package) *agentproto.Report {
	return &agentproto.Report{OSType: osType, OSVersion: osVersion, Hostname: "h.example.com", Architecture: "x86_64",
		AgentVersion: "1.4.0", KernelVersion: "6.8.0", NeedsReboot: reboot, PackageManager: "apt", Packages: pkgs}
}

func pkg(name string, update, security bool) agentproto.Package {
	p := agentproto.Package{Name: name, CurrentVersion: "1.0"}
	if update {
		p.AvailableVersion, p.NeedsUpdate, p.IsSecurityUpdate = "1.1", true, security
	}
	return p
}

// seedFleet creates five hosts:
//
//	web      Ubuntu 24.04, nginx (update), openssl (security update), curl; needs a reboot
//	db       Debian 12, libssl3 (security update), openssl (update), curl
//	clean    Ubuntu 24.04, curl only
//	old      Rocky Linux 9, curl only, then offline
//	pending  never reported
func (e *env) seedFleet(t *testing.T) {
	t.Helper()
	e.host(t, "web", report("Ubuntu", "24.04", true, pkg("nginx", true, false), pkg("openssl", true, true), pkg("curl", false, false)))
	e.host(t, "db", report("Debian", "12", false, pkg("libssl3", true, true), pkg("openssl", true, false), pkg("curl", false, false)))
	e.host(t, "clean", report("Ubuntu", "24.04", false, pkg("curl", false, false)))
	old := e.host(t, "old", report("Rocky Linux", "9", false, pkg("curl", false, false)))
	e.host(t, "pending", nil)
	_, err := e.pool.Exec(t.Context(), `UPDATE hosts SET status = 'offline' WHERE id = $1`, old)
	require.NoError(t, err)
}

func TestStatsOnSeededFleet(t *testing.T) {
	t.Parallel()
	e := setup(t)
	status, empty := e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/stats", nil)
	require.Equal(t, http.StatusOK, status, "%v", empty)
	assert.EqualValues(t, 0, empty["totalHosts"])
	assert.Equal(t, []any{}, empty["osDistribution"], "an empty fleet has an empty list, not null")

	e.seedFleet(t)
	status, st := e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/stats", nil)
	require.Equal(t, http.StatusOK, status, "%v", st)
	want := map[string]float64{
		"totalHosts": 5, "activeHosts": 3, "pendingHosts": 1, "offlineHosts": 1,
		"hostsNeedingUpdates": 2, "hostsWithSecurityUpdates": 2, "upToDateHosts": 2, "hostsNeedingReboot": 1,
		"totalOutdatedPackages": 3, // nginx, openssl, libssl3
		"securityUpdates":       2, // openssl (on web), libssl3
	}
	for k, v := range want {
		assert.Equal(t, v, st[k], k)
	}
	assert.Equal(t, []any{
		obj{"name": "Ubuntu 24.04", "count": float64(2)},
		obj{"name": "Debian 12", "count": float64(1)},
		obj{"name": "Rocky Linux 9", "count": float64(1)},
		obj{"name": "Unknown", "count": float64(1)},
	}, st["osDistribution"])
	at, err := time.Parse(time.RFC3339, st["lastUpdated"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), at, time.Minute)
}

func TestRecentActivity(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.seedFleet(t)
	// A check-in that only asked for data is not activity.
	_, err := e.pool.Exec(t.Context(), `INSERT INTO update_history (host_id, report_type, created_at)
		SELECT id, 'ping', now() + interval '1 minute' FROM hosts WHERE friendly_name = 'web'`)
	require.NoError(t, err)
	_, err = e.pool.Exec(t.Context(), `UPDATE update_history SET status = 'error', error_message = 'disk full',
		created_at = now() + interval '2 minutes' WHERE host_id = (SELECT id FROM hosts WHERE friendly_name = 'db') AND report_type = 'full'`)
	require.NoError(t, err)

	status, out := e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/recent-activity?limit=2", nil)
	require.Equal(t, http.StatusOK, status, "%v", out)
	items := out["items"].([]any)
	require.Len(t, items, 2)
	first := items[0].(obj)
	assert.Equal(t, "db", first["hostName"])
	assert.Equal(t, "error", first["status"])
	assert.Equal(t, "disk full", first["errorMessage"])
	assert.Equal(t, "full", first["reportType"])
	assert.EqualValues(t, 2, first["packagesCount"])
	assert.EqualValues(t, 1, first["securityCount"])
	assert.EqualValues(t, 3, first["totalPackages"])
	assert.Equal(t, "old", items[1].(obj)["hostName"], "then the newest report, pings left out")

	status, out = e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/recent-activity", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, out["items"], 4, "four hosts reported once each")

	status, out = e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/recent-activity?limit=500", nil)
	assert.Equal(t, http.StatusBadRequest, status, "%v", out)
}

func TestTrends(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	// The server takes a snapshot at start (there was none); wait for it, then replace
	// the history with a known one.
	require.Eventually(t, func() bool {
		var n int
		return e.pool.QueryRow(ctx, `SELECT count(*) FROM fleet_stats_snapshots`).Scan(&n) == nil && n > 0
	}, 30*time.Second, 50*time.Millisecond, "a snapshot is taken at start")
	_, err := e.pool.Exec(ctx, `DELETE FROM fleet_stats_snapshots`)
	require.NoError(t, err)
	insert := func(ago time.Duration, needing int) {
		_, err := e.pool.Exec(ctx, `INSERT INTO fleet_stats_snapshots (captured_at, total_hosts, active_hosts,
			pending_hosts, offline_hosts, hosts_needing_updates, hosts_with_security_updates, hosts_needing_reboot,
			total_packages, outdated_packages, security_packages, outdated_installs, security_installs)
			VALUES ($1, 10, 8, 1, 1, $2, 3, 2, 100, 20, 5, 40, 9)`, time.Now().Add(-ago), needing)
		require.NoError(t, err)
	}
	// 2h buckets of the 7d range are aligned to 2000-01-01 UTC; use an hour boundary so
	// that the three recent snapshots share one bucket whatever time the test runs.
	base := time.Since(time.Now().UTC().Truncate(2 * time.Hour))
	insert(base+30*time.Minute+3*time.Minute, 7)
	insert(base+30*time.Minute+2*time.Minute, 8)
	insert(base+30*time.Minute+time.Minute, 9) // the last of its bucket
	insert(3*24*time.Hour, 4)
	insert(10*24*time.Hour, 2) // only in 30d and 90d

	status, out := e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/trends", nil)
	require.Equal(t, http.StatusOK, status, "%v", out)
	assert.Equal(t, "7d", out["range"])
	assert.EqualValues(t, 7200, out["bucketSeconds"])
	points := out["points"].([]any)
	require.Len(t, points, 2)
	assert.EqualValues(t, 4, points[0].(obj)["hostsNeedingUpdates"], "oldest first")
	last := points[1].(obj)
	assert.EqualValues(t, 9, last["hostsNeedingUpdates"], "the last snapshot of a bucket stands for it")
	for k, v := range map[string]float64{"totalHosts": 10, "hostsWithSecurityUpdates": 3, "hostsNeedingReboot": 2,
		"offlineHosts": 1, "outdatedPackages": 20, "securityPackages": 5} {
		assert.Equal(t, v, last[k], k)
	}

	status, out = e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/trends?range=30d", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, out["points"], 3)
	status, out = e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/trends?range=24h", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, out["points"], 1)
	status, out = e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard/trends?range=1y", nil)
	assert.Equal(t, http.StatusBadRequest, status, "%v", out)
}

func TestLayoutPerUser(t *testing.T) {
	t.Parallel()
	e := setup(t)
	status, out := e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard-preferences", nil)
	require.Equal(t, http.StatusOK, status, "%v", out)
	assert.Equal(t, false, out["customised"])
	def := out["preferences"].([]any)
	require.NotEmpty(t, def)
	assert.Equal(t, obj{"cardId": "totalHosts", "enabled": true, "order": float64(0)}, def[0])

	status, out = e.call(t, e.admin, http.MethodPut, "/api/v1/dashboard-preferences", obj{"preferences": []obj{
		{"cardId": "offlineHosts", "enabled": true, "order": 0},
		{"cardId": "totalHosts", "enabled": false, "order": 5},
		{"cardId": "osDistribution", "enabled": true, "order": 1},
	}})
	require.Equal(t, http.StatusOK, status, "%v", out)
	saved := out["preferences"].([]any)
	assert.Equal(t, len(def), len(saved), "known cards left out are saved hidden")

	status, out = e.call(t, e.admin, http.MethodGet, "/api/v1/dashboard-preferences", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, out["customised"])
	got := out["preferences"].([]any)
	assert.Equal(t, obj{"cardId": "offlineHosts", "enabled": true, "order": float64(0)}, got[0])
	assert.Equal(t, obj{"cardId": "osDistribution", "enabled": true, "order": float64(1)}, got[1])
	assert.Equal(t, obj{"cardId": "totalHosts", "enabled": false, "order": float64(2)}, got[2])
	for _, p := range got[3:] {
		assert.Equal(t, false, p.(obj)["enabled"], "%v", p)
	}

	// Another user keeps the default.
	other := authtest.CreateUser(t, e.url, e.admin, users.RoleReadonly)
	status, out = e.call(t, other, http.MethodGet, "/api/v1/dashboard-preferences", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, false, out["customised"])
	assert.Equal(t, def, out["preferences"])

	for _, tc := range []struct {
		name  string
		prefs []obj
		msg   string
		field string
	}{
		{"unknown card", []obj{{"cardId": "totalHosts", "enabled": true, "order": 0}, {"cardId": "bitcoinPrice", "enabled": true, "order": 1}},
			"Unknown dashboard card: bitcoinPrice", "preferences[1].cardId"},
		{"repeated card", []obj{{"cardId": "totalHosts", "enabled": true, "order": 0}, {"cardId": "totalHosts", "enabled": false, "order": 1}},
			"Dashboard card listed twice: totalHosts", "preferences[1].cardId"},
	} {
		status, out = e.call(t, other, http.MethodPut, "/api/v1/dashboard-preferences", obj{"preferences": tc.prefs})
		assert.Equal(t, http.StatusBadRequest, status, tc.name)
		assert.Equal(t, tc.msg, out["error"], tc.name)
		assert.Equal(t, tc.field, out["field"], tc.name)
		assert.Equal(t, "dashboard_invalid_layout", out["code"], tc.name)
	}
	status, _ = e.call(t, other, http.MethodPut, "/api/v1/dashboard-preferences", obj{"preferences": []obj{{"cardId": "totalHosts", "enabled": true, "order": -1}}})
	assert.Equal(t, http.StatusBadRequest, status, "negative order")
	status, out = e.call(t, other, http.MethodGet, "/api/v1/dashboard-preferences", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, false, out["customised"], "a refused layout changes nothing")

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/api/v1/dashboard-preferences/defaults", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", other.Header())
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var cards []obj
	require.NoError(t, json.NewDecoder(res.Body).Decode(&cards))
	require.Len(t, cards, len(def))
	assert.Equal(t, obj{"cardId": "totalHosts", "title": "Total Hosts", "description": "Every enrolled host.",
		"enabled": true, "order": float64(0)}, cards[0])
}
