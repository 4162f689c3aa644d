package notify

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
)

// destRow is a destination with its secrets opened (secretErr when they cannot be).
type destRow struct {
	ID           uuid.UUID
	Name         string
	Type         DestinationType
	Enabled      bool
	Config       DestinationConfig
	Secrets      Secrets
	Sealed       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastStatus   string
	LastDelivery *time.Time
	secretErr    error
}

// claimed is a delivery taken for one attempt.
type claimed struct {
	ID          uuid.UUID
	Dest        *destRow
	Message     Message
	Attempt     int
	MaxAttempts int
}

const destColumns = `d.id, d.name, d.type, d.enabled, d.config, d.secrets, d.created_at, d.updated_at`

func scanDest(row pgx.Row, extra ...any) (destRow, error) {
	var r destRow
	var cfg []byte
	dst := append([]any{&r.ID, &r.Name, &r.Type, &r.Enabled, &cfg, &r.Sealed, &r.CreatedAt, &r.UpdatedAt}, extra...)
	if err := row.Scan(dst...); err != nil {
		return r, err
	}
	if err := json.Unmarshal(cfg, &r.Config); err != nil {
		return r, err
	}
	return r, nil
}

const sqlListDestinations = `
SELECT ` + destColumns + `, l.status, l.created_at
FROM notification_destinations d
LEFT JOIN LATERAL (SELECT status, created_at FROM notification_deliveries x
                   WHERE x.destination_id = d.id ORDER BY created_at DESC LIMIT 1) l ON true
ORDER BY lower(d.name)`

