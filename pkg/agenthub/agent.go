package agenthub

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lxzan/gws"

	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Agent credential headers (case-insensitive on the wire).
const (
	headerAPIID  = "X-API-ID"
	headerAPIKey = "X-API-KEY"
)

// agentConn is one agent WebSocket on this replica.
type agentConn struct {
	h      *Hub
	host   HostRef
	id     string
	socket *gws.Conn
	since  time.Time
	secure bool
	remote string
	ua     string

	closeOnce sync.Once
	// reason is why the hub closed the connection; empty when the agent or
	// the network did.
	reason atomic.Pointer[string]
}

func (c *agentConn) onlineOp(reason string) presenceOp {
	return presenceOp{online: true, host: c.host, connID: c.id, at: c.since, reason: reason,
		secure: c.secure, remoteAddr: c.remote, userAgent: c.ua}
}

// send writes one frame, bounded by WriteTimeout.
func (c *agentConn) send(frame []byte) error {
	if err := c.socket.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout)); err != nil {
		return err
	}
	return c.socket.WriteMessage(gws.OpcodeText, frame)
}

// close ends the connection with a close frame; OnClose then does the rest.
func (c *agentConn) close(code uint16, reason string) {
	c.closeOnce.Do(func() {
		c.reason.Store(&reason)
		_ = c.socket.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout))
		if err := c.socket.WriteClose(code, []byte(reason)); err != nil {
			_ = c.socket.NetConn().Close()
		}
	})
}

func newConnID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeAgent serves GET /api/v1/agents/ws: it authenticates the agent, upgrades
// the connection and hands it to a read loop of its own. Every refusal happens
// before the upgrade, as a JSON error: 401 for missing or wrong credentials, 404
// for a host that no longer exists, 426 for a request that is not a WebSocket
// upgrade, 503 while the hub is not running.
func (h *Hub) ServeAgent(w http.ResponseWriter, r *http.Request) {
	if !h.running() {
		writeError(w, ErrNotRunning)
		return
	}
	apiID, apiKey := r.Header.Get(headerAPIID), r.Header.Get(headerAPIKey)
	if apiID == "" || apiKey == "" {
		writeError(w, ErrMissingCredentials)
		return
	}
	host, err := h.cfg.Auth.AuthenticateAgent(r.Context(), apiID, apiKey)
	if err == nil && host.Generation != 0 {
		var ok bool
		if ok, err = h.store.current(r.Context(), host); err == nil && !ok {
			err = ErrInvalidCredentials
		}
	}
	if err != nil {
		if apiError(err) == nil {
			h.log.ErrorContext(r.Context(), "agent authentication failed", "err", err)
		}
		writeError(w, err)
		return
	}
	if !isUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		w.Header().Set("Connection", "Upgrade")
		httpx.WriteError(w, http.StatusUpgradeRequired, CodeUpgradeRequired, "This endpoint only accepts WebSocket upgrades")
		return
	}
	socket, err := h.upgrade(h.agentUpgrader, w, r)
	if err != nil {
		h.log.WarnContext(r.Context(), "agent upgrade failed", "host_id", host.ID, "err", err)
		return
	}
	c := &agentConn{h: h, host: host, id: newConnID(), socket: socket, since: time.Now(),
		secure: httpx.IsSecureRequest(r), remote: httpx.ClientIP(r).String(), ua: truncate(r.UserAgent(), 200)}
	socket.Session().Store(sessionKey, c)

	h.mu.Lock()
	if h.state != stateRunning {
		h.mu.Unlock()
		c.close(1001, ReasonShutdown)
		_ = socket.NetConn().Close()
		return
	}
	old := h.conns[host.ID]
	h.conns[host.ID] = c
	h.connWG.Add(1)
	h.mu.Unlock()

	h.fleet.set(host.ID, fleetEntry{apiID: host.APIID, replica: h.replica, connID: c.id, since: c.since, secure: c.secure})
	// Queued before the old connection's disconnect, so that the record moves
	// straight from the old connection to the new one and the host never
	// looks offline.
	h.writer.enqueue(c.onlineOp(ReasonConnected))
	if old != nil {
		h.log.InfoContext(r.Context(), "agent reconnected; closing its older connection", "host_id", host.ID)
		old.close(4000, ReasonReplaced)
	}
	h.log.DebugContext(r.Context(), "agent connected", "host_id", host.ID, "api_id", host.APIID, "secure", c.secure, "remote", c.remote)
	_ = socket.SetReadDeadline(time.Now().Add(h.cfg.IdleTimeout))
	go func() {
		defer h.connWG.Done()
		socket.ReadLoop()
	}()
}

// upgrade hijacks the connection (through any middleware wrappers, via
// http.ResponseController) and completes the WebSocket handshake on it.
func (h *Hub) upgrade(u *gws.Upgrader, w http.ResponseWriter, r *http.Request) (*gws.Conn, error) {
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	var br *bufio.Reader
	if brw != nil && brw.Reader.Buffered() > 0 {
		br = brw.Reader
	} else {
		// The server's reader is 4 KiB and idle; a smaller one of our own saves
		// memory across thousands of connections.
		br = bufio.NewReaderSize(netConn, 2048)
	}
	return u.UpgradeFromConn(netConn, br, r)
}

// isUpgrade reports whether r asks for a WebSocket upgrade.
func isUpgrade(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range strings.Split(r.Header.Get("Connection"), ",") {
		if strings.EqualFold(strings.TrimSpace(v), "upgrade") {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

const sessionKey = "c"

func connOf(socket *gws.Conn) *agentConn {
	v, ok := socket.Session().Load(sessionKey)
	if !ok {
		return nil
	}
	c, _ := v.(*agentConn)
	return c
}

// localConn returns this replica's connection of host, or nil.
func (h *Hub) localConn(host uuid.UUID) *agentConn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.conns[host]
}

func (h *Hub) localConns() []*agentConn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*agentConn, 0, len(h.conns))
	for _, c := range h.conns {
		out = append(out, c)
	}
	return out
}

