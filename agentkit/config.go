package agentkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
)

// buildVersion may be set at link time:
// -X github.com/patchmon-go/patchmon/agentkit.buildVersion=1.2.3
var buildVersion = ""

// Version returns the agent version of this build: the link-time version,
// else the module version recorded in the binary, else "0.0.0-dev".
func Version() string {
	if buildVersion != "" {
		return strings.TrimPrefix(buildVersion, "v")
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "0.0.0-dev"
}

// Config configures an Agent. The zero value builds reports for this machine;
// talking to a server needs ServerURL, APIID and APIKey. Each field's comment
// ends with its default.
type Config struct {
	// Server

	// ServerURL is the PatchMon server, e.g. "https://patchmon.example.com"
	// (scheme and host, optionally a path prefix; no trailing /api).
	// Default: "" (BuildReport works; everything that talks to a server
	// returns ErrNotConfigured).
	ServerURL string
	// APIVersion is the API path segment. Default: "v1".
	APIVersion string
	// APIID and APIKey are the host's credentials (credentials.yml).
	// Default: "".
	APIID  string
	APIKey string
	// SkipTLSVerify accepts any server certificate (self-signed test
	// servers). Self-update is refused while it is set on an https server
	// (ErrInsecureUpdate): the binary's hash would come over the same
	// unverified connection. Default: false.
	SkipTLSVerify bool
	// HTTPClient performs every HTTP request. Default: a client with
	// connect, TLS and response-header timeouts and SkipTLSVerify applied.
	HTTPClient *http.Client
	// RequestTimeout bounds each HTTP request, body included. Default: 2m.
	RequestTimeout time.Duration

	// Schedule

	// UpdateInterval is the time between check-ins; the server's setting
	// replaces it at start and whenever it changes. Default: 60m.
	UpdateInterval time.Duration
	// ReportOffset is where in each interval this host checks in, so that a
	// fleet spreads its check-ins instead of all reporting at once. Values
	// outside (0, UpdateInterval) are replaced by an offset derived from
	// APIID. Default: derived.
	ReportOffset time.Duration
	// FullReportEvery forces a full report every so many check-ins even when
	// the server's hashes match. Default: 24.
	FullReportEvery int
	// PackageCacheRefresh says when to refresh the package manager's
	// metadata before collecting. Default: collect.RefreshIfStale.
	PackageCacheRefresh collect.RefreshMode
	// PackageCacheMaxAge is the age past which RefreshIfStale refreshes.
	// Default: 60m.
	PackageCacheMaxAge time.Duration

	// Collection

	// Host is the machine the default collectors describe. Default: this
	// machine (collect.Host{}).
	Host collect.Host
	// PackageManager collects packages and repositories. Default: detected
	// from the host (apt, dnf/yum, zypper, apk, pacman, FreeBSD pkg).
	PackageManager collect.PackageManager
	// System, Hardware and Network collect host facts. Default: the
	// collect/system, collect/hardware and collect/network collectors.
	System   collect.SystemCollector
	Hardware collect.HardwareCollector
	Network  collect.NetworkCollector

	// State

	// SpoolDir keeps reports that could not be delivered until the server
	// is back. Default: "" (kept in memory, lost on exit).
	SpoolDir string
	// SpoolMaxReports and SpoolMaxBytes bound the spool; the oldest
	// reports are dropped first. Default: 20 reports, 32 MiB.
	SpoolMaxReports int
	SpoolMaxBytes   int64
	// StateDir holds small state that must survive restarts: the facts
	// fingerprint of the last full report and the self-update timestamp
	// (.last_update_timestamp). Default: "" (in memory).
	StateDir string
	// Settings persists settings the server pushes (interval, offset,
	// cache refresh, integrations), e.g. into config.yml. Default: nil
	// (applied in memory only).
	Settings SettingsStore

	// Connection

	// DisableWebSocket turns off the command channel; the agent then only
	// checks in on its schedule. Default: false.
	DisableWebSocket bool
	// PingInterval is how often the WebSocket is pinged; a link silent for
	// three intervals is considered dead and replaced. Default: 30s.
	PingInterval time.Duration
	// ReconnectMin and ReconnectMax bound the WebSocket reconnection
	// backoff, which doubles from min to max with jitter. Default: 1s, 32s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// Self-update

	// BinaryPath is the agent executable that self-update replaces.
	// Default: "" (self-update disabled; UpdateAgent returns
	// ErrSelfUpdateDisabled).
	BinaryPath string
	// DisableAutoUpdate ignores the server's automatic update requests;
	// explicit update_agent commands and UpdateAgent still work.
	// Default: false.
	DisableAutoUpdate bool
	// Restart restarts the agent after a successful self-update, e.g.
	// RestartSystemd("patchmon-agent"). Default: nil (Run returns
	// ErrRestartRequired so that its caller can restart).
	Restart func(ctx context.Context) error

	// AgentVersion is reported to the server. Default: Version().
	AgentVersion string
	// Logger receives the agent's logs. Default: discard.
	Logger *slog.Logger
}

// Errors returned by New and the Agent.
var (
	// ErrNotConfigured: the operation needs ServerURL, APIID and APIKey.
	ErrNotConfigured = errors.New("agent is not configured: server URL and API credentials are required")
	// ErrInvalidConfig wraps every validation error of New.
	ErrInvalidConfig = errors.New("invalid agent configuration")
)

func fieldError(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
}

// withDefaults returns a copy of c with defaults filled in, validated.
func (c Config) withDefaults() (Config, error) {
	c.ServerURL = strings.TrimRight(strings.TrimSpace(c.ServerURL), "/")
	if c.ServerURL != "" {
		u, err := url.Parse(c.ServerURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fieldError("ServerURL", "%q is not an http:// or https:// URL", c.ServerURL)
		}
	}
	if c.APIVersion == "" {
		c.APIVersion = "v1"
	}
	if strings.ContainsAny(c.APIVersion, "/?# ") {
		return c, fieldError("APIVersion", "%q is not a path segment", c.APIVersion)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 2 * time.Minute
	}
	if c.UpdateInterval <= 0 {
		c.UpdateInterval = 60 * time.Minute
	}
	if c.FullReportEvery <= 0 {
		c.FullReportEvery = 24
	}
	if c.PackageCacheRefresh == "" {
		c.PackageCacheRefresh = collect.RefreshIfStale
	}
	if !c.PackageCacheRefresh.Valid() {
		return c, fieldError("PackageCacheRefresh", "%q is not always, if_stale or never", c.PackageCacheRefresh)
	}
	if c.PackageCacheMaxAge <= 0 {
		c.PackageCacheMaxAge = 60 * time.Minute
	}
	if c.SpoolMaxReports <= 0 {
		c.SpoolMaxReports = 20
	}
	if c.SpoolMaxBytes <= 0 {
		c.SpoolMaxBytes = 32 << 20
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.ReconnectMin <= 0 {
		c.ReconnectMin = time.Second
	}
	if c.ReconnectMax <= 0 {
		c.ReconnectMax = 32 * time.Second
	}
	if c.ReconnectMax < c.ReconnectMin {
		return c, fieldError("ReconnectMax", "%s is below ReconnectMin %s", c.ReconnectMax, c.ReconnectMin)
	}
	if c.AgentVersion == "" {
		c.AgentVersion = Version()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// configured reports whether the server and credentials are set.
func (c *Config) configured() bool {
	return c.ServerURL != "" && c.APIID != "" && c.APIKey != ""
}
