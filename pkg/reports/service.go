package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/notify"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Report formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatHTML = "html"
)

// Run triggers and statuses.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"

	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Error codes of this package, stable for clients.
const (
	CodeValidation       = "report_validation"
	CodeScheduleNotFound = "report_schedule_not_found"
	CodeNameTaken        = "report_name_taken"
)

// Documented errors.
var (
	ErrScheduleNotFound = httpx.NewError(http.StatusNotFound, CodeScheduleNotFound, "Report schedule not found")
	ErrNameTaken        = httpx.NewError(http.StatusConflict, CodeNameTaken, "A report schedule with this name already exists")
)

func invalid(field, msg string) error {
	e := httpx.NewError(http.StatusBadRequest, CodeValidation, msg)
	e.Field = field
	return e
}

// Sender delivers a message to a notify destination at once (notify.Service does).
type Sender interface {
	SendNow(ctx context.Context, destinationID uuid.UUID, m notify.Message) (notify.SendResult, error)
	Publish(ctx context.Context, ev notify.Event) (int, error)
}

var _ Sender = (*notify.Service)(nil)

// Config configures a Service.
type Config struct {
	// DB holds the report tables (migration 0011_notifications) and the inventory. Required.
	DB *db.DB
	// Sender delivers reports and publishes report_failed events. Required.
	Sender Sender
	// Logger receives run failures. Default: discard.
	Logger *slog.Logger
	// Audit records schedule changes. Default: nothing is recorded.
	Audit func(context.Context, users.AuditEntry)
	// DefaultTimezone is the time zone of schedules that name none. Default: "UTC".
	DefaultTimezone string
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Service manages schedules and runs reports. It is safe for concurrent use, and several
// Services (replicas) may share one database.
type Service struct {
	cfg Config
	db  *db.DB
	log *slog.Logger
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("reports: Config.DB is required")
	case cfg.Sender == nil:
		return nil, errors.New("reports: Config.Sender is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = func(context.Context, users.AuditEntry) {}
	}
	if cfg.DefaultTimezone == "" {
		cfg.DefaultTimezone = "UTC"
	}
	if _, err := time.LoadLocation(cfg.DefaultTimezone); err != nil {
		return nil, fmt.Errorf("reports: Config.DefaultTimezone: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, db: cfg.DB, log: cfg.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Schedule is a stored report schedule.
type Schedule struct {
	ID             uuid.UUID
	Name           string
	Enabled        bool
	Cron           string
	Timezone       string
	Format         string
	TopPackages    int
	HostGroupIDs   []uuid.UUID
	DestinationIDs []uuid.UUID
	NextRunAt      *time.Time
	LastRunAt      *time.Time
	LastRun        *Run
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ScheduleInput creates or replaces a schedule.
type ScheduleInput struct {
	Name     string
	Enabled  bool
	Cron     string
	Timezone string
	// Format is csv, json or html. Default: html.
	Format string
	// TopPackages is how many packages the report lists (0-100). Default: 10.
	TopPackages    *int
	HostGroupIDs   []uuid.UUID
	DestinationIDs []uuid.UUID
}

func (s *Service) normalise(in *ScheduleInput) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return invalid("name", "Name is required (at most 100 characters)")
	}
	in.Cron = strings.Join(strings.Fields(in.Cron), " ")
	if in.Timezone == "" {
		in.Timezone = s.cfg.DefaultTimezone
	}
	if _, _, err := ParseCron(in.Cron, in.Timezone); err != nil {
		return err
	}
	if in.Format == "" {
		in.Format = FormatHTML
	}
	if !slices.Contains([]string{FormatCSV, FormatJSON, FormatHTML}, in.Format) {
		return invalid("format", "Format must be csv, json or html")
	}
	if in.TopPackages == nil {
		n := 10
		in.TopPackages = &n
	}
	if *in.TopPackages < 0 || *in.TopPackages > 100 {
		return invalid("top_packages", "Top packages must be between 0 and 100")
	}
	if len(in.DestinationIDs) == 0 {
		return invalid("destination_ids", "Choose at least one destination")
	}
	for _, p := range []*[]uuid.UUID{&in.HostGroupIDs, &in.DestinationIDs} {
		slices.SortFunc(*p, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		*p = slices.Compact(*p)
		if *p == nil {
			*p = []uuid.UUID{}
		}
	}
	return nil
}

// ListSchedules returns every schedule by name, each with its latest run.
func (s *Service) ListSchedules(ctx context.Context) ([]Schedule, error) {
	return s.listSchedules(ctx, nil)
}

// GetSchedule returns one schedule.
func (s *Service) GetSchedule(ctx context.Context, id uuid.UUID) (Schedule, error) {
	l, err := s.listSchedules(ctx, &id)
	if err != nil {
		return Schedule{}, err
	}
	if len(l) == 0 {
		return Schedule{}, ErrScheduleNotFound
	}
	return l[0], nil
}

// CreateSchedule stores a schedule and computes its first run.
func (s *Service) CreateSchedule(ctx context.Context, in ScheduleInput) (Schedule, error) {
	if err := s.normalise(&in); err != nil {
		return Schedule{}, err
	}
	id := uuid.New()
	if err := s.saveSchedule(ctx, id, in, true); err != nil {
		return Schedule{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "report_schedule_created", Success: true, TargetType: "report_schedule",
		TargetID: id.String(), TargetName: in.Name})
	return s.GetSchedule(ctx, id)
}

// UpdateSchedule replaces a schedule; its next run is computed again.
func (s *Service) UpdateSchedule(ctx context.Context, id uuid.UUID, in ScheduleInput) (Schedule, error) {
	if err := s.normalise(&in); err != nil {
		return Schedule{}, err
	}
	if err := s.saveSchedule(ctx, id, in, false); err != nil {
		return Schedule{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "report_schedule_updated", Success: true, TargetType: "report_schedule",
		TargetID: id.String(), TargetName: in.Name})
	return s.GetSchedule(ctx, id)
}

// DeleteSchedule removes a schedule and its history.
func (s *Service) DeleteSchedule(ctx context.Context, id uuid.UUID) error {
	name, err := s.deleteSchedule(ctx, id)
	if err != nil {
		return err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "report_schedule_deleted", Success: true, TargetType: "report_schedule",
		TargetID: id.String(), TargetName: name})
	return nil
}

// Run is one execution of a schedule.
type Run struct {
	ID         uuid.UUID
	ScheduleID uuid.UUID
	Trigger    string
	Status     string
	Format     string
	Error      string
	SizeBytes  int
	HostCount  int
	Deliveries int
	StartedAt  time.Time
	FinishedAt *time.Time
}

// ListRuns returns a schedule's history, newest first.
func (s *Service) ListRuns(ctx context.Context, scheduleID uuid.UUID, limit int) ([]Run, error) {
	if _, err := s.GetSchedule(ctx, scheduleID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.listRuns(ctx, scheduleID, limit)
}

// RunNow runs a schedule at once (enabled or not) and returns the finished run.
func (s *Service) RunNow(ctx context.Context, id uuid.UUID) (Run, error) {
	sch, err := s.GetSchedule(ctx, id)
	if err != nil {
		return Run{}, err
	}
	runID, err := s.insertRun(ctx, id, TriggerManual, sch.Format)
	if err != nil {
		return Run{}, err
	}
	return s.execute(ctx, sch, runID), nil
}

// RunDue runs every enabled schedule whose next run time has passed, each once, then
// moves it to its next time (runs missed while the server was down are not repeated).
func (s *Service) RunDue(ctx context.Context) error {
	for {
		sch, runID, ok, err := s.claimDue(ctx)
		if err != nil || !ok {
			return err
		}
		s.execute(ctx, sch, runID)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Run calls RunDue every interval until ctx ends. Servers without a job scheduler use it;
// with one, schedule RunDue there instead.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "running scheduled reports failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Generate builds the report of a schedule without sending it.
func (s *Service) Generate(ctx context.Context, sch Schedule) (*Report, error) {
	r, err := s.generate(ctx, sch.HostGroupIDs, sch.TopPackages)
	if err != nil {
		return nil, err
	}
	r.Name = sch.Name
	return r, nil
}

// execute generates and delivers a report and records the outcome in the run.
func (s *Service) execute(ctx context.Context, sch Schedule, runID uuid.UUID) Run {
	run := Run{ID: runID, ScheduleID: sch.ID, Format: sch.Format, Status: StatusSucceeded}
	fail := func(err error) {
		run.Status = StatusFailed
		if run.Error != "" {
			run.Error += "; "
		}
		run.Error += err.Error()
	}
	rep, err := s.Generate(ctx, sch)
	var files []File
	if err == nil {
		files, err = Render(rep, sch.Format)
	}
	if err != nil {
		fail(fmt.Errorf("generating the report: %w", err))
	} else {
		run.HostCount = len(rep.Hosts)
		for _, f := range files {
			run.SizeBytes += len(f.Content)
		}
		msg := message(sch, rep, files)
		if len(sch.DestinationIDs) == 0 {
			fail(errors.New("the schedule has no destinations"))
		}
		for _, d := range sch.DestinationIDs {
			res, err := s.cfg.Sender.SendNow(ctx, d, msg)
			switch {
			case errors.Is(err, notify.ErrDestinationNotFound):
				fail(fmt.Errorf("destination %s no longer exists", d))
			case err != nil:
				fail(fmt.Errorf("destination %s: %w", d, err))
			case !res.Succeeded:
				run.Deliveries++
				e := fmt.Errorf("destination %s: %s", d, res.Error)
				if res.WillRetry {
					e = fmt.Errorf("%w (will retry)", e)
				}
				fail(e)
			default:
				run.Deliveries++
			}
		}
	}
	if len(run.Error) > 2000 {
		run.Error = run.Error[:2000]
	}
	fin := s.now()
	run.FinishedAt = &fin
	wctx := context.WithoutCancel(ctx)
	if err := s.finishRun(wctx, run); err != nil {
		s.log.ErrorContext(ctx, "recording a report run failed", "run", runID, "err", err)
	}
	if run.Status == StatusFailed {
		s.log.WarnContext(ctx, "scheduled report failed", "schedule", sch.Name, "run", runID, "err", run.Error)
		if _, err := s.cfg.Sender.Publish(wctx, notify.Event{Type: notify.EventReportFailed, Severity: notify.SeverityWarning,
			Title: "Scheduled report \"" + sch.Name + "\" failed", Message: run.Error}); err != nil {
			s.log.WarnContext(ctx, "publishing report_failed failed", "err", err)
		}
	}
	got, err := s.getRun(wctx, runID)
	if err != nil {
		return run
	}
	return got
}

// message is what every destination of a schedule receives: the summary as text, the
// HTML report inline (html format), the files as attachments and the report as data.
func message(sch Schedule, rep *Report, files []File) notify.Message {
	m := notify.Message{Event: notify.Event{Type: notify.EventReport, Severity: notify.SeverityInformational,
		Title: "PatchMon report: " + sch.Name, Message: SummaryText(rep), Time: rep.GeneratedAt}}
	for _, f := range files {
		m.Attachments = append(m.Attachments, notify.Attachment{Filename: f.Filename, ContentType: f.ContentType, Content: f.Content})
	}
	if sch.Format == FormatHTML && len(files) == 1 {
		m.HTML = string(files[0].Content)
	}
	if b, err := json.Marshal(rep); err == nil {
		m.Data = b
	}
	return m
}
