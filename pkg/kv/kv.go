// Package kv holds the small pieces of shared state a PatchMon server needs
// beyond PostgreSQL: a short-lived cache, pub/sub fan-out across replicas,
// sliding-window rate limits and one-time tokens.
//
// Two implementations satisfy the same [Store] interface and pass the same
// contract suite (package kvtest):
//
//   - [Memory] keeps everything in process. A server without Redis settings
//     uses it and runs as a single node.
//   - [Redis] keeps everything in Redis (6.2 or newer) through rueidis, so
//     several replicas share rate limits, tokens, cache entries and messages.
//
// Consumers should depend on the narrowest interface they use ([Cache],
// [Bus], [Limiter] or [Tokens]), not on [Store] or a concrete type.
//
// API stability: the interfaces, [Decision], the sentinel errors and the
// constructors are stable within a major version; new methods are added only
// to the concrete types, never to the interfaces. The Redis key and channel
// layout under the configured prefix is an implementation detail and may
// change between minor versions (all data in it is short-lived).
package kv

import (
	"context"
	"errors"
	"math"
	"time"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrClosed is returned by every operation on a store after Close.
	ErrClosed = errors.New("kv: store closed")
	// ErrInvalidTTL is returned when a ttl is not positive.
	ErrInvalidTTL = errors.New("kv: ttl must be positive")
	// ErrInvalidLimit is returned by Allow when limit < 1 or window < 1ms.
	ErrInvalidLimit = errors.New("kv: limit must be at least 1 and window at least 1ms")
)

// Cache holds short-lived values, such as verified agent credentials.
// Values are copied on the way in and out, so callers may reuse their slices.
type Cache interface {
	// Get returns the value stored under key; ok is false if there is none
	// or it has expired.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores val under key for ttl, replacing any previous value.
	// ttl must be positive (ErrInvalidTTL); Redis rounds it up to whole
	// milliseconds.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Delete removes keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
}

// Bus is fire-and-forget pub/sub fan-out across replicas: a message published
// on any replica reaches every subscriber of that channel on every replica
// that is connected at the time. Nothing is stored; a message published while
// a subscriber is disconnected is lost to it.
//
// Each subscriber has its own queue, drained in order by a goroutine of its
// own while there is something to deliver. When a subscriber falls more than
// about 1024 messages behind, further messages for it are
// dropped (and counted, see Memory.Dropped and Redis.Dropped) rather than
// blocking Publish or other subscribers.
type Bus interface {
	// Publish sends msg to every current subscriber of channel. It does not
	// wait for delivery. msg may be reused once Publish returns.
	Publish(ctx context.Context, channel string, msg []byte) error
	// Subscribe calls fn for every message on channel until the returned
	// cancel func is called or ctx ends. Delivery to one subscriber is in
	// publish order; fn must not block for long. When Subscribe returns nil
	// the subscription is active: every message published afterwards is
	// delivered. fn owns the slice it is given.
	//
	// Once cancel returns, no message published afterwards is delivered and
	// at most one already-queued message may still be handed to fn (it was
	// racing with cancel). cancel does not wait for a running fn, so it may
	// be called from inside fn, and more than once.
	Subscribe(ctx context.Context, channel string, fn func(msg []byte)) (cancel func(), err error)
}

// Limiter is a sliding-window rate limiter shared by everyone using the same
// key. Denied requests are not counted. A key should always be used with the
// same limit and window.
type Limiter interface {
	// Allow records one request against key and reports whether it fits in
	// limit requests per window. limit must be ≥ 1 and window ≥ 1ms
	// (ErrInvalidLimit).
	Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error)
}

// Decision is the outcome of one Limiter.Allow call; its fields map directly
// onto RateLimit-* and Retry-After response headers.
type Decision struct {
	// Allowed reports whether the request is within the limit.
	Allowed bool
	// Limit is the limit the request was checked against.
	Limit int
	// Remaining is how many more requests would be allowed right now.
	Remaining int
	// ResetAfter is how long until the current counting window rolls over;
	// from then on the used quota drains linearly over one window. Always
	// in (0, window].
	ResetAfter time.Duration
	// RetryAfter is, for a denied request, how long until a request is
	// expected to be allowed again, in (0, window]; zero when allowed. It
	// is exact except after a whole quota was spent within the first
	// 1/limit of a counting window, where the estimate is capped at window
	// and a retry may be refused for at most another window/limit.
	RetryAfter time.Duration
}

