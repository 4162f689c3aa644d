package patchmon_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lxzan/gws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/alerts"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/jobs"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// txtResolver answers TXT lookups from a map, failing for names it lacks (offline).
type txtResolver struct {
	mu      sync.Mutex
	records map[string][]string
}

func (r *txtResolver) set(name string, v ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records[name] = v
}

func (r *txtResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.records[name]; ok {
		return v, nil
	}
	return nil, errors.New("no such host")
}

func testConfig() patchmon.Config {
	cfg := patchmon.DefaultConfig()
	cfg.RateLimitMax, cfg.AuthRateLimitMax = 1_000_000, 1_000_000
	cfg.NodeEnv = "development"
	cfg.PasswordHashCost = 4
	return cfg
}

// waitUntil polls cond with a deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func jobRuns(t *testing.T, url, auth string) openapi.JobRunPage {
	t.Helper()
	var page openapi.JobRunPage
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, url, auth, nil, &page))
	return page
}

func TestJobsAPIAndBuiltinJobs(t *testing.T) {
	t.Parallel()
	dns := &txtResolver{records: map[string][]string{}}
	dns.set("server.vcheck.test", "v1.9.0")
	dns.set("agent.vcheck.test", "1.8.2")
	var received atomic.Value
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received.Store(string(b))
	}))
	t.Cleanup(sink.Close)
	cfg := testConfig()
	cfg.Version = "1.2.0"
	cfg.DNSResolver = dns
	cfg.VersionCheckServerRecord, cfg.VersionCheckAgentRecord = "server.vcheck.test", "agent.vcheck.test"
	cfg.MetricsURL = sink.URL
	var custom atomic.Int32
	cfg.Jobs = []jobs.Job{jobs.Periodic("embedder-job", time.Hour, func(ctx context.Context) error {
		custom.Add(1)
		return nil
	})}
	srv := patchmontest.NewServer(t, cfg)
	admin := authtest.Setup(t, srv.URL)
	h := admin.Header()

	var list openapi.JobList
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/jobs", h, nil, &list))
	names := map[string]openapi.JobInfo{}
	for _, j := range list.Jobs {
		names[j.Name] = j
	}
	for _, n := range []string{"session-cleanup", "orphaned-repo-cleanup", "orphaned-package-cleanup", "fleet-stats-snapshot",
		"host-status-monitor", "alert-cleanup", "version-update-check", "metrics-reporting", "job-history-cleanup", "embedder-job"} {
		assert.Contains(t, names, n)
	}
	assert.EqualValues(t, 1800, names["fleet-stats-snapshot"].IntervalSeconds)

	// The version check runs at start and finds both versions.
	waitUntil(t, "the version check", func() bool {
		return len(jobRuns(t, srv.URL+"/api/v1/jobs/history?job=version-update-check&status=completed", h).Runs) > 0
	})
	var vc openapi.VersionCheck
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/settings/version-check", h, nil, &vc))
	assert.Equal(t, "1.9.0", vc.LatestServerVersion)
	assert.Equal(t, "1.8.2", vc.LatestAgentVersion)
	assert.True(t, vc.ServerUpdateAvailable)
	assert.Empty(t, vc.Error)

	// Offline: the last known versions stay.
	dns.set("server.vcheck.test")
	dns.mu.Lock()
	delete(dns.records, "agent.vcheck.test")
	dns.mu.Unlock()
	var enq openapi.JobEnqueued
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/version-update-check/run", h, nil, &enq))
	waitUntil(t, "the manual version check", func() bool {
		return len(jobRuns(t, srv.URL+"/api/v1/jobs/history?job=version-update-check&status=completed", h).Runs) == 2
	})
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/settings/version-check", h, nil, &vc))
	assert.Equal(t, "1.9.0", vc.LatestServerVersion)
	assert.Equal(t, "1.8.2", vc.LatestAgentVersion)
	assert.Contains(t, vc.Error, "no such host")

	// The host status monitor raises the server update alert from what the check found.
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/host-status-monitor/run", h, nil, nil))
	waitUntil(t, "the server update alert", func() bool {
		var page openapi.AlertPage
		authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts?type=server_update", h, nil, &page)
		return page.Total == 1
	})

	// Metrics stay off until turned on.
	var ms openapi.MetricsSettings
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/settings/metrics", h, nil, &ms))
	assert.False(t, ms.Enabled)
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/metrics-reporting/run", h, nil, nil))
	waitUntil(t, "the disabled metrics run", func() bool {
		return len(jobRuns(t, srv.URL+"/api/v1/jobs/history?job=metrics-reporting&status=completed", h).Runs) == 1
	})
	assert.Nil(t, received.Load(), "nothing is sent while reporting is off")
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPut, srv.URL+"/api/v1/settings/metrics", h, map[string]bool{"enabled": true}, &ms))
	assert.True(t, ms.Enabled)
	oldID := ms.InstanceId
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/settings/metrics/regenerate-id", h, nil, &ms))
	assert.NotEqual(t, oldID, ms.InstanceId)
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/metrics-reporting/run", h, nil, nil))
	waitUntil(t, "the metrics report", func() bool { return received.Load() != nil })
	var rep jobs.MetricsReport
	require.NoError(t, json.Unmarshal([]byte(received.Load().(string)), &rep))
	assert.Equal(t, ms.InstanceId, rep.InstanceID)
	assert.Equal(t, "1.2.0", rep.Version)

	// Session cleanup on demand removes an expired session.
	_, err := srv.Pool().Exec(context.Background(), `INSERT INTO user_sessions (user_id, refresh_token_hash, expires_at)
		VALUES ($1, 'expired-hash', now() - interval '1 hour')`, admin.UserID)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/session-cleanup/run", h, nil, nil))
	waitUntil(t, "session cleanup", func() bool {
		var n int
		require.NoError(t, srv.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM user_sessions WHERE refresh_token_hash = 'expired-hash'`).Scan(&n))
		return n == 0
	})

	// Orphan cleanup keeps what hosts use.
	var host uuid.UUID
	require.NoError(t, srv.Pool().QueryRow(context.Background(), `INSERT INTO hosts (friendly_name, api_id, api_key_hash)
		VALUES ('h1', 'patchmon_h1', 'x') RETURNING id`).Scan(&host))
	_, err = srv.Pool().Exec(context.Background(), `
		WITH p AS (INSERT INTO packages (name) VALUES ('used'), ('orphan') RETURNING id, name),
		     r AS (INSERT INTO repositories (url) VALUES ('http://used'), ('http://orphan') RETURNING id, url),
		     hp AS (INSERT INTO host_packages (host_id, package_id, current_version) SELECT $1, id, '1' FROM p WHERE name = 'used')
		INSERT INTO host_repositories (host_id, repository_id) SELECT $1, id FROM r WHERE url = 'http://used'`, host)
	require.NoError(t, err)
	for _, j := range []string{"orphaned-package-cleanup", "orphaned-repo-cleanup"} {
		require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/"+j+"/run", h, nil, nil))
	}
	waitUntil(t, "orphan cleanup", func() bool {
		var pk, rp []string
		rows, _ := srv.Pool().Query(context.Background(), `SELECT name FROM packages ORDER BY name`)
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			pk = append(pk, s)
		}
		rows.Close()
		rows, _ = srv.Pool().Query(context.Background(), `SELECT url FROM repositories ORDER BY url`)
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			rp = append(rp, s)
		}
		rows.Close()
		return fmt.Sprint(pk, rp) == "[used] [http://used]"
	})

	// The fleet snapshot ran at start.
	waitUntil(t, "a fleet snapshot", func() bool {
		var n int
		require.NoError(t, srv.Pool().QueryRow(context.Background(), `SELECT count(*) FROM fleet_stats_snapshots`).Scan(&n))
		return n >= 1
	})

	require.Equal(t, http.StatusNotFound, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/nope/run", h, nil, nil))
	page := jobRuns(t, srv.URL+"/api/v1/hosts/"+host.String()+"/jobs", h)
	assert.Empty(t, page.Runs)
	assert.Zero(t, custom.Load(), "an hourly job without RunOnStart waits for its first interval")
}

// Two servers on one database run a periodic job once per period between them.
func TestPeriodicJobRunsOnceAcrossServers(t *testing.T) {
	t.Parallel()
	dbURL := patchmontest.DatabaseURL(t)
	var calls atomic.Int32
	mk := func() patchmon.Config {
		cfg := testConfig()
		cfg.DatabaseURL = dbURL
		cfg.JWTSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		cfg.DNSResolver = &txtResolver{records: map[string][]string{}}
		j := jobs.Periodic("shared-tick", time.Hour, func(ctx context.Context) error {
			calls.Add(1)
			return nil
		})
		j.RunOnStart = true
		cfg.Jobs = []jobs.Job{j}
		return cfg
	}
	a := patchmontest.NewServer(t, mk())
	patchmontest.NewServer(t, mk())
	waitUntil(t, "the shared job", func() bool { return calls.Load() >= 1 })
	// Both servers' other RunOnStart jobs have run too by the time both version checks are
	// recorded, so a second shared-tick would have been enqueued by now if either could.
	waitUntil(t, "the version check", func() bool {
		runs, _, err := a.Jobs().History(context.Background(), jobs.Filter{JobName: "version-update-check", Status: jobs.StatusCompleted})
		require.NoError(t, err)
		return len(runs) >= 1
	})
	runs, _, err := a.Jobs().History(context.Background(), jobs.Filter{JobName: "shared-tick"})
	require.NoError(t, err)
	assert.Len(t, runs, 1)
	assert.EqualValues(t, 1, calls.Load())
}

func TestAlertsAPI(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.DNSResolver = &txtResolver{records: map[string][]string{}}
	var events sync.Map
	cfg.OnAlert = func(_ context.Context, ev alerts.Event) {
		events.Store(string(ev.Kind)+":"+string(ev.Alert.Type), true)
	}
	srv := patchmontest.NewServer(t, cfg)
	admin := authtest.Setup(t, srv.URL)
	reader := authtest.CreateUser(t, srv.URL, admin, users.RoleReadonly)
	h := admin.Header()
	ctx := context.Background()

	var host uuid.UUID
	require.NoError(t, srv.Pool().QueryRow(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, last_checkin_at)
		VALUES ('web-01', 'patchmon_web01', 'x', 'active', now() - interval '2 hours') RETURNING id`).Scan(&host))
	require.NoError(t, srv.Alerts().Monitor(ctx))
	_, ok := events.Load("created:host_down")
	assert.True(t, ok, "OnAlert saw the alert")

	var page openapi.AlertPage
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts?status=active&type=host_down", reader.Header(), nil, &page))
	require.Len(t, page.Alerts, 1)
	al := page.Alerts[0]
	assert.Equal(t, "Host web-01 is down", al.Title)
	assert.Equal(t, "web-01", al.HostName)
	assert.Equal(t, openapi.AlertSeverityCritical, al.Severity)
	base := srv.URL + "/api/v1/alerts/" + al.Id.String()

	require.Equal(t, http.StatusForbidden, authtest.Call(t, http.MethodPost, base+"/acknowledge", reader.Header(), map[string]string{}, nil))
	var got openapi.Alert
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPost, base+"/acknowledge", h, map[string]string{"note": "on it"}, &got))
	assert.Equal(t, openapi.AlertStatusAcknowledged, got.Status)
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPost, base+"/assign", h, map[string]any{"user_id": admin.UserID}, &got))
	require.NotNil(t, got.AssignedTo)
	assert.Equal(t, admin.Username, got.AssignedTo.Username)
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts?assigned_to=me", h, nil, &page))
	assert.Len(t, page.Alerts, 1)
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts?assigned_to=unassigned", h, nil, &page))
	assert.Empty(t, page.Alerts)
	require.Equal(t, http.StatusBadRequest, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts?assigned_to=bob", h, nil, nil))
	require.Equal(t, http.StatusBadRequest, authtest.Call(t, http.MethodPost, base+"/silence", h,
		map[string]any{"until": time.Now().Add(-time.Hour)}, nil))
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPost, base+"/silence", h,
		map[string]any{"until": time.Now().Add(time.Hour), "note": "maintenance"}, &got))
	assert.Equal(t, openapi.AlertStatusSilenced, got.Status)
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPost, base+"/resolve", h, map[string]string{"note": "fixed"}, &got))
	assert.Equal(t, openapi.AlertStatusResolved, got.Status)
	require.Equal(t, http.StatusConflict, authtest.Call(t, http.MethodPost, base+"/resolve", h, nil, nil))
	require.Equal(t, http.StatusNotFound, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts/"+uuid.NewString(), h, nil, nil))

	var detail openapi.AlertDetail
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, base, reader.Header(), nil, &detail))
	actions := []string{}
	for _, e := range detail.History {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"created", "acknowledged", "assigned", "silenced", "resolved"}, actions)
	assert.Equal(t, "fixed", detail.History[4].Note)
	assert.Equal(t, admin.Username, detail.History[4].Username)

	var sum openapi.AlertSummary
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts/summary", h, nil, &sum))
	assert.EqualValues(t, 1, sum.ResolvedLast24h)

	var cfgs []openapi.AlertTypeConfig
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts/config", reader.Header(), nil, &cfgs))
	require.Len(t, cfgs, 7)
	upd := map[string]any{"enabled": true, "default_severity": "error", "delay_minutes": 10, "threshold": 5,
		"auto_assign_user_id": admin.UserID, "escalate_after_minutes": nil, "retention_days": 14}
	var c openapi.AlertTypeConfig
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodPut, srv.URL+"/api/v1/alerts/config/security_updates", h, upd, &c))
	assert.Equal(t, 5, c.Threshold)
	assert.Nil(t, c.EscalateAfterMinutes)
	upd["retention_days"] = 0
	require.Equal(t, http.StatusBadRequest, authtest.Call(t, http.MethodPut, srv.URL+"/api/v1/alerts/config/security_updates", h, upd, nil))
	require.Equal(t, http.StatusForbidden, authtest.Call(t, http.MethodPut, srv.URL+"/api/v1/alerts/config/security_updates", reader.Header(), upd, nil))

	var assignees []openapi.AlertUser
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts/assignees", h, nil, &assignees))
	assert.Len(t, assignees, 2)
}

