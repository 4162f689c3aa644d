package inventory_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func ptr[T any](v T) *T { return &v }

// packages returns n Debian-like packages; every seventh has an update, every
// twenty-first a security update.
func packages(n int, prefix string) []agentproto.Package {
	out := make([]agentproto.Package, n)
	for i := range out {
		p := agentproto.Package{
			Name:             fmt.Sprintf("%spkg-%05d", prefix, i),
			Description:      fmt.Sprintf("package number %d", i),
			Category:         "libs",
			CurrentVersion:   fmt.Sprintf("1.%d.0-1", i%13),
			SourceRepository: "http://deb.debian.org/debian bookworm/main",
		}
		if i%7 == 0 {
			p.NeedsUpdate = true
			p.AvailableVersion = fmt.Sprintf("1.%d.1-1", i%13)
			p.IsSecurityUpdate = i%21 == 0
		}
		out[i] = p
	}
	return out
}

func fullReport(pkgs []agentproto.Package) agentproto.Report {
	return agentproto.Report{
		Packages: pkgs,
		Repositories: []agentproto.Repository{
			{Name: "debian", URL: "http://deb.debian.org/debian", Distribution: "bookworm", Components: "main", RepoType: "deb", IsEnabled: true},
			{Name: "debian-security", URL: "http://deb.debian.org/debian-security", Distribution: "bookworm-security", Components: "main", RepoType: "deb", IsEnabled: true, IsSecure: true},
		},
		OSType: "Debian", OSVersion: "12", Hostname: "web-1.example.com", IP: "192.0.2.10",
		Architecture: "x86_64", AgentVersion: "1.4.0", MachineID: "abc123", KernelVersion: "6.1.0-18-amd64",
		SELinuxStatus: "disabled", SystemUptime: "3 days", LoadAverage: []float64{0.1, 0.2, 0.3},
		CPUModel: "Xeon", CPUCores: 4, RAMInstalled: 7.7, SwapSize: 1,
		DiskDetails: []agentproto.DiskDetail{{Name: "/dev/sda1", Size: "50G", MountPoint: "/"}},
		GatewayIP:   "192.0.2.1", DNSServers: []string{"192.0.2.53"},
		NetworkInterfaces: []agentproto.NetworkInterface{{Name: "eth0", Type: "ethernet", MACAddress: "AA:BB:CC:00:11:22",
			Addresses: []agentproto.InterfaceAddress{{Address: "192.0.2.10", Family: "inet", Netmask: "255.255.255.0"}}}},
		ExecutionTime: 1.5, NeedsReboot: true, RebootReason: "kernel update", PackageManager: "apt",
		AgentExecutionMs: ptr[int64](1500),
	}
}

func TestPingHeartbeat(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")

	resp := e.do(&h, "POST", "/api/v1/hosts/ping", nil)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	m := resp.json(t)
	assert.Equal(t, "Ping successful", m["message"])
	assert.Equal(t, "web-1", m["friendlyName"])
	assert.Equal(t, true, m["hashGate"])
	assert.Equal(t, true, m["agentStartup"], "a pending host's first contact is an agent start-up")
	assert.Equal(t, map[string]any{"docker": false, "compliance": false}, m["integrations"])
	assert.NotContains(t, m, "requestFull", "a heartbeat carries no hashes to compare")
	ts, err := time.Parse(time.RFC3339Nano, m["timestamp"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), ts, time.Minute)

	var checkin *time.Time
	e.scalar(&checkin, `SELECT last_checkin_at FROM hosts WHERE id = $1`, h.id)
	require.NotNil(t, checkin)
	var status string
	e.scalar(&status, `SELECT status FROM hosts WHERE id = $1`, h.id)
	assert.Equal(t, "pending", status, "only a report activates a host")
}

func TestPingRequestFull(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	rep := fullReport(packages(50, ""))
	hashes := agentproto.PingHashes{
		PackagesHash:   agentproto.PackagesHash(rep.Packages),
		ReposHash:      agentproto.ReposHash(rep.Repositories),
		InterfacesHash: agentproto.InterfacesHash(rep.NetworkInterfaces),
		HostnameHash:   agentproto.HostnameHash(rep.Hostname),
		DockerHash:     strings.Repeat("d", 64),
	}
	ping := func() []any {
		t.Helper()
		resp := e.do(&h, "POST", "/api/v1/hosts/ping", agentproto.PingRequest{Hashes: hashes, AgentVersion: "1.4.0"})
		require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
		rf, ok := resp.json(t)["requestFull"].([]any)
		require.True(t, ok, "a check-in with hashes always gets a requestFull list: %s", resp.body)
		return rf
	}
	// Nothing stored yet: every report section is stale; docker and compliance are off.
	assert.Equal(t, []any{"packages", "repos", "interfaces", "hostname"}, ping())

	resp := e.do(&h, "POST", "/api/v1/hosts/update", rep)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Empty(t, ping(), "after a full report nothing is stale")

	hashes.ReposHash = strings.Repeat("0", 64)
	assert.Equal(t, []any{"repos"}, ping())

	_, err := e.pool.Exec(context.Background(), `UPDATE hosts SET docker_enabled = true, compliance_enabled = true WHERE id = $1`, h.id)
	require.NoError(t, err)
	assert.Equal(t, []any{"repos", "docker", "compliance"}, ping(), "enabled integrations without a stored hash are stale")

	var n int
	e.scalar(&n, `SELECT count(*) FROM update_history WHERE host_id = $1 AND report_type = 'ping'`, h.id)
	assert.Equal(t, 3, n, "check-ins that found stale sections are recorded")
}

