package inventory

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer is what DeleteHosts needs: a pool, a connection or a transaction.
type Execer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// sqlDeleteHostsInOrder locks the hosts in id order before deleting them. Agent
// reports and presence writes lock one host at a time, so a deletion that takes
// its rows in a fixed order can wait for them but never deadlock with them, nor
// with another deletion of overlapping hosts.
const sqlDeleteHostsInOrder = `
WITH locked AS MATERIALIZED (
    SELECT id FROM hosts WHERE id = ANY($1) ORDER BY id FOR UPDATE
)
DELETE FROM hosts WHERE id IN (SELECT id FROM locked) RETURNING id`

// DeleteHosts deletes the hosts with the given ids and everything that belongs
// to them (packages, repositories, history, presence) and returns the ids that
// existed. Use it for every deletion of more than one host.
func DeleteHosts(ctx context.Context, q Execer, ids []uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, sqlDeleteHostsInOrder, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}
