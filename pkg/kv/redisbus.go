package kv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

const (
	busMinBackoff = 50 * time.Millisecond
	busMaxBackoff = 5 * time.Second
	// busCmdTimeout bounds commands the bus sends on its own behalf
	// (connection setup, UNSUBSCRIBE), which have no caller ctx.
	busCmdTimeout = 10 * time.Second
)

// redisBus multiplexes every subscription of one Redis store over a single
// dedicated pub/sub connection and fans messages out locally, so a thousand
// subscribers cost one connection, not a thousand. A supervisor goroutine
// owns the connection: it opens it on the first Subscribe, and whenever it
// breaks opens a new one and re-subscribes every channel that still has
// subscribers.
type redisBus struct {
	client   rueidis.Client
	prefix   string // full channel prefix, including the store prefix
	connName string // CLIENT SETNAME, so operators can find the connection
	reg      *registry

	// mu serialises SUBSCRIBE/UNSUBSCRIBE with connection changes, so the
	// server-side subscriptions always match reg's channels.
	mu      sync.Mutex
	started bool
	closed  bool
	dc      rueidis.DedicatedClient // nil while connecting
	connErr error                   // why the last attempt failed; nil while up or pending
	changed chan struct{}           // closed and replaced when dc or connErr changes
	stop    chan struct{}
	done    chan struct{}
}

func newRedisBus(client rueidis.Client, prefix, connName string) *redisBus {
	return &redisBus{
		client:   client,
		prefix:   prefix,
		connName: sanitizeClientName(connName),
		reg:      newRegistry(),
		changed:  make(chan struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// subscribe registers fn on channel (already prefixed) and makes sure the
// pub/sub connection is subscribed to it before returning.
func (b *redisBus) subscribe(ctx context.Context, channel string, fn func([]byte)) (func(), error) {
	b.mu.Lock()
	for {
		if b.closed {
			b.mu.Unlock()
			return nil, ErrClosed
		}
		if b.dc != nil {
			break
		}
		if !b.started {
			b.started = true
			go b.run()
		}
		if err := b.connErr; err != nil {
			b.mu.Unlock()
			return nil, fmt.Errorf("kv: redis subscribe: %w", err)
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		b.mu.Lock()
	}
	defer b.mu.Unlock()

	s := newSubscriber(b.reg, fn)
	first, err := b.reg.add(channel, s)
	if err != nil {
		return nil, err
	}
	// Later subscribers of the channel ride on the first one's
	// subscription, which completed under mu before they got here.
	if first {
		if err := b.dc.Do(ctx, b.dc.B().Subscribe().Channel(channel).Build()).Error(); err != nil {
			b.reg.remove(channel, s)
			return nil, fmt.Errorf("kv: redis subscribe: %w", err)
		}
	}

	var once sync.Once
	unsubscribe := func() { once.Do(func() { b.unsubscribe(channel, s) }) }
	stopWatch := context.AfterFunc(ctx, unsubscribe)
	return func() { stopWatch(); unsubscribe() }, nil
}

func (b *redisBus) unsubscribe(channel string, s *subscriber) {
	s.stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.reg.remove(channel, s) || b.dc == nil {
		// Either others still listen, or there is no connection (closed, or
		// reconnecting, in which case the new one will not subscribe it).
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), busCmdTimeout)
	defer cancel()
	// On failure the server keeps sending the channel's messages to a
	// connection that ignores them; harmless, and gone with the connection.
	_ = b.dc.Do(ctx, b.dc.B().Unsubscribe().Channel(channel).Build()).Error()
}

func (b *redisBus) onMessage(m rueidis.PubSubMessage) {
	// Called on the connection's reader goroutine: deliver never blocks.
	deliver(b.reg, m.Channel, m.Message)
}

// run is the supervisor: connect, serve until the connection breaks or the
// bus is closed, reconnect with capped exponential backoff.
func (b *redisBus) run() {
	defer close(b.done)
	backoff := busMinBackoff
	for {
		dc, _ := b.client.Dedicate()
		broken := dc.SetPubSubHooks(rueidis.PubSubHooks{OnMessage: b.onMessage})
		err := b.setup(dc)
		if err == nil {
			backoff = busMinBackoff
			select {
			case <-broken:
			case <-b.stop:
			}
			b.setState(nil, nil)
		} else {
			b.setState(nil, err)
		}
		dc.Close()

		if err == nil {
			// A connection that was up just broke: try again at once.
			select {
			case <-b.stop:
				return
			default:
				continue
			}
		}
		t := time.NewTimer(backoff)
		select {
		case <-b.stop:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, busMaxBackoff)
	}
}

var errBusClosed = errors.New("closed")

// setup names the new connection, subscribes it to every channel that has
// subscribers and publishes it as the current connection.
func (b *redisBus) setup(dc rueidis.DedicatedClient) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errBusClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), busCmdTimeout)
	defer cancel()
	// This doubles as the connectivity check when there is nothing to
	// subscribe to yet. A server that refuses the name (ACLs) is fine.
	err := dc.Do(ctx, dc.B().ClientSetname().ConnectionName(b.connName).Build()).Error()
	var redisErr *rueidis.RedisError
	if err != nil && !errors.As(err, &redisErr) {
		return err
	}
	if chans := b.reg.channels(); len(chans) > 0 {
		if err := dc.Do(ctx, dc.B().Subscribe().Channel(chans...).Build()).Error(); err != nil {
			return err
		}
	}
	b.dc, b.connErr = dc, nil
	b.notifyLocked()
	return nil
}

func (b *redisBus) setState(dc rueidis.DedicatedClient, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if errors.Is(err, errBusClosed) {
		err = nil
	}
	b.dc, b.connErr = dc, err
	b.notifyLocked()
}

func (b *redisBus) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// close stops the supervisor, which closes the connection, then every
// subscriber.
func (b *redisBus) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	started := b.started
	close(b.stop)
	b.notifyLocked()
	b.mu.Unlock()
	if started {
		<-b.done
	}
	b.reg.stopAll()
}

// sanitizeClientName makes s acceptable to CLIENT SETNAME, which rejects
// spaces and control characters.
func sanitizeClientName(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}