func TestPingMetrics(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	resp := e.do(&h, "POST", "/api/v1/hosts/ping", agentproto.PingRequest{
		Hashes:       agentproto.PingHashes{PackagesHash: strings.Repeat("a", 64)},
		Metrics:      agentproto.PingMetrics{CPUCores: ptr(8), RAMInstalled: ptr(15.5), LoadAverage: []float64{1, 2, 3}, NeedsReboot: ptr(true), RebootReason: ptr("libc"), SystemUptime: ptr("1 day")},
		AgentVersion: "1.4.1", AgentExecutionMs: ptr[int64](42),
	})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	var (
		cores   int
		ram     float64
		load    []float64
		reboot  bool
		reason  string
		version string
	)
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT cpu_cores, ram_installed, load_average, needs_reboot, reboot_reason, agent_version FROM hosts WHERE id = $1`, h.id).
		Scan(&cores, &ram, &load, &reboot, &reason, &version))
	assert.Equal(t, 8, cores)
	assert.Equal(t, 15.5, ram)
	assert.Equal(t, []float64{1, 2, 3}, load)
	assert.True(t, reboot)
	assert.Equal(t, "libc", reason)
	assert.Equal(t, "1.4.1", version)

	// Metrics left out keep their values; a reboot no longer needed clears the reason.
	resp = e.do(&h, "POST", "/api/v1/hosts/ping", agentproto.PingRequest{Metrics: agentproto.PingMetrics{NeedsReboot: ptr(false)}})
	require.Equal(t, http.StatusOK, resp.status)
	var reasonAfter *string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT cpu_cores, needs_reboot, reboot_reason FROM hosts WHERE id = $1`, h.id).Scan(&cores, &reboot, &reasonAfter))
	assert.Equal(t, 8, cores)
	assert.False(t, reboot)
	assert.Nil(t, reasonAfter)
}

