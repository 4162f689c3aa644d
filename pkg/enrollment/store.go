package enrollment

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQL of the token tables. hosts_created_today is reported, reserved and refunded
// relative to a given day ($today): a row last counted on an earlier day counts as 0.
const (
	sqlTokenColumns = `
t.id, t.token_name, t.token_key, t.token_secret_hash, t.is_active, t.integration_type,
t.metadata, t.scopes, t.allowed_ip_ranges, t.max_hosts_per_day,
CASE WHEN t.last_reset_date = $1 THEN t.hosts_created_today ELSE 0 END,
t.default_host_group_id, g.name, g.color,
t.created_by_user_id, u.username, u.first_name, u.last_name,
t.expires_at, t.last_used_at, t.created_at, t.updated_at`

	sqlTokenFrom = `
FROM auto_enrollment_tokens t
LEFT JOIN host_groups g ON g.id = t.default_host_group_id
LEFT JOIN users u ON u.id = t.created_by_user_id`

	sqlTokenByKey = `SELECT` + sqlTokenColumns + sqlTokenFrom + ` WHERE t.token_key = $2`
	sqlTokenByID  = `SELECT` + sqlTokenColumns + sqlTokenFrom + ` WHERE t.id = $2`
	sqlTokens     = `SELECT` + sqlTokenColumns + sqlTokenFrom +
		` WHERE $2 = '' OR t.integration_type = $2 ORDER BY t.created_at DESC, t.id`

	sqlInsertToken = `
INSERT INTO auto_enrollment_tokens (token_name, token_key, token_secret_hash, integration_type, metadata,
    scopes, allowed_ip_ranges, max_hosts_per_day, default_host_group_id, created_by_user_id, expires_at,
    last_reset_date)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
RETURNING id`

	sqlUpdateToken = `
UPDATE auto_enrollment_tokens SET token_name = $2, is_active = $3, metadata = $4, scopes = $5,
    allowed_ip_ranges = $6, max_hosts_per_day = $7, default_host_group_id = $8, expires_at = $9,
    updated_at = now()
WHERE id = $1`

	sqlDeleteToken = `DELETE FROM auto_enrollment_tokens WHERE id = $1 RETURNING token_name`

	sqlTouchToken = `UPDATE auto_enrollment_tokens SET last_used_at = now() WHERE id = $1`

	sqlHostGroupExists = `SELECT EXISTS (SELECT 1 FROM host_groups WHERE id = $1)`

	// sqlReserveQuota takes n hosts from today's quota, or nothing when they do not fit.
	sqlReserveQuota = `
UPDATE auto_enrollment_tokens SET
    hosts_created_today = CASE WHEN last_reset_date = $2 THEN hosts_created_today ELSE 0 END + $3,
    last_reset_date = $2
WHERE id = $1
  AND CASE WHEN last_reset_date = $2 THEN hosts_created_today ELSE 0 END + $3 <= max_hosts_per_day
RETURNING hosts_created_today`

	sqlQuotaState = `
SELECT max_hosts_per_day, CASE WHEN last_reset_date = $2 THEN hosts_created_today ELSE 0 END
FROM auto_enrollment_tokens WHERE id = $1`

	sqlRefundQuota = `
UPDATE auto_enrollment_tokens SET hosts_created_today = GREATEST(hosts_created_today - $3, 0)
WHERE id = $1 AND last_reset_date = $2`

	// sqlEnrolledHost finds the live host a token enrolled for a machine_id.
	sqlEnrolledHost = `
SELECT h.id, h.friendly_name, h.status
FROM auto_enrollment_hosts e JOIN hosts h ON h.id = e.host_id
WHERE e.token_id = $1 AND e.machine_id = $2`

	sqlHostGroupOf = `
SELECT g.id, g.name, g.color FROM host_group_memberships m JOIN host_groups g ON g.id = m.host_group_id
WHERE m.host_id = $1 ORDER BY g.name LIMIT 1`

	sqlRecordEnrollment = `
INSERT INTO auto_enrollment_hosts (host_id, token_id, token_name, machine_id, metadata)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING`
)

var errNoToken = errors.New("enrollment: no such token")

