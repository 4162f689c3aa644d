package inventory_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lxzan/gws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// hostsEnv is a whole server (the host endpoints need signed-in users and the agent hub)
// with a super admin, a read-only user and direct access to its database.
type hostsEnv struct {
	t        *testing.T
	srv      *patchmontest.Server
	pool     *pgxpool.Pool
	admin    authtest.Session
	readonly authtest.Session
}

func newHostsEnv(t *testing.T) *hostsEnv {
	t.Helper()
	cfg := patchmon.DefaultConfig()
	cfg.RateLimitMax, cfg.AuthRateLimitMax, cfg.AgentRateLimitMax = 1_000_000, 1_000_000, 1_000_000
	cfg.NodeEnv = "development"
	cfg.PasswordHashCost = 4
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	srv := patchmontest.NewServer(t, cfg)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	e := &hostsEnv{t: t, srv: srv, pool: pool, admin: authtest.Setup(t, srv.URL)}
	e.readonly = authtest.CreateUser(t, srv.URL, e.admin, users.RoleReadonly)
	return e
}

// call sends a JSON request as a user (or with extra headers) and returns the status and
// the decoded body.
func (e *hostsEnv) call(method, path string, as *authtest.Session, body any, header ...string) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if as != nil {
		req.Header.Set("Authorization", as.Header())
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	var m map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(e.t, json.Unmarshal(raw, &m), "%s", raw)
	}
	return res.StatusCode, m
}

// ok is call that must answer want.
func (e *hostsEnv) ok(want int, method, path string, body any) map[string]any {
	e.t.Helper()
	status, m := e.call(method, path, &e.admin, body)
	require.Equal(e.t, want, status, "%s %s: %v", method, path, m)
	return m
}

type createdHost struct {
	id            string
	apiID, apiKey string
	body          map[string]any
}

func (e *hostsEnv) createHost(name string, groups ...uuid.UUID) createdHost {
	e.t.Helper()
	body := map[string]any{"friendly_name": name}
	if len(groups) > 0 {
		body["hostGroupIds"] = groups
	}
	m := e.ok(http.StatusCreated, "POST", "/api/v1/hosts", body)
	return createdHost{id: m["hostId"].(string), apiID: m["apiId"].(string), apiKey: m["apiKey"].(string), body: m}
}

func (h createdHost) headers() []string {
	return []string{agentproto.HeaderAPIID, h.apiID, agentproto.HeaderAPIKey, h.apiKey}
}

func (e *hostsEnv) report(h createdHost, rep agentproto.Report) {
	e.t.Helper()
	status, m := e.call("POST", "/api/v1/hosts/update", nil, rep, h.headers()...)
	require.Equal(e.t, http.StatusOK, status, "report: %v", m)
}

func (e *hostsEnv) group(name string) uuid.UUID {
	e.t.Helper()
	var id uuid.UUID
	require.NoError(e.t, e.pool.QueryRow(context.Background(),
		`INSERT INTO host_groups (name, color) VALUES ($1, '#10B981') RETURNING id`, name).Scan(&id))
	return id
}

// names lists the friendly names of a host list answer, in order.
func names(m map[string]any) []string {
	var out []string
	for _, h := range m["hosts"].([]any) {
		out = append(out, h.(map[string]any)["friendlyName"].(string))
	}
	return out
}

// fleet is three hosts: web (Debian, updates incl. security, reboot needed, group prod),
// db (Ubuntu, no updates, groups prod and db) and new (pending, no group).
type fleet struct {
	web, db, pending createdHost
	prod, dbGroup    uuid.UUID
}

func (e *hostsEnv) fleet() fleet {
	e.t.Helper()
	var f fleet
	f.prod, f.dbGroup = e.group("Production"), e.group("Databases")
	f.web = e.createHost("web", f.prod)
	f.db = e.createHost("db", f.prod, f.dbGroup)
	f.pending = e.createHost("new")
	web := fullReport(packages(30, "w"))
	e.report(f.web, web)
	db := fullReport([]agentproto.Package{{Name: "postgresql", CurrentVersion: "16.1"}, {Name: "bash", CurrentVersion: "5.2"}})
	db.OSType, db.OSVersion, db.Hostname, db.IP, db.NeedsReboot, db.RebootReason = "Ubuntu", "24.04", "db-1.internal", "10.0.0.5", false, ""
	e.report(f.db, db)
	return f
}

