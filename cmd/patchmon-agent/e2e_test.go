package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/agentcli"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// TestEndToEnd runs the agent against the real server: it enrolls through the
// install flow (install script → bootstrap token → credentials), reports from
// this machine's real package manager, survives a server restart (the
// WebSocket reconnects and a report made while the server was down is
// delivered afterwards), and reports when told to over the WebSocket.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.ListenAddr = freeAddr(t)
	cfg.JWTSecret = strings.Repeat("e2e-secret-", 4)
	srv := patchmontest.NewServer(t, cfg)

	// The administrator creates the host; the server knows its credentials.
	inv, err := inventory.New(inventory.Config{DB: db.New(srv.Pool(), db.Options{}), Cache: kv.NewMemory(),
		Tokens: kv.NewMemory(), Secret: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	host, err := inv.CreateHost(ctx, inventory.NewHost{FriendlyName: "e2e-agent"})
	require.NoError(t, err)

	// Install flow: the installer carries a one-time bootstrap token, never
	// the key, and the token buys the credentials exactly once.
	script := get(t, srv.URL+"/api/v1/hosts/install?arch=amd64&os=linux", host.Credentials.APIID, host.Credentials.APIKey)
	assert.NotContains(t, script, host.Credentials.APIKey)
	token := regexp.MustCompile(`\b[0-9a-f]{64}\b`).FindString(script)
	require.NotEmpty(t, token, "no bootstrap token in the install script")
	creds := exchange(t, srv.URL, token)
	assert.Equal(t, host.Credentials.APIID, creds.APIID)
	assert.Equal(t, host.Credentials.APIKey, creds.APIKey)

	dir := t.TempDir()
	cli := func(ctx context.Context, args ...string) (string, error) {
		var out bytes.Buffer
		err := agentcli.Run(ctx, agentcli.Env{Args: append([]string{"--config", filepath.Join(dir, "config.yml")}, args...),
			Stdout: &out, Stderr: io.Discard, Euid: 0})
		return out.String(), err
	}
	out, err := cli(ctx, "config", "set-api", creds.APIID, creds.APIKey, srv.URL)
	require.NoError(t, err, out)
	assert.Contains(t, out, "✅ Connectivity test successful")
	neverRefresh(t, dir)

	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		_, err := cli(serveCtx, "serve")
		served <- err
	}()
	defer func() {
		stop()
		select {
		case err := <-served:
			assert.NoError(t, err)
		case <-time.After(time.Minute):
			t.Error("serve did not stop")
		}
	}()

	// The first check-in is a full report of this machine.
	waitFor(t, "the first full report", func() bool { return reports(t, srv, host.ID, "full") >= 1 })
	var total int
	require.NoError(t, srv.Pool().QueryRow(ctx, `SELECT count(*) FROM host_packages WHERE host_id = $1`, host.ID).Scan(&total))
	assert.Greater(t, total, 100)
	waitFor(t, "the agent's WebSocket", func() bool { return srv.Hub().LocalConnections() == 1 })

	// The server's section hashes equal the agent's: a check-in now sends
	// nothing but the ping.
	f, err := agentkit.LoadFile(filepath.Join(dir, "config.yml"))
	require.NoError(t, err)
	require.NoError(t, f.LoadCredentials())
	ac := f.AgentConfig()
	ac.PackageCacheRefresh = collect.RefreshNever
	a, err := agentkit.New(ac)
	require.NoError(t, err)
	res, err := a.CheckIn(ctx)
	require.NoError(t, err)
	assert.False(t, res.Full)
	assert.Empty(t, res.Sections, "the server asked for %v", res.Ping.RequestFull)
	assert.True(t, res.Ping.HashGate)

	// The server restarts; meanwhile a report is made and kept.
	require.NoError(t, srv.Shutdown(ctx))
	out, err = cli(ctx, "report")
	require.Error(t, err)
	assert.Contains(t, out, "kept and will be delivered")
	spool, err := filepath.Glob(filepath.Join(dir, "spool", "*.json"))
	require.NoError(t, err)
	require.Len(t, spool, 1)

	srv2 := patchmontest.NewServer(t, cfg)
	waitFor(t, "reconnection and delivery of the kept report", func() bool {
		return srv2.Hub().LocalConnections() == 1 && reports(t, srv2, host.ID, "full") >= 2
	})
	waitFor(t, "an empty spool", func() bool {
		left, _ := filepath.Glob(filepath.Join(dir, "spool", "*.json"))
		return len(left) == 0
	})

	// report_now over the WebSocket.
	before := reports(t, srv2, host.ID, "full")
	_, err = srv2.Hub().Send(ctx, host.ID, wsproto.ReportNow{})
	require.NoError(t, err)
	waitFor(t, "the report_now report", func() bool { return reports(t, srv2, host.ID, "full") > before })

	out, err = cli(ctx, "ping")
	require.NoError(t, err)
	assert.Contains(t, out, "✅ API credentials are valid")
}

// neverRefresh keeps the test from running apt-get update on the machine.
func neverRefresh(t testing.TB, dir string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "config.yml"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("package_cache_refresh_mode: never\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func get(t *testing.T, url, apiID, apiKey string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set(agentproto.HeaderAPIID, apiID)
	req.Header.Set(agentproto.HeaderAPIKey, apiKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return string(b)
}

func exchange(t *testing.T, base, token string) agentproto.BootstrapExchangeResponse {
	t.Helper()
	body, _ := json.Marshal(agentproto.BootstrapExchangeRequest{Token: token})
	resp, err := http.Post(base+"/api/v1/hosts/bootstrap/exchange", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var out agentproto.BootstrapExchangeResponse
	require.NoError(t, json.Unmarshal(b, &out))
	// One use only.
	again, err := http.Post(base+"/api/v1/hosts/bootstrap/exchange", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	again.Body.Close()
	assert.NotEqual(t, http.StatusOK, again.StatusCode, "a bootstrap token works once")
	return out
}

// reports counts the host's accepted reports of a type.
func reports(t *testing.T, srv *patchmontest.Server, host uuid.UUID, typ string) int {
	t.Helper()
	var n int
	err := srv.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM update_history WHERE host_id = $1 AND report_type = $2 AND status = 'success'`, host, typ).Scan(&n)
	require.NoError(t, err)
	return n
}

// waitFor polls cond until it holds, failing after two minutes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
