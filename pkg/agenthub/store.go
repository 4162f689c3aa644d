package agenthub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
)

// store holds the hub's SQL: its own tables (migration 0004) and read-only
// lookups of hosts and host group memberships (migration 0003).
type store struct{ db *db.DB }

// presenceOp is one connect or disconnect waiting to be written.
type presenceOp struct {
	online bool
	host   HostRef
	connID string
	at     time.Time
	reason string
	// online only
	secure     bool
	remoteAddr string
	userAgent  string
}

// presenceResult is what the database said about one op.
type presenceResult struct {
	applied  bool   // the row was changed (false: host gone, or a stale write)
	previous Status // status before the op
}

// The online write only moves a row forward: a connection older than the one
// recorded (a late write from another replica) is ignored while the recorded
// one is online. A transition is logged only when the status changes.
const sqlPresenceOnline = `
WITH prev AS (
    SELECT status FROM agent_presence WHERE host_id = $1
), up AS (
    INSERT INTO agent_presence AS p (host_id, status, replica_id, connection_id, connected_at,
                                     secure, remote_addr, user_agent, updated_at)
    SELECT $1, 'online', $2, $3, $4, $5, $6, $7, now()
    WHERE EXISTS (SELECT 1 FROM hosts WHERE id = $1)
    ON CONFLICT (host_id) DO UPDATE SET
        status = 'online', replica_id = EXCLUDED.replica_id, connection_id = EXCLUDED.connection_id,
        connected_at = EXCLUDED.connected_at, secure = EXCLUDED.secure,
        remote_addr = EXCLUDED.remote_addr, user_agent = EXCLUDED.user_agent,
        disconnect_reason = '', updated_at = now()
    WHERE p.status = 'offline' OR p.connected_at <= EXCLUDED.connected_at
    RETURNING host_id
), ev AS (
    INSERT INTO agent_status_events (host_id, status, reason, replica_id, occurred_at)
    SELECT host_id, 'online', $8, $2, $4 FROM up
    WHERE COALESCE((SELECT status FROM prev), 'offline') <> 'online'
)
SELECT COALESCE((SELECT status FROM prev), 'offline'), EXISTS (SELECT 1 FROM up)`

// The offline write applies only to the connection it is about.
const sqlPresenceOffline = `
WITH up AS (
    UPDATE agent_presence SET status = 'offline', disconnected_at = $3, disconnect_reason = $4, updated_at = now()
    WHERE host_id = $1 AND connection_id = $2 AND status = 'online'
    RETURNING host_id, replica_id
), ev AS (
    INSERT INTO agent_status_events (host_id, status, reason, replica_id, occurred_at)
    SELECT host_id, 'offline', $4, replica_id, $3 FROM up
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM up) THEN 'online' ELSE 'offline' END, EXISTS (SELECT 1 FROM up)`

