package patchmon

import (
	"context"
	"log/slog"
	"time"

	"github.com/patchmon-go/patchmon/pkg/alerts"
	"github.com/patchmon-go/patchmon/pkg/notify"
	"github.com/patchmon-go/patchmon/pkg/reports"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// notifyHandlers and reportHandlers name the two feature APIs for embedding in api next
// to inventory.API.
type (
	notifyHandlers = notify.API
	reportHandlers = reports.API
)

// How often the job scheduler (River, see jobs.go) delivers due notifications and runs
// due scheduled reports.
const (
	notifyInterval  = 15 * time.Second
	reportsInterval = 30 * time.Second
)

// startNotifications builds the notification and report services; their work runs as
// jobs (startJobs). Called by Start with s.mu held, after startAuth (which sets
// s.secrets) and before startJobs.
func (s *Server) startNotifications() error {
	var audit func(context.Context, users.AuditEntry)
	if us := s.authn.users.Load(); us != nil {
		audit = us.Audit
	}
	ns, err := notify.New(notify.Config{DB: s.db, Secrets: s.secrets, Audit: audit, Version: s.cfg.Version,
		Logger: s.log.With("component", "notify")})
	if err != nil {
		return err
	}
	rs, err := reports.New(reports.Config{DB: s.db, Sender: ns, Audit: audit, DefaultTimezone: s.cfg.TZ,
		Logger: s.log.With("component", "reports")})
	if err != nil {
		return err
	}
	s.notifySvc, s.reportsSvc = ns, rs
	s.notifyAPI.Bind(ns)
	s.reportsAPI.Bind(rs)
	return nil
}

// stopNotifications unbinds the APIs; the jobs that deliver are stopped by stopJobs.
func (s *Server) stopNotifications() {
	s.notifyAPI.Bind(nil)
	s.reportsAPI.Bind(nil)
	s.notifySvc, s.reportsSvc = nil, nil
}

// Notify returns the notification service of a started server (nil before Start):
// Publish sends events through the configured routes, ProcessDue delivers what is due.
func (s *Server) Notify() *notify.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notifySvc
}

// Reports returns the scheduled-report service of a started server (nil before Start);
// RunDue runs the reports whose time has come.
func (s *Server) Reports() *reports.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reportsSvc
}

// alertNotifier turns alert events into notifications: a new alert is sent as its type
// (a host back up as host_up), an escalation as the same type with its raised severity.
// Resolutions are not sent; the host_up event says a host is back.
func alertNotifier(ns *notify.Service, publicURL string, log *slog.Logger) alerts.EventHook {
	return func(ctx context.Context, ev alerts.Event) {
		if ev.Kind == alerts.EventResolved {
			return
		}
		a := ev.Alert
		typ := string(a.Type)
		if a.Type == alerts.TypeHostRecovered {
			typ = notify.EventHostUp
		}
		title := a.Title
		if ev.Kind == alerts.EventEscalated {
			title = "Escalated: " + title
		}
		_, err := ns.Publish(ctx, notify.Event{Type: typ, Severity: notify.Severity(a.Severity), HostID: a.HostID,
			HostName: a.HostName, Title: title, Message: a.Message, URL: publicURL + "/alerts/" + a.ID.String(),
			Time: a.UpdatedAt})
		if err != nil {
			log.WarnContext(ctx, "queueing the notification of an alert failed", "alert_id", a.ID, "err", err)
		}
	}
}
