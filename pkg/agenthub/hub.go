package agenthub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/lxzan/gws"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// HostRef identifies a host.
type HostRef struct {
	ID    uuid.UUID `json:"hostId"`
	APIID string    `json:"apiId"`
	// Generation, when not zero, is the host's credentials generation that
	// the Authenticator verified the key against. The hub checks it against
	// the host row before upgrading, so that a cached verification of
	// regenerated credentials (or of a deleted host) cannot open a connection.
	Generation int32 `json:"-"`
}

// Authenticator checks an agent's credentials before its WebSocket is accepted.
// It returns ErrInvalidCredentials for an unknown api_id or a wrong key (401),
// ErrHostNotFound for a host that no longer exists (404) and any other error
// for a failure of its own (500). It is called once per connection attempt, so
// during a reconnect storm it should answer from a cache rather than run bcrypt.
type Authenticator interface {
	AuthenticateAgent(ctx context.Context, apiID, apiKey string) (HostRef, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, apiID, apiKey string) (HostRef, error)

// AuthenticateAgent calls f.
func (f AuthenticatorFunc) AuthenticateAgent(ctx context.Context, apiID, apiKey string) (HostRef, error) {
	return f(ctx, apiID, apiKey)
}

// Viewer is the signed-in user of a browser stream; users.Principal satisfies it.
type Viewer interface {
	Can(permission string) bool
}

// Config configures a Hub.
type Config struct {
	// DB holds agent_presence and agent_status_events (migration 0004) and the
	// hosts and host groups commands are addressed to. Required.
	DB *db.DB
	// Bus carries presence events, commands between replicas and the events
	// the dashboard stream forwards. Required.
	Bus kv.Bus
	// Cache holds each replica's liveness key. With Redis every replica sees
	// every other's; in process it serves one node. Required.
	Cache kv.Cache
	// Auth checks agent credentials before the upgrade. Required.
	Auth Authenticator
	// Logger receives connection and delivery logs. Default: discard.
	Logger *slog.Logger
	// ReplicaID names this server process among the replicas sharing the bus.
	// It must be unique; it should not be reused after a crash. Default: a
	// random id.
	ReplicaID string
	// ViewerFrom returns the signed-in user of a browser stream request, which
	// the route's authorisation middleware has put in the context. Required to
	// serve the stream.
	ViewerFrom func(ctx context.Context) (Viewer, bool)
	// TrustedOrigin reports whether a browser stream upgrade's Origin may use
	// the user's cookies (cross-site WebSocket hijacking protection).
	// Default: only the request's own host.
	TrustedOrigin func(r *http.Request) bool
	// OnMessage, when set, is called on this replica for every frame an agent
	// connected to it sends, after the hub has published it. It runs on the
	// connection's read loop and must not block. Default: none.
	OnMessage func(ctx context.Context, host HostRef, m wsproto.Message)
	// PingInterval is how often the hub pings each agent and browser stream.
	// Default: 30s (the agent's own period).
	PingInterval time.Duration
	// IdleTimeout closes a connection that has sent nothing (not even a ping or
	// pong) for this long; its host then goes offline. Default: 90s.
	IdleTimeout time.Duration
	// WriteTimeout bounds one frame write to a connection. Default: 10s.
	WriteTimeout time.Duration
	// MaxFrameSize is the largest frame read from an agent; larger ones close
	// the connection (1009). Default: wsproto.MaxFrameSize (64 KiB).
	MaxFrameSize int
	// ReplicaTTL is how long a replica's liveness key lives without renewal;
	// after it expires other replicas take the replica's hosts offline. It is
	// renewed every ReplicaTTL/3. Default: 15s.
	ReplicaTTL time.Duration
	// CommandTimeout bounds how long a command waits for the replica holding a
	// host to report delivery. Default: 5s.
	CommandTimeout time.Duration
	// FlushInterval is how long presence writes are gathered before they are
	// written in one batch. Default: 100ms.
	FlushInterval time.Duration
	// ReconcileInterval is how often the fleet view is checked against the
	// database and this replica's connections against their records.
	// Default: 30s.
	ReconcileInterval time.Duration
	// HistoryRetention is how long agent_status_events are kept. Default: 30 days.
	HistoryRetention time.Duration
	// StreamMaxAge closes a browser stream after this long, so the browser
	// reconnects and its session and permissions are checked again.
	// Default: 15m.
	StreamMaxAge time.Duration
}

func (c *Config) fill() error {
	switch {
	case c.DB == nil:
		return errors.New("agenthub: Config.DB is required")
	case c.Bus == nil:
		return errors.New("agenthub: Config.Bus is required")
	case c.Cache == nil:
		return errors.New("agenthub: Config.Cache is required")
	case c.Auth == nil:
		return errors.New("agenthub: Config.Auth is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ReplicaID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		c.ReplicaID = hex.EncodeToString(b)
	}
	if len(c.ReplicaID) > 64 {
		return errors.New("agenthub: Config.ReplicaID must be at most 64 bytes")
	}
	setDefault(&c.PingInterval, 30*time.Second)
	setDefault(&c.IdleTimeout, 90*time.Second)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.ReplicaTTL, 15*time.Second)
	setDefault(&c.CommandTimeout, 5*time.Second)
	setDefault(&c.FlushInterval, 100*time.Millisecond)
	setDefault(&c.ReconcileInterval, 30*time.Second)
	setDefault(&c.HistoryRetention, 30*24*time.Hour)
	setDefault(&c.StreamMaxAge, 15*time.Minute)
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = wsproto.MaxFrameSize
	}
	if c.IdleTimeout <= c.PingInterval {
		return fmt.Errorf("agenthub: Config.IdleTimeout (%s) must be longer than PingInterval (%s)", c.IdleTimeout, c.PingInterval)
	}
	if c.ReplicaTTL < 30*time.Millisecond {
		return errors.New("agenthub: Config.ReplicaTTL must be at least 30ms")
	}
	return nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Hub is one replica's real-time layer. Create it with New, then Start it; it
// is safe for concurrent use.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	store   *store
	replica string

	agentUpgrader  *gws.Upgrader
	streamUpgrader *gws.Upgrader
	decoder        wsproto.Decoder

	fleet  *fleetView
	writer *presenceWriter

	mu      sync.RWMutex
	state   hubState
	conns   map[uuid.UUID]*agentConn // this replica's agents, by host
	streams map[*stream]struct{}
	connWG  sync.WaitGroup // read loops of agents and streams

	pendingMu sync.Mutex
	pending   map[string]chan commandReply

	cancelSubs []func()
	// life bounds the bus subscriptions: they last until Shutdown, not just
	// for the Start call that made them.
	life    context.Context
	endLife context.CancelFunc
	stop    chan struct{}
	bg      sync.WaitGroup
}

