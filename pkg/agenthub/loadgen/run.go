package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options describe a load run; see Run.
type Options struct {
	// ServerURL is the server under test. Required.
	ServerURL string
	// CommandURL is the server the broadcasts are sent to; another replica
	// than ServerURL times delivery through Redis. Default: ServerURL.
	CommandURL string
	// Agents are the credentials to play (see Seed). Default: those in
	// CredentialsFile, the first AgentLimit of them if set.
	Agents []Credential
	// Sources are the local addresses to dial from. Default: SourceCount
	// loopback addresses (see Sources), or the kernel's choice.
	Sources []netip.Addr
	// CredentialsFile is read when Agents is empty and written by SeedHosts.
	CredentialsFile string
	// AgentLimit caps the agents read from CredentialsFile. Default: 0 (all).
	AgentLimit int
	// SourceCount is how many loopback source addresses to use when Sources
	// is empty. Default: 0.
	SourceCount int
	// SeedHosts, when positive, makes Run create that many hosts in
	// DatabaseURL, write their credentials to CredentialsFile and return.
	SeedHosts int
	// Unseed makes Run delete the hosts SeedHosts created and return.
	Unseed bool
	// User and Password sign in for the broadcasts (the first administrator is
	// set up with them if the server has none). Required when Broadcasts > 0.
	User, Password string
	// Broadcasts is how many fleet-wide settings_update to time. Default: 0.
	Broadcasts int
	// Storm drops every connection at once after the broadcasts and times the
	// reconnection. Default: false.
	Storm bool
	// Hold keeps the fleet connected after the other phases, reporting
	// every ReportEvery, until ctx ends: restart the server meanwhile to time
	// a reconnect storm after a restart. Default: false.
	Hold bool
	// ServerPID, when set, is sampled for memory and CPU. Default: 0 (off).
	ServerPID int
	// Idle is how long to measure the server's CPU with the fleet idle.
	// Default: 30s.
	Idle time.Duration
	// DatabaseURL, when set, is used to count database transactions during
	// the storm. Default: "" (off).
	DatabaseURL string
	// ConnectTimeout bounds the initial connection of the fleet and each
	// reconnection. Default: 15m.
	ConnectTimeout time.Duration
	// ReportEvery is the progress interval. Default: 5s.
	ReportEvery time.Duration
	// Logger receives progress. Default: discard.
	Logger *slog.Logger
}

// Run connects the fleet, measures the server at rest, times the broadcasts
// and the storm, and writes a report to out.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 15 * time.Minute
	}
	if o.ReportEvery <= 0 {
		o.ReportEvery = 5 * time.Second
	}
	switch {
	case o.SeedHosts > 0:
		creds, err := Seed(ctx, o.DatabaseURL, o.SeedHosts)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "seeded %d hosts; credentials in %s\n", len(creds), o.CredentialsFile)
		return WriteCredentials(o.CredentialsFile, creds)
	case o.Unseed:
		n, err := Unseed(ctx, o.DatabaseURL)
		fmt.Fprintf(out, "deleted %d hosts\n", n)
		return err
	}
	if len(o.Agents) == 0 {
		creds, err := ReadCredentials(o.CredentialsFile)
		if err != nil {
			return err
		}
		if o.AgentLimit > 0 && o.AgentLimit < len(creds) {
			creds = creds[:o.AgentLimit]
		}
		o.Agents = creds
	}
	if len(o.Sources) == 0 && o.SourceCount > 0 {
		src, err := Sources(o.SourceCount)
		if err != nil {
			return err
		}
		o.Sources = src
	}
	if o.CommandURL == "" {
		o.CommandURL = o.ServerURL
	}
	if o.Broadcasts > 0 && o.User == "" {
		return errors.New("loadgen: broadcasts need a user to sign in as")
	}
	f, err := NewFleet(FleetConfig{ServerURL: o.ServerURL, Agents: o.Agents, Sources: o.Sources, Logger: o.Logger})
	if err != nil {
		return err
	}
	n := f.Size()
	fmt.Fprintf(out, "agents: %d over %d source addresses -> %s (commands via %s)\n", n, max(len(o.Sources), 1), o.ServerURL, o.CommandURL)
	o.sample(out, "server before")

	f.Start()
	defer f.Close()
	took, err := o.waitAll(ctx, f, out, "connect")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "connected: %d in %s (%.0f/s); %s\n", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), statsLine(f.Stats()))
	o.sample(out, "server connected")

	if o.ServerPID > 0 {
		a, err := SampleProcess(o.ServerPID)
		if err == nil {
			if err := sleep(ctx, o.Idle); err != nil {
				return err
			}
			b, err := SampleProcess(o.ServerPID)
			if err == nil {
				fmt.Fprintf(out, "idle: server CPU %.1f%% of one core over %s (pings every 30s per agent), RSS %s, %d threads\n",
					100*(b.CPU-a.CPU).Seconds()/b.At.Sub(a.At).Seconds(), o.Idle, mib(b.RSS), b.Threads)
			}
		}
	}

	if o.Broadcasts > 0 {
		token, err := Token(ctx, o.CommandURL, o.User, o.Password)
		if err != nil {
			return err
		}
		for i := range o.Broadcasts {
			if err := broadcast(ctx, f, o, token, 60+i, out); err != nil {
				return err
			}
		}
	}

	if o.Storm {
		xact0 := o.transactions(ctx)
		f.DropAll()
		stormStart := time.Now()
		prev := f.Stats()
		// Wait for the drops to register before waiting for the return.
		_ = sleep(ctx, 200*time.Millisecond)
		if _, err := o.waitAll(ctx, f, out, "storm"); err != nil {
			return err
		}
		st := f.Stats()
		fmt.Fprintf(out, "storm: all %d dropped at once, all back in %s (agents wait 1s first); auth errors %d, rate limited %d, other errors %d\n",
			n, time.Since(stormStart).Round(time.Millisecond), st.AuthErrors-prev.AuthErrors, st.RateLimited-prev.RateLimited, st.OtherErrors-prev.OtherErrors)
		if xact0 >= 0 {
			if xact1 := o.transactions(ctx); xact1 >= 0 {
				fmt.Fprintf(out, "storm: %d database transactions while reconnecting (all databases)\n", xact1-xact0)
			}
		}
		o.sample(out, "server after storm")
	}

	if o.Hold {
		return hold(ctx, f, o, out)
	}
	return nil
}

