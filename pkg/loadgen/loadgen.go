// Package loadgen simulates PatchMon agents against any server that speaks the agent
// protocol (spec/agent-protocol.md): N hosts with realistic package sets drawn from a
// shared pool, a configurable share of which changes per report, checking in and
// reporting from a fixed number of concurrent workers. It measures throughput and
// latency percentiles per request kind and counts errors. cmd/patchmon-loadgen is its
// command-line front end; docs/performance.md records what it measured.
//
// Modes:
//   - ping:    hash-gated check-ins carrying the host's current section hashes;
//   - full:    a full report per request (the share of changed packages changes first);
//   - partial: a partial report of the packages section per request;
//   - mixed:   what a hash-gating agent does each tick: packages change on a share of
//     the ticks, the host checks in, and sends a partial report of whatever sections
//     the server asks for.
//
// The API is experimental: it serves benchmarking, and may change with it.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Mode selects what simulated agents send.
type Mode string

// Modes.
const (
	ModePing    Mode = "ping"
	ModeFull    Mode = "full"
	ModePartial Mode = "partial"
	ModeMixed   Mode = "mixed"
)

// Credentials identify one simulated host.
type Credentials struct {
	APIID  string `json:"apiId"`
	APIKey string `json:"apiKey"`
}

// Config configures a run.
type Config struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:3000. Required.
	URL string
	// Hosts are the credentials of the simulated hosts (see CreateHosts). Required.
	Hosts []Credentials
	// Mode is what the agents send. Default: ModePing.
	Mode Mode
	// Concurrency is the number of requests in flight. Default: 64.
	Concurrency int
	// Duration bounds the measured run. Default: 30s (unless Requests is set).
	Duration time.Duration
	// Requests, when positive, ends the run after that many measured operations.
	Requests int
	// Packages is the number of packages per host. Default: 200.
	Packages int
	// PoolSize is the number of distinct package names hosts draw from. Default: 5000.
	PoolSize int
	// ChangeShare is the share of a host's packages that change version per report
	// (mixed mode: also the share of ticks on which the host's packages change).
	// Default: 0.05.
	ChangeShare float64
	// Prime sends every host one full report before measuring, so that pings find the
	// server in step (what a fleet in steady state looks like). Default: false.
	Prime bool
	// Seed makes package sets reproducible. Default: 1.
	Seed uint64
	// Client sends the requests. Default: a client with keep-alive connections sized for
	// Concurrency and a 60 s timeout.
	Client *http.Client
	// Progress, when set, is called about once a second with the operations so far.
	Progress func(done, errors int64)
}

// Stats are the measurements of one request kind.
type Stats struct {
	Requests   int64
	Errors     int64
	Throughput float64 // successful requests per second
	P50        time.Duration
	P95        time.Duration
	P99        time.Duration
	Max        time.Duration
}

// Result is the outcome of a run.
type Result struct {
	Mode    Mode
	Hosts   int
	Elapsed time.Duration
	// Operations counts the measured operations (a mixed-mode tick is one operation of
	// one or two requests).
	Operations int64
	// ByKind holds per-request statistics: "ping" and "report".
	ByKind map[string]*Stats
	// Errors maps an error description to how often it happened.
	Errors map[string]int64
}

// TotalErrors sums the errors of every kind.
func (r Result) TotalErrors() int64 {
	var n int64
	for _, s := range r.ByKind {
		n += s.Errors
	}
	return n
}

func (c *Config) defaults() error {
	if c.URL == "" {
		return errors.New("loadgen: Config.URL is required")
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if len(c.Hosts) == 0 {
		return errors.New("loadgen: Config.Hosts is empty")
	}
	switch c.Mode {
	case "":
		c.Mode = ModePing
	case ModePing, ModeFull, ModePartial, ModeMixed:
	default:
		return fmt.Errorf("loadgen: unknown mode %q (ping, full, partial, mixed)", c.Mode)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 64
	}
	if c.Duration <= 0 && c.Requests <= 0 {
		c.Duration = 30 * time.Second
	}
	if c.Packages <= 0 {
		c.Packages = 200
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 5000
	}
	if c.PoolSize < c.Packages {
		return fmt.Errorf("loadgen: PoolSize (%d) must be at least Packages (%d)", c.PoolSize, c.Packages)
	}
	if c.ChangeShare < 0 || c.ChangeShare > 1 {
		return errors.New("loadgen: ChangeShare must be between 0 and 1")
	}
	if c.ChangeShare == 0 {
		c.ChangeShare = 0.05
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Timeout: 60 * time.Second,
			Transport: &http.Transport{
				MaxIdleConns:        c.Concurrency * 2,
				MaxIdleConnsPerHost: c.Concurrency * 2,
				IdleConnTimeout:     90 * time.Second,
			},
		}
	}
	return nil
}

