package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

// Type is an alert type.
type Type string

// Alert types.
const (
	TypeHostDown        Type = "host_down"
	TypeHostRecovered   Type = "host_recovered"
	TypeSecurityUpdates Type = "security_updates"
	TypeRebootRequired  Type = "reboot_required"
	TypeAgentOutdated   Type = "agent_outdated"
	TypeServerUpdate    Type = "server_update"
	TypeReportFailed    Type = "report_failed"
)

// Types lists every alert type in display order.
var Types = []Type{TypeHostDown, TypeHostRecovered, TypeSecurityUpdates, TypeRebootRequired,
	TypeAgentOutdated, TypeServerUpdate, TypeReportFailed}

// Severity is how urgent an alert is.
type Severity string

// Severities from least to most severe.
const (
	SeverityInformational Severity = "informational"
	SeverityWarning       Severity = "warning"
	SeverityError         Severity = "error"
	SeverityCritical      Severity = "critical"
)

// Severities lists the severities from least to most severe.
var Severities = []Severity{SeverityInformational, SeverityWarning, SeverityError, SeverityCritical}

// next returns the severity one step up (critical stays critical).
func (s Severity) next() Severity {
	for i, v := range Severities {
		if v == s && i+1 < len(Severities) {
			return Severities[i+1]
		}
	}
	return s
}

// Status is an alert's state.
type Status string

// Statuses.
const (
	StatusOpen         Status = "open"
	StatusAcknowledged Status = "acknowledged"
	StatusSilenced     Status = "silenced"
	StatusResolved     Status = "resolved"
)

// History actions.
const (
	ActionCreated      = "created"
	ActionAcknowledged = "acknowledged"
	ActionAssigned     = "assigned"
	ActionUnassigned   = "unassigned"
	ActionSilenced     = "silenced"
	ActionUnsilenced   = "unsilenced"
	ActionEscalated    = "escalated"
	ActionResolved     = "resolved"
)

// Alert is one alert.
type Alert struct {
	ID               uuid.UUID
	Type             Type
	Severity         Severity
	Status           Status
	HostID           *uuid.UUID
	HostName         string
	Title            string
	Message          string
	Details          map[string]any
	AssignedTo       *uuid.UUID
	AssignedUsername string
	SilencedUntil    *time.Time
	EscalationLevel  int
	EscalatedAt      *time.Time
	AcknowledgedBy   *uuid.UUID
	AcknowledgedAt   *time.Time
	ResolvedBy       *uuid.UUID
	ResolvedAt       *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// HistoryEntry is one action on an alert. UserID is nil for the system.
type HistoryEntry struct {
	ID        int64
	Action    string
	UserID    *uuid.UUID
	Username  string
	Note      string
	Details   map[string]any
	CreatedAt time.Time
}

// TypeConfig is the configuration of one alert type.
type TypeConfig struct {
	Type            Type
	Enabled         bool
	DefaultSeverity Severity
	// DelayMinutes is how long a host must be unreachable before a host_down alert fires.
	DelayMinutes int
	// Threshold is the number of security updates that raises a security_updates alert.
	Threshold        int
	AutoAssignUserID *uuid.UUID
	// EscalateAfterMinutes raises an open, unacknowledged alert one severity step each time
	// this long passes; nil never escalates.
	EscalateAfterMinutes *int
	// RetentionDays is how long resolved alerts are kept.
	RetentionDays int
	UpdatedAt     time.Time
}

// EventKind says what happened to an alert.
type EventKind string

// Event kinds.
const (
	EventCreated   EventKind = "created"
	EventEscalated EventKind = "escalated"
	EventResolved  EventKind = "resolved"
)

// Event is delivered to OnEvent hooks after the change is committed.
type Event struct {
	Kind  EventKind
	Alert Alert
}

// EventHook receives alert events. It runs on the goroutine that made the change and must
// not block for long; hand slow work (sending notifications) to a queue.
type EventHook func(ctx context.Context, ev Event)

// Actor is the user acting on an alert.
type Actor struct {
	UserID   uuid.UUID
	Username string
}

// Errors, with their stable API codes.
var (
	ErrNotFound     = httpx.NewError(http.StatusNotFound, "alert_not_found", "Alert not found")
	ErrResolved     = httpx.NewError(http.StatusConflict, "alert_resolved", "Alert is already resolved")
	ErrUnknownUser  = httpx.NewError(http.StatusBadRequest, "alert_unknown_user", "User not found")
	ErrSilencePast  = httpx.NewError(http.StatusBadRequest, "alert_silence_past", "Silence until must be in the future")
	ErrUnknownType  = httpx.NewError(http.StatusNotFound, "alert_type_not_found", "Alert type not found")
	ErrInvalidInput = httpx.NewError(http.StatusBadRequest, "alert_validation", "Invalid alert configuration")
)

// Config configures a Service.
type Config struct {
	// Pool is the database. Required.
	Pool *pgxpool.Pool
	// Bus carries agent presence and report events (package agenthub); Listen subscribes to
	// it. Default: nil (Listen does nothing).
	Bus kv.Bus
	// ServerVersion is this server's version, compared with the latest known one for
	// server_update alerts. Default: "" (no server_update alerts).
	ServerVersion string
	// Logger. Default: discard.
	Logger *slog.Logger
}

// Service manages alerts. Several replicas may run one each on the same database.
type Service struct {
	cfg   Config
	log   *slog.Logger
	store *store

	mu    sync.Mutex
	hooks []EventHook
}

// New builds a Service; it does not touch the database.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil {
		return nil, errors.New("alerts: Config.Pool is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: cfg.Logger, store: &store{pool: cfg.Pool}}, nil
}

// OnEvent registers a hook for alerts created, escalated and resolved.
func (s *Service) OnEvent(h EventHook) {
	if h == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, h)
}