// wsAgent is a bare agent WebSocket that answers pings.
type wsAgent struct{ closed chan struct{} }

func (a *wsAgent) OnOpen(*gws.Conn)                      {}
func (a *wsAgent) OnPing(c *gws.Conn, p []byte)          { _ = c.WritePong(p) }
func (a *wsAgent) OnPong(*gws.Conn, []byte)              {}
func (a *wsAgent) OnMessage(_ *gws.Conn, m *gws.Message) { m.Close() }
func (a *wsAgent) OnClose(*gws.Conn, error)              { close(a.closed) }

func connectAgent(t *testing.T, base, apiID, apiKey string) (*gws.Conn, *wsAgent) {
	t.Helper()
	h := http.Header{}
	h.Set("X-API-ID", apiID)
	h.Set("X-API-KEY", apiKey)
	a := &wsAgent{closed: make(chan struct{})}
	conn, _, err := gws.NewClient(a, &gws.ClientOption{Addr: "ws" + strings.TrimPrefix(base, "http") + "/api/v1/agents/ws",
		RequestHeader: h, HandshakeTimeout: 30 * time.Second})
	require.NoError(t, err)
	go conn.ReadLoop()
	t.Cleanup(func() { _ = conn.WriteClose(1000, nil) })
	return conn, a
}

