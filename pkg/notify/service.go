package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/secretbox"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Config configures a Service.
type Config struct {
	// DB holds the notification tables (migration 0011_notifications). Required.
	DB *db.DB
	// Secrets seals destination secrets at rest. Required.
	Secrets *secretbox.Box
	// Logger receives delivery failures. Default: discard.
	Logger *slog.Logger
	// Audit records destination and route changes. Default: nothing is recorded.
	Audit func(context.Context, users.AuditEntry)
	// HTTPClient sends webhooks. Default: a client without redirects to other hosts'
	// credentials (the standard client) and SendTimeout per request.
	HTTPClient *http.Client
	// SendTimeout bounds one attempt (HTTP request or SMTP session). Default: 15s.
	SendTimeout time.Duration
	// MaxAttempts is how often a delivery is tried before it is given up. Default: 5.
	MaxAttempts int
	// BackoffBase is the wait after the first failed attempt; each further failure
	// doubles it. Default: 30s.
	BackoffBase time.Duration
	// BackoffMax caps the wait between attempts. Default: 1h.
	BackoffMax time.Duration
	// BatchSize is how many due deliveries one ProcessDue call claims at a time.
	// Default: 20.
	BatchSize int
	// Concurrency is how many deliveries one ProcessDue call sends in parallel. Default: 4.
	Concurrency int
	// Retention is how long finished deliveries stay in the log. Default: 30 days.
	Retention time.Duration
	// Version goes into the User-Agent of webhook requests. Default: "dev".
	Version string
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Service manages destinations and routes and delivers notifications. It is safe for
// concurrent use, and several Services (replicas) may share one database.
type Service struct {
	cfg Config
	db  *db.DB
	box *secretbox.Box
	log *slog.Logger

	pruneMu   sync.Mutex
	lastPrune time.Time
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("notify: Config.DB is required")
	case cfg.Secrets == nil:
		return nil, errors.New("notify: Config.Secrets is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = func(context.Context, users.AuditEntry) {}
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 15 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: cfg.SendTimeout}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 30 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = time.Hour
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 20
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, db: cfg.DB, box: cfg.Secrets, log: cfg.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Backoff is the wait after the given number of failed attempts (1 = after the first).
func (s *Service) Backoff(failed int) time.Duration {
	d := s.cfg.BackoffBase
	for i := 1; i < failed && d < s.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.BackoffMax)
}

func sealContext(id uuid.UUID) string { return "notify.destination:" + id.String() }

func (s *Service) seal(id uuid.UUID, sec Secrets) (string, error) {
	b, err := json.Marshal(sec)
	if err != nil {
		return "", err
	}
	return s.box.Seal(b, sealContext(id))
}

func (s *Service) open(id uuid.UUID, sealed string) (Secrets, error) {
	var sec Secrets
	if sealed == "" {
		return sec, nil
	}
	b, err := s.box.Open(sealed, sealContext(id))
	if err != nil {
		return sec, err
	}
	return sec, json.Unmarshal(b, &sec)
}

// ListDestinations returns every destination by name, secrets masked.
func (s *Service) ListDestinations(ctx context.Context) ([]Destination, error) {
	rows, err := s.listDestinationRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Destination, len(rows))
	for i, r := range rows {
		out[i] = s.public(r)
	}
	return out, nil
}

// GetDestination returns one destination, secrets masked.
func (s *Service) GetDestination(ctx context.Context, id uuid.UUID) (Destination, error) {
	r, err := s.destination(ctx, id)
	if err != nil {
		return Destination{}, err
	}
	return s.public(*r), nil
}

func (s *Service) public(r destRow) Destination {
	d := Destination{ID: r.ID, Name: r.Name, Type: r.Type, Enabled: r.Enabled, Config: r.Config,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastStatus: r.LastStatus, LastDelivery: r.LastDelivery}
	if sec, err := s.open(r.ID, r.Sealed); err == nil {
		d.Secrets = sec.Masked()
	}
	return d
}