// pool is the shared package archive hosts draw from: each package has an older and a
// newer version; a host has one of them installed, and sees the newer one as an update
// while it runs the older one. Churn moves hosts between the two, as upgrading and
// reinstalling do, so the fleet's "latest version" of a package stays put the way it
// does between releases.
type pool struct {
	names  []string
	descs  []string
	older  []string
	newer  []string
	secure []bool
}

var words = []string{"lib", "python3", "perl", "gir1.2", "node", "golang", "ruby", "fonts", "x11", "gnome",
	"systemd", "openssl", "curl", "kernel", "firmware", "qt5", "gtk3", "mesa", "cups", "postgresql"}

func newPool(n int, rng *rand.Rand) *pool {
	p := &pool{names: make([]string, n), descs: make([]string, n), older: make([]string, n), newer: make([]string, n), secure: make([]bool, n)}
	for i := range p.names {
		w := words[rng.IntN(len(words))]
		p.names[i] = fmt.Sprintf("%s-%s-%05d", w, words[rng.IntN(len(words))], i)
		p.descs[i] = fmt.Sprintf("%s support files and utilities for %s, package %d of the simulated archive", w, p.names[i], i)
		p.older[i] = fmt.Sprintf("%d.%d.%d-1", 1+i%5, i%17, rng.IntN(4))
		p.newer[i] = p.older[i] + "+deb12u1"
		p.secure[i] = rng.IntN(3) == 0
	}
	return p
}

// host is one simulated agent's state.
type host struct {
	mu       sync.Mutex
	creds    Credentials
	pool     *pool
	idx      []int // pool index of each package
	pkgs     []agentproto.Package
	repos    []agentproto.Repository
	ifaces   []agentproto.NetworkInterface
	hostname string
	rng      *rand.Rand
	hashes   agentproto.PingHashes
	// dirty lists sections changed since the server last took them.
	dirty map[string]bool
}

func newHost(i int, c Credentials, p *pool, cfg *Config) *host {
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
	h := &host{creds: c, rng: rng, pool: p, hostname: fmt.Sprintf("sim-%05d.example.net", i), dirty: map[string]bool{}}
	idx := rng.Perm(len(p.names))[:cfg.Packages]
	slices.Sort(idx)
	h.pkgs = make([]agentproto.Package, len(idx))
	h.idx = idx
	for j, k := range idx {
		h.pkgs[j] = agentproto.Package{
			Name:             p.names[k],
			Description:      p.descs[k],
			Category:         "libs",
			SourceRepository: "http://deb.debian.org/debian bookworm/main",
		}
		h.setState(j, rng.IntN(10) == 0)
	}
	h.repos = []agentproto.Repository{
		{Name: "debian", URL: "http://deb.debian.org/debian", Distribution: "bookworm", Components: "main", RepoType: "deb", IsEnabled: true},
		{Name: "debian-security", URL: "http://deb.debian.org/debian-security", Distribution: "bookworm-security", Components: "main", RepoType: "deb", IsEnabled: true, IsSecure: true},
	}
	h.ifaces = []agentproto.NetworkInterface{{Name: "eth0", Type: "ethernet", MACAddress: fmt.Sprintf("02:00:00:%02x:%02x:%02x", i>>16&255, i>>8&255, i&255),
		MTU: 1500, Status: "up", Addresses: []agentproto.InterfaceAddress{{Address: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), Family: "inet", Netmask: "255.0.0.0"}}}}
	h.hashes = agentproto.PingHashes{
		PackagesHash:   agentproto.PackagesHash(h.pkgs),
		ReposHash:      agentproto.ReposHash(h.repos),
		InterfacesHash: agentproto.InterfacesHash(h.ifaces),
		HostnameHash:   agentproto.HostnameHash(h.hostname),
	}
	for _, s := range agentproto.ReportSections() {
		h.dirty[s] = true
	}
	return h
}

// setState puts package j at the pool's older version with the newer one pending, or at
// the newer version.
func (h *host) setState(j int, pending bool) {
	p, k := &h.pkgs[j], h.idx[j]
	if pending {
		p.CurrentVersion, p.AvailableVersion = h.pool.older[k], h.pool.newer[k]
		p.NeedsUpdate, p.IsSecurityUpdate = true, h.pool.secure[k]
		return
	}
	p.CurrentVersion, p.AvailableVersion, p.NeedsUpdate, p.IsSecurityUpdate = h.pool.newer[k], "", false, false
}