// agentEvents handles gws events of agent connections. Any traffic counts as a
// sign of life and pushes the idle deadline back.
type agentEvents struct{ h *Hub }

func (e *agentEvents) alive(socket *gws.Conn) {
	_ = socket.SetReadDeadline(time.Now().Add(e.h.cfg.IdleTimeout))
}

func (e *agentEvents) OnOpen(socket *gws.Conn) { e.alive(socket) }

func (e *agentEvents) OnPing(socket *gws.Conn, payload []byte) {
	e.alive(socket)
	_ = socket.SetWriteDeadline(time.Now().Add(e.h.cfg.WriteTimeout))
	_ = socket.WritePong(payload)
}

func (e *agentEvents) OnPong(socket *gws.Conn, _ []byte) { e.alive(socket) }

func (e *agentEvents) OnMessage(socket *gws.Conn, msg *gws.Message) {
	defer msg.Close()
	e.alive(socket)
	c := connOf(socket)
	if c == nil {
		return
	}
	e.h.handleFrame(c, msg.Bytes())
}

func (e *agentEvents) OnClose(socket *gws.Conn, err error) {
	c := connOf(socket)
	if c == nil {
		return
	}
	h := e.h
	reason := ReasonClosed
	if p := c.reason.Load(); p != nil {
		reason = *p
	} else {
		var ne net.Error
		var ce *gws.CloseError
		var sc interface{ Uint16() uint16 } // gws's status code for frames it refused
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			reason = ReasonIdle
		case errors.As(err, &sc) && sc.Uint16() >= 1002:
			// We refused what the agent sent: a protocol error, a bad or
			// oversized frame (1002, 1003, 1007, 1009).
			reason = ReasonProtocol
		case errors.As(err, &ce) && ce.Code >= 1002 && ce.Code != 1005 && ce.Code != 1006:
			// The agent closed with an error code of its own; 1000/1001 are
			// normal closes.
			reason = ReasonProtocol
		}
	}
	h.mu.Lock()
	current := h.conns[c.host.ID] == c
	if current {
		delete(h.conns, c.host.ID)
	}
	h.mu.Unlock()
	h.fleet.remove(c.host.ID, c.id)
	h.writer.enqueue(presenceOp{host: c.host, connID: c.id, at: time.Now(), reason: reason})
	h.log.Debug("agent disconnected", "host_id", c.host.ID, "reason", reason, "err", err)
}

// handleFrame decodes one frame from an agent and routes it: docker and
// compliance events to ChannelAgentEvents, SSH proxy frames to their session's
// channel, then to OnMessage.
func (h *Hub) handleFrame(c *agentConn, frame []byte) {
	m, err := h.decoder.Decode(frame)
	if err != nil {
		// Unknown types come from newer agents; anything else from broken ones.
		// Neither is worth dropping the connection over.
		level := h.log.Warn
		if errors.Is(err, wsproto.ErrUnknownType) {
			level = h.log.Debug
		}
		level("ignoring agent frame", "host_id", c.host.ID, "bytes", len(frame), "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	defer cancel()
	var channel string
	switch m := m.(type) {
	case *wsproto.DockerStatus, *wsproto.ComplianceScanProgress:
		channel = ChannelAgentEvents
	case *wsproto.SSHProxyConnected:
		channel = SSHChannel(m.SessionID)
	case *wsproto.SSHProxyData:
		channel = SSHChannel(m.SessionID)
	case *wsproto.SSHProxyClosed:
		channel = SSHChannel(m.SessionID)
	case *wsproto.SSHProxyError:
		channel = SSHChannel(m.SessionID)
	}
	if channel != "" {
		reencoded, err := m.MarshalJSON()
		if err == nil {
			ev := AgentEvent{HostID: c.host.ID, APIID: c.host.APIID, Type: m.Type(), Frame: reencoded, At: time.Now().UTC()}
			if b, err := json.Marshal(ev); err == nil {
				if err := h.cfg.Bus.Publish(ctx, channel, b); err != nil {
					h.log.WarnContext(ctx, "publishing agent event failed", "host_id", c.host.ID, "type", m.Type(), "err", err)
				}
			}
		}
	}
	if h.cfg.OnMessage != nil {
		h.cfg.OnMessage(ctx, c.host, m)
	}
}

// pingAll pings every agent and stream of this replica; browsers never ping on
// their own, and the agent's read deadline is kept alive by any frame.
func (h *Hub) pingAll(context.Context) {
	h.mu.RLock()
	sockets := make([]*gws.Conn, 0, len(h.conns)+len(h.streams))
	for _, c := range h.conns {
		sockets = append(sockets, c.socket)
	}
	for s := range h.streams {
		sockets = append(sockets, s.socket)
	}
	h.mu.RUnlock()
	timeout := h.cfg.WriteTimeout
	parallel(len(sockets), func(i int) {
		_ = sockets[i].SetWriteDeadline(time.Now().Add(timeout))
		_ = sockets[i].WritePing(nil)
	})
}

// parallelism bounds the goroutines of one fan-out.
const parallelism = 64

// parallel calls fn(0..n-1) on up to parallelism goroutines and waits.
func parallel(n int, fn func(i int)) {
	if n == 0 {
		return
	}
	workers := min(n, parallelism)
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
