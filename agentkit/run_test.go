package agentkit_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/agenttest"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

const wait = 20 * time.Second

// recordingStore is a SettingsStore that keeps what it was given.
type recordingStore struct {
	mu    sync.Mutex
	saved []agentkit.Settings
}

func (r *recordingStore) SaveSettings(_ context.Context, s agentkit.Settings) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.saved = append(r.saved, s)
	return nil
}

func (r *recordingStore) last() (agentkit.Settings, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.saved) == 0 {
		return agentkit.Settings{}, 0
	}
	return r.saved[len(r.saved)-1], len(r.saved)
}

// fastWS makes keepalive and reconnection quick enough for tests.
func fastWS(c *agentkit.Config) {
	c.PingInterval = 100 * time.Millisecond
	c.ReconnectMin = 10 * time.Millisecond
	c.ReconnectMax = 100 * time.Millisecond
}

func TestRunForcesFullReportEveryN(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *agentkit.Config) {
		c.UpdateInterval = 40 * time.Millisecond
		c.FullReportEvery = 3
		c.DisableWebSocket = true
	})
	b.srv.SetUpdateInterval(0) // keep the test's interval
	runAgent(t, b.agent)
	reps := b.srv.WaitReports(3, wait)
	pings := b.srv.Pings()
	for i, r := range reps[:3] {
		assert.Empty(t, r.Report.Sections, "report %d is full", i)
		n := 0
		for _, p := range pings {
			if !p.Time.After(r.Time) {
				n++
			}
		}
		// The start-up check-in, then every third tick; the hash gate
		// sends nothing in between.
		assert.Equal(t, 1+3*i, n, "pings before report %d", i)
	}
}

func TestRunSyncsSettingsFromServer(t *testing.T) {
	t.Parallel()
	store := &recordingStore{}
	b := setup(t, func(c *agentkit.Config) { c.Settings = store; c.DisableWebSocket = true })
	b.srv.SetUpdateInterval(15)
	openscap := true
	b.srv.SetIntegrations(agentproto.IntegrationsResponse{Success: true, Integrations: agentproto.Integrations{Docker: true},
		ComplianceMode: agentproto.ComplianceModeOnDemand, ComplianceOpenSCAPEnabled: &openscap})
	runAgent(t, b.agent)
	b.srv.WaitReports(1, wait)
	s := b.agent.Settings()
	assert.Equal(t, 15*time.Minute, s.UpdateInterval)
	assert.Equal(t, agentkit.EffectiveOffset(b.srv.APIID, 15*time.Minute, 0), s.ReportOffset)
	require.NotNil(t, s.Integrations)
	assert.True(t, s.Integrations.Docker)
	assert.Equal(t, "on-demand", s.Integrations.Compliance)
	saved, n := store.last()
	assert.Equal(t, 2, n, "interval, then integrations")
	assert.Equal(t, s, saved)
}

