package patchmon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/patchmon-go/patchmon/pkg/kv"
)

// lateLimiter lets the route table be built in New while the store only exists after
// Start; before Start (or after Shutdown) every request is allowed.
type lateLimiter struct{ cur atomic.Pointer[kv.Store] }

func (l *lateLimiter) set(s kv.Store) {
	if s == nil {
		l.cur.Store(nil)
		return
	}
	l.cur.Store(&s)
}

func (l *lateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (kv.Decision, error) {
	p := l.cur.Load()
	if p == nil {
		return kv.Decision{Allowed: true, Limit: limit, Remaining: limit, ResetAfter: window}, nil
	}
	return (*p).Allow(ctx, key, limit, window)
}

// redisOptions turns REDIS_URL or the REDIS_HOST group into connection options. A URL
// without a database number uses REDIS_DB.
func redisOptions(c Config) (kv.RedisOptions, error) {
	if c.RedisURL == "" {
		return kv.RedisOptions{Addr: net.JoinHostPort(c.RedisHost, strconv.Itoa(c.RedisPort)),
			Username: c.RedisUser, Password: c.RedisPassword, DB: c.RedisDB}, nil
	}
	o, err := kv.ParseRedisURL(c.RedisURL)
	if err != nil {
		return kv.RedisOptions{}, fmt.Errorf("REDIS_URL: %w", err)
	}
	if u, _ := url.Parse(c.RedisURL); u != nil && strings.Trim(u.Path, "/") == "" {
		o.DB = c.RedisDB
	}
	return o, nil
}

// readOrCreateSecret returns the secret in path, creating it (32 random bytes, hex, 0600)
// when missing.
func readOrCreateSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		v := strings.TrimSpace(string(b))
		if len(v) < 32 {
			return "", fmt.Errorf("%s is too short; delete it to have a new one generated", path)
		}
		return v, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	v := hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return readOrCreateSecret(path)
		}
		return "", err
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		f.Close()
		return "", err
	}
	return v, f.Close()
}