func TestHostListSearchFiltersSortAndPages(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	f := e.fleet()

	list := func(query string) map[string]any {
		t.Helper()
		return e.ok(http.StatusOK, "GET", "/api/v1/hosts?"+query, nil)
	}
	all := list("")
	assert.Equal(t, []string{"db", "new", "web"}, names(all))
	assert.EqualValues(t, 3, all["total"])
	assert.Nil(t, all["facets"], "facets only when asked for")

	for q, want := range map[string][]string{
		"search=WE":                   {"web"},       // friendly name, any case
		"search=db-1.INTERNAL":        {"db"},        // hostname
		"search=192.0.2":              {"web"},       // IP address
		"search=%25":                  nil,           // LIKE wildcards are literal
		"group=" + f.prod.String():    {"db", "web"}, // group
		"group=" + f.dbGroup.String(): {"db"},
		"group=none":                  {"new"},
		"status=pending":              {"new"},
		"status=active":               {"db", "web"},
		"os=Ubuntu":                   {"db"},
		"needsUpdates=true":           {"web"},
		"securityUpdates=true":        {"web"},
		"rebootRequired=true":         {"web"},
		"status=active&os=Debian":     {"web"},
		"sort=updates&order=desc":     {"web", "db", "new"},
		"sort=name&order=desc":        {"web", "new", "db"},
		"sort=os":                     {"web", "db", "new"}, // Debian, Ubuntu, then hosts without an OS
		"sort=lastCheckin&order=desc": {"db", "web", "new"},
		"sort=security&order=desc":    {"web", "db", "new"},
		"sort=status":                 {"db", "web", "new"}, // active before pending
		"search=web&group=none":       nil,
	} {
		got := list(q)
		assert.Equal(t, want, names(got), q)
		assert.EqualValues(t, len(want), got["total"], q)
	}

	// Pages: a stable order with the total on every page, also past the end.
	p2 := list("pageSize=1&page=2")
	assert.Equal(t, []string{"new"}, names(p2))
	assert.EqualValues(t, 3, p2["total"])
	assert.EqualValues(t, 2, p2["page"])
	assert.EqualValues(t, 1, p2["pageSize"])
	past := list("pageSize=2&page=5")
	assert.Empty(t, past["hosts"])
	assert.EqualValues(t, 3, past["total"])

	// A row of the list.
	var web map[string]any
	for _, h := range all["hosts"].([]any) {
		if h.(map[string]any)["friendlyName"] == "web" {
			web = h.(map[string]any)
		}
	}
	assert.Equal(t, "active", web["status"])
	assert.Equal(t, "Debian", web["osType"])
	assert.Equal(t, "web-1.example.com", web["hostname"])
	assert.EqualValues(t, 30, web["totalPackages"])
	assert.EqualValues(t, 5, web["outdatedPackages"])
	assert.EqualValues(t, 2, web["securityUpdates"])
	assert.Equal(t, true, web["needsReboot"])
	assert.Equal(t, false, web["connected"])
	require.Len(t, web["groups"], 1)
	assert.Equal(t, "Production", web["groups"].([]any)[0].(map[string]any)["name"])

	// Facets: groups and operating systems with counts.
	fc := list("facets=true")["facets"].(map[string]any)
	assert.EqualValues(t, 1, fc["ungrouped"])
	groups := map[string]float64{}
	for _, g := range fc["groups"].([]any) {
		groups[g.(map[string]any)["name"].(string)] = g.(map[string]any)["hosts"].(float64)
	}
	assert.Equal(t, map[string]float64{"Production": 2, "Databases": 1}, groups)
	assert.Len(t, fc["osTypes"], 2)

	// Bad input names the parameter.
	for q, field := range map[string]string{"group=prod": "group"} {
		status, m := e.call("GET", "/api/v1/hosts?"+q, &e.admin, nil)
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Equal(t, field, m["field"], q)
	}
	for _, q := range []string{"pageSize=501", "page=0", "sort=ram", "status=gone", "order=up"} {
		status, _ := e.call("GET", "/api/v1/hosts?"+q, &e.admin, nil)
		assert.Equal(t, http.StatusBadRequest, status, q)
	}

	// Reading needs can_view_hosts, which every built-in role has.
	status, _ := e.call("GET", "/api/v1/hosts", &e.readonly, nil)
	assert.Equal(t, http.StatusOK, status)
	status, _ = e.call("GET", "/api/v1/hosts", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestHostDetailPackagesRepositoriesHistory(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	f := e.fleet()
	base := "/api/v1/hosts/" + f.web.id

	d := e.ok(http.StatusOK, "GET", base, nil)
	assert.Equal(t, "web", d["friendlyName"])
	assert.Equal(t, f.web.apiID, d["apiId"])
	assert.NotContains(t, d, "apiKey")
	assert.Equal(t, "6.1.0-18-amd64", d["kernelVersion"])
	assert.Equal(t, "Xeon", d["cpuModel"])
	assert.EqualValues(t, 4, d["cpuCores"])
	assert.Equal(t, "192.0.2.1", d["gatewayIp"])
	assert.Equal(t, []any{"192.0.2.53"}, d["dnsServers"])
	assert.Equal(t, "kernel update", d["rebootReason"])
	assert.EqualValues(t, 2, d["totalRepos"])
	assert.Equal(t, "apt", d["packageManager"])
	require.Len(t, d["diskDetails"], 1)
	assert.Equal(t, "/", d["diskDetails"].([]any)[0].(map[string]any)["mountpoint"])
	require.Len(t, d["networkInterfaces"], 1)
	assert.Equal(t, "eth0", d["networkInterfaces"].([]any)[0].(map[string]any)["name"])
	assert.Equal(t, map[string]any{"connected": false, "secure": false}, d["presence"])
	integ := d["integrations"].(map[string]any)
	assert.Equal(t, false, integ["docker"])
	assert.Equal(t, []any{}, integ["statuses"])
	assert.Len(t, d["groups"], 1)

	pending := e.ok(http.StatusOK, "GET", "/api/v1/hosts/"+f.pending.id, nil)
	assert.Equal(t, "pending", pending["status"])
	assert.Equal(t, []any{}, pending["diskDetails"])

	status, m := e.call("GET", "/api/v1/hosts/"+uuid.NewString(), &e.admin, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "host_not_found", m["code"])

	// Packages: security updates first, then updates, then the rest, by name.
	pk := e.ok(http.StatusOK, "GET", base+"/packages?pageSize=10", nil)
	assert.EqualValues(t, 30, pk["total"])
	var got []string
	for _, p := range pk["packages"].([]any) {
		got = append(got, p.(map[string]any)["name"].(string))
	}
	assert.Equal(t, []string{"wpkg-00000", "wpkg-00021", "wpkg-00007", "wpkg-00014", "wpkg-00028",
		"wpkg-00001", "wpkg-00002", "wpkg-00003", "wpkg-00004", "wpkg-00005"}, got)
	first := pk["packages"].([]any)[0].(map[string]any)
	assert.Equal(t, true, first["isSecurityUpdate"])
	assert.Equal(t, "1.0.1-1", first["availableVersion"])
	for q, total := range map[string]int{"updatesOnly=true": 5, "securityOnly=true": 2, "search=PKG-0001": 10,
		"search=number 21": 1, "search=_": 0, "updatesOnly=true&search=00014": 1} {
		got := e.ok(http.StatusOK, "GET", base+"/packages?"+strings.ReplaceAll(q, " ", "%20"), nil)
		assert.EqualValues(t, total, got["total"], q)
	}
	last := e.ok(http.StatusOK, "GET", base+"/packages?pageSize=10&page=3", nil)
	assert.Len(t, last["packages"], 10)
	past := e.ok(http.StatusOK, "GET", base+"/packages?pageSize=10&page=4", nil)
	assert.Empty(t, past["packages"])
	assert.EqualValues(t, 30, past["total"])
	status, _ = e.call("GET", "/api/v1/hosts/"+uuid.NewString()+"/packages", &e.admin, nil)
	assert.Equal(t, http.StatusNotFound, status)

	repos := e.ok(http.StatusOK, "GET", base+"/repositories", nil)["repositories"].([]any)
	require.Len(t, repos, 2)
	assert.Equal(t, "debian", repos[0].(map[string]any)["name"])
	assert.Equal(t, true, repos[1].(map[string]any)["isSecure"])
	assert.Equal(t, []any{}, e.ok(http.StatusOK, "GET", "/api/v1/hosts/"+f.pending.id+"/repositories", nil)["repositories"])

	// History: one row per report, newest first, paginated.
	second := fullReport(packages(31, "w"))
	e.report(f.web, second)
	h := e.ok(http.StatusOK, "GET", base+"/history?pageSize=1", nil)
	assert.EqualValues(t, 2, h["total"])
	require.Len(t, h["history"], 1)
	newest := h["history"].([]any)[0].(map[string]any)
	assert.Equal(t, "full", newest["reportType"])
	assert.EqualValues(t, 31, newest["totalPackages"])
	assert.Equal(t, "success", newest["status"])
	older := e.ok(http.StatusOK, "GET", base+"/history?pageSize=1&page=2", nil)["history"].([]any)
	assert.EqualValues(t, 30, older[0].(map[string]any)["totalPackages"])
}

func TestUpdateHost(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	f := e.fleet()
	path := "/api/v1/hosts/" + f.db.id

	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"friendlyName": "   "}, "friendlyName"},
		{map[string]any{"friendlyName": strings.Repeat("x", 256)}, "friendlyName"},
		{map[string]any{"notes": strings.Repeat("n", 10001)}, "notes"},
		{map[string]any{"groupIds": []string{uuid.NewString()}}, "groupIds"},
	} {
		status, m := e.call("PATCH", path, &e.admin, c.body)
		assert.Equal(t, http.StatusBadRequest, status, "%v", c.body)
		assert.Equal(t, c.field, m["field"], "%v", c.body)
	}
	// Nothing of a rejected request was written.
	assert.Equal(t, "db", e.ok(http.StatusOK, "GET", path, nil)["friendlyName"])
	status, _ := e.call("PATCH", path, &e.admin, map[string]any{})
	assert.Equal(t, http.StatusBadRequest, status, "an empty change")

	m := e.ok(http.StatusOK, "PATCH", path, map[string]any{"friendlyName": "  primary db ", "notes": "Patch on Sundays",
		"autoUpdate": false, "hostDownAlerts": false, "groupIds": []string{f.dbGroup.String()}})
	assert.Equal(t, "primary db", m["friendlyName"])
	assert.Equal(t, "Patch on Sundays", m["notes"])
	assert.Equal(t, false, m["autoUpdate"])
	assert.Equal(t, false, m["hostDownAlerts"])
	require.Len(t, m["groups"], 1)
	assert.Equal(t, "Databases", m["groups"].([]any)[0].(map[string]any)["name"])

	// Only the fields sent change; an empty group list leaves the host in none.
	m = e.ok(http.StatusOK, "PATCH", path, map[string]any{"groupIds": []string{}})
	assert.Equal(t, "Patch on Sundays", m["notes"])
	assert.Empty(t, m["groups"])

	// The agent sees the new name and its auto-update override.
	status, ping := e.call("POST", "/api/v1/hosts/ping", nil, nil, f.db.headers()...)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "primary db", ping["friendlyName"])

	status, _ = e.call("PATCH", "/api/v1/hosts/"+uuid.NewString(), &e.admin, map[string]any{"notes": "x"})
	assert.Equal(t, http.StatusNotFound, status)
	status, m = e.call("PATCH", path, &e.readonly, map[string]any{"notes": "x"})
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, users.CodeForbidden, m["code"])
}

