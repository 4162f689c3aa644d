package pgembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	sqlDatabaseExists = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`
	sqlCreateDatabase = `CREATE DATABASE %s` // %s is a sanitized identifier
)

// Restart backoff for a postgres that exits on its own: it doubles from minBackoff up to
// maxBackoff and starts over once a child has stayed up for stableAfter.
const (
	minBackoff  = 250 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stableAfter = time.Minute
)

// supervisor is the state of one Start..Stop period.
type supervisor struct {
	stop     chan struct{} // closed by Stop
	done     chan struct{} // closed when supervise returns and no postgres is left
	stopping bool          // guarded by Cluster.mu
	child    *child        // guarded by Cluster.mu
}

// child is one postgres process.
type child struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{} // closed once err is set
	err     error
}

// Start initialises the cluster on first use, starts postgres, waits until it accepts
// connections and creates Config.Database if it is missing. Afterwards postgres is
// supervised: if it exits on its own it is restarted with backoff until Stop. ctx bounds
// the whole start-up; a Start that fails leaves no process behind. Stop blocks while a
// Start is in progress. A stopped Cluster may be started again.
func (c *Cluster) Start(ctx context.Context) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.run != nil {
		return fmt.Errorf("%w: Start called on a started Cluster", ErrAlreadyRunning)
	}
	if err := c.prepareDirs(); err != nil {
		return err
	}
	logFile, err := c.openLog()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			logFile.Close()
		}
	}()

	if _, err := os.Stat(filepath.Join(c.pgData, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		if err := c.initdb(ctx, logFile); err != nil {
			return err
		}
	} else if err := c.checkVersion(ctx); err != nil {
		return err
	}
	if err := c.clearStalePID(); err != nil {
		return err
	}

	ch, err := c.spawn(logFile)
	if err != nil {
		return err
	}
	if err := c.waitReady(ctx, ch); err != nil {
		c.kill(ch)
		return err
	}
	if err := c.ensureDatabase(ctx); err != nil {
		c.kill(ch)
		return err
	}

	sup := &supervisor{stop: make(chan struct{}), done: make(chan struct{}), child: ch}
	c.run = sup
	go c.supervise(sup, ch, logFile)
	c.log.InfoContext(ctx, "embedded postgres ready", "pid", ch.cmd.Process.Pid,
		"data_dir", c.cfg.DataDir, "socket_dir", c.socketDir, "user", c.cfg.RunAsUser)
	return nil
}

// Stop shuts postgres down with a fast shutdown (SIGINT: open transactions are rolled
// back) and waits for it to exit. If ctx ends first, postgres is killed (SIGKILL; crash
// recovery runs on the next start) and the ctx error is returned. Stop on a Cluster that
// is not running returns nil.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	sup := c.run
	if sup == nil {
		c.mu.Unlock()
		return nil
	}
	if !sup.stopping {
		sup.stopping = true
		close(sup.stop)
		if sup.child != nil {
			_ = sup.child.cmd.Process.Signal(syscall.SIGINT)
		}
	}
	c.mu.Unlock()

	var err error
	select {
	case <-sup.done:
	case <-ctx.Done():
		c.mu.Lock()
		if sup.child != nil {
			_ = sup.child.cmd.Process.Kill()
		}
		c.mu.Unlock()
		<-sup.done
		err = fmt.Errorf("pgembed: fast shutdown did not finish in time, killed postgres: %w", ctx.Err())
	}

	c.mu.Lock()
	if c.run == sup {
		c.run = nil
	}
	c.mu.Unlock()
	c.log.InfoContext(ctx, "embedded postgres stopped", "data_dir", c.cfg.DataDir)
	return err
}

// supervise waits for postgres to exit and restarts it unless Stop asked for the exit.
func (c *Cluster) supervise(sup *supervisor, ch *child, logFile *os.File) {
	defer close(sup.done)
	defer logFile.Close()
	ctx := context.Background()
	backoff := minBackoff
	for {
		<-ch.exited
		c.mu.Lock()
		stopping := sup.stopping
		c.mu.Unlock()
		if stopping {
			return
		}
		if time.Since(ch.started) > stableAfter {
			backoff = minBackoff
		}
		c.log.ErrorContext(ctx, "embedded postgres exited unexpectedly; restarting",
			"err", ch.err, "ran_for", time.Since(ch.started).Round(time.Millisecond),
			"retry_in", backoff, "log_tail", c.logTail())

		for {
			select {
			case <-sup.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxBackoff)

			c.mu.Lock()
			if sup.stopping {
				c.mu.Unlock()
				return
			}
			next, err := c.respawn(logFile)
			if err == nil {
				sup.child = next
			}
			c.mu.Unlock()

			if err != nil {
				c.log.ErrorContext(ctx, "restarting embedded postgres failed", "err", err, "retry_in", backoff)
				continue
			}
			ch = next
			c.log.InfoContext(ctx, "embedded postgres restarted", "pid", ch.cmd.Process.Pid)
			break
		}
	}
}

// respawn starts postgres again after a crash; the caller holds c.mu.
func (c *Cluster) respawn(logFile *os.File) (*child, error) {
	if err := c.clearStalePID(); err != nil {
		return nil, err
	}
	return c.spawn(logFile)
}

// command prepares one of the PostgreSQL binaries to run as the run-as user, in its own
// process group (so a terminal's Ctrl-C reaches only the supervising program, which then
// calls Stop) and, on Linux, killed if the supervising program dies.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.cfg.DataDir
	cmd.Env = c.childEnv()
	attr := &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	setParentDeathSignal(attr, syscall.SIGINT)
	cmd.SysProcAttr = attr
	return cmd
}

// childEnv passes the environment on without libpq's PG* variables, which could point
// initdb or postgres somewhere else, and with the run-as user's identity when switching.
func (c *Cluster) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			continue
		}
		if c.cred != nil && (strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "USER=") || strings.HasPrefix(kv, "LOGNAME=")) {
			continue
		}
		env = append(env, kv)
	}
	if c.cred != nil {
		env = append(env, "HOME="+c.cfg.DataDir, "USER="+c.cfg.RunAsUser, "LOGNAME="+c.cfg.RunAsUser)
	}
	return env
}

// initdb creates the cluster in a scratch directory and renames it into place, so an
// interrupted initdb never leaves a half-made data directory behind.
func (c *Cluster) initdb(ctx context.Context, logFile io.Writer) error {
	tmp := c.pgData + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := c.ownedDir(tmp); err != nil {
		return err
	}
	args := []string{
		"-D", tmp,
		"-U", Superuser,
		"--encoding=UTF8", "--no-locale",
		"--auth-local=trust", "--auth-host=scram-sha-256",
	}
	if c.cfg.Settings["fsync"] == "off" {
		args = append(args, "--no-sync")
	}
	c.log.InfoContext(ctx, "running initdb", "data_dir", c.pgData, "bin_dir", c.binDir)
	start := time.Now()
	var out bytes.Buffer
	cmd := c.command("initdb", args...)
	cmd.Stdout = io.MultiWriter(&out, logFile)
	cmd.Stderr = cmd.Stdout
	if err := runContext(ctx, cmd); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgembed: initdb failed: %w\n%s", err, strings.TrimSpace(out.String()))
	}
	if err := os.Rename(tmp, c.pgData); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	c.log.InfoContext(ctx, "initdb done", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// runContext runs cmd and kills it if ctx ends first.
func runContext(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return ctx.Err()
	}
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// checkVersion makes sure the binaries can run the existing data directory. When BinDir
// was not configured and another installed version matches, it switches to that one, so
// installing a newer PostgreSQL does not break an older cluster.
func (c *Cluster) checkVersion(ctx context.Context) error {
	b, err := os.ReadFile(filepath.Join(c.pgData, "PG_VERSION"))
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	dataVer := strings.TrimSpace(string(b))
	out, err := c.command("postgres", "--version").Output()
	if err != nil {
		return fmt.Errorf("pgembed: running %s --version: %w", filepath.Join(c.binDir, "postgres"), err)
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return nil // unknown format: let postgres itself judge the data directory
	}
	binVer := m[1]
	if n, _ := strconv.Atoi(m[1]); n < 10 && m[2] != "" {
		binVer = m[1] + "." + m[2]
	}
	if binVer == dataVer {
		return nil
	}
	if alt := filepath.Join("/usr/lib/postgresql", dataVer, "bin"); !c.binDirSet && hasBinaries(alt) {
		c.log.InfoContext(ctx, "using the PostgreSQL version the data directory was created with",
			"version", dataVer, "bin_dir", alt)
		c.binDir = alt
		return nil
	}
	return fmt.Errorf("pgembed: %s was created by PostgreSQL %s but %s holds PostgreSQL %s; "+
		"install PostgreSQL %s and point Config.BinDir (PATCHMON_PG_BIN_DIR) at it, or upgrade the cluster with pg_upgrade",
		c.pgData, dataVer, c.binDir, binVer, dataVer)
}

// spawn starts postgres in the foreground with its output appended to the log file.
func (c *Cluster) spawn(logFile *os.File) (*child, error) {
	args := []string{
		"-D", c.pgData,
		"-k", c.socketDir,
		"-p", strconv.Itoa(c.socketPort),
		"-c", "listen_addresses=" + c.cfg.Listen,
	}
	names := make([]string, 0, len(c.cfg.Settings))
	for name := range c.cfg.Settings {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		args = append(args, "-c", name+"="+c.cfg.Settings[name])
	}
	cmd := c.command("postgres", args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgembed: starting postgres: %w", err)
	}
	ch := &child{cmd: cmd, started: time.Now(), exited: make(chan struct{})}
	go func() {
		ch.err = cmd.Wait()
		close(ch.exited)
	}()
	return ch, nil
}

// kill ends a child that failed to come up and waits for it.
func (c *Cluster) kill(ch *child) {
	_ = ch.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-ch.exited:
	case <-time.After(10 * time.Second):
		_ = ch.cmd.Process.Kill()
		<-ch.exited
	}
}

// waitReady polls until postgres accepts connections, it exits, or ctx ends.
func (c *Cluster) waitReady(ctx context.Context, ch *child) error {
	connStr := c.ConnString("postgres")
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgconn.Connect(attemptCtx, connStr)
		cancel()
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		select {
		case <-ch.exited:
			return fmt.Errorf("pgembed: postgres exited during start-up (%v); end of %s:\n%s", ch.err, c.logPath, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("pgembed: waiting for postgres to accept connections: %w (last attempt: %v); end of %s:\n%s",
				ctx.Err(), err, c.logPath, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ensureDatabase creates Config.Database unless it exists.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("pgembed: connecting to create database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, sqlDatabaseExists, c.cfg.Database).Scan(&exists); err != nil {
		return fmt.Errorf("pgembed: checking database %q: %w", c.cfg.Database, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, fmt.Sprintf(sqlCreateDatabase, pgx.Identifier{c.cfg.Database}.Sanitize()))
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database
		return fmt.Errorf("pgembed: creating database %q: %w", c.cfg.Database, err)
	}
	c.log.InfoContext(ctx, "created database", "database", c.cfg.Database)
	return nil
}
