package kv

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

var _ Store = (*Redis)(nil)

//go:embed limiter.lua
var limiterLua string

// limiterScript is safe to share: it only caches the script's SHA-1.
var limiterScript = rueidis.NewLuaScript(limiterLua)

// Sub-namespaces under the prefix, so that a cache key can never collide
// with a token or limiter key of the same name (as in Memory, where each
// lives in its own map).
const (
	nsCache  = "cache:"
	nsTokens = "tok:"
	nsLimit  = "rl:"
	nsBus    = "bus:"
)

// Redis is the Store shared by replicas through Redis 6.2 or newer. Every key
// and channel it uses starts with its prefix, so several servers (or tests)
// can share one Redis.
//
// Bus subscriptions share one dedicated connection per Redis value, named
// "kv-bus:<prefix>" (CLIENT SETNAME), opened on the first Subscribe and
// re-established with all current subscriptions after it breaks; messages
// published while it is down are lost. Every other operation is a single
// command or script on one key, so it also works on Redis Cluster.
type Redis struct {
	client rueidis.Client
	prefix string
	closed atomic.Bool
	bus    *redisBus
}

// NewRedis returns a Store on client that prefixes every key and channel with
// prefix, used verbatim (for example "patchmon:"). It does no I/O. The caller
// keeps ownership of client: Close does not close it.
func NewRedis(client rueidis.Client, prefix string) *Redis {
	return &Redis{
		client: client,
		prefix: prefix,
		bus:    newRedisBus(client, prefix+nsBus, "kv-bus:"+prefix),
	}
}

func (r *Redis) check(ctx context.Context) error {
	if r.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// Get implements Cache.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := r.check(ctx); err != nil {
		return nil, false, err
	}
	c := r.client
	v, err := c.Do(ctx, c.B().Get().Key(r.prefix+nsCache+key).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("kv: redis cache get: %w", err)
	}
	return nonNil(v), true, nil
}

// Set implements Cache.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrInvalidTTL
	}
	if err := r.set(ctx, r.prefix+nsCache+key, val, ttl); err != nil {
		return fmt.Errorf("kv: redis cache set: %w", err)
	}
	return nil
}

// Delete implements Cache.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	// One DEL per key, pipelined: a single multi-key DEL would fail on a
	// Redis Cluster when the keys hash to different slots.
	c := r.client
	cmds := make(rueidis.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = c.B().Del().Key(r.prefix + nsCache + k).Build()
	}
	for _, res := range c.DoMulti(ctx, cmds...) {
		if err := res.Error(); err != nil {
			return fmt.Errorf("kv: redis cache delete: %w", err)
		}
	}
	return nil
}

// Publish implements Bus.
func (r *Redis) Publish(ctx context.Context, channel string, msg []byte) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	c := r.client
	cmd := c.B().Publish().Channel(r.prefix + nsBus + channel).Message(rueidis.BinaryString(msg)).Build()
	if err := c.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("kv: redis publish: %w", err)
	}
	return nil
}

// Subscribe implements Bus. It fails if Redis cannot be reached at the time;
// once it has succeeded the subscription outlives reconnections.
func (r *Redis) Subscribe(ctx context.Context, channel string, fn func(msg []byte)) (func(), error) {
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	return r.bus.subscribe(ctx, r.prefix+nsBus+channel, fn)
}

// Dropped reports how many messages have been dropped for subscribers that
// fell too far behind (see Bus).
func (r *Redis) Dropped() uint64 { return r.bus.reg.dropped.Load() }

// Allow implements Limiter with an atomic Lua script (limiter.lua) that
// keeps one small hash per key, so its cost does not depend on limit.
func (r *Redis) Allow(ctx context.Context, key string, limit int, window time.Duration) (Decision, error) {
	if err := r.check(ctx); err != nil {
		return Decision{}, err
	}
	if err := validLimit(limit, window); err != nil {
		return Decision{}, err
	}
	ms := ceilMillis(window)
	res, err := limiterScript.Exec(ctx, r.client,
		[]string{r.prefix + nsLimit + key},
		[]string{strconv.Itoa(limit), strconv.FormatInt(ms, 10)},
	).AsIntSlice()
	if err != nil {
		return Decision{}, fmt.Errorf("kv: redis limiter: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("kv: redis limiter: unexpected reply %v", res)
	}
	return Decision{
		Allowed:    res[0] == 1,
		Limit:      limit,
		Remaining:  int(res[1]),
		ResetAfter: time.Duration(res[2]) * time.Millisecond,
		RetryAfter: time.Duration(res[3]) * time.Millisecond,
	}, nil
}

// Put implements Tokens.
func (r *Redis) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	if ttl <= 0 {
		return ErrInvalidTTL
	}
	if err := r.set(ctx, r.prefix+nsTokens+key, val, ttl); err != nil {
		return fmt.Errorf("kv: redis token put: %w", err)
	}
	return nil
}