// wsAgent is an agent WebSocket connection that reports when the server closes it.
type wsAgent struct {
	gws.BuiltinEventHandler
	closed chan error
}

func (a *wsAgent) OnClose(_ *gws.Conn, err error) { a.closed <- err }

func connectAgent(t *testing.T, base string, h createdHost) (*wsAgent, *http.Response, error) {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	a := &wsAgent{closed: make(chan error, 1)}
	hdr := http.Header{}
	hdr.Set(agentproto.HeaderAPIID, h.apiID)
	hdr.Set(agentproto.HeaderAPIKey, h.apiKey)
	conn, resp, err := gws.NewClient(a, &gws.ClientOption{Addr: "ws://" + u.Host + "/api/v1/agents/ws", RequestHeader: hdr,
		HandshakeTimeout: time.Minute})
	if err != nil {
		return nil, resp, err
	}
	go conn.ReadLoop()
	t.Cleanup(func() { _ = conn.NetConn().Close() })
	return a, resp, nil
}

func TestRegenerateCredentials(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	h := e.createHost("rekey")
	ping := func(c createdHost) int {
		status, _ := e.call("POST", "/api/v1/hosts/ping", nil, nil, c.headers()...)
		return status
	}
	// The old key is verified and cached, and holds a WebSocket.
	require.Equal(t, http.StatusOK, ping(h))
	require.Equal(t, http.StatusOK, ping(h))
	agent, _, err := connectAgent(t, e.srv.URL, h)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return e.ok(http.StatusOK, "GET", "/api/v1/hosts/"+h.id, nil)["connected"] == true
	}, 20*time.Second, 50*time.Millisecond, "the agent shows as connected")

	status, _ := e.call("POST", "/api/v1/hosts/"+h.id+"/regenerate-credentials", &e.readonly, nil)
	assert.Equal(t, http.StatusForbidden, status)
	m := e.ok(http.StatusOK, "POST", "/api/v1/hosts/"+h.id+"/regenerate-credentials", nil)
	fresh := createdHost{id: h.id, apiID: m["apiId"].(string), apiKey: m["apiKey"].(string)}
	assert.NotEqual(t, h.apiID, fresh.apiID)
	assert.NotEqual(t, h.apiKey, fresh.apiKey)
	assert.Contains(t, m["installCommand"], fresh.apiKey)
	cmds := m["installCommands"].(map[string]any)
	assert.Contains(t, cmds["forceSelfSigned"], "?force=true&insecure=true")
	assert.True(t, strings.HasPrefix(cmds["selfSigned"].(string), "curl -sk "))

	// The open connection is closed, and the old key is refused everywhere at once
	// although its verification is still cached.
	select {
	case <-agent.closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the agent's WebSocket was not closed")
	}
	assert.Equal(t, http.StatusUnauthorized, ping(h))
	// The WebSocket endpoint checks credentials before the upgrade.
	status, _ = e.call("GET", "/api/v1/agents/ws", nil, nil, append(h.headers(), "Connection", "Upgrade", "Upgrade", "websocket",
		"Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")...)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, http.StatusOK, ping(fresh))

	// Re-keying is in the security audit log, with who did it.
	audit := e.ok(http.StatusOK, "GET", "/api/v1/audit-log?event=host.", nil)["events"].([]any)
	var events []string
	for _, ev := range audit {
		m := ev.(map[string]any)
		events = append(events, m["event"].(string))
		if m["event"] == "host.credentials_regenerated" {
			assert.Equal(t, h.id, m["targetId"])
			assert.Equal(t, e.admin.Username, m["actorUsername"])
		}
	}
	assert.Contains(t, events, "host.credentials_regenerated")
	assert.Contains(t, events, "host.created")

	status, _ = e.call("POST", "/api/v1/hosts/"+uuid.NewString()+"/regenerate-credentials", &e.admin, nil)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestCreateHostInstallCommands(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	status, m := e.call("POST", "/api/v1/hosts", &e.admin, map[string]any{"friendly_name": "   "})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "friendly_name", m["field"])
	status, _ = e.call("POST", "/api/v1/hosts", &e.readonly, map[string]any{"friendly_name": "x"})
	assert.Equal(t, http.StatusForbidden, status)
	h := e.createHost("install me")
	cmds := h.body["installCommands"].(map[string]any)
	assert.Equal(t, false, cmds["selfSignedDefault"])
	assert.Equal(t, h.body["installCommand"], cmds["standard"])
	assert.Equal(t, fmt.Sprintf("curl -s 'http://localhost:3000/api/v1/hosts/install?force=true' -H 'X-API-ID: %s' -H 'X-API-KEY: %s' | sudo sh",
		h.apiID, h.apiKey), cmds["force"], "PUBLIC_URL (SERVER_PROTOCOL/HOST/PORT) defaults to localhost:3000")
	assert.Contains(t, cmds["selfSigned"], "install?insecure=true")

	// The insecure form really makes the installer skip certificate checks.
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/hosts/install?insecure=true", nil)
	require.NoError(t, err)
	req.Header.Set(agentproto.HeaderAPIID, h.apiID)
	req.Header.Set(agentproto.HeaderAPIKey, h.apiKey)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	script, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(script), "CURL_INSECURE=true")
}