func (s *Service) listDestinationRows(ctx context.Context) ([]destRow, error) {
	rows, err := s.db.Pool.Query(ctx, sqlListDestinations)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []destRow
	for rows.Next() {
		var st *string
		var at *time.Time
		r, err := scanDest(rows, &st, &at)
		if err != nil {
			return nil, err
		}
		if st != nil {
			r.LastStatus, r.LastDelivery = *st, at
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// destination loads one destination and opens its secrets.
func (s *Service) destination(ctx context.Context, id uuid.UUID) (*destRow, error) {
	r, err := scanDest(s.db.Pool.QueryRow(ctx, `SELECT `+destColumns+` FROM notification_destinations d WHERE d.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrDestinationNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Secrets, r.secretErr = s.open(r.ID, r.Sealed)
	return &r, nil
}

func (s *Service) insertDestination(ctx context.Context, r *destRow) error {
	cfg, err := json.Marshal(r.Config)
	if err != nil {
		return err
	}
	_, err = s.db.Pool.Exec(ctx, `INSERT INTO notification_destinations (id, name, type, enabled, config, secrets)
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.Name, r.Type, r.Enabled, cfg, r.Sealed)
	if db.IsUniqueViolation(err, "notification_destinations_name_key") {
		return ErrNameTaken
	}
	return err
}

func (s *Service) updateDestination(ctx context.Context, r *destRow) error {
	cfg, err := json.Marshal(r.Config)
	if err != nil {
		return err
	}
	tag, err := s.db.Pool.Exec(ctx, `UPDATE notification_destinations
		SET name = $2, enabled = $3, config = $4, secrets = $5, updated_at = now() WHERE id = $1`,
		r.ID, r.Name, r.Enabled, cfg, r.Sealed)
	if db.IsUniqueViolation(err, "notification_destinations_name_key") {
		return ErrNameTaken
	}
	if err == nil && tag.RowsAffected() == 0 {
		return ErrDestinationNotFound
	}
	return err
}

func (s *Service) deleteDestination(ctx context.Context, id uuid.UUID) (string, error) {
	var name string
	err := s.db.Pool.QueryRow(ctx, `DELETE FROM notification_destinations WHERE id = $1 RETURNING name`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrDestinationNotFound
	}
	return name, err
}

func (s *Service) listRoutes(ctx context.Context, id *uuid.UUID) ([]Route, error) {
	rows, err := s.db.Pool.Query(ctx, `
SELECT r.id, r.name, r.enabled, r.event_types, r.min_severity, r.host_group_ids, r.host_ids,
       coalesce(array_agg(rd.destination_id ORDER BY rd.destination_id) FILTER (WHERE rd.destination_id IS NOT NULL), '{}'),
       r.created_at, r.updated_at
FROM notification_routes r
LEFT JOIN notification_route_destinations rd ON rd.route_id = r.id
WHERE $1::uuid IS NULL OR r.id = $1
GROUP BY r.id
ORDER BY lower(r.name), r.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Route
	for rows.Next() {
		var r Route
		if err := rows.Scan(&r.ID, &r.Name, &r.Enabled, &r.EventTypes, &r.MinSeverity, &r.HostGroupIDs, &r.HostIDs,
			&r.DestinationIDs, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Service) saveRoute(ctx context.Context, id uuid.UUID, in RouteInput, create bool) error {
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM notification_destinations WHERE id = ANY($1)`, in.DestinationIDs).Scan(&n); err != nil {
			return err
		}
		if n != len(in.DestinationIDs) {
			return invalid("destination_ids", "Unknown destination")
		}
		if create {
			if _, err := tx.Exec(ctx, `INSERT INTO notification_routes (id, name, enabled, event_types, min_severity, host_group_ids, host_ids)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, in.Name, in.Enabled, in.EventTypes, in.MinSeverity, in.HostGroupIDs, in.HostIDs); err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE notification_routes SET name = $2, enabled = $3, event_types = $4, min_severity = $5,
				host_group_ids = $6, host_ids = $7, updated_at = now() WHERE id = $1`,
				id, in.Name, in.Enabled, in.EventTypes, in.MinSeverity, in.HostGroupIDs, in.HostIDs)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return ErrRouteNotFound
			}
			if _, err := tx.Exec(ctx, `DELETE FROM notification_route_destinations WHERE route_id = $1`, id); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO notification_route_destinations (route_id, destination_id)
			SELECT $1, unnest($2::uuid[])`, id, in.DestinationIDs)
		return err
	})
}

func (s *Service) deleteRoute(ctx context.Context, id uuid.UUID) (string, error) {
	var name string
	err := s.db.Pool.QueryRow(ctx, `DELETE FROM notification_routes WHERE id = $1 RETURNING name`, id).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrRouteNotFound
	}
	return name, err
}

// target is one destination an event goes to, through the first route that matched.
type target struct {
	destination uuid.UUID
	route       uuid.UUID
}

// sqlMatchRoutes finds the enabled destinations of enabled routes that match an event:
// $1 type, $2 the severities at or below the event's, $3 its host (or NULL).
const sqlMatchRoutes = `
SELECT DISTINCT ON (rd.destination_id) rd.destination_id, r.id
FROM notification_routes r
JOIN notification_route_destinations rd ON rd.route_id = r.id
JOIN notification_destinations d ON d.id = rd.destination_id AND d.enabled
WHERE r.enabled
  AND (cardinality(r.event_types) = 0 OR $1 = ANY (r.event_types))
  AND r.min_severity = ANY ($2)
  AND ((cardinality(r.host_ids) = 0 AND cardinality(r.host_group_ids) = 0)
       OR $3 = ANY (r.host_ids)
       OR EXISTS (SELECT 1 FROM host_group_memberships m
                  WHERE m.host_id = $3 AND m.host_group_id = ANY (r.host_group_ids)))
ORDER BY rd.destination_id, lower(r.name), r.id`

func (s *Service) matchRoutes(ctx context.Context, ev Event) ([]target, error) {
	rows, err := s.db.Pool.Query(ctx, sqlMatchRoutes, ev.Type, ev.Severity.atOrBelow(), ev.HostID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (target, error) {
		var t target
		err := r.Scan(&t.destination, &t.route)
		return t, err
	})
}

func (s *Service) insertDeliveries(ctx context.Context, targets []target, m *Message) error {
	msg, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		for _, t := range targets {
			if _, err := tx.Exec(ctx, `INSERT INTO notification_deliveries
				(destination_id, route_id, event_type, severity, title, message, max_attempts, next_attempt_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				t.destination, t.route, m.Event.Type, m.Event.Severity, m.Event.Title, msg, s.cfg.MaxAttempts, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
}

// lease is how long a claimed delivery is left alone before another worker may take it
// again (the claiming worker died mid-send).
func (s *Service) lease() time.Duration { return 2*s.cfg.SendTimeout + time.Minute }

// insertClaimedDelivery queues a delivery already claimed for its first attempt.
func (s *Service) insertClaimedDelivery(ctx context.Context, dest uuid.UUID, route *uuid.UUID, m *Message, maxAttempts int) (uuid.UUID, error) {
	msg, err := json.Marshal(m)
	if err != nil {
		return uuid.Nil, err
	}
	var id uuid.UUID
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO notification_deliveries
		(destination_id, route_id, event_type, severity, title, message, max_attempts, attempts, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id`,
		dest, route, m.Event.Type, m.Event.Severity, m.Event.Title, msg, maxAttempts, s.now().Add(s.lease())).Scan(&id)
	return id, err
}

// sqlClaimDue takes due deliveries: SKIP LOCKED lets concurrent workers take disjoint
// rows, and pushing next_attempt_at past the lease keeps them from being taken again
// after the claiming transaction commits.
const sqlClaimDue = `
WITH due AS (
    SELECT id FROM notification_deliveries
    WHERE status = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_deliveries x
SET attempts = x.attempts + 1, next_attempt_at = $1 + $3::interval, updated_at = now()
FROM due
WHERE x.id = due.id
RETURNING x.id, x.destination_id, x.message, x.attempts, x.max_attempts`

func (s *Service) claimDue(ctx context.Context, limit int) ([]claimed, error) {
	type row struct {
		id, dest        uuid.UUID
		msg             []byte
		attempt, maxAtt int
	}
	var rs []row
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		rs = rs[:0]
		rows, err := tx.Query(ctx, sqlClaimDue, s.now(), limit, s.lease())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.dest, &r.msg, &r.attempt, &r.maxAtt); err != nil {
				return err
			}
			rs = append(rs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	dests := map[uuid.UUID]*destRow{}
	out := make([]claimed, 0, len(rs))
	for _, r := range rs {
		d, ok := dests[r.dest]
		if !ok {
			if d, err = s.destination(ctx, r.dest); err != nil {
				if errors.Is(err, ErrDestinationNotFound) {
					continue // deleted meanwhile; its deliveries went with it
				}
				return nil, err
			}
			dests[r.dest] = d
		}
		c := claimed{ID: r.id, Dest: d, Attempt: r.attempt, MaxAttempts: r.maxAtt}
		if err := json.Unmarshal(r.msg, &c.Message); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) recordAttempt(ctx context.Context, job claimed, res SendResult, next time.Time) error {
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notification_delivery_attempts
			(delivery_id, attempt, succeeded, response_code, error, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			job.ID, job.Attempt, res.Succeeded, res.ResponseCode, res.Error, res.Duration.Milliseconds(), s.now()); err != nil {
			return err
		}
		var err error
		switch {
		case res.Succeeded:
			_, err = tx.Exec(ctx, `UPDATE notification_deliveries SET status = 'succeeded', last_error = '',
				response_code = $2, delivered_at = $3, updated_at = now() WHERE id = $1`, job.ID, res.ResponseCode, s.now())
		case res.WillRetry:
			_, err = tx.Exec(ctx, `UPDATE notification_deliveries SET last_error = $2, response_code = $3,
				next_attempt_at = $4, updated_at = now() WHERE id = $1`, job.ID, res.Error, res.ResponseCode, next)
		default:
			_, err = tx.Exec(ctx, `UPDATE notification_deliveries SET status = 'failed', last_error = $2,
				response_code = $3, updated_at = now() WHERE id = $1`, job.ID, res.Error, res.ResponseCode)
		}
		return err
	})
}

func (s *Service) listDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, int, error) {
	const where = `WHERE ($1::uuid IS NULL OR x.destination_id = $1) AND ($2 = '' OR x.status = $2) AND ($3 = '' OR x.event_type = $3)`
	var total int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM notification_deliveries x `+where,
		f.DestinationID, f.Status, f.EventType).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, `
SELECT x.id, x.destination_id, d.name, d.type, x.route_id, x.event_type, x.severity, x.title, x.status,
       x.attempts, x.max_attempts, x.next_attempt_at, x.last_error, x.response_code, x.delivered_at, x.created_at
FROM notification_deliveries x JOIN notification_destinations d ON d.id = x.destination_id
`+where+`
ORDER BY x.created_at DESC, x.id
LIMIT $4 OFFSET $5`, f.DestinationID, f.Status, f.EventType, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	var out []Delivery
	idx := map[uuid.UUID]int{}
	var ids []uuid.UUID
	for rows.Next() {
		var d Delivery
		var next time.Time
		if err := rows.Scan(&d.ID, &d.DestinationID, &d.DestinationName, &d.DestinationType, &d.RouteID, &d.EventType,
			&d.Severity, &d.Title, &d.Status, &d.Attempts, &d.MaxAttempts, &next, &d.LastError, &d.ResponseCode,
			&d.DeliveredAt, &d.CreatedAt); err != nil {
			rows.Close()
			return nil, 0, err
		}
		if d.Status == "pending" {
			d.NextAttemptAt = &next
		}
		idx[d.ID] = len(out)
		ids = append(ids, d.ID)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(ids) == 0 {
		return out, total, nil
	}
	arows, err := s.db.Pool.Query(ctx, `SELECT delivery_id, attempt, succeeded, response_code, error, duration_ms, created_at
		FROM notification_delivery_attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt, id`, ids)
	if err != nil {
		return nil, 0, err
	}
	defer arows.Close()
	for arows.Next() {
		var id uuid.UUID
		var a Attempt
		if err := arows.Scan(&id, &a.Attempt, &a.Succeeded, &a.ResponseCode, &a.Error, &a.DurationMs, &a.At); err != nil {
			return nil, 0, err
		}
		out[idx[id]].Log = append(out[idx[id]].Log, a)
	}
	return out, total, arows.Err()
}

func (s *Service) prune(ctx context.Context, before time.Time) error {
	_, err := s.db.Pool.Exec(ctx, `DELETE FROM notification_deliveries WHERE status <> 'pending' AND created_at < $1`, before)
	return err
}

func (s *Service) targets(ctx context.Context) (groups, hosts []HostRef, err error) {
	collect := func(q string) ([]HostRef, error) {
		rows, err := s.db.Pool.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (HostRef, error) {
			var h HostRef
			err := r.Scan(&h.ID, &h.Name)
			return h, err
		})
	}
	if groups, err = collect(`SELECT id, name FROM host_groups ORDER BY lower(name)`); err != nil {
		return nil, nil, err
	}
	hosts, err = collect(`SELECT id, friendly_name FROM hosts ORDER BY lower(friendly_name), id`)
	return groups, hosts, err
}
