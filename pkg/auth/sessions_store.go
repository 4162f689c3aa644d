package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// session is a row of user_sessions joined with what a request needs about its user.
type session struct {
	ID             uuid.UUID
	UserID         uuid.UUID
	LoginMethod    string
	IP, UserAgent  string
	CreatedAt      time.Time
	LastActivityAt time.Time
	ExpiresAt      time.Time
	RevokedAt      *time.Time
	// From the user and their role.
	Username, Email, Role string
	UserActive            bool
	Permissions           []string
}

const sessionColumns = `s.id, s.user_id, s.login_method, s.ip_address, s.user_agent, s.created_at, s.last_activity_at,
	s.expires_at, s.revoked_at, u.username, u.email, u.role, u.is_active,
	COALESCE((SELECT array_agg(rp.permission ORDER BY rp.permission) FROM role_permissions rp WHERE rp.role = u.role), '{}')`

func scanSession(row pgx.Row) (session, error) {
	var s session
	err := row.Scan(&s.ID, &s.UserID, &s.LoginMethod, &s.IP, &s.UserAgent, &s.CreatedAt, &s.LastActivityAt,
		&s.ExpiresAt, &s.RevokedAt, &s.Username, &s.Email, &s.Role, &s.UserActive, &s.Permissions)
	if errors.Is(err, pgx.ErrNoRows) {
		return session{}, errNoRows
	}
	return s, err
}

const (
	sqlInsertSession = `INSERT INTO user_sessions (user_id, refresh_token_hash, login_method, ip_address, user_agent,
		created_at, last_activity_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id`
	// Old rows of the user are dropped whenever they sign in, so the table does not grow.
	sqlPruneSessions   = `DELETE FROM user_sessions WHERE user_id = $1 AND (expires_at < $2 OR revoked_at < $2 - interval '1 day')`
	sqlSessionByID     = `SELECT ` + sessionColumns + ` FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`
	sqlSessionByHash   = `SELECT ` + sessionColumns + ` FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.refresh_token_hash = $1 FOR UPDATE OF s`
	sqlTouchSession    = `UPDATE user_sessions SET last_activity_at = $2 WHERE id = $1 AND last_activity_at < $2`
	sqlRotateSession   = `UPDATE user_sessions SET refresh_token_hash = $2, last_activity_at = $3, expires_at = $4 WHERE id = $1`
	sqlRevokeSession   = `UPDATE user_sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`
	sqlRevokeAnySess   = `UPDATE user_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`
	sqlRevokeAllSess   = `UPDATE user_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3`
	sqlSessionIDByHash = `SELECT id, user_id FROM user_sessions WHERE refresh_token_hash = $1`
	sqlListUserSession = `SELECT ` + sessionColumns + ` FROM user_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_activity_at > $3
		ORDER BY s.last_activity_at DESC`
)

func (s *store) insertSession(ctx context.Context, userID uuid.UUID, hash, method, ip, ua string, now, expires time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlPruneSessions, userID, now); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sqlInsertSession, userID, hash, method, ip, ua, now, expires).Scan(&id)
	})
	return id, err
}

func (s *store) sessionByID(ctx context.Context, id uuid.UUID) (session, error) {
	return scanSession(s.db.Pool.QueryRow(ctx, sqlSessionByID, id))
}

func (s *store) touchSession(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlTouchSession, id, now)
	return err
}

// rotate finds the session of a refresh token, lets check decide whether it may be
// refreshed, and replaces the token. check's error is returned after the transaction,
// whose other effects (such as revoking an inactive session) are kept.
func (s *store) rotate(ctx context.Context, oldHash, newHash string, now, expires time.Time,
	check func(session) (revoke bool, err error)) (session, error) {
	var sess session
	var checkErr error
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		var err error
		checkErr = nil
		sess, err = scanSession(tx.QueryRow(ctx, sqlSessionByHash, oldHash))
		if err != nil {
			return err
		}
		revoke, err := check(sess)
		if err != nil {
			checkErr = err
			if revoke {
				_, err := tx.Exec(ctx, sqlRevokeAnySess, sess.ID, now)
				return err
			}
			return nil
		}
		_, err = tx.Exec(ctx, sqlRotateSession, sess.ID, newHash, now, expires)
		return err
	})
	if err != nil {
		return session{}, err
	}
	return sess, checkErr
}

func (s *store) sessionIDByHash(ctx context.Context, hash string) (uuid.UUID, uuid.UUID, error) {
	var id, userID uuid.UUID
	err := s.db.Pool.QueryRow(ctx, sqlSessionIDByHash, hash).Scan(&id, &userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, uuid.Nil, errNoRows
	}
	return id, userID, err
}

func (s *store) revokeSession(ctx context.Context, userID, id uuid.UUID, now time.Time) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlRevokeSession, id, userID, now)
	return tag.RowsAffected() == 1, err
}

func (s *store) revokeAnySession(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := s.db.Pool.Exec(ctx, sqlRevokeAnySess, id, now)
	return err
}

// revokeAll revokes every session of the user except keep (uuid.Nil keeps none).
func (s *store) revokeAll(ctx context.Context, userID, keep uuid.UUID, now time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlRevokeAllSess, userID, now, keep)
	return tag.RowsAffected(), err
}

func (s *store) listSessions(ctx context.Context, userID uuid.UUID, now time.Time, inactivity time.Duration) ([]session, error) {
	rows, err := s.db.Pool.Query(ctx, sqlListUserSession, userID, now, now.Add(-inactivity))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	return out, rows.Err()
}
