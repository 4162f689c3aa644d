package agentkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/apk"
	"github.com/patchmon-go/patchmon/agentkit/collect/apt"
	"github.com/patchmon-go/patchmon/agentkit/collect/dnf"
	"github.com/patchmon-go/patchmon/agentkit/collect/hardware"
	"github.com/patchmon-go/patchmon/agentkit/collect/network"
	"github.com/patchmon-go/patchmon/agentkit/collect/pacman"
	"github.com/patchmon-go/patchmon/agentkit/collect/pkgng"
	"github.com/patchmon-go/patchmon/agentkit/collect/system"
	"github.com/patchmon-go/patchmon/agentkit/collect/zypper"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// ErrNoPackageManager is returned when no supported package manager is found
// on the host and Config.PackageManager is nil.
var ErrNoPackageManager = errors.New("no supported package manager found (apt, dnf, yum, zypper, apk, pacman, pkg)")

// Agent is a PatchMon agent. Build it with New; it is safe for concurrent
// use, and several agents may run in one process.
type Agent struct {
	cfg    Config
	log    *slog.Logger
	client *client
	spool  *spool

	pm  collect.PackageManager
	sys collect.SystemCollector
	hw  collect.HardwareCollector
	net collect.NetworkCollector

	collectMu sync.Mutex     // one collection at a time
	bg        sync.WaitGroup // command handlers started from the WebSocket

	mu        sync.Mutex // guards the fields below
	settings  Settings
	facts     string    // fingerprint of the last delivered full report's facts
	loaded    bool      // state read from StateDir
	updatedAt time.Time // last self-update, when there is no StateDir
	persisted bool      // settings were handed to the SettingsStore since New

	reportNow  chan struct{}
	updateNow  chan struct{}
	reschedule chan struct{}
	flushNow   chan struct{}
}

// New builds an Agent from cfg. It has no side effects: it does not touch the
// network or the disk (the package manager is detected by looking for its
// binaries).
func New(cfg Config) (*Agent, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:        cfg,
		log:        cfg.Logger,
		client:     newClient(cfg),
		pm:         cfg.PackageManager,
		sys:        cfg.System,
		hw:         cfg.Hardware,
		net:        cfg.Network,
		reportNow:  make(chan struct{}, 1),
		updateNow:  make(chan struct{}, 1),
		reschedule: make(chan struct{}, 1),
		flushNow:   make(chan struct{}, 1),
	}
	a.spool = &spool{dir: cfg.SpoolDir, maxItems: cfg.SpoolMaxReports, maxBytes: cfg.SpoolMaxBytes}
	if a.pm == nil {
		a.pm = DetectPackageManager(cfg.Host)
	}
	if a.sys == nil {
		a.sys = system.New(cfg.Host)
	}
	if a.hw == nil {
		a.hw = hardware.New(cfg.Host)
	}
	if a.net == nil {
		a.net = network.New(cfg.Host, nil)
	}
	a.settings = Settings{
		UpdateInterval:      cfg.UpdateInterval,
		ReportOffset:        EffectiveOffset(cfg.APIID, cfg.UpdateInterval, cfg.ReportOffset),
		PackageCacheRefresh: cfg.PackageCacheRefresh,
		PackageCacheMaxAge:  cfg.PackageCacheMaxAge,
	}
	return a, nil
}

// DetectPackageManager returns the collector for the package manager host
// uses, or nil when none is supported. Detection looks for the managers'
// binaries in the standard directories, in the order apt, dnf/yum, zypper,
// apk, pacman, pkg.
func DetectPackageManager(host collect.Host) collect.PackageManager {
	switch {
	case apt.Detect(host):
		return apt.New(host)
	case zypper.Detect(host):
		// Before dnf: SUSE ships rpm, and some installs carry a dnf too.
		return zypper.New(host)
	}
	if tool, ok := dnf.Detect(host); ok {
		return dnf.New(host, tool)
	}
	switch {
	case apk.Detect(host):
		return apk.New(host, apk.Options{})
	case pacman.Detect(host):
		return pacman.New(host, pacman.Options{})
	case pkgng.Detect(host):
		return pkgng.New(host)
	}
	return nil
}

// PackageManagerName returns the name of the package manager in use, or ""
// when none was found.
func (a *Agent) PackageManagerName() string {
	if a.pm == nil {
		return ""
	}
	return a.pm.Name()
}

// Config returns the agent's configuration with defaults filled in.
func (a *Agent) Config() Config { return a.cfg }

// BuildReport collects a full report of the host without sending it: what
// `patchmon-agent report --json` prints. Strings are sanitised (valid UTF-8,
// no NUL) before the section hashes are computed, so the server can
// reproduce every hash.
func (a *Agent) BuildReport(ctx context.Context) (*agentproto.Report, error) {
	a.collectMu.Lock()
	defer a.collectMu.Unlock()
	return a.buildReport(ctx)
}

