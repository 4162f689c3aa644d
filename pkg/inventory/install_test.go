package inventory_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/inventory"
)

func TestAgentVersionAndDownload(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	sum := sha256.Sum256([]byte(fakeAgent))

	resp := e.do(&h, "GET", "/api/v1/hosts/agent/version?arch=amd64&type=go&currentVersion=1.4.0", nil)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, map[string]any{
		"currentVersion": "1.4.0", "latestVersion": "1.4.2", "hasUpdate": false, "autoUpdateDisabled": true,
		"autoUpdateDisabledReason": "Auto-update is disabled in server settings",
		"downloadUrl":              "/api/v1/hosts/agent/download?arch=amd64&os=linux", "releaseNotes": "PatchMon Agent v1.4.2",
		"architecture": "amd64", "agentType": "go", "hash": hex.EncodeToString(sum[:]),
	}, resp.json(t))

	_, err := e.pool.Exec(context.Background(), `UPDATE settings SET agent_auto_update = true`)
	require.NoError(t, err)
	m := e.do(&h, "GET", "/api/v1/hosts/agent/version?arch=x86_64&currentVersion=1.4.0", nil).json(t)
	assert.Equal(t, true, m["hasUpdate"])
	assert.Equal(t, false, m["autoUpdateDisabled"])
	assert.Equal(t, false, e.do(&h, "GET", "/api/v1/hosts/agent/version?currentVersion=1.4.2", nil).json(t)["hasUpdate"])
	_, err = e.pool.Exec(context.Background(), `UPDATE hosts SET auto_update = false WHERE id = $1`, h.id)
	require.NoError(t, err)
	m = e.do(&h, "GET", "/api/v1/hosts/agent/version?currentVersion=1.4.0", nil).json(t)
	assert.Equal(t, false, m["hasUpdate"])
	assert.Equal(t, "Auto-update is disabled for this host", m["autoUpdateDisabledReason"])

	resp = e.do(&h, "GET", "/api/v1/hosts/agent/download?arch=amd64", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, fakeAgent, string(resp.body))
	assert.Equal(t, "application/octet-stream", resp.header.Get("Content-Type"))
	assert.Equal(t, hex.EncodeToString(sum[:]), resp.header.Get("X-Agent-SHA256"))

	for _, path := range []string{"/api/v1/hosts/agent/version?arch=arm64", "/api/v1/hosts/agent/download?arch=aarch64"} {
		resp = e.do(&h, "GET", path, nil)
		assert.Equal(t, http.StatusNotFound, resp.status, path)
		assert.Equal(t, "no agent binary for linux/arm64 in this build", resp.json(t)["error"], path)
	}
	resp = e.do(&h, "GET", "/api/v1/hosts/agent/download?arch=sparc", nil)
	assert.Equal(t, http.StatusBadRequest, resp.status)
	assert.Equal(t, `Invalid architecture "sparc". Must be one of: amd64, arm64, arm, 386`, resp.json(t)["error"])
	resp = e.do(&h, "GET", "/api/v1/hosts/agent/version?os=windows", nil)
	assert.Equal(t, http.StatusBadRequest, resp.status)
}

func TestAgentUpdateAdvice(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	rep := fullReport(packages(5, ""))
	m := e.do(&h, "POST", "/api/v1/hosts/update", rep).json(t)
	assert.Equal(t, map[string]any{"shouldUpdate": false, "latestVersion": "1.4.2", "currentVersion": "1.4.0",
		"message": "Auto-update is disabled in server settings"}, m["autoUpdate"])
	_, err := e.pool.Exec(context.Background(), `UPDATE settings SET agent_auto_update = true`)
	require.NoError(t, err)
	rep.SystemUptime = "later"
	m = e.do(&h, "POST", "/api/v1/hosts/update", rep).json(t)
	assert.Equal(t, true, m["autoUpdate"].(map[string]any)["shouldUpdate"])

	rep.Architecture = "aarch64" // no arm64 build here
	rep.SystemUptime = "even later"
	assert.NotContains(t, e.do(&h, "POST", "/api/v1/hosts/update", rep).json(t), "autoUpdate")
}

func TestRealAgentBinaryVersion(t *testing.T) {
	t.Parallel()
	// A Go binary built with -ldflags -X ...Version=... (and without -trimpath, which
	// drops -ldflags from the build information) carries its version in the build
	// information, which the server reads without running it.
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(src, []byte("package main\n\nvar Version = \"dev\"\n\nfunc main() { println(Version) }\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/agent\n\ngo 1.22\n"), 0o644))
	bin := filepath.Join(dir, "patchmon-agent-linux-arm64")
	cmd := exec.Command("go", "build", "-ldflags", "-s -w -X main.Version=2.3.4", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NoError(t, os.Remove(src))
	require.NoError(t, os.Remove(filepath.Join(dir, "go.mod")))

	e := setup(t, func(o *options) { o.cfg.AgentBinaries = os.DirFS(dir) })
	h := e.newHost("web-1")
	resp := e.do(&h, "GET", "/api/v1/hosts/agent/version?arch=arm64", nil)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "2.3.4", resp.json(t)["latestVersion"])

	// A .version file next to the binary (what `make agents` writes) wins.
	e = setup(t, func(o *options) {
		o.cfg.AgentBinaries = fstest.MapFS{
			"patchmon-agent-linux-386":         {Data: []byte("\x7fELF not really")},
			"patchmon-agent-linux-386.version": {Data: []byte("v3.0.1\n")},
		}
	})
	h = e.newHost("web-1")
	resp = e.do(&h, "GET", "/api/v1/hosts/agent/version?arch=i686", nil)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "3.0.1", resp.json(t)["latestVersion"])
	assert.Equal(t, "386", resp.json(t)["architecture"])
}

