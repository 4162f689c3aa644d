package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/jobs"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// newPool returns a migrated database (River's tables included).
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{})
	require.NoError(t, err)
	_, err = mig.Up(context.Background())
	require.NoError(t, err)
	return pool
}

// start builds and starts a Service on pool, stopped at cleanup.
func start(t *testing.T, pool *pgxpool.Pool, replica string, js ...jobs.Job) *jobs.Service {
	t.Helper()
	svc, err := jobs.New(jobs.Config{Pool: pool, Jobs: js, Replica: replica, RetryBase: 10 * time.Millisecond,
		PollInterval: 50 * time.Millisecond, Logger: patchmontest.Logger(t)})
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, svc.Stop(ctx))
	})
	return svc
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func history(t *testing.T, svc *jobs.Service, f jobs.Filter) []jobs.Run {
	t.Helper()
	runs, _, err := svc.History(context.Background(), f)
	require.NoError(t, err)
	return runs
}

func TestPeriodicJobRunsOnStartAndIsRecorded(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	var calls atomic.Int32
	job := jobs.Periodic("tick", time.Hour, func(ctx context.Context) error {
		calls.Add(1)
		jobs.Printf(ctx, "ticked %d", 1)
		return nil
	})
	job.RunOnStart = true
	svc := start(t, pool, "r1", job)

	waitFor(t, "the first run", func() bool {
		runs := history(t, svc, jobs.Filter{JobName: "tick", Status: jobs.StatusCompleted})
		return len(runs) == 1
	})
	run := history(t, svc, jobs.Filter{JobName: "tick"})[0]
	assert.Equal(t, "ticked 1", run.Output)
	assert.Equal(t, "schedule", run.Trigger)
	assert.Equal(t, "r1", run.Replica)
	assert.Equal(t, 1, run.Attempt)
	require.NotNil(t, run.FinishedAt)
	assert.EqualValues(t, 1, calls.Load())

	sums, err := svc.Summaries(context.Background())
	require.NoError(t, err)
	names := []string{}
	for _, s := range sums {
		names = append(names, s.Name)
		if s.Name == "tick" {
			require.NotNil(t, s.LastRun)
			assert.Equal(t, jobs.StatusCompleted, s.LastRun.Status)
			assert.EqualValues(t, 1, s.Runs)
		}
	}
	assert.Equal(t, []string{jobs.HistoryCleanupJob, "tick"}, names)
}

// Two servers on one database: River elects one leader, which alone schedules periodic
// jobs, and scheduled runs are unique per period, so both replicas together run the job once.
func TestPeriodicJobRunsOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	var calls atomic.Int32
	mk := func() jobs.Job {
		j := jobs.Periodic("fleet-tick", time.Hour, func(ctx context.Context) error {
			calls.Add(1)
			return nil
		})
		j.RunOnStart = true
		return j
	}
	a := start(t, pool, "replica-a", mk())
	b := start(t, pool, "replica-b", mk())

	waitFor(t, "a leader", func() bool {
		var n int
		require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM river_leader`).Scan(&n))
		return n == 1
	})
	waitFor(t, "the run", func() bool { return calls.Load() >= 1 })

	// Whatever either replica does for this period is refused as a duplicate: enqueue the
	// scheduled run from both, as two leaders during a hand-over would.
	for _, svc := range []*jobs.Service{a, b} {
		inserted, err := jobs.EnqueueScheduled(context.Background(), svc, "fleet-tick")
		require.NoError(t, err)
		assert.False(t, inserted, "a second run in the same period must be skipped")
	}
	var jobsInDB int
	require.NoError(t, pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE args->>'name' = 'fleet-tick'`).Scan(&jobsInDB))
	assert.Equal(t, 1, jobsInDB)
	runs := history(t, a, jobs.Filter{JobName: "fleet-tick"})
	require.Len(t, runs, 1)
	assert.EqualValues(t, 1, calls.Load())
}

