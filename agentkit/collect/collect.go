package collect

import (
	"context"
	"errors"
	"time"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// PackageCollector lists the installed packages, each with its pending update
// (if any) and whether that update fixes a security issue.
type PackageCollector interface {
	Packages(ctx context.Context) ([]agentproto.Package, error)
}

// RepositoryCollector lists the configured package repositories, disabled ones
// included (with IsEnabled false).
type RepositoryCollector interface {
	Repositories(ctx context.Context) ([]agentproto.Repository, error)
}

// PackageManager is one package manager: it knows the host's packages and
// repositories. Name is its short name as sent in a report's packageManager
// field ("apt", "dnf", "yum", "zypper", "apk", "pacman", "pkg").
type PackageManager interface {
	Name() string
	PackageCollector
	RepositoryCollector
}

// CacheRefresher is implemented by package managers whose update information
// comes from a local metadata cache that can be refreshed from the network
// (apt-get update, apk update, ...). The agent calls it before collecting
// packages according to the configured [RefreshMode].
type CacheRefresher interface {
	// CacheAge returns how long ago the cache was last refreshed; ok is
	// false when that cannot be told (the cache is then treated as stale).
	CacheAge(ctx context.Context) (age time.Duration, ok bool)
	// RefreshCache refreshes the cache. It may take minutes on a slow link.
	RefreshCache(ctx context.Context) error
}

// RefreshMode says when the agent refreshes the package manager's metadata
// cache before collecting. These are the values of the package_cache_refresh_mode
// setting.
type RefreshMode string

const (
	// RefreshAlways refreshes before every collection.
	RefreshAlways RefreshMode = "always"
	// RefreshIfStale refreshes when the cache is older than the configured
	// maximum age.
	RefreshIfStale RefreshMode = "if_stale"
	// RefreshNever never refreshes; something else (cron,
	// unattended-upgrades, an administrator) keeps the cache current.
	RefreshNever RefreshMode = "never"
)

// Valid reports whether m is one of the three modes.
func (m RefreshMode) Valid() bool {
	return m == RefreshAlways || m == RefreshIfStale || m == RefreshNever
}

// SystemCollector collects operating system facts.
type SystemCollector interface {
	System(ctx context.Context) (System, error)
}

// HardwareCollector collects hardware facts.
type HardwareCollector interface {
	Hardware(ctx context.Context) (Hardware, error)
}

// NetworkCollector collects the network configuration.
type NetworkCollector interface {
	Network(ctx context.Context) (Network, error)
}

// System holds operating system facts.
type System struct {
	OSType       string // os-release ID, e.g. "debian", "rocky", "alpine"
	OSVersion    string // os-release VERSION_ID, e.g. "12", "9.4", "3.20.1"
	Hostname     string
	Architecture string // machine hardware name, e.g. "x86_64", "aarch64"
	// MachineID is a stable identifier of the installation (never the boot
	// id, which changes every boot).
	MachineID string
	// KernelVersion is the running kernel's release, e.g. "6.1.0-26-amd64".
	KernelVersion string
	// InstalledKernelVersion is the newest installed kernel's release, or ""
	// when no installed kernel can be found (containers).
	InstalledKernelVersion string
	SELinuxStatus          string // "enabled" (enforcing), "permissive" or "disabled"
	Uptime                 time.Duration
	BootTime               time.Time // zero when unknown
	LoadAverage            []float64 // 1, 5 and 15 minutes
	NeedsReboot            bool
	// RebootReason says why a reboot is needed, e.g. "kernel 6.1.0-27-amd64
	// is installed but 6.1.0-26-amd64 is running".
	RebootReason string
}

// Hardware holds hardware facts.
type Hardware struct {
	CPUModel     string
	CPUCores     int
	RAMInstalled float64 // GiB
	SwapSize     float64 // GiB
	Disks        []agentproto.DiskDetail
}

// Network holds the network configuration.
type Network struct {
	// PrimaryIP is the address of the default route's interface (IPv4
	// preferred), or the first global address.
	PrimaryIP  string
	GatewayIP  string
	DNSServers []string
	Interfaces []agentproto.NetworkInterface
}

// ErrNotFound is returned by collectors when the tool or file they read does
// not exist on this host.
var ErrNotFound = errors.New("not found on this host")