type hubState int

const (
	stateNew hubState = iota
	stateRunning
	stateStopped
)

// New validates cfg and returns a Hub. It does no I/O.
func New(cfg Config) (*Hub, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	h := &Hub{
		cfg:     cfg,
		log:     cfg.Logger.With("replica", cfg.ReplicaID),
		store:   &store{db: cfg.DB},
		replica: cfg.ReplicaID,
		decoder: wsproto.Decoder{Direction: wsproto.AgentToServer, MaxFrameSize: cfg.MaxFrameSize},
		fleet:   newFleetView(),
		conns:   map[uuid.UUID]*agentConn{},
		streams: map[*stream]struct{}{},
		pending: map[string]chan commandReply{},
		stop:    make(chan struct{}),
	}
	h.life, h.endLife = context.WithCancel(context.Background())
	h.writer = newPresenceWriter(h)
	header := http.Header{}
	header.Set(wsproto.VersionHeader, fmt.Sprint(wsproto.Version))
	h.agentUpgrader = gws.NewUpgrader(&agentEvents{h: h}, &gws.ServerOption{
		ReadMaxPayloadSize: cfg.MaxFrameSize,
		ReadBufferSize:     2048,
		HandshakeTimeout:   cfg.WriteTimeout,
		ResponseHeader:     header,
		Logger:             gwsLogger{h.log},
	})
	h.streamUpgrader = gws.NewUpgrader(&streamEvents{h: h}, &gws.ServerOption{
		ReadMaxPayloadSize: 4096,
		ReadBufferSize:     1024,
		HandshakeTimeout:   cfg.WriteTimeout,
		Logger:             gwsLogger{h.log},
	})
	return h, nil
}

// gwsLogger routes gws's own error logs to slog.
type gwsLogger struct{ log *slog.Logger }