// broadcast times one fleet-wide settings_update.
func broadcast(ctx context.Context, f *Fleet, o Options, token string, interval int, out io.Writer) error {
	f.Expect(interval)
	start := time.Now()
	res, err := Broadcast(ctx, o.CommandURL, token, interval)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.Received()) < f.Size() && time.Now().Before(deadline) {
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
	got := f.Received()
	lat := make([]time.Duration, len(got))
	within2s := 0
	for i, t := range got {
		lat[i] = t.Sub(start)
		if lat[i] <= 2*time.Second {
			within2s++
		}
	}
	slices.Sort(lat)
	fmt.Fprintf(out, "broadcast %d: %d/%d agents got it (%d within 2s); p50 %s p95 %s p99 %s max %s; API answered in %s (delivered %d, offline %d, failed %d)\n",
		interval, len(got), f.Size(), within2s, pct(lat, 50), pct(lat, 95), pct(lat, 99), pct(lat, 100), res.Took.Round(time.Millisecond),
		res.Delivered, res.Offline, res.Failed)
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, (len(sorted)*p+99)/100-1)
	return sorted[max(i, 0)].Round(time.Millisecond)
}

// waitAll waits until every agent is connected, reporting progress.
func (o Options) waitAll(ctx context.Context, f *Fleet, out io.Writer, phase string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	start := time.Now()
	t := time.NewTicker(o.ReportEvery)
	defer t.Stop()
	done := make(chan error, 1)
	go func() {
		_, err := f.WaitConnected(ctx, f.Size())
		done <- err
	}()
	for {
		select {
		case err := <-done:
			return time.Since(start), err
		case <-t.C:
			fmt.Fprintf(out, "  %s %s: %s\n", phase, time.Since(start).Round(time.Second), statsLine(f.Stats()))
		}
	}
}

// hold reports the fleet until ctx ends, timing every recovery from a loss of
// connections (a server restart).
func hold(ctx context.Context, f *Fleet, o Options, out io.Writer) error {
	fmt.Fprintln(out, "holding; restart the server to time the reconnect storm (interrupt to stop)")
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var lostAt time.Time
	var at Stats
	report := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		st := f.Stats()
		switch {
		case lostAt.IsZero() && st.Connected < f.Size():
			lostAt, at = time.Now(), st
			fmt.Fprintf(out, "lost connections: %s\n", statsLine(st))
		case !lostAt.IsZero() && st.Connected == f.Size():
			fmt.Fprintf(out, "recovered: all %d reconnected %s after the first loss; auth errors %d, rate limited %d, other errors %d\n",
				f.Size(), time.Since(lostAt).Round(time.Millisecond), st.AuthErrors-at.AuthErrors, st.RateLimited-at.RateLimited, st.OtherErrors-at.OtherErrors)
			lostAt = time.Time{}
			o.sample(out, "server after recovery")
		}
		if time.Since(report) >= o.ReportEvery && !lostAt.IsZero() {
			report = time.Now()
			fmt.Fprintf(out, "  reconnecting %s: %s\n", time.Since(lostAt).Round(time.Second), statsLine(st))
		}
	}
}

func statsLine(s Stats) string {
	return fmt.Sprintf("connected %d, connects %d, auth errors %d, rate limited %d, other errors %d, drops %d",
		s.Connected, s.Connects, s.AuthErrors, s.RateLimited, s.OtherErrors, s.Drops)
}

// sample prints the server process's memory, when a PID was given.
func (o Options) sample(out io.Writer, label string) ProcSample {
	if o.ServerPID <= 0 {
		return ProcSample{}
	}
	s, err := SampleProcess(o.ServerPID)
	if err != nil {
		fmt.Fprintf(out, "%s: cannot sample pid %d: %v\n", label, o.ServerPID, err)
		return s
	}
	fmt.Fprintf(out, "%s: RSS %s, %d threads, CPU so far %s\n", label, mib(s.RSS), s.Threads, s.CPU.Round(10*time.Millisecond))
	return s
}

// transactions returns the cluster's committed and rolled back transactions
// so far, or -1 without a database URL.
func (o Options) transactions(ctx context.Context) int64 {
	if o.DatabaseURL == "" {
		return -1
	}
	conn, err := pgx.Connect(ctx, o.DatabaseURL)
	if err != nil {
		return -1
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT sum(xact_commit + xact_rollback)::bigint FROM pg_stat_database`).Scan(&n); err != nil {
		return -1
	}
	return n
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