func (s *Service) emit(ctx context.Context, kind EventKind, a Alert) {
	s.mu.Lock()
	hooks := append([]EventHook(nil), s.hooks...)
	s.mu.Unlock()
	for _, h := range hooks {
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.log.ErrorContext(ctx, "alert event hook panicked", "panic", r)
				}
			}()
			h(ctx, Event{Kind: kind, Alert: a})
		}()
	}
}

// Condition describes an alert to raise.
type Condition struct {
	Type    Type
	HostID  *uuid.UUID
	Title   string
	Message string
	Details map[string]any
}

// RaiseCondition creates an alert for c unless its type is disabled or an unresolved alert of
// the same type already exists for the host. It reports whether an alert was created.
func (s *Service) RaiseCondition(ctx context.Context, c Condition) (Alert, bool, error) {
	cfg, err := s.store.typeConfig(ctx, c.Type)
	if err != nil {
		return Alert{}, false, err
	}
	if !cfg.Enabled {
		return Alert{}, false, nil
	}
	a, created, err := s.store.insert(ctx, c, cfg)
	if err != nil || !created {
		return a, false, err
	}
	s.emit(ctx, EventCreated, a)
	return a, true, nil
}

// ResolveCondition resolves the unresolved alert of type t for host (nil for host-less types)
// because the condition cleared. It reports whether there was one.
func (s *Service) ResolveCondition(ctx context.Context, t Type, host *uuid.UUID, note string) (bool, error) {
	a, ok, err := s.store.resolveCondition(ctx, t, host, note)
	if err != nil || !ok {
		return false, err
	}
	s.emit(ctx, EventResolved, a)
	return true, nil
}

// Get returns one alert with its history, oldest action first.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Alert, []HistoryEntry, error) {
	a, err := s.store.get(ctx, id)
	if err != nil {
		return Alert{}, nil, err
	}
	h, err := s.store.history(ctx, id)
	return a, h, err
}

// Filter selects alerts for List. Zero fields select everything.
type Filter struct {
	Severity Severity
	Type     Type
	Status   Status
	// Active selects unresolved alerts (open, acknowledged, silenced) when Status is empty.
	Active bool
	// AssignedTo selects alerts assigned to that user; Unassigned those assigned to nobody.
	AssignedTo *uuid.UUID
	Unassigned bool
	HostID     *uuid.UUID
	// Limit caps the result (newest first). Default: 50; at most 500.
	Limit  int
	Offset int
}

// List returns the alerts f selects, newest first, and the number matching in all.
func (s *Service) List(ctx context.Context, f Filter) ([]Alert, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	return s.store.list(ctx, f)
}

// Summary counts unresolved alerts.
type Summary struct {
	Open, Acknowledged, Silenced int64
	// BySeverity counts unresolved alerts per severity.
	BySeverity map[Severity]int64
	// ResolvedLast24h counts alerts resolved in the last day.
	ResolvedLast24h int64
}

// Summarize counts unresolved alerts by status and severity.
func (s *Service) Summarize(ctx context.Context) (Summary, error) { return s.store.summary(ctx) }

// Acknowledge marks an alert acknowledged: someone is on it, so it no longer escalates.
func (s *Service) Acknowledge(ctx context.Context, id uuid.UUID, by Actor, note string) (Alert, error) {
	return s.store.act(ctx, id, by, ActionAcknowledged, note, nil, `status = 'acknowledged', silenced_until = NULL,
		acknowledged_by = $2, acknowledged_at = now()`, by.UserID)
}

// Assign assigns an alert to user, or unassigns it when user is nil.
func (s *Service) Assign(ctx context.Context, id uuid.UUID, user *uuid.UUID, by Actor, note string) (Alert, error) {
	if user == nil {
		return s.store.act(ctx, id, by, ActionUnassigned, note, nil, `assigned_to = NULL`)
	}
	name, err := s.store.username(ctx, *user)
	if err != nil {
		return Alert{}, err
	}
	return s.store.act(ctx, id, by, ActionAssigned, note, map[string]any{"user_id": user.String(), "username": name},
		`assigned_to = $2`, *user)
}