// churn changes the versions of share of the host's packages: pending updates get
// installed, installed packages go back to the older version with the update pending.
func (h *host) churn(share float64) {
	n := int(float64(len(h.pkgs))*share + 0.5)
	for _, j := range h.rng.Perm(len(h.pkgs))[:n] {
		h.setState(j, !h.pkgs[j].NeedsUpdate)
	}
	if n > 0 {
		h.hashes.PackagesHash = agentproto.PackagesHash(h.pkgs)
		h.dirty[agentproto.SectionPackages] = true
	}
}

func (h *host) report(sections []string) agentproto.Report {
	r := agentproto.Report{Hashes: &agentproto.ReportHashes{}}
	has := func(s string) bool { return len(sections) == 0 || slices.Contains(sections, s) }
	if len(sections) > 0 {
		r.Sections = sections
	} else {
		r.OSType, r.OSVersion, r.Architecture, r.AgentVersion = "Debian", "12", "x86_64", "1.4.0"
		r.MachineID = strings.ReplaceAll(h.hostname, ".", "")
		r.KernelVersion, r.SELinuxStatus, r.SystemUptime = "6.1.0-18-amd64", "disabled", "12 days"
		r.LoadAverage = []float64{0.2, 0.3, 0.25}
		r.CPUModel, r.CPUCores, r.RAMInstalled, r.SwapSize = "Intel Xeon", 4, 7.7, 1
		r.DiskDetails = []agentproto.DiskDetail{{Name: "/dev/sda1", Size: "50G", MountPoint: "/"}}
		r.IP, r.GatewayIP, r.DNSServers = h.ifaces[0].Addresses[0].Address, "10.0.0.1", []string{"10.0.0.53"}
		r.ExecutionTime, r.PackageManager = 1.2, "apt"
	}
	if has(agentproto.SectionPackages) {
		r.Packages = h.pkgs
		r.Hashes.PackagesHash = h.hashes.PackagesHash
	}
	if has(agentproto.SectionRepos) {
		r.Repositories = h.repos
		r.Hashes.ReposHash = h.hashes.ReposHash
	}
	if has(agentproto.SectionInterfaces) {
		r.NetworkInterfaces = h.ifaces
		r.Hashes.InterfacesHash = h.hashes.InterfacesHash
	}
	if has(agentproto.SectionHostname) {
		r.Hostname = h.hostname
		r.Hashes.HostnameHash = h.hashes.HostnameHash
	}
	return r
}

// runner carries a run's shared state.
type runner struct {
	cfg   *Config
	hosts []*host
	next  atomic.Uint64

	mu      sync.Mutex
	lat     map[string][]time.Duration
	errs    map[string]int64
	errKind map[string]int64
}

func (r *runner) record(kind string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errKind[kind]++
		msg := err.Error()
		if len(msg) > 160 {
			msg = msg[:160]
		}
		r.errs[msg]++
		return
	}
	r.lat[kind] = append(r.lat[kind], d)
}

// post sends body as h and decodes a 200 answer into out.
func (r *runner) post(ctx context.Context, h *host, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(agentproto.HeaderAPIID, h.creds.APIID)
	req.Header.Set(agentproto.HeaderAPIKey, h.creds.APIKey)
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 120 {
			msg = msg[:120]
		}
		return fmt.Errorf("%s: HTTP %d: %s", path, resp.StatusCode, msg)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (r *runner) timed(ctx context.Context, kind string, h *host, path string, body, out any) error {
	start := time.Now()
	err := r.post(ctx, h, path, body, out)
	if ctx.Err() != nil && err != nil {
		// The run ended mid-request: not the server's error.
		return err
	}
	r.record(kind, time.Since(start), err)
	return err
}

// op performs one operation for h.
func (r *runner) op(ctx context.Context, h *host) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch r.cfg.Mode {
	case ModePing:
		r.ping(ctx, h)
	case ModeFull:
		h.churn(r.cfg.ChangeShare)
		if r.timed(ctx, "report", h, "/api/v1/hosts/update", h.report(nil), nil) == nil {
			clear(h.dirty)
		}
	case ModePartial:
		h.churn(r.cfg.ChangeShare)
		if r.timed(ctx, "report", h, "/api/v1/hosts/update", h.report([]string{agentproto.SectionPackages}), nil) == nil {
			delete(h.dirty, agentproto.SectionPackages)
		}
	case ModeMixed:
		if h.rng.Float64() < r.cfg.ChangeShare {
			h.churn(r.cfg.ChangeShare)
		}
		stale := r.ping(ctx, h)
		if len(stale) > 0 {
			if r.timed(ctx, "report", h, "/api/v1/hosts/update", h.report(stale), nil) == nil {
				for _, s := range stale {
					delete(h.dirty, s)
				}
			}
		}
	}
}

