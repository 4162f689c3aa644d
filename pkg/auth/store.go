package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
)

// errNoRows is returned by store lookups that find nothing.
var errNoRows = errors.New("auth: not found")

// store holds every SQL statement of this package. The users table belongs to package
// users; this store only reads and writes its credential, lockout and 2FA columns.
type store struct{ db *db.DB }

// credentials is what signing in needs to know about an account.
type credentials struct {
	ID                uuid.UUID
	Username          string
	Email             string
	PasswordHash      string
	Role              string
	IsActive          bool
	FailedAttempts    int
	LastFailedAt      *time.Time
	LockedUntil       *time.Time
	TFAEnabled        bool
	TFASecret         string
	TFAPendingSecret  string
	TFALastStep       int64
	TFAFailedAttempts int
	TFALockedUntil    *time.Time
}

const credColumns = `id, username, email, COALESCE(password_hash, ''), role, is_active, failed_login_attempts,
	last_failed_login_at, locked_until, tfa_enabled, COALESCE(tfa_secret, ''), COALESCE(tfa_pending_secret, ''),
	tfa_last_step, tfa_failed_attempts, tfa_locked_until`

func scanCred(row pgx.Row) (credentials, error) {
	var c credentials
	err := row.Scan(&c.ID, &c.Username, &c.Email, &c.PasswordHash, &c.Role, &c.IsActive, &c.FailedAttempts,
		&c.LastFailedAt, &c.LockedUntil, &c.TFAEnabled, &c.TFASecret, &c.TFAPendingSecret, &c.TFALastStep,
		&c.TFAFailedAttempts, &c.TFALockedUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return credentials{}, errNoRows
	}
	return c, err
}

const (
	// A username wins over another account's email that happens to read the same.
	sqlCredByLogin = `SELECT ` + credColumns + ` FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($1)
		ORDER BY (lower(username) = lower($1)) DESC LIMIT 1`
	sqlCredByID        = `SELECT ` + credColumns + ` FROM users WHERE id = $1`
	sqlCredByIDForUpd  = `SELECT ` + credColumns + ` FROM users WHERE id = $1 FOR UPDATE`
	sqlSetLoginFailure = `UPDATE users SET failed_login_attempts = $2, last_failed_login_at = $3, locked_until = $4 WHERE id = $1`
	sqlLoginSucceeded  = `UPDATE users SET failed_login_attempts = 0, last_failed_login_at = NULL, locked_until = NULL,
		last_login_at = $2 WHERE id = $1`
	sqlSetPasswordHash = `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`

	sqlSetTFAFailure   = `UPDATE users SET tfa_failed_attempts = $2, tfa_locked_until = $3 WHERE id = $1`
	sqlClearTFAFailure = `UPDATE users SET tfa_failed_attempts = 0, tfa_locked_until = NULL WHERE id = $1 AND (tfa_failed_attempts <> 0 OR tfa_locked_until IS NOT NULL)`
	// The step only moves forward, so of two requests with the same code one wins.
	sqlAcceptStep      = `UPDATE users SET tfa_last_step = $2 WHERE id = $1 AND tfa_last_step < $2`
	sqlSetPendingTFA   = `UPDATE users SET tfa_pending_secret = $2, updated_at = $3 WHERE id = $1`
	sqlEnableTFA       = `UPDATE users SET tfa_enabled = true, tfa_secret = tfa_pending_secret, tfa_pending_secret = NULL, tfa_last_step = $2, tfa_failed_attempts = 0, tfa_locked_until = NULL, updated_at = $3 WHERE id = $1 AND tfa_pending_secret IS NOT NULL AND NOT tfa_enabled`
	sqlDisableTFA      = `UPDATE users SET tfa_enabled = false, tfa_secret = NULL, tfa_pending_secret = NULL, tfa_failed_attempts = 0, tfa_locked_until = NULL, updated_at = $2 WHERE id = $1`
	sqlDeleteBackups   = `DELETE FROM user_backup_codes WHERE user_id = $1`
	sqlInsertBackups   = `INSERT INTO user_backup_codes (user_id, code_hash, created_at) SELECT $1, unnest($2::text[]), $3`
	sqlUseBackup       = `UPDATE user_backup_codes SET used_at = $3 WHERE id = (SELECT id FROM user_backup_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL LIMIT 1 FOR UPDATE) RETURNING id`
	sqlCountBackups    = `SELECT count(*) FROM user_backup_codes WHERE user_id = $1 AND used_at IS NULL`
	sqlDeleteDevices   = `DELETE FROM user_trusted_devices WHERE user_id = $1`
	sqlCountDevices    = `SELECT count(*) FROM user_trusted_devices WHERE user_id = $1 AND expires_at > $2`
	sqlInsertDevice    = `INSERT INTO user_trusted_devices (user_id, token_hash, ip_address, user_agent, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id`
	sqlTrimDevices     = `DELETE FROM user_trusted_devices WHERE user_id = $1 AND (expires_at <= $2 OR id NOT IN (SELECT id FROM user_trusted_devices WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC LIMIT $3))`
	sqlUseDevice       = `UPDATE user_trusted_devices SET last_used_at = $3 WHERE user_id = $1 AND token_hash = $2 AND expires_at > $3 RETURNING id`
	sqlDeviceByHash    = `SELECT id FROM user_trusted_devices WHERE token_hash = $1`
	sqlListDevices     = `SELECT id, ip_address, user_agent, created_at, last_used_at, expires_at FROM user_trusted_devices WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC`
	sqlDeleteDevice    = `DELETE FROM user_trusted_devices WHERE user_id = $1 AND id = $2`
	sqlUserByOIDC      = `SELECT id FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`
	sqlUserByEmail     = `SELECT id, oidc_subject IS NOT NULL FROM users WHERE lower(email) = lower($1)`
	sqlLinkOIDC        = `UPDATE users SET oidc_issuer = $2, oidc_subject = $3, updated_at = $4 WHERE id = $1`
	sqlSetUserLastSeen = `UPDATE users SET last_login_at = $2 WHERE id = $1`
)

