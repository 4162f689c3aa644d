package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type store struct{ pool *pgxpool.Pool }

const alertCols = `a.id, a.alert_type, a.severity, a.status, a.host_id, COALESCE(h.friendly_name, ''), a.title, a.message,
a.details, a.assigned_to, COALESCE(u.username, ''), a.silenced_until, a.escalation_level, a.escalated_at,
a.acknowledged_by, a.acknowledged_at, a.resolved_by, a.resolved_at, a.created_at, a.updated_at`

const alertFrom = ` FROM alerts a LEFT JOIN hosts h ON h.id = a.host_id LEFT JOIN users u ON u.id = a.assigned_to`

const (
	sqlGetAlert    = `SELECT ` + alertCols + alertFrom + ` WHERE a.id = $1`
	sqlInsertAlert = `INSERT INTO alerts (alert_type, severity, host_id, title, message, details, assigned_to)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (alert_type, COALESCE(host_id, '00000000-0000-0000-0000-000000000000'::uuid)) WHERE status <> 'resolved'
DO NOTHING RETURNING id`
	sqlOpenAlertID = `SELECT id FROM alerts WHERE alert_type = $1 AND host_id IS NOT DISTINCT FROM $2 AND status <> 'resolved'`
	sqlAddHistory  = `INSERT INTO alert_history (alert_id, action, user_id, username, note, details) VALUES ($1, $2, $3, $4, $5, $6)`
	sqlHistory     = `SELECT id, action, user_id, username, note, details, created_at FROM alert_history WHERE alert_id = $1 ORDER BY id`
	sqlResolveCond = `UPDATE alerts SET status = 'resolved', resolved_at = now(), silenced_until = NULL, updated_at = now()
WHERE alert_type = $1 AND host_id IS NOT DISTINCT FROM $2 AND status <> 'resolved' RETURNING id`
	sqlAlertStatus = `SELECT status FROM alerts WHERE id = $1`
	sqlListWhere   = ` WHERE ($1 = '' OR a.severity = $1) AND ($2 = '' OR a.alert_type = $2) AND ($3 = '' OR a.status = $3)
AND (NOT $4 OR a.status <> 'resolved') AND ($5::uuid IS NULL OR a.assigned_to = $5) AND (NOT $6 OR a.assigned_to IS NULL)
AND ($7::uuid IS NULL OR a.host_id = $7)`
	sqlList    = `SELECT ` + alertCols + alertFrom + sqlListWhere + ` ORDER BY a.created_at DESC, a.id LIMIT $8 OFFSET $9`
	sqlCount   = `SELECT count(*) FROM alerts a` + sqlListWhere
	sqlSummary = `SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'acknowledged'),
count(*) FILTER (WHERE status = 'silenced'),
count(*) FILTER (WHERE status <> 'resolved' AND severity = 'informational'),
count(*) FILTER (WHERE status <> 'resolved' AND severity = 'warning'),
count(*) FILTER (WHERE status <> 'resolved' AND severity = 'error'),
count(*) FILTER (WHERE status <> 'resolved' AND severity = 'critical'),
count(*) FILTER (WHERE status = 'resolved' AND resolved_at > now() - interval '1 day')
FROM alerts`
	sqlTypeConfigCols = `alert_type, enabled, default_severity, delay_minutes, threshold, auto_assign_user_id,
escalate_after_minutes, retention_days, updated_at`
	sqlTypeConfig     = `SELECT ` + sqlTypeConfigCols + ` FROM alert_config WHERE alert_type = $1`
	sqlTypeConfigs    = `SELECT ` + sqlTypeConfigCols + ` FROM alert_config`
	sqlUpdateTypeConf = `UPDATE alert_config SET enabled = $2, default_severity = $3, delay_minutes = $4, threshold = $5,
auto_assign_user_id = $6, escalate_after_minutes = $7, retention_days = $8, updated_at = now()
WHERE alert_type = $1 RETURNING ` + sqlTypeConfigCols
	sqlUsername  = `SELECT username FROM users WHERE id = $1`
	sqlAssignees = `SELECT id, username FROM users WHERE is_active ORDER BY lower(username)`
	sqlCleanup   = `DELETE FROM alerts a USING alert_config c
WHERE c.alert_type = a.alert_type AND a.status = 'resolved' AND a.resolved_at < now() - make_interval(days => c.retention_days)`
	sqlUnsilence = `WITH u AS (
    UPDATE alerts SET status = 'open', silenced_until = NULL, updated_at = now()
    WHERE status = 'silenced' AND silenced_until <= now() RETURNING id)
INSERT INTO alert_history (alert_id, action, note) SELECT id, 'unsilenced', 'Silence period ended' FROM u`
	sqlEscalate = `WITH due AS (
    SELECT a.id, a.severity AS old FROM alerts a JOIN alert_config c ON c.alert_type = a.alert_type
    WHERE a.status = 'open' AND c.escalate_after_minutes IS NOT NULL AND a.severity <> 'critical'
      AND COALESCE(a.escalated_at, a.created_at) <= now() - make_interval(mins => c.escalate_after_minutes)
    ORDER BY a.id FOR UPDATE OF a SKIP LOCKED)
UPDATE alerts a SET severity = CASE a.severity WHEN 'informational' THEN 'warning' WHEN 'warning' THEN 'error' ELSE 'critical' END,
    escalation_level = a.escalation_level + 1, escalated_at = now(), updated_at = now()
FROM due WHERE a.id = due.id RETURNING a.id, due.old, a.severity`
)