// A <binary>.sha256 written at build time is served as the binary's digest; a malformed
// one is ignored and the digest computed.
func TestAgentDigestFromBuild(t *testing.T) {
	t.Parallel()
	const recorded = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	binary := []byte("\x7fELF not really")
	computed := sha256.Sum256(binary)
	for sidecar, want := range map[string]string{
		recorded + "  patchmon-agent-linux-arm\n": recorded,
		"not a digest\n": hex.EncodeToString(computed[:]),
	} {
		e := setup(t, func(o *options) {
			o.cfg.AgentBinaries = fstest.MapFS{
				"patchmon-agent-linux-arm":         {Data: binary},
				"patchmon-agent-linux-arm.version": {Data: []byte("3.0.1\n")},
				"patchmon-agent-linux-arm.sha256":  {Data: []byte(sidecar)},
			}
		})
		h := e.newHost("web-1")
		resp := e.do(&h, "GET", "/api/v1/hosts/agent/version?arch=arm", nil)
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		assert.Equal(t, want, resp.json(t)["hash"], sidecar)
		resp = e.do(&h, "GET", "/api/v1/hosts/agent/download?arch=arm", nil)
		require.Equal(t, http.StatusOK, resp.status)
		assert.Equal(t, want, resp.header.Get("X-Agent-SHA256"))
		assert.Equal(t, binary, resp.body)
	}
}

var tokenRE = regexp.MustCompile(`(?m)^BOOTSTRAP_TOKEN=([0-9a-f]{64})$`)

func shellcheck(t *testing.T, script []byte) {
	t.Helper()
	path, err := exec.LookPath("shellcheck")
	require.NoError(t, err, "shellcheck is required: apt-get install shellcheck")
	cmd := exec.Command(path, "-s", "sh", "-")
	cmd.Stdin = strings.NewReader(string(script))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "shellcheck:\n%s", out)
}