// Tokens holds one-time tokens, such as the agent bootstrap token that is
// valid for 300 s and deleted on first use.
type Tokens interface {
	// Put stores val under key for ttl, replacing any previous token.
	// ttl must be positive (ErrInvalidTTL).
	Put(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Take atomically gets and deletes the token under key: of any number of
	// concurrent Takes at most one gets ok == true.
	Take(ctx context.Context, key string) (val []byte, ok bool, err error)
}

// Store bundles every capability with a lifecycle.
type Store interface {
	Cache
	Bus
	Limiter
	Tokens
	// Ping reports whether the backing service is reachable.
	Ping(ctx context.Context) error
	// Close stops all subscriptions and background work and waits for it to
	// finish. It must not be called from a Subscribe callback. Calling it
	// again is a no-op; every other method then returns ErrClosed.
	Close()
}

// windowState is one key's sliding-window counter: the index of the current
// fixed window (time / window) and the requests counted in it and in the one
// before.
type windowState struct {
	idx  int64
	cur  int64
	prev int64
}

// allow applies one request at time now (measured from any fixed origin) to
// st. It is the reference for limiter.lua, which computes the same thing in
// milliseconds inside Redis: keep the two in step.
//
// Why a weighted two-window counter rather than a log of timestamps: it needs
// O(1) memory and work per key whatever the limit (the spec's default is 5000
// requests per 15 minutes per IP, which as a sorted-set log would be up to
// 5000 members per client), and it approximates a true sliding window by
// assuming the previous window's requests were spread evenly across it. That
// is the behaviour the spec asks for ("the window is a sliding time frame")
// without a fixed window's burst of 2×limit at the boundary.
func (st *windowState) allow(now, window time.Duration, limit int) Decision {
	idx := int64(now / window)
	switch {
	case idx == st.idx:
	case idx == st.idx+1:
		st.prev, st.cur = st.cur, 0
	case idx > st.idx+1:
		st.prev, st.cur = 0, 0
	default: // the clock went backwards: stay in the window we know
		idx = st.idx
	}
	st.idx = idx

	elapsed := max(now-time.Duration(idx)*window, 0)
	elapsed = min(elapsed, window-1)
	d := Decision{Limit: limit, ResetAfter: window - elapsed}
	est := float64(st.prev)*float64(window-elapsed)/float64(window) + float64(st.cur)
	lim := float64(limit)
	if est+1 <= lim {
		st.cur++
		d.Allowed = true
		d.Remaining = max(int(math.Floor(lim-est-1)), 0)
		return d
	}

	var retry time.Duration
	if st.cur+1 <= int64(limit) {
		// Allowed once the previous window's weighted share has decayed
		// enough: prev*(window-e)/window <= limit-cur-1.
		e := float64(window) * (1 - (lim-float64(st.cur)-1)/float64(st.prev))
		retry = time.Duration(math.Ceil(e)) - elapsed
	} else {
		// This window alone is full: wait for it to become the previous
		// one and decay: cur*(window-e)/window <= limit-1.
		e := float64(window) * (1 - (lim-1)/float64(st.cur))
		retry = d.ResetAfter + time.Duration(math.Ceil(e))
	}
	// A true sliding window never makes anyone wait longer than one window;
	// the approximation can, by at most window/limit, which is not worth
	// surfacing to clients.
	d.RetryAfter = min(max(retry, time.Millisecond), window)
	return d
}

// expiresAfter is how long st matters after now: until the end of the window
// following the current one.
func (st *windowState) expiresAfter(now, window time.Duration) time.Duration {
	return time.Duration(st.idx+2)*window - now
}

func validLimit(limit int, window time.Duration) error {
	if limit < 1 || window < time.Millisecond {
		return ErrInvalidLimit
	}
	return nil
}