func (s *store) credByLogin(ctx context.Context, login string) (credentials, error) {
	return scanCred(s.db.Pool.QueryRow(ctx, sqlCredByLogin, login))
}

func (s *store) credByID(ctx context.Context, id uuid.UUID) (credentials, error) {
	return scanCred(s.db.Pool.QueryRow(ctx, sqlCredByID, id))
}

// recordLoginFailure counts a failed password in the rolling window and locks the account
// once max failures are reached. It returns the count and, when locked, until when.
func (s *store) recordLoginFailure(ctx context.Context, id uuid.UUID, now time.Time, window time.Duration, maxAttempts int,
	lockout time.Duration) (attempts int, lockedUntil *time.Time, err error) {
	err = s.db.Tx(ctx, func(tx pgx.Tx) error {
		c, err := scanCred(tx.QueryRow(ctx, sqlCredByIDForUpd, id))
		if err != nil {
			return err
		}
		if c.LockedUntil != nil && c.LockedUntil.After(now) {
			attempts, lockedUntil = c.FailedAttempts, c.LockedUntil
			return nil
		}
		attempts = c.FailedAttempts + 1
		// A new count starts after a quiet window and after an expired lockout.
		if c.LastFailedAt == nil || now.Sub(*c.LastFailedAt) > window || c.LockedUntil != nil {
			attempts = 1
		}
		lockedUntil = nil
		if attempts >= maxAttempts {
			t := now.Add(lockout)
			lockedUntil = &t
		}
		_, err = tx.Exec(ctx, sqlSetLoginFailure, id, attempts, now, lockedUntil)
		return err
	})
	return attempts, lockedUntil, err
}

func (s *store) loginSucceeded(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlLoginSucceeded, id, now)
	return err
}

func (s *store) setPasswordHash(ctx context.Context, id uuid.UUID, hash string, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlSetPasswordHash, id, hash, now)
	return err
}

// recordTFAFailure counts a failed second factor; at maxAttempts the account's 2FA locks.
func (s *store) recordTFAFailure(ctx context.Context, id uuid.UUID, now time.Time, maxAttempts int,
	lockout time.Duration) (attempts int, lockedUntil *time.Time, err error) {
	err = s.db.Tx(ctx, func(tx pgx.Tx) error {
		c, err := scanCred(tx.QueryRow(ctx, sqlCredByIDForUpd, id))
		if err != nil {
			return err
		}
		attempts, lockedUntil = c.TFAFailedAttempts+1, nil
		if attempts >= maxAttempts {
			t := now.Add(lockout)
			lockedUntil = &t
		}
		_, err = tx.Exec(ctx, sqlSetTFAFailure, id, attempts, lockedUntil)
		return err
	})
	return attempts, lockedUntil, err
}

func (s *store) clearTFAFailures(ctx context.Context, id uuid.UUID) error {
	_, err := s.db.Pool.Exec(ctx, sqlClearTFAFailure, id)
	return err
}

func (s *store) acceptStep(ctx context.Context, id uuid.UUID, step int64) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlAcceptStep, id, step)
	return tag.RowsAffected() == 1, err
}