func TestInstallScript(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")

	resp := e.do(&h, "GET", "/api/v1/hosts/install", nil)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "no-store", resp.header.Get("Cache-Control"))
	script := resp.body
	shellcheck(t, script)
	assert.NotContains(t, string(script), h.apiKey, "the installer never carries the API key")
	assert.NotContains(t, string(script), h.apiID)
	m := tokenRE.FindSubmatch(script)
	require.NotNil(t, m, "the installer carries a bootstrap token")

	root := t.TempDir()
	run := func(env ...string) string {
		t.Helper()
		cmd := exec.Command("sh", "-s")
		cmd.Stdin = strings.NewReader(string(script))
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATCHMON_ROOT=" + root}, env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "installer:\n%s", out)
		return string(out)
	}
	out := run("PATCHMON_INIT=systemd")
	assert.Contains(t, out, "PatchMon agent installed (service: systemd)")
	assert.Contains(t, out, "Agent binary verified")

	for path, mode := range map[string]fs.FileMode{
		"etc/patchmon/config.yml": 0o600, "etc/patchmon/credentials.yml": 0o600,
		"usr/local/bin/patchmon-agent": 0o755, "etc/systemd/system/patchmon-agent.service": 0o644,
	} {
		st, err := os.Stat(filepath.Join(root, path))
		require.NoError(t, err, path)
		assert.Equal(t, mode, st.Mode().Perm(), path)
	}
	creds, err := os.ReadFile(filepath.Join(root, "etc/patchmon/credentials.yml"))
	require.NoError(t, err)
	assert.Contains(t, string(creds), `api_id: "`+h.apiID+`"`)
	assert.Contains(t, string(creds), `api_key: "`+h.apiKey+`"`)
	cfg, err := os.ReadFile(filepath.Join(root, "etc/patchmon/config.yml"))
	require.NoError(t, err)
	assert.Contains(t, string(cfg), `patchmon_server: "`+e.url+`"`)
	assert.Contains(t, string(cfg), "skip_ssl_verify: false")
	assert.Contains(t, string(cfg), "update_interval: 60")
	bin, err := os.ReadFile(filepath.Join(root, "usr/local/bin/patchmon-agent"))
	require.NoError(t, err)
	assert.Equal(t, fakeAgent, string(bin))
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/patchmon-agent.service"))
	require.NoError(t, err)
	assert.Contains(t, string(unit), "ExecStart=/usr/local/bin/patchmon-agent serve")

	// The token worked once.
	resp = e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{"token": string(m[1])})
	assert.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "Invalid or expired bootstrap token", resp.json(t)["error"])

	// Running the same script again finds a working agent and stops before spending
	// (the already used) token; with force it tries to reinstall and fails on the token.
	out = run()
	assert.Contains(t, out, "already installed")
	cmd := exec.Command("sh", "-s")
	cmd.Stdin = strings.NewReader(string(script))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATCHMON_ROOT=" + root, "FORCE_INSTALL=true"}
	forced, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(forced), "bootstrap token was refused")

	// A fresh installer with ?force=true reinstalls and keeps a backup of the config.
	resp = e.do(&h, "GET", "/api/v1/hosts/install?force=true&arch=amd64", nil)
	require.Equal(t, http.StatusOK, resp.status)
	script = resp.body
	assert.Contains(t, string(script), "FORCE_DEFAULT=true")
	assert.Contains(t, string(script), "SERVER_ARCH='amd64'")
	out = run("PATCHMON_INIT=openrc")
	assert.Contains(t, out, "service: openrc")
	backups, err := filepath.Glob(filepath.Join(root, "etc/patchmon/config.yml.backup.*"))
	require.NoError(t, err)
	assert.Len(t, backups, 1)
	_, err = os.Stat(filepath.Join(root, "etc/init.d/patchmon-agent"))
	require.NoError(t, err)

	// The uninstaller removes everything but the backups, unless asked to.
	remove := e.do(nil, "GET", "/api/v1/hosts/remove", nil)
	require.Equal(t, http.StatusOK, remove.status)
	shellcheck(t, remove.body)
	uninstall := func(env ...string) string {
		t.Helper()
		cmd := exec.Command("sh", "-s")
		cmd.Stdin = strings.NewReader(string(remove.body))
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATCHMON_ROOT=" + root}, env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "uninstaller:\n%s", out)
		return string(out)
	}
	out = uninstall()
	assert.Contains(t, out, "PatchMon agent removed")
	assert.Contains(t, out, "REMOVE_BACKUPS=1")
	for _, p := range []string{"etc/patchmon/config.yml", "etc/patchmon/credentials.yml", "usr/local/bin/patchmon-agent",
		"etc/systemd/system/patchmon-agent.service", "etc/init.d/patchmon-agent"} {
		_, err := os.Stat(filepath.Join(root, p))
		assert.ErrorIs(t, err, fs.ErrNotExist, p)
	}
	backups, err = filepath.Glob(filepath.Join(root, "etc/patchmon/*.backup.*"))
	require.NoError(t, err)
	assert.NotEmpty(t, backups)

	assert.Empty(t, uninstall("REMOVE_BACKUPS=1", "SILENT=1"), "SILENT prints nothing")
	_, err = os.Stat(filepath.Join(root, "etc/patchmon"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "with the backups gone the directory goes too")
	leftovers, err := filepath.Glob(filepath.Join(root, "usr/local/bin/*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers)
}

func TestBootstrapToken(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.cfg.BootstrapTokenTTL = 300 * time.Millisecond })
	h := e.newHost("web-1")
	token := func() string {
		resp := e.do(&h, "GET", "/api/v1/hosts/install", nil)
		require.Equal(t, http.StatusOK, resp.status)
		m := tokenRE.FindSubmatch(resp.body)
		require.NotNil(t, m)
		return string(m[1])
	}
	tok := token()
	resp := e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{"token": tok})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, map[string]any{"apiId": h.apiID, "apiKey": h.apiKey}, resp.json(t))
	assert.Equal(t, "no-store", resp.header.Get("Cache-Control"))
	assert.Equal(t, http.StatusUnauthorized, e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{"token": tok}).status)

	// Expiry: the store drops the token after its TTL; waiting it out is the behaviour
	// under test.
	tok = token()
	time.Sleep(400 * time.Millisecond)
	assert.Equal(t, http.StatusUnauthorized, e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{"token": tok}).status)

	// Regenerated credentials void outstanding tokens.
	tok = token()
	_, err := e.svc.RegenerateCredentials(context.Background(), h.id)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{"token": tok}).status)

	for _, bad := range []string{"", "short", strings.Repeat("z", 64)} {
		resp := e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{"token": bad})
		assert.Equal(t, http.StatusUnauthorized, resp.status, bad)
	}
	assert.Equal(t, http.StatusBadRequest, e.do(nil, "POST", "/api/v1/hosts/bootstrap/exchange", map[string]string{}).status)
}

func TestInstallCommand(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.cfg.PublicURL = "https://patchmon.example.com/" })
	cmd, err := e.svc.InstallCommand(context.Background(), inventory.Credentials{APIID: "patchmon_1", APIKey: "k"})
	require.NoError(t, err)
	assert.Equal(t, `curl -s 'https://patchmon.example.com/api/v1/hosts/install' -H 'X-API-ID: patchmon_1' -H 'X-API-KEY: k' | sudo sh`, cmd)
	_, err = e.pool.Exec(context.Background(), `UPDATE settings SET ignore_ssl_self_signed = true`)
	require.NoError(t, err)
	cmd, err = e.svc.InstallCommand(context.Background(), inventory.Credentials{APIID: "patchmon_1", APIKey: "k"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(cmd, "curl -sk "))
}
