package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Run statuses in the job history.
const (
	StatusActive    = "active"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Run is one attempt of a job, as recorded in job_history.
type Run struct {
	ID         int64
	JobName    string
	RiverJobID int64
	Attempt    int
	// Status is StatusActive, StatusCompleted or StatusFailed. A failed attempt that River
	// retries is followed by a new Run with the next Attempt number.
	Status     string
	HostID     *uuid.UUID
	HostName   string // the host's friendly name, when HostID is set
	Trigger    string // "schedule" or "manual"
	Replica    string
	StartedAt  time.Time
	FinishedAt *time.Time
	Duration   time.Duration
	Error      string
	Output     string
}

// Filter selects runs for History. Zero fields select everything.
type Filter struct {
	JobName string
	HostID  *uuid.UUID
	Status  string
	// Limit caps the runs returned (newest first). Default: 50; at most 500.
	Limit  int
	Offset int
}

// JobSummary is one registered job with its latest run.
type JobSummary struct {
	Job
	LastRun *Run
	// Runs, Failures count the recorded attempts.
	Runs, Failures int64
}

type historyStore struct{ pool *pgxpool.Pool }

const (
	sqlRunStart = `INSERT INTO job_history (job_name, river_job_id, attempt, status, host_id, trigger, replica, started_at)
VALUES ($1, $2, $3, 'active', $4, $5, $6, $7) RETURNING id`
	sqlRunFinish = `UPDATE job_history SET status = $2, error = $3, output = $4, finished_at = now(), duration_ms = $5 WHERE id = $1`
	sqlRunCols   = `j.id, j.job_name, COALESCE(j.river_job_id, 0), j.attempt, j.status, j.host_id, COALESCE(h.friendly_name, ''),
j.trigger, j.replica, j.started_at, j.finished_at, COALESCE(j.duration_ms, 0), j.error, j.output`
	sqlRunList = `SELECT ` + sqlRunCols + ` FROM job_history j LEFT JOIN hosts h ON h.id = j.host_id
WHERE ($1 = '' OR j.job_name = $1) AND ($2::uuid IS NULL OR j.host_id = $2) AND ($3 = '' OR j.status = $3)
ORDER BY j.started_at DESC, j.id DESC LIMIT $4 OFFSET $5`
	sqlRunCount = `SELECT count(*) FROM job_history j
WHERE ($1 = '' OR j.job_name = $1) AND ($2::uuid IS NULL OR j.host_id = $2) AND ($3 = '' OR j.status = $3)`
	sqlLastRuns = `SELECT DISTINCT ON (j.job_name) ` + sqlRunCols + ` FROM job_history j LEFT JOIN hosts h ON h.id = j.host_id
ORDER BY j.job_name, j.started_at DESC, j.id DESC`
	sqlRunCounts = `SELECT job_name, count(*), count(*) FILTER (WHERE status = 'failed') FROM job_history GROUP BY job_name`
	sqlRunPrune  = `DELETE FROM job_history WHERE started_at < now() - $1::interval`
)

func (s *historyStore) start(ctx context.Context, name string, riverID int64, attempt int, host *uuid.UUID, trigger, replica string, at time.Time) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, sqlRunStart, name, riverID, attempt, host, trigger, replica, at).Scan(&id)
	return id, err
}

func (s *historyStore) finish(ctx context.Context, id int64, runErr error, out string, d time.Duration) error {
	status, msg := StatusCompleted, ""
	if runErr != nil {
		status, msg = StatusFailed, runErr.Error()
		if len(msg) > 4000 {
			msg = msg[:4000]
		}
	}
	_, err := s.pool.Exec(ctx, sqlRunFinish, id, status, msg, out, d.Milliseconds())
	return err
}

func scanRun(row pgx.Row) (Run, error) {
	var r Run
	var ms int64
	err := row.Scan(&r.ID, &r.JobName, &r.RiverJobID, &r.Attempt, &r.Status, &r.HostID, &r.HostName, &r.Trigger,
		&r.Replica, &r.StartedAt, &r.FinishedAt, &ms, &r.Error, &r.Output)
	r.Duration = time.Duration(ms) * time.Millisecond
	return r, err
}

// History returns the runs f selects, newest first, and how many match in all.
func (s *Service) History(ctx context.Context, f Filter) ([]Run, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	rows, err := s.cfg.Pool.Query(ctx, sqlRunList, f.JobName, f.HostID, f.Status, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("jobs: history: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Run, error) { return scanRun(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("jobs: history: %w", err)
	}
	var total int64
	if err := s.cfg.Pool.QueryRow(ctx, sqlRunCount, f.JobName, f.HostID, f.Status).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("jobs: history: %w", err)
	}
	return runs, total, nil
}

// Summaries lists every registered job with its latest run and counts.
func (s *Service) Summaries(ctx context.Context) ([]JobSummary, error) {
	rows, err := s.cfg.Pool.Query(ctx, sqlLastRuns)
	if err != nil {
		return nil, fmt.Errorf("jobs: summaries: %w", err)
	}
	last := map[string]Run{}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Run, error) { return scanRun(row) })
	if err != nil {
		return nil, fmt.Errorf("jobs: summaries: %w", err)
	}
	for _, r := range runs {
		last[r.JobName] = r
	}
	counts := map[string][2]int64{}
	crow, err := s.cfg.Pool.Query(ctx, sqlRunCounts)
	if err != nil {
		return nil, fmt.Errorf("jobs: summaries: %w", err)
	}
	defer crow.Close()
	for crow.Next() {
		var n string
		var c [2]int64
		if err := crow.Scan(&n, &c[0], &c[1]); err != nil {
			return nil, err
		}
		counts[n] = c
	}
	if err := crow.Err(); err != nil {
		return nil, err
	}
	out := make([]JobSummary, 0, len(s.names))
	for _, n := range s.names {
		js := JobSummary{Job: s.jobs[n], Runs: counts[n][0], Failures: counts[n][1]}
		if r, ok := last[n]; ok {
			js.LastRun = &r
		}
		out = append(out, js)
	}
	return out, nil
}

// PruneHistory deletes runs that started more than keep ago and returns how many.
func (s *Service) PruneHistory(ctx context.Context, keep time.Duration) (int64, error) {
	if keep <= 0 {
		return 0, errors.New("jobs: PruneHistory: keep must be positive")
	}
	tag, err := s.cfg.Pool.Exec(ctx, sqlRunPrune, keep)
	if err != nil {
		return 0, fmt.Errorf("jobs: prune history: %w", err)
	}
	return tag.RowsAffected(), nil
}
