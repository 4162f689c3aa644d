package inventory

import (
	"context"
	"fmt"
)

// sqlMarkMissedOffline marks active hosts offline whose last check-in is older than the
// given number of their own report intervals (the host's, else the server's).
const sqlMarkMissedOffline = `
UPDATE hosts h SET status = 'offline'
FROM settings s
WHERE s.id = 1 AND h.status = 'active'
  AND h.last_checkin_at < now() - make_interval(mins => $1 * COALESCE(h.update_interval, s.agent_update_interval))`

// MarkMissedOffline marks active hosts offline that missed missed reports in a row, each
// host by its own update interval, and returns how many changed. The host status monitor
// job runs it.
func (s *Service) MarkMissedOffline(ctx context.Context, missed int) (int64, error) {
	if missed < 1 {
		return 0, fmt.Errorf("inventory: MarkMissedOffline: missed must be at least 1")
	}
	tag, err := s.db.Pool.Exec(ctx, sqlMarkMissedOffline, missed)
	if err != nil {
		return 0, fmt.Errorf("inventory: mark hosts offline: %w", err)
	}
	return tag.RowsAffected(), nil
}