func TestDeleteHosts(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	f := e.fleet()

	status, _ := e.call("DELETE", "/api/v1/hosts/"+f.pending.id, &e.readonly, nil)
	assert.Equal(t, http.StatusForbidden, status)
	e.ok(http.StatusOK, "DELETE", "/api/v1/hosts/"+f.pending.id, nil)
	status, _ = e.call("GET", "/api/v1/hosts/"+f.pending.id, &e.admin, nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = e.call("DELETE", "/api/v1/hosts/"+f.pending.id, &e.admin, nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = e.call("POST", "/api/v1/hosts/ping", nil, nil, f.pending.headers()...)
	assert.Equal(t, http.StatusUnauthorized, status, "a deleted host's agent is refused")

	// A bulk delete naming a host that does not exist deletes nothing.
	status, m := e.call("POST", "/api/v1/hosts/bulk/delete", &e.admin, map[string]any{"hostIds": []string{f.web.id, uuid.NewString()}})
	assert.Equal(t, http.StatusNotFound, status, "%v", m)
	assert.EqualValues(t, 2, e.ok(http.StatusOK, "GET", "/api/v1/hosts", nil)["total"])
	status, _ = e.call("POST", "/api/v1/hosts/bulk/delete", &e.admin, map[string]any{"hostIds": []string{}})
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = e.call("POST", "/api/v1/hosts/bulk/delete", &e.readonly, map[string]any{"hostIds": []string{f.web.id}})
	assert.Equal(t, http.StatusForbidden, status)

	m = e.ok(http.StatusOK, "POST", "/api/v1/hosts/bulk/delete", map[string]any{"hostIds": []string{f.web.id, f.db.id, f.web.id}})
	assert.EqualValues(t, 2, m["count"])
	assert.Equal(t, "2 hosts deleted", m["message"])
	assert.EqualValues(t, 0, e.ok(http.StatusOK, "GET", "/api/v1/hosts", nil)["total"])
	var rows int
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM host_packages) + (SELECT count(*) FROM host_repositories) +
		        (SELECT count(*) FROM update_history) + (SELECT count(*) FROM host_group_memberships)`).Scan(&rows))
	assert.Zero(t, rows, "everything about the hosts went with them")
}

func TestBulkAssignGroups(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	f := e.fleet()
	staging := e.group("Staging")
	groupsOf := func(h createdHost) []string {
		var out []string
		for _, g := range e.ok(http.StatusOK, "GET", "/api/v1/hosts/"+h.id, nil)["groups"].([]any) {
			out = append(out, g.(map[string]any)["name"].(string))
		}
		return out
	}
	put := func(body map[string]any) (int, map[string]any) {
		return e.call("PUT", "/api/v1/hosts/bulk/groups", &e.admin, body)
	}
	hosts := []string{f.web.id, f.pending.id}

	status, m := put(map[string]any{"hostIds": hosts, "groupIds": []string{staging.String()}})
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.EqualValues(t, 2, m["count"])
	assert.Equal(t, []string{"Production", "Staging"}, groupsOf(f.web))
	assert.Equal(t, []string{"Staging"}, groupsOf(f.pending))

	status, _ = put(map[string]any{"hostIds": hosts, "groupIds": []string{f.prod.String()}, "mode": "remove"})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []string{"Staging"}, groupsOf(f.web))

	status, _ = put(map[string]any{"hostIds": []string{f.web.id, f.db.id}, "groupIds": []string{f.dbGroup.String()}, "mode": "replace"})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []string{"Databases"}, groupsOf(f.web))
	assert.Equal(t, []string{"Databases"}, groupsOf(f.db))
	assert.Equal(t, []string{"Staging"}, groupsOf(f.pending), "hosts not named are untouched")

	status, m = put(map[string]any{"hostIds": hosts, "groupIds": []string{uuid.NewString()}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "groupIds", m["field"])
	status, m = put(map[string]any{"hostIds": hosts, "groupIds": []string{}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "groupIds", m["field"])
	status, _ = put(map[string]any{"hostIds": []string{uuid.NewString()}, "groupIds": []string{staging.String()}})
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = put(map[string]any{"hostIds": hosts, "groupIds": []string{staging.String()}, "mode": "merge"})
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = e.call("PUT", "/api/v1/hosts/bulk/groups", &e.readonly, map[string]any{"hostIds": hosts, "groupIds": []string{staging.String()}})
	assert.Equal(t, http.StatusForbidden, status)
}

func TestHostIntegrationSwitches(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	h := e.createHost("docker host")
	path := "/api/v1/hosts/" + h.id + "/integrations"

	m := e.ok(http.StatusOK, "PATCH", path, map[string]any{"docker": true})
	assert.Equal(t, true, m["docker"])
	assert.Equal(t, false, m["compliance"])
	assert.Equal(t, "offline", m["agentNotified"], "no agent connected to push the change to")
	status, got := e.call("GET", "/api/v1/hosts/integrations", nil, nil, h.headers()...)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"docker": true, "compliance": false}, got["integrations"])

	status, m = e.call("PATCH", path, &e.admin, map[string]any{})
	assert.Equal(t, http.StatusBadRequest, status, "%v", m)
	status, _ = e.call("PATCH", path, &e.readonly, map[string]any{"docker": false})
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = e.call("PATCH", "/api/v1/hosts/"+uuid.NewString()+"/integrations", &e.admin, map[string]any{"docker": false})
	assert.Equal(t, http.StatusNotFound, status)
}

func TestHostViews(t *testing.T) {
	t.Parallel()
	e := newHostsEnv(t)
	state := map[string]any{"search": "web", "filters": map[string]any{"status": "active"}, "columns": []any{"name", "os"}}

	v := e.ok(http.StatusOK, "POST", "/api/v1/hosts/views", map[string]any{"name": "Active web", "state": state})
	assert.Equal(t, state, v["state"])
	e.ok(http.StatusOK, "POST", "/api/v1/hosts/views", map[string]any{"name": "all", "state": map[string]any{}})
	// Saving under an existing name replaces that view.
	again := e.ok(http.StatusOK, "POST", "/api/v1/hosts/views", map[string]any{"name": "Active web", "state": map[string]any{"search": "db"}})
	assert.Equal(t, v["id"], again["id"])

	views := e.ok(http.StatusOK, "GET", "/api/v1/hosts/views", nil)["views"].([]any)
	require.Len(t, views, 2)
	assert.Equal(t, "Active web", views[0].(map[string]any)["name"])
	assert.Equal(t, map[string]any{"search": "db"}, views[0].(map[string]any)["state"])

	status, m := e.call("POST", "/api/v1/hosts/views", &e.admin, map[string]any{"name": "  ", "state": map[string]any{}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "name", m["field"])

	// Views are per user: another user neither sees nor deletes them.
	status, other := e.call("GET", "/api/v1/hosts/views", &e.readonly, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, other["views"])
	status, _ = e.call("DELETE", "/api/v1/hosts/views/"+v["id"].(string), &e.readonly, nil)
	assert.Equal(t, http.StatusNotFound, status)

	e.ok(http.StatusOK, "DELETE", "/api/v1/hosts/views/"+v["id"].(string), nil)
	assert.Len(t, e.ok(http.StatusOK, "GET", "/api/v1/hosts/views", nil)["views"], 1)
	status, _ = e.call("DELETE", "/api/v1/hosts/views/"+v["id"].(string), &e.admin, nil)
	assert.Equal(t, http.StatusNotFound, status)
}