// CreateDestination validates in, seals its secrets and stores it.
func (s *Service) CreateDestination(ctx context.Context, in DestinationInput) (Destination, error) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return Destination{}, invalid("name", "Name is required")
	}
	if !slices.Contains(DestinationTypes, in.Type) {
		return Destination{}, invalid("type", "Type must be one of webhook, email, ntfy, gotify, slack, discord, teams")
	}
	r := destRow{ID: uuid.New(), Name: strings.TrimSpace(*in.Name), Type: in.Type, Enabled: true}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if in.Config != nil {
		r.Config = *in.Config
	}
	r.Secrets = Secrets{}.apply(in.Secrets)
	if err := s.checkAndSeal(&r); err != nil {
		return Destination{}, err
	}
	if err := s.insertDestination(ctx, &r); err != nil {
		return Destination{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "notification_destination_created", Success: true,
		TargetType: "notification_destination", TargetID: r.ID.String(), TargetName: r.Name,
		Details: map[string]any{"type": string(r.Type)}})
	return s.GetDestination(ctx, r.ID)
}

func (s *Service) checkAndSeal(r *destRow) error {
	if len(r.Name) > 100 {
		return invalid("name", "Name must be at most 100 characters")
	}
	if err := validate(r.Type, &r.Config, &r.Secrets); err != nil {
		return err
	}
	sealed, err := s.seal(r.ID, r.Secrets)
	if err != nil {
		return err
	}
	r.Sealed = sealed
	return nil
}

// UpdateDestination changes the fields present in in. Secrets not mentioned are kept.
func (s *Service) UpdateDestination(ctx context.Context, id uuid.UUID, in DestinationInput) (Destination, error) {
	r, err := s.destination(ctx, id)
	if err != nil {
		return Destination{}, err
	}
	if r.secretErr != nil && in.Secrets == nil {
		return Destination{}, ErrSecretUnreadable
	}
	if in.Type != "" && in.Type != r.Type {
		return Destination{}, invalid("type", "The type of a destination cannot change")
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return Destination{}, invalid("name", "Name is required")
		}
		r.Name = strings.TrimSpace(*in.Name)
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if in.Config != nil {
		r.Config = *in.Config
	}
	r.Secrets = r.Secrets.apply(in.Secrets)
	if err := s.checkAndSeal(r); err != nil {
		return Destination{}, err
	}
	if err := s.updateDestination(ctx, r); err != nil {
		return Destination{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "notification_destination_updated", Success: true,
		TargetType: "notification_destination", TargetID: r.ID.String(), TargetName: r.Name})
	return s.GetDestination(ctx, id)
}

// DeleteDestination removes a destination, its pending deliveries and its log.
func (s *Service) DeleteDestination(ctx context.Context, id uuid.UUID) error {
	name, err := s.deleteDestination(ctx, id)
	if err != nil {
		return err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "notification_destination_deleted", Success: true,
		TargetType: "notification_destination", TargetID: id.String(), TargetName: name})
	return nil
}

// SendResult is the outcome of SendNow.
type SendResult struct {
	DeliveryID   uuid.UUID
	Succeeded    bool
	ResponseCode *int
	Error        string
	Duration     time.Duration
	// WillRetry says a failed delivery stays queued for another attempt.
	WillRetry bool
}

// SendTest sends a test notification to one destination at once (even a disabled one:
// testing it before switching it on is the point) and reports the outcome; it is logged
// like every delivery but not retried.
func (s *Service) SendTest(ctx context.Context, id uuid.UUID) (SendResult, error) {
	d, err := s.destination(ctx, id)
	if err != nil {
		return SendResult{}, err
	}
	m := Message{Event: Event{Type: EventTest, Severity: SeverityInformational, Title: "PatchMon test notification",
		Message: "This is a test notification from PatchMon for the destination \"" + d.Name + "\". If you can read it, the destination works."}}
	return s.sendNow(ctx, d, m, nil, 1, true)
}

// SendNow delivers m to the destination at once: the first attempt happens before it
// returns, later ones (up to MaxAttempts) through ProcessDue. Used by scheduled reports.
func (s *Service) SendNow(ctx context.Context, destinationID uuid.UUID, m Message) (SendResult, error) {
	d, err := s.destination(ctx, destinationID)
	if err != nil {
		return SendResult{}, err
	}
	return s.sendNow(ctx, d, m, nil, s.cfg.MaxAttempts, false)
}