// Take implements Tokens with GETDEL, which Redis runs atomically.
func (r *Redis) Take(ctx context.Context, key string) ([]byte, bool, error) {
	if err := r.check(ctx); err != nil {
		return nil, false, err
	}
	c := r.client
	v, err := c.Do(ctx, c.B().Getdel().Key(r.prefix+nsTokens+key).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("kv: redis token take: %w", err)
	}
	return nonNil(v), true, nil
}

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.check(ctx); err != nil {
		return err
	}
	c := r.client
	if err := c.Do(ctx, c.B().Ping().Build()).Error(); err != nil {
		return fmt.Errorf("kv: redis ping: %w", err)
	}
	return nil
}

// Close implements Store. It ends all subscriptions and closes the pub/sub
// connection, but leaves the client open.
func (r *Redis) Close() {
	if r.closed.CompareAndSwap(false, true) {
		r.bus.close()
	}
}

func (r *Redis) set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	c := r.client
	cmd := c.B().Set().Key(key).Value(rueidis.BinaryString(val)).PxMilliseconds(ceilMillis(ttl)).Build()
	return c.Do(ctx, cmd).Error()
}

// ceilMillis rounds d up to whole milliseconds, Redis's finest resolution,
// so that a positive duration never becomes zero.
func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// RedisOptions says how to reach Redis; see OpenRedis.
type RedisOptions struct {
	// Addr is the server's host:port. Default "localhost:6379".
	Addr string
	// Username for Redis 6+ ACL authentication. Default none.
	Username string
	// Password for AUTH. Default none.
	Password string
	// DB is the database number to SELECT. Default 0.
	DB int
	// TLS connects with TLS, verifying the server against the system roots
	// and the host in Addr. Default false.
	TLS bool
}

// OpenRedis builds a rueidis client for opts and pings the server. The
// connection attempt is bounded by ctx's deadline, if any. Client-side
// caching is disabled: nothing here reads the same key often enough from one
// replica to pay for server-assisted invalidation. The caller closes the
// client.
func OpenRedis(ctx context.Context, opts RedisOptions) (rueidis.Client, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "localhost:6379"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("kv: RedisOptions.Addr %q: %w", addr, err)
	}
	if opts.DB < 0 {
		return nil, fmt.Errorf("kv: RedisOptions.DB must not be negative, got %d", opts.DB)
	}
	co := rueidis.ClientOption{
		InitAddress:  []string{addr},
		Username:     opts.Username,
		Password:     opts.Password,
		SelectDB:     opts.DB,
		DisableCache: true,
	}
	if opts.TLS {
		co.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < rueidis.DefaultDialTimeout {
		co.Dialer.Timeout = max(time.Until(dl), time.Millisecond)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("kv: connect to redis at %s: %w", addr, err)
	}
	if err := client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		client.Close()
		return nil, fmt.Errorf("kv: ping redis at %s: %w", addr, err)
	}
	return client, nil
}

// ParseRedisURL turns redis://[user[:password]@]host[:port][/db] (or rediss://
// for TLS) into RedisOptions. The port defaults to 6379 and the database to 0.
func ParseRedisURL(s string) (RedisOptions, error) {
	u, err := url.Parse(s)
	if err != nil {
		return RedisOptions{}, fmt.Errorf("kv: redis URL: %w", err)
	}
	var o RedisOptions
	switch u.Scheme {
	case "redis":
	case "rediss":
		o.TLS = true
	default:
		return RedisOptions{}, fmt.Errorf("kv: redis URL: scheme must be redis or rediss, got %q", u.Scheme)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "6379"
	}
	o.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return RedisOptions{}, errors.New("kv: redis URL: path must be a database number, got " + strconv.Quote(db))
		}
		o.DB = n
	}
	return o, nil
}
