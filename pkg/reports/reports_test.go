package reports_test

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/notify"
	"github.com/patchmon-go/patchmon/pkg/notify/notifytest"
	"github.com/patchmon-go/patchmon/pkg/reports"
	"github.com/patchmon-go/patchmon/pkg/secretbox"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

func TestNextRuns(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 3, 27, 10, 30, 0, 0, time.UTC) // a Friday, before the DST change in Berlin
	for _, tc := range []struct {
		expr, tz string
		want     []string
		err      string
	}{
		{"0 8 * * *", "UTC", []string{"2026-03-28T08:00:00Z", "2026-03-29T08:00:00Z"}, ""},
		{"0 8 * * 1", "Europe/Berlin", []string{"2026-03-30T06:00:00Z", "2026-04-06T06:00:00Z"}, ""},
		{"*/15 10 * * *", "UTC", []string{"2026-03-27T10:45:00Z", "2026-03-28T10:00:00Z"}, ""},
		{"@weekly", "UTC", []string{"2026-03-29T00:00:00Z", "2026-04-05T00:00:00Z"}, ""},
		{"@every 5m", "UTC", nil, "@every is not supported"},
		{"CRON_TZ=UTC 0 8 * * *", "UTC", nil, "timezone field"},
		{"0 25 * * *", "UTC", nil, "Invalid cron expression"},
		{"0 8 * *", "UTC", nil, "Invalid cron expression"},
		{"0 8 * * *", "Mars/Olympus", nil, "Unknown time zone"},
		{"", "UTC", nil, "required"},
	} {
		t.Run(tc.expr+" "+tc.tz, func(t *testing.T) {
			got, err := reports.NextRuns(tc.expr, tc.tz, from, 2)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			var s []string
			for _, g := range got {
				s = append(s, g.Format(time.RFC3339))
			}
			assert.Equal(t, tc.want, s)
		})
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type env struct {
	pool   *pgxpool.Pool
	db     *db.DB
	notify *notify.Service
	svc    *reports.Service
	clock  *clock
	prod   uuid.UUID
}

func setup(t *testing.T) env {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	box, err := secretbox.New(secretbox.Config{AIEncryptionKey: "k"})
	require.NoError(t, err)
	e := env{pool: pool, db: db.New(pool, db.Options{}), clock: &clock{t: time.Date(2026, 6, 1, 7, 59, 0, 0, time.UTC)}}
	e.notify, err = notify.New(notify.Config{DB: e.db, Secrets: box, Now: e.clock.Now, Logger: patchmontest.Logger(t)})
	require.NoError(t, err)
	e.svc = e.newService(t)
	e.seedFleet(t)
	return e
}

func (e env) newService(t *testing.T) *reports.Service {
	svc, err := reports.New(reports.Config{DB: e.db, Sender: e.notify, Now: e.clock.Now, Logger: patchmontest.Logger(t)})
	require.NoError(t, err)
	return svc
}

// seedFleet creates three hosts: web1 (prod; 3 updates, 2 security, needs reboot), web2
// (prod; 1 update), db1 (no group; up to date).
func (e *env) seedFleet(t *testing.T) {
	ctx := context.Background()
	q := func(sql string, args ...any) uuid.UUID {
		var id uuid.UUID
		require.NoError(t, e.pool.QueryRow(ctx, sql, args...).Scan(&id))
		return id
	}
	e.prod = q(`INSERT INTO host_groups (name) VALUES ('Production') RETURNING id`)
	host := func(name string, outdated, sec int, reboot bool) uuid.UUID {
		return q(`INSERT INTO hosts (friendly_name, hostname, api_id, api_key_hash, status, os_type, os_version, total_packages,
			outdated_packages, security_updates, needs_reboot, last_checkin_at)
			VALUES ($1, $1 || '.example.com', 'patchmon_' || $1, 'x', 'active', 'Ubuntu', '24.04', 400, $2, $3, $4, now()) RETURNING id`,
			name, outdated, sec, reboot)
	}
	web1, web2 := host("web1", 3, 2, true), host("web2", 1, 0, false)
	host("db1", 0, 0, false)
	for _, h := range []uuid.UUID{web1, web2} {
		_, err := e.pool.Exec(ctx, `INSERT INTO host_group_memberships (host_id, host_group_id) VALUES ($1, $2)`, h, e.prod)
		require.NoError(t, err)
	}
	pkg := func(name string) uuid.UUID {
		return q(`INSERT INTO packages (name, latest_version) VALUES ($1, '9.9') RETURNING id`, name)
	}
	openssl, curl, vim := pkg("openssl"), pkg("curl"), pkg("vim")
	for _, hp := range []struct {
		h, p uuid.UUID
		sec  bool
	}{{web1, openssl, true}, {web1, curl, true}, {web1, vim, false}, {web2, vim, false}} {
		_, err := e.pool.Exec(ctx, `INSERT INTO host_packages (host_id, package_id, current_version, available_version, needs_update, is_security_update)
			VALUES ($1, $2, '1.0', '9.9', true, $3)`, hp.h, hp.p, hp.sec)
		require.NoError(t, err)
	}
}

func ptr[T any](v T) *T { return &v }

func (e env) emailDest(t *testing.T, sink *notifytest.SMTPSink) uuid.UUID {
	t.Helper()
	d, err := e.notify.CreateDestination(context.Background(), notify.DestinationInput{Name: ptr("ops mail"), Type: notify.TypeEmail,
		Config: &notify.DestinationConfig{Host: sink.Host(), Port: sink.Port(), Security: notify.SecurityNone,
			From: "patchmon@example.com", To: []string{"ops@example.com"}}})
	require.NoError(t, err)
	return d.ID
}

// parts walks a MIME message and returns the attachments by file name and the HTML body.
func parts(t *testing.T, m notifytest.Mail) (files map[string]string, html, text string) {
	t.Helper()
	msg := m.Parse(t)
	files = map[string]string{}
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		require.NoError(t, err)
		if !strings.HasPrefix(mt, "multipart/") {
			return
		}
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return
			}
			require.NoError(t, err)
			pct := p.Header.Get("Content-Type")
			var rd io.Reader = p
			switch p.Header.Get("Content-Transfer-Encoding") {
			case "base64":
				rd = base64.NewDecoder(base64.StdEncoding, p)
			case "quoted-printable":
				rd = quotedprintable.NewReader(p)
			}
			if strings.HasPrefix(pct, "multipart/") {
				walk(pct, rd)
				continue
			}
			b, err := io.ReadAll(rd)
			require.NoError(t, err)
			switch {
			case p.FileName() != "":
				files[p.FileName()] = string(b)
			case strings.HasPrefix(pct, "text/html"):
				html = string(b)
			case strings.HasPrefix(pct, "text/plain"):
				text = string(b)
			}
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return files, html, text
}