// applyPresence writes ops in order, in one round trip. It falls back to one
// statement at a time when the batch fails, so that one bad op (a host deleted
// at the wrong moment) cannot lose the others.
func (s *store) applyPresence(ctx context.Context, replica string, ops []presenceOp) ([]presenceResult, error) {
	out := make([]presenceResult, len(ops))
	conn, err := s.db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	batch := &pgx.Batch{}
	for _, op := range ops {
		queueOp(batch, replica, op)
	}
	br := conn.SendBatch(ctx, batch)
	for i := range ops {
		var prev string
		if err = br.QueryRow().Scan(&prev, &out[i].applied); err != nil {
			break
		}
		out[i].previous = Status(prev)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		return out, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	var errs []error
	for i, op := range ops {
		b := &pgx.Batch{}
		queueOp(b, replica, op)
		var prev string
		if err := conn.SendBatch(ctx, b).QueryRow().Scan(&prev, &out[i].applied); err != nil {
			errs = append(errs, fmt.Errorf("host %s: %w", op.host.ID, err))
			out[i] = presenceResult{}
			continue
		}
		out[i].previous = Status(prev)
	}
	return out, errors.Join(errs...)
}

func queueOp(b *pgx.Batch, replica string, op presenceOp) {
	if op.online {
		b.Queue(sqlPresenceOnline, op.host.ID, replica, op.connID, op.at, op.secure, op.remoteAddr, op.userAgent, op.reason)
		return
	}
	b.Queue(sqlPresenceOffline, op.host.ID, op.connID, op.at, op.reason)
}

// onlineRow is a host the database records as online.
type onlineRow struct {
	host        HostRef
	replica     string
	connID      string
	connectedAt time.Time
	secure      bool
}

const sqlOnline = `
SELECT p.host_id, h.api_id, p.replica_id, p.connection_id, p.connected_at, p.secure
FROM agent_presence p JOIN hosts h ON h.id = p.host_id
WHERE p.status = 'online'`

func (s *store) online(ctx context.Context) ([]onlineRow, error) {
	rows, err := s.db.Pool.Query(ctx, sqlOnline)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (onlineRow, error) {
		var o onlineRow
		err := r.Scan(&o.host.ID, &o.host.APIID, &o.replica, &o.connID, &o.connectedAt, &o.secure)
		return o, err
	})
}

const sqlExpireReplica = `
WITH up AS (
    UPDATE agent_presence SET status = 'offline', disconnected_at = now(), disconnect_reason = $2, updated_at = now()
    WHERE replica_id = $1 AND status = 'online'
    RETURNING host_id, connection_id, disconnected_at
), ev AS (
    INSERT INTO agent_status_events (host_id, status, reason, replica_id, occurred_at)
    SELECT host_id, 'offline', $2, $1, disconnected_at FROM up
)
SELECT up.host_id, h.api_id, up.connection_id, up.disconnected_at FROM up JOIN hosts h ON h.id = up.host_id`

// expiredHost is a host taken offline because its replica was lost.
type expiredHost struct {
	host   HostRef
	connID string
	at     time.Time
}

// expireReplica marks every host online through replica offline. Several
// replicas may do this at once; each host is returned to only one of them.
func (s *store) expireReplica(ctx context.Context, replica string) ([]expiredHost, error) {
	rows, err := s.db.Pool.Query(ctx, sqlExpireReplica, replica, ReasonReplicaLost)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (expiredHost, error) {
		var e expiredHost
		err := r.Scan(&e.host.ID, &e.host.APIID, &e.connID, &e.at)
		return e, err
	})
}

// hostPresence is a host with its recorded presence.
type hostPresence struct {
	host           HostRef
	friendlyName   string
	known          bool // it has a presence row
	status         Status
	replica        string
	connID         string
	connectedAt    time.Time
	disconnectedAt *time.Time
	reason         string
	secure         bool
}

const sqlHostPresence = `
SELECT h.id, h.api_id, h.friendly_name, p.host_id IS NOT NULL, COALESCE(p.status, 'offline'),
       COALESCE(p.replica_id, ''), COALESCE(p.connection_id, ''), p.connected_at, p.disconnected_at,
       COALESCE(p.disconnect_reason, ''), COALESCE(p.secure, false)
FROM hosts h LEFT JOIN agent_presence p ON p.host_id = h.id`

// presenceByAPIID returns the host with api_id, or ErrHostNotFound.
func (s *store) presenceByAPIID(ctx context.Context, apiID string) (hostPresence, error) {
	return s.presenceWhere(ctx, sqlHostPresence+` WHERE h.api_id = $1`, apiID)
}

// presenceByID returns the host with id, or ErrHostNotFound.
func (s *store) presenceByID(ctx context.Context, id uuid.UUID) (hostPresence, error) {
	return s.presenceWhere(ctx, sqlHostPresence+` WHERE h.id = $1`, id)
}

