package inventory_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFleetStatsAndOffline(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	a, b := e.newHost("a"), e.newHost("b")
	e.newHost("never-reported")
	require.Equal(t, http.StatusOK, e.do(&a, "POST", "/api/v1/hosts/update", fullReport(packages(30, ""))).status)
	rep := fullReport(packages(10, "other-"))
	rep.OSType, rep.OSVersion, rep.NeedsReboot = "Ubuntu", "24.04", false
	require.Equal(t, http.StatusOK, e.do(&b, "POST", "/api/v1/hosts/update", rep).status)

	st, err := e.svc.SnapshotFleetStats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, st.TotalHosts)
	assert.Equal(t, 2, st.ActiveHosts)
	assert.Equal(t, 1, st.PendingHosts)
	assert.Equal(t, 2, st.HostsNeedingUpdates)
	assert.Equal(t, 2, st.HostsWithSecurityUpdates)
	assert.Equal(t, 1, st.HostsNeedingReboot)
	assert.Equal(t, 40, st.TotalPackages)
	assert.Equal(t, 5+2, st.OutdatedPackages) // i%7 == 0 below 30 and below 10
	assert.Equal(t, int64(7), st.OutdatedInstalls)
	assert.Equal(t, map[string]int{"Debian 12": 1, "Ubuntu 24.04": 1, "Unknown": 1}, st.OSDistribution)
	assert.WithinDuration(t, time.Now(), st.CapturedAt, time.Minute)
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM fleet_stats_snapshots`))

	// Hosts that stop checking in go offline; their next check-in brings them back.
	_, err = e.pool.Exec(ctx, `UPDATE hosts SET last_checkin_at = now() - interval '1 hour' WHERE id = $1`, a.id)
	require.NoError(t, err)
	n, err := e.svc.MarkOffline(ctx, 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	resp := e.do(&a, "POST", "/api/v1/hosts/ping", nil)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, true, resp.json(t)["agentStartup"], "a host coming back from offline is starting up")
	var status string
	e.scalar(&status, `SELECT status FROM hosts WHERE id = $1`, a.id)
	assert.Equal(t, "active", status)
	resp = e.do(&a, "POST", "/api/v1/hosts/ping", nil)
	assert.Equal(t, false, resp.json(t)["agentStartup"])
}
