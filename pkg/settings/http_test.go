package settings_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agenthub/loadgen"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

type obj = map[string]any

type env struct {
	url   string
	admin authtest.Session
	pool  *pgxpool.Pool
}

func setup(t *testing.T) *env {
	t.Helper()
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.RateLimitMax, cfg.AuthRateLimitMax, cfg.AgentRateLimitMax = 1_000_000, 1_000_000, 1_000_000
	cfg.PasswordHashCost = 4
	cfg.ServerProtocol, cfg.ServerHost, cfg.ServerPort = "https", "patchmon.env.example", 8443
	srv := patchmontest.NewServer(t, cfg)
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &env{url: srv.URL, admin: authtest.Setup(t, srv.URL), pool: pool}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) obj {
	t.Helper()
	var out obj
	require.NoError(t, json.Unmarshal(r.body, &out), "%s", r.body)
	return out
}

func (e *env) do(t *testing.T, method, path string, body any, header map[string]string) response {
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
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) asAdmin(t *testing.T, method, path string, body any) response {
	t.Helper()
	return e.do(t, method, path, body, map[string]string{"Authorization": e.admin.Header()})
}

// newHost creates a host and returns its agent credentials.
func (e *env) newHost(t *testing.T, name string) loadgen.Credential {
	t.Helper()
	r := e.asAdmin(t, http.MethodPost, "/api/v1/hosts", obj{"friendly_name": name})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	out := r.json(t)
	return loadgen.Credential{APIID: out["apiId"].(string), APIKey: out["apiKey"].(string)}
}

func agentHeaders(c loadgen.Credential) map[string]string {
	return map[string]string{"X-API-ID": c.APIID, "X-API-KEY": c.APIKey}
}

