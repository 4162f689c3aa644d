package agenthub_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Two replicas share PostgreSQL and Redis: a command issued on one reaches
// agents connected to the other, and both know the whole fleet's presence.
func TestCommandsAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	a, b := e.replica(), e.replica()
	ctx := context.Background()
	onA, keyA := e.host("on-a")
	onB, keyB := e.host("on-b")
	nowhere, _ := e.host("nowhere")
	agentA := connect(t, a, onA, keyA)
	agentB := connect(t, b, onB, keyB)

	for _, r := range []*replica{a, b} {
		eventually(t, 5*time.Second, "fleet presence on every replica", func() bool {
			s, err := r.hub.Summary(ctx)
			return err == nil && s.Connected == 2 && len(s.Replicas) == 2
		})
	}

	// Issued on B, delivered by A.
	d, err := b.hub.Send(ctx, onA.ID, wsproto.RefreshIntegrationStatus{})
	require.NoError(t, err)
	assert.Equal(t, agenthub.Delivered, d.Status, d.Error)
	assert.JSONEq(t, `{"type":"refresh_integration_status"}`, string(agentA.next(t, 5*time.Second)))

	// A fleet-wide command from A reaches both replicas' agents.
	res, err := a.hub.SendTo(ctx, agenthub.Fleet, wsproto.SettingsUpdate{UpdateInterval: 120})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Delivered, describe(res))
	assert.Equal(t, 1, res.Offline)
	for _, d := range res.Deliveries {
		if d.HostID == nowhere.ID {
			assert.Equal(t, agenthub.Offline, d.Status)
		}
	}
	for _, ag := range []*agent{agentA, agentB} {
		assert.JSONEq(t, `{"type":"settings_update","update_interval":120}`, string(ag.next(t, 5*time.Second)))
	}

	// The agent moves from A to B: B's connection takes over, A's is closed,
	// and commands follow it.
	moved := connect(t, b, onA, keyA)
	assert.Equal(t, uint16(4000), closeCode(agentA.waitClosed(t, 5*time.Second)))
	eventually(t, 5*time.Second, "A sees the host on B", func() bool {
		st, err := a.hub.StatusByHostID(ctx, onA.ID)
		return err == nil && st.Connected && st.Replica == b.hub.ReplicaID()
	})
	d, err = a.hub.Send(ctx, onA.ID, wsproto.ReportNow{})
	require.NoError(t, err)
	assert.Equal(t, agenthub.Delivered, d.Status, d.Error)
	moved.next(t, 5*time.Second)
	s, _ := e.presence(onA.ID)
	assert.Equal(t, "online", s)
}

// A replica that stops renewing its liveness key (crashed, or cut off from
// Redis) loses its hosts: another replica records them offline, and no ghost
// "online" hosts remain.
func TestLostReplicaHostsGoOffline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	doomed, survivor := e.replica(), e.replica()
	ctx := context.Background()
	host, key := e.host("web-01")
	connect(t, doomed, host, key)
	status := subscribe(t, survivor.store, agenthub.ChannelStatus)
	eventually(t, 5*time.Second, "survivor sees the host", func() bool {
		st, err := survivor.hub.StatusByHostID(ctx, host.ID)
		return err == nil && st.Connected
	})

	// Cut the doomed replica off from Redis: it can no longer renew its key.
	doomed.store.Close()
	start := time.Now()
	ev := nextStatus(t, status, host.ID, agenthub.StatusOffline, 5*time.Second)
	assert.Equal(t, agenthub.ReasonReplicaLost, ev.Reason)
	assert.Equal(t, doomed.hub.ReplicaID(), ev.Replica)
	t.Logf("hosts of the lost replica offline after %s (ReplicaTTL 600ms)", time.Since(start).Round(time.Millisecond))

	s, reason := e.presence(host.ID)
	assert.Equal(t, "offline", s)
	assert.Equal(t, agenthub.ReasonReplicaLost, reason)
	sum, err := survivor.hub.Summary(ctx)
	require.NoError(t, err)
	assert.Zero(t, sum.Connected)
	d, err := survivor.hub.Send(ctx, host.ID, wsproto.ReportNow{})
	require.NoError(t, err)
	assert.Equal(t, agenthub.Offline, d.Status)

	// A replica started later does not resurrect it either.
	late := e.replica()
	st, err := late.hub.StatusByHostID(ctx, host.ID)
	require.NoError(t, err)
	assert.False(t, st.Connected)
}

// A replica starting after a crash of another (whose records say "online")
// takes those hosts offline while loading presence.
func TestStartSweepsStaleRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	host, _ := e.host("web-01")
	_, err := e.db.Pool.Exec(context.Background(), `INSERT INTO agent_presence (host_id, status, replica_id, connection_id, connected_at)
		VALUES ($1, 'online', 'crashed-replica', 'c1', now() - interval '1 hour')`, host.ID)
	require.NoError(t, err)
	r := e.replica()
	s, reason := e.presence(host.ID)
	assert.Equal(t, "offline", s)
	assert.Equal(t, agenthub.ReasonReplicaLost, reason)
	sum, err := r.hub.Summary(context.Background())
	require.NoError(t, err)
	assert.Zero(t, sum.Connected)
	assert.Equal(t, []string{"offline/replica_lost"}, e.transitions(host.ID))
}

// The holder repairs a record another replica changed wrongly, for instance
// after a partition in which its liveness key lapsed.
func TestReconcileReassertsLiveConnections(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica(func(c *agenthub.Config) { c.ReconcileInterval = 200 * time.Millisecond })
	host, key := e.host("web-01")
	connect(t, r, host, key)
	eventually(t, 5*time.Second, "online", func() bool { s, _ := e.presence(host.ID); return s == "online" })
	time.Sleep(5100 * time.Millisecond) // older than the settle time
	_, err := e.db.Pool.Exec(context.Background(), `UPDATE agent_presence SET status = 'offline', disconnect_reason = 'replica_lost' WHERE host_id = $1`, host.ID)
	require.NoError(t, err)
	eventually(t, 5*time.Second, "re-asserted", func() bool { s, _ := e.presence(host.ID); return s == "online" })
	tr := e.transitions(host.ID)
	assert.Equal(t, "online/reasserted", tr[len(tr)-1])
}

func TestDeletedHostDisappears(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")
	ag := connect(t, r, host, key)
	eventually(t, 5*time.Second, "online", func() bool { s, _ := e.presence(host.ID); return s == "online" })
	_, err := e.db.Pool.Exec(context.Background(), `DELETE FROM hosts WHERE id = $1`, host.ID)
	require.NoError(t, err)
	// Its disconnect finds no record to write, which must not disturb others.
	other, okey := e.host("web-02")
	require.NoError(t, ag.conn.WriteClose(1000, nil))
	connect(t, r, other, okey)
	eventually(t, 5*time.Second, "other online", func() bool { s, _ := e.presence(other.ID); return s == "online" })
	_, err = r.hub.Send(context.Background(), host.ID, wsproto.ReportNow{})
	assert.ErrorIs(t, err, agenthub.ErrHostNotFound)
}