func (s *store) presenceWhere(ctx context.Context, query string, arg any) (hostPresence, error) {
	var p hostPresence
	var connectedAt *time.Time
	var status string
	err := s.db.Pool.QueryRow(ctx, query, arg).Scan(&p.host.ID, &p.host.APIID, &p.friendlyName, &p.known, &status,
		&p.replica, &p.connID, &connectedAt, &p.disconnectedAt, &p.reason, &p.secure)
	if errors.Is(err, pgx.ErrNoRows) {
		return hostPresence{}, ErrHostNotFound
	}
	if err != nil {
		return hostPresence{}, err
	}
	p.status = Status(status)
	if connectedAt != nil {
		p.connectedAt = *connectedAt
	}
	return p, nil
}

const sqlGeneration = `SELECT credentials_generation FROM hosts WHERE id = $1`

// current reports whether host still exists with the credentials generation
// it was authenticated with.
func (s *store) current(ctx context.Context, host HostRef) (bool, error) {
	var gen int32
	err := s.db.Pool.QueryRow(ctx, sqlGeneration, host.ID).Scan(&gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return gen == host.Generation, nil
}

const sqlCountHosts = `SELECT count(*) FROM hosts`

func (s *store) countHosts(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, sqlCountHosts).Scan(&n)
	return n, err
}

const (
	sqlTargetHosts = `
SELECT id, api_id FROM hosts
WHERE $3 OR id = ANY($1)
   OR id IN (SELECT host_id FROM host_group_memberships WHERE host_group_id = ANY($2))
ORDER BY id`
	sqlCountIDs    = `SELECT count(*) FROM hosts WHERE id = ANY($1)`
	sqlCountGroups = `SELECT count(*) FROM host_groups WHERE id = ANY($1)`
)

// resolve returns the hosts a target names, sorted by id. Naming a host or group
// that does not exist is an error (ErrHostNotFound, ErrGroupNotFound).
func (s *store) resolve(ctx context.Context, t Target) ([]HostRef, error) {
	hostIDs, groupIDs := dedupe(t.HostIDs), dedupe(t.GroupIDs)
	if len(hostIDs) > 0 {
		var n int
		if err := s.db.Pool.QueryRow(ctx, sqlCountIDs, hostIDs).Scan(&n); err != nil {
			return nil, err
		}
		if n != len(hostIDs) {
			return nil, ErrHostNotFound
		}
	}
	if len(groupIDs) > 0 {
		var n int
		if err := s.db.Pool.QueryRow(ctx, sqlCountGroups, groupIDs).Scan(&n); err != nil {
			return nil, err
		}
		if n != len(groupIDs) {
			return nil, ErrGroupNotFound
		}
	}
	rows, err := s.db.Pool.Query(ctx, sqlTargetHosts, hostIDs, groupIDs, t.All)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (HostRef, error) {
		var h HostRef
		err := r.Scan(&h.ID, &h.APIID)
		return h, err
	})
}

func dedupe(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

const sqlPruneEvents = `DELETE FROM agent_status_events WHERE occurred_at < $1`

// prune deletes status history older than cutoff.
func (s *store) prune(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlPruneEvents, cutoff)
	return tag.RowsAffected(), err
}

// statusEvent is one recorded transition.
type statusEvent struct {
	Status  Status
	Reason  string
	Replica string
	At      time.Time
}

const sqlHistory = `
SELECT status, reason, replica_id, occurred_at FROM agent_status_events
WHERE host_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2`

// history returns a host's latest transitions, newest first.
func (s *store) history(ctx context.Context, host uuid.UUID, limit int) ([]statusEvent, error) {
	rows, err := s.db.Pool.Query(ctx, sqlHistory, host, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (statusEvent, error) {
		var e statusEvent
		var st string
		err := r.Scan(&st, &e.Reason, &e.Replica, &e.At)
		e.Status = Status(st)
		return e, err
	})
}
