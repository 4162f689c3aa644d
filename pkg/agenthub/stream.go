package agenthub

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lxzan/gws"

	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Permissions the stream filters by (the names of package users).
const (
	permManageHosts    = "can_manage_hosts"
	permViewCompliance = "can_view_compliance"
)

// Stream message types: every message on GET /api/v1/ws/events is
// {"type": <one of these>, "data": {...}}.
const (
	// StreamHello is the first message: {"replica", "version", "maxAgeSeconds"}.
	StreamHello = "hello"
	// StreamHostStatus is a HostStatusChange.
	StreamHostStatus = "host_status"
	// StreamReport is a ReportEvent.
	StreamReport = "report"
	// StreamCommandResult is a CommandEvent; only for users who may manage hosts.
	StreamCommandResult = "command_result"
	// StreamAgentEvent is an AgentEvent (docker_status; compliance_scan_progress
	// only for users who may view compliance).
	StreamAgentEvent = "agent_event"
)

// HostStatusChange is the data of a host_status stream message.
type HostStatusChange struct {
	HostID   uuid.UUID `json:"hostId"`
	APIID    string    `json:"apiId"`
	Status   Status    `json:"status"`
	Previous Status    `json:"previous"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Secure   bool      `json:"secure"`
}

// streamHello is the data of the hello message.
type streamHello struct {
	Replica       string `json:"replica"`
	Version       int    `json:"version"`
	MaxAgeSeconds int    `json:"maxAgeSeconds"`
}

// maxStreamBacklog is how many messages may wait for one browser before it is
// disconnected as too slow (it reconnects and reloads).
const maxStreamBacklog = 256

// stream is one browser's event WebSocket.
type stream struct {
	h             *Hub
	socket        *gws.Conn
	canManage     bool
	canCompliance bool
	backlog       atomic.Int32
	closeOnce     sync.Once
	expiry        *time.Timer
}

func (s *stream) close(code uint16, reason string) {
	s.closeOnce.Do(func() {
		_ = s.socket.SetWriteDeadline(time.Now().Add(s.h.cfg.WriteTimeout))
		if err := s.socket.WriteClose(code, []byte(reason)); err != nil {
			_ = s.socket.NetConn().Close()
		}
	})
}

// send queues msg for the browser without blocking the caller.
func (s *stream) send(msg []byte) {
	if s.backlog.Add(1) > maxStreamBacklog {
		s.backlog.Add(-1)
		s.close(1008, "too slow")
		return
	}
	timeout := s.h.cfg.WriteTimeout
	s.socket.Async(func() {
		defer s.backlog.Add(-1)
		_ = s.socket.SetWriteDeadline(time.Now().Add(timeout))
		_ = s.socket.WriteMessage(gws.OpcodeText, msg)
	})
}

// ServeStream serves GET /api/v1/ws/events, the dashboard's live event stream.
// The route's authorisation has already admitted the user; the stream checks the
// Origin (a browser sends the user's cookies with a cross-site upgrade too) and
// answers 403 for an untrusted one, 401 without a user, 426 for a request that is
// not an upgrade.
func (h *Hub) ServeStream(w http.ResponseWriter, r *http.Request) {
	if !h.running() {
		writeError(w, ErrNotRunning)
		return
	}
	var viewer Viewer
	if h.cfg.ViewerFrom != nil {
		if v, ok := h.cfg.ViewerFrom(r.Context()); ok && v != nil {
			viewer = v
		}
	}
	if viewer == nil {
		httpx.WriteError(w, http.StatusUnauthorized, "auth_required", "Authentication required")
		return
	}
	if r.Header.Get("Origin") != "" && !h.trustedOrigin(r) {
		httpx.WriteError(w, http.StatusForbidden, CodeOriginForbidden, "Origin "+r.Header.Get("Origin")+" may not open this stream")
		return
	}
	if !isUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		httpx.WriteError(w, http.StatusUpgradeRequired, CodeUpgradeRequired, "This endpoint only accepts WebSocket upgrades")
		return
	}
	socket, err := h.upgrade(h.streamUpgrader, w, r)
	if err != nil {
		h.log.WarnContext(r.Context(), "stream upgrade failed", "err", err)
		return
	}
	s := &stream{h: h, socket: socket, canManage: viewer.Can(permManageHosts), canCompliance: viewer.Can(permViewCompliance)}
	socket.Session().Store(sessionKey, s)
	h.mu.Lock()
	if h.state != stateRunning {
		h.mu.Unlock()
		s.close(1001, "server shutting down")
		return
	}
	h.streams[s] = struct{}{}
	h.connWG.Add(1)
	h.mu.Unlock()
	s.expiry = time.AfterFunc(h.cfg.StreamMaxAge, func() { s.close(1000, "reconnect to refresh the session") })
	if hello, err := json.Marshal(struct {
		Type string      `json:"type"`
		Data streamHello `json:"data"`
	}{StreamHello, streamHello{Replica: h.replica, Version: wsproto.Version, MaxAgeSeconds: int(h.cfg.StreamMaxAge / time.Second)}}); err == nil {
		s.send(hello)
	}
	_ = socket.SetReadDeadline(time.Now().Add(h.cfg.IdleTimeout))
	go func() {
		defer h.connWG.Done()
		socket.ReadLoop()
	}()
}

// trustedOrigin applies Config.TrustedOrigin, by default "same host".
func (h *Hub) trustedOrigin(r *http.Request) bool {
	if h.cfg.TrustedOrigin != nil {
		return h.cfg.TrustedOrigin(r)
	}
	u, err := url.Parse(r.Header.Get("Origin"))
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// streamKind is a bus channel the stream forwards.
type streamKind int

const (
	streamReport streamKind = iota
	streamCommand
	streamAgentEvent
)

// onStreamSource returns the bus handler forwarding one channel's events to this
// replica's streams.
func (h *Hub) onStreamSource(kind streamKind) func([]byte) {
	return func(b []byte) {
		if !json.Valid(b) {
			h.log.Warn("bad event on the bus", "kind", kind)
			return
		}
		var typ string
		allowed := func(*stream) bool { return true }
		switch kind {
		case streamReport:
			typ = StreamReport
		case streamCommand:
			typ = StreamCommandResult
			allowed = func(s *stream) bool { return s.canManage }
		case streamAgentEvent:
			typ = StreamAgentEvent
			var ev struct {
				Type wsproto.Type `json:"type"`
			}
			if json.Unmarshal(b, &ev) == nil && ev.Type == wsproto.TypeComplianceScanProgress {
				allowed = func(s *stream) bool { return s.canCompliance }
			}
		}
		h.broadcast(wrap(typ, b), allowed)
	}
}

// streamStatus forwards a StatusEvent to this replica's streams.
func (h *Hub) streamStatus(ev StatusEvent) {
	b, err := json.Marshal(HostStatusChange{HostID: ev.HostID, APIID: ev.APIID, Status: ev.Status, Previous: ev.Previous,
		Reason: ev.Reason, At: ev.At, Secure: ev.Secure})
	if err != nil {
		return
	}
	h.broadcast(wrap(StreamHostStatus, b), func(*stream) bool { return true })
}

// wrap builds {"type":typ,"data":data}.
func wrap(typ string, data []byte) []byte {
	out := make([]byte, 0, len(data)+len(typ)+20)
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, `","data":`...)
	out = append(out, data...)
	return append(out, '}')
}

