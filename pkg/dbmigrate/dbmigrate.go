// Package dbmigrate applies PatchMon's forward-only SQL migrations (package migrations) and
// River's job-queue migrations from one entry point.
//
// Every run holds a PostgreSQL advisory lock, so replicas starting together migrate once and
// the others wait, then find nothing to do. Each migration runs in its own transaction
// together with its bookkeeping row: a failing migration rolls back completely and is
// retried on the next start; there is no "dirty" state to repair by hand.
//
// The API is stable.
package dbmigrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/patchmon-go/patchmon/migrations"
)

// lockKey is the advisory lock taken while migrating ("patchmon" in ASCII).
const lockKey int64 = 0x7061746368_6d6f6e

// Migration is one SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string
}

// Applied describes a migration's state in a database.
type Applied struct {
	Migration
	AppliedAt *time.Time // nil when pending
	// Modified is true when the file changed after it was applied.
	Modified bool
}

// Status is the schema state of a database.
type Status struct {
	Migrations   []Applied
	RiverCurrent int // highest River migration applied
	RiverLatest  int // highest River migration this build knows
}

// Pending counts migrations not yet applied, River's included.
func (s Status) Pending() int {
	n := s.RiverLatest - s.RiverCurrent
	for _, m := range s.Migrations {
		if m.AppliedAt == nil {
			n++
		}
	}
	return n
}

// Config configures a Migrator.
type Config struct {
	// FS holds NNNN_name.sql files. Default: the embedded migrations.FS.
	FS fs.FS
	// Logger receives one line per applied migration. Default: discard.
	Logger *slog.Logger
	// SkipRiver leaves River's tables alone. Default: false.
	SkipRiver bool
}

// Migrator applies migrations to one database.
type Migrator struct {
	pool *pgxpool.Pool
	cfg  Config
	list []Migration
}

// New reads the migration files; it does not touch the database.
func New(pool *pgxpool.Pool, cfg Config) (*Migrator, error) {
	if pool == nil {
		return nil, errors.New("dbmigrate: pool is required")
	}
	if cfg.FS == nil {
		cfg.FS = migrations.FS
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	list, err := Load(cfg.FS)
	if err != nil {
		return nil, err
	}
	return &Migrator{pool: pool, cfg: cfg, list: list}, nil
}

// Load reads and orders NNNN_name.sql files, rejecting gaps and duplicate numbers.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("dbmigrate: read migrations: %w", err)
	}
	var list []Migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("dbmigrate: %s: file names must look like 0001_description.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("dbmigrate: %s and %s share number %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		list = append(list, Migration{Version: v, Name: name, SQL: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Version < list[j].Version })
	for i, m := range list {
		if m.Version != i+1 {
			return nil, fmt.Errorf("dbmigrate: migration %04d is missing (found %04d_%s)", i+1, m.Version, m.Name)
		}
	}
	return list, nil
}

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Up applies River's and then PatchMon's pending migrations and returns PatchMon's newly
// applied ones. Concurrent callers on other connections or replicas wait for the lock.
func (m *Migrator) Up(ctx context.Context) ([]Migration, error) {
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbmigrate: acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return nil, fmt.Errorf("dbmigrate: take migration lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released even when ctx was cancelled.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
			conn.Conn().Close(uctx) // closing the session releases the lock
		}
	}()

	if !m.cfg.SkipRiver {
		migrator, err := rivermigrate.New(riverpgxv5.New(m.pool), &rivermigrate.Config{Logger: m.riverLogger()})
		if err != nil {
			return nil, fmt.Errorf("dbmigrate: river: %w", err)
		}
		res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return nil, fmt.Errorf("dbmigrate: river migrations: %w", err)
		}
		for _, v := range res.Versions {
			m.cfg.Logger.InfoContext(ctx, "applied river migration", "version", v.Version, "name", v.Name)
		}
	}

	if _, err := conn.Exec(ctx, createTable); err != nil {
		return nil, fmt.Errorf("dbmigrate: create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	var applied []Migration
	for _, mig := range m.list {
		if _, ok := done[mig.Version]; ok {
			continue
		}
		start := time.Now()
		if err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, mig.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
				mig.Version, mig.Name, mig.Checksum)
			return err
		}); err != nil {
			return applied, fmt.Errorf("dbmigrate: migration %04d_%s failed and was rolled back (it will be retried on the next start): %w",
				mig.Version, mig.Name, err)
		}
		m.cfg.Logger.InfoContext(ctx, "applied migration", "version", mig.Version, "name", mig.Name,
			"duration_ms", time.Since(start).Milliseconds())
		applied = append(applied, mig)
	}
	return applied, nil
}

type appliedRow struct {
	at       time.Time
	checksum string
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]appliedRow, error) {
	rows, err := conn.Query(ctx, `SELECT version, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("dbmigrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]appliedRow{}
	for rows.Next() {
		var v int
		var r appliedRow
		if err := rows.Scan(&v, &r.checksum, &r.at); err != nil {
			return nil, err
		}
		out[v] = r
	}
	return out, rows.Err()
}

// Status reports which migrations are applied, without changing anything.
func (m *Migrator) Status(ctx context.Context) (Status, error) {
	var st Status
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return st, fmt.Errorf("dbmigrate: acquire connection: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return st, err
	}
	done := map[int]appliedRow{}
	if exists {
		if done, err = appliedVersions(ctx, conn.Conn()); err != nil {
			return st, err
		}
	}
	for _, mig := range m.list {
		a := Applied{Migration: mig}
		if r, ok := done[mig.Version]; ok {
			at := r.at
			a.AppliedAt = &at
			a.Modified = r.checksum != mig.Checksum
		}
		st.Migrations = append(st.Migrations, a)
	}
	if !m.cfg.SkipRiver {
		migrator, err := rivermigrate.New(riverpgxv5.New(m.pool), &rivermigrate.Config{Logger: m.riverLogger()})
		if err != nil {
			return st, err
		}
		all := migrator.AllVersions()
		if len(all) > 0 {
			st.RiverLatest = all[len(all)-1].Version
		}
		var riverExists bool
		if err := conn.QueryRow(ctx, `SELECT to_regclass('river_migration') IS NOT NULL`).Scan(&riverExists); err != nil {
			return st, err
		}
		if riverExists {
			existing, err := migrator.ExistingVersions(ctx)
			if err != nil {
				return st, fmt.Errorf("dbmigrate: river status: %w", err)
			}
			for _, v := range existing {
				st.RiverCurrent = max(st.RiverCurrent, v.Version)
			}
		}
	}
	return st, nil
}

// Migrations returns the migrations this build carries.
func (m *Migrator) Migrations() []Migration { return append([]Migration(nil), m.list...) }

// riverLogger passes on River's warnings and errors only: applied River migrations are
// logged by Up itself, in the same shape as PatchMon's own.
func (m *Migrator) riverLogger() *slog.Logger {
	return slog.New(minLevel{Handler: m.cfg.Logger.Handler(), min: slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
