package agenthub_test

// Tests through the real server wiring: patchmon.Server with the inventory's
// credential check, real hosts (bcrypt-hashed keys), users and permissions.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

const adminPassword = "Corr3ct-Horse!"

// cluster is what replicas of one installation share.
type cluster struct {
	dbURL, redisURL, prefix, jwt string
}

func newCluster(t *testing.T, withRedis bool) cluster {
	c := cluster{dbURL: patchmontest.DatabaseURL(t), prefix: "pmtest:" + randHex(6) + ":", jwt: randHex(32)}
	if withRedis {
		c.redisURL = patchmontest.RedisURL(t)
	}
	return c
}

func (c cluster) config() patchmon.Config {
	cfg := patchmon.DefaultConfig()
	cfg.NodeEnv = "development"
	cfg.DatabaseURL = c.dbURL
	cfg.JWTSecret = c.jwt
	cfg.RedisURL = c.redisURL
	cfg.RedisKeyPrefix = c.prefix
	cfg.AuthRateLimitMax = 10_000
	cfg.AgentRateLimitMax = 10_000
	return cfg
}

func (c cluster) server(t *testing.T) *patchmontest.Server {
	return patchmontest.NewServer(t, c.config())
}

// call makes an API request with an optional bearer token and decodes the JSON
// answer into out (when not nil); it returns the status code.
func call(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && len(raw) > 0 && resp.StatusCode < 300 {
		require.NoError(t, json.Unmarshal(raw, out), string(raw))
	}
	return resp.StatusCode
}

// adminToken sets up the first administrator and returns their access token.
func adminToken(t *testing.T, s *patchmontest.Server) string {
	t.Helper()
	var tok struct{ Token string }
	status := call(t, "POST", s.URL+"/api/v1/auth/setup-admin", "",
		map[string]any{"username": "root-admin", "email": "root@example.com", "password": adminPassword}, &tok)
	require.Equal(t, http.StatusCreated, status)
	require.NotEmpty(t, tok.Token)
	return tok.Token
}

// hostAdmin returns an inventory service on the server's database, for creating
// hosts the way the hosts API does.
func hostAdmin(t *testing.T, s *patchmontest.Server) *inventory.Service {
	t.Helper()
	mem := kv.NewMemory()
	t.Cleanup(mem.Close)
	svc, err := inventory.New(inventory.Config{DB: db.New(s.Pool(), db.Options{}), Cache: mem, Tokens: mem, Secret: []byte(randHex(16))})
	require.NoError(t, err)
	return svc
}

