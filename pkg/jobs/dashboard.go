package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"riverqueue.com/riverui"
)

// Dashboard is River's own queue UI (riverui) over this service's queue: every River job
// with its arguments, state, attempts and errors, and retry/cancel/delete actions. It does
// no authentication of its own; mount it behind an administrator check.
type Dashboard struct {
	h      *riverui.Handler
	cancel context.CancelFunc
}

// NewDashboard builds River's UI for the queue, serving its pages and API under prefix
// ("/admin/queues"). Start it before serving and Stop it with the service.
func (s *Service) NewDashboard(prefix string, logger *slog.Logger) (*Dashboard, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(s.client, nil),
		Logger:    slog.New(minLevel{Handler: logger.Handler(), min: slog.LevelWarn}),
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: queue dashboard: %w", err)
	}
	return &Dashboard{h: h}, nil
}

// Start starts the dashboard's background services; ctx bounds starting only.
func (d *Dashboard) Start(ctx context.Context) error {
	// riverui runs its services until the start context ends.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := d.h.Start(rctx); err != nil {
		cancel()
		return err
	}
	d.cancel = cancel
	return nil
}

// Stop stops the dashboard's background services.
func (d *Dashboard) Stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// ServeHTTP serves the dashboard's pages and API.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.h.ServeHTTP(w, r) }
