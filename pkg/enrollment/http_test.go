package enrollment_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// httpEnv is a full server with a signed-in super admin and a connection to its database.
type httpEnv struct {
	url   string
	admin authtest.Session
	pool  *pgxpool.Pool
}

func setupHTTP(t *testing.T) httpEnv {
	t.Helper()
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.RateLimitMax, cfg.AuthRateLimitMax, cfg.AgentRateLimitMax = 1_000_000, 1_000_000, 1_000_000
	cfg.PasswordHashCost = 4
	cfg.TrustProxy = "true" // X-Forwarded-For sets the client address in the IP tests
	srv := patchmontest.NewServer(t, cfg)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return httpEnv{url: srv.URL, admin: authtest.Setup(t, srv.URL), pool: pool}
}

type obj = map[string]any

// do sends a JSON request and decodes any JSON answer.
func do(t *testing.T, method, url string, headers map[string]string, body any) (int, obj) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out obj
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	}
	return res.StatusCode, out
}

func (e httpEnv) adminCall(t *testing.T, method, path string, body any) (int, obj) {
	return do(t, method, e.url+path, map[string]string{"Authorization": e.admin.Header()}, body)
}

// newToken creates a token and returns the create response's token object.
func (e httpEnv) newToken(t *testing.T, body obj) obj {
	t.Helper()
	status, out := e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", body)
	require.Equal(t, http.StatusCreated, status, "%v", out)
	return out["token"].(obj)
}

func (e httpEnv) hostGroup(t *testing.T, name string) string {
	t.Helper()
	var id string
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`INSERT INTO host_groups (name, color) VALUES ($1, '#10B981') RETURNING id`, name).Scan(&id))
	return id
}

