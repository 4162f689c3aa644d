package agenthub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

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

// Lock order. Deleting a host locks its hosts row and then, through ON DELETE
// CASCADE, its presence and event rows. Every presence write therefore locks the
// hosts row first (FOR KEY SHARE, which does not block reports updating the host)
// and only then its presence row, and each write is its own transaction, so a
// presence write never holds one host while waiting for another. Statements that
// touch several hosts take the hosts rows in id order.

// The online write only moves a row forward: a connection older than the one
// recorded (a late write from another replica) is ignored while the recorded
// one is online. A transition is logged only when the status changes.
const sqlPresenceOnline = `
WITH h AS (
    SELECT id FROM hosts WHERE id = $1 FOR KEY SHARE
), prev AS (
    SELECT status FROM agent_presence WHERE host_id = $1
), up AS (
    INSERT INTO agent_presence AS p (host_id, status, replica_id, connection_id, connected_at,
                                     secure, remote_addr, user_agent, updated_at)
    SELECT h.id, 'online', $2, $3, $4, $5, $6, $7, now() FROM h
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
WITH h AS (
    SELECT id FROM hosts WHERE id = $1 FOR KEY SHARE
), up AS (
    UPDATE agent_presence SET status = 'offline', disconnected_at = $3, disconnect_reason = $4, updated_at = now()
    WHERE host_id = (SELECT id FROM h) AND connection_id = $2 AND status = 'online'
    RETURNING host_id, replica_id
), ev AS (
    INSERT INTO agent_status_events (host_id, status, reason, replica_id, occurred_at)
    SELECT host_id, 'offline', $4, replica_id, $3 FROM up
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM up) THEN 'online' ELSE 'offline' END, EXISTS (SELECT 1 FROM up)`

// Parameter types of the two statements, sent with them so that nothing is
// inferred.
var (
	onlineParamOIDs  = []uint32{pgtype.UUIDOID, pgtype.TextOID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.BoolOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID}
	offlineParamOIDs = []uint32{pgtype.UUIDOID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.TextOID}
)

// applyPresence writes ops in order in one round trip, each op in a transaction
// of its own (a pipeline with a sync point after every statement): one failing
// op (a host deleted at the wrong moment) loses nothing else, and no
// transaction ever holds locks on two hosts.
func (s *store) applyPresence(ctx context.Context, replica string, ops []presenceOp) ([]presenceResult, error) {
	out := make([]presenceResult, len(ops))
	conn, err := s.db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	pl := conn.Conn().PgConn().StartPipeline(ctx)
	for _, op := range ops {
		sql, oids, params := opStatement(replica, op)
		pl.SendQueryParams(sql, params, oids, nil, nil)
		pl.SendPipelineSync()
	}
	if err := pl.Flush(); err != nil {
		_ = pl.Close()
		return nil, err
	}
	var errs []error
	for i, op := range ops {
		res, err := pl.GetResults()
		if err == nil {
			rr, ok := res.(*pgconn.ResultReader)
			if !ok {
				err = fmt.Errorf("unexpected pipeline result %T", res)
			} else {
				out[i], err = readPresence(rr)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("host %s: %w", op.host.ID, err))
			out[i] = presenceResult{}
		}
		if _, err := pl.GetResults(); err != nil { // the op's sync point
			errs = append(errs, err)
			break
		}
	}
	if err := pl.Close(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// opStatement is the statement, parameter types and text-format parameters of op.
func opStatement(replica string, op presenceOp) (string, []uint32, [][]byte) {
	at := []byte(op.at.UTC().Format(time.RFC3339Nano))
	if op.online {
		return sqlPresenceOnline, onlineParamOIDs, [][]byte{
			[]byte(op.host.ID.String()), []byte(replica), []byte(op.connID), at,
			[]byte(strconv.FormatBool(op.secure)), []byte(op.remoteAddr), []byte(op.userAgent), []byte(op.reason),
		}
	}
	return sqlPresenceOffline, offlineParamOIDs, [][]byte{[]byte(op.host.ID.String()), []byte(op.connID), at, []byte(op.reason)}
}

// readPresence reads the one row a presence statement returns.
func readPresence(rr *pgconn.ResultReader) (presenceResult, error) {
	var r presenceResult
	rows := 0
	for rr.NextRow() {
		v := rr.Values()
		if len(v) != 2 {
			continue
		}
		rows++
		r.previous = Status(v[0])
		r.applied = string(v[1]) == "t"
	}
	if _, err := rr.Close(); err != nil {
		return presenceResult{}, err
	}
	if rows != 1 {
		return presenceResult{}, fmt.Errorf("presence statement returned %d rows", rows)
	}
	return r, nil
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
WITH h AS (
    SELECT h.id FROM hosts h JOIN agent_presence p ON p.host_id = h.id
    WHERE p.replica_id = $1 AND p.status = 'online'
    ORDER BY h.id FOR KEY SHARE OF h
), up AS (
    UPDATE agent_presence SET status = 'offline', disconnected_at = now(), disconnect_reason = $2, updated_at = now()
    WHERE host_id IN (SELECT id FROM h) AND replica_id = $1 AND status = 'online'
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

// Rows a host deletion is removing at the same moment are skipped, not waited for.
const sqlPruneEvents = `
DELETE FROM agent_status_events WHERE id IN (
    SELECT id FROM agent_status_events WHERE occurred_at < $1 FOR UPDATE SKIP LOCKED)`

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
