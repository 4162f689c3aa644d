package loadgen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/loadgen"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

func TestRunAllModes(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())
	ctx := context.Background()
	body, err := json.Marshal(map[string]string{"username": "admin", "email": "admin@example.com", "password": "Sup3r-secret!pw"})
	require.NoError(t, err)
	resp, err := http.Post(srv.URL+"/api/v1/auth/setup-admin", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	token, err := loadgen.Login(ctx, http.DefaultClient, srv.URL, "admin", "Sup3r-secret!pw")
	require.NoError(t, err)
	creds, err := loadgen.CreateHostsAPI(ctx, http.DefaultClient, srv.URL, token, "lg", 6, 3)
	require.NoError(t, err)
	require.Len(t, creds, 6)
	path := filepath.Join(t.TempDir(), "hosts.json")
	require.NoError(t, loadgen.WriteCredentials(path, creds))
	again, err := loadgen.ReadCredentials(path)
	require.NoError(t, err)
	assert.Equal(t, creds, again)

	for i, mode := range []loadgen.Mode{loadgen.ModeFull, loadgen.ModePartial, loadgen.ModePing, loadgen.ModeMixed} {
		res, err := loadgen.Run(ctx, loadgen.Config{
			URL: srv.URL, Hosts: creds, Mode: mode, Concurrency: 3, Requests: 30,
			Packages: 40, PoolSize: 100, ChangeShare: 0.2, Prime: i == 0,
		})
		require.NoError(t, err, mode)
		assert.Zero(t, res.TotalErrors(), "%s:\n%s", mode, res.Format())
		assert.Equal(t, int64(30), res.Operations, mode)
		out := res.Format()
		assert.True(t, strings.HasPrefix(out, "mode "+string(mode)), out)
		switch mode {
		case loadgen.ModePing:
			assert.Equal(t, int64(30), res.ByKind["ping"].Requests)
		case loadgen.ModeMixed:
			assert.Equal(t, int64(30), res.ByKind["ping"].Requests)
			assert.Positive(t, res.ByKind["report"].Requests, "changed packages are asked for and sent")
		default:
			assert.Equal(t, int64(30), res.ByKind["report"].Requests)
			assert.Positive(t, res.ByKind["report"].P99)
		}
	}

	// Bad credentials are counted, not fatal.
	res, err := loadgen.Run(ctx, loadgen.Config{URL: srv.URL, Hosts: []loadgen.Credentials{{APIID: "patchmon_x", APIKey: "y"}},
		Requests: 3, Concurrency: 1})
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.TotalErrors())
	assert.Contains(t, res.Format(), "HTTP 401")

	_, err = loadgen.Run(ctx, loadgen.Config{URL: srv.URL, Hosts: creds, Mode: "bogus"})
	assert.ErrorContains(t, err, `unknown mode "bogus"`)
}

// TestCreateHostsEnroll creates hosts through an enrollment token, in two bulk requests,
// and checks that they can report.
func TestCreateHostsEnroll(t *testing.T) {
	t.Parallel()
	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())
	ctx := context.Background()
	body, err := json.Marshal(map[string]string{"username": "admin", "email": "admin@example.com", "password": "Sup3r-secret!pw"})
	require.NoError(t, err)
	resp, err := http.Post(srv.URL+"/api/v1/auth/setup-admin", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	token, err := loadgen.Login(ctx, http.DefaultClient, srv.URL, "admin", "Sup3r-secret!pw")
	require.NoError(t, err)

	body, err = json.Marshal(map[string]any{"token_name": "loadgen", "max_hosts_per_day": 100,
		"metadata": map[string]string{"integration_type": "direct-host"}})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/auto-enrollment/tokens", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var created struct {
		Token struct {
			Key    string `json:"token_key"`
			Secret string `json:"token_secret"`
		} `json:"token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	creds, err := loadgen.CreateHostsEnroll(ctx, http.DefaultClient, srv.URL, created.Token.Key, created.Token.Secret, "en", 60)
	require.NoError(t, err)
	require.Len(t, creds, 60)
	res, err := loadgen.Run(ctx, loadgen.Config{URL: srv.URL, Hosts: creds, Mode: loadgen.ModeFull, Concurrency: 4,
		Requests: 60, Packages: 20, PoolSize: 50})
	require.NoError(t, err)
	assert.Zero(t, res.TotalErrors(), res.Format())

	// The same names again are the same machines: refused, not twinned.
	_, err = loadgen.CreateHostsEnroll(ctx, http.DefaultClient, srv.URL, created.Token.Key, created.Token.Secret, "en", 10)
	assert.ErrorContains(t, err, "skipped")

	_, err = loadgen.CreateHostsEnroll(ctx, http.DefaultClient, srv.URL, created.Token.Key, "wrong", "other", 1)
	assert.ErrorContains(t, err, "HTTP 401")
}
