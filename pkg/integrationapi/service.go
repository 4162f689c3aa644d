package integrationapi

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Config configures a Service.
type Config struct {
	// DB holds the inventory tables (migration 0003) and River's job table. Required.
	DB *db.DB
	// Audit records host deletions made through the API. Default: nothing is recorded.
	Audit func(context.Context, users.AuditEntry)
	// Logger receives unexpected errors. Default: discard.
	Logger *slog.Logger
	// Now is the clock (recent_updates_24h, last_updated). Default: time.Now.
	Now func() time.Time
}

// Service answers the Integration API and GetHomepage queries. It is safe for concurrent
// use.
type Service struct {
	cfg Config
	db  *db.DB
	log *slog.Logger
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("integrationapi: Config.DB is required")
	}
	if cfg.Audit == nil {
		cfg.Audit = func(context.Context, users.AuditEntry) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, db: cfg.DB, log: cfg.Logger}, nil
}
