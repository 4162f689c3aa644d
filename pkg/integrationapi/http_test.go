package integrationapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

type obj = map[string]any

// env is a running server with a fleet of three hosts:
//
//	web    web-server-01, groups Production and Web Servers, Ubuntu, reported: nginx (update),
//	       openssl (security update), curl (current), two repositories
//	db     db-01, group Development, Debian, reported: libssl3 (security update)
//	fresh  pending-01, no group, never reported
type env struct {
	url                  string
	admin                authtest.Session
	pool                 *pgxpool.Pool
	web, db, fresh       string
	production, dev, www string
}

// token is a created credential.
type token struct {
	ID, Key, Secret string
}

func (tk token) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(tk.Key+":"+tk.Secret))
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
	e := &env{url: srv.URL, admin: authtest.Setup(t, srv.URL), pool: pool}
	e.production = e.group(t, "Production")
	e.dev = e.group(t, "Development")
	e.www = e.group(t, "Web Servers")

	e.web = e.host(t, "web-server-01", []string{e.production, e.www}, &agentproto.Report{
		OSType: "Ubuntu", OSVersion: "24.04 LTS", Hostname: "web01.example.com", IP: "192.168.1.100",
		Architecture: "x86_64", AgentVersion: "1.4.0", MachineID: "abc123def456",
		KernelVersion: "6.8.0-45-generic", InstalledKernelVersion: "6.8.0-50-generic", SELinuxStatus: "disabled",
		SystemUptime: "15 days, 3:22:10", LoadAverage: []float64{0.5, 0.3, 0.2}, CPUModel: "Intel Xeon E5-2680 v4",
		CPUCores: 4, RAMInstalled: 8, SwapSize: 2,
		DiskDetails: []agentproto.DiskDetail{{Name: "/dev/sda1", Size: "50G", MountPoint: "/"}},
		GatewayIP:   "192.168.1.1", DNSServers: []string{"8.8.8.8", "8.8.4.4"},
		NetworkInterfaces: []agentproto.NetworkInterface{
			{Name: "eth0", Type: "ethernet", MACAddress: "00:11:22:33:44:55", Status: "up", Addresses: []agentproto.InterfaceAddress{
				{Address: "fe80::211:22ff:fe33:4455", Family: "inet6", Netmask: "/64"},
				{Address: "192.168.1.100", Family: "inet", Netmask: "/24", Gateway: "192.168.1.1"}}},
			{Name: "lo", Type: "loopback", Addresses: []agentproto.InterfaceAddress{{Address: "127.0.0.1", Family: "inet", Netmask: "/8"}}},
		},
		ExecutionTime: 4.2, NeedsReboot: true, RebootReason: "Kernel update pending", PackageManager: "apt",
		Packages: []agentproto.Package{
			{Name: "nginx", Description: "High performance web server", Category: "web", CurrentVersion: "1.18.0-0ubuntu1.5",
				AvailableVersion: "1.24.0-2ubuntu1", NeedsUpdate: true},
			{Name: "openssl", Description: "Secure Sockets Layer toolkit", Category: "security", CurrentVersion: "3.0.2-0ubuntu1.14",
				AvailableVersion: "3.0.2-0ubuntu1.18", NeedsUpdate: true, IsSecurityUpdate: true},
			{Name: "curl", Description: "command line tool for transferring data", Category: "web", CurrentVersion: "8.5.0-2ubuntu10"},
		},
		Repositories: []agentproto.Repository{
			{Name: "noble", URL: "http://archive.ubuntu.com/ubuntu", Distribution: "noble", Components: "main", RepoType: "deb", IsEnabled: true},
			{Name: "noble-security", URL: "http://security.ubuntu.com/ubuntu", Distribution: "noble-security", Components: "main", RepoType: "deb", IsEnabled: true, IsSecure: true},
		},
	})
	e.db = e.host(t, "db-01", []string{e.dev}, &agentproto.Report{
		OSType: "Debian", OSVersion: "12", Hostname: "db01.example.com", IP: "192.168.1.50", Architecture: "x86_64",
		AgentVersion: "1.4.0", MachineID: "db01machine", KernelVersion: "6.1.0-21-amd64", LoadAverage: []float64{1, 1, 1},
		Packages: []agentproto.Package{
			{Name: "libssl3", Category: "libs", CurrentVersion: "3.0.11-1", AvailableVersion: "3.0.13-1", NeedsUpdate: true, IsSecurityUpdate: true},
			{Name: "curl", CurrentVersion: "7.88.1-10"},
		},
		Repositories: []agentproto.Repository{{Name: "bookworm", URL: "http://deb.debian.org/debian", Distribution: "bookworm", Components: "main", RepoType: "deb", IsEnabled: true}},
	})
	e.fresh = e.host(t, "pending-01", nil, nil)
	return e
}

func (e *env) group(t *testing.T, name string) string {
	t.Helper()
	var id string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`INSERT INTO host_groups (name, color) VALUES ($1, '#10B981') RETURNING id`, name).Scan(&id))
	return id
}

