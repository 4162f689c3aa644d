package agentkit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lxzan/gws"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// runWebSocket keeps the command channel open until ctx ends: it reconnects
// after every failure — refused or reset connections, DNS failures, a
// server restart, a proxy dropping the link, a half-open TCP connection
// found by the missing pongs — with exponential backoff and jitter, and
// never gives up.
func (a *Agent) runWebSocket(ctx context.Context) {
	backoff := a.cfg.ReconnectMin
	for ctx.Err() == nil {
		start := time.Now()
		err := a.wsSession(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 2*a.cfg.ReconnectMax {
			backoff = a.cfg.ReconnectMin // it was a healthy link: retry quickly
		}
		delay := jitter(backoff)
		a.log.WarnContext(ctx, "websocket disconnected", "error", err, "retry_in", delay.Round(time.Millisecond))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, a.cfg.ReconnectMax)
	}
}

// jitter spreads d by ±20% so that a fleet disconnected by one server
// restart does not reconnect in lockstep.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// wsHandler receives gws events on the connection's read loop. It never
// blocks: frames are handed to the session goroutine through a buffered
// channel, and every frame or pong extends the read deadline.
type wsHandler struct {
	a        *Agent
	deadline time.Duration
	frames   chan []byte
	closed   chan error
	once     sync.Once
}

func (h *wsHandler) extend(c *gws.Conn) { _ = c.SetReadDeadline(time.Now().Add(h.deadline)) }

func (h *wsHandler) OnOpen(c *gws.Conn) { h.extend(c) }

func (h *wsHandler) OnClose(_ *gws.Conn, err error) {
	h.once.Do(func() {
		if err == nil {
			err = errors.New("connection closed")
		}
		h.closed <- err
		close(h.closed)
	})
}

func (h *wsHandler) OnPing(c *gws.Conn, payload []byte) {
	h.extend(c)
	_ = c.WritePong(payload)
}

func (h *wsHandler) OnPong(c *gws.Conn, _ []byte) { h.extend(c) }

func (h *wsHandler) OnMessage(c *gws.Conn, m *gws.Message) {
	h.extend(c)
	data := append([]byte(nil), m.Bytes()...)
	_ = m.Close()
	select {
	case h.frames <- data:
	default:
		h.a.log.Warn("websocket: command backlog full, dropping a frame")
	}
}

// ctxDialer makes gws's dial honour the session context.
type ctxDialer struct {
	ctx context.Context
	d   net.Dialer
}

func (d *ctxDialer) Dial(network, addr string) (net.Conn, error) {
	return d.d.DialContext(d.ctx, network, addr)
}

// gwsLogger routes gws's own messages to the agent's logger.
type gwsLogger struct{ a *Agent }

func (l gwsLogger) Error(v ...any) { l.a.log.Debug("websocket: " + fmt.Sprint(v...)) }

// wsSession runs one connection until it fails or ctx ends.
func (a *Agent) wsSession(ctx context.Context) error {
	h := &wsHandler{a: a, deadline: 3 * a.cfg.PingInterval, frames: make(chan []byte, 16), closed: make(chan error, 1)}
	header := http.Header{}
	header.Set(agentproto.HeaderAPIID, a.cfg.APIID)
	header.Set(agentproto.HeaderAPIKey, a.cfg.APIKey)
	header.Set("User-Agent", a.client.ua)
	opt := &gws.ClientOption{
		Addr:               a.client.wsURL(),
		RequestHeader:      header,
		HandshakeTimeout:   15 * time.Second,
		ReadMaxPayloadSize: wsMaxFrame,
		NewDialer: func() (gws.Dialer, error) {
			return &ctxDialer{ctx: ctx, d: net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}}, nil
		},
		Logger: gwsLogger{a: a},
	}
	if strings.HasPrefix(opt.Addr, "wss://") {
		opt.TlsConfig = a.tlsConfig()
	}
	conn, resp, err := gws.NewClient(h, opt)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("websocket: credentials rejected (401): %w", err)
		}
		return fmt.Errorf("websocket: %w", err)
	}
	go conn.ReadLoop()
	a.log.InfoContext(ctx, "websocket connected", "url", opt.Addr)
	// The server may have been away: deliver what was kept meanwhile.
	select {
	case a.flushNow <- struct{}{}:
	default:
	}

	ping := time.NewTicker(a.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			_ = conn.WriteClose(1000, []byte("agent stopping"))
			select {
			case <-h.closed:
			case <-time.After(2 * time.Second):
				_ = conn.NetConn().Close()
			}
			return ctx.Err()
		case err := <-h.closed:
			return err
		case <-ping.C:
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := conn.WritePing(nil); err != nil {
				_ = conn.NetConn().Close()
				return fmt.Errorf("websocket ping: %w", <-h.closed)
			}
		case data := <-h.frames:
			a.handleFrame(ctx, conn, data)
		}
	}
}

