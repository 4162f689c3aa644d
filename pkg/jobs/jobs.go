package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Errors.
var (
	// ErrUnknownJob is returned for a job name no Job was registered under.
	ErrUnknownJob = errors.New("jobs: unknown job")
	// ErrNotRunning is returned by operations that need a started Service.
	ErrNotRunning = errors.New("jobs: service not started")
)

// Job is one kind of background work.
type Job struct {
	// Name identifies the job in the history and the API: lower-case words joined by
	// hyphens ("session-cleanup"). Required, unique.
	Name string
	// Description says what the job does, for the jobs page. Default: "".
	Description string
	// Interval schedules the job periodically; 0 means it only runs when enqueued (RunNow,
	// EnqueueForHost). Default: 0.
	Interval time.Duration
	// RunOnStart also enqueues the job when a replica becomes leader, for jobs whose interval
	// is long compared with how long a server typically runs. Default: false.
	RunOnStart bool
	// Timeout bounds one attempt. Default: Config.Timeout.
	Timeout time.Duration
	// Run does the work. Returning an error fails the attempt, which is retried with backoff
	// until MaxAttempts. Required unless RunHost is set.
	Run func(ctx context.Context) error
	// RunHost does the work for one host when the job is enqueued with EnqueueForHost.
	// Default: nil (the job cannot be enqueued for a host).
	RunHost func(ctx context.Context, hostID uuid.UUID) error
}

// Periodic returns a Job that calls fn every interval. It is how other packages register
// periodic work: cfg.Jobs = append(cfg.Jobs, jobs.Periodic("notifications-due", time.Minute, n.RunDue)).
func Periodic(name string, interval time.Duration, fn func(ctx context.Context) error) Job {
	return Job{Name: name, Interval: interval, Run: fn}
}

var nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Config configures a Service.
type Config struct {
	// Pool is the database; River's tables must exist (pkg/dbmigrate creates them). Required.
	Pool *pgxpool.Pool
	// Jobs are the jobs this replica knows. Every replica of a server must register the same
	// names. Default: none.
	Jobs []Job
	// Logger receives job failures and River's warnings. Default: discard.
	Logger *slog.Logger
	// Workers is how many jobs this replica runs at once. Default: 2.
	Workers int
	// MaxAttempts is how many times a failing job is tried. Default: 3.
	MaxAttempts int
	// RetryBase is the wait before the first retry; each later one waits twice as long as the
	// one before (see Backoff). Default: 30s.
	RetryBase time.Duration
	// Timeout bounds one attempt of a job without its own Timeout. Default: 10m.
	Timeout time.Duration
	// PollInterval is how often idle workers look for jobs when no notification arrives (and
	// how often retries become due). Default: 1s.
	PollInterval time.Duration
	// Replica names this replica in the job history. Default: host name plus a random suffix.
	Replica string
	// HistoryRetention is how long job_history keeps runs; the built-in job-history-cleanup
	// job prunes older ones daily. Default: 30 days.
	HistoryRetention time.Duration
}

// HistoryCleanupJob is the name of the built-in job that prunes job_history.
const HistoryCleanupJob = "job-history-cleanup"

// Service runs jobs. Create it with New, then Start and Stop it.
type Service struct {
	cfg    Config
	log    *slog.Logger
	jobs   map[string]Job
	names  []string
	client *river.Client[pgx.Tx]
	store  *historyStore

	mu      sync.Mutex
	running bool
}

// runArgs are the River job arguments of every PatchMon job.
type runArgs struct {
	Name    string     `json:"name"`
	HostID  *uuid.UUID `json:"host_id,omitempty"`
	Trigger string     `json:"trigger"`
}

// kind is the River job kind that runs every PatchMon job.
const kind = "patchmon_job"

func (runArgs) Kind() string { return kind }

const (
	triggerSchedule = "schedule"
	triggerManual   = "manual"
)