func scanAlert(row pgx.Row) (Alert, error) {
	var a Alert
	var details []byte
	err := row.Scan(&a.ID, &a.Type, &a.Severity, &a.Status, &a.HostID, &a.HostName, &a.Title, &a.Message, &details,
		&a.AssignedTo, &a.AssignedUsername, &a.SilencedUntil, &a.EscalationLevel, &a.EscalatedAt, &a.AcknowledgedBy,
		&a.AcknowledgedAt, &a.ResolvedBy, &a.ResolvedAt, &a.CreatedAt, &a.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, err
	}
	_ = json.Unmarshal(details, &a.Details)
	if a.Details == nil {
		a.Details = map[string]any{}
	}
	return a, nil
}

func (s *store) get(ctx context.Context, id uuid.UUID) (Alert, error) {
	return scanAlert(s.pool.QueryRow(ctx, sqlGetAlert, id))
}

func jsonArg(m map[string]any) []byte {
	if m == nil {
		return []byte("{}")
	}
	b, err := json.Marshal(m)
	if err != nil {
		return []byte("{}")
	}
	return b
}

func (s *store) insert(ctx context.Context, c Condition, cfg TypeConfig) (Alert, bool, error) {
	var id uuid.UUID
	created := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, sqlInsertAlert, c.Type, cfg.DefaultSeverity, c.HostID, c.Title, c.Message,
			jsonArg(c.Details), cfg.AutoAssignUserID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return tx.QueryRow(ctx, sqlOpenAlertID, c.Type, c.HostID).Scan(&id)
		}
		if err != nil {
			return err
		}
		created = true
		if _, err := tx.Exec(ctx, sqlAddHistory, id, ActionCreated, nil, "", c.Message, jsonArg(c.Details)); err != nil {
			return err
		}
		if cfg.AutoAssignUserID != nil {
			_, err = tx.Exec(ctx, sqlAddHistory, id, ActionAssigned, nil, "", "Assigned automatically",
				jsonArg(map[string]any{"user_id": cfg.AutoAssignUserID.String()}))
		}
		return err
	})
	if err != nil {
		return Alert{}, false, fmt.Errorf("alerts: raise %s: %w", c.Type, err)
	}
	a, err := s.get(ctx, id)
	return a, created, err
}

func (s *store) resolveCondition(ctx context.Context, t Type, host *uuid.UUID, note string) (Alert, bool, error) {
	var id uuid.UUID
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, sqlResolveCond, t, host).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlAddHistory, id, ActionResolved, nil, "", note, []byte("{}"))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Alert{}, false, nil
	}
	if err != nil {
		return Alert{}, false, fmt.Errorf("alerts: resolve %s: %w", t, err)
	}
	a, err := s.get(ctx, id)
	return a, err == nil, err
}

// act applies set (whose own parameters start at $2) to an unresolved alert and records the
// action.
func (s *store) act(ctx context.Context, id uuid.UUID, by Actor, action, note string, details map[string]any, set string, args ...any) (Alert, error) {
	q := `UPDATE alerts SET ` + set + `, updated_at = now() WHERE id = $1 AND status <> 'resolved' RETURNING id`
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var got uuid.UUID
		if err := tx.QueryRow(ctx, q, append([]any{id}, args...)...).Scan(&got); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlAddHistory, id, action, by.UserID, by.Username, note, jsonArg(details))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		var st string
		if err := s.pool.QueryRow(ctx, sqlAlertStatus, id).Scan(&st); errors.Is(err, pgx.ErrNoRows) {
			return Alert{}, ErrNotFound
		} else if err != nil {
			return Alert{}, err
		}
		return Alert{}, ErrResolved
	}
	if err != nil {
		return Alert{}, fmt.Errorf("alerts: %s: %w", action, err)
	}
	return s.get(ctx, id)
}

