package inventory_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// TestGzipReports checks the compression handshake: authenticated agent responses
// advertise gzip, a compressed report is stored like a plain one, and an unauthenticated
// request learns nothing.
func TestGzipReports(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("zipped")

	resp := e.do(&h, "POST", "/api/v1/hosts/ping", agentproto.PingRequest{})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, "gzip", resp.header.Get(agentproto.HeaderAcceptEncoding))

	bad := host{apiID: h.apiID, apiKey: "wrong"}
	resp = e.do(&bad, "POST", "/api/v1/hosts/ping", agentproto.PingRequest{})
	require.Equal(t, http.StatusUnauthorized, resp.status)
	assert.Empty(t, resp.header.Get(agentproto.HeaderAcceptEncoding))

	raw, err := json.Marshal(fullReport(packages(40, "zip-")))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err = zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	req, err := http.NewRequest("POST", e.url+"/api/v1/hosts/update", &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set(agentproto.HeaderAPIID, h.apiID)
	req.Header.Set(agentproto.HeaderAPIKey, h.apiKey)
	r, err := e.http.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, 40, e.count(`SELECT count(*) FROM host_packages hp JOIN hosts h ON h.id = hp.host_id WHERE h.api_id = $1`, h.apiID))
}