// host creates a host as an administrator would and, when r is given, sends r as its
// agent's report.
func (e *env) host(t *testing.T, name string, groups []string, r *agentproto.Report) string {
	t.Helper()
	if groups == nil {
		groups = []string{}
	}
	status, out := e.call(t, http.MethodPost, "/api/v1/hosts", e.admin.Header(), obj{"friendly_name": name, "hostGroupIds": groups})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	id := out["hostId"].(string)
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
	return id
}

// token creates a credential of integration type typ through the admin API.
func (e *env) token(t *testing.T, typ string, sc obj, extra obj) token {
	t.Helper()
	body := obj{"token_name": typ + " " + time.Now().Format(time.RFC3339Nano), "metadata": obj{"integration_type": typ}}
	if sc != nil {
		body["scopes"] = sc
	}
	for k, v := range extra {
		body[k] = v
	}
	status, out := e.call(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", e.admin.Header(), body)
	require.Equal(t, http.StatusCreated, status, "%v", out)
	tok := out["token"].(obj)
	return token{ID: tok["id"].(string), Key: tok["token_key"].(string), Secret: tok["token_secret"].(string)}
}

// call sends a request with an Authorization header and decodes the JSON answer.
func (e *env) call(t *testing.T, method, path, authorization string, body any) (int, obj) {
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
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out obj
	require.Contains(t, res.Header.Get("Content-Type"), "application/json", "%s %s: %s", method, path, b)
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return res.StatusCode, out
}

// get calls an endpoint that must answer 200 and decodes it into out.
func (e *env) get(t *testing.T, path string, tk token, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", tk.basic())
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "GET %s: %s", path, b)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // the answer has exactly the documented shape
	require.NoError(t, dec.Decode(out), "GET %s: %s", path, b)
}

func names(hosts []openapi.IntegrationHost) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.FriendlyName)
	}
	sort.Strings(out)
	return out
}

func TestListHosts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tk := e.token(t, "api", obj{"host": []string{"get"}}, nil)

	var list openapi.IntegrationHostList
	e.get(t, "/api/v1/api/hosts", tk, &list)
	assert.Equal(t, 3, list.Total)
	assert.Equal(t, []string{"db-01", "pending-01", "web-server-01"}, names(list.Hosts))
	assert.Nil(t, list.FilteredByGroups, "filtered_by_groups only appears when filtering")
	var web openapi.IntegrationHost
	for _, h := range list.Hosts {
		if h.FriendlyName == "web-server-01" {
			web = h
		}
		assert.Nil(t, h.UpdatesCount, "stats only with include=stats")
		assert.Nil(t, h.OsType)
	}
	assert.Equal(t, e.web, web.Id.String())
	assert.Equal(t, "web01.example.com", *web.Hostname)
	assert.Equal(t, "192.168.1.100", *web.Ip)
	require.Len(t, web.HostGroups, 2)
	assert.Equal(t, "Production", web.HostGroups[0].Name)
	assert.Equal(t, e.production, web.HostGroups[0].Id.String())
	assert.Equal(t, "Web Servers", web.HostGroups[1].Name)

	// The raw JSON has no stats keys at all without include=stats.
	_, raw := e.call(t, http.MethodGet, "/api/v1/api/hosts", tk.basic(), nil)
	h0 := raw["hosts"].([]any)[0].(obj)
	assert.ElementsMatch(t, []string{"id", "friendly_name", "hostname", "ip", "host_groups"}, keys(h0))
	assert.NotContains(t, raw, "filtered_by_groups")

	for _, tc := range []struct {
		query string
		want  []string
		given []string
	}{
		{"hostgroup=Production", []string{"web-server-01"}, []string{"Production"}},
		{"hostgroup=Production,Development", []string{"db-01", "web-server-01"}, []string{"Production", "Development"}},
		{"hostgroup=" + e.dev, []string{"db-01"}, []string{e.dev}},
		{"hostgroup=Production," + e.dev, []string{"db-01", "web-server-01"}, []string{"Production", e.dev}},
		{"hostgroup=Web%20Servers", []string{"web-server-01"}, []string{"Web Servers"}},
		{"hostgroup=Production,Web%20Servers", []string{"web-server-01"}, []string{"Production", "Web Servers"}},
		{"hostgroup=production", nil, []string{"production"}}, // names are case-sensitive
		{"hostgroup=Nope", nil, []string{"Nope"}},
	} {
		var got openapi.IntegrationHostList
		e.get(t, "/api/v1/api/hosts?"+tc.query, tk, &got)
		assert.Equal(t, tc.want, names(got.Hosts), tc.query)
		assert.Equal(t, len(tc.want), got.Total, tc.query)
		require.NotNil(t, got.FilteredByGroups, tc.query)
		assert.Equal(t, tc.given, *got.FilteredByGroups, tc.query)
	}

	var stats openapi.IntegrationHostList
	e.get(t, "/api/v1/api/hosts?hostgroup=Production&include=stats", tk, &stats)
	require.Len(t, stats.Hosts, 1)
	s := stats.Hosts[0]
	assert.Equal(t, "Ubuntu", *s.OsType)
	assert.Equal(t, "24.04 LTS", *s.OsVersion)
	assert.Equal(t, openapi.IntegrationHostStatus("active"), *s.Status)
	assert.True(t, *s.NeedsReboot)
	assert.Equal(t, 2, *s.UpdatesCount)
	assert.Equal(t, 1, *s.SecurityUpdatesCount)
	assert.Equal(t, 3, *s.TotalPackages)
	require.NotNil(t, s.LastUpdate)
	assert.WithinDuration(t, time.Now(), *s.LastUpdate, time.Hour)

	e.get(t, "/api/v1/api/hosts?include=stats", tk, &stats)
	for _, h := range stats.Hosts {
		if h.FriendlyName == "pending-01" {
			assert.Equal(t, openapi.IntegrationHostStatus("pending"), *h.Status)
			assert.Equal(t, 0, *h.TotalPackages)
			assert.Nil(t, h.Hostname)
		}
	}
}

