// Package db wraps the PostgreSQL pool with the behaviour every store shares: bounded waits
// for a pooled connection (DB_POOL_TIMEOUT), bounded transactions (DB_TRANSACTION_*), and
// automatic retry of transactions that lost a serialization conflict or a deadlock.
//
// Stores take a *DB and keep their SQL to themselves. The API is stable.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrPoolExhausted is returned when no pooled connection became free within PoolTimeout.
var ErrPoolExhausted = errors.New("database connection pool exhausted")

// Options bound how long database work may wait and run.
type Options struct {
	// PoolTimeout bounds the wait for a free pooled connection. Default: 20s.
	PoolTimeout time.Duration
	// TxMaxWait bounds the wait to begin a transaction. Default: 10s.
	TxMaxWait time.Duration
	// TxTimeout bounds a standard transaction. Default: 30s.
	TxTimeout time.Duration
	// LongTxTimeout bounds bulk transactions. Default: 60s.
	LongTxTimeout time.Duration
	// MaxRetries is how often a transaction is retried after a serialization failure or a
	// deadlock. Default: 5.
	MaxRetries int
	// Logger receives pool-exhaustion warnings. Default: discard.
	Logger *slog.Logger
}

// DB is a pool plus the rules above.
type DB struct {
	Pool *pgxpool.Pool
	opts Options
}

// New wraps pool.
func New(pool *pgxpool.Pool, opts Options) *DB {
	if opts.PoolTimeout <= 0 {
		opts.PoolTimeout = 20 * time.Second
	}
	if opts.TxMaxWait <= 0 {
		opts.TxMaxWait = 10 * time.Second
	}
	if opts.TxTimeout <= 0 {
		opts.TxTimeout = 30 * time.Second
	}
	if opts.LongTxTimeout <= 0 {
		opts.LongTxTimeout = 60 * time.Second
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &DB{Pool: pool, opts: opts}
}

// Acquire takes a pooled connection, waiting at most PoolTimeout.
func (d *DB) Acquire(ctx context.Context) (*pgxpool.Conn, error) {
	return d.acquire(ctx, d.opts.PoolTimeout)
}

func (d *DB) acquire(ctx context.Context, wait time.Duration) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	conn, err := d.Pool.Acquire(actx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			st := d.Pool.Stat()
			d.opts.Logger.ErrorContext(ctx, "DATABASE CONNECTION POOL EXHAUSTED: increase DB_CONNECTION_LIMIT",
				"limit", st.MaxConns(), "in_use", st.AcquiredConns(), "waited", wait.String())
			return nil, fmt.Errorf("%w after %s (DB_CONNECTION_LIMIT=%d)", ErrPoolExhausted, wait, st.MaxConns())
		}
		return nil, err
	}
	return conn, nil
}

// Tx runs fn in a transaction bounded by TxTimeout, retrying it from the start when
// PostgreSQL reports a serialization failure or deadlock. fn must be safe to run again.
func (d *DB) Tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return d.tx(ctx, d.opts.TxTimeout, fn)
}

// LongTx is Tx for bulk work, bounded by LongTxTimeout.
func (d *DB) LongTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return d.tx(ctx, d.opts.LongTxTimeout, fn)
}

func (d *DB) tx(ctx context.Context, timeout time.Duration, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt <= d.opts.MaxRetries; attempt++ {
		if attempt > 0 {
			// Small growing pause so the transactions that collided do not collide again.
			select {
			case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err = d.once(ctx, timeout, fn)
		if !Retryable(err) {
			return err
		}
	}
	return err
}

func (d *DB) once(ctx context.Context, timeout time.Duration, fn func(pgx.Tx) error) error {
	conn, err := d.acquire(ctx, min(d.opts.PoolTimeout, d.opts.TxMaxWait))
	if err != nil {
		return err
	}
	defer conn.Release()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return pgx.BeginFunc(tctx, conn, fn)
}

// Retryable reports whether err is a serialization failure (40001) or deadlock (40P01).
func Retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint violation (23505), optionally
// of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}
