package kv

import (
	"sync"
	"sync/atomic"
)

// subscriberQueueLimit bounds how many undelivered messages wait for one
// subscriber before new ones are dropped for it. A slow subscriber must never
// stall Publish (Memory) or the Redis connection's reader (Redis), and an
// unbounded queue would turn one stuck callback into unbounded memory.
const subscriberQueueLimit = 1024

// registry is the local side of a Bus: which subscribers want which channel,
// and the goroutines delivering to them. Both Memory and Redis use it.
type registry struct {
	mu      sync.RWMutex
	chans   map[string]map[*subscriber]struct{}
	closed  bool           // set by stopAll; no subscriber is added after it
	wg      sync.WaitGroup // running drain goroutines
	dropped atomic.Uint64
}

func newRegistry() *registry {
	return &registry{chans: make(map[string]map[*subscriber]struct{})}
}

// add registers s on channel and reports whether it is the channel's first
// subscriber. It fails with ErrClosed after stopAll.
func (r *registry) add(channel string, s *subscriber) (first bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, ErrClosed
	}
	subs := r.chans[channel]
	if subs == nil {
		subs = make(map[*subscriber]struct{})
		r.chans[channel] = subs
	}
	subs[s] = struct{}{}
	return len(subs) == 1, nil
}

// remove unregisters s from channel and reports whether the channel has no
// subscribers left. Removing an unknown subscriber is a no-op that reports
// false.
func (r *registry) remove(channel string, s *subscriber) (last bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	subs := r.chans[channel]
	if _, ok := subs[s]; !ok {
		return false
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(r.chans, channel)
		return true
	}
	return false
}

// channels lists the channels that have subscribers.
func (r *registry) channels() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.chans))
	for ch := range r.chans {
		out = append(out, ch)
	}
	return out
}

// stopAll stops and unregisters every subscriber, refuses new ones, then
// waits for deliveries in progress to finish. Because every subscriber is
// stopped under r.mu, no drain goroutine can start once it has the lock.
func (r *registry) stopAll() {
	r.mu.Lock()
	r.closed = true
	for ch, subs := range r.chans {
		for s := range subs {
			s.stop()
		}
		delete(r.chans, ch)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// deliver queues a private copy of msg for every subscriber of channel. It
// never blocks on a subscriber.
func deliver[T string | []byte](r *registry, channel string, msg T) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for s := range r.chans[channel] {
		// Not []byte(msg): for a []byte that would share the publisher's
		// buffer rather than copy it.
		own := make([]byte, len(msg))
		copy(own, msg)
		s.enqueue(own)
	}
}

// subscriber delivers its queue to fn in order on at most one goroutine at a
// time, started on demand so idle subscribers cost no goroutine.
type subscriber struct {
	reg     *registry
	fn      func([]byte)
	stopped atomic.Bool

	mu      sync.Mutex
	queue   [][]byte
	running bool
}

func newSubscriber(reg *registry, fn func([]byte)) *subscriber {
	return &subscriber{reg: reg, fn: fn}
}

func (s *subscriber) enqueue(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped.Load() {
		return
	}
	if len(s.queue) >= subscriberQueueLimit {
		s.reg.dropped.Add(1)
		return
	}
	s.queue = append(s.queue, msg)
	if !s.running {
		s.running = true
		s.reg.wg.Add(1)
		go s.drain()
	}
}

func (s *subscriber) drain() {
	defer s.reg.wg.Done()
	for {
		s.mu.Lock()
		if s.stopped.Load() || len(s.queue) == 0 {
			s.running = false
			s.queue = nil
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, msg := range batch {
			if s.stopped.Load() {
				break
			}
			s.fn(msg)
		}
	}
}

// stop ends delivery: queued messages are discarded and at most the one the
// drain goroutine is about to hand over still reaches fn. It does not wait
// for fn, so it is safe to call from fn, and more than once.
func (s *subscriber) stop() {
	s.mu.Lock()
	s.stopped.Store(true)
	s.queue = nil
	s.mu.Unlock()
}