func TestWebSocketCommands(t *testing.T) {
	t.Parallel()
	store := &recordingStore{}
	b := setup(t, func(c *agentkit.Config) { fastWS(c); c.Settings = store })
	b.srv.SetUpdateInterval(0)
	runAgent(t, b.agent)
	b.srv.WaitReports(1, wait) // the start-up check-in
	b.srv.WaitConnected(wait)
	conn := b.srv.Pings()[0].Header
	assert.Equal(t, b.srv.APIID, conn.Get(agentproto.HeaderAPIID))

	// report_now: a full report, even though nothing changed.
	_, err := b.srv.SendMessage(wsproto.ReportNow{})
	require.NoError(t, err)
	reps := b.srv.WaitReports(2, wait)
	assert.Empty(t, reps[1].Report.Sections)

	// settings_update: applied and saved.
	_, err = b.srv.SendCommand("settings_update", map[string]any{"update_interval": 30, "package_cache_refresh_mode": "never",
		"package_cache_refresh_max_age": 120, "compliance_scan_interval": 1440})
	require.NoError(t, err)
	b.srv.Wait(wait, "settings applied", func(*agenttest.Server) bool {
		return b.agent.Settings().PackageCacheRefresh == collect.RefreshNever
	})
	s := b.agent.Settings()
	assert.Equal(t, 30*time.Minute, s.UpdateInterval)
	assert.Equal(t, 2*time.Hour, s.PackageCacheMaxAge)
	saved, _ := store.last()
	assert.Equal(t, s, saved)

	// apply_config: integration switches.
	_, err = b.srv.SendCommand("apply_config", map[string]any{"config": map[string]any{"docker": true,
		"compliance": map[string]any{"enabled": "on-demand", "openscap_enabled": false}}})
	require.NoError(t, err)
	b.srv.Wait(wait, "integrations applied", func(*agenttest.Server) bool {
		in := b.agent.Settings().Integrations
		return in != nil && in.Docker
	})
	in := b.agent.Settings().Integrations
	assert.Equal(t, "on-demand", in.Compliance)
	require.NotNil(t, in.OpenSCAP)
	assert.False(t, *in.OpenSCAP)

	// refresh_integration_status: the agent reports each integration.
	b.srv.SetIntegrations(agentproto.IntegrationsResponse{Success: true, Integrations: agentproto.Integrations{Docker: true}})
	_, err = b.srv.SendCommand("refresh_integration_status", nil)
	require.NoError(t, err)
	b.srv.Wait(wait, "integration statuses", func(s *agenttest.Server) bool { return len(s.IntegrationStatuses()) == 2 })
	for _, st := range b.srv.IntegrationStatuses() {
		if st.Integration == "docker" {
			assert.True(t, st.Enabled)
			assert.Equal(t, agentproto.IntegrationStatusError, st.Status)
		} else {
			assert.Equal(t, agentproto.IntegrationStatusReady, st.Status)
		}
	}

	// ssh_proxy is answered with an error frame; run_patch with a failed
	// patch run; unknown commands are ignored.
	_, err = b.srv.SendCommand("ssh_proxy", map[string]any{"session_id": "s1", "host": "localhost", "port": 22, "username": "root", "password": "secret"})
	require.NoError(t, err)
	_, err = b.srv.SendCommand("run_patch", map[string]any{"patch_run_id": "run-7", "patch_type": "patch_all"})
	require.NoError(t, err)
	_, err = b.srv.SendCommand("docker_inventory_refresh", nil)
	require.NoError(t, err)
	b.srv.Wait(wait, "ssh_proxy_error frame", func(s *agenttest.Server) bool { return len(s.AgentFrames()) == 1 })
	var reply map[string]string
	require.NoError(t, json.Unmarshal(b.srv.AgentFrames()[0], &reply))
	assert.Equal(t, "ssh_proxy_error", reply["type"])
	assert.Equal(t, "s1", reply["session_id"])
	b.srv.Wait(wait, "patch output", func(s *agenttest.Server) bool { return len(s.PatchOutputs()) == 1 })
	out := b.srv.PatchOutputs()[0]
	assert.Equal(t, "run-7", out["run_id"])
	assert.Equal(t, "failed", out["stage"])
}

func TestWebSocketReconnectsAndDeliversSpool(t *testing.T) {
	t.Parallel()
	b := setup(t, fastWS)
	b.srv.SetUpdateInterval(0)
	runAgent(t, b.agent)
	b.srv.WaitReports(1, wait)
	b.srv.WaitConnected(wait)

	// The server goes away: a report made meanwhile is spooled.
	b.srv.SetDown(true)
	b.srv.DropWebSockets()
	_, err := b.agent.SendReport(context.Background())
	require.Error(t, err)
	assert.Equal(t, 1, b.agent.Spooled())

	// It comes back: the agent reconnects on its own and delivers the
	// spooled report without waiting for its next check-in.
	b.srv.SetDown(false)
	b.srv.Wait(wait, "reconnect and delivery", func(s *agenttest.Server) bool {
		return s.Connected() > 0 && len(s.Reports()) >= 2
	})
	assert.GreaterOrEqual(t, b.srv.WebSocketConnects(), 2)
	b.srv.Wait(wait, "an empty spool", func(*agenttest.Server) bool { return b.agent.Spooled() == 0 })
}

func TestWebSocketDetectsDeadLink(t *testing.T) {
	t.Parallel()
	b := setup(t, fastWS)
	b.srv.SetUpdateInterval(0)
	runAgent(t, b.agent)
	b.srv.WaitConnected(wait)
	// The peer stops answering pings but the TCP connection stays open:
	// only the missing pongs tell. The agent must give up on the link and
	// open a new one.
	b.srv.SetSilent(true)
	b.srv.Wait(wait, "a second connection", func(s *agenttest.Server) bool { return s.WebSocketConnects() >= 2 })
	b.srv.SetSilent(false)
	b.srv.WaitConnected(wait)
}

func TestWebSocketRejectedCredentialsKeepRetrying(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *agentkit.Config) { fastWS(c); c.APIKey = "wrong" })
	b.srv.SetUpdateInterval(0)
	done := runAgent(t, b.agent)
	// Nothing is accepted, yet the agent stays alive and keeps trying.
	b.srv.Wait(wait, "repeated attempts", func(s *agenttest.Server) bool { return s.Rejected() >= 6 })
	assert.Zero(t, b.srv.WebSocketConnects())
	select {
	case err := <-done:
		t.Fatalf("Run returned %v", err)
	default:
	}
}
