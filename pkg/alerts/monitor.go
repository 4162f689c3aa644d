package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

// Host status monitor queries. A host is down when its agent holds no WebSocket and it has
// not been heard from (check-in, report or connection) for the host_down delay; hosts whose
// agent never connected by WebSocket get their report interval on top, since they only
// check in that often.
const (
	sqlHostsDown = `
SELECT h.id, h.friendly_name, GREATEST(p.disconnected_at, h.last_checkin_at)
FROM hosts h
LEFT JOIN agent_presence p ON p.host_id = h.id
CROSS JOIN settings s
JOIN alert_config c ON c.alert_type = 'host_down'
WHERE c.enabled AND h.host_down_alerts AND h.status <> 'pending'
  AND COALESCE(p.status, 'offline') <> 'online'
  AND COALESCE(GREATEST(p.disconnected_at, h.last_checkin_at), h.created_at)
      < now() - make_interval(mins => c.delay_minutes + CASE WHEN p.host_id IS NULL THEN COALESCE(h.update_interval, s.agent_update_interval) ELSE 0 END)
  AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.alert_type = 'host_down' AND a.host_id = h.id AND a.status <> 'resolved')
ORDER BY h.id`
	sqlHostsBackUp = `
SELECT h.id FROM alerts a
JOIN hosts h ON h.id = a.host_id
LEFT JOIN agent_presence p ON p.host_id = h.id
WHERE a.alert_type = 'host_down' AND a.status <> 'resolved'
  AND (p.status = 'online' OR h.last_checkin_at > a.created_at OR NOT h.host_down_alerts)
ORDER BY h.id`
	// sqlHostConditions lists, per host, the report-driven conditions.
	// sqlHostConditions returns only the hosts whose report-driven alerts may need raising
	// or resolving: where a condition and its open alert disagree. The agent version is
	// compared in Go, so for it the query returns hosts without an agent alert whose
	// version differs from the latest, and hosts with one whose version is now the latest,
	// unknown, or different from the version the alert was raised for. A fleet in order
	// returns (almost) nothing. $1 is the security threshold, $2 the latest agent version.
	sqlHostConditions = `
WITH h AS (
    SELECT h.id, h.friendly_name, h.security_updates, h.needs_reboot, COALESCE(h.reboot_reason, '') AS reason,
           COALESCE(h.agent_version, '') AS version, COALESCE(u.status, '') AS report_status,
           COALESCE(u.error_message, '') AS report_error,
           ARRAY(SELECT a.alert_type FROM alerts a WHERE a.host_id = h.id AND a.status <> 'resolved') AS open,
           (SELECT a.details->>'agent_version' FROM alerts a
            WHERE a.host_id = h.id AND a.alert_type = 'agent_outdated' AND a.status <> 'resolved') AS alerted_version
    FROM hosts h
    LEFT JOIN LATERAL (SELECT status, error_message FROM update_history
                       WHERE host_id = h.id AND report_type <> 'ping' ORDER BY created_at DESC LIMIT 1) u ON true
    WHERE h.status <> 'pending'
)
SELECT id, friendly_name, security_updates, needs_reboot, reason, version, report_status, report_error, open
FROM h
WHERE (security_updates >= $1) <> ('security_updates' = ANY (open))
   OR needs_reboot <> ('reboot_required' = ANY (open))
   OR (report_status = 'error') <> ('report_failed' = ANY (open))
   OR (NOT 'agent_outdated' = ANY (open) AND $2 <> '' AND version <> '' AND version <> $2)
   OR ('agent_outdated' = ANY (open) AND ($2 = '' OR version = '' OR version = $2
                                         OR version IS DISTINCT FROM alerted_version))
ORDER BY id`
	sqlHostName     = `SELECT friendly_name FROM hosts WHERE id = $1`
	sqlLatestKnown  = `SELECT latest_server_version, latest_agent_version FROM settings WHERE id = 1`
	sqlSecThreshold = `SELECT threshold FROM alert_config WHERE alert_type = 'security_updates'`
	// sqlReportState is what OnReport needs first: the security threshold and the types
	// of the host's unresolved alerts.
	sqlReportState = `SELECT (SELECT threshold FROM alert_config WHERE alert_type = 'security_updates'),
       ARRAY(SELECT DISTINCT alert_type::text FROM alerts WHERE host_id = $1 AND status <> 'resolved')`
)