func (a *Agent) tlsConfig() *tls.Config {
	if a.cfg.HTTPClient != nil {
		if t, ok := a.cfg.HTTPClient.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
			return t.TLSClientConfig.Clone()
		}
	}
	if a.cfg.SkipTLSVerify {
		return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit operator choice (skip_ssl_verify)
	}
	return &tls.Config{}
}

// handleFrame acts on one server frame. Long work (HTTP calls, reports,
// updates) is handed to the Run loop or to a background goroutine that Run
// waits for, so the connection keeps reading and pinging meanwhile and a
// dropped link is replaced at once.
func (a *Agent) handleFrame(ctx context.Context, conn *gws.Conn, data []byte) {
	f, err := parseFrame(data)
	if err != nil {
		a.log.DebugContext(ctx, "websocket: ignoring a frame", "error", err)
		return
	}
	a.log.DebugContext(ctx, "websocket command", "type", f.Type)
	switch f.Type {
	case wsReportNow:
		a.log.InfoContext(ctx, "report requested by the server")
		a.TriggerReport()
	case wsSettingsUpdate:
		a.updateSettings(ctx, func(s *Settings) {
			if f.UpdateInterval != nil {
				a.setInterval(s, *f.UpdateInterval)
			}
			if m := collectMode(f.PackageCacheRefreshMode); m != "" {
				s.PackageCacheRefresh = m
			}
			if f.PackageCacheRefreshMaxAge != nil && *f.PackageCacheRefreshMaxAge > 0 {
				s.PackageCacheMaxAge = time.Duration(*f.PackageCacheRefreshMaxAge) * time.Minute
			}
		})
	case wsApplyConfig:
		if f.Config == nil {
			return
		}
		a.updateSettings(ctx, func(s *Settings) {
			in := IntegrationSettings{Compliance: agentproto.ComplianceModeDisabled}
			if s.Integrations != nil {
				in = *s.Integrations
			}
			if f.Config.Docker != nil {
				in.Docker = *f.Config.Docker
			}
			if c := f.Config.Compliance; c != nil {
				if c.Mode != "" {
					in.Compliance = c.Mode
				}
				if c.OpenSCAP != nil {
					in.OpenSCAP = c.OpenSCAP
				}
				if c.DockerBench != nil {
					in.DockerBench = c.DockerBench
				}
			}
			s.Integrations = &in
		})
	case wsUpdateAgent:
		a.log.InfoContext(ctx, "agent update requested by the server")
		select {
		case a.updateNow <- struct{}{}:
		default:
		}
	case wsRefreshIntegration:
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			a.reportIntegrationStatus(ctx)
		}()
	case wsSSHProxy:
		// Only the host's own config could enable an SSH proxy, and this
		// agent does not provide one: say so instead of leaving the
		// browser waiting.
		if b, err := sshProxyErrorFrame(f.SessionID, "SSH proxy is not available on this agent (patchmon-go agentkit does not provide it)"); err == nil {
			_ = conn.WriteMessage(gws.OpcodeText, b)
		}
	case wsRunPatch:
		if f.PatchRunID == "" {
			return
		}
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			if err := a.client.patchOutput(ctx, f.PatchRunID, "failed", "patching is not supported by this agent"); err != nil {
				a.log.WarnContext(ctx, "could not report the unsupported patch run", "error", err)
			}
		}()
	default:
		a.log.InfoContext(ctx, "websocket: command not supported by this agent", "type", f.Type)
	}
}

func collectMode(s string) collect.RefreshMode {
	m := collect.RefreshMode(strings.TrimSpace(s))
	if m.Valid() {
		return m
	}
	return ""
}

// reportIntegrationStatus refreshes the integration switches from the server
// and tells it the state of each integration on this host. This agent runs
// no Docker or compliance integration yet, so an enabled one is reported as
// an error with an explanation rather than as ready.
func (a *Agent) reportIntegrationStatus(ctx context.Context) {
	resp := a.refreshIntegrations(ctx)
	if resp == nil {
		return
	}
	for name, enabled := range map[string]bool{"docker": resp.Integrations.Docker, "compliance": resp.Integrations.Compliance} {
		st := &agentproto.IntegrationStatusRequest{Integration: name, Enabled: enabled, Status: agentproto.IntegrationStatusReady, Message: "disabled"}
		if enabled {
			st.Status = agentproto.IntegrationStatusError
			st.Message = "the " + name + " integration is not available in this agent (patchmon-go agentkit)"
		}
		if err := a.client.integrationStatus(ctx, st); err != nil {
			a.log.WarnContext(ctx, "could not report integration status", "integration", name, "error", err)
		}
	}
}
