package agentkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// CheckInResult says what a check-in did.
type CheckInResult struct {
	// Full is true when a full report was sent.
	Full bool
	// Sections lists the sections of a partial report; empty with Full
	// false means the server already had everything.
	Sections []string
	// Spooled is true when the report could not be delivered and was kept
	// for later delivery.
	Spooled bool
	// Ping and Update are the server's answers (nil when not reached).
	Ping   *agentproto.PingResponse
	Update *agentproto.UpdateResponse
	// Report is the collected report (always full, whatever was sent).
	Report *agentproto.Report
}

// CheckIn runs one hash-gated check-in: it delivers spooled reports, collects
// a report, sends the section hashes and volatile metrics with a ping, and
// then sends only what the server asks for — everything when it does not
// hash-gate, or when facts outside any section (OS, kernel, addresses)
// changed since the last full report. A report that cannot be delivered
// because the server is unreachable or failing is spooled and the error is
// returned with Spooled set.
func (a *Agent) CheckIn(ctx context.Context) (CheckInResult, error) {
	return a.checkIn(ctx, false)
}

// SendReport collects and sends a full report, as `patchmon-agent report`
// does, spooling it when the server cannot take it.
func (a *Agent) SendReport(ctx context.Context) (CheckInResult, error) {
	return a.checkIn(ctx, true)
}

func (a *Agent) checkIn(ctx context.Context, forceFull bool) (CheckInResult, error) {
	var res CheckInResult
	if !a.cfg.configured() {
		return res, ErrNotConfigured
	}
	a.collectMu.Lock()
	defer a.collectMu.Unlock()

	a.flushSpool(ctx)
	rep, err := a.buildReport(ctx)
	if err != nil {
		return res, err
	}
	res.Report = rep
	facts := factsFingerprint(rep)
	full := forceFull || facts != a.lastFacts()

	ping, err := a.client.ping(ctx, pingRequest(rep))
	if err != nil {
		if retryable(err) {
			return a.spoolReport(ctx, res, rep, true, err)
		}
		return res, fmt.Errorf("check-in: %w", err)
	}
	res.Ping = ping
	if !ping.HashGate {
		full = true
	}
	send := rep
	if !full {
		var sections []string
		for _, s := range agentproto.ReportSections() {
			if slices.Contains(ping.RequestFull, s) {
				sections = append(sections, s)
			}
		}
		if len(sections) == 0 {
			a.log.DebugContext(ctx, "check-in: server is up to date")
			return res, nil
		}
		send = partialReport(rep, sections)
		res.Sections = sections
	}
	res.Full = full
	upd, err := a.client.update(ctx, send)
	if err != nil {
		if retryable(err) {
			return a.spoolReport(ctx, res, send, full, err)
		}
		return res, fmt.Errorf("send report: %w", err)
	}
	res.Update = upd
	if full {
		a.setFacts(facts)
	}
	a.log.InfoContext(ctx, "report sent", "full", full, "sections", res.Sections, "packages", upd.PackagesProcessed,
		"updates", upd.UpdatesAvailable, "security_updates", upd.SecurityUpdates)
	return res, nil
}

func (a *Agent) spoolReport(ctx context.Context, res CheckInResult, r *agentproto.Report, full bool, cause error) (CheckInResult, error) {
	if !full {
		// A partial report is only meaningful against the hashes the
		// server had at this moment; keep the whole report instead.
		r = res.Report
	}
	data, err := json.Marshal(r)
	if err != nil {
		return res, fmt.Errorf("check-in: %w (and the report could not be kept: %v)", cause, err)
	}
	dropped, err := a.spool.add(data)
	if err != nil {
		return res, fmt.Errorf("check-in: %w (and the report could not be kept: %v)", cause, err)
	}
	if dropped > 0 {
		a.log.WarnContext(ctx, "report spool full: dropped the oldest reports", "dropped", dropped)
	}
	res.Spooled = true
	res.Full = true
	res.Sections = nil
	a.log.WarnContext(ctx, "server unreachable: report kept for later delivery", "error", cause, "spooled", a.spool.len())
	return res, fmt.Errorf("check-in: %w (report kept for later delivery)", cause)
}

// flushSpool delivers spooled reports; failures leave them for later.
func (a *Agent) flushSpool(ctx context.Context) int {
	if a.spool.len() == 0 {
		return 0
	}
	n, err := a.spool.flush(ctx, func(ctx context.Context, raw json.RawMessage) error {
		_, err := a.client.updateRaw(ctx, raw)
		return err
	}, func(err error) {
		a.log.WarnContext(ctx, "server rejected a spooled report; dropping it", "error", err)
	})
	if n > 0 {
		a.log.InfoContext(ctx, "delivered spooled reports", "count", n)
	}
	if err != nil {
		a.log.DebugContext(ctx, "spooled reports not delivered yet", "error", err, "pending", a.spool.len())
	}
	return n
}

// FlushSpool delivers reports kept while the server was unreachable and
// returns how many were delivered.
func (a *Agent) FlushSpool(ctx context.Context) (int, error) {
	if !a.cfg.configured() {
		return 0, ErrNotConfigured
	}
	a.collectMu.Lock()
	defer a.collectMu.Unlock()
	return a.flushSpool(ctx), nil
}