// Monitor is the host status monitor: it raises host-down alerts after the configured delay,
// resolves them (raising host-back-up alerts) when hosts return, keeps the report-driven
// alerts (security updates, reboot required, agent out of date, report failed, server update)
// in step with the fleet, and then runs Sweep. The server runs it every minute as the
// host-status-monitor job; it is safe to run on several replicas at once.
func (s *Service) Monitor(ctx context.Context) error {
	if err := s.monitorHostsDown(ctx); err != nil {
		return err
	}
	rows, err := s.cfg.Pool.Query(ctx, sqlHostsBackUp)
	if err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	up, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	for _, id := range up {
		if err := s.HostUp(ctx, id); err != nil {
			return err
		}
	}
	if err := s.monitorConditions(ctx); err != nil {
		return err
	}
	if err := s.monitorServerVersion(ctx); err != nil {
		return err
	}
	_, err = s.Sweep(ctx)
	return err
}

func (s *Service) monitorHostsDown(ctx context.Context) error {
	rows, err := s.cfg.Pool.Query(ctx, sqlHostsDown)
	if err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	type down struct {
		id       uuid.UUID
		name     string
		lastSeen *time.Time
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (down, error) {
		var d down
		return d, row.Scan(&d.id, &d.name, &d.lastSeen)
	})
	if err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	for _, d := range list {
		id := d.id
		msg := "No check-in or connection from the agent"
		details := map[string]any{}
		if d.lastSeen != nil {
			msg = fmt.Sprintf("Last heard from at %s", d.lastSeen.UTC().Format(time.RFC3339))
			details["last_seen"] = d.lastSeen.UTC().Format(time.RFC3339)
		}
		if _, _, err := s.RaiseCondition(ctx, Condition{Type: TypeHostDown, HostID: &id, Title: hostTitle(d.name, TypeHostDown),
			Message: msg, Details: details}); err != nil {
			return err
		}
		// A host that is down again is no longer "back up".
		if _, err := s.ResolveCondition(ctx, TypeHostRecovered, &id, "Host went down again"); err != nil {
			return err
		}
	}
	return nil
}

// HostUp resolves the host's host-down alert, if any, and raises a host-back-up alert.
func (s *Service) HostUp(ctx context.Context, hostID uuid.UUID) error {
	a, ok, err := s.store.resolveCondition(ctx, TypeHostDown, &hostID, "Host is reachable again")
	if err != nil || !ok {
		return err
	}
	s.emit(ctx, EventResolved, a)
	down := time.Since(a.CreatedAt).Round(time.Second)
	_, _, err = s.RaiseCondition(ctx, Condition{Type: TypeHostRecovered, HostID: &hostID, Title: hostTitle(a.HostName, TypeHostRecovered),
		Message: fmt.Sprintf("Reachable again after being reported down for %s", down),
		Details: map[string]any{"down_alert_id": a.ID.String(), "down_since": a.CreatedAt.UTC().Format(time.RFC3339)}})
	return err
}

func (s *Service) monitorConditions(ctx context.Context) error {
	var latestServer, latestAgent string
	if err := s.cfg.Pool.QueryRow(ctx, sqlLatestKnown).Scan(&latestServer, &latestAgent); err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	var threshold int
	if err := s.cfg.Pool.QueryRow(ctx, sqlSecThreshold).Scan(&threshold); err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	// Only hosts with something to change come back, so collecting them is cheap, and the
	// connection is free again before the alert writes need one.
	rows, err := s.cfg.Pool.Query(ctx, sqlHostConditions, threshold, latestAgent)
	if err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	hosts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (conditionHost, error) {
		var h conditionHost
		return h, row.Scan(&h.id, &h.name, &h.security, &h.reboot, &h.rebootReason, &h.version, &h.reportStatus, &h.reportErr, &h.open)
	})
	if err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	for _, h := range hosts {
		if err := s.applyHostConditions(ctx, h, threshold, latestAgent); err != nil {
			return err
		}
	}
	return nil
}

// conditionHost is a row of sqlHostConditions.
type conditionHost struct {
	id                          uuid.UUID
	name, rebootReason, version string
	reportStatus, reportErr     string
	security                    int
	reboot                      bool
	open                        []string // types of the host's unresolved alerts
}