func (a *Agent) buildReport(ctx context.Context) (*agentproto.Report, error) {
	if a.pm == nil {
		return nil, ErrNoPackageManager
	}
	start := time.Now()
	a.refreshCache(ctx)

	var (
		wg       sync.WaitGroup
		sys      collect.System
		hw       collect.Hardware
		nw       collect.Network
		sysErr   error
		hwErr    error
		nwErr    error
		repos    []agentproto.Repository
		reposErr error
	)
	wg.Add(4)
	go func() { defer wg.Done(); sys, sysErr = a.sys.System(ctx) }()
	go func() { defer wg.Done(); hw, hwErr = a.hw.Hardware(ctx) }()
	go func() { defer wg.Done(); nw, nwErr = a.net.Network(ctx) }()
	go func() { defer wg.Done(); repos, reposErr = a.pm.Repositories(ctx) }()
	pkgs, pkgErr := a.pm.Packages(ctx)
	wg.Wait()
	// Sections the server would overwrite must be complete: a failed
	// collection fails the report instead of wiping the host's inventory.
	if pkgErr != nil {
		return nil, fmt.Errorf("collect packages: %w", pkgErr)
	}
	if reposErr != nil {
		return nil, fmt.Errorf("collect repositories: %w", reposErr)
	}
	if sysErr != nil {
		return nil, fmt.Errorf("collect system facts: %w", sysErr)
	}
	if hwErr != nil {
		a.log.WarnContext(ctx, "hardware facts incomplete", "error", hwErr)
	}
	if nwErr != nil {
		a.log.WarnContext(ctx, "network facts incomplete", "error", nwErr)
	}
	if repos == nil {
		repos = []agentproto.Repository{}
	}
	r := &agentproto.Report{
		Packages:               pkgs,
		Repositories:           repos,
		OSType:                 sys.OSType,
		OSVersion:              sys.OSVersion,
		Hostname:               sys.Hostname,
		IP:                     nw.PrimaryIP,
		Architecture:           sys.Architecture,
		AgentVersion:           a.cfg.AgentVersion,
		MachineID:              sys.MachineID,
		KernelVersion:          sys.KernelVersion,
		InstalledKernelVersion: sys.InstalledKernelVersion,
		SELinuxStatus:          sys.SELinuxStatus,
		SystemUptime:           formatUptime(sys.Uptime),
		LoadAverage:            sys.LoadAverage,
		CPUModel:               hw.CPUModel,
		CPUCores:               hw.CPUCores,
		RAMInstalled:           hw.RAMInstalled,
		SwapSize:               hw.SwapSize,
		DiskDetails:            hw.Disks,
		GatewayIP:              nw.GatewayIP,
		DNSServers:             nw.DNSServers,
		NetworkInterfaces:      nw.Interfaces,
		NeedsReboot:            sys.NeedsReboot,
		RebootReason:           sys.RebootReason,
		PackageManager:         a.pm.Name(),
	}
	if !sys.BootTime.IsZero() {
		bt := sys.BootTime.UTC()
		r.BootTime = &bt
	}
	if r.LoadAverage == nil {
		r.LoadAverage = []float64{}
	}
	if r.DiskDetails == nil {
		r.DiskDetails = []agentproto.DiskDetail{}
	}
	if r.DNSServers == nil {
		r.DNSServers = []string{}
	}
	if r.NetworkInterfaces == nil {
		r.NetworkInterfaces = []agentproto.NetworkInterface{}
	}
	r.Sanitize()
	r.Hashes = &agentproto.ReportHashes{
		PackagesHash:   agentproto.PackagesHash(r.Packages),
		ReposHash:      agentproto.ReposHash(r.Repositories),
		InterfacesHash: agentproto.InterfacesHash(r.NetworkInterfaces),
		HostnameHash:   agentproto.HostnameHash(r.Hostname),
	}
	elapsed := time.Since(start)
	ms := elapsed.Milliseconds()
	r.AgentExecutionMs = &ms
	r.ExecutionTime = elapsed.Seconds()
	a.log.DebugContext(ctx, "report collected", "packages", len(r.Packages), "repositories", len(r.Repositories),
		"duration", elapsed.Round(time.Millisecond))
	return r, nil
}

// refreshCache refreshes the package manager's metadata according to the
// cache-refresh setting. A failed refresh is logged: stale data is better
// than no report.
func (a *Agent) refreshCache(ctx context.Context) {
	cr, ok := a.pm.(collect.CacheRefresher)
	if !ok {
		return
	}
	s := a.Settings()
	switch s.PackageCacheRefresh {
	case collect.RefreshNever:
		return
	case collect.RefreshIfStale:
		if age, known := cr.CacheAge(ctx); known && age < s.PackageCacheMaxAge {
			return
		}
	}
	start := time.Now()
	if err := cr.RefreshCache(ctx); err != nil {
		a.log.WarnContext(ctx, "package cache refresh failed; using the cached data", "error", err)
		return
	}
	a.log.DebugContext(ctx, "package cache refreshed", "duration", time.Since(start).Round(time.Millisecond))
}