func creds(tok obj) map[string]string {
	return map[string]string{"X-Auto-Enrollment-Key": tok["token_key"].(string), "X-Auto-Enrollment-Secret": tok["token_secret"].(string)}
}

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for kk, vv := range h {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func errMsg(out obj) string {
	s, _ := out["error"].(string)
	return s
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	group := e.hostGroup(t, "Proxmox LXC")

	status, out := e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", obj{
		"token_name": "Proxmox Production", "default_host_group_id": group,
		"allowed_ip_ranges": []string{"192.168.1.10", "10.0.0.0/24"}, "expires_at": "2027-12-31T23:59:59Z",
		"metadata": obj{"integration_type": "proxmox-lxc", "environment": "production"},
	})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	assert.Equal(t, "Auto-enrollment token created successfully", out["message"])
	assert.Equal(t, "⚠️ Save the token_secret now - it cannot be retrieved later!", out["warning"])
	tok := out["token"].(obj)
	key, secret := tok["token_key"].(string), tok["token_secret"].(string)
	assert.Regexp(t, `^patchmon_ae_[0-9a-f]{32}$`, key)
	assert.Regexp(t, `^[0-9a-f]{64}$`, secret)
	assert.EqualValues(t, 100, tok["max_hosts_per_day"], "documented default")
	assert.Equal(t, obj{"id": group, "name": "Proxmox LXC", "color": "#10B981"}, tok["default_host_group"])
	assert.Equal(t, e.admin.Username, tok["created_by"].(obj)["username"])
	assert.Equal(t, "2027-12-31T23:59:59Z", tok["expires_at"])
	assert.Nil(t, tok["scopes"])
	assert.Equal(t, "production", tok["metadata"].(obj)["environment"])

	usage := out["usage"].(obj)
	assert.Equal(t, "proxmox-lxc", usage["integration_type"])
	assert.Contains(t, usage["one_liner"], "/api/v1/auto-enrollment/script?type=proxmox-lxc&token_key="+key+"&token_secret="+secret)
	assert.True(t, strings.HasSuffix(usage["one_liner"].(string), "| bash"))
	assert.NotEmpty(t, usage["examples"])

	var hash string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT token_secret_hash FROM auto_enrollment_tokens WHERE token_key = $1`, key).Scan(&hash))
	assert.NotContains(t, hash, secret)
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)), "the secret is stored bcrypt-hashed")

	second := e.newToken(t, obj{"token_name": "Second"})
	var arr []obj
	{
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/api/v1/auto-enrollment/tokens", nil)
		req.Header.Set("Authorization", e.admin.Header())
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NoError(t, json.NewDecoder(res.Body).Decode(&arr))
		res.Body.Close()
	}
	require.Len(t, arr, 2)
	assert.Equal(t, second["id"], arr[0]["id"], "newest first")
	first := arr[1]
	assert.NotContains(t, first, "token_secret")
	for _, f := range []string{"id", "token_name", "token_key", "is_active", "allowed_ip_ranges", "max_hosts_per_day",
		"hosts_created_today", "last_used_at", "expires_at", "created_at", "default_host_group_id", "metadata", "scopes",
		"host_groups", "users"} {
		assert.Contains(t, first, f)
	}
	assert.Equal(t, []any{"192.168.1.10", "10.0.0.0/24"}, first["allowed_ip_ranges"])
	assert.EqualValues(t, 0, first["hosts_created_today"])
	assert.Nil(t, first["last_used_at"])
	assert.Equal(t, "proxmox-lxc", first["metadata"].(obj)["integration_type"])
	assert.Equal(t, "Proxmox LXC", first["host_groups"].(obj)["name"])
	assert.Equal(t, e.admin.Username, first["users"].(obj)["username"])

	ghp := e.newToken(t, obj{"token_name": "Widget", "metadata": obj{"integration_type": "gethomepage"}})
	{
		var only []obj
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+"/api/v1/auto-enrollment/tokens?integration_type=gethomepage", nil)
		req.Header.Set("Authorization", e.admin.Header())
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NoError(t, json.NewDecoder(res.Body).Decode(&only))
		res.Body.Close()
		require.Len(t, only, 1, "the list filters by integration type")
		assert.Equal(t, ghp["id"], only[0]["id"])
	}

	id := tok["id"].(string)
	status, got := e.adminCall(t, http.MethodGet, "/api/v1/auto-enrollment/tokens/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, key, got["token_key"])
	assert.NotContains(t, got, "token_secret")

	status, upd := e.adminCall(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+id, obj{
		"is_active": false, "max_hosts_per_day": 200, "allowed_ip_ranges": []string{"192.168.1.0/24"}, "default_host_group_id": ""})
	require.Equal(t, http.StatusOK, status, "%v", upd)
	assert.Equal(t, "Token updated successfully", upd["message"])
	ut := upd["token"].(obj)
	assert.Equal(t, false, ut["is_active"])
	assert.EqualValues(t, 200, ut["max_hosts_per_day"])
	assert.Equal(t, []any{"192.168.1.0/24"}, ut["allowed_ip_ranges"])
	assert.Nil(t, ut["host_groups"], "an empty default_host_group_id clears the group")
	assert.Equal(t, "Proxmox Production", ut["token_name"], "fields left out do not change")

	status, del := e.adminCall(t, http.MethodDelete, "/api/v1/auto-enrollment/tokens/"+id, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, obj{"message": "Auto-enrollment token deleted successfully", "deleted_token": obj{"id": id, "token_name": "Proxmox Production"}}, del)
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		status, out := e.adminCall(t, m, "/api/v1/auto-enrollment/tokens/"+id, obj{})
		assert.Equal(t, http.StatusNotFound, status, m)
		assert.Equal(t, "Token not found", errMsg(out), m)
	}

	// Token changes are in the audit log.
	var n int
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE event LIKE 'enrollment.token.%' AND target_id = $1`, id).Scan(&n))
	assert.Equal(t, 3, n)

	// Only administrators with can_manage_settings see tokens.
	viewer := authtest.CreateUser(t, e.url, e.admin, users.RoleUser)
	status, _ = do(t, http.MethodGet, e.url+"/api/v1/auto-enrollment/tokens", map[string]string{"Authorization": viewer.Header()}, nil)
	assert.Equal(t, http.StatusForbidden, status)
}