func keys(m obj) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestHostEndpoints(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tk := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	base := "/api/v1/api/hosts/" + e.web

	var stats openapi.IntegrationHostStats
	e.get(t, base+"/stats", tk, &stats)
	assert.Equal(t, openapi.IntegrationHostStats{HostId: stats.HostId, TotalInstalledPackages: 3, OutdatedPackages: 2,
		SecurityUpdates: 1, TotalRepos: 2}, stats)
	assert.Equal(t, e.web, stats.HostId.String())

	var info openapi.IntegrationHostInfo
	e.get(t, base+"/info", tk, &info)
	assert.Equal(t, "abc123def456", *info.MachineId)
	assert.Equal(t, "web-server-01", info.FriendlyName)
	assert.Equal(t, "web01.example.com", *info.Hostname)
	assert.Equal(t, "192.168.1.100", *info.Ip)
	assert.Equal(t, "Ubuntu", *info.OsType)
	assert.Equal(t, "24.04 LTS", *info.OsVersion)
	assert.Equal(t, "1.4.0", *info.AgentVersion)
	require.Len(t, info.HostGroups, 2)
	assert.Equal(t, "Production", info.HostGroups[0].Name)

	var network openapi.IntegrationHostNetwork
	e.get(t, base+"/network", tk, &network)
	assert.Equal(t, "192.168.1.100", *network.Ip)
	assert.Equal(t, "192.168.1.1", *network.GatewayIp)
	assert.Equal(t, []string{"8.8.8.8", "8.8.4.4"}, network.DnsServers)
	require.Len(t, network.NetworkInterfaces, 2)
	eth0 := network.NetworkInterfaces[0]
	assert.Equal(t, "eth0", eth0.Name)
	assert.Equal(t, "192.168.1.100", *eth0.Ip, "the IPv4 address, not the first (link-local IPv6) one")
	assert.Equal(t, "00:11:22:33:44:55", *eth0.Mac)
	assert.Nil(t, network.NetworkInterfaces[1].Mac)

	var system openapi.IntegrationHostSystem
	e.get(t, base+"/system", tk, &system)
	assert.Equal(t, "x86_64", *system.Architecture)
	assert.Equal(t, "6.8.0-45-generic", *system.KernelVersion)
	assert.Equal(t, "6.8.0-50-generic", *system.InstalledKernelVersion)
	assert.Equal(t, "disabled", *system.SelinuxStatus)
	assert.Equal(t, "15 days, 3:22:10", *system.SystemUptime)
	assert.Equal(t, "Intel Xeon E5-2680 v4", *system.CpuModel)
	assert.Equal(t, 4, *system.CpuCores)
	assert.Equal(t, "8192 MB", *system.RamInstalled)
	assert.Equal(t, "2048 MB", *system.SwapSize)
	require.NotNil(t, system.LoadAverage)
	assert.InDelta(t, 0.5, system.LoadAverage.N1min, 1e-6)
	assert.InDelta(t, 0.3, system.LoadAverage.N5min, 1e-6)
	assert.InDelta(t, 0.2, system.LoadAverage.N15min, 1e-6)
	require.Len(t, system.DiskDetails, 1)
	assert.Equal(t, "/dev/sda1", system.DiskDetails[0].Filesystem)
	assert.Equal(t, "50G", system.DiskDetails[0].Size)
	assert.Equal(t, "/", system.DiskDetails[0].MountedOn)
	assert.True(t, system.NeedsReboot)
	assert.Equal(t, "Kernel update pending", *system.RebootReason)
	_, raw := e.call(t, http.MethodGet, base+"/system", tk.basic(), nil)
	assert.Equal(t, obj{"1min": 0.5, "5min": 0.3, "15min": 0.2}, raw["load_average"], "documented keys and values")

	var pkgs openapi.IntegrationHostPackages
	e.get(t, base+"/packages", tk, &pkgs)
	assert.Equal(t, e.web, pkgs.Host.Id.String())
	assert.Equal(t, "web-server-01", pkgs.Host.FriendlyName)
	assert.Equal(t, "web01.example.com", *pkgs.Host.Hostname)
	require.Equal(t, 3, pkgs.Total)
	var order []string
	for _, p := range pkgs.Packages {
		order = append(order, p.Name)
	}
	assert.Equal(t, []string{"openssl", "nginx", "curl"}, order, "security updates first, then updates")
	ssl := pkgs.Packages[0]
	assert.Equal(t, "Secure Sockets Layer toolkit", ssl.Description)
	assert.Equal(t, "security", ssl.Category)
	assert.Equal(t, "3.0.2-0ubuntu1.14", ssl.CurrentVersion)
	assert.Equal(t, "3.0.2-0ubuntu1.18", *ssl.AvailableVersion)
	assert.True(t, ssl.NeedsUpdate)
	assert.True(t, ssl.IsSecurityUpdate)
	assert.WithinDuration(t, time.Now(), ssl.LastChecked, time.Hour)
	assert.Nil(t, pkgs.Packages[2].AvailableVersion, "null when up to date")
	assert.NotEqual(t, pkgs.Packages[0].Id, pkgs.Packages[1].Id)
	var again openapi.IntegrationHostPackages
	e.get(t, base+"/packages?updates_only=true", tk, &again)
	assert.Equal(t, 2, again.Total)
	assert.Equal(t, ssl.Id, again.Packages[0].Id, "record ids are stable")

	var reports openapi.IntegrationPackageReports
	e.get(t, base+"/package_reports", tk, &reports)
	assert.Equal(t, e.web, reports.HostId.String())
	require.Equal(t, 1, reports.Total)
	r := reports.Reports[0]
	assert.Equal(t, openapi.IntegrationPackageReportsReportsStatus("success"), r.Status)
	assert.Equal(t, 3, r.TotalPackages)
	assert.Equal(t, 2, r.OutdatedPackages)
	assert.Equal(t, 1, r.SecurityUpdates)
	assert.Greater(t, r.PayloadKb, float32(0))
	assert.InDelta(t, 4.2, *r.ExecutionTimeSeconds, 1e-6)
	assert.Nil(t, r.ErrorMessage)
	_, _ = e.pool.Exec(context.Background(), `INSERT INTO update_history (host_id, report_type, status, error_message, created_at)
		VALUES ($1, 'full', 'error', 'invalid report', now() - interval '1 day'), ($1, 'ping', 'success', NULL, now())`, e.web)
	e.get(t, base+"/package_reports?limit=5", tk, &reports)
	require.Equal(t, 2, reports.Total, "check-ins are not package reports")
	assert.Equal(t, "invalid report", *reports.Reports[1].ErrorMessage)
	e.get(t, base+"/package_reports?limit=1", tk, &reports)
	assert.Equal(t, 1, reports.Total)
	status, out := e.call(t, http.MethodGet, base+"/package_reports?limit=0", tk.basic(), nil)
	assert.Equal(t, http.StatusBadRequest, status, "%v", out)

	// Jobs of the queue that name the host.
	_, err := e.pool.Exec(context.Background(), `
INSERT INTO river_job (args, kind, max_attempts, state, attempt, finalized_at, errors, metadata, created_at) VALUES
 (jsonb_build_object('host_id', $1::text), 'package_update', 5, 'completed', 1, now(), NULL, '{"output": "3 packages upgraded"}', now() - interval '2 minutes'),
 (jsonb_build_object('host_id', $1::text), 'report_now', 5, 'discarded', 5, now(), ARRAY['{"error": "agent offline", "attempt": 5}'::jsonb], '{}', now() - interval '1 minute'),
 (jsonb_build_object('host_id', $1::text), 'update_agent', 5, 'available', 0, NULL, NULL, '{}', now()),
 (jsonb_build_object('host_id', $2::text), 'report_now', 5, 'available', 0, NULL, NULL, '{}', now())`, e.web, e.db)
	require.NoError(t, err)
	var q openapi.IntegrationAgentQueue
	e.get(t, base+"/agent_queue", tk, &q)
	assert.Equal(t, e.web, q.HostId.String())
	assert.Equal(t, 1, q.QueueStatus.Waiting)
	assert.Equal(t, 0, q.QueueStatus.Active)
	assert.Equal(t, 0, q.QueueStatus.Delayed)
	assert.Equal(t, 1, q.QueueStatus.Failed)
	require.Equal(t, 3, q.TotalJobs)
	assert.Equal(t, "update_agent", q.JobHistory[0].JobName)
	assert.Equal(t, openapi.IntegrationAgentQueueJobHistoryStatus("waiting"), q.JobHistory[0].Status)
	assert.Nil(t, q.JobHistory[0].CompletedAt)
	assert.Equal(t, openapi.IntegrationAgentQueueJobHistoryStatus("failed"), q.JobHistory[1].Status)
	assert.Equal(t, "agent offline", *q.JobHistory[1].ErrorMessage)
	assert.Equal(t, 5, q.JobHistory[1].Attempt)
	assert.Equal(t, openapi.IntegrationAgentQueueJobHistoryStatus("completed"), q.JobHistory[2].Status)
	assert.Equal(t, "3 packages upgraded", q.JobHistory[2].Output)
	assert.NotNil(t, q.JobHistory[2].CompletedAt)
	assert.Equal(t, q.JobHistory[2].Id, q.JobHistory[2].JobId)
	e.get(t, base+"/agent_queue?limit=1", tk, &q)
	assert.Equal(t, 1, q.TotalJobs)
	assert.Equal(t, 1, q.QueueStatus.Failed, "the counters cover the whole queue")

	_, err = e.pool.Exec(context.Background(), `UPDATE hosts SET notes = 'Production web server.' WHERE id = $1`, e.web)
	require.NoError(t, err)
	var notes openapi.IntegrationHostNotes
	e.get(t, base+"/notes", tk, &notes)
	assert.Equal(t, "Production web server.", notes.Notes)

	var integ openapi.IntegrationHostIntegrations
	e.get(t, base+"/integrations", tk, &integ)
	assert.False(t, integ.Integrations.Docker.Enabled)
	assert.Equal(t, "Monitor Docker containers, images, volumes, and networks. Collects real-time container status events.",
		integ.Integrations.Docker.Description)
	_, err = e.pool.Exec(context.Background(), `UPDATE hosts SET docker_enabled = true WHERE id = $1`, e.web)
	require.NoError(t, err)
	e.get(t, base+"/integrations", tk, &integ)
	assert.True(t, integ.Integrations.Docker.Enabled)

	// A host that never reported has empty, not missing, collections.
	var fresh openapi.IntegrationHostNetwork
	e.get(t, "/api/v1/api/hosts/"+e.fresh+"/network", tk, &fresh)
	assert.Empty(t, fresh.DnsServers)
	assert.Empty(t, fresh.NetworkInterfaces)
	assert.Nil(t, fresh.Ip)
	var freshSys openapi.IntegrationHostSystem
	e.get(t, "/api/v1/api/hosts/"+e.fresh+"/system", tk, &freshSys)
	assert.Nil(t, freshSys.LoadAverage)
	assert.Empty(t, freshSys.DiskDetails)

	for _, sub := range []string{"stats", "info", "network", "system", "packages", "package_reports", "agent_queue", "notes", "integrations"} {
		for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid"} {
			status, out := e.call(t, http.MethodGet, "/api/v1/api/hosts/"+id+"/"+sub, tk.basic(), nil)
			assert.Equal(t, http.StatusNotFound, status, "%s %s", sub, id)
			assert.Equal(t, "Host not found", out["error"], "%s %s", sub, id)
		}
	}
}

