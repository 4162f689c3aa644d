// Package loadgen plays a fleet of PatchMon agents against a server's agent
// WebSocket, for load tests of pkg/agenthub: thousands of concurrent connections
// spread over several local source addresses, settings_update broadcast latency
// and reconnect storms. cmd/patchmon-wsload is its command line; docs/realtime.md
// has the procedure and the measured numbers.
//
// Each simulated agent behaves like the stock one where it matters to the
// server: it authenticates with X-API-ID/X-API-KEY on the upgrade, pings every
// 30 s (at a random phase), answers pings, and after losing its connection
// reconnects with backoff from 1 s doubling to 32 s.
//
// Stability: this is test tooling; its API may change at any time.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"

	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Credential is one agent's api_id and api_key.
type Credential struct {
	APIID  string
	APIKey string
}

// FleetConfig configures a Fleet.
type FleetConfig struct {
	// ServerURL is the server's base URL, http(s)://host:port. Required.
	ServerURL string
	// Agents are the credentials to connect with, one connection each. Required.
	Agents []Credential
	// Sources are local addresses to dial from, used round robin, so that one
	// machine can hold more connections than one address has ports. Default:
	// the kernel's choice.
	Sources []netip.Addr
	// DialConcurrency bounds connection attempts in flight. Default: 256.
	DialConcurrency int
	// PingInterval is each agent's ping period. Default: 30s.
	PingInterval time.Duration
	// HandshakeTimeout bounds one connection attempt. Default: 45s (the stock
	// agent's).
	HandshakeTimeout time.Duration
	// Logger receives progress. Default: discard.
	Logger *slog.Logger
}

// Fleet is a set of simulated agents.
type Fleet struct {
	cfg    FleetConfig
	wsURL  string
	agents []*simAgent
	sem    chan struct{}
	closed atomic.Bool
	wg     sync.WaitGroup
	stop   chan struct{}

	connected   atomic.Int64
	connects    atomic.Int64
	authErrors  atomic.Int64
	rateLimited atomic.Int64
	otherErrors atomic.Int64
	drops       atomic.Int64

	mu       sync.Mutex
	expect   int // settings_update interval being timed
	received []time.Time
}

// Stats counts what happened to the fleet's connections.
type Stats struct {
	// Connected is the number of agents connected now.
	Connected int
	// Connects counts successful upgrades, reconnects included.
	Connects int
	// AuthErrors counts attempts refused with 401 or 404.
	AuthErrors int
	// RateLimited counts attempts refused with 429.
	RateLimited int
	// OtherErrors counts other failed attempts (refused connections,
	// timeouts, 5xx).
	OtherErrors int
	// Drops counts connections that ended while the fleet was running.
	Drops int
}

// NewFleet validates cfg. Nothing connects before Start.
func NewFleet(cfg FleetConfig) (*Fleet, error) {
	if cfg.ServerURL == "" {
		return nil, errors.New("loadgen: FleetConfig.ServerURL is required")
	}
	if len(cfg.Agents) == 0 {
		return nil, errors.New("loadgen: FleetConfig.Agents is required")
	}
	if cfg.DialConcurrency <= 0 {
		cfg.DialConcurrency = 256
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 45 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	base := strings.TrimRight(cfg.ServerURL, "/")
	switch {
	case strings.HasPrefix(base, "https://"):
		base = "wss://" + strings.TrimPrefix(base, "https://")
	case strings.HasPrefix(base, "http://"):
		base = "ws://" + strings.TrimPrefix(base, "http://")
	default:
		return nil, fmt.Errorf("loadgen: ServerURL must be http:// or https://, got %q", cfg.ServerURL)
	}
	f := &Fleet{cfg: cfg, wsURL: base + "/api/v1/agents/ws", sem: make(chan struct{}, cfg.DialConcurrency), stop: make(chan struct{})}
	for i, c := range cfg.Agents {
		a := &simAgent{f: f, cred: c}
		if len(cfg.Sources) > 0 {
			a.source = cfg.Sources[i%len(cfg.Sources)]
		}
		f.agents = append(f.agents, a)
	}
	return f, nil
}

// Start connects every agent in the background; each keeps reconnecting until
// Close. Use WaitConnected to wait for them.
func (f *Fleet) Start() {
	for _, a := range f.agents {
		f.wg.Add(1)
		go a.run()
	}
	f.wg.Add(1)
	go f.pinger()
}

// WaitConnected waits until at least n agents are connected and returns how
// long that took from the call.
func (f *Fleet) WaitConnected(ctx context.Context, n int) (time.Duration, error) {
	start := time.Now()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for int(f.connected.Load()) < n {
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("loadgen: %d of %d agents connected: %w", f.connected.Load(), n, ctx.Err())
		case <-t.C:
		}
	}
	return time.Since(start), nil
}

// Stats returns the counters.
func (f *Fleet) Stats() Stats {
	return Stats{Connected: int(f.connected.Load()), Connects: int(f.connects.Load()), AuthErrors: int(f.authErrors.Load()),
		RateLimited: int(f.rateLimited.Load()), OtherErrors: int(f.otherErrors.Load()), Drops: int(f.drops.Load())}
}

// Size is the number of agents.
func (f *Fleet) Size() int { return len(f.agents) }