func (s *store) history(ctx context.Context, id uuid.UUID) ([]HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, sqlHistory, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryEntry, error) {
		var h HistoryEntry
		var d []byte
		err := row.Scan(&h.ID, &h.Action, &h.UserID, &h.Username, &h.Note, &d, &h.CreatedAt)
		_ = json.Unmarshal(d, &h.Details)
		return h, err
	})
}

func (s *store) list(ctx context.Context, f Filter) ([]Alert, int64, error) {
	args := []any{string(f.Severity), string(f.Type), string(f.Status), f.Active, f.AssignedTo, f.Unassigned, f.HostID}
	rows, err := s.pool.Query(ctx, sqlList, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("alerts: list: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Alert, error) { return scanAlert(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("alerts: list: %w", err)
	}
	var total int64
	if err := s.pool.QueryRow(ctx, sqlCount, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("alerts: count: %w", err)
	}
	return list, total, nil
}

func (s *store) summary(ctx context.Context) (Summary, error) {
	var sum Summary
	var i, w, e, c int64
	err := s.pool.QueryRow(ctx, sqlSummary).Scan(&sum.Open, &sum.Acknowledged, &sum.Silenced, &i, &w, &e, &c, &sum.ResolvedLast24h)
	sum.BySeverity = map[Severity]int64{SeverityInformational: i, SeverityWarning: w, SeverityError: e, SeverityCritical: c}
	return sum, err
}

func scanTypeConfig(row pgx.Row) (TypeConfig, error) {
	var c TypeConfig
	err := row.Scan(&c.Type, &c.Enabled, &c.DefaultSeverity, &c.DelayMinutes, &c.Threshold, &c.AutoAssignUserID,
		&c.EscalateAfterMinutes, &c.RetentionDays, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrUnknownType
	}
	return c, err
}

func (s *store) typeConfig(ctx context.Context, t Type) (TypeConfig, error) {
	return scanTypeConfig(s.pool.QueryRow(ctx, sqlTypeConfig, t))
}

func (s *store) typeConfigs(ctx context.Context) ([]TypeConfig, error) {
	rows, err := s.pool.Query(ctx, sqlTypeConfigs)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TypeConfig, error) { return scanTypeConfig(row) })
	if err != nil {
		return nil, err
	}
	// Display order.
	out := make([]TypeConfig, 0, len(list))
	for _, t := range Types {
		for _, c := range list {
			if c.Type == t {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func (s *store) updateTypeConfig(ctx context.Context, c TypeConfig) (TypeConfig, error) {
	return scanTypeConfig(s.pool.QueryRow(ctx, sqlUpdateTypeConf, c.Type, c.Enabled, c.DefaultSeverity, c.DelayMinutes,
		c.Threshold, c.AutoAssignUserID, c.EscalateAfterMinutes, c.RetentionDays))
}

func (s *store) username(ctx context.Context, id uuid.UUID) (string, error) {
	var name string
	err := s.pool.QueryRow(ctx, sqlUsername, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrUnknownUser
	}
	return name, err
}

func (s *store) assignees(ctx context.Context) ([]Assignee, error) {
	rows, err := s.pool.Query(ctx, sqlAssignees)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Assignee, error) {
		var a Assignee
		return a, row.Scan(&a.ID, &a.Username)
	})
}

func (s *store) cleanup(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, sqlCleanup)
	if err != nil {
		return 0, fmt.Errorf("alerts: cleanup: %w", err)
	}
	return tag.RowsAffected(), nil
}

func (s *store) unsilence(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, sqlUnsilence)
	if err != nil {
		return 0, fmt.Errorf("alerts: unsilence: %w", err)
	}
	return tag.RowsAffected(), nil
}

func (s *store) escalate(ctx context.Context) ([]Alert, error) {
	type esc struct {
		id       uuid.UUID
		from, to string
	}
	var done []esc
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlEscalate)
		if err != nil {
			return err
		}
		done, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (esc, error) {
			var e esc
			return e, row.Scan(&e.id, &e.from, &e.to)
		})
		if err != nil {
			return err
		}
		for _, e := range done {
			if _, err := tx.Exec(ctx, sqlAddHistory, e.id, ActionEscalated, nil, "",
				fmt.Sprintf("Not acknowledged in time: severity raised from %s to %s", e.from, e.to),
				jsonArg(map[string]any{"from": e.from, "to": e.to})); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: escalate: %w", err)
	}
	out := make([]Alert, 0, len(done))
	for _, e := range done {
		a, err := s.get(ctx, e.id)
		if err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}
