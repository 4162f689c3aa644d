package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/inventory/agents"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Config configures a Service.
type Config struct {
	// DB is the database holding the inventory tables (migration 0003). Required.
	DB *db.DB
	// CheckinPool, when set, runs agent check-ins (hosts/ping): a small pool whose
	// sessions have synchronous_commit off, so a check-in is one statement that does not
	// wait for the WAL flush; the check-in history rows of pings that request a report
	// are written through it too. Losing the last moment of check-in times in a database
	// crash is harmless; everything else stays durable on DB. Without it a check-in runs
	// as a short transaction on DB with SET LOCAL synchronous_commit = off. Default: nil.
	CheckinPool *pgxpool.Pool
	// Cache holds verified agent credentials for CredentialCacheTTL, so bcrypt runs once
	// per credential rather than once per request. Required.
	Cache kv.Cache
	// Tokens holds the one-time bootstrap tokens of served install scripts. Required.
	Tokens kv.Tokens
	// Secret keys the credential cache: entries are stored under
	// HMAC-SHA256(Secret, api_id, api_key), so the cache never holds a usable key.
	// At least 16 bytes. Required.
	Secret []byte
	// PublicURL is the base URL agents reach the server at, written into install scripts
	// and install commands, e.g. "https://patchmon.example.com". Default:
	// "http://localhost:3000".
	PublicURL string
	// AgentBinaries holds the agent builds served to agents, named
	// patchmon-agent-<os>-<arch>. Default: the binaries embedded at build time (see
	// package agents; `make` fills it).
	AgentBinaries fs.FS
	// Logger receives warnings about degraded dependencies. Default: discard.
	Logger *slog.Logger
	// CredentialCacheTTL bounds how long a verified credential is trusted without
	// bcrypt. Regeneration and deletion take effect at once regardless (the cached value
	// carries the credential generation, which every agent request checks against the
	// host row), so it can be long: a long TTL is what keeps a reconnect storm after a
	// server restart cheap when the cache lives in Redis. Default: 12h.
	CredentialCacheTTL time.Duration
	// BootstrapTokenTTL is how long an install script's bootstrap token stays valid.
	// Default: 300s.
	BootstrapTokenTTL time.Duration
	// RetryWindow is how long a byte-identical report is treated as the agent's retry of
	// the previous one and answered without writing. Default: 10m.
	RetryWindow time.Duration
	// APIKeyCost is the bcrypt work factor of new API keys. Verification uses whatever
	// cost a stored hash has, so changing it affects only keys created afterwards.
	// Tests may lower it to bcrypt.MinCost. Default: 10.
	APIKeyCost int
	// MaxConcurrentReports bounds how many reports are decoded and ingested at once;
	// further ones wait their turn. Ingest is CPU- and database-bound, so more in flight
	// only adds memory (each holds its decoded report) and lock contention. Default:
	// 2 × GOMAXPROCS, at least 4.
	MaxConcurrentReports int
	// Audit records changes users make through the fleet views (host groups,
	// repositories) in the audit log. Default: nothing is recorded.
	Audit func(context.Context, users.AuditEntry)
	// CopyThreshold is the number of new host_packages rows from which ingest switches
	// from a multi-row INSERT to COPY. Default: 256.
	CopyThreshold int
	// CatalogueCacheSize bounds the in-process cache of package names already resolved
	// to their catalogue rows, which spares every report the lookup of names the server
	// has seen before. Zero means 100,000 names (a few megabytes); negative turns the
	// cache off.
	CatalogueCacheSize int
}

// Service is the inventory: it authenticates agents, ingests their reports and check-ins
// and manages hosts. It is safe for concurrent use.
type Service struct {
	cfg    Config
	db     *db.DB
	log    *slog.Logger
	bins   *binaryCatalog
	flight singleflight.Group
	macKey []byte
	// reportSlots holds a token per report being decoded and ingested.
	reportSlots chan struct{}
	// catalogue caches resolved package names; nil when turned off.
	catalogue *catalogueCache
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("inventory: Config.DB is required")
	case cfg.Cache == nil:
		return nil, errors.New("inventory: Config.Cache is required")
	case cfg.Tokens == nil:
		return nil, errors.New("inventory: Config.Tokens is required")
	case len(cfg.Secret) < 16:
		return nil, errors.New("inventory: Config.Secret must be at least 16 bytes")
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:3000"
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("inventory: Config.PublicURL must be an absolute http(s) URL")
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.AgentBinaries == nil {
		cfg.AgentBinaries = agents.FS()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CredentialCacheTTL <= 0 {
		cfg.CredentialCacheTTL = 12 * time.Hour
	}
	if cfg.BootstrapTokenTTL <= 0 {
		cfg.BootstrapTokenTTL = 300 * time.Second
	}
	if cfg.RetryWindow <= 0 {
		cfg.RetryWindow = 10 * time.Minute
	}
	if cfg.APIKeyCost <= 0 {
		cfg.APIKeyCost = bcryptCost
	}
	if cfg.APIKeyCost < bcrypt.MinCost || cfg.APIKeyCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("inventory: Config.APIKeyCost must be between %d and %d", bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cfg.MaxConcurrentReports <= 0 {
		cfg.MaxConcurrentReports = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if cfg.Audit == nil {
		cfg.Audit = func(context.Context, users.AuditEntry) {}
	}
	if cfg.CopyThreshold <= 0 {
		cfg.CopyThreshold = 256
	}
	if cfg.CatalogueCacheSize == 0 {
		cfg.CatalogueCacheSize = 100_000
	}
	s := &Service{
		cfg:    cfg,
		db:     cfg.DB,
		log:    cfg.Logger,
		bins:   newBinaryCatalog(cfg.AgentBinaries),
		macKey: deriveKey(cfg.Secret, "patchmon agent credential cache v1"),

		reportSlots: make(chan struct{}, cfg.MaxConcurrentReports),
	}
	if cfg.CatalogueCacheSize > 0 {
		s.catalogue = newCatalogueCache(cfg.CatalogueCacheSize)
	}
	return s, nil
}

// acquireReportSlot waits for a free report slot; release it with releaseReportSlot.
func (s *Service) acquireReportSlot(ctx context.Context) error {
	select {
	case s.reportSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) releaseReportSlot() { <-s.reportSlots }

// PublicURL is the configured base URL (Config.PublicURL). Scripts use
// ServerSettings(ctx).ServerURL, which an administrator may have changed in the settings.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }
