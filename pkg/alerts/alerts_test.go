package alerts_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/alerts"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

type env struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	svc    *alerts.Service
	bus    kv.Store
	mu     sync.Mutex
	events []alerts.Event
}

func setup(t *testing.T, version string) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	bus := kv.NewMemory()
	t.Cleanup(bus.Close)
	svc, err := alerts.New(alerts.Config{Pool: pool, Bus: bus, ServerVersion: version, Logger: patchmontest.Logger(t)})
	require.NoError(t, err)
	e := &env{t: t, ctx: ctx, pool: pool, svc: svc, bus: bus}
	svc.OnEvent(func(_ context.Context, ev alerts.Event) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.events = append(e.events, ev)
	})
	return e
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	_, err := e.pool.Exec(e.ctx, sql, args...)
	require.NoError(e.t, err)
}

// host inserts an active host last heard from ago ago.
func (e *env) host(name string, ago time.Duration) uuid.UUID {
	e.t.Helper()
	var id uuid.UUID
	require.NoError(e.t, e.pool.QueryRow(e.ctx, `INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, last_checkin_at)
		VALUES ($1, 'patchmon_' || $1, 'x', 'active', now() - $2::interval) RETURNING id`, name, ago).Scan(&id))
	return id
}

// presence records the host's WebSocket as offline since ago (or online when ago is 0).
func (e *env) presence(host uuid.UUID, ago time.Duration) {
	e.t.Helper()
	status := "offline"
	if ago == 0 {
		status = "online"
	}
	e.exec(`INSERT INTO agent_presence (host_id, status, replica_id, connection_id, connected_at, disconnected_at)
		VALUES ($1, $2, 'r', 'c', now() - interval '1 day', CASE WHEN $2 = 'offline' THEN now() - $3::interval END)
		ON CONFLICT (host_id) DO UPDATE SET status = EXCLUDED.status, disconnected_at = EXCLUDED.disconnected_at`,
		host, status, ago)
}

func (e *env) user(name string) uuid.UUID {
	e.t.Helper()
	var id uuid.UUID
	require.NoError(e.t, e.pool.QueryRow(e.ctx, `INSERT INTO users (username, email, role) VALUES ($1, $1 || '@example.com', 'admin')
		RETURNING id`, name).Scan(&id))
	return id
}

func (e *env) list(f alerts.Filter) []alerts.Alert {
	e.t.Helper()
	l, _, err := e.svc.List(e.ctx, f)
	require.NoError(e.t, err)
	return l
}

func (e *env) takeEvents() []alerts.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.events
	e.events = nil
	return out
}

func kinds(evs []alerts.Event) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, string(ev.Kind)+":"+string(ev.Alert.Type))
	}
	return out
}

func TestHostDownAndBackUpWithDelay(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	e.exec(`UPDATE alert_config SET delay_minutes = 5 WHERE alert_type = 'host_down'`)
	web := e.host("web-1", 3*time.Minute)
	e.presence(web, 3*time.Minute)
	quiet := e.host("quiet", 10*time.Minute) // no WebSocket: its report interval (60 min) counts too
	optedOut := e.host("lab", 2*time.Hour)
	e.exec(`UPDATE hosts SET host_down_alerts = false WHERE id = $1`, optedOut)
	e.presence(optedOut, 2*time.Hour)

	require.NoError(t, e.svc.Monitor(e.ctx))
	assert.Empty(t, e.list(alerts.Filter{Type: alerts.TypeHostDown}), "3 minutes is within the 5-minute delay")

	e.exec(`UPDATE agent_presence SET disconnected_at = now() - interval '6 minutes' WHERE host_id = $1`, web)
	e.exec(`UPDATE hosts SET last_checkin_at = now() - interval '6 minutes' WHERE id = $1`, web)
	require.NoError(t, e.svc.Monitor(e.ctx))
	require.NoError(t, e.svc.Monitor(e.ctx)) // again: still one alert
	down := e.list(alerts.Filter{Type: alerts.TypeHostDown})
	require.Len(t, down, 1)
	assert.Equal(t, web, *down[0].HostID)
	assert.Equal(t, "Host web-1 is down", down[0].Title)
	assert.Equal(t, alerts.SeverityCritical, down[0].Severity)
	assert.Equal(t, alerts.StatusOpen, down[0].Status)
	assert.Equal(t, []string{"created:host_down"}, kinds(e.takeEvents()))
	_ = quiet

	// The agent reconnects.
	e.presence(web, 0)
	require.NoError(t, e.svc.Monitor(e.ctx))
	a, hist, err := e.svc.Get(e.ctx, down[0].ID)
	require.NoError(t, err)
	assert.Equal(t, alerts.StatusResolved, a.Status)
	require.Len(t, hist, 2)
	assert.Equal(t, []string{alerts.ActionCreated, alerts.ActionResolved}, []string{hist[0].Action, hist[1].Action})
	assert.Equal(t, "Host is reachable again", hist[1].Note)
	up := e.list(alerts.Filter{Type: alerts.TypeHostRecovered})
	require.Len(t, up, 1)
	assert.Equal(t, "Host web-1 is back up", up[0].Title)
	assert.Equal(t, []string{"resolved:host_down", "created:host_recovered"}, kinds(e.takeEvents()))

	// The quiet host passes its report interval plus the delay.
	e.exec(`UPDATE hosts SET last_checkin_at = now() - interval '66 minutes' WHERE id = $1`, quiet)
	require.NoError(t, e.svc.Monitor(e.ctx))
	down = e.list(alerts.Filter{Type: alerts.TypeHostDown, Active: true})
	require.Len(t, down, 1)
	assert.Equal(t, quiet, *down[0].HostID)
}

func TestHostUpEventResolvesAtOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	web := e.host("web-2", time.Hour)
	e.presence(web, time.Hour)
	require.NoError(t, e.svc.Monitor(e.ctx))
	require.Len(t, e.list(alerts.Filter{Type: alerts.TypeHostDown, Active: true}), 1)

	stop, err := e.svc.Listen(e.ctx)
	require.NoError(t, err)
	defer stop()
	b, _ := json.Marshal(agenthub.StatusEvent{HostID: web, Status: agenthub.StatusOnline, Previous: agenthub.StatusOffline})
	require.NoError(t, e.bus.Publish(e.ctx, agenthub.ChannelStatus, b))
	deadline := time.Now().Add(30 * time.Second)
	for len(e.list(alerts.Filter{Type: alerts.TypeHostRecovered, Active: true})) != 1 {
		require.True(t, time.Now().Before(deadline), "no host-back-up alert")
		time.Sleep(20 * time.Millisecond)
	}
	assert.Empty(t, e.list(alerts.Filter{Type: alerts.TypeHostDown, Active: true}))
}

func TestDeduplication(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	web := e.host("web-3", 0)
	var created atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok, err := e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeRebootRequired, HostID: &web, Title: "reboot"})
			assert.NoError(t, err)
			if ok {
				created.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, created.Load())
	assert.Len(t, e.list(alerts.Filter{}), 1)
	assert.Len(t, e.takeEvents(), 1)

	// Once resolved, the condition may raise a new alert.
	ok, err := e.svc.ResolveCondition(e.ctx, alerts.TypeRebootRequired, &web, "rebooted")
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeRebootRequired, HostID: &web, Title: "reboot"})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Len(t, e.list(alerts.Filter{}), 2)

	// A disabled type raises nothing.
	e.exec(`UPDATE alert_config SET enabled = false WHERE alert_type = 'report_failed'`)
	_, ok, err = e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeReportFailed, HostID: &web, Title: "x"})
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestEscalation(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	e.exec(`UPDATE alert_config SET escalate_after_minutes = 10 WHERE alert_type = 'security_updates'`)
	h1, h2 := e.host("db-1", 0), e.host("db-2", 0)
	a1, _, err := e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeSecurityUpdates, HostID: &h1, Title: "sec"})
	require.NoError(t, err)
	a2, _, err := e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeSecurityUpdates, HostID: &h2, Title: "sec"})
	require.NoError(t, err)
	admin := alerts.Actor{UserID: e.user("ops"), Username: "ops"}
	_, err = e.svc.Acknowledge(e.ctx, a2.ID, admin, "looking")
	require.NoError(t, err)
	e.takeEvents()

	n, err := e.svc.Sweep(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "not due yet")

	e.exec(`UPDATE alerts SET created_at = now() - interval '11 minutes'`)
	n, err = e.svc.Sweep(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only the unacknowledged alert escalates")
	got, hist, err := e.svc.Get(e.ctx, a1.ID)
	require.NoError(t, err)
	assert.Equal(t, alerts.SeverityError, got.Severity)
	assert.Equal(t, 1, got.EscalationLevel)
	assert.Equal(t, alerts.ActionEscalated, hist[len(hist)-1].Action)
	assert.Equal(t, "warning", hist[len(hist)-1].Details["from"])
	assert.Equal(t, []string{"escalated:security_updates"}, kinds(e.takeEvents()))

	// The next step waits another escalation period from the last one.
	n, err = e.svc.Sweep(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	e.exec(`UPDATE alerts SET escalated_at = now() - interval '11 minutes' WHERE id = $1`, a1.ID)
	_, err = e.svc.Sweep(e.ctx)
	require.NoError(t, err)
	got, _, err = e.svc.Get(e.ctx, a1.ID)
	require.NoError(t, err)
	assert.Equal(t, alerts.SeverityCritical, got.Severity)
	got2, _, err := e.svc.Get(e.ctx, a2.ID)
	require.NoError(t, err)
	assert.Equal(t, alerts.SeverityWarning, got2.Severity)
}

func TestSilenceAndActions(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	h := e.host("app-1", 0)
	ops := e.user("ops")
	lead := e.user("lead")
	e.exec(`UPDATE alert_config SET auto_assign_user_id = $1, escalate_after_minutes = 1 WHERE alert_type = 'reboot_required'`, lead)
	a, _, err := e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeRebootRequired, HostID: &h, Title: "reboot"})
	require.NoError(t, err)
	require.NotNil(t, a.AssignedTo)
	assert.Equal(t, lead, *a.AssignedTo)
	assert.Equal(t, "lead", a.AssignedUsername)
	by := alerts.Actor{UserID: ops, Username: "ops"}

	_, err = e.svc.Silence(e.ctx, a.ID, time.Now().Add(-time.Minute), by, "")
	assert.ErrorIs(t, err, alerts.ErrSilencePast)
	s, err := e.svc.Silence(e.ctx, a.ID, time.Now().Add(time.Hour), by, "maintenance window")
	require.NoError(t, err)
	assert.Equal(t, alerts.StatusSilenced, s.Status)
	require.NotNil(t, s.SilencedUntil)

	// Silenced alerts do not escalate, and stay silenced until their time.
	e.exec(`UPDATE alerts SET created_at = now() - interval '1 hour' WHERE id = $1`, a.ID)
	n, err := e.svc.Sweep(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	got, _, err := e.svc.Get(e.ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, alerts.StatusSilenced, got.Status)

	e.exec(`UPDATE alerts SET silenced_until = now() - interval '1 second' WHERE id = $1`, a.ID)
	_, err = e.svc.Sweep(e.ctx)
	require.NoError(t, err)
	got, _, err = e.svc.Get(e.ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, alerts.StatusOpen, got.Status)
	assert.Nil(t, got.SilencedUntil)
	assert.Equal(t, alerts.SeverityError, got.Severity, "back from silence, the overdue alert escalates")

	_, err = e.svc.Assign(e.ctx, a.ID, &ops, by, "")
	require.NoError(t, err)
	bogus := uuid.New()
	_, err = e.svc.Assign(e.ctx, a.ID, &bogus, by, "")
	assert.ErrorIs(t, err, alerts.ErrUnknownUser)
	assert.Len(t, e.list(alerts.Filter{AssignedTo: &ops}), 1)
	assert.Empty(t, e.list(alerts.Filter{Unassigned: true}))

	ack, err := e.svc.Acknowledge(e.ctx, a.ID, by, "on it")
	require.NoError(t, err)
	assert.Equal(t, alerts.StatusAcknowledged, ack.Status)
	require.NotNil(t, ack.AcknowledgedBy)
	res, err := e.svc.Resolve(e.ctx, a.ID, by, "rebooted")
	require.NoError(t, err)
	assert.Equal(t, alerts.StatusResolved, res.Status)
	_, err = e.svc.Acknowledge(e.ctx, a.ID, by, "")
	assert.ErrorIs(t, err, alerts.ErrResolved)
	_, err = e.svc.Resolve(e.ctx, uuid.New(), by, "")
	assert.ErrorIs(t, err, alerts.ErrNotFound)

	_, hist, err := e.svc.Get(e.ctx, a.ID)
	require.NoError(t, err)
	actions := []string{}
	for _, h := range hist {
		actions = append(actions, h.Action)
	}
	assert.Equal(t, []string{"created", "assigned", "silenced", "unsilenced", "escalated", "assigned", "acknowledged", "resolved"}, actions)
	assert.Equal(t, "ops", hist[len(hist)-1].Username)
	assert.Equal(t, "rebooted", hist[len(hist)-1].Note)
}