func TestTokenValidation(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	proxmox := e.newToken(t, obj{"token_name": "P"})
	cases := []struct {
		body       obj
		param, msg string
	}{
		{obj{}, "token_name", "Token name is required (max 255 characters)"},
		{obj{"token_name": "   "}, "token_name", "Token name is required (max 255 characters)"},
		{obj{"token_name": strings.Repeat("x", 256)}, "token_name", "Token name is required (max 255 characters)"},
		{obj{"token_name": "t", "max_hosts_per_day": 0}, "max_hosts_per_day", "Max hosts per day must be between 1 and 1000"},
		{obj{"token_name": "t", "max_hosts_per_day": 1001}, "max_hosts_per_day", "Max hosts per day must be between 1 and 1000"},
		{obj{"token_name": "t", "allowed_ip_ranges": []string{"10.0.0.0/24", "192.168.1.300"}}, "allowed_ip_ranges", "Invalid IP address or CIDR range: 192.168.1.300"},
		{obj{"token_name": "t", "expires_at": "next tuesday"}, "expires_at", "Expiration date must be an ISO 8601 date or date-time"},
		{obj{"token_name": "t", "default_host_group_id": "nope"}, "default_host_group_id", "Default host group ID must be a UUID"},
		{obj{"token_name": "t", "default_host_group_id": "00000000-0000-4000-8000-000000000000"}, "default_host_group_id", "Host group not found"},
		{obj{"token_name": "t", "metadata": obj{"integration_type": "ssh"}}, "metadata.integration_type", "Integration type must be one of proxmox-lxc, direct-host, api, gethomepage"},
		{obj{"token_name": "t", "metadata": obj{"integration_type": "api"}}, "scopes", "At least one scope is required for API credentials"},
		{obj{"token_name": "t", "metadata": obj{"integration_type": "api"}, "scopes": obj{}}, "scopes", "At least one scope is required for API credentials"},
		{obj{"token_name": "t", "metadata": obj{"integration_type": "api"}, "scopes": obj{"host": []string{}}}, "scopes", "Scope host must grant at least one action"},
		{obj{"token_name": "t", "scopes": obj{"host": []string{"get"}}}, "scopes", "Scopes are only supported for API integration type tokens"},
	}
	for _, c := range cases {
		status, out := e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", c.body)
		require.Equal(t, http.StatusBadRequest, status, "%v → %v", c.body, out)
		assert.Equal(t, c.msg, errMsg(out), "%v", c.body)
		assert.Equal(t, c.param, out["field"], "%v", c.body)
		require.NotEmpty(t, out["errors"], "%v", c.body)
		first := out["errors"].([]any)[0].(obj)
		assert.Equal(t, obj{"msg": c.msg, "param": c.param, "location": "body"}, first)
	}

	id := proxmox["id"].(string)
	for _, c := range []struct {
		body       obj
		param, msg string
	}{
		{obj{"scopes": obj{"host": []string{"get"}}}, "scopes", "Scopes can only be updated for API integration type tokens"},
		{obj{"token_name": ""}, "token_name", "Token name is required (max 255 characters)"},
		{obj{"max_hosts_per_day": 5000}, "max_hosts_per_day", "Max hosts per day must be between 1 and 1000"},
		{obj{"metadata": obj{"integration_type": "api"}}, "metadata.integration_type", "Integration type cannot be changed"},
		{obj{"default_host_group_id": "00000000-0000-4000-8000-000000000000"}, "default_host_group_id", "Host group not found"},
	} {
		status, out := e.adminCall(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+id, c.body)
		require.Equal(t, http.StatusBadRequest, status, "%v → %v", c.body, out)
		assert.Equal(t, c.msg, errMsg(out))
		assert.Equal(t, c.param, out["field"])
	}

	// Every problem is listed, not only the first.
	status, out := e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", obj{"max_hosts_per_day": 0, "expires_at": "soon"})
	require.Equal(t, http.StatusBadRequest, status)
	assert.Len(t, out["errors"], 3)
	status, _ = e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", obj{"token_name": 7})
	assert.Equal(t, http.StatusBadRequest, status, "wrong JSON types are refused by the spec validation")

	// Dates without a zone are UTC; comma-separated ranges in one entry are split.
	tok := e.newToken(t, obj{"token_name": "d", "expires_at": "2027-01-01", "allowed_ip_ranges": []string{"192.168.1.100, 10.0.0.0/24"}})
	assert.Equal(t, "2027-01-01T00:00:00Z", tok["expires_at"])
	assert.Equal(t, []any{"192.168.1.100", "10.0.0.0/24"}, tok["allowed_ip_ranges"])
}

