package patchmontest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// redisDatabases is how many numbered databases RedisURL leases out (Redis's default).
const redisDatabases = 16

// leaseWait bounds how long RedisURL waits for a free database before failing the test.
const leaseWait = 5 * time.Minute

// redisState is the per-test-binary Redis server: started at most once, stopped by Main.
var redisState struct {
	once   sync.Once
	mu     sync.Mutex
	err    error
	base   *url.URL      // redis://host:port, maybe with credentials
	cmd    *exec.Cmd     // nil when TEST_REDIS_URL is used
	exited chan struct{} // closed when cmd has exited
	dir    string
}

// RedisURL leases one of the server's 16 numbered databases exclusively to this test and
// returns its URL, redis://host:port/N. The database is flushed when leased and again
// when released at the end of the test. When all 16 are leased, RedisURL blocks until one
// is free. Safe under t.Parallel, and across test binaries sharing a TEST_REDIS_URL
// server on one machine (leases are then file locks in the system temp directory).
//
// The server is TEST_REDIS_URL's when set (redis://host:port, or rediss:// for TLS),
// otherwise one redis-server per test binary on a free 127.0.0.1 port, started on first
// use and stopped by Main.
func RedisURL(t testing.TB) string {
	t.Helper()
	redisState.once.Do(startRedis)
	if redisState.err != nil {
		t.Fatalf("patchmontest: %v", redisState.err)
	}
	base := redisState.base

	lockDir := redisState.dir // private server: its leases die with its directory
	if lockDir == "" {
		lockDir = os.TempDir() // shared server: every test binary on this machine must agree
	}
	lock, db, err := leaseDB(lockDir, base.Host)
	if err != nil {
		t.Fatalf("patchmontest: %v", err)
	}
	u := *base
	u.Path = "/" + strconv.Itoa(db)
	dbURL := u.String()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := redisDo(ctx, dbURL, "FLUSHDB"); err != nil {
		lock.Close()
		t.Fatalf("patchmontest: flushing leased Redis database %d: %v", db, err)
	}
	t.Cleanup(func() {
		defer lock.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := redisDo(ctx, dbURL, "FLUSHDB"); err != nil {
			t.Errorf("patchmontest: flushing Redis database %d on release: %v", db, err)
		}
	})
	return dbURL
}

// leaseDB takes an exclusive lock on one database number of the server at hostport,
// using lock files in dir, waiting up to leaseWait. Closing the returned file releases the lease; so does the
// process exiting, so a crashed test binary never leaks one.
func leaseDB(dir, hostport string) (*os.File, int, error) {
	key := unsafeNameChars.ReplaceAllString(hostport, "_")
	deadline := time.Now().Add(leaseWait)
	for {
		for db := range redisDatabases {
			path := filepath.Join(dir, fmt.Sprintf("patchmontest-redis-%s-%d.lock", key, db))
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
			if err != nil {
				return nil, 0, fmt.Errorf("leasing a Redis database: %w", err)
			}
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil {
				return f, db, nil
			}
			f.Close()
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, 0, fmt.Errorf("leasing a Redis database: locking %s: %w", path, err)
			}
		}
		if time.Now().After(deadline) {
			return nil, 0, fmt.Errorf("no free Redis database after %v: all %d are leased by running tests", leaseWait, redisDatabases)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startRedis uses TEST_REDIS_URL or starts a private redis-server.
func startRedis() {
	redisState.mu.Lock()
	defer redisState.mu.Unlock()
	if raw := os.Getenv(envRedisURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			redisState.err = fmt.Errorf("%s must look like redis://host:port, got %q", envRedisURL, raw)
			return
		}
		u.Path, u.RawPath, u.RawQuery = "", "", ""
		redisState.base = u
		return
	}

	bin, err := exec.LookPath("redis-server")
	if err != nil {
		redisState.err = fmt.Errorf("redis-server not found: install redis-server (apt-get install redis-server) or set %s", envRedisURL)
		return
	}
	dir, err := os.MkdirTemp("", "patchmontest-redis-")
	if err != nil {
		redisState.err = err
		return
	}
	redisState.dir = dir
	// The free port is found by binding and releasing it, so another process can take it
	// in between; a few attempts make that race harmless.
	for range 5 {
		if err = startRedisServer(bin, dir); err == nil {
			return
		}
	}
	redisState.err = fmt.Errorf("starting redis-server: %w", err)
}

func startRedisServer(bin, dir string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, "redis.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor

	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--databases", strconv.Itoa(redisDatabases),
		"--dir", dir,
		"--daemonize", "no",
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = childSysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	base := &url.URL{Scheme: "redis", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, time.Second)
		err = redisDo(attempt, base.String(), "PING")
		cancelAttempt()
		if err == nil {
			redisState.base = base
			redisState.cmd = cmd
			redisState.exited = exited
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited during start-up; end of %s:\n%s", logPath, tail(logPath, 10))
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server did not answer PING: %w", err)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// stopRedis stops the private redis-server, if the kit started one.
func stopRedis(ctx context.Context) error {
	redisState.mu.Lock()
	defer redisState.mu.Unlock()
	var err error
	if cmd := redisState.cmd; cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-redisState.exited:
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-redisState.exited
			err = errors.New("redis-server did not stop in time; killed it")
		}
		redisState.cmd = nil
	}
	if redisState.dir != "" {
		if rmErr := os.RemoveAll(redisState.dir); err == nil {
			err = rmErr
		}
		redisState.dir = ""
	}
	redisState.err = errors.New("the test Redis server was stopped by Main")
	return err
}

// redisDo runs one argument-less command against the server and database in redisURL.
func redisDo(ctx context.Context, redisURL, command string) error {
	opt, err := rueidis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	opt.DisableCache = true
	opt.DisableRetry = true
	opt.Dialer.Timeout = 2 * time.Second
	client, err := rueidis.NewClient(opt)
	if err != nil {
		return err
	}
	defer client.Close()
	return client.Do(ctx, client.B().Arbitrary(command).Build()).Error()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