func TestScheduledReportArrivesByEmail(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sink := notifytest.NewSMTPSink(t, notifytest.SinkOptions{})
	sch, err := e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: "Daily fleet", Enabled: true, Cron: "0 8 * * *",
		Format: reports.FormatCSV, DestinationIDs: []uuid.UUID{e.emailDest(t, sink)}})
	require.NoError(t, err)
	require.NotNil(t, sch.NextRunAt)
	assert.Equal(t, time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC), sch.NextRunAt.UTC())

	require.NoError(t, e.svc.RunDue(ctx))
	assert.Empty(t, sink.Mails(), "not due before 08:00")

	e.clock.Set(time.Date(2026, 6, 1, 8, 0, 30, 0, time.UTC))
	require.NoError(t, e.svc.RunDue(ctx))
	require.NoError(t, e.svc.RunDue(ctx)) // nothing left: once per due time
	mails := sink.WaitMails(t, 1)
	require.Len(t, mails, 1)
	msg := mails[0].Parse(t)
	assert.Equal(t, "PatchMon report: Daily fleet", msg.Header.Get("Subject"))
	files, _, text := parts(t, mails[0])
	assert.Contains(t, text, "3 hosts: 2 need updates (4 packages, 2 security updates), 1 need a reboot")

	hostsCSV := files["patchmon-daily-fleet-2026-06-01-hosts.csv"]
	rows, err := csv.NewReader(strings.NewReader(hostsCSV)).ReadAll()
	require.NoError(t, err, "files: %v", files)
	require.Len(t, rows, 4)
	assert.Equal(t, reports.CSVHostColumns, rows[0])
	assert.Equal(t, []string{"web1", "web1.example.com", "", "Ubuntu", "24.04", "active"}, rows[1][:6])
	assert.Equal(t, []string{"400", "3", "2", "true", "Production"}, rows[1][7:])
	assert.Equal(t, "web2", rows[2][0])
	assert.Equal(t, []string{"db1", "0", "0", "false", ""}, []string{rows[3][0], rows[3][8], rows[3][9], rows[3][10], rows[3][11]})

	pkgs, err := csv.NewReader(strings.NewReader(files["patchmon-daily-fleet-2026-06-01-top-packages.csv"])).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{reports.CSVPackageColumns, {"curl", "9.9", "1", "1"}, {"openssl", "9.9", "1", "1"}, {"vim", "9.9", "2", "0"}}, pkgs)

	runs, err := e.svc.ListRuns(ctx, sch.ID, 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, reports.StatusSucceeded, runs[0].Status)
	assert.Equal(t, reports.TriggerSchedule, runs[0].Trigger)
	assert.Equal(t, len(hostsCSV)+len(files["patchmon-daily-fleet-2026-06-01-top-packages.csv"]), runs[0].SizeBytes)
	assert.Equal(t, 3, runs[0].HostCount)
	assert.Equal(t, 1, runs[0].Deliveries)
	assert.Empty(t, runs[0].Error)
	require.NotNil(t, runs[0].FinishedAt)

	got, err := e.svc.GetSchedule(ctx, sch.ID)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC), got.NextRunAt.UTC(), "moved to the next day")
	require.NotNil(t, got.LastRun)
	assert.Equal(t, runs[0].ID, got.LastRun.ID)
}

