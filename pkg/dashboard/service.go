package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
)

// Config configures a Service.
type Config struct {
	// DB holds the inventory tables (migration 0003) and dashboard_preferences. Required.
	DB *db.DB
	// Snapshot records one fleet statistics snapshot; the server passes
	// inventory.Service.SnapshotFleetStats. Required by SnapshotIfStale only.
	Snapshot func(ctx context.Context) error
	// Logger receives unexpected errors. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Service answers the dashboard queries. It is safe for concurrent use.
type Service struct {
	cfg Config
	db  *db.DB
	log *slog.Logger
}

// New validates cfg and returns a Service. It does no I/O.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("dashboard: Config.DB is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, db: cfg.DB, log: cfg.Logger}, nil
}

// OSCount is the number of hosts running one operating system version.
type OSCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Stats are the fleet totals of the dashboard cards.
type Stats struct {
	TotalHosts, ActiveHosts, PendingHosts, OfflineHosts int
	// HostsNeedingUpdates have at least one outdated package.
	HostsNeedingUpdates      int
	HostsWithSecurityUpdates int
	// UpToDateHosts have reported and have no outdated package.
	UpToDateHosts      int
	HostsNeedingReboot int
	// OutdatedPackages and SecurityPackages count distinct packages with an update (a
	// security update) on at least one host.
	OutdatedPackages int
	SecurityPackages int
	// OSDistribution is largest first.
	OSDistribution []OSCount
	At             time.Time
}

// Stats computes the fleet totals, in one statement so that they agree.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	st := Stats{At: s.cfg.Now().UTC()}
	var dist []byte
	err := s.db.Pool.QueryRow(ctx, sqlStats).Scan(&st.TotalHosts, &st.ActiveHosts, &st.PendingHosts, &st.OfflineHosts,
		&st.HostsNeedingUpdates, &st.HostsWithSecurityUpdates, &st.UpToDateHosts, &st.HostsNeedingReboot,
		&st.OutdatedPackages, &st.SecurityPackages, &dist)
	if err != nil {
		return Stats{}, err
	}
	if err := json.Unmarshal(dist, &st.OSDistribution); err != nil {
		return Stats{}, err
	}
	return st, nil
}

// Range is a trend chart's period.
type Range string

// Trend ranges.
const (
	Range24h Range = "24h"
	Range7d  Range = "7d"
	Range30d Range = "30d"
	Range90d Range = "90d"
)

// Span returns the period and the bucket width of r (one point per bucket).
func (r Range) Span() (period, bucket time.Duration, ok bool) {
	switch r {
	case Range24h:
		return 24 * time.Hour, 30 * time.Minute, true
	case Range7d:
		return 7 * 24 * time.Hour, 2 * time.Hour, true
	case Range30d:
		return 30 * 24 * time.Hour, 6 * time.Hour, true
	case Range90d:
		return 90 * 24 * time.Hour, 24 * time.Hour, true
	}
	return 0, 0, false
}

// TrendPoint is one snapshot of the fleet counters.
type TrendPoint struct {
	At                       time.Time
	TotalHosts               int
	HostsNeedingUpdates      int
	HostsWithSecurityUpdates int
	HostsNeedingReboot       int
	OfflineHosts             int
	OutdatedPackages         int
	SecurityPackages         int
}

// ErrUnknownRange is returned by Trends for a range other than the Range constants.
var ErrUnknownRange = errors.New("dashboard: unknown trend range")

// Trends returns the last snapshot of every bucket of r, oldest first.
func (s *Service) Trends(ctx context.Context, r Range) ([]TrendPoint, time.Duration, error) {
	period, bucket, ok := r.Span()
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q", ErrUnknownRange, r)
	}
	rows, err := s.db.Pool.Query(ctx, sqlTrends, s.cfg.Now().Add(-period), bucket.Seconds())
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []TrendPoint{}
	for rows.Next() {
		var p TrendPoint
		if err := rows.Scan(&p.At, &p.TotalHosts, &p.HostsNeedingUpdates, &p.HostsWithSecurityUpdates,
			&p.HostsNeedingReboot, &p.OfflineHosts, &p.OutdatedPackages, &p.SecurityPackages); err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, bucket, rows.Err()
}

// LatestSnapshot returns when the newest fleet statistics snapshot was taken (zero when
// there is none).
func (s *Service) LatestSnapshot(ctx context.Context) (time.Time, error) {
	var t *time.Time
	if err := s.db.Pool.QueryRow(ctx, sqlLatestSnapshot).Scan(&t); err != nil || t == nil {
		return time.Time{}, err
	}
	return *t, nil
}