func TestSettingsDefaultsFromEnvironmentThenSaved(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.asAdmin(t, http.MethodGet, "/api/v1/settings", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	st := r.json(t)
	assert.Equal(t, "https", st["server_protocol"])
	assert.Equal(t, "patchmon.env.example", st["server_host"])
	assert.EqualValues(t, 8443, st["server_port"])
	assert.Equal(t, "https://patchmon.env.example:8443", st["server_url"])
	assert.Equal(t, "environment", st["server_url_source"])
	assert.EqualValues(t, 60, st["update_interval"])
	assert.Equal(t, false, st["auto_update"])
	assert.Equal(t, false, st["ignore_ssl_self_signed"])
	assert.True(t, strings.HasPrefix(st["logo_dark"].(string), "/assets/logo_dark.png?v="), "%v", st["logo_dark"])

	agent := e.newHost(t, "web-01")
	script := e.do(t, http.MethodGet, "/api/v1/hosts/install", nil, agentHeaders(agent))
	require.Equal(t, http.StatusOK, script.status, "%s", script.body)
	assert.Contains(t, string(script.body), "https://patchmon.env.example:8443")

	// Save the host only: the protocol and port are fixed at their current values.
	r = e.asAdmin(t, http.MethodPut, "/api/v1/settings", obj{"serverHost": "patchmon.example.com", "ignoreSslSelfSigned": true,
		"autoUpdate": true, "signupEnabled": true})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	out := r.json(t)
	assert.Equal(t, "Settings updated successfully", out["message"])
	assert.Nil(t, out["agentsNotified"], "the interval did not change")
	st = out["settings"].(obj)
	assert.Equal(t, "https://patchmon.example.com:8443", st["server_url"])
	assert.Equal(t, "settings", st["server_url_source"])
	assert.Equal(t, true, st["ignore_ssl_self_signed"])
	assert.Equal(t, true, st["auto_update"])

	r = e.asAdmin(t, http.MethodPut, "/api/v1/settings", obj{"serverPort": 443})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "https://patchmon.example.com", r.json(t)["settings"].(obj)["server_url"], "the default port is left out")

	// Install scripts and commands follow the saved URL and the self-signed switch.
	script = e.do(t, http.MethodGet, "/api/v1/hosts/install", nil, agentHeaders(agent))
	require.Equal(t, http.StatusOK, script.status)
	assert.Contains(t, string(script.body), "'https://patchmon.example.com'")
	assert.NotContains(t, string(script.body), "patchmon.env.example")
	created := e.asAdmin(t, http.MethodPost, "/api/v1/hosts", obj{"friendly_name": "web-02"})
	require.Equal(t, http.StatusCreated, created.status)
	assert.Contains(t, created.json(t)["installCommand"], "curl -sk 'https://patchmon.example.com/api/v1/hosts/install?insecure=true'")
	// So do enrollment examples.
	tok := e.asAdmin(t, http.MethodPost, "/api/v1/auto-enrollment/tokens", obj{"token_name": "lxc", "metadata": obj{"integration_type": "proxmox-lxc"}})
	require.Equal(t, http.StatusCreated, tok.status, "%s", tok.body)
	assert.Contains(t, string(tok.body), `curl -sk \"https://patchmon.example.com/api/v1/auto-enrollment/script?`)

	var events int
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE event = 'settings.server.updated'`).Scan(&events))
	assert.Equal(t, 2, events)
}

func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		body  obj
		field string
		msg   string
	}{
		{obj{"updateInterval": 2}, "updateInterval", ""},
		{obj{"updateInterval": 2000}, "updateInterval", ""},
		{obj{"serverPort": 0}, "serverPort", ""},
		{obj{"serverPort": 70000}, "serverPort", ""},
		{obj{"serverProtocol": "ftp"}, "serverProtocol", ""},
		{obj{"serverHost": ""}, "serverHost", ""},
		{obj{"serverHost": "https://patchmon.example.com"}, "serverHost", "Server host is a host name or IP address, without http:// or https:// (set the protocol separately)"},
		{obj{"serverHost": "patchmon.example.com:3000"}, "serverHost", "Server host may not contain a port (set the port separately)"},
		{obj{"serverHost": "patchmon.example.com/path"}, "serverHost", "Server host may not contain a path, spaces or quotes"},
		{obj{"serverHost": "bad_-.example..com"}, "serverHost", "Server host is not a valid host name"},
	} {
		r := e.asAdmin(t, http.MethodPut, "/api/v1/settings", tc.body)
		assert.Equal(t, http.StatusBadRequest, r.status, "%v: %s", tc.body, r.body)
		out := r.json(t)
		if tc.msg != "" {
			assert.Equal(t, tc.msg, out["error"], "%v", tc.body)
			assert.Equal(t, tc.field, out["field"], "%v", tc.body)
		} else {
			assert.Contains(t, out["error"], tc.field, "%v", tc.body)
		}
	}
	r := e.asAdmin(t, http.MethodGet, "/api/v1/settings", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "environment", r.json(t)["server_url_source"], "refused changes change nothing")
	assert.EqualValues(t, 60, r.json(t)["update_interval"])

	for _, host := range []string{"10.0.0.5", "::1", "patchmon-01.internal"} {
		r := e.asAdmin(t, http.MethodPut, "/api/v1/settings", obj{"serverHost": host, "serverProtocol": "http", "serverPort": 80})
		assert.Equal(t, http.StatusOK, r.status, "%s: %s", host, r.body)
	}
	assert.Equal(t, "http://patchmon-01.internal", e.asAdmin(t, http.MethodGet, "/api/v1/settings", nil).json(t)["server_url"])
}

func TestUpdateIntervalReachesConnectedAgents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, b := e.newHost(t, "web-01"), e.newHost(t, "web-02")
	e.newHost(t, "never-connected")
	fleet, err := loadgen.NewFleet(loadgen.FleetConfig{ServerURL: e.url, Agents: []loadgen.Credential{a, b}})
	require.NoError(t, err)
	fleet.Start()
	t.Cleanup(fleet.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = fleet.WaitConnected(ctx, 2)
	require.NoError(t, err)
	fleet.Expect(15)

	r := e.asAdmin(t, http.MethodPut, "/api/v1/settings", obj{"updateInterval": 15})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	out := r.json(t)
	assert.EqualValues(t, 15, out["settings"].(obj)["update_interval"])
	assert.Equal(t, obj{"delivered": float64(2), "offline": float64(1), "failed": float64(0)}, out["agentsNotified"])
	require.Eventually(t, func() bool { return len(fleet.Received()) == 2 }, 10*time.Second, 20*time.Millisecond,
		"both agents receive settings_update with the new interval")

	// Agents that start later read it.
	got := e.do(t, http.MethodGet, "/api/v1/settings/update-interval", nil, agentHeaders(a))
	require.Equal(t, http.StatusOK, got.status)
	assert.EqualValues(t, 15, got.json(t)["updateInterval"])

	// Saving the same interval again pushes nothing.
	r = e.asAdmin(t, http.MethodPut, "/api/v1/settings", obj{"updateInterval": 15})
	require.Equal(t, http.StatusOK, r.status)
	assert.Nil(t, r.json(t)["agentsNotified"])
}

// pngImage draws a w×h image; noisy images do not compress.
func pngImage(t *testing.T, w, h int, noisy bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(1, 2))
	for x := range w {
		for y := range h {
			c := color.RGBA{R: uint8(x), G: uint8(y), B: 200, A: 255}
			if noisy {
				c = color.RGBA{R: uint8(rnd.Uint32()), G: uint8(rnd.Uint32()), B: uint8(rnd.Uint32()), A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func TestBrandingUploadServeDelete(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// Defaults are served before anything is uploaded.
	def := e.do(t, http.MethodGet, "/assets/logo_dark.png", nil, nil)
	require.Equal(t, http.StatusOK, def.status)
	assert.Equal(t, "image/svg+xml", def.header.Get("Content-Type"))
	assert.Contains(t, string(def.body), "PatchMon")
	fav := e.do(t, http.MethodGet, "/assets/favicon.svg", nil, nil)
	require.Equal(t, http.StatusOK, fav.status)
	assert.Contains(t, string(fav.body), "<svg")

	logo := pngImage(t, 64, 16, false)
	r := e.asAdmin(t, http.MethodPost, "/api/v1/settings/logos/upload", obj{"logoType": "dark",
		"fileContent": "data:image/png;base64," + base64.StdEncoding.EncodeToString(logo), "fileName": "logo.png"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	out := r.json(t)
	assert.Equal(t, "Dark logo uploaded successfully", out["message"])
	dark := out["branding"].(obj)["logoDark"].(obj)
	assert.Equal(t, true, dark["custom"])
	assert.Equal(t, "image/png", dark["contentType"])
	assert.EqualValues(t, len(logo), dark["size"])
	assert.Equal(t, false, out["branding"].(obj)["logoLight"].(obj)["custom"])

	// The public branding description and the file.
	pub := e.do(t, http.MethodGet, "/api/v1/settings/branding", nil, nil)
	require.Equal(t, http.StatusOK, pub.status)
	url := pub.json(t)["logoDark"].(obj)["url"].(string)
	assert.Equal(t, dark["url"], url)
	got := e.do(t, http.MethodGet, url, nil, nil)
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, logo, got.body)
	assert.Equal(t, "image/png", got.header.Get("Content-Type"))
	assert.Equal(t, "public, max-age=31536000, immutable", got.header.Get("Cache-Control"), "a versioned URL never changes")
	assert.Equal(t, "nosniff", got.header.Get("X-Content-Type-Options"))
	assert.Contains(t, got.header.Get("Content-Security-Policy"), "sandbox")
	etag := got.header.Get("ETag")
	require.NotEmpty(t, etag)
	plain := e.do(t, http.MethodGet, "/assets/logo_dark.png", nil, nil)
	assert.Equal(t, logo, plain.body)
	assert.Equal(t, "public, max-age=300", plain.header.Get("Cache-Control"), "the stable URL is revalidated")
	nm := e.do(t, http.MethodGet, "/assets/logo_dark.png", nil, map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusNotModified, nm.status)
	assert.Empty(t, nm.body)

	// Bad files are refused and change nothing.
	jpg := func() []byte {
		var buf bytes.Buffer
		require.NoError(t, jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4)), nil))
		return buf.Bytes()
	}()
	for _, tc := range []struct {
		name, logoType string
		file           []byte
		content        string
		msg            string
	}{
		{"text", "light", []byte("hello, world"), "", "Unsupported file type: upload a PNG, JPEG, SVG or ICO image"},
		{"executable", "light", []byte("\x7fELF\x02\x01\x01\x00"), "", "Unsupported file type: upload a PNG, JPEG, SVG or ICO image"},
		{"html as svg", "light", []byte(`<html><svg></svg></html>`), "", "Unsupported file type: upload a PNG, JPEG, SVG or ICO image"},
		{"svg script", "light", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "",
			"SVG files may not contain scripts, event handlers, javascript: links or embedded HTML"},
		{"svg handler", "favicon", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "",
			"SVG files may not contain scripts, event handlers, javascript: links or embedded HTML"},
		{"truncated png", "dark", logo[:20], "", "The file is not a valid PNG image"},
		{"jpeg favicon", "favicon", jpg, "", "A favicon must be a PNG, SVG or ICO image"},
		{"too large", "light", pngImage(t, 430, 430, true), "", "The file is too large: the limit is 512 KiB"},
		{"not base64", "light", nil, "%%%not base64%%%", "File content must be base64-encoded (or a data URL)"},
	} {
		content := tc.content
		if content == "" {
			content = base64.StdEncoding.EncodeToString(tc.file)
		}
		r := e.asAdmin(t, http.MethodPost, "/api/v1/settings/logos/upload", obj{"logoType": tc.logoType, "fileContent": content})
		if !assert.Equal(t, http.StatusBadRequest, r.status, "%s: %s", tc.name, r.body) {
			continue
		}
		assert.Equal(t, tc.msg, r.json(t)["error"], tc.name)
		assert.Equal(t, "fileContent", r.json(t)["field"], tc.name)
	}
	r = e.asAdmin(t, http.MethodPost, "/api/v1/settings/logos/upload", obj{"logoType": "banner", "fileContent": "aGk="})
	assert.Equal(t, http.StatusBadRequest, r.status, "unknown logo type")
	assert.Equal(t, logo, e.do(t, http.MethodGet, "/assets/logo_dark.png", nil, nil).body)
	assert.Equal(t, false, e.do(t, http.MethodGet, "/api/v1/settings/branding", nil, nil).json(t)["logoLight"].(obj)["custom"])

	// A JPEG logo and a clean SVG favicon are fine.
	r = e.asAdmin(t, http.MethodPost, "/api/v1/settings/logos/upload", obj{"logoType": "light", "fileContent": base64.StdEncoding.EncodeToString(jpg)})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	svg := `<?xml version="1.0"?><!-- ours --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="4" fill="#e11d48"/></svg>`
	r = e.asAdmin(t, http.MethodPost, "/api/v1/settings/logos/upload", obj{"logoType": "favicon", "fileContent": base64.StdEncoding.EncodeToString([]byte(svg))})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	fav = e.do(t, http.MethodGet, "/assets/favicon.svg", nil, nil)
	assert.Equal(t, svg, string(fav.body))
	assert.Equal(t, "image/svg+xml", fav.header.Get("Content-Type"))

	// Deleting reverts to the default.
	r = e.asAdmin(t, http.MethodDelete, "/api/v1/settings/logos/dark", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, false, r.json(t)["branding"].(obj)["logoDark"].(obj)["custom"])
	assert.Equal(t, def.body, e.do(t, http.MethodGet, "/assets/logo_dark.png", nil, nil).body)
	r = e.asAdmin(t, http.MethodDelete, "/api/v1/settings/logos/dark", nil)
	assert.Equal(t, http.StatusOK, r.status, "deleting a default is not an error")

	var events int
	require.NoError(t, e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE event LIKE 'settings.branding.%'`).Scan(&events))
	assert.Equal(t, 4, events, "three uploads and one removal")
}