func TestDeleteHost(t *testing.T) {
	t.Parallel()
	e := setup(t)
	reader := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	deleter := e.token(t, "api", obj{"host": []string{"delete"}}, nil)

	status, out := e.call(t, http.MethodDelete, "/api/v1/api/hosts/"+e.web, reader.basic(), nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, obj{"error": "Access denied", "message": "This API key does not have permission to delete host",
		"code": "api_scope_no_permission"}, out)

	status, out = e.call(t, http.MethodDelete, "/api/v1/api/hosts/"+e.web, deleter.basic(), nil)
	require.Equal(t, http.StatusOK, status, "%v", out)
	assert.Equal(t, obj{"message": "Host deleted successfully", "deleted": obj{"id": e.web, "friendly_name": "web-server-01",
		"hostname": "web01.example.com"}}, out)
	var left int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM hosts WHERE id = $1) + (SELECT count(*) FROM host_packages WHERE host_id = $1) +
		(SELECT count(*) FROM host_group_memberships WHERE host_id = $1) + (SELECT count(*) FROM update_history WHERE host_id = $1)`,
		e.web).Scan(&left))
	assert.Zero(t, left, "the host and its related rows are gone")
	var audited int
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE event = 'host.deleted' AND target_id = $1`, e.web).Scan(&audited))
	assert.Equal(t, 1, audited)

	status, out = e.call(t, http.MethodDelete, "/api/v1/api/hosts/"+e.web, deleter.basic(), nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "Host not found", out["error"])
	status, out = e.call(t, http.MethodDelete, "/api/v1/api/hosts/web-server-01", deleter.basic(), nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "Invalid host ID format", out["error"])

	// Reading needs host:get: the delete-only credential cannot list.
	status, out = e.call(t, http.MethodGet, "/api/v1/api/hosts", deleter.basic(), nil)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "This API key does not have permission to get host", out["message"])
}