func TestHTMLReportInlineAndGroupScope(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sink := notifytest.NewSMTPSink(t, notifytest.SinkOptions{})
	sch, err := e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: "Prod weekly", Enabled: false, Cron: "@weekly",
		HostGroupIDs: []uuid.UUID{e.prod}, TopPackages: ptr(1), DestinationIDs: []uuid.UUID{e.emailDest(t, sink)}})
	require.NoError(t, err)
	assert.Equal(t, reports.FormatHTML, sch.Format)
	assert.Nil(t, sch.NextRunAt, "disabled schedules have no next run")

	run, err := e.svc.RunNow(ctx, sch.ID)
	require.NoError(t, err)
	assert.Equal(t, reports.StatusSucceeded, run.Status, run.Error)
	assert.Equal(t, reports.TriggerManual, run.Trigger)
	assert.Equal(t, 2, run.HostCount, "only the Production group")

	files, html, _ := parts(t, sink.WaitMails(t, 1)[0])
	assert.Contains(t, html, "<h1>Prod weekly</h1>")
	assert.Contains(t, html, "host groups: Production")
	assert.Contains(t, html, "<td>web1")
	assert.NotContains(t, html, "db1")
	assert.Contains(t, html, "<td>curl</td>")
	assert.NotContains(t, html, "<td>vim</td>", "top 1 package only")
	attached := files["patchmon-prod-weekly-2026-06-01.html"]
	assert.Equal(t, strings.ReplaceAll(html, "\r\n", "\n"), attached, "also attached")
	assert.Equal(t, len(attached), run.SizeBytes)
}

func TestJSONReportToWebhookAndFailure(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	alerts := notifytest.NewReceiver(t)
	hook, err := e.notify.CreateDestination(ctx, notify.DestinationInput{Name: ptr("hook"), Type: notify.TypeWebhook,
		Config: &notify.DestinationConfig{URL: rcv.URL}})
	require.NoError(t, err)
	alertDest, err := e.notify.CreateDestination(ctx, notify.DestinationInput{Name: ptr("alerts"), Type: notify.TypeWebhook,
		Config: &notify.DestinationConfig{URL: alerts.URL}})
	require.NoError(t, err)
	_, err = e.notify.CreateRoute(ctx, notify.RouteInput{Name: "report failures", Enabled: true, EventTypes: []string{notify.EventReportFailed},
		DestinationIDs: []uuid.UUID{alertDest.ID}})
	require.NoError(t, err)
	sch, err := e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: "JSON", Enabled: true, Cron: "0 * * * *", Format: reports.FormatJSON,
		DestinationIDs: []uuid.UUID{hook.ID}})
	require.NoError(t, err)

	run, err := e.svc.RunNow(ctx, sch.ID)
	require.NoError(t, err)
	require.Equal(t, reports.StatusSucceeded, run.Status, run.Error)
	var p struct {
		Event       string           `json:"event"`
		Data        reports.Report   `json:"data"`
		Attachments []map[string]any `json:"attachments"`
	}
	require.NoError(t, json.Unmarshal(rcv.Requests()[0].Body, &p))
	assert.Equal(t, notify.EventReport, p.Event)
	assert.Equal(t, 3, p.Data.Summary.Hosts)
	assert.Equal(t, 2, p.Data.Summary.SecurityUpdates)
	assert.Equal(t, "curl", p.Data.TopPackages[0].Name)
	require.Len(t, p.Attachments, 1)
	assert.Equal(t, "patchmon-json-2026-06-01.json", p.Attachments[0]["filename"])

	// A failing receiver fails the run, keeps the delivery for retries and tells the
	// report_failed route.
	rcv.FailNext(10, http.StatusInternalServerError)
	run, err = e.svc.RunNow(ctx, sch.ID)
	require.NoError(t, err)
	assert.Equal(t, reports.StatusFailed, run.Status)
	assert.Contains(t, run.Error, "HTTP 500")
	assert.Contains(t, run.Error, "will retry")
	require.NoError(t, e.notify.ProcessDue(ctx))
	require.Len(t, alerts.Requests(), 1)
	assert.Equal(t, notify.EventReportFailed, alerts.Requests()[0].Header.Get(notify.HeaderEvent))

	runs, err := e.svc.ListRuns(ctx, sch.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, reports.StatusFailed, runs[0].Status, "newest first")

	// A deleted destination is reported, not skipped silently.
	_, err = e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: "bad", Cron: "* * * * *", DestinationIDs: []uuid.UUID{uuid.New()}})
	assert.ErrorContains(t, err, "Unknown destination")
	require.NoError(t, e.notify.DeleteDestination(ctx, hook.ID))
	run, err = e.svc.RunNow(ctx, sch.ID)
	require.NoError(t, err)
	assert.Equal(t, reports.StatusFailed, run.Status)
	assert.Contains(t, run.Error, "no longer exists")
}

