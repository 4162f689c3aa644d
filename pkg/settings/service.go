package settings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Limits of the agent report interval, in minutes (the settings table's CHECK agrees).
const (
	MinUpdateInterval = 5
	MaxUpdateInterval = 1440
)

// Config configures a Service.
type Config struct {
	// DB holds the settings and branding_assets tables. Required.
	DB *db.DB
	// DefaultProtocol, DefaultHost and DefaultPort are the server URL from the environment
	// (SERVER_PROTOCOL, SERVER_HOST, SERVER_PORT), in force until an administrator saves
	// one. Default: http, localhost, 3000.
	DefaultProtocol string
	DefaultHost     string
	DefaultPort     int
	// PushInterval delivers a changed agent report interval to the connected agents and
	// says how that went. Default: nothing is pushed (agents read it when they start).
	PushInterval func(ctx context.Context, minutes int) (Notified, error)
	// Audit records settings and branding changes. Default: nothing is recorded.
	Audit func(context.Context, users.AuditEntry)
	// MaxAssetBytes caps uploaded logos and favicons. Default: 512 KiB.
	MaxAssetBytes int
	// Logger receives unexpected errors. Default: discard.
	Logger *slog.Logger
}

// Notified is the outcome of pushing a new interval to the fleet.
type Notified struct {
	Delivered, Offline, Failed int
}

// Service reads and changes the server settings. It is safe for concurrent use.
type Service struct {
	cfg Config
	db  *db.DB
	log *slog.Logger
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("settings: Config.DB is required")
	}
	if cfg.DefaultProtocol == "" {
		cfg.DefaultProtocol = "http"
	}
	if cfg.DefaultProtocol != "http" && cfg.DefaultProtocol != "https" {
		return nil, fmt.Errorf("settings: Config.DefaultProtocol must be http or https, got %q", cfg.DefaultProtocol)
	}
	if cfg.DefaultHost == "" {
		cfg.DefaultHost = "localhost"
	}
	if cfg.DefaultPort == 0 {
		cfg.DefaultPort = 3000
	}
	if cfg.DefaultPort < 1 || cfg.DefaultPort > 65535 {
		return nil, fmt.Errorf("settings: Config.DefaultPort must be 1-65535, got %d", cfg.DefaultPort)
	}
	if cfg.Audit == nil {
		cfg.Audit = func(context.Context, users.AuditEntry) {}
	}
	if cfg.MaxAssetBytes <= 0 {
		cfg.MaxAssetBytes = 512 << 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: cfg.DB, log: cfg.Logger}, nil
}

// Settings are the server settings in force.
type Settings struct {
	// ServerProtocol, ServerHost and ServerPort make up ServerURL, the base URL install
	// and enrollment scripts point agents at.
	ServerProtocol string
	ServerHost     string
	ServerPort     int
	ServerURL      string
	// ServerURLFromSettings is false while the environment's URL applies.
	ServerURLFromSettings bool
	// UpdateInterval is the minutes between agent reports.
	UpdateInterval int
	// AutoUpdate lets agents update themselves (hosts may still opt out).
	AutoUpdate bool
	// IgnoreSSLSelfSigned makes scripts use curl -k and agents skip certificate checks.
	IgnoreSSLSelfSigned bool
	UpdatedAt           time.Time
}

// Get reads the settings.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	var (
		st    Settings
		proto *string
		host  *string
		port  *int
	)
	err := s.db.Pool.QueryRow(ctx, sqlGetSettings).Scan(&proto, &host, &port, &st.UpdateInterval, &st.AutoUpdate,
		&st.IgnoreSSLSelfSigned, &st.UpdatedAt)
	if err != nil {
		return Settings{}, err
	}
	st.ServerProtocol, st.ServerHost, st.ServerPort = s.cfg.DefaultProtocol, s.cfg.DefaultHost, s.cfg.DefaultPort
	if proto != nil && host != nil && port != nil {
		st.ServerProtocol, st.ServerHost, st.ServerPort = *proto, *host, *port
		st.ServerURLFromSettings = true
	}
	st.ServerURL = ServerURL(st.ServerProtocol, st.ServerHost, st.ServerPort)
	return st, nil
}

// Update is a change to the settings; nil fields stay as they are.
type Update struct {
	ServerProtocol      *string
	ServerHost          *string
	ServerPort          *int
	UpdateInterval      *int
	AutoUpdate          *bool
	IgnoreSSLSelfSigned *bool
}

// Result is what Update did.
type Result struct {
	Settings Settings
	// IntervalChanged says that the interval differs from before; Notified and PushErr
	// then say how pushing it to the agents went.
	IntervalChanged bool
	Notified        Notified
	PushErr         error
}

