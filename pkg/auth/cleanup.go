package auth

import (
	"context"
	"fmt"
)

// sqlCleanupSessions deletes sessions that can no longer be used: expired ones, revoked ones
// (kept a day for the sessions page) and those idle past the inactivity timeout.
const sqlCleanupSessions = `DELETE FROM user_sessions
WHERE expires_at < now()
   OR revoked_at < now() - interval '1 day'
   OR last_activity_at < now() - $1::interval
RETURNING id`

// sqlCleanupTrustedDevices deletes expired "remember this device" entries.
const sqlCleanupTrustedDevices = `DELETE FROM user_trusted_devices WHERE expires_at < now()`

// CleanupSessions deletes expired, revoked and inactive sessions and expired trusted devices,
// and returns how many sessions went. The server runs it hourly as the session-cleanup job.
func (s *Service) CleanupSessions(ctx context.Context) (int64, error) {
	tag, err := s.store.db.Pool.Exec(ctx, sqlCleanupSessions, s.cfg.InactivityTimeout)
	if err != nil {
		return 0, fmt.Errorf("auth: clean up sessions: %w", err)
	}
	if _, err := s.store.db.Pool.Exec(ctx, sqlCleanupTrustedDevices); err != nil {
		return tag.RowsAffected(), fmt.Errorf("auth: clean up trusted devices: %w", err)
	}
	return tag.RowsAffected(), nil
}