// New validates cfg and builds a Service; it does not touch the database.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil {
		return nil, errors.New("jobs: Config.Pool is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Replica == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Replica = strings.Trim(host+"-"+hex.EncodeToString(b), "-")
	}
	if cfg.HistoryRetention <= 0 {
		cfg.HistoryRetention = 30 * 24 * time.Hour
	}
	s := &Service{cfg: cfg, log: cfg.Logger, jobs: map[string]Job{}, store: &historyStore{pool: cfg.Pool}}
	all := append([]Job(nil), cfg.Jobs...)
	all = append(all, Job{Name: HistoryCleanupJob, Description: "Delete job history older than the retention period",
		Interval: 24 * time.Hour, Run: func(ctx context.Context) error {
			n, err := s.PruneHistory(ctx, cfg.HistoryRetention)
			Printf(ctx, "deleted %d job runs", n)
			return err
		}})
	var periodic []*river.PeriodicJob
	for _, j := range all {
		if !nameRE.MatchString(j.Name) {
			return nil, fmt.Errorf("jobs: job name %q: use lower-case words joined by hyphens", j.Name)
		}
		if _, dup := s.jobs[j.Name]; dup {
			return nil, fmt.Errorf("jobs: job %q registered twice", j.Name)
		}
		if j.Run == nil && j.RunHost == nil {
			return nil, fmt.Errorf("jobs: job %q has neither Run nor RunHost", j.Name)
		}
		if j.Interval < 0 || (j.Interval > 0 && j.Run == nil) {
			return nil, fmt.Errorf("jobs: job %q: a periodic job needs Run and a positive Interval", j.Name)
		}
		s.jobs[j.Name] = j
		s.names = append(s.names, j.Name)
		if j.Interval > 0 {
			args, opts := scheduledArgs(j)
			periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(j.Interval),
				func() (river.JobArgs, *river.InsertOpts) { return args, opts },
				&river.PeriodicJobOpts{ID: j.Name, RunOnStart: j.RunOnStart}))
		}
	}
	sort.Strings(s.names)

	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(s.work))
	client, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		ID:                cfg.Replica,
		Logger:            slog.New(minLevel{Handler: cfg.Logger.Handler(), min: slog.LevelWarn}),
		MaxAttempts:       cfg.MaxAttempts,
		RetryPolicy:       backoffPolicy{base: cfg.RetryBase},
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(100*time.Millisecond, cfg.PollInterval),
		JobTimeout:        -1, // each attempt is bounded by its job's own timeout in work
		PeriodicJobs:      periodic,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	s.client = client
	return s, nil
}

// scheduledArgs are the arguments and options of a scheduled run of j: unique per name and
// period, so that two leaders (during a hand-over) cannot enqueue the same period twice.
func scheduledArgs(j Job) (runArgs, *river.InsertOpts) {
	opts := &river.InsertOpts{}
	if j.Interval >= time.Second {
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: j.Interval}
	}
	return runArgs{Name: j.Name, Trigger: triggerSchedule}, opts
}

// Start starts the workers and, on the elected leader, the periodic scheduler. ctx bounds
// starting only: the service runs until Stop.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("jobs: already started")
	}
	// River keeps the start context for its lifetime; a cancelled start context would stop it.
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	s.running = true
	return nil
}

// Stop waits for running jobs to finish, bounded by ctx; jobs still running when ctx ends
// are cancelled and retried later (by any replica).
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	err := s.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = s.client.StopAndCancel(cctx)
	}
	return err
}

// Names lists the registered jobs, sorted.
func (s *Service) Names() []string { return append([]string(nil), s.names...) }

// Jobs lists the registered jobs, sorted by name.
func (s *Service) Jobs() []Job {
	out := make([]Job, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.jobs[n])
	}
	return out
}