// realHost creates a host with real credentials in the server's database.
func realHost(t *testing.T, s *patchmontest.Server, name string) (agenthub.HostRef, string) {
	t.Helper()
	h, err := hostAdmin(t, s).CreateHost(context.Background(), inventory.NewHost{FriendlyName: name})
	require.NoError(t, err)
	return agenthub.HostRef{ID: h.ID, APIID: h.Credentials.APIID}, h.Credentials.APIKey
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

type wsStatus struct {
	Success bool
	Data    struct {
		Connected              bool
		Secure                 bool
		DisconnectedSecondsAgo *int `json:"disconnected_seconds_ago"`
		DisconnectReason       string
		History                []struct{ Status, Reason string }
	}
}

type wsSummary struct {
	Connected, Total, Offline int
	Replicas                  []struct {
		ID          string
		Connections int
		Self        bool
	}
}

func TestServerAgentWebSocket(t *testing.T) {
	t.Parallel()
	s := newCluster(t, false).server(t)
	token := adminToken(t, s)
	host, key := realHost(t, s, "web-01")
	base := wsURL(s.URL)

	// Refused before the upgrade, by the route's agent authorisation.
	for name, h := range map[string]http.Header{
		"no credentials": {},
		"wrong key":      creds(host.APIID, strings.Repeat("0", 64)),
		"unknown host":   creds("patchmon_00000000deadbeef", key),
	} {
		_, resp, err := dial(t, base, h, true)
		require.Error(t, err, name)
		require.NotNil(t, resp, "%s: %v", name, err)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
	var sum wsSummary
	require.Equal(t, 200, call(t, "GET", s.URL+"/api/v1/ws/status/summary", token, nil, &sum))
	assert.Zero(t, sum.Connected)

	// Behind a TLS-terminating proxy (TRUST_PROXY defaults to true).
	h := creds(host.APIID, key)
	h.Set("X-Forwarded-Proto", "https")
	ag, _, err := dial(t, base, h, true)
	require.NoError(t, err)

	var st wsStatus
	eventually(t, 5*time.Second, "connected", func() bool {
		call(t, "GET", s.URL+"/api/v1/ws/status/"+host.APIID, token, nil, &st)
		return st.Data.Connected
	})
	assert.True(t, st.Data.Secure)
	assert.Nil(t, st.Data.DisconnectedSecondsAgo)
	require.Equal(t, 200, call(t, "GET", s.URL+"/api/v1/ws/status/summary", token, nil, &sum))
	assert.Equal(t, 1, sum.Connected)
	assert.Equal(t, 1, sum.Total)
	assert.Equal(t, http.StatusNotFound, call(t, "GET", s.URL+"/api/v1/ws/status/patchmon_nope", token, nil, nil))
	assert.Equal(t, http.StatusUnauthorized, call(t, "GET", s.URL+"/api/v1/ws/status/summary", "", nil, nil))

	// The user endpoints deliver commands.
	var res struct {
		Delivered, Offline int
		Deliveries         []struct {
			HostID uuid.UUID `json:"hostId"`
			Status string
		}
	}
	require.Equal(t, 200, call(t, "POST", s.URL+"/api/v1/hosts/"+host.ID.String()+"/fetch-report", token, nil, &res))
	assert.Equal(t, 1, res.Delivered)
	assert.JSONEq(t, `{"type":"report_now"}`, string(ag.next(t, 5*time.Second)))
	require.Equal(t, 200, call(t, "POST", s.URL+"/api/v1/hosts/"+host.ID.String()+"/force-agent-update", token, nil, &res))
	assert.JSONEq(t, `{"type":"update_agent"}`, string(ag.next(t, 5*time.Second)))
	require.Equal(t, 200, call(t, "POST", s.URL+"/api/v1/hosts/"+host.ID.String()+"/refresh-integration-status", token, nil, &res))
	assert.JSONEq(t, `{"type":"refresh_integration_status"}`, string(ag.next(t, 5*time.Second)))
	require.Equal(t, 200, call(t, "POST", s.URL+"/api/v1/agents/commands", token,
		map[string]any{"command": "settings_update", "updateInterval": 45, "target": map[string]any{"all": true}}, &res))
	assert.Equal(t, 1, res.Delivered)
	assert.JSONEq(t, `{"type":"settings_update","update_interval":45}`, string(ag.next(t, 5*time.Second)))

	assert.Equal(t, http.StatusBadRequest, call(t, "POST", s.URL+"/api/v1/agents/commands", token,
		map[string]any{"command": "settings_update", "target": map[string]any{"all": true}}, nil), "settings_update without interval")
	assert.Equal(t, http.StatusBadRequest, call(t, "POST", s.URL+"/api/v1/agents/commands", token,
		map[string]any{"command": "report_now", "target": map[string]any{}}, nil), "no target")
	assert.Equal(t, http.StatusNotFound, call(t, "POST", s.URL+"/api/v1/hosts/"+uuid.NewString()+"/fetch-report", token, nil, nil))
	assert.Equal(t, http.StatusUnauthorized, call(t, "POST", s.URL+"/api/v1/hosts/"+host.ID.String()+"/fetch-report", "", nil, nil))

	// Disconnected: offline, with the time since.
	require.NoError(t, ag.conn.WriteClose(1000, nil))
	eventually(t, 5*time.Second, "offline", func() bool {
		call(t, "GET", s.URL+"/api/v1/ws/status/"+host.APIID, token, nil, &st)
		return !st.Data.Connected && st.Data.DisconnectedSecondsAgo != nil
	})
	assert.Equal(t, agenthub.ReasonClosed, st.Data.DisconnectReason)
	require.Len(t, st.Data.History, 2)
	require.Equal(t, 200, call(t, "POST", s.URL+"/api/v1/hosts/"+host.ID.String()+"/fetch-report", token, nil, &res))
	assert.Equal(t, 1, res.Offline)
}

// Two servers sharing PostgreSQL and Redis: a command issued on one reaches an
// agent connected to the other.
func TestServerReplicasShareRedis(t *testing.T) {
	t.Parallel()
	c := newCluster(t, true)
	a, b := c.server(t), c.server(t)
	token := adminToken(t, a)
	host, key := realHost(t, a, "web-01")
	ag, _, err := dial(t, wsURL(a.URL), creds(host.APIID, key), true)
	require.NoError(t, err)

	var sum wsSummary
	eventually(t, 5*time.Second, "B sees the agent on A", func() bool {
		call(t, "GET", b.URL+"/api/v1/ws/status/summary", token, nil, &sum)
		return sum.Connected == 1
	})
	require.Len(t, sum.Replicas, 2)
	assert.True(t, sum.Replicas[0].Self)
	assert.Zero(t, sum.Replicas[0].Connections)
	assert.Equal(t, 1, sum.Replicas[1].Connections)

	var res struct{ Delivered, Offline, Failed int }
	require.Equal(t, 200, call(t, "POST", b.URL+"/api/v1/hosts/"+host.ID.String()+"/fetch-report", token, nil, &res))
	assert.Equal(t, 1, res.Delivered, "%+v", res)
	assert.JSONEq(t, `{"type":"report_now"}`, string(ag.next(t, 5*time.Second)))
}

// helperEnv makes the test binary a server replica instead of running tests:
// TestServerKilledReplica starts it in a child process so that it can kill it.
const helperEnv = "AGENTHUB_HELPER_REPLICA"

// runHelperReplica starts a server for the cluster described in conf, prints
// its URL and serves until the process is killed.
func runHelperReplica(conf string) {
	var c cluster
	if err := json.Unmarshal([]byte(conf), &c); err != nil {
		fmt.Fprintln(os.Stderr, "helper replica:", err)
		os.Exit(2)
	}
	cfg := c.config()
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := patchmon.New(cfg)
	if err == nil {
		err = srv.Start(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper replica:", err)
		os.Exit(2)
	}
	fmt.Printf("REPLICA %s\n", srv.URL())
	select {}
}

func (c cluster) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"db": c.dbURL, "redis": c.redisURL, "prefix": c.prefix, "jwt": c.jwt})
}