// Validate checks u without touching the database. Errors wrap ErrInvalid and name the
// field (as sent by the API, e.g. serverHost).
func (u Update) Validate() error {
	if u.ServerProtocol != nil && *u.ServerProtocol != "http" && *u.ServerProtocol != "https" {
		return invalid(CodeInvalidSetting, "serverProtocol", "Protocol must be http or https")
	}
	if u.ServerHost != nil {
		if err := validateHost(*u.ServerHost); err != nil {
			return err
		}
	}
	if u.ServerPort != nil && (*u.ServerPort < 1 || *u.ServerPort > 65535) {
		return invalid(CodeInvalidSetting, "serverPort", "Port must be between 1 and 65535")
	}
	if u.UpdateInterval != nil && (*u.UpdateInterval < MinUpdateInterval || *u.UpdateInterval > MaxUpdateInterval) {
		return invalid(CodeInvalidSetting, "updateInterval",
			fmt.Sprintf("Update interval must be between %d and %d minutes", MinUpdateInterval, MaxUpdateInterval))
	}
	return nil
}

// validateHost accepts a DNS name or an IP address, without scheme, port or path.
func validateHost(h string) error {
	bad := func(msg string) error { return invalid(CodeInvalidSetting, "serverHost", msg) }
	switch {
	case strings.TrimSpace(h) == "":
		return bad("Server host is required")
	case len(h) > 253:
		return bad("Server host is too long")
	case strings.Contains(h, "://"):
		return bad("Server host is a host name or IP address, without http:// or https:// (set the protocol separately)")
	case strings.ContainsAny(h, "/?#@ \t\r\n\"'\\$`"):
		return bad("Server host may not contain a path, spaces or quotes")
	}
	if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
		return nil
	}
	if strings.Contains(h, ":") {
		return bad("Server host may not contain a port (set the port separately)")
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return bad("Server host is not a valid host name")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return bad("Server host is not a valid host name")
			}
		}
	}
	return nil
}

// ServerURL composes a base URL, leaving out the protocol's default port and bracketing
// IPv6 addresses.
func ServerURL(protocol, host string, port int) string {
	host = strings.Trim(host, "[]")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u := url.URL{Scheme: protocol, Host: host}
	if !(protocol == "https" && port == 443) && !(protocol == "http" && port == 80) {
		u.Host = host + ":" + strconv.Itoa(port)
	}
	return u.String()
}

// Update applies u and, when the interval changed, pushes it to the connected agents.
// Saving the server URL fixes all three parts (the ones not given keep their current
// values), so it no longer follows the environment.
func (s *Service) Update(ctx context.Context, u Update) (Result, error) {
	if err := u.Validate(); err != nil {
		return Result{}, err
	}
	cur, err := s.Get(ctx)
	if err != nil {
		return Result{}, err
	}
	var proto, host, serverURL *string
	var port *int
	if u.ServerProtocol != nil || u.ServerHost != nil || u.ServerPort != nil {
		p, h, n := cur.ServerProtocol, cur.ServerHost, cur.ServerPort
		if u.ServerProtocol != nil {
			p = *u.ServerProtocol
		}
		if u.ServerHost != nil {
			h = strings.TrimSpace(*u.ServerHost)
		}
		if u.ServerPort != nil {
			n = *u.ServerPort
		}
		su := ServerURL(p, h, n)
		proto, host, port, serverURL = &p, &h, &n, &su
	}
	var oldInterval int
	if err := s.db.Pool.QueryRow(ctx, sqlUpdateSettings, proto, host, port, serverURL, u.UpdateInterval,
		u.AutoUpdate, u.IgnoreSSLSelfSigned).Scan(&oldInterval); err != nil {
		return Result{}, err
	}
	res := Result{}
	if res.Settings, err = s.Get(ctx); err != nil {
		return Result{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: EventSettingsUpdated, Success: true, TargetType: "settings",
		TargetID: "server", TargetName: "Server settings", Details: changes(cur, res.Settings)})
	if res.Settings.UpdateInterval != oldInterval {
		res.IntervalChanged = true
		if s.cfg.PushInterval != nil {
			res.Notified, res.PushErr = s.cfg.PushInterval(ctx, res.Settings.UpdateInterval)
			if res.PushErr != nil {
				s.log.WarnContext(ctx, "pushing the update interval to agents failed", "interval", res.Settings.UpdateInterval, "err", res.PushErr)
			}
		}
	}
	return res, nil
}

// Audit events of this package.
const (
	EventSettingsUpdated = "settings.server.updated"
	EventBrandingUpdated = "settings.branding.updated"
	EventBrandingRemoved = "settings.branding.removed"
)

// changes lists what differs between two settings, for the audit log.
func changes(a, b Settings) map[string]any {
	out := map[string]any{}
	if a.ServerURL != b.ServerURL || a.ServerURLFromSettings != b.ServerURLFromSettings {
		out["server_url"] = map[string]any{"from": a.ServerURL, "to": b.ServerURL}
	}
	if a.UpdateInterval != b.UpdateInterval {
		out["update_interval"] = map[string]any{"from": a.UpdateInterval, "to": b.UpdateInterval}
	}
	if a.AutoUpdate != b.AutoUpdate {
		out["auto_update"] = map[string]any{"from": a.AutoUpdate, "to": b.AutoUpdate}
	}
	if a.IgnoreSSLSelfSigned != b.IgnoreSSLSelfSigned {
		out["ignore_ssl_self_signed"] = map[string]any{"from": a.IgnoreSSLSelfSigned, "to": b.IgnoreSSLSelfSigned}
	}
	return out
}
