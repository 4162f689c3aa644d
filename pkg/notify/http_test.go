package notify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/notify"
	"github.com/patchmon-go/patchmon/pkg/notify/notifytest"
)

type obj = map[string]any

type httpEnv struct {
	url  string
	auth string
	t    *testing.T
}

// call sends a JSON request as the admin and returns the status and the raw body.
func (e httpEnv) call(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.url+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", e.auth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return res.StatusCode, b
}

func (e httpEnv) json(method, path string, body any, want int) obj {
	e.t.Helper()
	status, b := e.call(method, path, body)
	require.Equal(e.t, want, status, "%s %s: %s", method, path, b)
	var out obj
	if len(b) > 0 {
		require.NoError(e.t, json.Unmarshal(b, &out), "%s", b)
	}
	return out
}

func setupHTTP(t *testing.T) httpEnv {
	cfg := patchmon.DefaultConfig()
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	cfg.RateLimitMax, cfg.AuthRateLimitMax = 1_000_000, 1_000_000
	cfg.PasswordHashCost = 4
	srv := patchmontest.NewServer(t, cfg)
	return httpEnv{url: srv.URL, auth: authtest.Setup(t, srv.URL).Header(), t: t}
}

// TestHTTPDestinationsRoutesAndLog drives the API the way the dashboard does: the secret
// goes in once and never comes back; the test send lands in the delivery log.
func TestHTTPDestinationsRoutesAndLog(t *testing.T) {
	t.Parallel()
	e := setupHTTP(t)
	rcv := notifytest.NewReceiver(t)

	d := e.json(http.MethodPost, "/api/v1/notifications/destinations", obj{"name": "Ops webhook", "type": "webhook",
		"config": obj{"url": rcv.URL}, "secrets": obj{"signing_secret": "top-secret-value", "headers": obj{"X-Api-Key": "hdr-secret"}}}, http.StatusCreated)
	id := d["id"].(string)
	assert.Equal(t, obj{"signing_secret": "••••••••", "headers": obj{"X-Api-Key": "••••••••"}}, d["secrets"])
	for _, path := range []string{"/api/v1/notifications/destinations", "/api/v1/notifications/destinations/" + id} {
		_, b := e.call(http.MethodGet, path, nil)
		assert.NotContains(t, string(b), "top-secret-value")
		assert.NotContains(t, string(b), "hdr-secret")
	}

	// Validation errors name the field.
	status, b := e.call(http.MethodPost, "/api/v1/notifications/destinations", obj{"name": "x", "type": "slack"})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"error":"Webhook URL must be an http or https URL","code":"notify_validation","field":"secrets.webhook_url"}`, string(b))
	status, _ = e.call(http.MethodPost, "/api/v1/notifications/destinations", obj{"name": "Ops webhook", "type": "webhook", "config": obj{"url": rcv.URL}})
	assert.Equal(t, http.StatusConflict, status)

	res := e.json(http.MethodPost, "/api/v1/notifications/destinations/"+id+"/test", nil, http.StatusOK)
	assert.Equal(t, true, res["success"])
	assert.Equal(t, float64(200), res["response_code"])
	r := rcv.Requests()[0]
	require.NoError(t, notify.VerifySignature("top-secret-value", r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature), r.Body, 0, e.now()))
	assert.Equal(t, "hdr-secret", r.Header.Get("X-Api-Key"))

	log := e.json(http.MethodGet, "/api/v1/notifications/deliveries?destination_id="+id, nil, http.StatusOK)
	assert.Equal(t, float64(1), log["total"])
	entry := log["deliveries"].([]any)[0].(obj)
	assert.Equal(t, "succeeded", entry["status"])
	assert.Equal(t, "test", entry["event_type"])
	assert.Equal(t, "Ops webhook", entry["destination_name"])
	assert.Len(t, entry["attempts_log"], 1)

	// A failing test send is a 200 with the receiver's answer.
	rcv.FailNext(1, http.StatusUnauthorized)
	res = e.json(http.MethodPost, "/api/v1/notifications/destinations/"+id+"/test", nil, http.StatusOK)
	assert.Equal(t, false, res["success"])
	assert.Contains(t, res["error"], "HTTP 401")

	// Routes.
	opts := e.json(http.MethodGet, "/api/v1/notifications/options", nil, http.StatusOK)
	assert.Contains(t, opts["event_types"], "host_down")
	route := e.json(http.MethodPost, "/api/v1/notifications/routes", obj{"name": "Critical", "min_severity": "critical",
		"event_types": []string{"host_down"}, "destination_ids": []string{id}}, http.StatusCreated)
	assert.Equal(t, true, route["enabled"])
	rid := route["id"].(string)
	route = e.json(http.MethodPut, "/api/v1/notifications/routes/"+rid, obj{"name": "Critical", "enabled": false, "destination_ids": []string{id}}, http.StatusOK)
	assert.Equal(t, false, route["enabled"])
	assert.Equal(t, "informational", route["min_severity"])
	_, b = e.call(http.MethodGet, "/api/v1/notifications/routes", nil)
	assert.Contains(t, string(b), `"name":"Critical"`)
	status, _ = e.call(http.MethodPost, "/api/v1/notifications/routes", obj{"name": "x", "min_severity": "loud", "destination_ids": []string{id}})
	assert.Equal(t, http.StatusBadRequest, status)

	// Update keeps the secret when not mentioned.
	e.json(http.MethodPut, "/api/v1/notifications/destinations/"+id, obj{"name": "Ops webhook v2"}, http.StatusOK)
	e.json(http.MethodPost, "/api/v1/notifications/destinations/"+id+"/test", nil, http.StatusOK)
	last := rcv.Requests()[len(rcv.Requests())-1]
	require.NoError(t, notify.VerifySignature("top-secret-value", last.Header.Get(notify.HeaderTimestamp), last.Header.Get(notify.HeaderSignature), last.Body, 0, e.now()))

	// Scheduled reports through the same destination.
	preview := e.json(http.MethodGet, "/api/v1/scheduled-reports/next-runs?cron=0+8+*+*+1&timezone=Europe/Berlin&count=3", nil, http.StatusOK)
	assert.Equal(t, true, preview["valid"])
	assert.Len(t, preview["next_runs"], 3)
	preview = e.json(http.MethodGet, "/api/v1/scheduled-reports/next-runs?cron=61+*+*+*+*", nil, http.StatusOK)
	assert.Equal(t, false, preview["valid"])
	assert.Contains(t, preview["error"], "Invalid cron expression")

	ropts := e.json(http.MethodGet, "/api/v1/scheduled-reports/options", nil, http.StatusOK)
	assert.Equal(t, "Ops webhook v2", ropts["destinations"].([]any)[0].(obj)["name"])
	sch := e.json(http.MethodPost, "/api/v1/scheduled-reports", obj{"name": "Weekly", "cron": "0 8 * * 1", "format": "json",
		"destination_ids": []string{id}}, http.StatusCreated)
	sid := sch["id"].(string)
	assert.NotNil(t, sch["next_run_at"])
	assert.Equal(t, "UTC", sch["timezone"])
	run := e.json(http.MethodPost, "/api/v1/scheduled-reports/"+sid+"/run", nil, http.StatusOK)
	assert.Equal(t, "succeeded", run["status"])
	assert.Equal(t, "manual", run["trigger"])
	assert.Greater(t, run["size_bytes"], float64(0))
	var runs []obj
	status, b = e.call(http.MethodGet, "/api/v1/scheduled-reports/"+sid+"/runs", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(b, &runs))
	require.Len(t, runs, 1)
	assert.Equal(t, run["id"], runs[0]["id"])
	got := e.json(http.MethodGet, "/api/v1/scheduled-reports/"+sid, nil, http.StatusOK)
	assert.Equal(t, run["id"], got["last_run"].(obj)["id"])

	// Deletes.
	e.json(http.MethodDelete, "/api/v1/scheduled-reports/"+sid, nil, http.StatusNoContent)
	status, _ = e.call(http.MethodGet, "/api/v1/scheduled-reports/"+sid, nil)
	assert.Equal(t, http.StatusNotFound, status)
	e.json(http.MethodDelete, "/api/v1/notifications/routes/"+rid, nil, http.StatusNoContent)
	e.json(http.MethodDelete, "/api/v1/notifications/destinations/"+id, nil, http.StatusNoContent)
	status, b = e.call(http.MethodGet, "/api/v1/notifications/destinations/"+id, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, string(b), "notify_destination_not_found")
}

func (e httpEnv) now() time.Time { return time.Now() }