func (s *Service) sendNow(ctx context.Context, d *destRow, m Message, route *uuid.UUID, maxAttempts int, ignoreDisabled bool) (SendResult, error) {
	if err := m.Event.normalise(s.now()); err != nil {
		return SendResult{}, invalid("event", err.Error())
	}
	id, err := s.insertClaimedDelivery(ctx, d.ID, route, &m, maxAttempts)
	if err != nil {
		return SendResult{}, err
	}
	job := claimed{ID: id, Dest: d, Message: m, Attempt: 1, MaxAttempts: maxAttempts}
	if ignoreDisabled {
		job.Dest = &destRow{}
		*job.Dest = *d
		job.Dest.Enabled = true
	}
	res := s.attempt(ctx, job)
	return res, nil
}

// Publish delivers an event to the destinations of every enabled route that matches it
// (each destination once) by queueing a delivery for ProcessDue. It returns how many
// deliveries were queued.
func (s *Service) Publish(ctx context.Context, ev Event) (int, error) {
	if err := ev.normalise(s.now()); err != nil {
		return 0, err
	}
	targets, err := s.matchRoutes(ctx, ev)
	if err != nil {
		return 0, err
	}
	if len(targets) == 0 {
		return 0, nil
	}
	m := Message{Event: ev}
	if err := s.insertDeliveries(ctx, targets, &m); err != nil {
		return 0, err
	}
	return len(targets), nil
}

// ProcessDue sends every delivery that is due, batch by batch, until none is left. Several
// replicas may call it at once: each delivery is claimed by one.
func (s *Service) ProcessDue(ctx context.Context) error {
	s.maybePrune(ctx)
	for {
		batch, err := s.claimDue(ctx, s.cfg.BatchSize)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		sem := make(chan struct{}, s.cfg.Concurrency)
		var wg sync.WaitGroup
		for _, job := range batch {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				s.attempt(ctx, job)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// attempt sends one claimed delivery and records the outcome.
func (s *Service) attempt(ctx context.Context, job claimed) SendResult {
	start := time.Now()
	var o outcome
	switch {
	case job.Dest.secretErr != nil:
		o.err = errors.New(ErrSecretUnreadable.Message)
	case !job.Dest.Enabled:
		o.err = errors.New("destination is disabled")
	default:
		o = s.send(ctx, job.Dest, &job.Message, job.ID)
	}
	dur := time.Since(start)
	res := SendResult{DeliveryID: job.ID, Succeeded: o.err == nil, Duration: dur}
	if o.code != 0 {
		c := o.code
		res.ResponseCode = &c
	}
	if o.err != nil {
		res.Error = o.err.Error()
		if len(res.Error) > 1000 {
			res.Error = res.Error[:1000]
		}
		res.WillRetry = job.Attempt < job.MaxAttempts && job.Dest.Enabled && job.Dest.secretErr == nil
		s.log.WarnContext(ctx, "notification delivery failed", "delivery", job.ID, "destination", job.Dest.Name,
			"type", job.Dest.Type, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "will_retry", res.WillRetry, "err", res.Error)
	}
	next := s.now().Add(s.Backoff(job.Attempt))
	// Recording must happen even when the caller's context ends right after the send.
	if err := s.recordAttempt(context.WithoutCancel(ctx), job, res, next); err != nil {
		s.log.ErrorContext(ctx, "recording a notification attempt failed", "delivery", job.ID, "err", err)
	}
	return res
}

// Run calls ProcessDue every interval until ctx ends. Servers without a job scheduler use
// it; with one, schedule ProcessDue there instead.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.ProcessDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "processing notifications failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) maybePrune(ctx context.Context) {
	s.pruneMu.Lock()
	due := s.now().Sub(s.lastPrune) > time.Hour
	if due {
		s.lastPrune = s.now()
	}
	s.pruneMu.Unlock()
	if !due {
		return
	}
	if err := s.prune(ctx, s.now().Add(-s.cfg.Retention)); err != nil {
		s.log.WarnContext(ctx, "pruning the notification log failed", "err", err)
	}
}