// RunNow enqueues one run of the named job and returns its River job id. Any replica's
// workers may run it; it is recorded as a manual run.
func (s *Service) RunNow(ctx context.Context, name string) (int64, error) {
	j, ok := s.jobs[name]
	if !ok || j.Run == nil {
		return 0, fmt.Errorf("%w: %q", ErrUnknownJob, name)
	}
	res, err := s.client.Insert(ctx, runArgs{Name: name, Trigger: triggerManual}, nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", name, err)
	}
	return res.Job.ID, nil
}

// EnqueueForHost enqueues one run of the named job's RunHost for hostID; the run appears in
// that host's job history.
func (s *Service) EnqueueForHost(ctx context.Context, name string, hostID uuid.UUID) (int64, error) {
	j, ok := s.jobs[name]
	if !ok || j.RunHost == nil {
		return 0, fmt.Errorf("%w: %q (for a host)", ErrUnknownJob, name)
	}
	res, err := s.client.Insert(ctx, runArgs{Name: name, HostID: &hostID, Trigger: triggerManual}, nil)
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", name, err)
	}
	return res.Job.ID, nil
}

// work runs one attempt of a job and records it in job_history.
func (s *Service) work(ctx context.Context, job *river.Job[runArgs]) error {
	j, ok := s.jobs[job.Args.Name]
	if !ok {
		// Another replica (a newer build) knows this job; this one cannot run it.
		return river.JobCancel(fmt.Errorf("%w: %q", ErrUnknownJob, job.Args.Name))
	}
	trigger := job.Args.Trigger
	if trigger != triggerManual {
		trigger = triggerSchedule
	}
	start := time.Now()
	hid, herr := s.store.start(ctx, j.Name, job.ID, job.Attempt, job.Args.HostID, trigger, s.cfg.Replica, start)
	if herr != nil {
		s.log.WarnContext(ctx, "recording job start failed", "job", j.Name, "err", herr)
	}
	timeout := j.Timeout
	if timeout <= 0 {
		timeout = s.cfg.Timeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	out := &output{}
	rctx = context.WithValue(rctx, outputKey{}, out)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("job panicked: %v", r)
			}
		}()
		if job.Args.HostID != nil {
			if j.RunHost == nil {
				return fmt.Errorf("job %q cannot run for a host", j.Name)
			}
			return j.RunHost(rctx, *job.Args.HostID)
		}
		if j.Run == nil {
			return fmt.Errorf("job %q needs a host", j.Name)
		}
		return j.Run(rctx)
	}()
	cancel()
	if herr == nil {
		// A fresh context: the outcome is recorded even when the replica is stopping.
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if ferr := s.store.finish(fctx, hid, err, out.String(), time.Since(start)); ferr != nil {
			s.log.WarnContext(ctx, "recording job outcome failed", "job", j.Name, "err", ferr)
		}
		fcancel()
	}
	if err != nil {
		s.log.WarnContext(ctx, "job failed", "job", j.Name, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", err)
	}
	return err
}

type outputKey struct{}

// output collects what a job reports with Printf.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// Printf adds a line to the output recorded in the running job's history ("deleted 3
// expired sessions"). Outside a job it does nothing.
func Printf(ctx context.Context, format string, args ...any) {
	o, ok := ctx.Value(outputKey{}).(*output)
	if !ok {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.b.Len() > 8<<10 {
		return
	}
	if o.b.Len() > 0 {
		o.b.WriteByte('\n')
	}
	fmt.Fprintf(&o.b, format, args...)
}

// Backoff is the wait before retry number attempt (1 for the first retry): base doubled for
// every earlier retry, capped at one day.
func Backoff(base time.Duration, attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := float64(base) * math.Pow(2, float64(attempt-1))
	if d > float64(24*time.Hour) {
		return 24 * time.Hour
	}
	return time.Duration(d)
}

// backoffPolicy is River's retry policy for PatchMon jobs.
type backoffPolicy struct{ base time.Duration }

func (p backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	// job.Attempt is the attempt that just failed: attempt 1 failing schedules retry 1.
	return time.Now().Add(Backoff(p.base, job.Attempt))
}

// minLevel passes on records at or above min only.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