// A host with an update interval of its own gets it pushed at once, keeps it when the
// server's interval changes, and follows the server's again after it is cleared.
func TestHostUpdateIntervalOverride(t *testing.T) {
	t.Parallel()
	e := setup(t)
	created := e.asAdmin(t, http.MethodPost, "/api/v1/hosts", obj{"friendly_name": "own-interval"})
	require.Equal(t, http.StatusCreated, created.status, "%s", created.body)
	out := created.json(t)
	hostA := out["hostId"].(string)
	a := loadgen.Credential{APIID: out["apiId"].(string), APIKey: out["apiKey"].(string)}
	b := e.newHost(t, "server-interval")

	fleets := map[string]*loadgen.Fleet{}
	for name, c := range map[string]loadgen.Credential{"a": a, "b": b} {
		f, err := loadgen.NewFleet(loadgen.FleetConfig{ServerURL: e.url, Agents: []loadgen.Credential{c}})
		require.NoError(t, err)
		f.Start()
		t.Cleanup(f.Close)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		_, err = f.WaitConnected(ctx, 1)
		cancel()
		require.NoError(t, err)
		fleets[name] = f
	}
	interval := func(c loadgen.Credential) any {
		r := e.do(t, http.MethodGet, "/api/v1/settings/update-interval", nil, agentHeaders(c))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		return r.json(t)["updateInterval"]
	}

	// Out of range is refused and names the field.
	r := e.asAdmin(t, http.MethodPatch, "/api/v1/hosts/"+hostA, obj{"updateInterval": 3})
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), "updateInterval")

	fleets["a"].Expect(30)
	r = e.asAdmin(t, http.MethodPatch, "/api/v1/hosts/"+hostA, obj{"updateInterval": 30})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.EqualValues(t, 30, r.json(t)["updateInterval"])
	assert.Equal(t, true, r.json(t)["updateIntervalOverride"])
	require.Eventually(t, func() bool { return len(fleets["a"].Received()) == 1 }, 10*time.Second, 20*time.Millisecond,
		"the host's agent receives its own interval")
	assert.EqualValues(t, 30, interval(a))

	// The server's interval changes: only the host without one of its own is told.
	fleets["a"].Expect(20)
	fleets["b"].Expect(20)
	r = e.asAdmin(t, http.MethodPut, "/api/v1/settings", obj{"updateInterval": 20})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, obj{"delivered": float64(1), "offline": float64(0), "failed": float64(0)}, r.json(t)["agentsNotified"])
	require.Eventually(t, func() bool { return len(fleets["b"].Received()) == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Empty(t, fleets["a"].Received(), "the host with its own interval keeps it")
	assert.EqualValues(t, 30, interval(a))
	assert.EqualValues(t, 20, interval(b))

	// Cleared: the host follows the server again, and is told so.
	r = e.asAdmin(t, http.MethodPatch, "/api/v1/hosts/"+hostA, obj{"updateInterval": 0})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.EqualValues(t, 20, r.json(t)["updateInterval"])
	assert.Equal(t, false, r.json(t)["updateIntervalOverride"])
	require.Eventually(t, func() bool { return len(fleets["a"].Received()) == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.EqualValues(t, 20, interval(a))
}