func TestReportConditionsAndFilters(t *testing.T) {
	t.Parallel()
	e := setup(t, "1.2.0")
	e.exec(`UPDATE alert_config SET threshold = 2 WHERE alert_type = 'security_updates'`)
	e.exec(`UPDATE settings SET latest_agent_version = '1.5.0', latest_server_version = '1.3.0'`)
	web := e.host("web-9", 0)
	db := e.host("db-9", 0)
	e.exec(`UPDATE hosts SET security_updates = 3, agent_version = '1.4.9', needs_reboot = true WHERE id = $1`, web)
	e.exec(`UPDATE hosts SET security_updates = 1, agent_version = '1.5.0' WHERE id = $1`, db)
	e.exec(`INSERT INTO update_history (host_id, report_type, status, error_message) VALUES ($1, 'full', 'error', 'bad json')`, db)

	require.NoError(t, e.svc.Monitor(e.ctx))
	byType := map[alerts.Type]alerts.Alert{}
	for _, a := range e.list(alerts.Filter{Active: true}) {
		byType[a.Type] = a
	}
	require.Len(t, byType, 5, "security, reboot, agent and server update, report failed")
	assert.Equal(t, web, *byType[alerts.TypeSecurityUpdates].HostID)
	assert.Equal(t, web, *byType[alerts.TypeAgentOutdated].HostID)
	assert.Equal(t, db, *byType[alerts.TypeReportFailed].HostID)
	assert.Nil(t, byType[alerts.TypeServerUpdate].HostID)
	assert.Contains(t, byType[alerts.TypeServerUpdate].Message, "1.3.0")

	assert.Len(t, e.list(alerts.Filter{Severity: alerts.SeverityError}), 1)
	assert.Len(t, e.list(alerts.Filter{HostID: &web}), 3)
	assert.Len(t, e.list(alerts.Filter{Type: alerts.TypeReportFailed, Status: alerts.StatusOpen}), 1)
	_, total, err := e.svc.List(e.ctx, alerts.Filter{Limit: 2})
	require.NoError(t, err)
	assert.EqualValues(t, 5, total)
	sum, err := e.svc.Summarize(e.ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 5, sum.Open)
	assert.EqualValues(t, 1, sum.BySeverity[alerts.SeverityError])

	// A report clears what it fixes.
	require.NoError(t, e.svc.OnReport(e.ctx, agenthub.ReportEvent{HostID: web, Kind: "full", SecurityUpdates: 0}))
	require.NoError(t, e.svc.OnReport(e.ctx, agenthub.ReportEvent{HostID: db, Kind: "partial", SecurityUpdates: 4}))
	active := map[alerts.Type]int{}
	for _, a := range e.list(alerts.Filter{Active: true}) {
		active[a.Type]++
	}
	assert.Equal(t, map[alerts.Type]int{alerts.TypeAgentOutdated: 1, alerts.TypeServerUpdate: 1, alerts.TypeSecurityUpdates: 1}, active)

	// A report raises what it shows, once however often it is repeated, and a report from a
	// host that was down resolves its host-down alert.
	_, _, err = e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeHostDown, HostID: &web, Title: "down"})
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, e.svc.OnReport(e.ctx, agenthub.ReportEvent{HostID: web, Kind: "full", NeedsReboot: true, SecurityUpdates: 5}))
	}
	active = map[alerts.Type]int{}
	for _, a := range e.list(alerts.Filter{Active: true, HostID: &web}) {
		active[a.Type]++
	}
	assert.Equal(t, map[alerts.Type]int{alerts.TypeAgentOutdated: 1, alerts.TypeSecurityUpdates: 1, alerts.TypeRebootRequired: 1,
		alerts.TypeHostRecovered: 1}, active)
	sec := e.list(alerts.Filter{Active: true, HostID: &web, Type: alerts.TypeSecurityUpdates})
	require.Len(t, sec, 1)
	_, hist, err := e.svc.Get(e.ctx, sec[0].ID)
	require.NoError(t, err)
	assert.Len(t, hist, 1, "repeated reports add nothing to an open alert's history")

	// The monitor leaves a fleet in order alone, and resolves the agent alert once the agent
	// is no longer older than the latest release (here: newer than it).
	require.NoError(t, e.svc.Monitor(e.ctx))
	require.NoError(t, e.svc.Monitor(e.ctx))
	assert.Len(t, e.list(alerts.Filter{Active: true, HostID: &web, Type: alerts.TypeAgentOutdated}), 1)
	_, hist, err = e.svc.Get(e.ctx, sec[0].ID)
	require.NoError(t, err)
	assert.Len(t, hist, 1, "monitor runs add nothing to an open alert")
	e.exec(`UPDATE hosts SET agent_version = '1.6.0' WHERE id = $1`, web)
	require.NoError(t, e.svc.Monitor(e.ctx))
	assert.Empty(t, e.list(alerts.Filter{Active: true, HostID: &web, Type: alerts.TypeAgentOutdated}))
	e.exec(`UPDATE hosts SET agent_version = '1.0.0' WHERE id = $1`, web)
	require.NoError(t, e.svc.Monitor(e.ctx))
	assert.Len(t, e.list(alerts.Filter{Active: true, HostID: &web, Type: alerts.TypeAgentOutdated}), 1)
}

