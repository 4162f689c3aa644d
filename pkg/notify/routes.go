package notify

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/users"
)

// Route sends matching events to destinations. Empty EventTypes matches every type; empty
// HostGroupIDs and HostIDs match every host and events without one. Otherwise an event
// matches when its host is listed or belongs to a listed group.
type Route struct {
	ID             uuid.UUID
	Name           string
	Enabled        bool
	EventTypes     []string
	MinSeverity    Severity
	HostGroupIDs   []uuid.UUID
	HostIDs        []uuid.UUID
	DestinationIDs []uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RouteInput creates or replaces a route.
type RouteInput struct {
	Name           string
	Enabled        bool
	EventTypes     []string
	MinSeverity    Severity
	HostGroupIDs   []uuid.UUID
	HostIDs        []uuid.UUID
	DestinationIDs []uuid.UUID
}

func (in *RouteInput) normalise() error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return invalid("name", "Name is required (at most 100 characters)")
	}
	if in.MinSeverity == "" {
		in.MinSeverity = SeverityInformational
	}
	if in.MinSeverity.Rank() < 0 {
		return invalid("min_severity", "Minimum severity must be informational, warning, error or critical")
	}
	var types []string
	for _, t := range in.EventTypes {
		t = strings.TrimSpace(t)
		if !eventTypeRE.MatchString(t) {
			return invalid("event_types", "Invalid event type: "+t)
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	in.EventTypes = types
	if len(in.DestinationIDs) == 0 {
		return invalid("destination_ids", "Choose at least one destination")
	}
	for _, p := range []*[]uuid.UUID{&in.HostGroupIDs, &in.HostIDs, &in.DestinationIDs} {
		slices.SortFunc(*p, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		*p = slices.Compact(*p)
		if *p == nil {
			*p = []uuid.UUID{}
		}
	}
	if in.EventTypes == nil {
		in.EventTypes = []string{}
	}
	return nil
}

// ListRoutes returns every route by name.
func (s *Service) ListRoutes(ctx context.Context) ([]Route, error) { return s.listRoutes(ctx, nil) }

// GetRoute returns one route.
func (s *Service) GetRoute(ctx context.Context, id uuid.UUID) (Route, error) {
	rs, err := s.listRoutes(ctx, &id)
	if err != nil {
		return Route{}, err
	}
	if len(rs) == 0 {
		return Route{}, ErrRouteNotFound
	}
	return rs[0], nil
}

// CreateRoute stores a new route.
func (s *Service) CreateRoute(ctx context.Context, in RouteInput) (Route, error) {
	if err := in.normalise(); err != nil {
		return Route{}, err
	}
	id := uuid.New()
	if err := s.saveRoute(ctx, id, in, true); err != nil {
		return Route{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "notification_route_created", Success: true,
		TargetType: "notification_route", TargetID: id.String(), TargetName: in.Name})
	return s.GetRoute(ctx, id)
}

// UpdateRoute replaces a route.
func (s *Service) UpdateRoute(ctx context.Context, id uuid.UUID, in RouteInput) (Route, error) {
	if err := in.normalise(); err != nil {
		return Route{}, err
	}
	if err := s.saveRoute(ctx, id, in, false); err != nil {
		return Route{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "notification_route_updated", Success: true,
		TargetType: "notification_route", TargetID: id.String(), TargetName: in.Name})
	return s.GetRoute(ctx, id)
}

// DeleteRoute removes a route; its deliveries stay in the log.
func (s *Service) DeleteRoute(ctx context.Context, id uuid.UUID) error {
	name, err := s.deleteRoute(ctx, id)
	if err != nil {
		return err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: "notification_route_deleted", Success: true,
		TargetType: "notification_route", TargetID: id.String(), TargetName: name})
	return nil
}

// Delivery is one message to one destination, with its attempts.
type Delivery struct {
	ID              uuid.UUID
	DestinationID   uuid.UUID
	DestinationName string
	DestinationType DestinationType
	RouteID         *uuid.UUID
	EventType       string
	Severity        Severity
	Title           string
	// Status is pending, succeeded or failed (given up).
	Status        string
	Attempts      int
	MaxAttempts   int
	NextAttemptAt *time.Time
	LastError     string
	ResponseCode  *int
	DeliveredAt   *time.Time
	CreatedAt     time.Time
	Log           []Attempt
}

// Attempt is one try at a delivery.
type Attempt struct {
	Attempt      int
	Succeeded    bool
	ResponseCode *int
	Error        string
	DurationMs   int
	At           time.Time
}

// DeliveryFilter narrows ListDeliveries.
type DeliveryFilter struct {
	DestinationID *uuid.UUID
	Status        string
	EventType     string
	// Limit defaults to 50 (at most 500).
	Limit  int
	Offset int
}

// ListDeliveries returns the delivery log, newest first, with the total matching count.
func (s *Service) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, int, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	if f.Status != "" && !slices.Contains([]string{"pending", "succeeded", "failed"}, f.Status) {
		return nil, 0, invalid("status", "Status must be pending, succeeded or failed")
	}
	return s.listDeliveries(ctx, f)
}

// HostRef and GroupRef name hosts and host groups for the route editor.
type HostRef struct {
	ID   uuid.UUID
	Name string
}

// Targets lists the hosts and host groups routes may name.
func (s *Service) Targets(ctx context.Context) (groups, hosts []HostRef, err error) {
	return s.targets(ctx)
}
