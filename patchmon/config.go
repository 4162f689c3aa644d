package patchmon

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/pkg/alerts"
	"github.com/patchmon-go/patchmon/pkg/jobs"
)

// Config is everything a PatchMon server needs. LoadConfig fills it from a .env file, the
// environment and flags using the variable named in each field's env tag; programs that
// embed the server may also build it by hand, ideally starting from DefaultConfig().
//
// New fills zero-valued numeric, string and duration fields with their defaults. Boolean
// fields are taken as given: DefaultConfig and LoadConfig set the documented defaults.
type Config struct {
	// Database

	// DatabaseURL is the PostgreSQL connection string. Empty means "embedded": the server
	// creates and supervises its own PostgreSQL cluster under DataDir. Default: "".
	DatabaseURL string `env:"DATABASE_URL" secret:"true"`
	// DataDir holds the embedded PostgreSQL cluster and generated secrets. Default: "./data".
	DataDir string `env:"PATCHMON_DATA_DIR" default:"./data"`
	// PGBinDir is where the embedded mode finds initdb and postgres. Default: "" (PATH, then
	// the newest /usr/lib/postgresql/*/bin).
	PGBinDir string `env:"PATCHMON_PG_BIN_DIR"`
	// DBConnMaxAttempts is how often the first database connection is tried. Default: 30.
	DBConnMaxAttempts int `env:"PM_DB_CONN_MAX_ATTEMPTS" default:"30" min:"1"`
	// DBConnWaitInterval is the pause between those attempts (seconds). Default: 2s.
	DBConnWaitInterval time.Duration `env:"PM_DB_CONN_WAIT_INTERVAL" unit:"s" default:"2"`
	// DBConnectionLimit is the maximum size of the connection pool. Default: 30.
	DBConnectionLimit int `env:"DB_CONNECTION_LIMIT" default:"30" min:"1"`
	// DBPoolTimeout is how long a request waits for a free pooled connection (seconds). Default: 20s.
	DBPoolTimeout time.Duration `env:"DB_POOL_TIMEOUT" unit:"s" default:"20"`
	// DBConnectTimeout bounds establishing one connection (seconds). Default: 10s.
	DBConnectTimeout time.Duration `env:"DB_CONNECT_TIMEOUT" unit:"s" default:"10"`
	// DBIdleTimeout closes connections idle this long (seconds). Default: 300s.
	DBIdleTimeout time.Duration `env:"DB_IDLE_TIMEOUT" unit:"s" default:"300"`
	// DBMaxLifetime recycles connections older than this (seconds). Default: 1800s.
	DBMaxLifetime time.Duration `env:"DB_MAX_LIFETIME" unit:"s" default:"1800"`
	// DBTransactionMaxWait bounds waiting to begin a transaction (ms). Default: 10000ms.
	DBTransactionMaxWait time.Duration `env:"DB_TRANSACTION_MAX_WAIT" unit:"ms" default:"10000"`
	// DBTransactionTimeout bounds a standard transaction (ms). Default: 30000ms.
	DBTransactionTimeout time.Duration `env:"DB_TRANSACTION_TIMEOUT" unit:"ms" default:"30000"`
	// DBTransactionLongTimeout bounds bulk transactions (ms). Default: 60000ms.
	DBTransactionLongTimeout time.Duration `env:"DB_TRANSACTION_LONG_TIMEOUT" unit:"ms" default:"60000"`

	// HTTP server

	// Host is the address to listen on. Default: "" (all interfaces).
	Host string `env:"HOST"`
	// Port is the TCP port for the dashboard, API and agent endpoints. Default: 3000.
	Port int `env:"PORT" default:"3000" min:"1" max:"65535"`
	// ListenAddr, when set, overrides Host and Port with a host:port address; ":0" or
	// "127.0.0.1:0" picks a free port (see Server.Addr). Default: "".
	ListenAddr string
	// DisableListener makes Start skip opening a listener, for programs that mount Handler()
	// in their own HTTP server. Default: false.
	DisableListener bool
	// NodeEnv is "production" or "development"; production requires HTTPS for OIDC.
	// Default: "production".
	NodeEnv string `env:"NODE_ENV" default:"production" enum:"production,development,test"`
	// ServerProtocol is the scheme agents and browsers use to reach the server. Default: "http".
	ServerProtocol string `env:"SERVER_PROTOCOL" default:"http" enum:"http,https"`
	// ServerHost is the public host name used in agent install commands. Default: "localhost".
	ServerHost string `env:"SERVER_HOST" default:"localhost"`
	// ServerPort is the public port used in agent install commands. Default: 3000.
	ServerPort int `env:"SERVER_PORT" default:"3000" min:"1" max:"65535"`
	// CORSOrigin is the single allowed browser origin. Default: "http://localhost:3000".
	CORSOrigin string `env:"CORS_ORIGIN" default:"http://localhost:3000"`
	// CORSOrigins, when set, replaces CORSOrigin with several origins (comma-separated).
	// Default: none.
	CORSOrigins []string `env:"CORS_ORIGINS"`
	// EnableHSTS sends Strict-Transport-Security on HTTPS requests. Default: true.
	EnableHSTS bool `env:"ENABLE_HSTS" default:"true"`
	// TrustProxy says which X-Forwarded-* headers to believe: "true" (any), "false" (none),
	// a hop count, or a comma-separated list of proxy IPs/CIDRs. Default: "true".
	TrustProxy string `env:"TRUST_PROXY" default:"true"`
	// JSONBodyLimit caps ordinary request bodies ("5mb", "512kb", bytes). Default: 5mb.
	JSONBodyLimit ByteSize `env:"JSON_BODY_LIMIT" default:"5mb"`
	// AgentUpdateBodyLimit caps agent report bodies. Default: 2mb.
	AgentUpdateBodyLimit ByteSize `env:"AGENT_UPDATE_BODY_LIMIT" default:"2mb"`
	// ShutdownTimeout bounds a graceful shutdown in Run. Default: 30s.
	ShutdownTimeout time.Duration `env:"PATCHMON_SHUTDOWN_TIMEOUT" default:"30s"`

	// Rate limits (per client IP and category)

	// RateLimitWindow is the general API window (ms). Default: 900000ms.
	RateLimitWindow time.Duration `env:"RATE_LIMIT_WINDOW_MS" unit:"ms" default:"900000"`
	// RateLimitMax is the general API budget per window. Default: 5000.
	RateLimitMax int `env:"RATE_LIMIT_MAX" default:"5000" min:"1"`
	// AuthRateLimitWindow is the authentication endpoints' window (ms). Default: 600000ms.
	AuthRateLimitWindow time.Duration `env:"AUTH_RATE_LIMIT_WINDOW_MS" unit:"ms" default:"600000"`
	// AuthRateLimitMax is the authentication budget per window. Default: 500.
	AuthRateLimitMax int `env:"AUTH_RATE_LIMIT_MAX" default:"500" min:"1"`
	// AgentRateLimitWindow is the agent endpoints' window (ms). Default: 60000ms.
	AgentRateLimitWindow time.Duration `env:"AGENT_RATE_LIMIT_WINDOW_MS" unit:"ms" default:"60000"`
	// AgentRateLimitMax is the agent budget per window. Default: 1000.
	AgentRateLimitMax int `env:"AGENT_RATE_LIMIT_MAX" default:"1000" min:"1"`

	// Redis (optional: without REDIS_URL or REDIS_HOST an in-process store serves one node)

	// RedisURL is a redis:// or rediss:// URL; it wins over the REDIS_HOST group. Default: "".
	RedisURL string `env:"REDIS_URL" secret:"true"`
	// RedisHost enables Redis when set. Default: "" (in-process).
	RedisHost string `env:"REDIS_HOST"`
	// RedisPort is the Redis port. Default: 6379.
	RedisPort int `env:"REDIS_PORT" default:"6379" min:"1" max:"65535"`
	// RedisUser is the Redis ACL user. Default: "".
	RedisUser string `env:"REDIS_USER"`
	// RedisPassword is the Redis password. Default: "".
	RedisPassword string `env:"REDIS_PASSWORD" secret:"true"`
	// RedisDB is the Redis database number. Default: 0.
	RedisDB int `env:"REDIS_DB" min:"0" max:"15"`
	// RedisKeyPrefix namespaces every key, so servers can share one Redis. Default: "patchmon:".
	RedisKeyPrefix string `env:"REDIS_KEY_PREFIX" default:"patchmon:"`

	// Logging

	// LogLevel is debug, info, warn or error. Default: "info".
	LogLevel string `env:"LOG_LEVEL" default:"info" enum:"debug,info,warn,error"`
	// EnableLogging turns the server log off entirely when false. Default: true.
	EnableLogging bool `env:"ENABLE_LOGGING" default:"true"`
	// LogFormat is text or json. Default: "text".
	LogFormat string `env:"LOG_FORMAT" default:"text" enum:"text,json"`
	// TZ is the time zone for log timestamps and schedules; data is stored in UTC.
	// Default: "UTC".
	TZ string `env:"TZ" default:"UTC"`

	// Authentication and sessions

	// JWTSecret signs access tokens. In embedded mode an unset secret is generated once and
	// kept in DataDir; with DATABASE_URL it is required. Default: "".
	JWTSecret string `env:"JWT_SECRET" secret:"true"`
	// JWTExpiresIn is the access-token lifetime ("30s", "15m", "2h", "7d"). Default: 1h.
	JWTExpiresIn time.Duration `env:"JWT_EXPIRES_IN" default:"1h"`
	// JWTRefreshExpiresIn is the refresh-token lifetime. Default: 7d.
	JWTRefreshExpiresIn time.Duration `env:"JWT_REFRESH_EXPIRES_IN" default:"7d"`
	// SessionInactivityTimeout logs a session out after this much inactivity (minutes).
	// Default: 30min.
	SessionInactivityTimeout time.Duration `env:"SESSION_INACTIVITY_TIMEOUT_MINUTES" unit:"min" default:"30"`
	// PasswordMinLength is the shortest accepted password. Default: 8.
	PasswordMinLength int `env:"PASSWORD_MIN_LENGTH" default:"8" min:"1" max:"256"`
	// PasswordRequireUppercase demands an upper-case letter. Default: true.
	PasswordRequireUppercase bool `env:"PASSWORD_REQUIRE_UPPERCASE" default:"true"`
	// PasswordRequireLowercase demands a lower-case letter. Default: true.
	PasswordRequireLowercase bool `env:"PASSWORD_REQUIRE_LOWERCASE" default:"true"`
	// PasswordRequireNumber demands a digit. Default: true.
	PasswordRequireNumber bool `env:"PASSWORD_REQUIRE_NUMBER" default:"true"`
	// PasswordRequireSpecial demands a character that is neither letter nor digit. Default: true.
	PasswordRequireSpecial bool `env:"PASSWORD_REQUIRE_SPECIAL" default:"true"`
	// PasswordRateLimitWindow is the password-change window (ms). Default: 900000ms.
	PasswordRateLimitWindow time.Duration `env:"PASSWORD_RATE_LIMIT_WINDOW_MS" unit:"ms" default:"900000"`
	// PasswordRateLimitMax is the password changes allowed per window. Default: 5.
	PasswordRateLimitMax int `env:"PASSWORD_RATE_LIMIT_MAX" default:"5" min:"1"`
	// MaxLoginAttempts is the failed logins before an account locks. Default: 5.
	MaxLoginAttempts int `env:"MAX_LOGIN_ATTEMPTS" default:"5" min:"1"`
	// LockoutDuration is how long a locked account stays locked (minutes). Default: 15min.
	LockoutDuration time.Duration `env:"LOCKOUT_DURATION_MINUTES" unit:"min" default:"15"`
	// MaxTFAAttempts is the failed 2FA codes before a 2FA lockout. Default: 5.
	MaxTFAAttempts int `env:"MAX_TFA_ATTEMPTS" default:"5" min:"1"`
	// TFALockoutDuration is the 2FA lockout (minutes). Default: 30min.
	TFALockoutDuration time.Duration `env:"TFA_LOCKOUT_DURATION_MINUTES" unit:"min" default:"30"`
	// TFARememberMeExpiresIn is how long a trusted device skips 2FA. Default: 30d.
	TFARememberMeExpiresIn time.Duration `env:"TFA_REMEMBER_ME_EXPIRES_IN" default:"30d"`
	// TFAMaxRememberSessions caps trusted devices per user. Default: 5.
	TFAMaxRememberSessions int `env:"TFA_MAX_REMEMBER_SESSIONS" default:"5" min:"1"`
	// TFASuspiciousActivityThreshold is the failed codes that get audited as suspicious.
	// Default: 3.
	TFASuspiciousActivityThreshold int `env:"TFA_SUSPICIOUS_ACTIVITY_THRESHOLD" default:"3" min:"1"`
	// DefaultUserRole is the role of newly created users. Default: "user".
	DefaultUserRole string `env:"DEFAULT_USER_ROLE" default:"user"`

	// OIDC single sign-on

	// OIDCEnabled turns SSO on. Default: false.
	OIDCEnabled bool `env:"OIDC_ENABLED"`
	// OIDCIssuerURL is the identity provider's issuer. Default: "".
	OIDCIssuerURL string `env:"OIDC_ISSUER_URL"`
	// OIDCClientID is the OAuth client ID. Default: "".
	OIDCClientID string `env:"OIDC_CLIENT_ID"`
	// OIDCClientSecret is the OAuth client secret. Default: "".
	OIDCClientSecret string `env:"OIDC_CLIENT_SECRET" secret:"true"`
	// OIDCRedirectURI is the callback URL registered at the provider. Default: "".
	OIDCRedirectURI string `env:"OIDC_REDIRECT_URI"`
	// OIDCScopes are the requested scopes (space- or comma-separated).
	// Default: "openid email profile groups".
	OIDCScopes string `env:"OIDC_SCOPES" default:"openid email profile groups"`
	// OIDCAutoCreateUsers creates accounts for new SSO users. Default: true.
	OIDCAutoCreateUsers bool `env:"OIDC_AUTO_CREATE_USERS" default:"true"`
	// OIDCDefaultRole is the role of auto-created SSO users. Default: "user".
	OIDCDefaultRole string `env:"OIDC_DEFAULT_ROLE" default:"user"`
	// OIDCDisableLocalAuth hides password login once OIDC is initialised. Default: false.
	OIDCDisableLocalAuth bool `env:"OIDC_DISABLE_LOCAL_AUTH"`
	// OIDCButtonText is the SSO button's label. Default: "Login with SSO".
	OIDCButtonText string `env:"OIDC_BUTTON_TEXT" default:"Login with SSO"`
	// OIDCAdminGroup maps to the admin role. Default: "".
	OIDCAdminGroup string `env:"OIDC_ADMIN_GROUP"`
	// OIDCSuperAdminGroup (together with OIDCAdminGroup) maps to superadmin. Default: "".
	OIDCSuperAdminGroup string `env:"OIDC_SUPERADMIN_GROUP"`
	// OIDCHostManagerGroup maps to host_manager. Default: "".
	OIDCHostManagerGroup string `env:"OIDC_HOST_MANAGER_GROUP"`
	// OIDCReadonlyGroup maps to readonly. Default: "".
	OIDCReadonlyGroup string `env:"OIDC_READONLY_GROUP"`
	// OIDCUserGroup maps to user. Default: "".
	OIDCUserGroup string `env:"OIDC_USER_GROUP"`
	// OIDCSyncRoles updates the role from groups at every login. Default: true.
	OIDCSyncRoles bool `env:"OIDC_SYNC_ROLES" default:"true"`

	// Encryption

	// AIEncryptionKey encrypts secrets at rest, such as TOTP secrets and notification
	// destination secrets (64 hex characters, or any string that is SHA-256 hashed). In
	// embedded mode an unset key is generated once and kept in DataDir. Without it the key
	// comes from SessionSecret, else DATABASE_URL (a warning is logged). Default: "".
	AIEncryptionKey string `env:"AI_ENCRYPTION_KEY" secret:"true"`
	// SessionSecret is the fallback source of the encryption key. Default: "".
	SessionSecret string `env:"SESSION_SECRET" secret:"true"`

	// Background jobs and alerts

	// JobWorkers is how many background jobs one server runs at once. Default: 2.
	JobWorkers int `env:"PATCHMON_JOB_WORKERS" default:"2" min:"1" max:"100"`
	// HostStatusInterval is how often the host status monitor looks for hosts that went down
	// and keeps alerts in step with the fleet (seconds). Default: 60s.
	HostStatusInterval time.Duration `env:"HOST_STATUS_CHECK_INTERVAL" unit:"s" default:"60"`
	// VersionCheckServerRecord is the DNS TXT record holding the latest server version.
	// Default: "server.vcheck.patchmon.net".
	VersionCheckServerRecord string `env:"VERSION_CHECK_SERVER_RECORD" default:"server.vcheck.patchmon.net"`
	// VersionCheckAgentRecord is the DNS TXT record holding the latest agent version.
	// Default: "agent.vcheck.patchmon.net".
	VersionCheckAgentRecord string `env:"VERSION_CHECK_AGENT_RECORD" default:"agent.vcheck.patchmon.net"`
	// MetricsURL receives the anonymous usage report (instance id, host count, version) once
	// a day, only after an administrator turned reporting on in Settings. Default: "".
	MetricsURL string `env:"METRICS_URL"`

	// Not loaded from the environment

	// Logger receives the server's logs. Default: built from LogLevel, LogFormat and
	// EnableLogging, writing to stderr.
	Logger *slog.Logger
	// Version is reported by /health and to agents. Default: the module's build version.
	Version string
	// PasswordHashCost is the bcrypt cost of password hashes (4-31). Tests lower it: under
	// the race detector one hash at cost 10 takes seconds. Default: 10.
	PasswordHashCost int
	// Jobs are background jobs of the embedding program, run next to the built-in ones with
	// the same scheduling, retries and history (see jobs.Periodic). Default: none.
	Jobs []jobs.Job
	// FleetSnapshot records one fleet statistics snapshot; the fleet-stats-snapshot job calls
	// it every 30 minutes. Default: the inventory's SnapshotFleetStats.
	FleetSnapshot func(ctx context.Context) error
	// DNSResolver answers the version check's TXT lookups. Default: the system resolver.
	DNSResolver jobs.Resolver
	// OnAlert is called for every alert created, escalated or resolved (see alerts.EventHook).
	// Default: nil.
	OnAlert alerts.EventHook
}