// formatUptime renders an uptime as the stock agent does.
func formatUptime(d time.Duration) string {
	days := int(d.Hours()) / 24
	hours := int(d.Hours()) % 24
	minutes := int(d.Minutes()) % 60
	switch {
	case days > 0:
		return fmt.Sprintf("%d days, %d hours, %d minutes", days, hours, minutes)
	case hours > 0:
		return fmt.Sprintf("%d hours, %d minutes", hours, minutes)
	}
	return fmt.Sprintf("%d minutes", minutes)
}

// pingRequest builds the hash-gated check-in for r.
func pingRequest(r *agentproto.Report) *agentproto.PingRequest {
	req := &agentproto.PingRequest{
		Hashes: agentproto.PingHashes{
			PackagesHash:   r.Hashes.PackagesHash,
			ReposHash:      r.Hashes.ReposHash,
			InterfacesHash: r.Hashes.InterfacesHash,
			HostnameHash:   r.Hashes.HostnameHash,
		},
		AgentVersion:     r.AgentVersion,
		AgentExecutionMs: r.AgentExecutionMs,
	}
	m := &req.Metrics
	cores, model, ram, swap, uptime, reboot, reason := r.CPUCores, r.CPUModel, r.RAMInstalled, r.SwapSize, r.SystemUptime, r.NeedsReboot, r.RebootReason
	if cores > 0 {
		m.CPUCores = &cores
	}
	if model != "" {
		m.CPUModel = &model
	}
	if ram > 0 {
		m.RAMInstalled = &ram
	}
	m.SwapSize = &swap
	m.DiskDetails = r.DiskDetails
	m.SystemUptime = &uptime
	m.BootTime = r.BootTime
	m.LoadAverage = r.LoadAverage
	m.NeedsReboot = &reboot
	m.RebootReason = &reason
	return req
}

// partialReport keeps only the named sections of r (plus the hashes and
// agent fields every report carries); the protocol has the server ignore
// everything else.
func partialReport(r *agentproto.Report, sections []string) *agentproto.Report {
	p := &agentproto.Report{
		Sections:         sections,
		Hashes:           r.Hashes,
		AgentVersion:     r.AgentVersion,
		AgentExecutionMs: r.AgentExecutionMs,
		ExecutionTime:    r.ExecutionTime,
		PackageManager:   r.PackageManager,
	}
	for _, s := range sections {
		switch s {
		case agentproto.SectionPackages:
			p.Packages = r.Packages
		case agentproto.SectionRepos:
			p.Repositories = r.Repositories
		case agentproto.SectionInterfaces:
			p.NetworkInterfaces = r.NetworkInterfaces
			p.GatewayIP = r.GatewayIP
			p.DNSServers = r.DNSServers
			p.IP = r.IP
		case agentproto.SectionHostname:
			p.Hostname = r.Hostname
		}
	}
	return p
}

// factsFingerprint covers the report fields no section hash covers (OS,
// kernel, hardware identity, addresses). When it changes — a distribution
// upgrade, a reboot into a new kernel — the agent sends a full report at
// once instead of waiting for the daily forced one.
func factsFingerprint(r *agentproto.Report) string {
	b, _ := json.Marshal([]any{
		r.OSType, r.OSVersion, r.Architecture, r.MachineID, r.KernelVersion, r.InstalledKernelVersion,
		r.SELinuxStatus, r.CPUModel, r.CPUCores, r.RAMInstalled, r.SwapSize, r.IP, r.GatewayIP, r.DNSServers,
		r.PackageManager, r.AgentVersion,
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// agentState is what StateDir keeps between runs.
type agentState struct {
	Facts string `json:"facts"`
}

func (a *Agent) stateFile() string {
	if a.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(a.cfg.StateDir, "agent-state.json")
}

func (a *Agent) lastFacts() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		a.loaded = true
		if p := a.stateFile(); p != "" {
			if b, err := os.ReadFile(p); err == nil {
				var st agentState
				if json.Unmarshal(b, &st) == nil {
					a.facts = st.Facts
				}
			}
		}
	}
	return a.facts
}

func (a *Agent) setFacts(f string) {
	a.mu.Lock()
	changed := a.facts != f
	a.facts = f
	a.loaded = true
	a.mu.Unlock()
	if p := a.stateFile(); p != "" && changed {
		b, _ := json.Marshal(agentState{Facts: f})
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
			if err := writeFileAtomic(p, b, 0o600); err != nil {
				a.log.Warn("could not save agent state", "error", err)
			}
		}
	}
}

// Ping tests connectivity and credentials with an empty-body heartbeat.
func (a *Agent) Ping(ctx context.Context) (*agentproto.PingResponse, error) {
	if !a.cfg.configured() {
		return nil, ErrNotConfigured
	}
	return a.client.ping(ctx, nil)
}

// CheckVersion asks the server which agent version is current for this
// platform.
func (a *Agent) CheckVersion(ctx context.Context) (*agentproto.AgentVersionResponse, error) {
	if !a.cfg.configured() {
		return nil, ErrNotConfigured
	}
	return a.client.agentVersion(ctx, runtime.GOARCH, runtime.GOOS, a.cfg.AgentVersion)
}
