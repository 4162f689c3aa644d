package agenthub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// browser is a dashboard stream client.
type browser struct {
	msgs   chan streamMsg
	closed chan error
}

type streamMsg struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func (b *browser) OnOpen(*gws.Conn)               {}
func (b *browser) OnPing(c *gws.Conn, p []byte)   { _ = c.WritePong(p) }
func (b *browser) OnPong(*gws.Conn, []byte)       {}
func (b *browser) OnClose(_ *gws.Conn, err error) { b.closed <- err }
func (b *browser) OnMessage(_ *gws.Conn, m *gws.Message) {
	var msg streamMsg
	_ = json.Unmarshal(m.Bytes(), &msg)
	m.Close()
	b.msgs <- msg
}

func openStream(t *testing.T, base string, header http.Header) (*browser, *http.Response, error) {
	t.Helper()
	b := &browser{msgs: make(chan streamMsg, 64), closed: make(chan error, 1)}
	conn, resp, err := gws.NewClient(b, &gws.ClientOption{Addr: base + "/api/v1/ws/events", RequestHeader: header, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		return nil, resp, err
	}
	go conn.ReadLoop()
	t.Cleanup(func() { _ = conn.WriteClose(1000, nil) })
	return b, resp, nil
}

// expect returns the next message of type typ, skipping others.
func (b *browser) expect(t *testing.T, typ string, within time.Duration) streamMsg {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m := <-b.msgs:
			if m.Type == typ {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s message within %s", typ, within)
		}
	}
}

// none asserts that no message of type typ arrives within d.
func (b *browser) none(t *testing.T, typ string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m := <-b.msgs:
			if m.Type == typ {
				t.Fatalf("unexpected %s message: %s", typ, m.Data)
			}
		case <-deadline:
			return
		}
	}
}

func perms(p ...string) http.Header {
	h := http.Header{}
	h.Set("X-Test-Perms", strings.Join(p, ","))
	return h
}

func TestStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica()
	host, key := e.host("web-01")

	manager, _, err := openStream(t, r.url, perms("can_view_hosts", "can_manage_hosts", "can_view_compliance"))
	require.NoError(t, err)
	viewer, _, err := openStream(t, r.url, perms("can_view_hosts"))
	require.NoError(t, err)
	hello := manager.expect(t, agenthub.StreamHello, 5*time.Second)
	assert.Contains(t, string(hello.Data), r.hub.ReplicaID())
	viewer.expect(t, agenthub.StreamHello, 5*time.Second)

	// A host connecting.
	ag := connect(t, r, host, key)
	for _, b := range []*browser{manager, viewer} {
		m := b.expect(t, agenthub.StreamHostStatus, 5*time.Second)
		var ch agenthub.HostStatusChange
		require.NoError(t, json.Unmarshal(m.Data, &ch))
		assert.Equal(t, host.ID, ch.HostID)
		assert.Equal(t, agenthub.StatusOnline, ch.Status)
		assert.Equal(t, agenthub.StatusOffline, ch.Previous)
	}

	// A report arriving (as ingest announces it).
	require.NoError(t, agenthub.PublishReport(context.Background(), r.store, agenthub.ReportEvent{HostID: host.ID, APIID: host.APIID,
		Kind: "full", PackagesProcessed: 812, UpdatesAvailable: 7, SecurityUpdates: 2}))
	for _, b := range []*browser{manager, viewer} {
		m := b.expect(t, agenthub.StreamReport, 5*time.Second)
		var rep agenthub.ReportEvent
		require.NoError(t, json.Unmarshal(m.Data, &rep))
		assert.Equal(t, 812, rep.PackagesProcessed)
		assert.False(t, rep.At.IsZero())
	}

	// Agent events: docker for every viewer, compliance only for those who may see it.
	require.NoError(t, ag.conn.WriteString(`{"type":"docker_status","container_id":"c1","name":"web","status":"exited"}`))
	require.NoError(t, ag.conn.WriteString(`{"type":"compliance_scan_progress","phase":"started","profile_name":"CIS","message":"","progress":0}`))
	m := manager.expect(t, agenthub.StreamAgentEvent, 5*time.Second)
	assert.Contains(t, string(m.Data), `"docker_status"`)
	m = manager.expect(t, agenthub.StreamAgentEvent, 5*time.Second)
	assert.Contains(t, string(m.Data), `"compliance_scan_progress"`)
	m = viewer.expect(t, agenthub.StreamAgentEvent, 5*time.Second)
	assert.Contains(t, string(m.Data), `"docker_status"`)
	viewer.none(t, agenthub.StreamAgentEvent, 300*time.Millisecond)

	// Command results only for those who may send commands.
	_, err = r.hub.Send(context.Background(), host.ID, wsproto.ReportNow{})
	require.NoError(t, err)
	m = manager.expect(t, agenthub.StreamCommandResult, 5*time.Second)
	var ce agenthub.CommandEvent
	require.NoError(t, json.Unmarshal(m.Data, &ce))
	assert.Equal(t, 1, ce.Delivered)
	viewer.none(t, agenthub.StreamCommandResult, 300*time.Millisecond)
}

func TestStreamRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	r := e.replica(func(c *agenthub.Config) { c.StreamMaxAge = 500 * time.Millisecond })

	_, resp, err := openStream(t, r.url, http.Header{})
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	h := perms("can_view_hosts")
	h.Set("Origin", "https://evil.example")
	_, resp, err = openStream(t, r.url, h)
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Same-origin upgrades are fine; the stream ends after StreamMaxAge so
	// that the browser re-authenticates.
	h = perms("can_view_hosts")
	h.Set("Origin", "http://"+strings.TrimPrefix(r.srv.URL, "http://"))
	b, _, err := openStream(t, r.url, h)
	require.NoError(t, err)
	b.expect(t, agenthub.StreamHello, 5*time.Second)
	select {
	case err := <-b.closed:
		assert.Equal(t, uint16(1000), closeCode(err))
	case <-time.After(5 * time.Second):
		t.Fatal("stream outlived StreamMaxAge")
	}
}