// applyHostConditions raises and resolves the report-driven alerts of one host.
func (s *Service) applyHostConditions(ctx context.Context, h conditionHost, threshold int, latestAgent string) error {
	conds := []struct {
		t       Type
		active  bool
		message string
		details map[string]any
	}{
		{TypeSecurityUpdates, h.security >= threshold, securityMessage(h.security),
			map[string]any{"security_updates": h.security}},
		{TypeRebootRequired, h.reboot, rebootMessage(h.rebootReason), map[string]any{"reason": h.rebootReason}},
		{TypeReportFailed, h.reportStatus == "error", "The last report could not be stored: " + h.reportErr,
			map[string]any{"error": h.reportErr}},
		{TypeAgentOutdated, latestAgent != "" && h.version != "" && CompareVersions(h.version, latestAgent) < 0,
			fmt.Sprintf("Agent %s is older than the latest release %s", h.version, latestAgent),
			map[string]any{"agent_version": h.version, "latest_version": latestAgent}},
	}
	for _, c := range conds {
		host := h.id
		switch has := slices.Contains(h.open, string(c.t)); {
		case c.active && !has:
			if _, _, err := s.RaiseCondition(ctx, Condition{Type: c.t, HostID: &host, Title: hostTitle(h.name, c.t),
				Message: c.message, Details: c.details}); err != nil {
				return err
			}
		case !c.active && has:
			if _, err := s.ResolveCondition(ctx, c.t, &host, "Condition cleared"); err != nil {
				return err
			}
		}
	}
	return nil
}

func securityMessage(n int) string {
	if n == 1 {
		return "1 security update available"
	}
	return fmt.Sprintf("%d security updates available", n)
}

func rebootMessage(reason string) string {
	if reason == "" {
		return "The host needs a reboot to finish applying updates"
	}
	return "The host needs a reboot: " + reason
}

func (s *Service) monitorServerVersion(ctx context.Context) error {
	if len(versionParts(s.cfg.ServerVersion)) == 0 {
		return nil // a development build has no version to compare
	}
	var latest, agent string
	if err := s.cfg.Pool.QueryRow(ctx, sqlLatestKnown).Scan(&latest, &agent); err != nil {
		return fmt.Errorf("alerts: monitor: %w", err)
	}
	if latest != "" && CompareVersions(s.cfg.ServerVersion, latest) < 0 {
		_, _, err := s.RaiseCondition(ctx, Condition{Type: TypeServerUpdate, Title: "PatchMon server update available",
			Message: fmt.Sprintf("Version %s is available; this server runs %s", latest, s.cfg.ServerVersion),
			Details: map[string]any{"current_version": s.cfg.ServerVersion, "latest_version": latest}})
		return err
	}
	_, err := s.ResolveCondition(ctx, TypeServerUpdate, nil, "Server is up to date")
	return err
}

// Listen subscribes to agent presence and report events on Config.Bus until ctx ends or the
// returned stop is called: a host that reconnects resolves its host-down alert at once, and
// each stored report updates the security-update, reboot and report-failed alerts of its
// host. Events are handled on one goroutine, in arrival order; while it is busy, a newer
// event of a host replaces that host's queued one (only the latest state matters), so a
// burst from the whole fleet queues at most one event per host and channel.
func (s *Service) Listen(ctx context.Context) (stop func(), err error) {
	if s.cfg.Bus == nil {
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	queue := newEventQueue(listenQueueLimit)
	var refusedAt atomic.Int64
	enqueue := func(channel string) func([]byte) {
		return func(b []byte) {
			if queue.push(channel, b) {
				return
			}
			// Only a queue of listenQueueLimit distinct hosts refuses; say so at most once
			// a minute, the periodic monitor run catches up.
			if now := time.Now().Unix(); now-refusedAt.Load() >= 60 {
				refusedAt.Store(now)
				s.log.WarnContext(ctx, "alert event queue full, dropping events until it drains", "channel", channel, "queued", queue.len())
			}
		}
	}
	var cancels []func()
	for _, ch := range []string{agenthub.ChannelStatus, agenthub.ChannelReports} {
		c, err := s.cfg.Bus.Subscribe(ctx, ch, enqueue(ch))
		if err != nil {
			cancel()
			for _, c := range cancels {
				c()
			}
			if errors.Is(err, kv.ErrClosed) {
				return func() {}, nil
			}
			return nil, fmt.Errorf("alerts: subscribe %s: %w", ch, err)
		}
		cancels = append(cancels, c)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			channel, body, ok := queue.pop()
			if !ok {
				select {
				case <-ctx.Done():
					return
				case <-queue.wake:
				}
				continue
			}
			if ctx.Err() != nil {
				return
			}
			hctx, hcancel := context.WithTimeout(ctx, 30*time.Second)
			if err := s.handle(hctx, channel, body); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "handling agent event for alerts failed", "channel", channel, "err", err)
			}
			hcancel()
		}
	}()
	return func() {
		for _, c := range cancels {
			c()
		}
		cancel()
		<-done
	}, nil
}