func (c *cluster) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	c.dbURL, c.redisURL, c.prefix, c.jwt = m["db"], m["redis"], m["prefix"], m["jwt"]
	return nil
}

// A replica killed with SIGKILL cannot say goodbye: its hosts must still go
// offline, once its liveness key expires, on the replicas that remain.
func TestServerKilledReplica(t *testing.T) {
	t.Parallel()
	c := newCluster(t, true)
	survivor := c.server(t)
	token := adminToken(t, survivor)
	host, key := realHost(t, survivor, "web-01")

	conf, err := json.Marshal(c)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+string(conf))
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	var replicaURL string
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "REPLICA "); ok {
			replicaURL = u
			break
		}
	}
	require.NotEmpty(t, replicaURL, "the helper replica did not start")
	go func() { _, _ = io.Copy(io.Discard, out) }()

	ag, _, err := dial(t, wsURL(replicaURL), creds(host.APIID, key), true)
	require.NoError(t, err)
	var sum wsSummary
	eventually(t, 10*time.Second, "the survivor sees the agent", func() bool {
		call(t, "GET", survivor.URL+"/api/v1/ws/status/summary", token, nil, &sum)
		return sum.Connected == 1
	})

	require.NoError(t, cmd.Process.Kill())
	killed := time.Now()
	ag.waitClosed(t, 10*time.Second)
	var st wsStatus
	eventually(t, 40*time.Second, "the killed replica's host offline", func() bool {
		call(t, "GET", survivor.URL+"/api/v1/ws/status/"+host.APIID, token, nil, &st)
		return !st.Data.Connected && st.Data.DisconnectReason == agenthub.ReasonReplicaLost
	})
	t.Logf("host offline %s after SIGKILL (ReplicaTTL 15s)", time.Since(killed).Round(100*time.Millisecond))
	require.Equal(t, 200, call(t, "GET", survivor.URL+"/api/v1/ws/status/summary", token, nil, &sum))
	assert.Zero(t, sum.Connected)
	assert.Len(t, sum.Replicas, 1, "the dead replica is no longer listed")
	var recorded string
	require.NoError(t, survivor.Pool().QueryRow(context.Background(), `SELECT status FROM agent_presence WHERE host_id = $1`, host.ID).Scan(&recorded))
	assert.Equal(t, "offline", recorded)
}