func TestRetriesWithExponentialBackoff(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	var calls atomic.Int32
	svc := start(t, pool, "r1", jobs.Job{Name: "flaky", Run: func(ctx context.Context) error {
		if calls.Add(1) < 3 {
			return errors.New("upstream not ready")
		}
		return nil
	}})
	_, err := svc.RunNow(context.Background(), "flaky")
	require.NoError(t, err)
	waitFor(t, "the third attempt to succeed", func() bool {
		return len(history(t, svc, jobs.Filter{JobName: "flaky", Status: jobs.StatusCompleted})) == 1
	})
	runs := history(t, svc, jobs.Filter{JobName: "flaky"})
	require.Len(t, runs, 3)
	// Newest first.
	assert.Equal(t, []int{3, 2, 1}, []int{runs[0].Attempt, runs[1].Attempt, runs[2].Attempt})
	assert.Equal(t, jobs.StatusCompleted, runs[0].Status)
	for _, r := range runs[1:] {
		assert.Equal(t, jobs.StatusFailed, r.Status)
		assert.Equal(t, "upstream not ready", r.Error)
		assert.Equal(t, "manual", r.Trigger)
	}
	// Each retry waited at least its backoff after the failed attempt began.
	assert.GreaterOrEqual(t, runs[1].StartedAt.Sub(runs[2].StartedAt), jobs.Backoff(10*time.Millisecond, 1))
	assert.GreaterOrEqual(t, runs[0].StartedAt.Sub(runs[1].StartedAt), jobs.Backoff(10*time.Millisecond, 2))
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	var calls atomic.Int32
	svc := start(t, pool, "r1", jobs.Job{Name: "broken", Run: func(ctx context.Context) error {
		calls.Add(1)
		panic("boom")
	}})
	id, err := svc.RunNow(context.Background(), "broken")
	require.NoError(t, err)
	waitFor(t, "the job to be discarded", func() bool {
		var state string
		require.NoError(t, pool.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, id).Scan(&state))
		return state == "discarded"
	})
	runs := history(t, svc, jobs.Filter{JobName: "broken", Status: jobs.StatusFailed})
	require.Len(t, runs, 3)
	assert.Contains(t, runs[0].Error, "job panicked: boom")
	assert.EqualValues(t, 3, calls.Load())
}

func TestHostJobHistory(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	var host uuid.UUID
	require.NoError(t, pool.QueryRow(context.Background(), `INSERT INTO hosts (friendly_name, api_id, api_key_hash)
		VALUES ('web-1', 'patchmon_web1', 'x') RETURNING id`).Scan(&host))
	var got atomic.Value
	svc := start(t, pool, "r1", jobs.Job{Name: "host-refresh", RunHost: func(ctx context.Context, id uuid.UUID) error {
		got.Store(id)
		return nil
	}})
	_, err := svc.EnqueueForHost(context.Background(), "host-refresh", host)
	require.NoError(t, err)
	waitFor(t, "the host run", func() bool {
		return len(history(t, svc, jobs.Filter{HostID: &host, Status: jobs.StatusCompleted})) == 1
	})
	assert.Equal(t, host, got.Load())
	run := history(t, svc, jobs.Filter{HostID: &host})[0]
	assert.Equal(t, "web-1", run.HostName)
	other := uuid.New()
	assert.Empty(t, history(t, svc, jobs.Filter{HostID: &other}))

	_, err = svc.RunNow(context.Background(), "host-refresh")
	assert.ErrorIs(t, err, jobs.ErrUnknownJob, "a host job needs a host")
	_, err = svc.RunNow(context.Background(), "nope")
	assert.ErrorIs(t, err, jobs.ErrUnknownJob)
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{{0, 30 * time.Second}, {1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {40, 24 * time.Hour}} {
		assert.Equal(t, tt.want, jobs.Backoff(30*time.Second, tt.attempt), "attempt %d", tt.attempt)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	pool := &pgxpool.Pool{}
	run := func(context.Context) error { return nil }
	for name, js := range map[string][]jobs.Job{
		"bad name":  {{Name: "Bad Name", Run: run}},
		"duplicate": {{Name: "a", Run: run}, {Name: "a", Run: run}},
		"no func":   {{Name: "a"}},
		"reserved":  {{Name: jobs.HistoryCleanupJob, Run: run}},
		"host only periodic": {{Name: "a", Interval: time.Minute,
			RunHost: func(context.Context, uuid.UUID) error { return nil }}},
	} {
		_, err := jobs.New(jobs.Config{Pool: pool, Jobs: js})
		assert.Error(t, err, name)
	}
	_, err := jobs.New(jobs.Config{})
	assert.ErrorContains(t, err, "Pool")
}