// tokenRow is a token as stored, with its group and creator.
type tokenRow struct {
	ID                 uuid.UUID
	Name               string
	Key                string
	SecretHash         string
	IsActive           bool
	IntegrationType    string
	Metadata           map[string]any
	Scopes             Scopes
	AllowedIPRanges    []string
	MaxHostsPerDay     int
	HostsCreatedToday  int
	DefaultHostGroupID *uuid.UUID
	GroupName          *string
	GroupColor         *string
	CreatedByID        *uuid.UUID
	CreatedByUsername  *string
	CreatedByFirst     *string
	CreatedByLast      *string
	ExpiresAt          *time.Time
	LastUsedAt         *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (r tokenRow) token() Token {
	return Token{ID: r.ID, Name: r.Name, Key: r.Key, IntegrationType: r.IntegrationType, Scopes: r.Scopes,
		DefaultHostGroupID: r.DefaultHostGroupID, MaxHostsPerDay: r.MaxHostsPerDay}
}

func scanToken(row pgx.Row) (tokenRow, error) {
	var (
		r            tokenRow
		meta, scopes []byte
	)
	err := row.Scan(&r.ID, &r.Name, &r.Key, &r.SecretHash, &r.IsActive, &r.IntegrationType,
		&meta, &scopes, &r.AllowedIPRanges, &r.MaxHostsPerDay, &r.HostsCreatedToday,
		&r.DefaultHostGroupID, &r.GroupName, &r.GroupColor,
		&r.CreatedByID, &r.CreatedByUsername, &r.CreatedByFirst, &r.CreatedByLast,
		&r.ExpiresAt, &r.LastUsedAt, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return tokenRow{}, errNoToken
	}
	if err != nil {
		return tokenRow{}, err
	}
	if err := json.Unmarshal(meta, &r.Metadata); err != nil {
		return tokenRow{}, err
	}
	if len(scopes) > 0 && string(scopes) != "null" {
		if err := json.Unmarshal(scopes, &r.Scopes); err != nil {
			return tokenRow{}, err
		}
	}
	if r.AllowedIPRanges == nil {
		r.AllowedIPRanges = []string{}
	}
	return r, nil
}

func (s *Service) tokenByKey(ctx context.Context, key string) (tokenRow, error) {
	return scanToken(s.db.Pool.QueryRow(ctx, sqlTokenByKey, s.today(), key))
}

func (s *Service) tokenByID(ctx context.Context, id uuid.UUID) (tokenRow, error) {
	r, err := scanToken(s.db.Pool.QueryRow(ctx, sqlTokenByID, s.today(), id))
	if errors.Is(err, errNoToken) {
		return tokenRow{}, ErrTokenNotFound
	}
	return r, err
}

func (s *Service) touch(ctx context.Context, id uuid.UUID) error {
	_, err := s.db.Pool.Exec(ctx, sqlTouchToken, id)
	return err
}

func (s *Service) hostGroupExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, sqlHostGroupExists, id).Scan(&ok)
	return ok, err
}

// reserve takes n hosts from the token's quota for today. It returns a *QuotaError,
// worded for a single or a bulk request, when they do not fit.
func (s *Service) reserve(ctx context.Context, id uuid.UUID, n int, bulk bool) error {
	if n == 0 {
		return nil
	}
	today := s.today()
	var used int
	err := s.db.Pool.QueryRow(ctx, sqlReserveQuota, id, today, n).Scan(&used)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var limit int
	if err := s.db.Pool.QueryRow(ctx, sqlQuotaState, id, today).Scan(&limit, &used); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrInvalidToken
		}
		return err
	}
	if bulk && used < limit {
		return &QuotaError{Message: quotaRemaining(limit - used)}
	}
	return &QuotaError{Message: quotaMax(limit)}
}

func quotaMax(limit int) string {
	return "Maximum " + itoa(limit) + " hosts per day allowed for this token"
}

func quotaRemaining(n int) string {
	return "Only " + itoa(n) + " hosts remaining in daily quota"
}

// refund gives back n reserved hosts that were not created.
func (s *Service) refund(ctx context.Context, id uuid.UUID, n int) {
	if n <= 0 {
		return
	}
	if _, err := s.db.Pool.Exec(context.WithoutCancel(ctx), sqlRefundQuota, id, s.today(), n); err != nil {
		s.log.WarnContext(ctx, "refunding enrollment quota failed", "token", id, "err", err)
	}
}

// isUniqueViolation reports a unique-constraint failure.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