// Silence hides an alert until the given time; it then returns to open.
func (s *Service) Silence(ctx context.Context, id uuid.UUID, until time.Time, by Actor, note string) (Alert, error) {
	if !until.After(time.Now()) {
		return Alert{}, ErrSilencePast
	}
	return s.store.act(ctx, id, by, ActionSilenced, note, map[string]any{"until": until.UTC().Format(time.RFC3339)},
		`status = 'silenced', silenced_until = $2`, until)
}

// Resolve resolves an alert by hand.
func (s *Service) Resolve(ctx context.Context, id uuid.UUID, by Actor, note string) (Alert, error) {
	a, err := s.store.act(ctx, id, by, ActionResolved, note, nil, `status = 'resolved', silenced_until = NULL,
		resolved_by = $2, resolved_at = now()`, by.UserID)
	if err == nil {
		s.emit(ctx, EventResolved, a)
	}
	return a, err
}

// TypeConfigs returns the configuration of every alert type.
func (s *Service) TypeConfigs(ctx context.Context) ([]TypeConfig, error) {
	return s.store.typeConfigs(ctx)
}

// UpdateTypeConfig replaces the configuration of one alert type.
func (s *Service) UpdateTypeConfig(ctx context.Context, c TypeConfig) (TypeConfig, error) {
	if !validSeverity(c.DefaultSeverity) {
		return TypeConfig{}, invalid("default_severity", "default_severity must be one of informational, warning, error, critical")
	}
	for _, chk := range []struct {
		ok    bool
		field string
		msg   string
	}{
		{c.DelayMinutes >= 0 && c.DelayMinutes <= 10080, "delay_minutes", "delay_minutes must be between 0 and 10080"},
		{c.Threshold >= 1, "threshold", "threshold must be at least 1"},
		{c.RetentionDays >= 1 && c.RetentionDays <= 3650, "retention_days", "retention_days must be between 1 and 3650"},
		{c.EscalateAfterMinutes == nil || (*c.EscalateAfterMinutes >= 1 && *c.EscalateAfterMinutes <= 100000),
			"escalate_after_minutes", "escalate_after_minutes must be between 1 and 100000, or null"},
	} {
		if !chk.ok {
			return TypeConfig{}, invalid(chk.field, chk.msg)
		}
	}
	if c.AutoAssignUserID != nil {
		if _, err := s.store.username(ctx, *c.AutoAssignUserID); err != nil {
			return TypeConfig{}, err
		}
	}
	return s.store.updateTypeConfig(ctx, c)
}

// Assignee is a user alerts can be assigned to.
type Assignee struct {
	ID       uuid.UUID
	Username string
}

// Assignees lists active users, by username.
func (s *Service) Assignees(ctx context.Context) ([]Assignee, error) { return s.store.assignees(ctx) }

// Cleanup deletes resolved alerts older than their type's retention and returns how many.
// The server runs it daily as the alert-cleanup job.
func (s *Service) Cleanup(ctx context.Context) (int64, error) { return s.store.cleanup(ctx) }

// Sweep returns silenced alerts whose time is up to open and escalates open alerts that
// waited longer than their type's escalation time. It returns how many were escalated.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if _, err := s.store.unsilence(ctx); err != nil {
		return 0, err
	}
	esc, err := s.store.escalate(ctx)
	if err != nil {
		return 0, err
	}
	for _, a := range esc {
		s.emit(ctx, EventEscalated, a)
	}
	return len(esc), nil
}

// validationError is an ErrInvalidInput about one field; errors.As finds its *httpx.APIError.
type validationError struct{ api *httpx.APIError }

func (e validationError) Error() string        { return e.api.Message }
func (e validationError) Unwrap() error        { return e.api }
func (e validationError) Is(target error) bool { return target == ErrInvalidInput }

func invalid(field, msg string) error {
	return validationError{api: &httpx.APIError{Status: ErrInvalidInput.Status, Code: ErrInvalidInput.Code, Message: msg, Field: field}}
}

func validSeverity(s Severity) bool {
	for _, v := range Severities {
		if v == s {
			return true
		}
	}
	return false
}

// CompareVersions compares dotted version numbers ("v1.4.10" > "1.4.9"), ignoring a leading
// "v" and anything after a "-" or "+". Missing parts count as zero.
func CompareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionParts(v string) []int {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		v = v[:i]
	}
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	return out
}

// hostTitle names a host in alert titles.
func hostTitle(name string, t Type) string {
	switch t {
	case TypeHostDown:
		return fmt.Sprintf("Host %s is down", name)
	case TypeHostRecovered:
		return fmt.Sprintf("Host %s is back up", name)
	case TypeSecurityUpdates:
		return fmt.Sprintf("Security updates available on %s", name)
	case TypeRebootRequired:
		return fmt.Sprintf("Reboot required on %s", name)
	case TypeAgentOutdated:
		return fmt.Sprintf("Agent on %s is out of date", name)
	case TypeReportFailed:
		return fmt.Sprintf("Report from %s failed", name)
	}
	return string(t) + " on " + name
}