func TestCleanupByRetention(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	h := e.host("old-1", 0)
	_, _, err := e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeRebootRequired, HostID: &h, Title: "r"})
	require.NoError(t, err)
	_, err = e.svc.ResolveCondition(e.ctx, alerts.TypeRebootRequired, &h, "")
	require.NoError(t, err)
	_, _, err = e.svc.RaiseCondition(e.ctx, alerts.Condition{Type: alerts.TypeRebootRequired, HostID: &h, Title: "r"})
	require.NoError(t, err)
	e.exec(`UPDATE alert_config SET retention_days = 7 WHERE alert_type = 'reboot_required'`)
	n, err := e.svc.Cleanup(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	e.exec(`UPDATE alerts SET resolved_at = now() - interval '8 days' WHERE status = 'resolved'`)
	n, err = e.svc.Cleanup(e.ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	assert.Len(t, e.list(alerts.Filter{}), 1, "the unresolved alert stays")
}

func TestTypeConfigValidation(t *testing.T) {
	t.Parallel()
	e := setup(t, "")
	cfgs, err := e.svc.TypeConfigs(e.ctx)
	require.NoError(t, err)
	require.Len(t, cfgs, len(alerts.Types))
	c := cfgs[0]
	assert.Equal(t, alerts.TypeHostDown, c.Type)
	c.DelayMinutes = 15
	c.DefaultSeverity = alerts.SeverityError
	got, err := e.svc.UpdateTypeConfig(e.ctx, c)
	require.NoError(t, err)
	assert.Equal(t, 15, got.DelayMinutes)
	bad := c
	bad.DefaultSeverity = "loud"
	_, err = e.svc.UpdateTypeConfig(e.ctx, bad)
	assert.ErrorIs(t, err, alerts.ErrInvalidInput)
	bad = c
	bad.RetentionDays = 0
	_, err = e.svc.UpdateTypeConfig(e.ctx, bad)
	assert.ErrorIs(t, err, alerts.ErrInvalidInput)
	bad = c
	bad.Type = "nope"
	_, err = e.svc.UpdateTypeConfig(e.ctx, bad)
	assert.ErrorIs(t, err, alerts.ErrUnknownType)
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{{"1.4.0", "1.4.0", 0}, {"v1.4.10", "1.4.9", 1}, {"1.3", "1.3.1", -1}, {"2.0.0-rc1", "2.0.0", 0}, {"dev", "1.0.0", -1}} {
		assert.Equal(t, tt.want, alerts.CompareVersions(tt.a, tt.b), "%s vs %s", tt.a, tt.b)
	}
}
