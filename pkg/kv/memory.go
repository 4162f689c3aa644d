package kv

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

var _ Store = (*Memory)(nil)

// memorySweepInterval is how often the janitor drops expired entries that
// nobody has asked for since they expired; reads expire entries themselves.
const memorySweepInterval = time.Minute

// Memory is the in-process Store for a single-node server. State lives only
// in this process; nothing is shared with other processes.
//
// Bus delivery is asynchronous: Publish queues a copy of the message for each
// subscriber and returns; see Bus for the drop policy.
type Memory struct {
	start  time.Time // origin of the limiter's monotonic clock
	closed atomic.Bool

	cacheMu sync.RWMutex
	cache   map[string]memEntry

	tokensMu sync.Mutex
	tokens   map[string]memEntry

	limitsMu sync.Mutex
	limits   map[string]*memWindow

	bus *registry

	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

type memEntry struct {
	val     []byte
	expires time.Time
}

type memWindow struct {
	st      windowState
	window  time.Duration
	expires time.Duration // on the limiter clock
}

// NewMemory returns an empty in-process Store. It starts one janitor
// goroutine, which Close stops.
func NewMemory() *Memory {
	m := &Memory{
		start:  time.Now(),
		cache:  make(map[string]memEntry),
		tokens: make(map[string]memEntry),
		limits: make(map[string]*memWindow),
		bus:    newRegistry(),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go m.janitor()
	return m
}

// check is the common entry guard: a closed store and a done ctx fail the
// call the same way they would against Redis.
func (m *Memory) check(ctx context.Context) error {
	if m.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// Get implements Cache.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := m.check(ctx); err != nil {
		return nil, false, err
	}
	m.cacheMu.RLock()
	e, ok := m.cache[key]
	m.cacheMu.RUnlock()
	if !ok {
		return nil, false, nil
	}
	if now := time.Now(); !now.Before(e.expires) {
		m.cacheMu.Lock()
		// Only delete what we saw: a concurrent Set may have replaced it.
		if cur, ok := m.cache[key]; ok && !now.Before(cur.expires) {
			delete(m.cache, key)
		}
		m.cacheMu.Unlock()
		return nil, false, nil
	}
	return bytes.Clone(e.val), true, nil
}

// Set implements Cache.
func (m *Memory) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrInvalidTTL
	}
	e := memEntry{val: cloneNonNil(val), expires: time.Now().Add(ttl)}
	m.cacheMu.Lock()
	m.cache[key] = e
	m.cacheMu.Unlock()
	return nil
}

// Delete implements Cache.
func (m *Memory) Delete(ctx context.Context, keys ...string) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	m.cacheMu.Lock()
	for _, k := range keys {
		delete(m.cache, k)
	}
	m.cacheMu.Unlock()
	return nil
}

// Publish implements Bus.
func (m *Memory) Publish(ctx context.Context, channel string, msg []byte) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	deliver(m.bus, channel, msg)
	return nil
}

// Subscribe implements Bus.
func (m *Memory) Subscribe(ctx context.Context, channel string, fn func(msg []byte)) (func(), error) {
	if err := m.check(ctx); err != nil {
		return nil, err
	}
	s := newSubscriber(m.bus, fn)
	if _, err := m.bus.add(channel, s); err != nil {
		return nil, err
	}
	var once sync.Once
	unsubscribe := func() {
		once.Do(func() {
			s.stop()
			m.bus.remove(channel, s)
		})
	}
	stopWatch := context.AfterFunc(ctx, unsubscribe)
	return func() { stopWatch(); unsubscribe() }, nil
}

// Dropped reports how many messages have been dropped for subscribers that
// fell too far behind (see Bus).
func (m *Memory) Dropped() uint64 { return m.bus.dropped.Load() }

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error) {
	if err := m.check(ctx); err != nil {
		return Decision{}, err
	}
	if err := validLimit(limit, window); err != nil {
		return Decision{}, err
	}
	m.limitsMu.Lock()
	defer m.limitsMu.Unlock()
	now := time.Since(m.start)
	w := m.limits[key]
	if w == nil || w.window != window {
		w = &memWindow{st: windowState{idx: int64(now / window)}, window: window}
		m.limits[key] = w
	}
	d := w.st.allow(now, window, limit)
	w.expires = now + w.st.expiresAfter(now, window)
	return d, nil
}

// Put implements Tokens.
func (m *Memory) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := m.check(ctx); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrInvalidTTL
	}
	e := memEntry{val: cloneNonNil(val), expires: time.Now().Add(ttl)}
	m.tokensMu.Lock()
	m.tokens[key] = e
	m.tokensMu.Unlock()
	return nil
}

// Take implements Tokens.
func (m *Memory) Take(ctx context.Context, key string) ([]byte, bool, error) {
	if err := m.check(ctx); err != nil {
		return nil, false, err
	}
	m.tokensMu.Lock()
	e, ok := m.tokens[key]
	if ok {
		delete(m.tokens, key)
	}
	m.tokensMu.Unlock()
	if !ok || !time.Now().Before(e.expires) {
		return nil, false, nil
	}
	// The entry is no longer shared, so it can be handed over as is.
	return e.val, true, nil
}

// Ping implements Store; it fails only after Close.
func (m *Memory) Ping(ctx context.Context) error {
	return m.check(ctx)
}

// Close implements Store.
func (m *Memory) Close() {
	m.closeOnce.Do(func() {
		m.closed.Store(true)
		close(m.stop)
		<-m.done
		m.bus.stopAll()
	})
}

func (m *Memory) janitor() {
	defer close(m.done)
	t := time.NewTicker(memorySweepInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.sweep()
		}
	}
}

// sweep drops everything that has expired.
func (m *Memory) sweep() {
	now := time.Now()
	m.cacheMu.Lock()
	for k, e := range m.cache {
		if !now.Before(e.expires) {
			delete(m.cache, k)
		}
	}
	m.cacheMu.Unlock()

	m.tokensMu.Lock()
	for k, e := range m.tokens {
		if !now.Before(e.expires) {
			delete(m.tokens, k)
		}
	}
	m.tokensMu.Unlock()

	m.limitsMu.Lock()
	lnow := time.Since(m.start)
	for k, w := range m.limits {
		if lnow >= w.expires {
			delete(m.limits, k)
		}
	}
	m.limitsMu.Unlock()
}

// cloneNonNil copies b so that an empty value reads back as a non-nil empty
// slice, as it does from Redis.
func cloneNonNil(b []byte) []byte {
	return append(make([]byte, 0, len(b)), b...)
}
