package patchmon

import (
	"context"
	"sync"
	"time"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/dashboard"
	"github.com/patchmon-go/patchmon/pkg/settings"
	"github.com/patchmon-go/patchmon/pkg/users"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Names for embedding next to inventory.API in the api type.
type (
	dashboardHandlers = dashboard.API
	settingsHandlers  = settings.API
)

// snapshotMaxAge is how old the newest fleet statistics snapshot may be at start before
// the server takes one (the periodic job takes one every 30 minutes).
const snapshotMaxAge = 30 * time.Minute

// dashboardState is the dashboard and settings wiring of a running server.
type dashboardState struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startDashboard binds the dashboard and settings endpoints and, in the background, takes
// a fleet statistics snapshot when the newest is stale, so trend charts have a current
// point. Called with s.mu held, after startInventory and startAuth.
func (s *Server) startDashboard() error {
	inv := s.inventorySvc
	dash, err := dashboard.New(dashboard.Config{
		DB: s.db,
		Snapshot: func(ctx context.Context) error {
			_, err := inv.SnapshotFleetStats(ctx)
			return err
		},
		Logger: s.log.With("component", "dashboard"),
	})
	if err != nil {
		return err
	}
	var audit func(context.Context, users.AuditEntry)
	if us := s.authn.users.Load(); us != nil {
		audit = us.Audit
	}
	set, err := settings.New(settings.Config{
		DB:              s.db,
		DefaultProtocol: s.cfg.ServerProtocol,
		DefaultHost:     s.cfg.ServerHost,
		DefaultPort:     s.cfg.ServerPort,
		PushInterval:    s.pushUpdateInterval,
		Audit:           audit,
		Logger:          s.log.With("component", "settings"),
	})
	if err != nil {
		return err
	}
	s.dashboard.Bind(dash)
	s.settings.Bind(set)

	ctx, cancel := context.WithCancel(context.Background())
	s.dash.cancel = cancel
	s.dash.wg.Add(1)
	go func() {
		defer s.dash.wg.Done()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		took, err := dash.SnapshotIfStale(ctx, snapshotMaxAge)
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "fleet statistics snapshot at start failed", "err", err)
		} else if took {
			s.log.InfoContext(ctx, "took a fleet statistics snapshot (the newest was stale)")
		}
	}()
	return nil
}

// stopDashboard unbinds the endpoints and waits for the start-up snapshot.
func (s *Server) stopDashboard() {
	s.dashboard.Bind(nil)
	s.settings.Bind(nil)
	if s.dash.cancel != nil {
		s.dash.cancel()
		s.dash.wg.Wait()
		s.dash.cancel = nil
	}
}

// pushUpdateInterval sends settings_update with the new interval to every connected
// agent that follows the server's interval, on whichever replica it is connected.
func (s *Server) pushUpdateInterval(ctx context.Context, minutes int) (settings.Notified, error) {
	hub := s.Hub()
	if hub == nil {
		return settings.Notified{}, ErrNotStarted
	}
	// Hosts with an interval of their own keep it.
	target := agenthub.Fleet
	if inv := s.inventorySvc; inv != nil {
		ids, all, err := inv.HostsFollowingServerInterval(ctx)
		if err != nil {
			return settings.Notified{}, err
		}
		if !all {
			if len(ids) == 0 {
				return settings.Notified{}, nil
			}
			target = agenthub.Target{HostIDs: ids}
		}
	}
	res, err := hub.SendTo(ctx, target, wsproto.SettingsUpdate{UpdateInterval: minutes})
	if err != nil {
		return settings.Notified{}, err
	}
	return settings.Notified{Delivered: res.Delivered, Offline: res.Offline, Failed: res.Failed}, nil
}