func TestIntegrationTokenUsage(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	status, out := e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", obj{
		"token_name": "GetHomepage Widget", "metadata": obj{"integration_type": "gethomepage"}})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	tok := out["token"].(obj)
	b64 := base64.StdEncoding.EncodeToString([]byte(tok["token_key"].(string) + ":" + tok["token_secret"].(string)))
	usage := out["usage"].(obj)
	assert.Equal(t, b64, usage["basic_auth"])
	yaml := usage["gethomepage_yaml"].(string)
	for _, want := range []string{"- PatchMon:", "type: customapi", "/api/v1/gethomepage/stats", "Authorization: Basic " + b64,
		"- field: total_hosts", "- field: hosts_needing_updates", "- field: security_updates"} {
		assert.Contains(t, yaml, want)
	}
	assert.Nil(t, usage["one_liner"])

	status, out = e.adminCall(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", obj{
		"token_name": "Ansible Inventory", "metadata": obj{"integration_type": "api"},
		"scopes": obj{"host": []string{"get", "get", "delete"}}, "allowed_ip_ranges": []string{"192.168.1.100", "10.0.0.0/24"}})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	tok = out["token"].(obj)
	assert.Equal(t, obj{"host": []any{"delete", "get"}}, tok["scopes"])
	usage = out["usage"].(obj)
	found := false
	for _, ex := range usage["examples"].([]any) {
		if strings.Contains(ex.(obj)["command"].(string), `-u "`+tok["token_key"].(string)+":"+tok["token_secret"].(string)+`"`) {
			found = true
		}
	}
	assert.True(t, found, "a curl -u example carries the credentials")

	id := tok["id"].(string)
	status, upd := e.adminCall(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+id, obj{"scopes": obj{"host": []string{"get"}}})
	require.Equal(t, http.StatusOK, status, "%v", upd)
	assert.Equal(t, obj{"host": []any{"get"}}, upd["token"].(obj)["scopes"])

	// Integration credentials cannot enroll hosts.
	status, res := do(t, http.MethodPost, e.url+"/api/v1/auto-enrollment/enroll", creds(tok), obj{"friendly_name": "x"})
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "Token is not an auto-enrollment token", errMsg(res))
}