func (l gwsLogger) Error(v ...any) { l.log.Warn("websocket", "detail", fmt.Sprint(v...)) }

// ReplicaID returns this replica's id.
func (h *Hub) ReplicaID() string { return h.replica }

// LocalConnections returns how many agents are connected to this replica.
func (h *Hub) LocalConnections() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.conns)
}

func (h *Hub) running() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.state == stateRunning
}

// Start registers the replica, subscribes to the bus, loads the fleet's presence
// from the database, takes the hosts of replicas that are gone offline and starts
// the background work. It returns once the hub can accept connections.
func (h *Hub) Start(ctx context.Context) error {
	h.mu.Lock()
	if h.state != stateNew {
		h.mu.Unlock()
		return errors.New("agenthub: Start called twice")
	}
	h.mu.Unlock()

	if err := h.renewKey(ctx); err != nil {
		return fmt.Errorf("agenthub: register replica: %w", err)
	}
	subs := []struct {
		channel string
		fn      func([]byte)
	}{
		{ChannelStatus, h.onStatusMessage},
		{commandChannel(h.replica), h.onCommandMessage},
		{replyChannel(h.replica), h.onReplyMessage},
		{controlChannel, h.onControlMessage},
		{ChannelReports, h.onStreamSource(streamReport)},
		{ChannelCommands, h.onStreamSource(streamCommand)},
		{ChannelAgentEvents, h.onStreamSource(streamAgentEvent)},
	}
	for _, s := range subs {
		cancel, err := h.cfg.Bus.Subscribe(h.life, s.channel, s.fn)
		if err != nil {
			h.unsubscribe()
			return fmt.Errorf("agenthub: subscribe %s: %w", s.channel, err)
		}
		h.cancelSubs = append(h.cancelSubs, cancel)
	}
	if err := h.reconcile(ctx); err != nil {
		h.unsubscribe()
		return fmt.Errorf("agenthub: load presence: %w", err)
	}

	h.mu.Lock()
	h.state = stateRunning
	h.mu.Unlock()
	h.bg.Add(4)
	go h.writer.run()
	go h.every(h.cfg.ReplicaTTL/3, h.heartbeat)
	go h.every(h.cfg.ReconcileInterval, h.periodicReconcile)
	go h.every(h.cfg.PingInterval, h.pingAll)
	h.log.InfoContext(ctx, "agent hub started")
	return nil
}

// unsubscribe ends every bus subscription.
func (h *Hub) unsubscribe() {
	defer h.endLife()
	for _, c := range h.cancelSubs {
		c()
	}
	h.cancelSubs = nil
}

// every runs fn every d until the hub stops.
func (h *Hub) every(d time.Duration, fn func(ctx context.Context)) {
	defer h.bg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), max(d, 5*time.Second))
			fn(ctx)
			cancel()
		}
	}
}

// Shutdown closes every agent connection and browser stream of this replica
// (agents reconnect, to another replica behind a load balancer), records their
// hosts offline, and stops. It is bounded by ctx; calling it again does nothing.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if h.state != stateRunning {
		h.state = stateStopped
		h.mu.Unlock()
		return nil
	}
	h.state = stateStopped
	conns := make([]*agentConn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	streams := make([]*stream, 0, len(h.streams))
	for s := range h.streams {
		streams = append(streams, s)
	}
	h.mu.Unlock()

	// In parallel: a close waits for any write in progress on its connection.
	parallel(len(conns), func(i int) { conns[i].close(1001, ReasonShutdown) })
	parallel(len(streams), func(i int) { streams[i].close(1001, "server shutting down") })
	var errs []error
	done := make(chan struct{})
	go func() { h.connWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("agenthub: connections still closing: %w", ctx.Err()))
	}
	h.unsubscribe()
	close(h.stop)
	h.bg.Wait()
	if err := h.writer.flushAll(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := h.cfg.Cache.Delete(ctx, replicaKey(h.replica)); err != nil {
		errs = append(errs, fmt.Errorf("agenthub: remove liveness key: %w", err))
	}
	h.pendingMu.Lock()
	for id, ch := range h.pending {
		close(ch)
		delete(h.pending, id)
	}
	h.pendingMu.Unlock()
	h.log.InfoContext(ctx, "agent hub stopped", "connections_closed", len(conns))
	return errors.Join(errs...)
}