// ByteSize is a size in bytes that parses "5mb", "512kb", "1gb" or plain numbers.
type ByteSize int64

// String formats the size the way it is written in configuration.
func (b ByteSize) String() string {
	switch {
	case b > 0 && b%(1<<30) == 0:
		return fmt.Sprintf("%dgb", b>>30)
	case b > 0 && b%(1<<20) == 0:
		return fmt.Sprintf("%dmb", b>>20)
	case b > 0 && b%(1<<10) == 0:
		return fmt.Sprintf("%dkb", b>>10)
	}
	return fmt.Sprintf("%d", int64(b))
}

// DefaultConfig returns a Config with every documented default applied.
func DefaultConfig() Config {
	var c Config
	if err := applyDefaults(&c, true); err != nil {
		// The defaults are compile-time constants checked by TestDefaultConfig.
		panic(err)
	}
	return c
}

// embedded reports whether the server runs its own PostgreSQL.
func (c *Config) embedded() bool { return c.DatabaseURL == "" }

// redisEnabled reports whether Redis replaces the in-process store.
func (c *Config) redisEnabled() bool { return c.RedisURL != "" || c.RedisHost != "" }

// publicURL is the base URL agents use (SERVER_PROTOCOL, SERVER_HOST, SERVER_PORT), with
// the port left out when it is the protocol's default.
func (c *Config) publicURL() string {
	host := c.ServerHost
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	if (c.ServerProtocol == "https" && c.ServerPort == 443) || (c.ServerProtocol == "http" && c.ServerPort == 80) {
		return c.ServerProtocol + "://" + host
	}
	return c.ServerProtocol + "://" + host + ":" + strconv.Itoa(c.ServerPort)
}

// corsOrigins is the effective CORS allow-list.
func (c *Config) corsOrigins() []string {
	if len(c.CORSOrigins) > 0 {
		return c.CORSOrigins
	}
	if c.CORSOrigin == "" {
		return nil
	}
	return []string{c.CORSOrigin}
}
