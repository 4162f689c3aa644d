package patchmon

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/patchmon-go/patchmon/pkg/alerts"
	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/jobs"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// QueueDashboardPath is where River's queue UI is served, to users who may change settings.
const QueueDashboardPath = "/admin/queues"

// jobsHandlers and alertsHandlers name the feature APIs for embedding next to inventory.API.
type (
	jobsHandlers   = jobs.API
	alertsHandlers = alerts.API
)

// Built-in job names (the spec's queue names where it has one).
const (
	jobSessionCleanup   = "session-cleanup"
	jobOrphanRepos      = "orphaned-repo-cleanup"
	jobOrphanPackages   = "orphaned-package-cleanup"
	jobFleetSnapshot    = "fleet-stats-snapshot"
	jobHostStatus       = "host-status-monitor"
	jobAlertCleanup     = "alert-cleanup"
	jobVersionCheck     = "version-update-check"
	jobMetricsReporting = "metrics-reporting"
	jobNotifications    = "notification-delivery"
	jobScheduledReports = "scheduled-reports"
)

// startJobs starts the alert service (listening to agent events) and the job service with
// the built-in jobs and Config.Jobs. Called with s.mu held, after startHub.
func (s *Server) startJobs(ctx context.Context) error {
	as, err := alerts.New(alerts.Config{Pool: s.pool, Bus: s.store, ServerVersion: s.cfg.Version,
		Logger: s.log.With("component", "alerts")})
	if err != nil {
		return err
	}
	if s.cfg.OnAlert != nil {
		as.OnEvent(s.cfg.OnAlert)
	}
	ns, rs := s.notifySvc, s.reportsSvc
	if ns != nil {
		as.OnEvent(alertNotifier(ns, s.cfg.publicURL(), s.log))
	}
	versions, err := jobs.NewVersionChecker(jobs.VersionCheckConfig{Pool: s.pool, ServerRecord: s.cfg.VersionCheckServerRecord,
		AgentRecord: s.cfg.VersionCheckAgentRecord, Resolver: s.cfg.DNSResolver, CurrentVersion: s.cfg.Version})
	if err != nil {
		return err
	}
	metrics, err := jobs.NewMetricsReporter(jobs.MetricsConfig{Pool: s.pool, URL: s.cfg.MetricsURL, Version: s.cfg.Version})
	if err != nil {
		return err
	}
	authSvc, err := s.authService()
	if err != nil {
		return err
	}
	inv := s.inventorySvc
	snapshot := s.cfg.FleetSnapshot
	if snapshot == nil {
		snapshot = func(ctx context.Context) error {
			st, err := inv.SnapshotFleetStats(ctx)
			if err == nil {
				jobs.Printf(ctx, "%d hosts, %d need updates", st.TotalHosts, st.HostsNeedingUpdates)
			}
			return err
		}
	}
	counted := func(what string, f func(context.Context) (int64, error)) func(context.Context) error {
		return func(ctx context.Context) error {
			n, err := f(ctx)
			jobs.Printf(ctx, "deleted %d %s", n, what)
			return err
		}
	}
	// The monitor first marks hosts offline that missed two reports in a row, then keeps the
	// alerts in step.
	hostStatus := func(ctx context.Context) error {
		n, err := inv.MarkMissedOffline(ctx, 2)
		if err != nil {
			return err
		}
		if n > 0 {
			jobs.Printf(ctx, "marked %d hosts offline", n)
		}
		return as.Monitor(ctx)
	}
	day := 24 * time.Hour
	builtin := []jobs.Job{
		{Name: jobSessionCleanup, Description: "Delete expired, revoked and inactive login sessions", Interval: time.Hour,
			Run: counted("sessions", authSvc.CleanupSessions)},
		{Name: jobOrphanRepos, Description: "Delete repositories no host uses", Interval: day,
			Run: counted("repositories", inv.DeleteOrphanedRepositories)},
		{Name: jobOrphanPackages, Description: "Delete packages no host has installed", Interval: day,
			Run: counted("packages", inv.DeleteOrphanedPackages)},
		// At start the dashboard takes a snapshot when the newest is stale (startDashboard).
		{Name: jobFleetSnapshot, Description: "Record fleet statistics for the trend charts", Interval: 30 * time.Minute,
			Run: snapshot},
		{Name: jobHostStatus, Description: "Mark hosts offline after two missed reports, raise host-down alerts after the configured delay, keep alerts in step with the fleet, escalate and un-silence",
			Interval: s.cfg.HostStatusInterval, Run: hostStatus},
		{Name: jobAlertCleanup, Description: "Delete resolved alerts past their type's retention", Interval: day,
			Run: counted("alerts", as.Cleanup)},
		{Name: jobVersionCheck, Description: "Read the latest server and agent versions from DNS TXT records", Interval: day,
			RunOnStart: true, Run: versions.Check},
		{Name: jobMetricsReporting, Description: "Send the anonymous usage report (only when turned on in Settings)", Interval: day,
			Run: metrics.Report},
	}
	if ns != nil {
		builtin = append(builtin, jobs.Job{Name: jobNotifications, Interval: notifyInterval,
			Description: "Deliver due notifications; failed deliveries are retried with backoff", Run: ns.ProcessDue})
	}
	if rs != nil {
		builtin = append(builtin, jobs.Job{Name: jobScheduledReports, Interval: reportsInterval,
			Description: "Run the scheduled reports whose time has come", Run: rs.RunDue})
	}
	svc, err := jobs.New(jobs.Config{Pool: s.pool, Jobs: append(builtin, s.cfg.Jobs...), Workers: s.cfg.JobWorkers,
		Logger: s.log.With("component", "jobs")})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	stop, err := as.Listen(context.WithoutCancel(ctx))
	if err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(err, svc.Stop(sctx))
	}
	dash, err := svc.NewDashboard(QueueDashboardPath, s.log.With("component", "riverui"))
	if err == nil {
		err = dash.Start(ctx)
	}
	if err != nil {
		stop()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(err, svc.Stop(sctx))
	}
	s.queueUI.Store(dash)
	s.jobSvc, s.alertSvc, s.stopAlerts = svc, as, stop
	s.jobsAPI.Bind(&jobs.Bound{Service: svc, Versions: versions, Metrics: metrics})
	s.alertsAPI.Bind(as)
	return nil
}