// TestRunDueOnceAcrossReplicas lets two services race for the same due schedule.
func TestRunDueOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	rcv := notifytest.NewReceiver(t)
	hook, err := e.notify.CreateDestination(ctx, notify.DestinationInput{Name: ptr("hook"), Type: notify.TypeWebhook,
		Config: &notify.DestinationConfig{URL: rcv.URL}})
	require.NoError(t, err)
	for _, name := range []string{"a", "b", "c"} {
		_, err := e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: name, Enabled: true, Cron: "0 8 * * *", Format: reports.FormatJSON,
			DestinationIDs: []uuid.UUID{hook.ID}})
		require.NoError(t, err)
	}
	e.clock.Add(time.Hour)
	other := e.newService(t)
	var wg sync.WaitGroup
	for _, s := range []*reports.Service{e.svc, other, e.svc, other} {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, s.RunDue(ctx)) }()
	}
	wg.Wait()
	assert.Len(t, rcv.Requests(), 3, "each schedule ran once")
	var runs int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM report_runs`).Scan(&runs))
	assert.Equal(t, 3, runs)
}

func TestScheduleValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sink := notifytest.NewSMTPSink(t, notifytest.SinkOptions{})
	d := e.emailDest(t, sink)
	for _, tc := range []struct {
		in  reports.ScheduleInput
		err string
	}{
		{reports.ScheduleInput{Name: "", Cron: "@daily", DestinationIDs: []uuid.UUID{d}}, "Name is required"},
		{reports.ScheduleInput{Name: "x", Cron: "nope", DestinationIDs: []uuid.UUID{d}}, "Invalid cron expression"},
		{reports.ScheduleInput{Name: "x", Cron: "@daily", Format: "pdf", DestinationIDs: []uuid.UUID{d}}, "Format must be"},
		{reports.ScheduleInput{Name: "x", Cron: "@daily", TopPackages: ptr(101), DestinationIDs: []uuid.UUID{d}}, "between 0 and 100"},
		{reports.ScheduleInput{Name: "x", Cron: "@daily"}, "at least one destination"},
		{reports.ScheduleInput{Name: "x", Cron: "@daily", HostGroupIDs: []uuid.UUID{uuid.New()}, DestinationIDs: []uuid.UUID{d}}, "Unknown host group"},
	} {
		_, err := e.svc.CreateSchedule(ctx, tc.in)
		assert.ErrorContains(t, err, tc.err)
	}
	_, err := e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: "dup", Cron: "@daily", DestinationIDs: []uuid.UUID{d}})
	require.NoError(t, err)
	_, err = e.svc.CreateSchedule(ctx, reports.ScheduleInput{Name: "dup", Cron: "@daily", DestinationIDs: []uuid.UUID{d}})
	assert.ErrorIs(t, err, reports.ErrNameTaken)
}