func (h *Hub) broadcast(msg []byte, allowed func(*stream) bool) {
	h.mu.RLock()
	targets := make([]*stream, 0, len(h.streams))
	for s := range h.streams {
		if allowed(s) {
			targets = append(targets, s)
		}
	}
	h.mu.RUnlock()
	for _, s := range targets {
		s.send(msg)
	}
}

// streamEvents handles gws events of browser streams; what the browser sends is
// ignored, but counts as a sign of life.
type streamEvents struct{ h *Hub }

func (e *streamEvents) alive(socket *gws.Conn) {
	_ = socket.SetReadDeadline(time.Now().Add(e.h.cfg.IdleTimeout))
}

func (e *streamEvents) OnOpen(socket *gws.Conn) { e.alive(socket) }

func (e *streamEvents) OnPing(socket *gws.Conn, payload []byte) {
	e.alive(socket)
	_ = socket.SetWriteDeadline(time.Now().Add(e.h.cfg.WriteTimeout))
	_ = socket.WritePong(payload)
}

func (e *streamEvents) OnPong(socket *gws.Conn, _ []byte) { e.alive(socket) }

func (e *streamEvents) OnMessage(socket *gws.Conn, msg *gws.Message) {
	msg.Close()
	e.alive(socket)
}

func (e *streamEvents) OnClose(socket *gws.Conn, _ error) {
	v, ok := socket.Session().Load(sessionKey)
	if !ok {
		return
	}
	s, _ := v.(*stream)
	if s == nil {
		return
	}
	if s.expiry != nil {
		s.expiry.Stop()
	}
	e.h.mu.Lock()
	delete(e.h.streams, s)
	e.h.mu.Unlock()
}