// stopJobs stops the event listener and waits for running jobs within ctx.
func (s *Server) stopJobs(ctx context.Context) error {
	if d := s.queueUI.Swap(nil); d != nil {
		d.Stop()
	}
	s.jobsAPI.Bind(nil)
	s.alertsAPI.Bind(nil)
	if s.stopAlerts != nil {
		s.stopAlerts()
		s.stopAlerts = nil
	}
	s.alertSvc = nil
	if s.jobSvc == nil {
		return nil
	}
	err := s.jobSvc.Stop(ctx)
	s.jobSvc = nil
	return err
}

// Jobs returns the job service of a started server (nil before Start): embedders enqueue
// runs and read the history through it.
func (s *Server) Jobs() *jobs.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobSvc
}

// Alerts returns the alert service of a started server (nil before Start): embedders raise
// their own alerts and subscribe to alert events through it.
func (s *Server) Alerts() *alerts.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alertSvc
}

// queueDashboard serves River's UI under QueueDashboardPath to signed-in users holding
// can_manage_settings (with the same session and CSRF checks as the API) and passes every
// other request on.
func (s *Server) queueDashboard(next http.Handler) http.Handler {
	dash := auth.Require(s.authService, users.PermManageSettings, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.queueUI.Load()
		if d == nil {
			httpx.WriteError(w, http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")
			return
		}
		d.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == QueueDashboardPath || strings.HasPrefix(r.URL.Path, QueueDashboardPath+"/") {
			dash.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// queueUI holds the started queue dashboard.
type queueUI = atomic.Pointer[jobs.Dashboard]