// SnapshotIfStale takes a snapshot (Config.Snapshot) when the newest one is older than
// maxAge, so trend charts have a current point after a restart or a pause of the periodic
// job. It reports whether it took one.
func (s *Service) SnapshotIfStale(ctx context.Context, maxAge time.Duration) (bool, error) {
	if s.cfg.Snapshot == nil {
		return false, errors.New("dashboard: Config.Snapshot is not set")
	}
	last, err := s.LatestSnapshot(ctx)
	if err != nil {
		return false, err
	}
	if !last.IsZero() && s.cfg.Now().Sub(last) < maxAge {
		return false, nil
	}
	if err := s.cfg.Snapshot(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Activity is one agent report.
type Activity struct {
	ID, HostID    uuid.UUID
	HostName      string
	ReportType    string // full, partial
	Status        string // success, error
	PackagesCount int
	SecurityCount int
	TotalPackages int
	ErrorMessage  *string
	At            time.Time
}

// RecentActivity returns the newest limit reports across the fleet (check-ins that only
// asked for data are left out).
func (s *Service) RecentActivity(ctx context.Context, limit int) ([]Activity, error) {
	rows, err := s.db.Pool.Query(ctx, sqlRecentActivity, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Activity, error) {
		var a Activity
		err := row.Scan(&a.ID, &a.HostID, &a.HostName, &a.ReportType, &a.Status, &a.PackagesCount,
			&a.SecurityCount, &a.TotalPackages, &a.ErrorMessage, &a.At)
		return a, err
	})
}

// Preference is one card of a layout.
type Preference struct {
	CardID  string
	Enabled bool
	Order   int
}

// DefaultLayout is the layout of users who never saved one.
func DefaultLayout() []Preference {
	out := make([]Preference, len(Cards))
	for i, c := range Cards {
		out[i] = Preference{CardID: c.ID, Enabled: c.Default, Order: i}
	}
	return out
}

// Layout returns user's layout: every known card in display order, numbered from 0, and
// whether the user has saved one. Cards added to the catalogue after the user saved
// follow with their default visibility.
func (s *Service) Layout(ctx context.Context, user uuid.UUID) ([]Preference, bool, error) {
	rows, err := s.db.Pool.Query(ctx, sqlLoadLayout, user)
	if err != nil {
		return nil, false, err
	}
	saved, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Preference, error) {
		var p Preference
		err := row.Scan(&p.CardID, &p.Enabled)
		return p, err
	})
	if err != nil {
		return nil, false, err
	}
	if len(saved) == 0 {
		return DefaultLayout(), false, nil
	}
	seen := map[string]bool{}
	out := make([]Preference, 0, len(Cards))
	for _, p := range saved {
		if cardIndex(p.CardID) >= 0 && !seen[p.CardID] {
			seen[p.CardID] = true
			out = append(out, p)
		}
	}
	for _, c := range Cards {
		if !seen[c.ID] {
			out = append(out, Preference{CardID: c.ID, Enabled: c.Default})
		}
	}
	for i := range out {
		out[i].Order = i
	}
	return out, true, nil
}

// LayoutError is a refused layout: which entry, and why.
type LayoutError struct {
	Index   int
	CardID  string
	Message string
}

func (e *LayoutError) Error() string { return e.Message }

// NormalizeLayout validates prefs and returns the complete layout to store: cards sorted
// by Order (ties keep their list order), known cards that were left out appended hidden,
// orders renumbered from 0. Unknown and repeated card ids are a *LayoutError.
func NormalizeLayout(prefs []Preference) ([]Preference, error) {
	seen := map[string]bool{}
	for i, p := range prefs {
		switch {
		case cardIndex(p.CardID) < 0:
			return nil, &LayoutError{Index: i, CardID: p.CardID, Message: fmt.Sprintf("Unknown dashboard card: %s", p.CardID)}
		case seen[p.CardID]:
			return nil, &LayoutError{Index: i, CardID: p.CardID, Message: fmt.Sprintf("Dashboard card listed twice: %s", p.CardID)}
		case p.Order < 0:
			return nil, &LayoutError{Index: i, CardID: p.CardID, Message: "Card order must not be negative"}
		}
		seen[p.CardID] = true
	}
	out := append([]Preference(nil), prefs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	for _, c := range Cards {
		if !seen[c.ID] {
			out = append(out, Preference{CardID: c.ID})
		}
	}
	for i := range out {
		out[i].Order = i
	}
	return out, nil
}

// SaveLayout validates prefs (NormalizeLayout) and replaces user's layout with it.
func (s *Service) SaveLayout(ctx context.Context, user uuid.UUID, prefs []Preference) ([]Preference, error) {
	out, err := NormalizeLayout(prefs)
	if err != nil {
		return nil, err
	}
	ids, enabled, pos := make([]string, len(out)), make([]bool, len(out)), make([]int32, len(out))
	for i, p := range out {
		ids[i], enabled[i], pos[i] = p.CardID, p.Enabled, int32(p.Order)
	}
	err = s.db.Tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlDeleteLayout, user); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sqlInsertLayout, user, ids, enabled, pos)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
