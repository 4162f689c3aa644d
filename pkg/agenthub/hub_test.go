package agenthub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lxzan/gws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

func TestAuthBeforeUpgrade(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")

	tests := []struct {
		name   string
		header http.Header
		fail   error
		status int
		code   string
	}{
		{"no credentials", http.Header{}, nil, 401, agenthub.CodeMissingCredentials},
		{"no key", creds(host.APIID, ""), nil, 401, agenthub.CodeMissingCredentials},
		{"wrong key", creds(host.APIID, "0000"), nil, 401, agenthub.CodeInvalidCredentials},
		{"unknown api id", creds("patchmon_ffffffffffffffff", key), nil, 401, agenthub.CodeInvalidCredentials},
		{"host gone", creds(host.APIID, key), agenthub.ErrHostNotFound, 404, agenthub.CodeHostNotFound},
		{"authenticator broken", creds(host.APIID, key), errors.New("database down"), 500, "internal_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.auth.mu.Lock()
			e.auth.fail = tt.fail
			e.auth.mu.Unlock()
			_, resp, err := dial(t, r.url, tt.header, true)
			require.Error(t, err, "the connection must not be upgraded")
			require.NotNil(t, resp)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Empty(t, resp.Header.Get("Sec-WebSocket-Accept"))
			var body struct{ Error, Code string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, tt.code, body.Code, body.Error)
		})
	}
	e.auth.mu.Lock()
	e.auth.fail = nil
	e.auth.mu.Unlock()
	assert.Zero(t, r.hub.LocalConnections())
	var rows int
	require.NoError(t, e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM agent_presence`).Scan(&rows))
	assert.Zero(t, rows, "a refused agent left a presence record")

	// Valid credentials without an upgrade: 426, still nothing upgraded.
	req, _ := http.NewRequest("GET", r.srv.URL+"/api/v1/agents/ws", nil)
	req.Header = creds(host.APIID, key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUpgradeRequired, resp.StatusCode, string(body))

	// And with everything right, 101 with the protocol version.
	a, resp, err := dial(t, r.url, creds(host.APIID, key), true)
	require.NoError(t, err)
	assert.Equal(t, "1", resp.Header.Get(wsproto.VersionHeader))
	eventually(t, 5*time.Second, "presence recorded", func() bool { s, _ := e.presence(host.ID); return s == "online" })
	assert.Equal(t, 1, r.hub.LocalConnections())
	_ = a
}

func TestFrameLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	var received atomic.Int32
	r := e.replica(func(c *agenthub.Config) {
		c.OnMessage = func(_ context.Context, _ agenthub.HostRef, m wsproto.Message) { received.Add(1) }
	})
	host, key := e.host("web-01")
	events := subscribe(t, r.store, agenthub.ChannelAgentEvents)
	a := connect(t, r, host, key)

	// A frame of exactly 64 KiB is read; the padding is JSON white space.
	frame := []byte(`{"type":"compliance_scan_progress","phase":"started","profile_name":"CIS","message":"go","progress":1}`)
	padded := append(bytes.Repeat([]byte(" "), wsproto.MaxFrameSize-len(frame)), frame...)
	require.Len(t, padded, wsproto.MaxFrameSize)
	require.NoError(t, a.conn.WriteMessage(gws.OpcodeText, padded))
	select {
	case b := <-events:
		var ev agenthub.AgentEvent
		require.NoError(t, json.Unmarshal(b, &ev))
		assert.Equal(t, host.ID, ev.HostID)
		assert.Equal(t, wsproto.TypeComplianceScanProgress, ev.Type)
		assert.JSONEq(t, `{"type":"compliance_scan_progress","phase":"started","profile_name":"CIS","message":"go","progress":1}`, string(ev.Frame))
	case <-time.After(5 * time.Second):
		t.Fatal("64 KiB frame was not delivered")
	}

	// Unknown types and broken frames are skipped; the connection stays.
	require.NoError(t, a.conn.WriteString(`{"type":"rdp_proxy_data","session_id":"x"}`))
	require.NoError(t, a.conn.WriteString(`not json`))
	require.NoError(t, a.conn.WriteString(`{"type":"ssh_proxy_data"}`))
	require.NoError(t, a.conn.WriteString(`{"type":"docker_status","container_id":"c1","name":"web","status":"running"}`))
	eventually(t, 5*time.Second, "docker_status handled", func() bool { return received.Load() == 2 })

	// One byte more closes the connection with 1009 and the host goes offline.
	status := subscribe(t, r.store, agenthub.ChannelStatus)
	require.NoError(t, a.conn.WriteMessage(gws.OpcodeText, append(padded, ' ')))
	err := a.waitClosed(t, 5*time.Second)
	assert.Equal(t, uint16(1009), closeCode(err), "close error %v", err)
	ev := nextStatus(t, status, host.ID, agenthub.StatusOffline, 5*time.Second)
	assert.Equal(t, agenthub.ReasonProtocol, ev.Reason)
	assert.Equal(t, int32(2), received.Load())
}

func TestIdleAgentGoesOffline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica(func(c *agenthub.Config) { c.IdleTimeout = 700 * time.Millisecond })
	status := subscribe(t, r.store, agenthub.ChannelStatus)

	lively, lkey := e.host("lively")
	silent, skey := e.host("silent")
	la := connect(t, r, lively, lkey)
	sa, _, err := dial(t, r.url, creds(silent.APIID, skey), false)
	require.NoError(t, err)
	nextStatus(t, status, silent.ID, agenthub.StatusOnline, 5*time.Second)

	// The silent agent answers no pings and sends nothing: it is dropped after
	// IdleTimeout; the one answering pings stays well past it.
	ev := nextStatus(t, status, silent.ID, agenthub.StatusOffline, 5*time.Second)
	assert.Equal(t, agenthub.ReasonIdle, ev.Reason)
	assert.Equal(t, agenthub.StatusOnline, ev.Previous)
	sa.waitClosed(t, 5*time.Second)
	eventually(t, 5*time.Second, "offline recorded", func() bool { s, _ := e.presence(silent.ID); return s == "offline" })
	_, reason := e.presence(silent.ID)
	assert.Equal(t, agenthub.ReasonIdle, reason)
	assert.Equal(t, []string{"online/connected", "offline/idle_timeout"}, e.transitions(silent.ID))

	time.Sleep(1500 * time.Millisecond) // two idle timeouts
	st, err := r.hub.StatusByHostID(context.Background(), lively.ID)
	require.NoError(t, err)
	assert.True(t, st.Connected)
	select {
	case err := <-la.closed:
		t.Fatalf("lively agent dropped: %v", err)
	default:
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	ctx := context.Background()
	g := e.group("web")
	online, okey := e.host("online", g)
	offline, _ := e.host("offline", g)
	other, otherKey := e.host("other")
	a := connect(t, r, online, okey)
	b := connect(t, r, other, otherKey)
	eventually(t, 5*time.Second, "agents online", func() bool { return r.hub.LocalConnections() == 2 })
	commands := subscribe(t, r.store, agenthub.ChannelCommands)

	d, err := r.hub.Send(ctx, online.ID, wsproto.ReportNow{})
	require.NoError(t, err)
	assert.Equal(t, agenthub.Delivery{HostID: online.ID, APIID: online.APIID, Status: agenthub.Delivered}, d)
	assert.JSONEq(t, `{"type":"report_now"}`, string(a.next(t, 5*time.Second)))

	d, err = r.hub.Send(ctx, offline.ID, wsproto.ReportNow{})
	require.NoError(t, err, "an offline host is a result, not an error")
	assert.Equal(t, agenthub.Offline, d.Status)

	_, err = r.hub.Send(ctx, uuid.New(), wsproto.ReportNow{})
	assert.ErrorIs(t, err, agenthub.ErrHostNotFound)
	_, err = r.hub.SendTo(ctx, agenthub.Target{GroupIDs: []uuid.UUID{uuid.New()}}, wsproto.ReportNow{})
	assert.ErrorIs(t, err, agenthub.ErrGroupNotFound)
	_, err = r.hub.SendTo(ctx, agenthub.Target{}, wsproto.ReportNow{})
	assert.ErrorIs(t, err, agenthub.ErrNoTarget)
	_, err = r.hub.Send(ctx, online.ID, wsproto.RunPatch{})
	assert.ErrorIs(t, err, wsproto.ErrInvalid)
	_, err = r.hub.Send(ctx, online.ID, wsproto.DockerStatus{})
	assert.ErrorIs(t, err, wsproto.ErrInvalid, "agent-to-server frames cannot be sent to agents")
	_, err = r.hub.Send(ctx, online.ID, wsproto.SSHProxyInput{SessionID: "s", Data: strings.Repeat("x", wsproto.MaxFrameSize)})
	assert.ErrorIs(t, err, wsproto.ErrFrameTooLarge)

	// A group: one member online, one not.
	res, err := r.hub.SendTo(ctx, agenthub.Target{GroupIDs: []uuid.UUID{g}}, wsproto.SettingsUpdate{UpdateInterval: 30})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Delivered)
	assert.Equal(t, 1, res.Offline)
	assert.Len(t, res.Deliveries, 2)
	assert.JSONEq(t, `{"type":"settings_update","update_interval":30}`, string(a.next(t, 5*time.Second)))

	// The fleet: everything, each host once even when named twice.
	res, err = r.hub.SendTo(ctx, agenthub.Target{All: true, HostIDs: []uuid.UUID{online.ID, online.ID}, GroupIDs: []uuid.UUID{g}},
		wsproto.UpdateAgent{})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Delivered, describe(res))
	assert.Equal(t, 1, res.Offline)
	assert.JSONEq(t, `{"type":"update_agent"}`, string(a.next(t, 5*time.Second)))
	assert.JSONEq(t, `{"type":"update_agent"}`, string(b.next(t, 5*time.Second)))

	// Every command is announced.
	var seen []agenthub.CommandEvent
	eventually(t, 5*time.Second, "command events", func() bool {
		for {
			select {
			case m := <-commands:
				var ev agenthub.CommandEvent
				require.NoError(t, json.Unmarshal(m, &ev))
				seen = append(seen, ev)
			default:
				return len(seen) == 4
			}
		}
	})
	assert.Equal(t, wsproto.TypeUpdateAgent, seen[3].Command)
	assert.True(t, seen[3].Target.All)
	assert.Len(t, seen[3].Deliveries, 3)
}

func TestReconnectReplacesOlderConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")
	first := connect(t, r, host, key)
	eventually(t, 5*time.Second, "online", func() bool { s, _ := e.presence(host.ID); return s == "online" })
	second := connect(t, r, host, key)
	err := first.waitClosed(t, 5*time.Second)
	assert.Equal(t, uint16(4000), closeCode(err))

	// The host stayed online throughout: one transition, and commands reach
	// the new connection.
	time.Sleep(200 * time.Millisecond)
	s, _ := e.presence(host.ID)
	assert.Equal(t, "online", s)
	assert.Equal(t, []string{"online/connected"}, e.transitions(host.ID))
	d, err := r.hub.Send(context.Background(), host.ID, wsproto.ReportNow{})
	require.NoError(t, err)
	assert.Equal(t, agenthub.Delivered, d.Status)
	second.next(t, 5*time.Second)
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true)
	a1, a2 := e.replica(), e.replica()
	host, key := e.host("web-01")
	ag := connect(t, a1, host, key)
	eventually(t, 5*time.Second, "B sees the host", func() bool { st, _ := a2.hub.StatusByHostID(context.Background(), host.ID); return st.Connected })

	// Issued on the replica that does not hold the connection.
	require.NoError(t, a2.hub.Disconnect(context.Background(), host.ID))
	err := ag.waitClosed(t, 5*time.Second)
	assert.Equal(t, uint16(4001), closeCode(err))
	eventually(t, 5*time.Second, "offline", func() bool { s, r := e.presence(host.ID); return s == "offline" && r == agenthub.ReasonRevoked })
}

func TestShutdownTakesHostsOffline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")
	ag := connect(t, r, host, key)
	eventually(t, 5*time.Second, "online", func() bool { s, _ := e.presence(host.ID); return s == "online" })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.hub.Shutdown(ctx))
	assert.Equal(t, uint16(1001), closeCode(ag.waitClosed(t, 5*time.Second)))
	s, reason := e.presence(host.ID)
	assert.Equal(t, "offline", s)
	assert.Equal(t, agenthub.ReasonShutdown, reason)
	require.NoError(t, r.hub.Shutdown(ctx), "a second Shutdown does nothing")

	_, err := r.hub.Send(ctx, host.ID, wsproto.ReportNow{})
	assert.ErrorIs(t, err, agenthub.ErrNotRunning)
	_, resp, err := dial(t, r.url, creds(host.APIID, key), true)
	require.Error(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestStatusAndSummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	ctx := context.Background()
	host, key := e.host("web-01")
	never, _ := e.host("never")

	st, err := r.hub.StatusByAPIID(ctx, never.APIID)
	require.NoError(t, err)
	assert.False(t, st.Connected)
	assert.True(t, st.ConnectedAt.IsZero())
	assert.Empty(t, st.History)
	_, err = r.hub.StatusByAPIID(ctx, "patchmon_nope")
	assert.ErrorIs(t, err, agenthub.ErrHostNotFound)

	ag := connect(t, r, host, key)
	eventually(t, 5*time.Second, "history", func() bool { return len(e.transitions(host.ID)) == 1 })
	st, err = r.hub.StatusByAPIID(ctx, host.APIID)
	require.NoError(t, err)
	assert.True(t, st.Connected)
	assert.Equal(t, r.hub.ReplicaID(), st.Replica)
	assert.False(t, st.Secure)
	assert.Equal(t, "web-01", st.FriendlyName)
	require.Len(t, st.History, 1)
	assert.Equal(t, agenthub.StatusOnline, st.History[0].Status)

	sum, err := r.hub.Summary(ctx)
	require.NoError(t, err)
	assert.Equal(t, agenthub.Summary{Connected: 1, Total: 2, Offline: 1,
		Replicas: []agenthub.ReplicaSummary{{ID: r.hub.ReplicaID(), Connections: 1, Self: true}}}, sum)

	require.NoError(t, ag.conn.WriteClose(1000, nil))
	eventually(t, 5*time.Second, "offline", func() bool { s, _ := e.presence(host.ID); return s == "offline" })
	st, err = r.hub.StatusByHostID(ctx, host.ID)
	require.NoError(t, err)
	assert.False(t, st.Connected)
	require.NotNil(t, st.DisconnectedAt)
	assert.Equal(t, agenthub.ReasonClosed, st.DisconnectReason)
	require.Len(t, st.History, 2)
	assert.Equal(t, agenthub.StatusOffline, st.History[0].Status, "newest first")
}

func TestSecureDetection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")
	// Without the Instrument middleware only real TLS counts; the proxy
	// header is honoured by the server's middleware when TRUST_PROXY allows
	// (tested with the server).
	h := creds(host.APIID, key)
	h.Set("X-Forwarded-Proto", "https")
	_, _, err := dial(t, r.url, h, true)
	require.NoError(t, err)
	eventually(t, 5*time.Second, "online", func() bool { s, _ := e.presence(host.ID); return s == "online" })
	var secure bool
	require.NoError(t, e.db.Pool.QueryRow(context.Background(), `SELECT secure FROM agent_presence WHERE host_id = $1`, host.ID).Scan(&secure))
	assert.False(t, secure)
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	base := agenthub.Config{DB: e.db, Bus: e.memory, Cache: e.memory, Auth: e.auth}
	for name, tweak := range map[string]func(*agenthub.Config){
		"DB":          func(c *agenthub.Config) { c.DB = nil },
		"Bus":         func(c *agenthub.Config) { c.Bus = nil },
		"Cache":       func(c *agenthub.Config) { c.Cache = nil },
		"Auth":        func(c *agenthub.Config) { c.Auth = nil },
		"IdleTimeout": func(c *agenthub.Config) { c.IdleTimeout, c.PingInterval = time.Second, 2*time.Second },
		"ReplicaID":   func(c *agenthub.Config) { c.ReplicaID = strings.Repeat("r", 65) },
		"ReplicaTTL":  func(c *agenthub.Config) { c.ReplicaTTL = time.Millisecond },
	} {
		c := base
		tweak(&c)
		_, err := agenthub.New(c)
		assert.ErrorContains(t, err, name, name)
	}
	h, err := agenthub.New(base)
	require.NoError(t, err)
	assert.Len(t, h.ReplicaID(), 16)
	_, err = h.Send(context.Background(), uuid.New(), wsproto.ReportNow{})
	assert.ErrorIs(t, err, agenthub.ErrNotRunning, "not started")
}

// A verification carrying a credentials generation that is no longer the host's
// (regenerated while cached) does not open a connection.
func TestStaleGenerationRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")
	e.auth.mu.Lock()
	h := e.auth.hosts[host.APIID]
	h.ref.Generation = 1
	e.auth.hosts[host.APIID] = h
	e.auth.mu.Unlock()
	connect(t, r, host, key)

	_, err := e.db.Pool.Exec(context.Background(), `UPDATE hosts SET credentials_generation = 2 WHERE id = $1`, host.ID)
	require.NoError(t, err)
	_, resp, err := dial(t, r.url, creds(host.APIID, key), true)
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