func (s *store) setPendingTFA(ctx context.Context, id uuid.UUID, encSecret string, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlSetPendingTFA, id, encSecret, now)
	return err
}

// enableTFA promotes the pending secret and stores fresh backup codes.
func (s *store) enableTFA(ctx context.Context, id uuid.UUID, step int64, codeHashes []string, now time.Time) (bool, error) {
	ok := false
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlEnableTFA, id, step, now)
		if err != nil {
			return err
		}
		if ok = tag.RowsAffected() == 1; !ok {
			return nil
		}
		return replaceBackups(ctx, tx, id, codeHashes, now)
	})
	return ok, err
}

func replaceBackups(ctx context.Context, tx pgx.Tx, id uuid.UUID, hashes []string, now time.Time) error {
	if _, err := tx.Exec(ctx, sqlDeleteBackups, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, sqlInsertBackups, id, hashes, now)
	return err
}

func (s *store) replaceBackupCodes(ctx context.Context, id uuid.UUID, hashes []string, now time.Time) error {
	return s.db.Tx(ctx, func(tx pgx.Tx) error { return replaceBackups(ctx, tx, id, hashes, now) })
}

// disableTFA turns 2FA off and forgets its secrets, backup codes and trusted devices.
func (s *store) disableTFA(ctx context.Context, id uuid.UUID, now time.Time) error {
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{sqlDeleteBackups, sqlDeleteDevices} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, sqlDisableTFA, id, now)
		return err
	})
}

func (s *store) useBackupCode(ctx context.Context, id uuid.UUID, hash string, now time.Time) (bool, error) {
	var codeID int64
	err := s.db.Pool.QueryRow(ctx, sqlUseBackup, id, hash, now).Scan(&codeID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *store) countBackupCodes(ctx context.Context, id uuid.UUID) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, sqlCountBackups, id).Scan(&n)
	return n, err
}

// --- trusted devices --------------------------------------------------------------------

type trustedDevice struct {
	ID                               uuid.UUID
	IP, UserAgent                    string
	CreatedAt, LastUsedAt, ExpiresAt time.Time
}

// addDevice records a trusted device and keeps only the newest maxDevices.
func (s *store) addDevice(ctx context.Context, userID uuid.UUID, hash, ip, ua string, now, expires time.Time, maxDevices int) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlCredByIDForUpd, userID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, sqlInsertDevice, userID, hash, ip, ua, now, expires).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlTrimDevices, userID, now, maxDevices)
		return err
	})
	return id, err
}

func (s *store) useDevice(ctx context.Context, userID uuid.UUID, hash string, now time.Time) (bool, error) {
	var id uuid.UUID
	err := s.db.Pool.QueryRow(ctx, sqlUseDevice, userID, hash, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *store) deviceByHash(ctx context.Context, hash string) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.Pool.QueryRow(ctx, sqlDeviceByHash, hash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, errNoRows
	}
	return id, err
}

func (s *store) listDevices(ctx context.Context, userID uuid.UUID, now time.Time) ([]trustedDevice, error) {
	rows, err := s.db.Pool.Query(ctx, sqlListDevices, userID, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []trustedDevice
	for rows.Next() {
		var d trustedDevice
		if err := rows.Scan(&d.ID, &d.IP, &d.UserAgent, &d.CreatedAt, &d.LastUsedAt, &d.ExpiresAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *store) countDevices(ctx context.Context, userID uuid.UUID, now time.Time) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, sqlCountDevices, userID, now).Scan(&n)
	return n, err
}

func (s *store) deleteDevice(ctx context.Context, userID, id uuid.UUID) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteDevice, userID, id)
	return tag.RowsAffected() == 1, err
}

func (s *store) deleteDevices(ctx context.Context, userID uuid.UUID) error {
	_, err := s.db.Pool.Exec(ctx, sqlDeleteDevices, userID)
	return err
}

// --- OIDC identities ----------------------------------------------------------------

func (s *store) userByOIDC(ctx context.Context, issuer, subject string) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.Pool.QueryRow(ctx, sqlUserByOIDC, issuer, subject).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, errNoRows
	}
	return id, err
}

func (s *store) userByEmail(ctx context.Context, email string) (id uuid.UUID, linked bool, err error) {
	err = s.db.Pool.QueryRow(ctx, sqlUserByEmail, email).Scan(&id, &linked)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, false, errNoRows
	}
	return id, linked, err
}

func (s *store) linkOIDC(ctx context.Context, id uuid.UUID, issuer, subject string, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlLinkOIDC, id, issuer, subject, now)
	return err
}

func (s *store) setLastLogin(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlSetUserLastSeen, id, now)
	return err
}