var notesRE = regexp.MustCompile(`^Auto-enrolled via Proxmox Production on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

func TestEnrollHost(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	group := e.hostGroup(t, "Proxmox LXC")
	tok := e.newToken(t, obj{"token_name": "Proxmox Production", "default_host_group_id": group})
	h := creds(tok)
	enroll := e.url + "/api/v1/auto-enrollment/enroll"

	status, out := do(t, http.MethodPost, enroll, h, obj{"friendly_name": "webserver", "machine_id": "proxmox-lxc-100-abc123",
		"metadata": obj{"vmid": "100", "proxmox_node": "proxmox01", "ip_address": "10.0.0.10", "os_info": "Ubuntu 22.04 LTS"}})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	assert.Equal(t, "Host enrolled successfully", out["message"])
	host := out["host"].(obj)
	assert.Equal(t, "webserver", host["friendly_name"])
	assert.Equal(t, "pending", host["status"])
	assert.Regexp(t, `^patchmon_[0-9a-f]{16}$`, host["api_id"])
	assert.Regexp(t, `^[0-9a-f]{64}$`, host["api_key"])
	assert.Equal(t, obj{"id": group, "name": "Proxmox LXC", "color": "#10B981"}, host["host_group"])
	hostID := host["id"].(string)

	var notes, hstatus string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT notes, status FROM hosts WHERE id = $1`, hostID).Scan(&notes, &hstatus))
	assert.Regexp(t, notesRE, notes)
	assert.Equal(t, "pending", hstatus)
	var inGroup bool
	require.NoError(t, e.pool.QueryRow(context.Background(),
		`SELECT EXISTS (SELECT 1 FROM host_group_memberships WHERE host_id = $1 AND host_group_id = $2)`, hostID, group).Scan(&inGroup))
	assert.True(t, inGroup)
	var meta string
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT metadata->>'proxmox_node' FROM auto_enrollment_hosts WHERE host_id = $1`, hostID).Scan(&meta))
	assert.Equal(t, "proxmox01", meta)

	// The credentials are the host's agent credentials.
	status, _ = do(t, http.MethodPost, e.url+"/api/v1/hosts/ping", map[string]string{"X-API-ID": host["api_id"].(string), "X-API-KEY": host["api_key"].(string)}, nil)
	assert.Equal(t, http.StatusOK, status)

	// The same machine through the same token: the existing host, nothing new.
	status, again := do(t, http.MethodPost, enroll, h, obj{"friendly_name": "webserver", "machine_id": "proxmox-lxc-100-abc123"})
	require.Equal(t, http.StatusOK, status, "%v", again)
	assert.Equal(t, true, again["skipped"])
	ah := again["host"].(obj)
	assert.Equal(t, hostID, ah["id"])
	assert.NotContains(t, ah, "api_key")
	assert.NotContains(t, ah, "api_id")
	assert.Equal(t, "Proxmox LXC", ah["host_group"].(obj)["name"])

	// Without machine_id there is no duplicate check (the documented behaviour).
	status, _ = do(t, http.MethodPost, enroll, h, obj{"friendly_name": "webserver"})
	assert.Equal(t, http.StatusCreated, status)

	// After the host is deleted, the machine can be enrolled again.
	_, err := e.pool.Exec(context.Background(), `DELETE FROM hosts WHERE id = $1`, hostID)
	require.NoError(t, err)
	status, out = do(t, http.MethodPost, enroll, h, obj{"friendly_name": "webserver", "machine_id": "proxmox-lxc-100-abc123"})
	require.Equal(t, http.StatusCreated, status, "%v", out)

	// A token without a default group creates hosts without one.
	plain := e.newToken(t, obj{"token_name": "Plain"})
	status, out = do(t, http.MethodPost, enroll, creds(plain), obj{"friendly_name": "db", "machine_id": "proxmox-lxc-100-abc123"})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	assert.Nil(t, out["host"].(obj)["host_group"])

	status, got := e.adminCall(t, http.MethodGet, "/api/v1/auto-enrollment/tokens/"+tok["id"].(string), nil)
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 3, got["hosts_created_today"])
	require.NotNil(t, got["last_used_at"])

	// Validation.
	for _, c := range []struct {
		body       obj
		param, msg string
	}{
		{obj{}, "friendly_name", "Friendly name is required (max 255 characters)"},
		{obj{"friendly_name": strings.Repeat("n", 256)}, "friendly_name", "Friendly name is required (max 255 characters)"},
		{obj{"friendly_name": "ok", "machine_id": strings.Repeat("m", 256)}, "machine_id", "Machine ID must be at most 255 characters"},
	} {
		status, out := do(t, http.MethodPost, enroll, h, c.body)
		require.Equal(t, http.StatusBadRequest, status, "%v", c.body)
		assert.Equal(t, c.msg, errMsg(out))
		assert.Equal(t, []any{obj{"msg": c.msg, "param": c.param, "location": "body"}}, out["errors"])
	}
}

func TestEnrollAuthErrors(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	tok := e.newToken(t, obj{"token_name": "T"})
	h := creds(tok)
	off := e.newToken(t, obj{"token_name": "Off"})
	status, _ := e.adminCall(t, http.MethodPatch, "/api/v1/auto-enrollment/tokens/"+off["id"].(string), obj{"is_active": false})
	require.Equal(t, http.StatusOK, status)
	old := e.newToken(t, obj{"token_name": "Old", "expires_at": "2020-01-01T00:00:00Z"})
	lan := e.newToken(t, obj{"token_name": "Lan", "allowed_ip_ranges": []string{"10.0.0.0/8", "2001:db8::/32"}})
	body := obj{"friendly_name": "test", "machine_id": "test"}

	cases := []struct {
		name    string
		headers map[string]string
		status  int
		msg     string
	}{
		{"no headers", nil, 401, "Auto-enrollment credentials required"},
		{"key only", map[string]string{"X-Auto-Enrollment-Key": tok["token_key"].(string)}, 401, "Auto-enrollment credentials required"},
		{"secret only", map[string]string{"X-Auto-Enrollment-Secret": tok["token_secret"].(string)}, 401, "Auto-enrollment credentials required"},
		{"unknown key", map[string]string{"X-Auto-Enrollment-Key": "patchmon_ae_0000", "X-Auto-Enrollment-Secret": "x"}, 401, "Invalid or inactive token"},
		{"wrong secret", with(h, "X-Auto-Enrollment-Secret", "nope"), 401, "Invalid token secret"},
		{"disabled", creds(off), 401, "Invalid or inactive token"},
		{"expired", creds(old), 401, "Token expired"},
		{"ip", creds(lan), 403, "IP address not authorized for this token"},
		{"ip forwarded", with(creds(lan), "X-Forwarded-For", "192.168.1.1"), 403, "IP address not authorized for this token"},
	}
	for _, path := range []string{"/api/v1/auto-enrollment/enroll", "/api/v1/auto-enrollment/enroll/bulk"} {
		b := any(body)
		if strings.HasSuffix(path, "bulk") {
			b = obj{"hosts": []obj{body}}
		}
		for _, c := range cases {
			status, out := do(t, http.MethodPost, e.url+path, c.headers, b)
			assert.Equal(t, c.status, status, "%s %s", path, c.name)
			assert.Equal(t, c.msg, errMsg(out), "%s %s", path, c.name)
		}
	}
	// Authentication comes before validation: bad credentials with a bad body are 401.
	status, out := do(t, http.MethodPost, e.url+"/api/v1/auto-enrollment/enroll", nil, obj{"friendly_name": 5})
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "Auto-enrollment credentials required", errMsg(out))

	// Allowed addresses: IPv4 CIDR, IPv4-mapped IPv6, IPv6 CIDR.
	for _, ip := range []string{"10.1.2.3", "::ffff:10.1.2.3", "2001:db8:1::5"} {
		status, out := do(t, http.MethodPost, e.url+"/api/v1/auto-enrollment/enroll", with(creds(lan), "X-Forwarded-For", ip),
			obj{"friendly_name": "from " + ip})
		assert.Equal(t, http.StatusCreated, status, "%s: %v", ip, out)
	}
	status, _ = do(t, http.MethodPost, e.url+"/api/v1/auto-enrollment/enroll", with(creds(lan), "X-Forwarded-For", "2001:db9::1"), obj{"friendly_name": "x"})
	assert.Equal(t, http.StatusForbidden, status)
}

func TestEnrollQuotaAndBulk(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	tok := e.newToken(t, obj{"token_name": "Small", "max_hosts_per_day": 2})
	h := creds(tok)
	enroll := e.url + "/api/v1/auto-enrollment/enroll"
	bulk := e.url + "/api/v1/auto-enrollment/enroll/bulk"

	for i := range 2 {
		status, out := do(t, http.MethodPost, enroll, h, obj{"friendly_name": "h" + string(rune('a'+i))})
		require.Equal(t, http.StatusCreated, status, "%v", out)
	}
	status, out := do(t, http.MethodPost, enroll, h, obj{"friendly_name": "hc"})
	require.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "Rate limit exceeded", out["error"])
	assert.Equal(t, "Maximum 2 hosts per day allowed for this token", out["message"])

	// The next UTC day starts a new count.
	_, err := e.pool.Exec(context.Background(), `UPDATE auto_enrollment_tokens SET last_reset_date = last_reset_date - 1 WHERE id = $1`, tok["id"])
	require.NoError(t, err)
	status, got := e.adminCall(t, http.MethodGet, "/api/v1/auto-enrollment/tokens/"+tok["id"].(string), nil)
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 0, got["hosts_created_today"])
	status, out = do(t, http.MethodPost, enroll, h, obj{"friendly_name": "hc"})
	require.Equal(t, http.StatusCreated, status, "%v", out)

	// Bulk: the whole request must fit.
	status, out = do(t, http.MethodPost, bulk, h, obj{"hosts": []obj{{"friendly_name": "b1"}, {"friendly_name": "b2"}}})
	require.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, obj{"error": "Rate limit exceeded", "message": "Only 1 hosts remaining in daily quota", "code": "enrollment_quota_exceeded"}, out)

	big := e.newToken(t, obj{"token_name": "Big", "max_hosts_per_day": 1000})
	status, out = do(t, http.MethodPost, bulk, creds(big), obj{"hosts": []obj{
		{"friendly_name": "webserver", "machine_id": "proxmox-lxc-100-abc123"},
		{"friendly_name": "database", "machine_id": "proxmox-lxc-101-def456"},
		{"friendly_name": ""},
	}})
	require.Equal(t, http.StatusCreated, status, "%v", out)
	assert.Equal(t, "Bulk enrollment completed: 2 succeeded, 1 failed, 0 skipped", out["message"])
	res := out["results"].(obj)
	succ := res["success"].([]any)
	require.Len(t, succ, 2)
	s0 := succ[0].(obj)
	assert.Equal(t, "webserver", s0["friendly_name"])
	assert.Regexp(t, `^patchmon_`, s0["api_id"])
	assert.NotEmpty(t, s0["api_key"])
	assert.Equal(t, []any{obj{"friendly_name": "", "error": "Friendly name is required (max 255 characters)"}}, res["failed"])

	status, out = do(t, http.MethodPost, bulk, creds(big), obj{"hosts": []obj{{"friendly_name": "webserver", "machine_id": "proxmox-lxc-100-abc123"}}})
	require.Equal(t, http.StatusCreated, status)
	assert.Equal(t, "Bulk enrollment completed: 0 succeeded, 0 failed, 1 skipped", out["message"])
	skipped := out["results"].(obj)["skipped"].([]any)[0].(obj)
	assert.Equal(t, s0["id"], skipped["id"])
	assert.Equal(t, "Already enrolled with this token", skipped["reason"])

	many := make([]obj, 51)
	for i := range many {
		many[i] = obj{"friendly_name": "n"}
	}
	for _, b := range []obj{{}, {"hosts": []obj{}}, {"hosts": many}} {
		status, out = do(t, http.MethodPost, bulk, creds(big), b)
		require.Equal(t, http.StatusBadRequest, status, "%v", b)
		assert.Equal(t, "Hosts array is required (1-50 hosts)", errMsg(out))
		assert.Equal(t, "hosts", out["field"])
	}
	status, out = do(t, http.MethodPost, bulk, creds(big), obj{"hosts": many[:50]})
	require.Equal(t, http.StatusCreated, status)
	assert.Len(t, out["results"].(obj)["success"], 50)
}
