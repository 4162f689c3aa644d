package enrollment

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Config configures a Service.
type Config struct {
	// DB holds the token tables (migration 0005). Required.
	DB *db.DB
	// Inventory creates the enrolled hosts and their agent credentials, and provides
	// the public URL and the ignore-self-signed setting written into scripts. Required.
	Inventory *inventory.Service
	// Cache holds verified token secrets for CredentialCacheTTL, so bcrypt runs once per
	// credential rather than once per request. Required.
	Cache kv.Cache
	// Secret keys the credential cache (entries live under HMAC-SHA256(Secret, key,
	// secret)). At least 16 bytes. Required.
	Secret []byte
	// ValidateScopes checks the scopes of an api token when it is created or changed
	// and returns a message for the client when they are not acceptable. The scoped
	// Integration API (pkg/scopes) supplies the real catalogue. Default: any non-empty
	// object of resource → non-empty list of distinct, non-empty actions.
	ValidateScopes func(Scopes) error
	// Audit records token changes and enrollments. Default: nothing is recorded.
	Audit func(context.Context, users.AuditEntry)
	// Logger receives warnings about degraded dependencies. Default: discard.
	Logger *slog.Logger
	// CredentialCacheTTL bounds how long a verified secret is trusted without bcrypt.
	// Disabling, expiring or deleting a token takes effect at once regardless: every
	// request reads the token row. Default: 5m.
	CredentialCacheTTL time.Duration
	// SecretCost is the bcrypt work factor of new token secrets. Tests may lower it to
	// bcrypt.MinCost. Default: 10.
	SecretCost int
	// Now is the clock; the daily quota resets at midnight UTC of it. Default: time.Now.
	Now func() time.Time
}

// Service manages tokens, authenticates their holders and enrolls hosts. It is safe for
// concurrent use.
type Service struct {
	cfg    Config
	db     *db.DB
	inv    *inventory.Service
	log    *slog.Logger
	macKey []byte
	flight singleflight.Group
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("enrollment: Config.DB is required")
	case cfg.Inventory == nil:
		return nil, errors.New("enrollment: Config.Inventory is required")
	case cfg.Cache == nil:
		return nil, errors.New("enrollment: Config.Cache is required")
	case len(cfg.Secret) < 16:
		return nil, errors.New("enrollment: Config.Secret must be at least 16 bytes")
	}
	if cfg.ValidateScopes == nil {
		cfg.ValidateScopes = defaultValidateScopes
	}
	if cfg.Audit == nil {
		cfg.Audit = func(context.Context, users.AuditEntry) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CredentialCacheTTL <= 0 {
		cfg.CredentialCacheTTL = 5 * time.Minute
	}
	if cfg.SecretCost <= 0 {
		cfg.SecretCost = bcrypt.DefaultCost
	}
	if cfg.SecretCost < bcrypt.MinCost || cfg.SecretCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("enrollment: Config.SecretCost must be between %d and %d", bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := hmac.New(sha256.New, cfg.Secret)
	m.Write([]byte("patchmon enrollment token cache v1"))
	return &Service{cfg: cfg, db: cfg.DB, inv: cfg.Inventory, log: cfg.Logger, macKey: m.Sum(nil)}, nil
}

// today is the UTC calendar day the daily quotas count.
func (s *Service) today() time.Time {
	y, m, d := s.cfg.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