// TestAuthenticationErrors walks the documented validation order with its messages.
func TestAuthenticationErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	good := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	disabled := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	expired := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	fenced := e.token(t, "api", obj{"host": []string{"get"}}, obj{"allowed_ip_ranges": []string{"10.0.0.0/8", "192.0.2.7"}})
	open := e.token(t, "api", obj{"host": []string{"get"}}, obj{"allowed_ip_ranges": []string{"127.0.0.0/8"}})
	packagesOnly := e.token(t, "api", obj{"package": []string{"get"}}, nil)
	homepage := e.token(t, "gethomepage", nil, nil)
	enroll := e.token(t, "proxmox-lxc", nil, nil)
	status, _ := e.call(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+disabled.ID, e.admin.Header(), obj{"is_active": false})
	require.Equal(t, http.StatusOK, status)
	_, err := e.pool.Exec(context.Background(), `UPDATE auto_enrollment_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, expired.ID)
	require.NoError(t, err)

	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, authorization string
		status              int
		msg                 string
	}{
		{"no header", "", 401, "Missing or invalid authorization header"},
		{"bearer", "Bearer " + good.Key, 401, "Missing or invalid authorization header"},
		{"not base64", "Basic %%%", 401, "Invalid credentials format"},
		{"no colon", b64(good.Key + good.Secret), 401, "Invalid credentials format"},
		{"unknown key", b64("patchmon_ae_nosuchkey:" + good.Secret), 401, "Invalid API key"},
		{"disabled", disabled.basic(), 401, "API key is disabled"},
		{"disabled, wrong secret", b64(disabled.Key + ":wrong"), 401, "API key is disabled"},
		{"expired", expired.basic(), 401, "API key has expired"},
		{"expired, wrong secret", b64(expired.Key + ":wrong"), 401, "API key has expired"},
		{"gethomepage token", homepage.basic(), 401, "Invalid API key type"},
		{"enrollment token", enroll.basic(), 401, "Invalid API key type"},
		{"wrong type before wrong secret", b64(homepage.Key + ":wrong"), 401, "Invalid API key type"},
		{"wrong secret", b64(good.Key + ":wrong"), 401, "Invalid API secret"},
		{"ip not allowed", fenced.basic(), 403, "IP address not allowed"},
		{"ip not allowed before scope", b64(fenced.Key + ":" + fenced.Secret), 403, "IP address not allowed"},
		{"resource not granted", packagesOnly.basic(), 403, "Access denied"},
	} {
		status, out := e.call(t, http.MethodGet, "/api/v1/api/hosts", tc.authorization, nil)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.msg, out["error"], tc.name)
	}
	_, out := e.call(t, http.MethodGet, "/api/v1/api/hosts", packagesOnly.basic(), nil)
	assert.Equal(t, "This API key does not have access to host", out["message"])

	var before *time.Time
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT last_used_at FROM auto_enrollment_tokens WHERE id = $1`, open.ID).Scan(&before))
	assert.Nil(t, before)
	var list openapi.IntegrationHostList
	e.get(t, "/api/v1/api/hosts", open, &list)
	assert.Equal(t, 3, list.Total)
	var after *time.Time
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT last_used_at FROM auto_enrollment_tokens WHERE id = $1`, open.ID).Scan(&after))
	require.NotNil(t, after, "a successful request records last_used_at")

	// GetHomepage answers with the same messages for its own type.
	for _, tc := range []struct {
		name, authorization string
		status              int
		msg                 string
	}{
		{"no header", "", 401, "Missing or invalid authorization header"},
		{"api token", good.basic(), 401, "Invalid API key type"},
		{"wrong secret", b64(homepage.Key + ":nope"), 401, "Invalid API secret"},
	} {
		status, out := e.call(t, http.MethodGet, "/api/v1/gethomepage/stats", tc.authorization, nil)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.msg, out["error"], tc.name)
	}
}

// TestScopesPerAction checks every Integration API operation of the spec against
// credentials without the resource, with the resource but another action, and with the
// exact scope.
func TestScopesPerAction(t *testing.T) {
	t.Parallel()
	e := setup(t)
	doc, err := openapi.LoadSpec()
	require.NoError(t, err)
	actions := map[string][]string{"host": {"get", "put", "patch", "update", "delete"}, "package": {"get"}, "host_group": {"get"}, "compliance": {"get"}}
	tokens := map[string]token{}
	tokenFor := func(sc obj) token {
		b, _ := json.Marshal(sc)
		if tk, ok := tokens[string(b)]; ok {
			return tk
		}
		tk := e.token(t, "api", sc, nil)
		tokens[string(b)] = tk
		return tk
	}
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-permission"] != "api" {
				continue
			}
			scope, _ := op.Extensions["x-scope"].(string)
			res, act, ok := strings.Cut(scope, ":")
			require.True(t, ok, "%s %s has x-scope %q", method, path, scope)
			// A host that exists, so granted reads answer 200; deleting it happens last.
			u := strings.ReplaceAll(path, "{id}", e.db)
			if res == "package" {
				u = strings.ReplaceAll(path, "{id}", "00000000-0000-4000-8000-000000000000")
			}
			other := "compliance"
			status, out := e.call(t, method, u, tokenFor(obj{other: []string{"get"}}).basic(), nil)
			assert.Equal(t, http.StatusForbidden, status, "%s %s without %s", method, path, res)
			assert.Equal(t, "This API key does not have access to "+res, out["message"], "%s %s", method, path)
			for _, a := range actions[res] {
				if a == act {
					continue
				}
				status, out := e.call(t, method, u, tokenFor(obj{res: []string{a}}).basic(), nil)
				assert.Equal(t, http.StatusForbidden, status, "%s %s with %s:%s", method, path, res, a)
				assert.Equal(t, "This API key does not have permission to "+act+" "+res, out["message"], "%s %s", method, path)
			}
			if method == http.MethodDelete {
				continue
			}
			status, out = e.call(t, method, u, tokenFor(obj{res: []string{act}}).basic(), nil)
			assert.NotContains(t, []int{401, 403}, status, "%s %s with %s: %v", method, path, scope, out)
			checked++
		}
	}
	assert.GreaterOrEqual(t, checked, 13)
	status, out := e.call(t, http.MethodDelete, "/api/v1/api/hosts/"+e.db, tokenFor(obj{"host": []string{"delete"}}).basic(), nil)
	assert.Equal(t, http.StatusOK, status, "%v", out)
}

func TestScopeValidationOnTokens(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		scopes obj
		msg    string
	}{
		{obj{"*": []string{"get"}}, "Wildcard scopes are not allowed: grant each resource explicitly"},
		{obj{"host": []string{"*"}}, "Wildcard actions are not allowed: grant each action of host explicitly"},
		{obj{"hosts": []string{"get"}}, `Unknown scope resource "hosts" (known: host, package, host_group, compliance)`},
		{obj{"package": []string{"delete"}}, `Unknown action "delete" for scope package (allowed: get)`},
		{obj{}, "At least one scope is required for API credentials"},
	} {
		status, out := e.call(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", e.admin.Header(),
			obj{"token_name": "bad", "metadata": obj{"integration_type": "api"}, "scopes": tc.scopes})
		assert.Equal(t, http.StatusBadRequest, status, "%v", tc.scopes)
		assert.Equal(t, tc.msg, out["error"], "%v", tc.scopes)
		assert.Equal(t, "scopes", out["field"])
	}
	tk := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	status, out := e.call(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+tk.ID, e.admin.Header(), obj{"scopes": obj{"host": []string{"get", "destroy"}}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, `Unknown action "destroy" for scope host (allowed: get, put, patch, update, delete)`, out["error"])

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/api/v1/integrations/scopes", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", e.admin.Header())
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var cat []openapi.IntegrationScopeResource
	require.NoError(t, json.NewDecoder(res.Body).Decode(&cat))
	require.Len(t, cat, 4)
	assert.Equal(t, "host", cat[0].Name)
	assert.Len(t, cat[0].Actions, 5)
}

func TestFleetReadEndpoints(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tk := e.token(t, "api", obj{"package": []string{"get"}, "host_group": []string{"get"}}, nil)

	var list openapi.IntegrationPackageList
	e.get(t, "/api/v1/api/packages", tk, &list)
	assert.Equal(t, 4, list.Total)
	assert.Equal(t, 100, list.Limit)
	var pnames []string
	var curlID, sslID string
	for _, p := range list.Packages {
		pnames = append(pnames, p.Name)
		switch p.Name {
		case "curl":
			curlID = p.Id.String()
			assert.Equal(t, 2, p.HostsCount)
			assert.Equal(t, 0, p.OutdatedHostsCount)
		case "openssl":
			sslID = p.Id.String()
			assert.Equal(t, 1, p.SecurityHostsCount)
		}
	}
	assert.Equal(t, []string{"curl", "libssl3", "nginx", "openssl"}, pnames)
	e.get(t, "/api/v1/api/packages?updates_only=true", tk, &list)
	assert.Equal(t, 3, list.Total)
	e.get(t, "/api/v1/api/packages?security_only=true", tk, &list)
	assert.Equal(t, 2, list.Total)
	e.get(t, "/api/v1/api/packages?search=SSL", tk, &list)
	assert.Equal(t, 2, list.Total)
	e.get(t, "/api/v1/api/packages?search=%25", tk, &list)
	assert.Equal(t, 0, list.Total, "LIKE wildcards match literally")
	e.get(t, "/api/v1/api/packages?limit=1&offset=3", tk, &list)
	assert.Equal(t, 4, list.Total)
	require.Len(t, list.Packages, 1)
	assert.Equal(t, "openssl", list.Packages[0].Name)
	e.get(t, "/api/v1/api/packages?limit=1&offset=10", tk, &list)
	assert.Equal(t, 4, list.Total, "the total is known past the last page")
	assert.Empty(t, list.Packages)

	var ph openapi.IntegrationPackageHosts
	e.get(t, "/api/v1/api/packages/"+curlID+"/hosts", tk, &ph)
	assert.Equal(t, "curl", ph.Package.Name)
	assert.Equal(t, 2, ph.Total)
	e.get(t, "/api/v1/api/packages/"+sslID+"/hosts?updates_only=true", tk, &ph)
	require.Equal(t, 1, ph.Total)
	assert.Equal(t, "web-server-01", ph.Hosts[0].FriendlyName)
	assert.Equal(t, "3.0.2-0ubuntu1.18", *ph.Hosts[0].AvailableVersion)
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "nope"} {
		status, out := e.call(t, http.MethodGet, "/api/v1/api/packages/"+id+"/hosts", tk.basic(), nil)
		assert.Equal(t, http.StatusNotFound, status)
		assert.Equal(t, "Package not found", out["error"])
	}

	var groups openapi.IntegrationHostGroupList
	e.get(t, "/api/v1/api/hostgroups", tk, &groups)
	require.Equal(t, 3, groups.Total)
	assert.Equal(t, "Development", groups.HostGroups[0].Name)
	assert.Equal(t, 1, groups.HostGroups[0].HostsCount)
	assert.Equal(t, "Web Servers", groups.HostGroups[2].Name)
	assert.Equal(t, "#10B981", groups.HostGroups[2].Color)

	// Administrators see the same list in the token editor.
	status, out := e.call(t, http.MethodGet, "/api/v1/integrations/host-groups", e.admin.Header(), nil)
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 3, out["total"])
}

func TestGetHomepage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tk := e.token(t, "gethomepage", nil, nil)
	// A third active host on Ubuntu and an offline one that does not count.
	_, err := e.pool.Exec(context.Background(), `
INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, os_type, os_version)
VALUES ('web-02', 'patchmon_w2', 'x', 'active', 'Ubuntu', '22.04'),
       ('old-01', 'patchmon_o1', 'x', 'offline', 'CentOS', '7')`)
	require.NoError(t, err)
	_, err = e.pool.Exec(context.Background(), `INSERT INTO update_history (host_id, report_type, status, created_at)
		VALUES ($1, 'full', 'success', now() - interval '2 days'), ($1, 'full', 'error', now()), ($1, 'ping', 'success', now())`, e.web)
	require.NoError(t, err)

	var st openapi.GetHomepageStats
	e.get(t, "/api/v1/gethomepage/stats", tk, &st)
	assert.Equal(t, 3, st.TotalHosts, "active hosts only")
	assert.Equal(t, 2, st.HostsNeedingUpdates)
	assert.Equal(t, 1, st.UpToDateHosts)
	assert.Equal(t, 3, st.TotalOutdatedPackages)
	assert.Equal(t, 2, st.SecurityUpdates)
	assert.Equal(t, 2, st.HostsWithSecurityUpdates)
	assert.Equal(t, 3, st.TotalRepos)
	assert.Equal(t, 2, st.RecentUpdates24h, "successful reports of the last day")
	assert.Equal(t, []openapi.GetHomepageOS{{Name: "Ubuntu", Count: 2}, {Name: "Debian", Count: 1}}, st.OsDistribution)
	assert.Equal(t, "Ubuntu", *st.TopOs1Name)
	assert.Equal(t, 2, st.TopOs1Count)
	assert.Equal(t, "Debian", *st.TopOs2Name)
	assert.Equal(t, 1, st.TopOs2Count)
	assert.Nil(t, st.TopOs3Name)
	assert.Equal(t, 0, st.TopOs3Count)
	assert.WithinDuration(t, time.Now(), st.LastUpdated, time.Minute)

	// Every documented field is present in the raw answer.
	_, raw := e.call(t, http.MethodGet, "/api/v1/gethomepage/stats", tk.basic(), nil)
	for _, f := range []string{"total_hosts", "total_outdated_packages", "total_repos", "hosts_needing_updates", "up_to_date_hosts",
		"security_updates", "hosts_with_security_updates", "recent_updates_24h", "os_distribution", "top_os_1_name",
		"top_os_1_count", "top_os_2_name", "top_os_2_count", "top_os_3_name", "top_os_3_count", "last_updated"} {
		assert.Contains(t, raw, f)
	}

	var h openapi.GetHomepageHealth
	e.get(t, "/api/v1/gethomepage/health", tk, &h)
	assert.Equal(t, "ok", h.Status)
	var name string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT token_name FROM auto_enrollment_tokens WHERE id = $1`, tk.ID).Scan(&name))
	assert.Equal(t, name, h.ApiKey)

	// An api credential is not a GetHomepage key, nor the reverse.
	api := e.token(t, "api", obj{"host": []string{"get"}}, nil)
	status, out := e.call(t, http.MethodGet, "/api/v1/gethomepage/health", api.basic(), nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "Invalid API key type", out["error"])
}
