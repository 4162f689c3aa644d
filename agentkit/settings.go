package agentkit

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Settings are the agent settings the server controls. The agent starts
// from its Config, takes the server's values at start (settings/update-interval,
// hosts/integrations) and whenever it pushes new ones (settings_update,
// apply_config), and hands every change to the SettingsStore.
type Settings struct {
	// UpdateInterval is the time between check-ins.
	UpdateInterval time.Duration
	// ReportOffset is where in each interval the agent checks in (see
	// EffectiveOffset); it is re-derived whenever the interval changes.
	ReportOffset time.Duration
	// PackageCacheRefresh and PackageCacheMaxAge control metadata refreshes.
	PackageCacheRefresh collect.RefreshMode
	PackageCacheMaxAge  time.Duration
	// Integrations are the server's integration switches; nil until the
	// server has said.
	Integrations *IntegrationSettings
}

// IntegrationSettings are the integration switches the server pushes. The
// SSH proxy is deliberately absent: only the host's own config.yml can
// enable it.
type IntegrationSettings struct {
	Docker bool
	// Compliance is agentproto.ComplianceModeDisabled, ComplianceModeOnDemand
	// or ComplianceModeEnabled.
	Compliance string
	// OpenSCAP and DockerBench are the scanner switches; nil when the
	// server did not say.
	OpenSCAP    *bool
	DockerBench *bool
}

// SettingsStore persists server-driven settings, e.g. into config.yml
// (FileConfig implements it). SaveSettings is called after every change with
// the complete current settings.
type SettingsStore interface {
	SaveSettings(ctx context.Context, s Settings) error
}

// Settings returns the current settings.
func (a *Agent) Settings() Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings
}

// EffectiveOffset is where in each interval the agent checks in: the
// configured ReportOffset when it lies inside the interval, else a value
// derived from the API id (FNV-1a), which is stable across restarts and
// spreads a fleet evenly.
func EffectiveOffset(apiID string, interval, configured time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	if configured > 0 && configured < interval {
		return configured
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(apiID))
	// Whole seconds for intervals of a second or more, as config.yml
	// stores; finer for the sub-second intervals tests use.
	unit := time.Second
	if interval < time.Second {
		unit = time.Millisecond
	}
	slots := uint64(interval / unit)
	if slots == 0 {
		return 0
	}
	return time.Duration(h.Sum64()%slots) * unit
}

// nextTick returns the first time after now at which (t - offset) is a
// multiple of interval since the Unix epoch: check-ins land on a fixed grid
// shifted by the host's offset, so restarts keep the host in its slot.
func nextTick(now time.Time, interval, offset time.Duration) time.Time {
	if interval <= 0 {
		return now
	}
	n := now.UnixNano() - int64(offset)
	k := n / int64(interval)
	if n < 0 && n%int64(interval) != 0 {
		k--
	}
	next := time.Unix(0, (k+1)*int64(interval)+int64(offset))
	if !next.After(now) {
		next = next.Add(interval)
	}
	return next
}

// updateSettings applies f to a copy of the settings and, when that changes
// them, stores and persists the result. It reports whether anything changed.
func (a *Agent) updateSettings(ctx context.Context, f func(*Settings)) bool {
	a.mu.Lock()
	next := a.settings
	if next.Integrations != nil {
		cp := *next.Integrations
		next.Integrations = &cp
	}
	f(&next)
	changed := !settingsEqual(a.settings, next)
	intervalChanged := next.UpdateInterval != a.settings.UpdateInterval || next.ReportOffset != a.settings.ReportOffset
	if changed {
		a.settings = next
		a.persisted = a.persisted || a.cfg.Settings != nil
	}
	a.mu.Unlock()
	if !changed {
		return false
	}
	a.log.InfoContext(ctx, "settings changed", "update_interval", next.UpdateInterval,
		"report_offset", next.ReportOffset, "package_cache_refresh", next.PackageCacheRefresh)
	if intervalChanged {
		select {
		case a.reschedule <- struct{}{}:
		default:
		}
	}
	if a.cfg.Settings != nil {
		if err := a.cfg.Settings.SaveSettings(ctx, next); err != nil {
			a.log.WarnContext(ctx, "could not save settings", "error", err)
		}
	}
	return true
}

func settingsEqual(x, y Settings) bool {
	if x.UpdateInterval != y.UpdateInterval || x.ReportOffset != y.ReportOffset ||
		x.PackageCacheRefresh != y.PackageCacheRefresh || x.PackageCacheMaxAge != y.PackageCacheMaxAge {
		return false
	}
	if (x.Integrations == nil) != (y.Integrations == nil) {
		return false
	}
	if x.Integrations == nil {
		return true
	}
	a, b := x.Integrations, y.Integrations
	return a.Docker == b.Docker && a.Compliance == b.Compliance && boolPtrEqual(a.OpenSCAP, b.OpenSCAP) && boolPtrEqual(a.DockerBench, b.DockerBench)
}

func boolPtrEqual(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// setInterval applies an interval in minutes from the server and re-derives
// the offset for it, so that the fleet spreads over the whole new interval.
func (a *Agent) setInterval(s *Settings, minutes int) {
	if minutes <= 0 {
		return
	}
	iv := time.Duration(minutes) * time.Minute
	if iv == s.UpdateInterval {
		return
	}
	s.UpdateInterval = iv
	s.ReportOffset = EffectiveOffset(a.cfg.APIID, iv, 0)
}

// syncSettings takes the interval and integration switches from the server.
// Failures are logged: a server that is down must not stop the agent.
func (a *Agent) syncSettings(ctx context.Context) {
	if minutes, err := a.client.updateInterval(ctx); err != nil {
		a.log.WarnContext(ctx, "could not fetch the update interval", "error", err)
	} else {
		a.updateSettings(ctx, func(s *Settings) { a.setInterval(s, minutes) })
	}
	a.refreshIntegrations(ctx)
}

func (a *Agent) refreshIntegrations(ctx context.Context) *agentproto.IntegrationsResponse {
	resp, err := a.client.integrations(ctx)
	if err != nil {
		a.log.WarnContext(ctx, "could not fetch integration settings", "error", err)
		return nil
	}
	a.updateSettings(ctx, func(s *Settings) { applyIntegrations(s, resp) })
	return resp
}

func applyIntegrations(s *Settings, resp *agentproto.IntegrationsResponse) {
	in := IntegrationSettings{Docker: resp.Integrations.Docker, Compliance: resp.ComplianceMode}
	if in.Compliance == "" {
		in.Compliance = agentproto.ComplianceModeDisabled
		if resp.Integrations.Compliance {
			in.Compliance = agentproto.ComplianceModeOnDemand
		}
	}
	in.OpenSCAP, in.DockerBench = resp.ComplianceOpenSCAPEnabled, resp.ComplianceDockerBenchEnabled
	s.Integrations = &in
}
