package agenttest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/agenttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func post(t *testing.T, s *agenttest.Server, path, key string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/api/v1/"+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set(agentproto.HeaderAPIID, s.APIID)
	req.Header.Set(agentproto.HeaderAPIKey, key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	s := agenttest.NewServer(t)
	resp, _ := post(t, s, "hosts/ping", "wrong", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, 1, s.Rejected())

	// Nothing stored yet: every report section is requested; docker and
	// compliance are off, so they are not.
	resp, out := post(t, s, "hosts/ping", s.APIKey, agentproto.PingRequest{Hashes: agentproto.PingHashes{PackagesHash: "x"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, true, out["hashGate"])
	assert.Equal(t, []any{"packages", "repos", "interfaces", "hostname"}, out["requestFull"])
	assert.Equal(t, "gzip", resp.Header.Get("X-PatchMon-Accept-Encoding"))

	// A full report without packages is rejected, as the real server does.
	resp, out = post(t, s, "hosts/update", s.APIKey, agentproto.Report{Hostname: "h"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, out["error"], "no packages")

	rep := agentproto.Report{Hostname: "h", Packages: []agentproto.Package{{Name: "bash", CurrentVersion: "5"}}}
	resp, _ = post(t, s, "hosts/update", s.APIKey, rep)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	h := s.Hashes()
	assert.Equal(t, agentproto.PackagesHash(rep.Packages), h.PackagesHash)
	assert.Equal(t, agentproto.HostnameHash("h"), h.HostnameHash)

	// Matching hashes: nothing requested.
	resp, out = post(t, s, "hosts/ping", s.APIKey, agentproto.PingRequest{Hashes: h})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Nil(t, out["requestFull"])

	s.SetDown(true)
	resp, _ = post(t, s, "hosts/ping", s.APIKey, nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}