func TestAgentAuthentication(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	assert.True(t, strings.HasPrefix(h.apiID, "patchmon_"))
	assert.Len(t, h.apiKey, 64)
	var stored string
	e.scalar(&stored, `SELECT api_key_hash FROM hosts WHERE id = $1`, h.id)
	assert.True(t, strings.HasPrefix(stored, "$2"), "the key is stored bcrypt-hashed")
	assert.NotContains(t, stored, h.apiKey)

	for _, path := range []struct{ method, path string }{
		{"POST", "/api/v1/hosts/ping"}, {"POST", "/api/v1/hosts/update"}, {"GET", "/api/v1/settings/update-interval"},
		{"GET", "/api/v1/hosts/integrations"}, {"POST", "/api/v1/hosts/integration-status"},
		{"GET", "/api/v1/hosts/agent/version"}, {"GET", "/api/v1/hosts/agent/download"}, {"GET", "/api/v1/hosts/install"},
	} {
		resp := e.do(nil, path.method, path.path, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.status, "%s %s", path.method, path.path)
		assert.Equal(t, "API ID and Key required", resp.json(t)["error"], "%s %s", path.method, path.path)

		bad := h
		bad.apiKey = strings.Repeat("0", 64)
		resp = e.do(&bad, path.method, path.path, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.status, "%s %s", path.method, path.path)
		assert.Equal(t, "Invalid API credentials", resp.json(t)["error"])
	}
	unknown := host{apiID: "patchmon_0000000000000000", apiKey: h.apiKey}
	assert.Equal(t, http.StatusUnauthorized, e.do(&unknown, "POST", "/api/v1/hosts/ping", nil).status)

	// Header names are case-insensitive.
	req, err := http.NewRequest("POST", e.url+"/api/v1/hosts/ping", nil)
	require.NoError(t, err)
	req.Header["x-api-id"] = []string{h.apiID}
	req.Header["x-api-key"] = []string{h.apiKey}
	resp, err := e.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestCredentialCache(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	ctx := context.Background()
	require.Equal(t, http.StatusOK, e.do(&h, "POST", "/api/v1/hosts/ping", nil).status)

	// The verification is cached: with the stored hash destroyed, the key still works,
	// which proves no bcrypt (and no hash look-up) runs for it any more.
	_, err := e.pool.Exec(ctx, `UPDATE hosts SET api_key_hash = 'not-a-bcrypt-hash' WHERE id = $1`, h.id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.do(&h, "POST", "/api/v1/hosts/ping", nil).status)

	// Regeneration invalidates the cached pair at once.
	creds, err := e.svc.RegenerateCredentials(ctx, h.id)
	require.NoError(t, err)
	assert.NotEqual(t, h.apiID, creds.APIID)
	for _, p := range []string{"/api/v1/hosts/ping", "/api/v1/settings/update-interval", "/api/v1/hosts/integrations", "/api/v1/hosts/agent/version", "/api/v1/hosts/install"} {
		method := "GET"
		if p == "/api/v1/hosts/ping" {
			method = "POST"
		}
		assert.Equal(t, http.StatusUnauthorized, e.do(&h, method, p, nil).status, p)
	}
	assert.Equal(t, http.StatusUnauthorized, e.do(&h, "POST", "/api/v1/hosts/update", fullReport(packages(3, ""))).status)
	fresh := host{id: h.id, apiID: creds.APIID, apiKey: creds.APIKey}
	require.Equal(t, http.StatusOK, e.do(&fresh, "POST", "/api/v1/hosts/ping", nil).status)

	// Deleting the host invalidates its cached credentials too.
	require.NoError(t, e.svc.DeleteHost(ctx, h.id))
	resp := e.do(&fresh, "POST", "/api/v1/hosts/ping", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Equal(t, "Invalid API credentials", resp.json(t)["error"])
	assert.Equal(t, http.StatusUnauthorized, e.do(&fresh, "POST", "/api/v1/hosts/update", fullReport(packages(3, ""))).status)
}

func TestUpdateIntervalAndIntegrations(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	resp := e.do(&h, "GET", "/api/v1/settings/update-interval", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, map[string]any{"updateInterval": float64(60)}, resp.json(t))

	_, err := e.pool.Exec(context.Background(), `UPDATE settings SET agent_update_interval = 15`)
	require.NoError(t, err)
	assert.Equal(t, float64(15), e.do(&h, "GET", "/api/v1/settings/update-interval", nil).json(t)["updateInterval"])

	resp = e.do(&h, "GET", "/api/v1/hosts/integrations", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, map[string]any{
		"success": true, "integrations": map[string]any{"docker": false, "compliance": false},
		"compliance_mode": "disabled", "compliance_openscap_enabled": true, "compliance_docker_bench_enabled": false,
	}, resp.json(t))

	_, err = e.pool.Exec(context.Background(), `UPDATE hosts SET docker_enabled = true, compliance_enabled = true, compliance_mode = 'enabled' WHERE id = $1`, h.id)
	require.NoError(t, err)
	m := e.do(&h, "GET", "/api/v1/hosts/integrations", nil).json(t)
	assert.Equal(t, map[string]any{"docker": true, "compliance": true}, m["integrations"])
	assert.Equal(t, "enabled", m["compliance_mode"])
}

func TestIntegrationStatus(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	body := map[string]any{
		"integration": "compliance", "enabled": true, "status": "installing", "message": "installing openscap",
		"components":     map[string]string{"openscap": "installing", "ssg": "ready"},
		"scanner_info":   map[string]any{"openscap_version": "1.3.7", "profiles": []string{"cis"}},
		"install_events": []map[string]string{{"step": "apt", "status": "done", "message": "ok", "timestamp": "2025-01-01T00:00:00Z"}},
	}
	resp := e.do(&h, "POST", "/api/v1/hosts/integration-status", body)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	body["status"] = "ready"
	require.Equal(t, http.StatusOK, e.do(&h, "POST", "/api/v1/hosts/integration-status", body).status)

	var (
		status     string
		components map[string]string
		scanner    map[string]any
	)
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT status, components, scanner_info FROM host_integration_status WHERE host_id = $1 AND integration = 'compliance'`, h.id).
		Scan(&status, &components, &scanner))
	assert.Equal(t, "ready", status)
	assert.Equal(t, "ready", components["ssg"])
	assert.Equal(t, "1.3.7", scanner["openscap_version"])

	body["status"] = "exploded"
	resp = e.do(&h, "POST", "/api/v1/hosts/integration-status", body)
	assert.Equal(t, http.StatusBadRequest, resp.status, "%s", resp.body)
	assert.Contains(t, resp.json(t)["error"], "status")
}

func TestInvalidJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	for _, path := range []string{"/api/v1/hosts/update", "/api/v1/hosts/ping"} {
		resp := e.do(&h, "POST", path, `{"packages": [`)
		assert.Equal(t, http.StatusBadRequest, resp.status, path)
		assert.NotEmpty(t, resp.json(t)["error"])
	}
	resp := e.do(&h, "POST", "/api/v1/hosts/update", `[1, 2]`)
	assert.Equal(t, http.StatusBadRequest, resp.status, "%s", resp.body)
	assert.Zero(t, e.count(`SELECT count(*) FROM update_history`))
}