// ping checks in and returns the report sections the server asked for.
func (r *runner) ping(ctx context.Context, h *host) []string {
	var resp agentproto.PingResponse
	load := []float64{h.rng.Float64(), h.rng.Float64(), h.rng.Float64()}
	req := agentproto.PingRequest{Hashes: h.hashes, AgentVersion: "1.4.0",
		Metrics: agentproto.PingMetrics{LoadAverage: load}}
	if r.timed(ctx, "ping", h, "/api/v1/hosts/ping", req, &resp) != nil {
		return nil
	}
	var stale []string
	for _, s := range resp.RequestFull {
		if agentproto.IsReportSection(s) {
			stale = append(stale, s)
		}
	}
	return stale
}

// Run simulates the agents and measures. It returns an error only for a bad Config or
// when priming fails; request failures are counted in the Result.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	seed := rand.New(rand.NewPCG(cfg.Seed, 0))
	p := newPool(cfg.PoolSize, seed)
	r := &runner{cfg: &cfg, lat: map[string][]time.Duration{}, errs: map[string]int64{}, errKind: map[string]int64{}}
	r.hosts = make([]*host, len(cfg.Hosts))
	for i, c := range cfg.Hosts {
		r.hosts[i] = newHost(i, c, p, &cfg)
	}
	if cfg.Prime {
		if err := r.prime(ctx); err != nil {
			return Result{}, err
		}
	}

	runCtx := ctx
	var cancel context.CancelFunc = func() {}
	if cfg.Duration > 0 {
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
	}
	defer cancel()
	var ops atomic.Int64
	stopProgress := make(chan struct{})
	var progressDone sync.WaitGroup
	if cfg.Progress != nil {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					r.mu.Lock()
					var e int64
					for _, n := range r.errKind {
						e += n
					}
					r.mu.Unlock()
					cfg.Progress(ops.Load(), e)
				case <-stopProgress:
					return
				}
			}
		}()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				n := ops.Add(1)
				if cfg.Requests > 0 && n > int64(cfg.Requests) {
					ops.Add(-1)
					return
				}
				h := r.hosts[(r.next.Add(1)-1)%uint64(len(r.hosts))]
				r.op(runCtx, h)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopProgress)
	progressDone.Wait()

	res := Result{Mode: cfg.Mode, Hosts: len(cfg.Hosts), Elapsed: elapsed, Operations: ops.Load(),
		ByKind: map[string]*Stats{}, Errors: r.errs}
	kinds := map[string]bool{}
	for k := range r.lat {
		kinds[k] = true
	}
	for k := range r.errKind {
		kinds[k] = true
	}
	for k := range kinds {
		lat := r.lat[k]
		slices.Sort(lat)
		st := &Stats{Requests: int64(len(lat)) + r.errKind[k], Errors: r.errKind[k],
			Throughput: float64(len(lat)) / elapsed.Seconds()}
		if len(lat) > 0 {
			st.P50, st.P95, st.P99, st.Max = quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99), lat[len(lat)-1]
		}
		res.ByKind[k] = st
	}
	return res, nil
}

// prime sends one full report per host, Concurrency at a time.
func (r *runner) prime(ctx context.Context) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  atomic.Int64
	)
	for w := 0; w < r.cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(r.hosts)) || ctx.Err() != nil {
					return
				}
				h := r.hosts[i]
				if err := r.post(ctx, h, "/api/v1/hosts/update", h.report(nil), nil); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("loadgen: priming host %s: %w", h.creds.APIID, err)
					}
					mu.Unlock()
					return
				}
				clear(h.dirty)
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// Format renders r as the table cmd/patchmon-loadgen prints.
func (r Result) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mode %s, %d hosts, %d operations in %s\n", r.Mode, r.Hosts, r.Operations, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "%-8s %10s %8s %10s %9s %9s %9s %9s\n", "kind", "requests", "errors", "req/s", "p50", "p95", "p99", "max")
	kinds := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
	for _, k := range kinds {
		s := r.ByKind[k]
		fmt.Fprintf(&b, "%-8s %10d %8d %10.1f %9s %9s %9s %9s\n", k, s.Requests, s.Errors, s.Throughput, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
	}
	if len(r.Errors) > 0 {
		b.WriteString("errors:\n")
		msgs := make([]string, 0, len(r.Errors))
		for m := range r.Errors {
			msgs = append(msgs, m)
		}
		sort.Slice(msgs, func(i, j int) bool { return r.Errors[msgs[i]] > r.Errors[msgs[j]] })
		for _, m := range msgs {
			fmt.Fprintf(&b, "  %6d  %s\n", r.Errors[m], m)
		}
	}
	return b.String()
}