// Spooled returns the number of reports waiting for delivery.
func (a *Agent) Spooled() int { return a.spool.len() }

// ErrRestartRequired is returned by Run after a successful self-update when
// Config.Restart is nil: the caller must restart the process.
var ErrRestartRequired = errors.New("agent binary updated: restart required")

// Run is the long-lived agent: it syncs settings from the server, keeps the
// WebSocket command channel open, checks in at once and then at the host's
// offset in every interval (a full report every FullReportEvery check-ins),
// delivers spooled reports as soon as the server is back, and applies
// self-updates. It returns nil when ctx is cancelled, after the WebSocket is
// closed; ErrRestartRequired after a self-update without Config.Restart.
func (a *Agent) Run(ctx context.Context) error {
	if !a.cfg.configured() {
		return ErrNotConfigured
	}
	if a.pm == nil {
		return ErrNoPackageManager
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.log.InfoContext(ctx, "agent starting", "version", a.cfg.AgentVersion, "server", a.cfg.ServerURL,
		"package_manager", a.pm.Name())
	a.syncSettings(ctx)

	a.saveDerivedOffset(ctx)

	var wg sync.WaitGroup
	defer a.bg.Wait()
	defer wg.Wait()
	defer cancel()
	if !a.cfg.DisableWebSocket {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.runWebSocket(ctx)
		}()
	}

	ticks := 0
	retryDelay := 30 * time.Second
	if err := a.tick(ctx, false); err != nil {
		return err
	}
	for {
		s := a.Settings()
		next := nextTick(time.Now(), s.UpdateInterval, s.ReportOffset)
		a.log.DebugContext(ctx, "next check-in scheduled", "at", next.Format(time.RFC3339), "offset", s.ReportOffset)
		timer := time.NewTimer(time.Until(next))
		var retry <-chan time.Time
		if a.spool.len() > 0 {
			retry = time.After(min(retryDelay, s.UpdateInterval))
		}
		var err error
		select {
		case <-ctx.Done():
			timer.Stop()
			a.log.InfoContext(ctx, "agent stopping")
			return nil
		case <-timer.C:
			ticks++
			err = a.tick(ctx, ticks%a.cfg.FullReportEvery == 0)
		case <-a.reportNow:
			err = a.tick(ctx, true)
		case <-a.reschedule:
		case <-a.flushNow:
			a.collectMu.Lock()
			a.flushSpool(ctx)
			a.collectMu.Unlock()
		case <-retry:
			a.collectMu.Lock()
			if a.flushSpool(ctx) == 0 && a.spool.len() > 0 {
				retryDelay = min(retryDelay*2, 15*time.Minute)
			}
			a.collectMu.Unlock()
		case <-a.updateNow:
			err = a.selfUpdate(ctx, true)
		}
		timer.Stop()
		if a.spool.len() == 0 {
			retryDelay = 30 * time.Second
		}
		if err != nil {
			return err
		}
	}
}

// saveDerivedOffset persists the offset derived from the API id when the
// configuration did not hold it yet, so that config.yml shows where in the
// interval this host reports (as the documented report_offset promises).
func (a *Agent) saveDerivedOffset(ctx context.Context) {
	a.mu.Lock()
	s, persisted := a.settings, a.persisted
	a.persisted = true
	a.mu.Unlock()
	if a.cfg.Settings == nil || persisted || a.cfg.ReportOffset == s.ReportOffset {
		return
	}
	if err := a.cfg.Settings.SaveSettings(ctx, s); err != nil {
		a.log.WarnContext(ctx, "could not save settings", "error", err)
	}
}

// tick runs one scheduled check-in; only a restart request ends Run.
func (a *Agent) tick(ctx context.Context, full bool) error {
	res, err := a.checkIn(ctx, full)
	if err != nil {
		if ctx.Err() == nil {
			a.log.WarnContext(ctx, "check-in failed", "error", err)
		}
		return nil
	}
	if au := res.Update; au != nil && au.AutoUpdate != nil && au.AutoUpdate.ShouldUpdate && !a.cfg.DisableAutoUpdate && a.cfg.BinaryPath != "" {
		a.log.InfoContext(ctx, "server requests an agent update", "latest", au.AutoUpdate.LatestVersion)
		return a.selfUpdate(ctx, false)
	}
	return nil
}

// selfUpdate runs UpdateAgent and restarts on success.
func (a *Agent) selfUpdate(ctx context.Context, force bool) error {
	res, err := a.UpdateAgent(ctx, force)
	if err != nil {
		a.log.WarnContext(ctx, "agent update failed", "error", err)
		return nil
	}
	if !res.Updated {
		a.log.InfoContext(ctx, "agent update: nothing to do", "message", res.Message)
		return nil
	}
	a.log.InfoContext(ctx, "agent updated", "from", res.CurrentVersion, "to", res.LatestVersion)
	if a.cfg.Restart == nil {
		return ErrRestartRequired
	}
	if err := a.cfg.Restart(ctx); err != nil {
		a.log.ErrorContext(ctx, "restart after update failed", "error", err)
		return ErrRestartRequired
	}
	return nil
}

// TriggerReport asks a running agent (Run) for a full report now, as the
// server's report_now command does. It never blocks.
func (a *Agent) TriggerReport() {
	select {
	case a.reportNow <- struct{}{}:
	default:
	}
}
