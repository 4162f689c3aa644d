package inventory_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// TestThroughServer runs the host lifecycle against the real server: an administrator
// creates a host (can_manage_hosts), its agent checks in and reports through the
// x-permission: agent enforcer wired in patchmon.
func TestThroughServer(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())
	call := func(method, path, bearer string, hdr map[string]string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, srv.URL+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var m map[string]any
		if len(raw) > 0 && raw[0] == '{' {
			require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
		}
		return resp.StatusCode, m
	}

	status, m := call("POST", "/api/v1/auth/setup-admin", "", nil, map[string]string{
		"username": "admin", "email": "admin@example.com", "password": "Sup3r-secret!pw",
	})
	require.Equal(t, http.StatusCreated, status, "%v", m)
	token := m["token"].(string)

	status, _ = call("POST", "/api/v1/hosts", "", nil, map[string]string{"friendly_name": "web-1"})
	assert.Equal(t, http.StatusUnauthorized, status)
	status, m = call("POST", "/api/v1/hosts", token, nil, map[string]any{"friendly_name": "web-1",
		"hostGroupIds": []string{"2b1e0c1e-8c1a-4c56-9a43-0d1c0a6a8e11"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "One or more host groups not found", m["error"])
	status, m = call("POST", "/api/v1/hosts", token, nil, map[string]any{"friendly_name": ""})
	assert.Equal(t, http.StatusBadRequest, status, "%v", m)

	status, m = call("POST", "/api/v1/hosts", token, nil, map[string]any{"friendly_name": "web-1", "docker_enabled": true})
	require.Equal(t, http.StatusCreated, status, "%v", m)
	assert.Equal(t, "Host created successfully", m["message"])
	apiID, apiKey := m["apiId"].(string), m["apiKey"].(string)
	assert.True(t, strings.HasPrefix(apiID, "patchmon_"))
	assert.Contains(t, m["installCommand"], "http://localhost:3000/api/v1/hosts/install")
	assert.Contains(t, m["installCommand"], apiKey)

	agent := map[string]string{"X-API-ID": apiID, "X-API-KEY": apiKey}
	status, m = call("POST", "/api/v1/hosts/ping", "", agent, agentproto.PingRequest{Hashes: agentproto.PingHashes{PackagesHash: "x"}})
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.Equal(t, "web-1", m["friendlyName"])
	assert.Equal(t, []any{"packages", "repos", "interfaces", "hostname", "docker"}, m["requestFull"])

	status, m = call("POST", "/api/v1/hosts/update", "", agent, fullReport(packages(30, "")))
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.Equal(t, float64(30), m["packagesProcessed"])

	status, m = call("POST", "/api/v1/hosts/ping", "", map[string]string{"X-API-ID": apiID, "X-API-KEY": "wrong"}, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "Invalid API credentials", m["error"])
	status, _ = call("GET", "/api/v1/hosts/remove", "", nil, nil)
	assert.Equal(t, http.StatusOK, status)
}