// The dashboard stream, opened with the user's token, receives the host coming
// online and its report arriving.
func TestServerStreamReceivesReport(t *testing.T) {
	t.Parallel()
	s := newCluster(t, false).server(t)
	token := adminToken(t, s)
	host, key := realHost(t, s, "web-01")

	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	b, _, err := openStream(t, wsURL(s.URL), h)
	require.NoError(t, err)
	b.expect(t, agenthub.StreamHello, 5*time.Second)
	_, resp, err := openStream(t, wsURL(s.URL), http.Header{})
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	_, _, err = dial(t, wsURL(s.URL), creds(host.APIID, key), true)
	require.NoError(t, err)
	m := b.expect(t, agenthub.StreamHostStatus, 5*time.Second)
	assert.Contains(t, string(m.Data), host.ID.String())

	report := agentproto.Report{
		Packages: []agentproto.Package{{Name: "openssl", CurrentVersion: "3.0.11-1", AvailableVersion: "3.0.13-1", NeedsUpdate: true, IsSecurityUpdate: true},
			{Name: "bash", CurrentVersion: "5.2.15-2"}},
		OSType: "Debian", OSVersion: "12", Hostname: "web-01", Architecture: "amd64", AgentVersion: "2.0.3", NeedsReboot: true,
	}
	body, err := json.Marshal(report)
	require.NoError(t, err)
	req, err := http.NewRequest("POST", s.URL+"/api/v1/hosts/update", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header = creds(host.APIID, key)
	req.Header.Set("Content-Type", "application/json")
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(r.Body)
	r.Body.Close()
	require.Equal(t, 200, r.StatusCode, string(raw))

	m = b.expect(t, agenthub.StreamReport, 5*time.Second)
	var ev agenthub.ReportEvent
	require.NoError(t, json.Unmarshal(m.Data, &ev))
	assert.Equal(t, host.ID, ev.HostID)
	assert.Equal(t, "full", ev.Kind)
	assert.Equal(t, 2, ev.PackagesProcessed)
	assert.Equal(t, 1, ev.SecurityUpdates)
	assert.True(t, ev.NeedsReboot)
}

// Regenerated credentials close the agent's connection and keep the old key out,
// although the server still has the old key's verification cached.
func TestServerRegeneratedCredentials(t *testing.T) {
	t.Parallel()
	s := newCluster(t, false).server(t)
	host, key := realHost(t, s, "web-01")
	ag, _, err := dial(t, wsURL(s.URL), creds(host.APIID, key), true)
	require.NoError(t, err)
	eventually(t, 5*time.Second, "connected", func() bool { return s.Hub().LocalConnections() == 1 })

	fresh, err := hostAdmin(t, s).RegenerateCredentials(context.Background(), host.ID)
	require.NoError(t, err)
	require.NoError(t, s.Hub().Disconnect(context.Background(), host.ID))
	assert.Equal(t, uint16(4001), closeCode(ag.waitClosed(t, 5*time.Second)))

	// The api_id changed too, so the old pair is unknown now; the server's cache
	// must not let it back in.
	_, resp, err := dial(t, wsURL(s.URL), creds(host.APIID, key), true)
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	_, _, err = dial(t, wsURL(s.URL), creds(fresh.APIID, fresh.APIKey), true)
	require.NoError(t, err)
}