// A host whose agent disconnects is reported down once the configured delay has passed,
// and back up as soon as the agent reconnects.
func TestHostDownAlertFromAgentPresence(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.DNSResolver = &txtResolver{records: map[string][]string{}}
	srv := patchmontest.NewServer(t, cfg)
	admin := authtest.Setup(t, srv.URL)
	h := admin.Header()
	ctx := context.Background()

	var created openapi.HostCreateResponse
	require.Equal(t, http.StatusCreated, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/hosts", h,
		map[string]string{"friendly_name": "db-01"}, &created))
	hostURL := srv.URL + "/api/v1/alerts?type=host_down&status=active"
	// A first report makes the host active.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/hosts/update",
		strings.NewReader(`{"packages":[{"name":"bash","currentVersion":"5.2"}],"repositories":[],"osType":"Debian","osVersion":"12","hostname":"db-01","agentVersion":"1.4.0"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-ID", created.ApiId)
	req.Header.Set("X-API-KEY", created.ApiKey)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))

	presence := func() string {
		var st string
		if err := srv.Pool().QueryRow(ctx, `SELECT status FROM agent_presence WHERE host_id = $1`, created.HostId).Scan(&st); err != nil {
			return ""
		}
		return st
	}
	conn, agent := connectAgent(t, srv.URL, created.ApiId, created.ApiKey)
	waitUntil(t, "the agent online", func() bool { return presence() == "online" })
	require.NoError(t, conn.WriteClose(1000, nil))
	<-agent.closed
	waitUntil(t, "the agent offline", func() bool { return presence() == "offline" })

	// Within the delay (5 minutes by default): no alert.
	require.NoError(t, srv.Alerts().Monitor(ctx))
	var page openapi.AlertPage
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, hostURL, h, nil, &page))
	assert.Empty(t, page.Alerts)

	// The delay passes (here: the disconnect is moved back in time).
	_, err = srv.Pool().Exec(ctx, `UPDATE agent_presence SET disconnected_at = now() - interval '6 minutes' WHERE host_id = $1`, created.HostId)
	require.NoError(t, err)
	_, err = srv.Pool().Exec(ctx, `UPDATE hosts SET last_checkin_at = now() - interval '6 minutes' WHERE id = $1`, created.HostId)
	require.NoError(t, err)
	require.NoError(t, srv.Alerts().Monitor(ctx))
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, hostURL, h, nil, &page))
	require.Len(t, page.Alerts, 1)
	assert.Equal(t, "Host db-01 is down", page.Alerts[0].Title)

	// The agent comes back: the connection event resolves the alert without waiting for the monitor.
	connectAgent(t, srv.URL, created.ApiId, created.ApiKey)
	waitUntil(t, "the host-back-up alert", func() bool {
		var up openapi.AlertPage
		authtest.Call(t, http.MethodGet, srv.URL+"/api/v1/alerts?type=host_recovered&status=active", h, nil, &up)
		return up.Total == 1
	})
	require.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, hostURL, h, nil, &page))
	assert.Empty(t, page.Alerts)
}

// River's queue UI is served to administrators only, with its pages and its API.
func TestQueueDashboard(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.DNSResolver = &txtResolver{records: map[string][]string{}}
	srv := patchmontest.NewServer(t, cfg)
	admin := authtest.Setup(t, srv.URL)
	reader := authtest.CreateUser(t, srv.URL, admin, users.RoleReadonly)

	get := func(path, authorization string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, _ := get(patchmon.QueueDashboardPath+"/", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = get(patchmon.QueueDashboardPath+"/", reader.Header())
	assert.Equal(t, http.StatusForbidden, status)
	status, body := get(patchmon.QueueDashboardPath+"/", admin.Header())
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "<title>River</title>")

	// The version check ran at start; River's API lists its job.
	waitUntil(t, "the version check job in River's API", func() bool {
		status, body := get(patchmon.QueueDashboardPath+"/api/jobs?state=completed&limit=20", admin.Header())
		return status == http.StatusOK && strings.Contains(body, "version-update-check")
	})
	status, _ = get(patchmon.QueueDashboardPath+"/api/jobs?state=completed", reader.Header())
	assert.Equal(t, http.StatusForbidden, status)
}

// The host status monitor marks hosts offline after two missed reports.
func TestHostStatusMonitorMarksHostsOffline(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, testConfig())
	admin := authtest.Setup(t, srv.URL)
	ctx := context.Background()
	var stale, fresh uuid.UUID
	require.NoError(t, srv.Pool().QueryRow(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, last_checkin_at)
		VALUES ('stale', 'patchmon_stale', 'x', 'active', now() - interval '3 hours') RETURNING id`).Scan(&stale))
	require.NoError(t, srv.Pool().QueryRow(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, last_checkin_at)
		VALUES ('fresh', 'patchmon_fresh', 'x', 'active', now() - interval '90 minutes') RETURNING id`).Scan(&fresh))
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/host-status-monitor/run", admin.Header(), nil, nil))
	waitUntil(t, "the stale host offline", func() bool {
		var st string
		require.NoError(t, srv.Pool().QueryRow(ctx, `SELECT status FROM hosts WHERE id = $1`, stale).Scan(&st))
		return st == "offline"
	})
	var st string
	require.NoError(t, srv.Pool().QueryRow(ctx, `SELECT status FROM hosts WHERE id = $1`, fresh).Scan(&st))
	assert.Equal(t, "active", st, "90 minutes is within two 60-minute intervals")
}

func TestHostStatusMonitorHonoursHostIntervals(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, testConfig())
	admin := authtest.Setup(t, srv.URL)
	ctx := context.Background()
	var slow uuid.UUID
	require.NoError(t, srv.Pool().QueryRow(ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, last_checkin_at, update_interval)
		VALUES ('slow', 'patchmon_slow', 'x', 'active', now() - interval '3 hours', 240) RETURNING id`).Scan(&slow))
	require.Equal(t, http.StatusAccepted, authtest.Call(t, http.MethodPost, srv.URL+"/api/v1/jobs/host-status-monitor/run", admin.Header(), nil, nil))
	waitUntil(t, "the manual monitor run", func() bool {
		runs, _, err := srv.Jobs().History(ctx, jobs.Filter{JobName: "host-status-monitor", Status: jobs.StatusCompleted})
		require.NoError(t, err)
		for _, r := range runs {
			if r.Trigger == "manual" {
				return true
			}
		}
		return false
	})
	var st string
	require.NoError(t, srv.Pool().QueryRow(ctx, `SELECT status FROM hosts WHERE id = $1`, slow).Scan(&st))
	assert.Equal(t, "active", st, "3 hours is within two of this host's 4-hour intervals")
	var n int
	require.NoError(t, srv.Pool().QueryRow(ctx, `SELECT count(*) FROM alerts WHERE host_id = $1 AND alert_type = 'host_down'`, slow).Scan(&n))
	assert.Zero(t, n, "its own interval plus the delay has not passed")
}
