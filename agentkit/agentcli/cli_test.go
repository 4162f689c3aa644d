package agentcli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/agentcli"
	"github.com/patchmon-go/patchmon/agentkit/agenttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

type result struct {
	stdout, stderr string
	err            error
}

// cli runs the command line as root with a config file in dir.
func cli(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return cliAs(t, 0, dir, args...)
}

func cliAs(t *testing.T, euid int, dir string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := agentcli.Run(ctx, agentcli.Env{
		Args:   append([]string{"--config", filepath.Join(dir, "config.yml")}, args...),
		Stdout: &out, Stderr: &errb, Euid: euid,
	})
	return result{out.String(), errb.String(), err}
}

// configured returns a config directory set up for srv through set-api.
func configured(t *testing.T, srv *agenttest.Server) string {
	t.Helper()
	dir := t.TempDir()
	r := cli(t, dir, "config", "set-api", srv.APIID, srv.APIKey, srv.URL)
	require.NoError(t, r.err, r.stdout)
	neverRefresh(t, dir)
	return dir
}

// neverRefresh keeps the tests from running apt-get update on the machine.
func neverRefresh(t *testing.T, dir string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "config.yml"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("package_cache_refresh_mode: never\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := cliAs(t, 1000, dir, args...)
		require.NoError(t, r.err)
		assert.Equal(t, "PatchMon Agent v"+agentkit.Version()+"\n", r.stdout)
	}
	r := cliAs(t, 1000, dir, "--help")
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout, "config set-api <API_ID> <API_KEY> <SERVER_URL>")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"frobnicate"}, {"config"}, {"config", "edit"}, {"config", "set-api", "a", "b"}, {"ping", "extra"},
		{"--log-level", "loud", "ping"}, {"--bogus"}, {"ping", "--json"}, {"--config"},
	} {
		r := cli(t, dir, args...)
		assert.ErrorIs(t, r.err, agentcli.ErrUsage, "%v", args)
		assert.Equal(t, 2, agentcli.ExitCode(r.err), "%v", args)
	}
	r := cli(t, dir, "config", "set-api", "id", "key", "patchmon.example.com")
	assert.ErrorContains(t, r.err, "http:// or https://")
}

func TestRootRequired(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"serve"}, {"report"}, {"report", "--json"}, {"ping"}, {"diagnostics"},
		{"check-version"}, {"update-agent"}, {"config", "set-api", "a", "b", "https://x"}} {
		r := cliAs(t, 1000, dir, args...)
		assert.ErrorIs(t, r.err, agentcli.ErrNotRoot, "%v", args)
		assert.Equal(t, 1, agentcli.ExitCode(r.err))
	}
	// config show and version do not need root.
	r := cliAs(t, 1000, dir, "config", "show")
	assert.NoError(t, r.err)
}

func TestSetAPIPingAndShow(t *testing.T) {
	t.Parallel()
	srv := agenttest.NewServer(t)
	dir := t.TempDir()
	r := cli(t, dir, "config", "set-api", srv.APIID, srv.APIKey, srv.URL+"/")
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout, "✅ API credentials are valid\n✅ Connectivity test successful\n")
	for _, name := range []string{"config.yml", "credentials.yml"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	r = cli(t, dir, "ping")
	require.NoError(t, r.err)
	assert.Equal(t, "✅ API credentials are valid\n✅ Connectivity test successful\n", r.stdout)

	r = cliAs(t, 1000, dir, "config", "show")
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout, "  Server: "+srv.URL+"\n")
	assert.Contains(t, r.stdout, "  API ID: "+srv.APIID+"\n  API Key: Set ✅\n")
	assert.NotContains(t, r.stdout, srv.APIKey, "the key is never shown")

	// Wrong key: the documented failure.
	r = cli(t, t.TempDir(), "config", "set-api", srv.APIID, "wrong", srv.URL)
	require.Error(t, r.err)
	assert.Equal(t, "connectivity test failed: server returned 401 (Invalid API credentials)", r.err.Error())
}

func TestPingWithoutCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte("patchmon_server: https://patchmon.example.com\n"), 0o600))
	r := cli(t, dir, "ping")
	assert.ErrorIs(t, r.err, agentkit.ErrNoCredentials)
	assert.ErrorContains(t, r.err, "config set-api")
}

func TestReportSendsAndJSONPrints(t *testing.T) {
	t.Parallel()
	srv := agenttest.NewServer(t)
	dir := configured(t, srv)

	r := cli(t, dir, "report", "--json")
	require.NoError(t, r.err)
	var rep agentproto.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Greater(t, len(rep.Packages), 100)
	assert.Empty(t, srv.Reports(), "--json sends nothing")

	r = cli(t, dir, "report")
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout, "✅ Report sent: ")
	reps := srv.Reports()
	require.Len(t, reps, 1)
	assert.Empty(t, reps[0].Report.Sections, "a full report")
	assert.True(t, reps[0].HashesMatch)
	log, err := os.ReadFile(filepath.Join(dir, "logs", "patchmon-agent.log"))
	require.NoError(t, err)
	assert.Contains(t, string(log), "report sent")

	// The server is down: the report is kept and delivered next time.
	srv.SetDown(true)
	r = cli(t, dir, "report")
	require.Error(t, r.err)
	assert.Contains(t, r.stdout, "kept and will be delivered")
	srv.SetDown(false)
	r = cli(t, dir, "report")
	require.NoError(t, r.err)
	assert.Len(t, srv.Reports(), 3, "the kept report, then the new one")
}

func TestCheckVersion(t *testing.T) {
	t.Parallel()
	srv := agenttest.NewServer(t)
	dir := configured(t, srv)
	r := cli(t, dir, "check-version")
	require.NoError(t, r.err)
	assert.Equal(t, "Agent is up to date (version "+agentkit.Version()+")\n", r.stdout)

	srv.SetRelease("99.0.0", []byte("binary"), true, "")
	r = cli(t, dir, "check-version")
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout, "Agent update available!\n  Current version: "+agentkit.Version()+"\n  Latest version: 99.0.0\n")
	assert.Contains(t, r.stdout, "To update, run: patchmon-agent update-agent")
}

func TestDiagnostics(t *testing.T) {
	t.Parallel()
	srv := agenttest.NewServer(t)
	dir := configured(t, srv)
	require.NoError(t, cli(t, dir, "report").err) // leaves log entries
	r := cli(t, dir, "diagnostics")
	require.NoError(t, r.err)
	for _, want := range []string{
		"PatchMon Agent Diagnostics v", "System Information:\n  OS: ", "  Machine ID: ", "Agent Information:\n  Version: ",
		"Configuration Status:\n  ✅ Config file exists\n  ✅ Credentials file exists\n",
		"Network Connectivity & API Credentials:\n  Server URL: " + srv.URL + "\n  ✅ Server is reachable\n  ✅ API is reachable and credentials are valid\n",
		"Last 10 log entries:\n", "report sent",
	} {
		assert.Contains(t, r.stdout, want)
	}

	// Missing everything: still a report, with ❌ lines.
	r = cli(t, t.TempDir(), "diagnostics")
	require.NoError(t, r.err)
	assert.Contains(t, r.stdout, "❌ Config file exists")
	assert.Contains(t, r.stdout, "❌ No server configured")
}

func TestServeRunsUntilCancelled(t *testing.T) {
	t.Parallel()
	srv := agenttest.NewServer(t)
	dir := configured(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- agentcli.Run(ctx, agentcli.Env{Args: []string{"serve", "--config", filepath.Join(dir, "config.yml")}, Euid: 0})
	}()
	srv.WaitReports(1, time.Minute)
	srv.WaitConnected(time.Minute)
	_, err := srv.SendCommand("settings_update", map[string]any{"update_interval": 15})
	require.NoError(t, err)
	srv.Wait(time.Minute, "update_interval saved to config.yml", func(*agenttest.Server) bool {
		b, err := os.ReadFile(filepath.Join(dir, "config.yml"))
		return err == nil && strings.Contains(string(b), "update_interval: 15")
	})
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The state of a stopped agent is on disk next to its config.
	assert.FileExists(t, filepath.Join(dir, "agent-state.json"))
}