// Expect starts timing settings_update frames carrying interval: Received then
// returns when each agent got one.
func (f *Fleet) Expect(interval int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expect = interval
	f.received = f.received[:0]
}

// Received returns the arrival times of the expected settings_update so far.
func (f *Fleet) Received() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.received...)
}

func (f *Fleet) observe(frame []byte) {
	m, err := wsproto.DecodeFromServer(frame)
	if err != nil {
		return
	}
	su, ok := m.(*wsproto.SettingsUpdate)
	if !ok {
		return
	}
	now := time.Now()
	f.mu.Lock()
	if su.UpdateInterval == f.expect {
		f.received = append(f.received, now)
	}
	f.mu.Unlock()
}

// DropAll cuts every connection at once without a close handshake, as a network
// failure would; the agents then reconnect on their backoff.
func (f *Fleet) DropAll() {
	for _, a := range f.agents {
		if c := a.current(); c != nil {
			_ = c.NetConn().Close()
		}
	}
}

// Close disconnects every agent and stops reconnecting.
func (f *Fleet) Close() {
	if !f.closed.CompareAndSwap(false, true) {
		return
	}
	close(f.stop)
	for _, a := range f.agents {
		if c := a.current(); c != nil {
			_ = c.WriteClose(1000, nil)
		}
	}
	f.wg.Wait()
}

// pinger pings every connected agent once per PingInterval, spread evenly so
// that the fleet's pings do not arrive in one burst.
func (f *Fleet) pinger() {
	defer f.wg.Done()
	const tick = 100 * time.Millisecond
	perTick := max(1, int(int64(len(f.agents))*int64(tick)/int64(f.cfg.PingInterval)))
	t := time.NewTicker(tick)
	defer t.Stop()
	next := 0
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		for range perTick {
			if c := f.agents[next].current(); c != nil {
				c.WriteAsync(gws.OpcodePing, nil, nil)
			}
			next = (next + 1) % len(f.agents)
		}
	}
}

// simAgent is one simulated agent.
type simAgent struct {
	f      *Fleet
	cred   Credential
	source netip.Addr

	mu   sync.Mutex
	conn *gws.Conn
}

func (a *simAgent) current() *gws.Conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.conn
}

// run connects, reads until the connection ends, and reconnects with the stock
// agent's backoff, until the fleet closes.
func (a *simAgent) run() {
	defer a.f.wg.Done()
	backoff := time.Second
	for !a.f.closed.Load() {
		conn, err := a.dial()
		if err != nil {
			select {
			case <-a.f.stop:
				return
			case <-time.After(backoff + rand.N(backoff/4)):
			}
			backoff = min(backoff*2, 32*time.Second)
			continue
		}
		backoff = time.Second
		a.mu.Lock()
		a.conn = conn
		a.mu.Unlock()
		a.f.connected.Add(1)
		a.f.connects.Add(1)
		conn.ReadLoop()
		a.f.connected.Add(-1)
		a.mu.Lock()
		a.conn = nil
		a.mu.Unlock()
		if a.f.closed.Load() {
			return
		}
		a.f.drops.Add(1)
		// The stock agent waits its (reset) backoff before redialling.
		select {
		case <-a.f.stop:
			return
		case <-time.After(backoff):
		}
	}
}

func (a *simAgent) dial() (*gws.Conn, error) {
	select {
	case a.f.sem <- struct{}{}:
	case <-a.f.stop:
		return nil, errors.New("closed")
	}
	defer func() { <-a.f.sem }()
	h := http.Header{}
	h.Set("X-API-ID", a.cred.APIID)
	h.Set("X-API-KEY", a.cred.APIKey)
	h.Set("User-Agent", "patchmon-wsload")
	opt := &gws.ClientOption{
		Addr:               a.f.wsURL,
		RequestHeader:      h,
		HandshakeTimeout:   a.f.cfg.HandshakeTimeout,
		ReadMaxPayloadSize: wsproto.MaxFrameSize,
		ReadBufferSize:     1024,
		NewDialer: func() (gws.Dialer, error) {
			d := &net.Dialer{Timeout: a.f.cfg.HandshakeTimeout}
			if a.source.IsValid() {
				d.LocalAddr = &net.TCPAddr{IP: a.source.AsSlice()}
			}
			return d, nil
		},
	}
	conn, resp, err := gws.NewClient(agentEvents{a.f}, opt)
	if err != nil {
		switch {
		case resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusNotFound):
			a.f.authErrors.Add(1)
		case resp != nil && resp.StatusCode == http.StatusTooManyRequests:
			a.f.rateLimited.Add(1)
		default:
			a.f.otherErrors.Add(1)
		}
		return nil, err
	}
	return conn, nil
}

// agentEvents handles frames like the stock agent: it answers pings and reads
// commands.
type agentEvents struct{ f *Fleet }

func (agentEvents) OnOpen(*gws.Conn)                   {}
func (agentEvents) OnClose(*gws.Conn, error)           {}
func (agentEvents) OnPong(*gws.Conn, []byte)           {}
func (agentEvents) OnPing(c *gws.Conn, payload []byte) { _ = c.WritePong(payload) }
func (e agentEvents) OnMessage(_ *gws.Conn, m *gws.Message) {
	e.f.observe(m.Bytes())
	m.Close()
}
