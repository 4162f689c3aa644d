package agentkit_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/agenttest"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// fakeHost collects canned, mutable facts, so agent tests are fast and
// independent of the machine they run on.
type fakeHost struct {
	mu       sync.Mutex
	pkgs     []agentproto.Package
	repos    []agentproto.Repository
	sys      collect.System
	hw       collect.Hardware
	nw       collect.Network
	pkgErr   error
	collects int
}

var (
	_ collect.PackageManager    = (*fakeHost)(nil)
	_ collect.SystemCollector   = (*fakeHost)(nil)
	_ collect.HardwareCollector = (*fakeHost)(nil)
	_ collect.NetworkCollector  = (*fakeHost)(nil)
)

func newFakeHost() *fakeHost {
	return &fakeHost{
		pkgs: []agentproto.Package{
			{Name: "bash", Description: "GNU Bourne Again SHell", Category: "shells", CurrentVersion: "5.2.15-2+b2"},
			{Name: "openssl", CurrentVersion: "3.0.11-1~deb12u2", AvailableVersion: "3.0.15-1~deb12u1", NeedsUpdate: true,
				IsSecurityUpdate: true, SourceRepository: "http://deb.debian.org/debian-security bookworm-security/main"},
		},
		repos: []agentproto.Repository{{Name: "deb.debian.org/debian bookworm", URL: "http://deb.debian.org/debian",
			Distribution: "bookworm", Components: "main", RepoType: "deb", IsEnabled: true}},
		sys: collect.System{OSType: "debian", OSVersion: "12", Hostname: "web-01", Architecture: "x86_64",
			MachineID: "0123456789abcdef0123456789abcdef", KernelVersion: "6.1.0-26-amd64", SELinuxStatus: "disabled",
			Uptime: 90 * time.Minute, BootTime: time.Date(2024, 6, 30, 10, 30, 0, 0, time.UTC), LoadAverage: []float64{0.1, 0.2, 0.3}},
		hw: collect.Hardware{CPUModel: "Test CPU", CPUCores: 4, RAMInstalled: 7.75, SwapSize: 1,
			Disks: []agentproto.DiskDetail{{Name: "/dev/vda1", MountPoint: "/", Size: "40.00GB (10.00GB used, 30.00GB free, 25.0% used)"}}},
		nw: collect.Network{PrimaryIP: "192.0.2.10", GatewayIP: "192.0.2.1", DNSServers: []string{"192.0.2.53"},
			Interfaces: []agentproto.NetworkInterface{{Name: "eth0", Type: "ethernet", MACAddress: "52:54:00:12:34:56", MTU: 1500,
				Status: "up", Addresses: []agentproto.InterfaceAddress{{Address: "192.0.2.10", Family: "inet", Netmask: "255.255.255.0", Gateway: "192.0.2.1"}}}}},
	}
}

func (f *fakeHost) Name() string { return "fake" }

func (f *fakeHost) Packages(context.Context) ([]agentproto.Package, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collects++
	return slices.Clone(f.pkgs), f.pkgErr
}

func (f *fakeHost) Repositories(context.Context) ([]agentproto.Repository, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.repos), nil
}

func (f *fakeHost) System(context.Context) (collect.System, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sys, nil
}

func (f *fakeHost) Hardware(context.Context) (collect.Hardware, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hw, nil
}

func (f *fakeHost) Network(context.Context) (collect.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nw, nil
}

func (f *fakeHost) setPackages(p []agentproto.Package) {
	f.mu.Lock()
	f.pkgs = p
	f.mu.Unlock()
}

func (f *fakeHost) update(fn func(f *fakeHost)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// bundle is what setup returns.
type bundle struct {
	srv   *agenttest.Server
	host  *fakeHost
	agent *agentkit.Agent
	cfg   agentkit.Config
}

// setup starts a fake server and builds an agent for it over fake
// collectors; mod adjusts the config before New.
func setup(t *testing.T, mod func(*agentkit.Config)) *bundle {
	t.Helper()
	srv := agenttest.NewServer(t)
	host := newFakeHost()
	cfg := agentkit.Config{
		ServerURL: srv.URL, APIID: srv.APIID, APIKey: srv.APIKey,
		PackageManager: host, System: host, Hardware: host, Network: host,
		StateDir: t.TempDir(), SpoolDir: t.TempDir(),
		AgentVersion: "1.0.0",
		Logger:       testLogger(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := agentkit.New(cfg)
	require.NoError(t, err)
	return &bundle{srv: srv, host: host, agent: a, cfg: cfg}
}

// runAgent runs the agent until the test ends and returns a channel with
// Run's result.
func runAgent(t *testing.T, a *agentkit.Agent) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		done <- a.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Error("agent did not stop within 10s of cancellation")
		}
	})
	return done
}
