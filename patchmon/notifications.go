package patchmon

import (
	"context"
	"time"

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

// Until the job scheduler drives them, the server polls for due deliveries and reports.
const (
	notifyPollInterval  = 15 * time.Second
	reportsPollInterval = 30 * time.Second
)

// startNotifications builds the notification and report services and starts their
// polling loops. Called by Start with s.mu held, after startAuth (which sets s.secrets).
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
	ctx, cancel := context.WithCancel(context.Background())
	s.bgCancel = cancel
	s.bg.Add(2)
	go func() { defer s.bg.Done(); ns.Run(ctx, notifyPollInterval) }()
	go func() { defer s.bg.Done(); rs.Run(ctx, reportsPollInterval) }()
	return nil
}

// stopNotifications stops the loops (waiting for sends in progress) and unbinds the APIs.
func (s *Server) stopNotifications() {
	if s.bgCancel != nil {
		s.bgCancel()
		s.bg.Wait()
		s.bgCancel = nil
	}
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