// listenQueueLimit bounds the events Listen holds: one per host and channel, so this is
// room for two channels of a fleet of 100,000 hosts.
const listenQueueLimit = 200_000

func (s *Service) handle(ctx context.Context, channel string, body []byte) error {
	switch channel {
	case agenthub.ChannelStatus:
		var ev agenthub.StatusEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			return err
		}
		if ev.Status == agenthub.StatusOnline {
			return s.HostUp(ctx, ev.HostID)
		}
		return nil
	case agenthub.ChannelReports:
		var ev agenthub.ReportEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			return err
		}
		return s.OnReport(ctx, ev)
	}
	return nil
}

// OnReport updates the alerts of a host that just delivered a report: it is reachable, its
// report was stored, and its security updates and reboot flag are as the report says.
func (s *Service) OnReport(ctx context.Context, ev agenthub.ReportEvent) error {
	id := ev.HostID
	// One round trip tells which of the host's alerts are open; most reports change
	// nothing, and then nothing more is asked of the database.
	var (
		threshold *int
		openTypes []string
	)
	if err := s.cfg.Pool.QueryRow(ctx, sqlReportState, id).Scan(&threshold, &openTypes); err != nil {
		return err
	}
	if threshold == nil {
		return errors.New("alerts: the security_updates alert configuration is missing")
	}
	isOpen := func(t Type) bool { return slices.Contains(openTypes, string(t)) }
	if isOpen(TypeHostDown) {
		if err := s.HostUp(ctx, id); err != nil {
			return err
		}
	}
	if isOpen(TypeReportFailed) {
		if _, err := s.ResolveCondition(ctx, TypeReportFailed, &id, "A later report was stored"); err != nil {
			return err
		}
	}
	name := ev.FriendlyName
	hostName := func() (string, error) {
		if name != "" {
			return name, nil
		}
		err := s.cfg.Pool.QueryRow(ctx, sqlHostName, id).Scan(&name)
		return name, err
	}
	raise := func(c Condition) error {
		n, err := hostName()
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		c.HostID, c.Title = &id, hostTitle(n, c.Type)
		_, _, err = s.RaiseCondition(ctx, c)
		return err
	}
	// Raising a condition whose alert is open changes nothing (RaiseCondition keeps the
	// open alert), so those are skipped as well.
	secOpen := isOpen(TypeSecurityUpdates)
	switch {
	case ev.SecurityUpdates >= *threshold && !secOpen:
		if err := raise(Condition{Type: TypeSecurityUpdates, Message: securityMessage(ev.SecurityUpdates),
			Details: map[string]any{"security_updates": ev.SecurityUpdates}}); err != nil {
			return err
		}
	case ev.SecurityUpdates < *threshold && secOpen:
		if _, err := s.ResolveCondition(ctx, TypeSecurityUpdates, &id, "Security updates applied"); err != nil {
			return err
		}
	}
	// A partial report need not carry the reboot flag; the monitor reads the stored one.
	if ev.Kind != "full" {
		return nil
	}
	switch rebootOpen := isOpen(TypeRebootRequired); {
	case ev.NeedsReboot && !rebootOpen:
		return raise(Condition{Type: TypeRebootRequired, Message: rebootMessage("")})
	case !ev.NeedsReboot && rebootOpen:
		_, err := s.ResolveCondition(ctx, TypeRebootRequired, &id, "Host rebooted")
		return err
	}
	return nil
}
